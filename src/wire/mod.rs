//! Zero-copy packet views and their high-level representations: Ethernet (802.1Q), ARP,
//! IPv4, IPv6, UDP, ICMPv6 neighbour discovery, VXLAN (GBP, GPE), and in-place VXLAN
//! encapsulation/decapsulation, plus a pcap writer.
//!
//! Views follow smoltcp's `wire` style: `XPacket<T: AsRef<[u8]>>` with `new_checked` (after
//! which no accessor panics), getters named after the field, `set_*` setters when
//! `T: AsMut<[u8]>`, and an `XRepr` with `parse`, `emit` and `buffer_len`.
//!
//! This module depends on nothing else in the crate, never allocates on its packet paths and
//! does no I/O except through the caller's writer in [`PcapWriter`]. The ESP header view lives
//! in its own file, written with the IPsec engine.

mod arp;
pub mod checksum;
mod decap;
mod encap;
mod error;
pub mod esp;
mod ethernet;
mod flow_hash;
mod icmpv6;
mod ipv4;
mod ipv6;
mod mac;
mod pcap;
mod udp;
mod vxlan;

pub use arp::{ARP_LEN, ArpOperation, ArpPacket, ArpRepr};
pub use decap::{DecapCounters, DecapError, Decapsulated, Decapsulator};
pub use encap::{
    DEFAULT_TTL, DEFAULT_VXLAN_PORT, IPV4_OVERHEAD, IPV6_OVERHEAD, UDP_PAYLOAD_OVERHEAD, VxlanEncap,
};
pub use error::{Layer, WireError};
pub use ethernet::{
    ETHERNET_HEADER_LEN, EtherType, EthernetFrame, EthernetRepr, VLAN_TAG_LEN, VlanTag,
};
pub use flow_hash::{PortRange, flow_hash};
pub use icmpv6::{
    Icmpv6Packet, LLADDR_OPT_LEN, NDISC_LEN, NEIGHBOR_ADVERT, NEIGHBOR_SOLICIT, NdiscRepr,
};
pub use ipv4::{IPV4_HEADER_LEN, Ipv4Packet, Ipv4Repr, PROTO_ICMP, PROTO_TCP, PROTO_UDP};
pub use ipv6::{
    IPV6_HEADER_LEN, Ipv6Packet, Ipv6Repr, NH_AH, NH_DEST_OPTS, NH_ESP, NH_FRAGMENT, NH_HOP_BY_HOP,
    NH_ICMPV6, NH_NONE, NH_ROUTING, UpperLayer,
};
pub use mac::{MacAddr, MacParseError};
pub use pcap::{LinkType, PcapWriter};
pub use udp::{PseudoHeader, UDP_HEADER_LEN, UdpPacket, UdpRepr, ZeroChecksumPolicy};
pub use vxlan::{
    Gbp, Gpe, GpeProtocol, VXLAN_HEADER_LEN, Vni, VxlanExt, VxlanExtMode, VxlanPacket, VxlanRepr,
};

/// Reads a big-endian u16 at `at`. Callers guarantee `at + 2 <= b.len()`.
#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Writes a big-endian u16 at `at`. Callers guarantee `at + 2 <= b.len()`.
#[inline]
pub(crate) fn set_be16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}
