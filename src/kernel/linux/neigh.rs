//! rtnetlink neighbour messages for both tables they address: permanent ARP/NDP entries
//! (`ip neigh`) and FDB entries (`bridge fdb`, family `AF_BRIDGE`, `self` or `master`), as
//! moby's `addNeighbor` / `deleteNeighbor` program them; and reading dumps back.
//!
//! Pure message building and parsing: no sockets.

use std::net::IpAddr;

use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::addr::family;
use crate::kernel::FdbTable;
use crate::wire::MacAddr;

fn address(ip: IpAddr) -> NeighbourAddress {
    match ip {
        IpAddr::V4(a) => NeighbourAddress::Inet(a),
        IpAddr::V6(a) => NeighbourAddress::Inet6(a),
    }
}

fn neigh(index: u32, ip: IpAddr, mac: Option<MacAddr>) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = family(&ip);
    m.header.ifindex = index;
    m.header.state = NeighbourState::Permanent;
    m.attributes
        .push(NeighbourAttribute::Destination(address(ip)));
    if let Some(mac) = mac {
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
    }
    m
}

/// `ip neigh add|replace IP lladdr MAC dev <index> nud permanent` (the caller picks the
/// create flags).
pub fn add_neigh(index: u32, ip: IpAddr, mac: MacAddr) -> RouteNetlinkMessage {
    RouteNetlinkMessage::NewNeighbour(neigh(index, ip, Some(mac)))
}

/// `ip neigh del IP dev <index>`.
pub fn del_neigh(index: u32, ip: IpAddr) -> RouteNetlinkMessage {
    RouteNetlinkMessage::DelNeighbour(neigh(index, ip, None))
}

fn fdb(index: u32, mac: MacAddr, dst: Option<IpAddr>, table: FdbTable) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m.header.ifindex = index;
    m.header.state = NeighbourState::Permanent;
    m.header.flags = match table {
        FdbTable::SelfDev => NeighbourFlags::Own,
        FdbTable::Master => NeighbourFlags::Controller,
    };
    m.attributes
        .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
    if let Some(dst) = dst {
        m.attributes
            .push(NeighbourAttribute::Destination(address(dst)));
    }
    m
}

/// `bridge fdb add MAC dev <index> [dst VTEP] self|master permanent`.
pub fn add_fdb(
    index: u32,
    mac: MacAddr,
    dst: Option<IpAddr>,
    table: FdbTable,
) -> RouteNetlinkMessage {
    RouteNetlinkMessage::NewNeighbour(fdb(index, mac, dst, table))
}

/// `bridge fdb del MAC dev <index> [dst VTEP] self|master`.
pub fn del_fdb(
    index: u32,
    mac: MacAddr,
    dst: Option<IpAddr>,
    table: FdbTable,
) -> RouteNetlinkMessage {
    RouteNetlinkMessage::DelNeighbour(fdb(index, mac, dst, table))
}

/// A dump request for one family (`Inet`, `Inet6` or `Bridge`).
pub fn dump(family: AddressFamily) -> RouteNetlinkMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = family;
    RouteNetlinkMessage::GetNeighbour(m)
}

/// One permanent entry of a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dumped {
    /// The link index.
    pub index: u32,
    /// The IP (neighbour) or VTEP (FDB `dst`).
    pub ip: Option<IpAddr>,
    /// The hardware address.
    pub mac: MacAddr,
    /// For FDB entries: which table; `None` for neighbour entries.
    pub table: Option<FdbTable>,
}

/// Reads one `RTM_NEWNEIGH` of a dump: permanent entries with a unicast MAC only (the kernel
/// adds multicast and dynamic entries by itself).
pub fn parse(m: &NeighbourMessage) -> Option<Dumped> {
    if m.header.state != NeighbourState::Permanent {
        return None;
    }
    let mut ip = None;
    let mut mac = None;
    for a in &m.attributes {
        match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => ip = Some(IpAddr::V4(*v)),
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(v)) => {
                ip = Some(IpAddr::V6(*v))
            }
            // FDB dumps (family AF_BRIDGE) carry the VTEP as raw bytes.
            NeighbourAttribute::Destination(NeighbourAddress::Other(b)) => {
                ip = match b.len() {
                    4 => <[u8; 4]>::try_from(b.as_slice()).ok().map(IpAddr::from),
                    16 => <[u8; 16]>::try_from(b.as_slice()).ok().map(IpAddr::from),
                    _ => None,
                }
            }
            NeighbourAttribute::LinkLayerAddress(b) => {
                mac = <[u8; 6]>::try_from(b.as_slice()).ok().map(MacAddr)
            }
            _ => {}
        }
    }
    let mac = mac?;
    let table = match m.header.family {
        AddressFamily::Bridge => {
            if mac.0[0] & 1 != 0 {
                return None;
            }
            if m.header.flags.contains(NeighbourFlags::Controller) {
                Some(FdbTable::Master)
            } else {
                Some(FdbTable::SelfDev)
            }
        }
        _ => {
            ip?;
            None
        }
    };
    Some(Dumped {
        index: m.header.ifindex,
        ip,
        mac,
        table,
    })
}
