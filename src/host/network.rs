//! Per-network state on one host: the model's network, its peer table, the local endpoints,
//! and the Docker-style names of its sandbox and devices. The sandbox is lazy as in moby's
//! `joinSandbox`: it exists exactly while at least one local endpoint is joined.
//!
//! This module names things and answers lookups; it never builds kernel objects.

use ipnet::IpNet;
use std::collections::BTreeMap;

use super::endpoint::Endpoint;
use crate::kernel::Netns;
use crate::model::NetworkState;
use crate::peer::PeerTable;

/// The sandbox epoch in `<epoch>-<nid[:10]>`. Docker bumps it on every sandbox init so a
/// lingering mount never blocks the new name; our plans delete the old namespace first, and a
/// fixed epoch lets a restarted runtime compute the same name and adopt its sandbox.
pub const SANDBOX_EPOCH: u32 = 1;

/// One overlay network as this host knows it.
#[derive(Clone)]
pub(crate) struct Network {
    pub(crate) id: String,
    pub(crate) state: NetworkState,
    pub(crate) peers: PeerTable,
    /// Local endpoints by endpoint id.
    pub(crate) endpoints: BTreeMap<String, Endpoint>,
    /// The MTU of the VXLAN device and of both ends of every endpoint veth.
    pub(crate) mtu: u32,
}

impl Network {
    /// Docker's sandbox name: `GenerateKey("<epoch>-" + nid)` cut to 12 characters.
    pub(crate) fn sandbox_name(id: &str) -> String {
        let mut name = format!("{SANDBOX_EPOCH}-{id}");
        name.truncate(12);
        name
    }

    /// The sandbox namespace, while one exists (at least one local endpoint).
    pub(crate) fn sandbox(&self) -> Option<Netns> {
        (!self.endpoints.is_empty()).then(|| Netns::Named(Network::sandbox_name(&self.id)))
    }

    /// The bridge of subnet `i` inside the sandbox (Docker renames `ov-…` to `br<n>`).
    pub(crate) fn bridge_name(i: usize) -> String {
        format!("br{i}")
    }

    /// The VXLAN device of subnet `i` inside the sandbox (Docker renames `vx-…` to
    /// `vxlan<n>`).
    pub(crate) fn vxlan_name(i: usize) -> String {
        format!("vxlan{i}")
    }

    /// The index of the subnet that is exactly `subnet`.
    pub(crate) fn subnet_index(&self, subnet: IpNet) -> Option<usize> {
        self.state
            .subnets()
            .iter()
            .position(|s| IpNet::V4(s.subnet()) == subnet)
    }

    /// The VNIs of the network's subnets, in subnet order.
    pub(crate) fn vnis(&self) -> impl Iterator<Item = u32> + '_ {
        self.state.subnets().iter().map(|s| s.vni().get())
    }

    /// Whether the network's traffic is encrypted.
    pub(crate) fn encrypted(&self) -> bool {
        self.state.spec().encryption().is_encrypted()
    }
}

/// 32-bit FNV-1a, for deterministic interface names.
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for part in parts {
        for &b in *part {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// `<prefix><7 hex digits>` from a hash of `eid` and a probe number (moby's veth names are
/// `veth` + 7 random hex digits; ours are derived, so a restart computes the same names).
pub(crate) fn hashed_name(prefix: &str, eid: &str, probe: u8) -> String {
    let h = fnv1a(&[eid.as_bytes(), &[probe]]) & 0x0fff_ffff;
    format!("{prefix}{h:07x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_names_follow_generate_key() {
        assert_eq!(Network::sandbox_name("k3jd8s0a2bxyz"), "1-k3jd8s0a2b");
        assert_eq!(Network::sandbox_name("abc"), "1-abc");
    }

    #[test]
    fn hashed_names_are_stable_and_fit_ifnamsiz() {
        let a = hashed_name("veth", "ep1", 0);
        assert_eq!(a, hashed_name("veth", "ep1", 0));
        assert_ne!(a, hashed_name("veth", "ep1", 1));
        assert_eq!(a.len(), 11);
        assert!(crate::kernel::NamePattern::Prefix("veth".into()).matches(&a));
    }
}
