//! Links: bridges, VXLAN devices and veth pairs, with the attributes overlaynet manages.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Netns;
use crate::wire::MacAddr;

/// A link's identity: its namespace and name (Linux link names are unique per namespace).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LinkKey {
    /// The namespace the link lives in.
    pub netns: Netns,
    /// The interface name (at most 15 bytes on Linux).
    pub name: String,
}

impl LinkKey {
    /// A link key.
    pub fn new(netns: Netns, name: impl Into<String>) -> LinkKey {
        LinkKey {
            netns,
            name: name.into(),
        }
    }
}

impl fmt::Display for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.netns, self.name)
    }
}

/// A link's attributes. `mtu` and `mac` set to `None` mean "whatever the kernel picks": they
/// are not managed, so they never cause a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// What kind of device this is; a kind change means delete and re-create.
    pub kind: LinkKind,
    /// The MTU, when managed.
    pub mtu: Option<u32>,
    /// The hardware address, when managed.
    pub mac: Option<MacAddr>,
    /// The bridge (in the same namespace) this link is a port of.
    pub master: Option<String>,
    /// Administrative state (`ip link set up`).
    pub up: bool,
}

impl Link {
    /// A link of `kind`, down, with no master and kernel-chosen MTU and MAC.
    pub fn new(kind: LinkKind) -> Link {
        Link {
            kind,
            mtu: None,
            mac: None,
            master: None,
            up: false,
        }
    }

    /// The same link with `mtu` managed.
    pub fn with_mtu(mut self, mtu: u32) -> Link {
        self.mtu = Some(mtu);
        self
    }

    /// The same link with `mac` managed.
    pub fn with_mac(mut self, mac: MacAddr) -> Link {
        self.mac = Some(mac);
        self
    }

    /// The same link as a port of bridge `master`.
    pub fn with_master(mut self, master: impl Into<String>) -> Link {
        self.master = Some(master.into());
        self
    }

    /// The same link, administratively up.
    pub fn up(mut self) -> Link {
        self.up = true;
        self
    }

    /// The attributes Linux gives the link right after `ip link add` with this link's kind,
    /// MTU and MAC: down and without a master.
    pub fn as_created(&self) -> Link {
        Link {
            master: None,
            up: false,
            ..self.clone()
        }
    }

    /// Whether an observed link (`self`) satisfies a desired one: same kind, master and state,
    /// and the same MTU and MAC where the desired link manages them.
    pub fn satisfies(&self, desired: &Link) -> bool {
        self.kind == desired.kind
            && self.master == desired.master
            && self.up == desired.up
            && (desired.mtu.is_none() || self.mtu == desired.mtu)
            && (desired.mac.is_none() || self.mac == desired.mac)
    }
}

/// The device type. Attributes inside a kind cannot be changed in place on Linux.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A Linux bridge (`type bridge`).
    Bridge,
    /// A VXLAN device (`type vxlan`).
    Vxlan(VxlanAttrs),
    /// One end of a veth pair; `peer` is the other end, which names this one back.
    Veth {
        /// The other end of the pair.
        peer: LinkKey,
    },
    /// A dummy device (`type dummy`).
    Dummy,
}

/// VXLAN device attributes, as moby's `createVxlan` sets them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxlanAttrs {
    /// The VXLAN network identifier (24 bits).
    pub vni: u32,
    /// The UDP destination port (Docker default 4789).
    pub port: u16,
    /// The local VTEP address, when set.
    pub local: Option<IpAddr>,
    /// MAC learning from received packets.
    pub learning: bool,
    /// ARP/ND proxy from the static neighbour table.
    pub proxy: bool,
    /// Netlink notifications on layer-2 misses.
    pub l2miss: bool,
    /// Netlink notifications on layer-3 misses.
    pub l3miss: bool,
    /// Outer TTL; 0 means inherit.
    pub ttl: u8,
    /// Whether the device accepts IPv6 VTEPs (Docker sets `GROUP6 = ::` on IPv6 underlays).
    pub ipv6_underlay: bool,
}

impl VxlanAttrs {
    /// Docker's attributes for `vni` on `port`: learning, proxy, l2miss, l3miss, TTL 0, no
    /// local address, IPv4 underlay.
    pub fn docker(vni: u32, port: u16) -> VxlanAttrs {
        VxlanAttrs {
            vni,
            port,
            local: None,
            learning: true,
            proxy: true,
            l2miss: true,
            l3miss: true,
            ttl: 0,
            ipv6_underlay: false,
        }
    }
}

/// Docker's host-namespace name for a VXLAN device before it moves into its sandbox:
/// `vx-<vni as 6 hex>-<first 5 characters of the network id>`, where the id is the sandbox
/// name after its `<epoch>-` prefix.
pub fn vxlan_staging_name(vni: u32, netns: &str) -> String {
    let id = netns.split_once('-').map_or(netns, |(_, id)| id);
    let short: String = id.chars().take(5).collect();
    format!("vx-{vni:06x}-{short}")
}
