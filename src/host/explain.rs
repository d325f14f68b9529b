//! `explain`: why can (or can't) local endpoint A reach address B? Walks the path the way a
//! frame takes it — local endpoint → peer table → neighbour entry → FDB entry → VTEP (VXLAN
//! device) → SAs and policy (encrypted networks) → MTU — against an *observed* kernel state,
//! and stops at the first hop that is missing or inconsistent.
//!
//! Read-only: it compares, it never plans or applies.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::desired::vxlan_attrs;
use super::keys::xfrm_objects;
use super::network::Network;
use super::peers;
use super::{Host, HostError};
use crate::kernel::{KernelState, Link, LinkKey, LinkKind, NeighKey, Netns};

/// The verdict on one hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The hop is in place.
    Ok,
    /// Something the hop needs is absent.
    Missing,
    /// The hop exists but disagrees with the desired state or with another hop.
    Inconsistent,
}

/// One hop of the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// Which hop: `endpoint`, `peer table`, `neighbour`, `fdb`, `vtep`, `ipsec`, `mtu`.
    pub step: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// What was found, in words.
    pub detail: String,
}

/// The hops walked, ending at the first problem if there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The hops, in path order.
    pub hops: Vec<Hop>,
}

impl Explanation {
    /// The first missing or inconsistent hop.
    pub fn first_problem(&self) -> Option<&Hop> {
        self.hops.iter().find(|h| h.verdict != Verdict::Ok)
    }

    /// Whether every hop is in place.
    pub fn is_ok(&self) -> bool {
        self.first_problem().is_none()
    }

    /// The hops as JSON (`{"hops": [{"step", "verdict", "detail"}, ...]}`, verdicts in
    /// snake case).
    pub fn to_json(&self) -> String {
        // Plain strings and unit enums: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for h in &self.hops {
            let mark = match h.verdict {
                Verdict::Ok => "ok",
                Verdict::Missing => "MISSING",
                Verdict::Inconsistent => "INCONSISTENT",
            };
            writeln!(f, "  {:<10} {:<12} {}", h.step, mark, h.detail)?;
        }
        Ok(())
    }
}

struct Walk {
    hops: Vec<Hop>,
}

impl Walk {
    /// Records a hop; returns whether the walk may go on.
    fn hop(&mut self, step: &str, verdict: Verdict, detail: String) -> bool {
        self.hops.push(Hop {
            step: step.into(),
            verdict,
            detail,
        });
        verdict == Verdict::Ok
    }
}

fn link_state(observed: &KernelState, key: &LinkKey, want: Option<&Link>) -> (Verdict, String) {
    match (observed.links.get(key), want) {
        (None, _) => (Verdict::Missing, format!("link {key} is absent")),
        (Some(have), Some(want)) if !have.satisfies(want) => (
            Verdict::Inconsistent,
            format!(
                "link {key} differs from the desired state (up {}, master {:?})",
                have.up, have.master
            ),
        ),
        (Some(_), _) => (Verdict::Ok, format!("link {key}")),
    }
}

impl Host {
    /// Walks the path from local endpoint `from` of network `id` to address `to` in
    /// `observed` (see the module documentation). Errors only when the network or the local
    /// endpoint does not exist.
    pub fn explain(
        &self,
        id: &str,
        from: &str,
        to: IpAddr,
        observed: &KernelState,
    ) -> Result<Explanation, HostError> {
        let net = self.network(id)?;
        let ep = net
            .endpoints
            .get(from)
            .ok_or_else(|| HostError::EndpointNotFound {
                eid: from.into(),
                id: id.into(),
            })?;
        let mut w = Walk { hops: Vec::new() };
        self.walk(net, ep, to, observed, &mut w);
        Ok(Explanation { hops: w.hops })
    }

