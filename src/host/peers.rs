//! Peer-table deltas → neighbour and FDB objects (moby's `addNeighbor`/`deleteNeighbor`):
//! per programmed remote peer one permanent neighbour entry and one `self` FDB entry
//! (`dst` = its VTEP) on the VXLAN device of the peer's subnet, in the network's sandbox.
//!
//! The same constructors serve the full desired-state build and the incremental path, so the
//! two cannot disagree. Tunnel deltas (a VTEP's first and last peer) are handed back to the
//! caller, which owns encryption.

use std::net::IpAddr;

use super::network::Network;
use crate::kernel::{FdbEntry, FdbTable, KernelState, Neigh, NeighKey, Netns, ObjectId};
use crate::peer::PeerDelta;
use crate::wire::MacAddr;

/// The neighbour entry for a peer at `ip` on subnet `subnet`'s VXLAN device.
pub(crate) fn neigh(ns: &Netns, subnet: usize, ip: IpAddr, mac: MacAddr) -> (NeighKey, Neigh) {
    (
        NeighKey::new(ns.clone(), Network::vxlan_name(subnet), ip),
        Neigh { lladdr: mac },
    )
}

/// The FDB entry sending frames for `mac` to `vtep` (`bridge fdb add … self permanent`).
pub(crate) fn fdb(ns: &Netns, subnet: usize, mac: MacAddr, vtep: IpAddr) -> FdbEntry {
    FdbEntry {
        netns: ns.clone(),
        link: Network::vxlan_name(subnet),
        mac,
        dst: Some(vtep),
        table: FdbTable::SelfDev,
    }
}

/// A tunnel change the caller must handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tunnel {
    Up(IpAddr),
    Down(IpAddr),
}

/// Applies neighbour and FDB deltas of `net` (whose sandbox is `ns`) to `desired`, recording
/// the identities it touched; returns tunnel changes in order.
pub(crate) fn apply_deltas(
    desired: &mut KernelState,
    net: &Network,
    ns: &Netns,
    deltas: &[PeerDelta],
    touched: &mut Vec<ObjectId>,
) -> Vec<Tunnel> {
    let mut tunnels = Vec::new();
    for delta in deltas {
        match *delta {
            PeerDelta::TunnelUp { vtep } => tunnels.push(Tunnel::Up(vtep)),
            PeerDelta::TunnelDown { vtep } => tunnels.push(Tunnel::Down(vtep)),
            PeerDelta::NeighbourAdd { subnet, ip, mac } => {
                if let Some(i) = net.subnet_index(subnet) {
                    let (k, v) = neigh(ns, i, ip, mac);
                    touched.push(ObjectId::Neigh(k.clone()));
                    desired.neighs.insert(k, v);
                }
            }
            PeerDelta::NeighbourRemove { subnet, ip, .. } => {
                if let Some(i) = net.subnet_index(subnet) {
                    let k = NeighKey::new(ns.clone(), Network::vxlan_name(i), ip);
                    desired.neighs.remove(&k);
                    touched.push(ObjectId::Neigh(k));
                }
            }
            PeerDelta::FdbAdd { subnet, mac, vtep } => {
                if let Some(i) = net.subnet_index(subnet) {
                    let e = fdb(ns, i, mac, vtep);
                    touched.push(ObjectId::Fdb(e.clone()));
                    desired.fdb.insert(e);
                }
            }
            PeerDelta::FdbRemove { subnet, mac, vtep } => {
                if let Some(i) = net.subnet_index(subnet) {
                    let e = fdb(ns, i, mac, vtep);
                    desired.fdb.remove(&e);
                    touched.push(ObjectId::Fdb(e));
                }
            }
        }
    }
    tunnels
}
