//! `Op` and `Plan`: the ordered list of kernel operations that turns one state into another.
//!
//! This module defines the operations, their dependencies and the phase order; it does not
//! decide which operations are needed (that is [`diff`](super::diff)) and never executes them.

use serde::{Deserialize, Serialize};

use super::error::KernelError;
use super::state::{
    AddrKey, FdbEntry, Link, LinkKey, LinkKind, Neigh, NeighKey, Netns, NftTable, NftTableKey,
    ObjectId, Route, RouteKey, XfrmPolicy, XfrmPolicyKey, XfrmState, XfrmStateKey,
};
use crate::wire::MacAddr;

/// One attribute change Linux makes in place (`ip link set`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkChange {
    /// `mtu N`
    Mtu(u32),
    /// `address MAC`
    Mac(MacAddr),
    /// `master BRIDGE` or `nomaster`.
    Master(Option<String>),
    /// `up` or `down`.
    Up(bool),
}

/// One kernel operation. Each corresponds to one `ip`, `bridge` or `nft` command (see
/// [`Plan`]'s `Display`), and to one netlink request or nftables transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Create a named namespace.
    AddNetns {
        /// Its name.
        name: String,
    },
    /// Delete a named namespace, and with it every object inside.
    DelNetns {
        /// Its name.
        name: String,
    },
    /// Create a link with its kind, MTU and MAC; it starts down and without a master, and
    /// [`Op::SetLink`] operations follow.
    ///
    /// A VXLAN device with a `staging_name` is created in the host namespace under that name
    /// (so its UDP socket lives in the host namespace, as moby's `createVxlan` does), moved
    /// into `key.netns` and renamed to `key.name` — one operation, three commands. A veth
    /// carries its `peer`'s attributes and creates both ends.
    AddLink {
        /// Where the link ends up, and its final name.
        key: LinkKey,
        /// Its kind, MTU and MAC (`master` is `None`, `up` is false).
        link: Link,
        /// For VXLAN devices in a named namespace: the host-namespace name used before the
        /// move (Docker's `vx-<vni hex6>-<nid[:5]>`).
        staging_name: Option<String>,
        /// For veths: the other end's attributes (its key is in `link.kind`).
        peer: Option<Link>,
    },
    /// Delete a link (both ends, for a veth).
    DelLink {
        /// The link.
        key: LinkKey,
    },
    /// Change one attribute of a link in place.
    SetLink {
        /// The link.
        key: LinkKey,
        /// The change.
        change: LinkChange,
    },
    /// Add an address.
    AddAddr {
        /// The address.
        addr: AddrKey,
    },
    /// Delete an address.
    DelAddr {
        /// The address.
        addr: AddrKey,
    },
    /// Add a route.
    AddRoute {
        /// Namespace and destination.
        key: RouteKey,
        /// Device and gateway.
        route: Route,
    },
    /// Change a route in place (`ip route replace`).
    ReplaceRoute {
        /// Namespace and destination.
        key: RouteKey,
        /// The new device and gateway.
        route: Route,
    },
    /// Delete a route.
    DelRoute {
        /// Namespace and destination.
        key: RouteKey,
    },
    /// Add a permanent neighbour entry.
    AddNeigh {
        /// Namespace, link, IP.
        key: NeighKey,
        /// The hardware address.
        neigh: Neigh,
    },
    /// Change a neighbour entry in place (`ip neigh replace`).
    ReplaceNeigh {
        /// Namespace, link, IP.
        key: NeighKey,
        /// The new hardware address.
        neigh: Neigh,
    },
    /// Delete a neighbour entry.
    DelNeigh {
        /// Namespace, link, IP.
        key: NeighKey,
    },
    /// Add a permanent FDB entry.
    AddFdb {
        /// The entry.
        entry: FdbEntry,
    },
    /// Delete an FDB entry.
    DelFdb {
        /// The entry.
        entry: FdbEntry,
    },
    /// Add an XFRM state.
    AddXfrmState {
        /// Its identity.
        key: XfrmStateKey,
        /// Its transform (the key is redacted when printed or serialised).
        state: XfrmState,
    },
    /// Delete an XFRM state.
    DelXfrmState {
        /// Its identity.
        key: XfrmStateKey,
    },
    /// Add an XFRM policy.
    AddXfrmPolicy {
        /// Its identity.
        key: XfrmPolicyKey,
        /// Its templates.
        policy: XfrmPolicy,
    },
    /// Change a policy's templates in place (`ip xfrm policy update`): traffic moves to the
    /// new state without a window where no policy matches.
    UpdateXfrmPolicy {
        /// Its identity.
        key: XfrmPolicyKey,
        /// The new templates.
        policy: XfrmPolicy,
    },
    /// Delete an XFRM policy.
    DelXfrmPolicy {
        /// Its identity.
        key: XfrmPolicyKey,
    },
    /// Create or atomically replace an nftables table (one `nft -f` transaction).
    SetNftTable {
        /// Namespace, family, name.
        key: NftTableKey,
        /// The table contents.
        table: NftTable,
    },
    /// Delete an nftables table.
    DelNftTable {
        /// Namespace, family, name.
        key: NftTableKey,
    },
}

