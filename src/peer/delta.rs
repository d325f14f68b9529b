//! The kernel changes a peer-table mutation implies, as plain data, in the order they must be
//! applied (moby's `addNeighbor`/`deleteNeighbor`, see [`PeerDelta`]).
//!
//! This module only describes changes; it never talks to a kernel.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::wire::MacAddr;

/// One kernel change. `subnet` names the network subnet whose VXLAN device carries the entry
/// (moby keeps one bridge and one VXLAN device per subnet).
///
/// A batch is ordered so that it can be applied front to back:
/// adding a peer is `TunnelUp` (first user of that VTEP) → `NeighbourAdd` → `FdbAdd` (first
/// user of that (VTEP, MAC)); removing one is `FdbRemove` (last user) → `NeighbourRemove` →
/// `TunnelDown` (last user), so a tunnel — and, on an encrypted network, its SAs — exists
/// before the first entry that points at it and goes away only after the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerDelta {
    /// The first programmed peer behind `vtep` appeared: set up the tunnel (and, when the
    /// network is encrypted, the SAs/policies) to that host.
    TunnelUp {
        /// The remote host's VTEP address.
        vtep: IpAddr,
    },
    /// `ip neigh add <ip> lladdr <mac> dev <vxlan of subnet> nud permanent`.
    NeighbourAdd {
        /// The subnet whose VXLAN device holds the entry.
        subnet: IpNet,
        /// The peer's IP address.
        ip: IpAddr,
        /// The peer's MAC.
        mac: MacAddr,
    },
    /// `bridge fdb add <mac> dev <vxlan of subnet> dst <vtep> self permanent`.
    FdbAdd {
        /// The subnet whose VXLAN device holds the entry.
        subnet: IpNet,
        /// The peer's MAC.
        mac: MacAddr,
        /// Where frames for `mac` are tunnelled.
        vtep: IpAddr,
    },
    /// Removes the FDB entry that [`PeerDelta::FdbAdd`] with the same fields created.
    FdbRemove {
        /// The subnet whose VXLAN device holds the entry.
        subnet: IpNet,
        /// The peer's MAC.
        mac: MacAddr,
        /// The VTEP of the entry.
        vtep: IpAddr,
    },
    /// Removes the neighbour entry that [`PeerDelta::NeighbourAdd`] with the same fields
    /// created.
    NeighbourRemove {
        /// The subnet whose VXLAN device holds the entry.
        subnet: IpNet,
        /// The peer's IP address.
        ip: IpAddr,
        /// The peer's MAC.
        mac: MacAddr,
    },
    /// The last programmed peer behind `vtep` is gone: tear the tunnel (and SAs) down.
    TunnelDown {
        /// The remote host's VTEP address.
        vtep: IpAddr,
    },
}

/// The kernel object a delta creates or deletes; a removal and a later addition of the same
/// object cancel out.
#[derive(PartialEq, Eq)]
enum Object {
    Tunnel(IpAddr),
    Neighbour(IpNet, IpAddr),
    Fdb(IpNet, MacAddr, IpAddr),
}

impl PeerDelta {
    fn object(&self) -> Object {
        match *self {
            PeerDelta::TunnelUp { vtep } | PeerDelta::TunnelDown { vtep } => Object::Tunnel(vtep),
            PeerDelta::NeighbourAdd { subnet, ip, .. }
            | PeerDelta::NeighbourRemove { subnet, ip, .. } => Object::Neighbour(subnet, ip),
            PeerDelta::FdbAdd { subnet, mac, vtep }
            | PeerDelta::FdbRemove { subnet, mac, vtep } => Object::Fdb(subnet, mac, vtep),
        }
    }

    /// The addition that exactly undoes this removal, if this is a removal.
    fn undoing_addition(&self) -> Option<PeerDelta> {
        match *self {
            PeerDelta::TunnelDown { vtep } => Some(PeerDelta::TunnelUp { vtep }),
            PeerDelta::NeighbourRemove { subnet, ip, mac } => {
                Some(PeerDelta::NeighbourAdd { subnet, ip, mac })
            }
            PeerDelta::FdbRemove { subnet, mac, vtep } => {
                Some(PeerDelta::FdbAdd { subnet, mac, vtep })
            }
            _ => None,
        }
    }
}

