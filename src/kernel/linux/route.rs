//! rtnetlink route messages for the main table (`ip route add/replace/del`) and reading a
//! route dump back. Routes the kernel makes by itself (connected, local, IPv6 multicast and
//! link-local) are not read back.
//!
//! Pure message building and parsing: no sockets.

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};

use super::addr::family;

fn address(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

fn message(dst: &IpNet, oif: Option<u32>, via: Option<IpAddr>) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = family(&dst.addr());
    m.header.destination_prefix_length = dst.prefix_len();
    m.header.table = RouteHeader::RT_TABLE_MAIN;
    m.header.protocol = RouteProtocol::Boot;
    m.header.kind = RouteType::Unicast;
    m.header.scope = if via.is_some() {
        RouteScope::Universe
    } else {
        RouteScope::Link
    };
    if dst.prefix_len() > 0 {
        m.attributes
            .push(RouteAttribute::Destination(address(dst.network())));
    }
    if let Some(gw) = via {
        m.attributes.push(RouteAttribute::Gateway(address(gw)));
    }
    if let Some(oif) = oif {
        m.attributes.push(RouteAttribute::Oif(oif));
    }
    m
}

/// `ip route add DST [via GW] dev <oif>`.
pub fn add(dst: &IpNet, oif: u32, via: Option<IpAddr>) -> RouteNetlinkMessage {
    RouteNetlinkMessage::NewRoute(message(dst, Some(oif), via))
}

/// `ip route del DST` (main table).
pub fn del(dst: &IpNet) -> RouteNetlinkMessage {
    let mut m = message(dst, None, None);
    m.header.scope = RouteScope::NoWhere;
    RouteNetlinkMessage::DelRoute(m)
}

/// A dump request for every route of one family.
pub fn dump(v6: bool) -> RouteNetlinkMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = if v6 {
        netlink_packet_route::AddressFamily::Inet6
    } else {
        netlink_packet_route::AddressFamily::Inet
    };
    RouteNetlinkMessage::GetRoute(m)
}

/// One dumped route as (destination, output index, gateway), or `None` for routes outside
/// the main table and routes the kernel made itself.
pub fn parse(m: &RouteMessage) -> Option<(IpNet, u32, Option<IpAddr>)> {
    let h = &m.header;
    let table = m
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(h.table));
    if table != u32::from(RouteHeader::RT_TABLE_MAIN)
        || h.kind != RouteType::Unicast
        || matches!(h.protocol, RouteProtocol::Kernel | RouteProtocol::Ra)
    {
        return None;
    }
    let ip = |a: &RouteAddress| match a {
        RouteAddress::Inet(v) => Some(IpAddr::V4(*v)),
        RouteAddress::Inet6(v) => Some(IpAddr::V6(*v)),
        _ => None,
    };
    let mut dst = None;
    let mut oif = None;
    let mut via = None;
    for a in &m.attributes {
        match a {
            RouteAttribute::Destination(d) => dst = ip(d),
            RouteAttribute::Gateway(g) => via = ip(g),
            RouteAttribute::Oif(o) => oif = Some(*o),
            _ => {}
        }
    }
    let any = match h.address_family {
        netlink_packet_route::AddressFamily::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
    };
    let dst = IpNet::new(dst.unwrap_or(any), h.destination_prefix_length).ok()?;
    Some((dst, oif?, via))
}