impl Op {
    /// The object this operation is about.
    pub fn object(&self) -> ObjectId {
        match self {
            Op::AddNetns { name } | Op::DelNetns { name } => {
                ObjectId::Netns(Netns::named(name.clone()))
            }
            Op::AddLink { key, .. } | Op::DelLink { key } | Op::SetLink { key, .. } => {
                ObjectId::Link(key.clone())
            }
            Op::AddAddr { addr } | Op::DelAddr { addr } => ObjectId::Addr(addr.clone()),
            Op::AddRoute { key, .. } | Op::ReplaceRoute { key, .. } | Op::DelRoute { key } => {
                ObjectId::Route(key.clone())
            }
            Op::AddNeigh { key, .. } | Op::ReplaceNeigh { key, .. } | Op::DelNeigh { key } => {
                ObjectId::Neigh(key.clone())
            }
            Op::AddFdb { entry } | Op::DelFdb { entry } => ObjectId::Fdb(entry.clone()),
            Op::AddXfrmState { key, .. } | Op::DelXfrmState { key } => {
                ObjectId::XfrmState(key.clone())
            }
            Op::AddXfrmPolicy { key, .. }
            | Op::UpdateXfrmPolicy { key, .. }
            | Op::DelXfrmPolicy { key } => ObjectId::XfrmPolicy(key.clone()),
            Op::SetNftTable { key, .. } | Op::DelNftTable { key } => {
                ObjectId::NftTable(key.clone())
            }
        }
    }

    /// Objects this operation brings into (or puts into their final) existence; later
    /// operations that [`require`](Op::requires) one of them are skipped if this one fails.
    pub fn provides(&self) -> Vec<ObjectId> {
        match self {
            Op::AddLink { key, link, .. } => {
                let mut out = vec![ObjectId::Link(key.clone())];
                if let LinkKind::Veth { peer } = &link.kind {
                    out.push(ObjectId::Link(peer.clone()));
                }
                out
            }
            Op::AddNetns { .. }
            | Op::AddXfrmState { .. }
            | Op::AddXfrmPolicy { .. }
            | Op::UpdateXfrmPolicy { .. } => vec![self.object()],
            _ => Vec::new(),
        }
    }