    fn walk(
        &self,
        net: &Network,
        ep: &super::endpoint::Endpoint,
        to: IpAddr,
        observed: &KernelState,
        w: &mut Walk,
    ) {
        let desired = self.desired_state();
        let Some(ns) = net.sandbox() else { return };
        let inside = LinkKey::new(Netns::named(&ep.container), &ep.ifname);
        let outside = LinkKey::new(ns.clone(), &ep.veth);
        for key in [&inside, &outside] {
            let (v, d) = link_state(observed, key, desired.links.get(key));
            if !w.hop("endpoint", v, d) {
                return;
            }
        }
        let Some(peer) = net
            .peers
            .entries_at(to)
            .find(|p| p.is_programmed() || p.is_local())
        else {
            let waiting = net.peers.entries_at(to).count();
            let (v, d) = if waiting > 0 {
                (
                    Verdict::Inconsistent,
                    format!("{to}: {waiting} entries wait behind a duplicate IP, none programmed"),
                )
            } else {
                (
                    Verdict::Missing,
                    format!("no endpoint with address {to} in the peer table"),
                )
            };
            w.hop("peer table", v, d);
            return;
        };
        if peer.is_local() {
            w.hop(
                "peer table",
                Verdict::Ok,
                format!("{to} is local, same bridge"),
            );
            return;
        }
        let Some(vtep) = peer.vtep() else { return };
        let mac = peer.mac();
        if !w.hop(
            "peer table",
            Verdict::Ok,
            format!("{to} is {mac} behind VTEP {vtep}"),
        ) {
            return;
        }
        let Some(i) = net.subnet_index(peer.subnet()) else {
            return;
        };
        let vx = LinkKey::new(ns.clone(), Network::vxlan_name(i));
        let nkey = NeighKey::new(ns.clone(), &vx.name, to);
        let (v, d) = match observed.neighs.get(&nkey) {
            None => (Verdict::Missing, format!("no neighbour entry {nkey}")),
            Some(n) if n.lladdr != mac => (
                Verdict::Inconsistent,
                format!("neighbour {nkey} resolves to {} instead of {mac}", n.lladdr),
            ),
            Some(_) => (Verdict::Ok, format!("{to} lladdr {mac} on {}", vx.name)),
        };
        if !w.hop("neighbour", v, d) {
            return;
        }
        let entry = peers::fdb(&ns, i, mac, vtep);
        let (v, d) = if observed.fdb.contains(&entry) {
            (Verdict::Ok, format!("{mac} dst {vtep} on {}", vx.name))
        } else if let Some(other) = observed
            .fdb
            .iter()
            .find(|e| e.netns == entry.netns && e.link == entry.link && e.mac == mac)
        {
            (
                Verdict::Inconsistent,
                format!("{mac} points at {:?} instead of {vtep}", other.dst),
            )
        } else {
            (Verdict::Missing, format!("no FDB entry {entry}"))
        };
        if !w.hop("fdb", v, d) {
            return;
        }
        let vni = net.state.subnets()[i].vni().get();
        let want = vxlan_attrs(self, vni);
        let (v, d) = match observed.links.get(&vx) {
            None => (Verdict::Missing, format!("VXLAN device {vx} is absent")),
            Some(l) if l.kind != LinkKind::Vxlan(want.clone()) => (
                Verdict::Inconsistent,
                format!(
                    "{vx} is not VNI {vni} on port {} from {:?}",
                    want.port, want.local
                ),
            ),
            Some(l) if !l.up || l.master.as_deref() != Some(&Network::bridge_name(i)) => (
                Verdict::Inconsistent,
                format!("{vx} is down or not a port of {}", Network::bridge_name(i)),
            ),
            Some(_) => (
                Verdict::Ok,
                format!("{vx} VNI {vni} local {}", self.node.vtep()),
            ),
        };
        if !w.hop("vtep", v, d) {
            return;
        }
        if net.encrypted() {
            let (v, d) = self.ipsec_hop(vtep, observed);
            if !w.hop("ipsec", v, d) {
                return;
            }
        }
        let mtus = [
            observed.links.get(&inside).and_then(|l| l.mtu),
            observed.links.get(&outside).and_then(|l| l.mtu),
            observed.links.get(&vx).and_then(|l| l.mtu),
        ];
        let (v, d) = if mtus.iter().all(|m| *m == Some(net.mtu)) {
            (
                Verdict::Ok,
                format!("{} on veth, peer veth and VXLAN device", net.mtu),
            )
        } else {
            (
                Verdict::Inconsistent,
                format!(
                    "want {} everywhere; container {:?}, sandbox veth {:?}, vxlan {:?}",
                    net.mtu, mtus[0], mtus[1], mtus[2]
                ),
            )
        };
        w.hop("mtu", v, d);
    }

    fn ipsec_hop(&self, vtep: IpAddr, observed: &KernelState) -> (Verdict, String) {
        let (Some(profile), Some(ring)) = (self.profile(), self.keyring()) else {
            return (Verdict::Missing, "no IPsec keys".into());
        };
        let objs = xfrm_objects(profile, &self.ipsec_endpoints(), vtep, ring);
        for (k, s) in &objs.states {
            match observed.xfrm_states.get(k) {
                None => return (Verdict::Missing, format!("no SA {k}")),
                Some(have) if have != s => {
                    return (
                        Verdict::Inconsistent,
                        format!("SA {k} has another transform"),
                    );
                }
                Some(_) => {}
            }
        }
        let (pk, p) = &objs.policy;
        match observed.xfrm_policies.get(pk) {
            None => (Verdict::Missing, format!("no policy {pk}")),
            Some(have) if have != p => (
                Verdict::Inconsistent,
                format!("policy {pk} points at another SA"),
            ),
            Some(_) => (
                Verdict::Ok,
                format!(
                    "{} SAs and the outbound policy to {vtep}",
                    objs.states.len()
                ),
            ),
        }
    }
}