/// In `deltas[from..]`, drops every removal whose next change to the same kernel object re-adds it unchanged
/// (e.g. `TunnelDown(v)` … `TunnelUp(v)` when a peer behind `v` is replaced by another one
/// behind `v`). The object then simply stays, which keeps every ordering rule: nothing in
/// between touched it. Without this, replacing a peer would needlessly tear down and rebuild
/// a tunnel and its SAs.
pub(crate) fn coalesce(deltas: &mut Vec<PeerDelta>, from: usize) {
    // Fast path, and the common case: a plain add or remove has nothing to cancel.
    let has_addition = deltas[from..]
        .iter()
        .any(|d| d.undoing_addition().is_none());
    let has_removal = deltas[from..]
        .iter()
        .any(|d| d.undoing_addition().is_some());
    if !(has_addition && has_removal) {
        return;
    }
    let mut dropped = vec![false; deltas.len()];
    for i in from..deltas.len() {
        let Some(undo) = deltas[i].undoing_addition() else {
            continue;
        };
        let object = deltas[i].object();
        let next_touch =
            (i + 1..deltas.len()).find(|&j| !dropped[j] && deltas[j].object() == object);
        if let Some(j) = next_touch.filter(|&j| deltas[j] == undo) {
            dropped[i] = true;
            dropped[j] = true;
        }
    }
    let mut keep = dropped.iter().map(|d| !d);
    deltas.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(last: u8) -> IpAddr {
        IpAddr::from([192, 168, 1, last])
    }

    #[test]
    fn replacing_a_peer_behind_the_same_vtep_keeps_the_tunnel() {
        let subnet: IpNet = "10.0.1.0/24".parse().unwrap();
        let ip = IpAddr::from([10, 0, 1, 5]);
        let (m1, m2) = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
        let mut deltas = vec![
            PeerDelta::FdbRemove {
                subnet,
                mac: m1,
                vtep: v(2),
            },
            PeerDelta::NeighbourRemove {
                subnet,
                ip,
                mac: m1,
            },
            PeerDelta::TunnelDown { vtep: v(2) },
            PeerDelta::TunnelUp { vtep: v(2) },
            PeerDelta::NeighbourAdd {
                subnet,
                ip,
                mac: m2,
            },
            PeerDelta::FdbAdd {
                subnet,
                mac: m2,
                vtep: v(2),
            },
        ];
        coalesce(&mut deltas, 0);
        assert_eq!(
            deltas,
            vec![
                PeerDelta::FdbRemove {
                    subnet,
                    mac: m1,
                    vtep: v(2)
                },
                PeerDelta::NeighbourRemove {
                    subnet,
                    ip,
                    mac: m1
                },
                PeerDelta::NeighbourAdd {
                    subnet,
                    ip,
                    mac: m2
                },
                PeerDelta::FdbAdd {
                    subnet,
                    mac: m2,
                    vtep: v(2)
                },
            ]
        );
    }

    #[test]
    fn identical_re_add_cancels_entirely_but_additions_alone_stay() {
        let subnet: IpNet = "10.0.1.0/24".parse().unwrap();
        let ip = IpAddr::from([10, 0, 1, 5]);
        let mac = MacAddr([2, 0, 0, 0, 0, 1]);
        let mut deltas = vec![
            PeerDelta::FdbRemove {
                subnet,
                mac,
                vtep: v(2),
            },
            PeerDelta::NeighbourRemove { subnet, ip, mac },
            PeerDelta::TunnelDown { vtep: v(2) },
            PeerDelta::TunnelUp { vtep: v(2) },
            PeerDelta::NeighbourAdd { subnet, ip, mac },
            PeerDelta::FdbAdd {
                subnet,
                mac,
                vtep: v(2),
            },
        ];
        coalesce(&mut deltas, 0);
        assert!(deltas.is_empty());

        let mut adds = vec![PeerDelta::TunnelUp { vtep: v(3) }];
        coalesce(&mut adds, 0);
        assert_eq!(adds, vec![PeerDelta::TunnelUp { vtep: v(3) }]);
    }

    #[test]
    fn a_different_re_add_is_not_cancelled() {
        let subnet: IpNet = "10.0.1.0/24".parse().unwrap();
        let ip = IpAddr::from([10, 0, 1, 5]);
        let (m1, m2) = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
        let mut deltas = vec![
            PeerDelta::NeighbourRemove {
                subnet,
                ip,
                mac: m1,
            },
            PeerDelta::NeighbourAdd {
                subnet,
                ip,
                mac: m2,
            },
            PeerDelta::NeighbourRemove {
                subnet,
                ip,
                mac: m2,
            },
            PeerDelta::NeighbourAdd {
                subnet,
                ip,
                mac: m1,
            },
        ];
        let before = deltas.clone();
        coalesce(&mut deltas, 0);
        assert_eq!(deltas, before);
    }
}