    /// Objects that must exist for this operation to make sense.
    pub fn requires(&self) -> Vec<ObjectId> {
        let netns = |ns: &Netns| match ns {
            Netns::Host => None,
            Netns::Named(_) => Some(ObjectId::Netns(ns.clone())),
        };
        let link = |ns: &Netns, name: &str| ObjectId::Link(LinkKey::new(ns.clone(), name));
        match self {
            Op::AddLink { key, link: l, .. } => {
                let mut out: Vec<ObjectId> = netns(&key.netns).into_iter().collect();
                if let LinkKind::Veth { peer } = &l.kind {
                    out.extend(netns(&peer.netns));
                }
                out
            }
            Op::SetLink { key, change } => {
                let mut out = vec![ObjectId::Link(key.clone())];
                if let LinkChange::Master(Some(m)) = change {
                    out.push(link(&key.netns, m));
                }
                out
            }
            Op::AddAddr { addr } => vec![link(&addr.netns, &addr.link)],
            Op::AddRoute { key, route } | Op::ReplaceRoute { key, route } => {
                vec![link(&key.netns, &route.dev)]
            }
            Op::AddNeigh { key, .. } | Op::ReplaceNeigh { key, .. } => {
                vec![link(&key.netns, &key.link)]
            }
            Op::AddFdb { entry } => vec![link(&entry.netns, &entry.link)],
            Op::AddXfrmPolicy { policy, .. } | Op::UpdateXfrmPolicy { policy, .. } => policy
                .templates
                .iter()
                .map(|t| ObjectId::XfrmState(t.state_key()))
                .collect(),
            Op::SetNftTable { key, .. } => netns(&key.netns).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// The position of an operation in a plan. Plans run phase by phase, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Phase {
    DelNftTable,
    DelXfrmPolicy,
    DelFdb,
    DelNeigh,
    DelRoute,
    DelAddr,
    DelVeth,
    DelVxlan,
    DelOtherLink,
    DelBridge,
    /// States that must be re-created with the same identity go before their re-creation.
    DelXfrmStateReplaced,
    DelNetns,
    AddNetns,
    AddBridge,
    AddVxlan,
    AddVeth,
    AddOtherLink,
    SetLink,
    AddAddr,
    AddRoute,
    AddNeigh,
    AddFdb,
    AddXfrmStateRx,
    AddXfrmStateTx,
    AddXfrmPolicy,
    /// Make-before-break: old states go only after policies point at the new ones.
    DelXfrmState,
    SetNftTable,
}

/// An ordered list of operations that turns an observed [`KernelState`] into a desired one.
///
/// # Order
///
/// Deletes come first, in reverse dependency order: nftables tables, XFRM policies, FDB and
/// neighbour entries, routes, addresses, links (veths, then VXLAN devices, then bridges), then
/// namespaces. Creates follow in dependency order: namespaces, bridges, VXLAN devices, veths,
/// link attributes (MTU, MAC, master, then up), addresses, routes, neighbours, FDB entries,
/// receive XFRM states, transmit XFRM states (those a policy template names), policies, and
/// the nftables table last.
///
/// **The XFRM exception (make-before-break):** XFRM states that are no longer wanted are
/// deleted *after* the policy updates, so a policy never points at a missing state while keys
/// rotate. Only a state re-created under the same identity (same src, dst, SPI, protocol but
/// a different transform) is deleted early, since Linux refuses a duplicate.
///
/// Objects inside a namespace that is deleted, and objects on a link that is deleted, are
/// removed by the kernel along with it, so the plan does not list them.
///
/// # Output
///
/// `Display` prints the equivalent `ip`, `bridge` and `nft` commands with AEAD keys shown as
/// `0x<redacted>`; [`Plan::display_with_secrets`] prints the real keys. The serde form (JSON
/// via [`Plan::to_json`], for support bundles) redacts keys too; only
/// [`Plan::to_json_with_secrets`] writes them.
///
/// [`KernelState`]: super::KernelState
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The operations, in execution order.
    pub ops: Vec<Op>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Reads a plan written by [`Plan::to_json`] or by hand. AEAD keys must be given as
    /// `0x`-prefixed hex; a redacted key is refused.
    pub fn from_json(text: &str) -> Result<Plan, KernelError> {
        serde_json::from_str(text).map_err(|e| KernelError::Decode {
            what: "plan".into(),
            reason: e.to_string(),
        })
    }

    /// The plan as JSON, with AEAD keys redacted.
    pub fn to_json(&self) -> String {
        // Serialising plain data into a String cannot fail: every map key is a string.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The plan as JSON with AEAD keys in clear (`0x` hex), so that [`Plan::from_json`]
    /// reads it back whole, e.g. to replay it against a simulated kernel. Only for an
    /// operator who asked for it: the output can decrypt the overlay's traffic.
    pub fn to_json_with_secrets(&self) -> String {
        let Ok(mut value) = serde_json::to_value(self) else {
            return String::new();
        };
        for (i, op) in self.ops.iter().enumerate() {
            if let Op::AddXfrmState { state, .. } = op {
                if let Some(key) =
                    value.pointer_mut(&format!("/ops/{i}/add_xfrm_state/state/aead_key"))
                {
                    *key = serde_json::Value::String(state.aead_key.to_hex());
                }
            }
        }
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

/// Collects operations by phase and releases them in phase order.
#[derive(Default)]
pub(crate) struct PlanBuilder {
    ops: Vec<(Phase, Op)>,
}

impl PlanBuilder {
    pub(crate) fn push(&mut self, phase: Phase, op: Op) {
        self.ops.push((phase, op));
    }

    pub(crate) fn build(mut self) -> Plan {
        // Stable: within a phase, operations keep the (key-ordered) order they were emitted in.
        self.ops.sort_by_key(|(phase, _)| *phase);
        Plan {
            ops: self.ops.into_iter().map(|(_, op)| op).collect(),
        }
    }
}
