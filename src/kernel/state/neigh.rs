//! Neighbour (ARP/NDP) entries and bridge/VXLAN forwarding-database entries, which share the
//! kernel's `RTM_NEWNEIGH` interface but live in different tables.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Netns;
use crate::wire::MacAddr;

/// A neighbour entry's identity: namespace, link and IP.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NeighKey {
    /// The namespace of the link.
    pub netns: Netns,
    /// The link the entry is on (Docker: the VXLAN device).
    pub link: String,
    /// The neighbour's IP address.
    pub ip: IpAddr,
}

impl NeighKey {
    /// A neighbour key.
    pub fn new(netns: Netns, link: impl Into<String>, ip: IpAddr) -> NeighKey {
        NeighKey {
            netns,
            link: link.into(),
            ip,
        }
    }
}

impl fmt::Display for NeighKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}/{}", self.ip, self.netns, self.link)
    }
}

/// A permanent neighbour entry (`nud permanent`); changed in place with `ip neigh replace`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neigh {
    /// The hardware address the IP resolves to.
    pub lladdr: MacAddr,
}

/// Which forwarding database an FDB entry lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FdbTable {
    /// The device's own table (`NTF_SELF`), e.g. a VXLAN device's remote-VTEP table.
    SelfDev,
    /// The master bridge's table for this port (`NTF_MASTER`).
    Master,
}

/// A permanent FDB entry; the key is the whole object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FdbEntry {
    /// The namespace of the link.
    pub netns: Netns,
    /// The link (Docker: the VXLAN device).
    pub link: String,
    /// The destination MAC.
    pub mac: MacAddr,
    /// The remote VTEP (`dst`), for VXLAN entries.
    pub dst: Option<IpAddr>,
    /// `self` or `master`.
    pub table: FdbTable,
}

impl fmt::Display for FdbEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}/{}", self.mac, self.netns, self.link)?;
        if let Some(dst) = self.dst {
            write!(f, " dst {dst}")?;
        }
        match self.table {
            FdbTable::SelfDev => f.write_str(" self"),
            FdbTable::Master => f.write_str(" master"),
        }
    }
}
