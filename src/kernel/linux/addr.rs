//! rtnetlink address messages (`ip addr add/del`) and reading an address dump back.
//!
//! Pure message building and parsing: no sockets.

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

fn message(index: u32, prefix: &IpNet) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = family(&prefix.addr());
    m.header.prefix_len = prefix.prefix_len();
    m.header.index = index;
    m.header.scope = AddressScope::Universe;
    m.attributes.push(AddressAttribute::Local(prefix.addr()));
    m.attributes.push(AddressAttribute::Address(prefix.addr()));
    m
}

/// The address family of `ip`.
pub fn family(ip: &IpAddr) -> AddressFamily {
    match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// `ip addr add PREFIX dev <index>`.
pub fn add(index: u32, prefix: &IpNet) -> RouteNetlinkMessage {
    RouteNetlinkMessage::NewAddress(message(index, prefix))
}

/// `ip addr del PREFIX dev <index>`.
pub fn del(index: u32, prefix: &IpNet) -> RouteNetlinkMessage {
    RouteNetlinkMessage::DelAddress(message(index, prefix))
}

/// A dump request for every address.
pub fn dump() -> RouteNetlinkMessage {
    RouteNetlinkMessage::GetAddress(AddressMessage::default())
}

/// One dumped address as (link index, prefix), or `None` for addresses the kernel makes by
/// itself (IPv6 link-local) and malformed ones.
pub fn parse(m: &AddressMessage) -> Option<(u32, IpNet)> {
    // IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on point-to-point
    // links); IPv6 only sends IFA_ADDRESS.
    let local = m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    let addr = local.or_else(|| {
        m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        })
    })?;
    if let IpAddr::V6(v6) = addr {
        if v6.segments()[0] & 0xffc0 == 0xfe80 {
            return None;
        }
    }
    let prefix = IpNet::new(addr, m.header.prefix_len).ok()?;
    Some((m.header.index, prefix))
}
