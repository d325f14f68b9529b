//! The kernel vocabulary: every object overlaynet owns on a Linux host, as plain keyed data
//! with value equality.
//!
//! A [`KernelState`] is a set of `BTreeMap`s keyed the way Linux identifies each object, so
//! two states diff by merge-join and print in a deterministic order. This module knows nothing
//! about overlay networks, peers or keys — the host engine maps the domain onto it — and it
//! performs no I/O.

mod addr;
mod link;
mod neigh;
mod nft;
mod route;
mod validate;
mod xfrm;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use addr::AddrKey;
pub use link::{Link, LinkKey, LinkKind, VxlanAttrs, vxlan_staging_name};
pub use neigh::{FdbEntry, FdbTable, Neigh, NeighKey};
pub use nft::{NftFamily, NftTable, NftTableKey};
pub use route::{Route, RouteKey};
pub(crate) use validate::{
    MTU_RANGE, RFC4106_ICV_BITS, RFC4106_KEY_BYTES, valid_link_name, valid_netns_name,
};
pub use xfrm::{
    AeadKey, XfrmDir, XfrmMark, XfrmPolicy, XfrmPolicyKey, XfrmProto, XfrmSelector, XfrmState,
    XfrmStateKey, XfrmTemplate,
};

use super::error::KernelError;

/// A network namespace: the host's own, or one reachable by name (`ip netns` style).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Netns {
    /// The namespace the process started in.
    Host,
    /// A named namespace, e.g. Docker's overlay sandbox `1-k3jd8s0a2b` or `ingress_sbox`.
    Named(String),
}

impl Netns {
    /// A named namespace.
    pub fn named(name: impl Into<String>) -> Netns {
        Netns::Named(name.into())
    }

    /// The name, or `None` for the host namespace.
    pub fn name(&self) -> Option<&str> {
        match self {
            Netns::Host => None,
            Netns::Named(n) => Some(n),
        }
    }
}

impl fmt::Display for Netns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Netns::Host => f.write_str("host"),
            Netns::Named(n) => f.write_str(n),
        }
    }
}

impl fmt::Debug for Netns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Netns({self})")
    }
}

/// Identifies one kernel object of any kind; used in errors, ownership checks and the
/// dependencies between plan operations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectId {
    /// A named network namespace.
    Netns(Netns),
    /// A link (network interface).
    Link(LinkKey),
    /// An address on a link.
    Addr(AddrKey),
    /// A route.
    Route(RouteKey),
    /// A neighbour (ARP/NDP) entry.
    Neigh(NeighKey),
    /// A forwarding-database entry.
    Fdb(FdbEntry),
    /// An XFRM state (security association).
    XfrmState(XfrmStateKey),
    /// An XFRM policy.
    XfrmPolicy(XfrmPolicyKey),
    /// An nftables table.
    NftTable(NftTableKey),
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectId::Netns(n) => write!(f, "netns {n}"),
            ObjectId::Link(k) => write!(f, "link {k}"),
            ObjectId::Addr(k) => write!(f, "address {k}"),
            ObjectId::Route(k) => write!(f, "route {k}"),
            ObjectId::Neigh(k) => write!(f, "neighbour {k}"),
            ObjectId::Fdb(k) => write!(f, "fdb entry {k}"),
            ObjectId::XfrmState(k) => write!(f, "xfrm state {k}"),
            ObjectId::XfrmPolicy(k) => write!(f, "xfrm policy {k}"),
            ObjectId::NftTable(k) => write!(f, "nft table {k}"),
        }
    }
}

/// Everything overlaynet owns on one host (desired), or what a [`Kernel`](super::Kernel)
/// observed, keyed the way Linux identifies each object.
///
/// Named namespaces are listed in `namespaces`; the host namespace always exists. XFRM objects
/// live in the host namespace, as Docker programs them. Maps serialise as lists of
/// `[key, value]` pairs so the JSON form has no structured map keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelState {
    /// Named network namespaces.
    pub namespaces: BTreeSet<String>,
    /// Links by (namespace, name).
    #[serde(with = "pairs")]
    pub links: BTreeMap<LinkKey, Link>,
    /// Addresses by (namespace, link, prefix).
    pub addrs: BTreeSet<AddrKey>,
    /// Routes by (namespace, destination).
    #[serde(with = "pairs")]
    pub routes: BTreeMap<RouteKey, Route>,
    /// Neighbour entries by (namespace, link, IP).
    #[serde(with = "pairs")]
    pub neighs: BTreeMap<NeighKey, Neigh>,
    /// FDB entries by (namespace, link, MAC, destination, table).
    pub fdb: BTreeSet<FdbEntry>,
    /// XFRM states by (src, dst, SPI, protocol).
    #[serde(with = "pairs")]
    pub xfrm_states: BTreeMap<XfrmStateKey, XfrmState>,
    /// XFRM policies by (selector, direction, mark).
    #[serde(with = "pairs")]
    pub xfrm_policies: BTreeMap<XfrmPolicyKey, XfrmPolicy>,
    /// nftables tables by (namespace, family, name).
    #[serde(with = "pairs")]
    pub nft_tables: BTreeMap<NftTableKey, NftTable>,
}

impl KernelState {
    /// An empty state.
    pub fn new() -> KernelState {
        KernelState::default()
    }

    /// Reads a state from JSON (the serde form; AEAD keys as `0x`-prefixed hex).
    pub fn from_json(text: &str) -> Result<KernelState, KernelError> {
        serde_json::from_str(text).map_err(|e| KernelError::Decode {
            what: "kernel state".into(),
            reason: e.to_string(),
        })
    }

    /// The state as JSON, with AEAD keys redacted.
    pub fn to_json(&self) -> String {
        // Plain data with string map keys only: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Whether `ns` exists in this state (the host namespace always does).
    pub fn has_netns(&self, ns: &Netns) -> bool {
        match ns {
            Netns::Host => true,
            Netns::Named(n) => self.namespaces.contains(n),
        }
    }

    /// Number of objects of all kinds (named namespaces included).
    pub fn len(&self) -> usize {
        self.namespaces.len()
            + self.links.len()
            + self.addrs.len()
            + self.routes.len()
            + self.neighs.len()
            + self.fdb.len()
            + self.xfrm_states.len()
            + self.xfrm_policies.len()
            + self.nft_tables.len()
    }

    /// Whether the state holds no object at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every object's identity, in a deterministic order.
    pub fn object_ids(&self) -> impl Iterator<Item = ObjectId> + '_ {
        let ns = self
            .namespaces
            .iter()
            .map(|n| ObjectId::Netns(Netns::named(n.clone())));
        let links = self.links.keys().cloned().map(ObjectId::Link);
        let addrs = self.addrs.iter().cloned().map(ObjectId::Addr);
        let routes = self.routes.keys().cloned().map(ObjectId::Route);
        let neighs = self.neighs.keys().cloned().map(ObjectId::Neigh);
        let fdb = self.fdb.iter().cloned().map(ObjectId::Fdb);
        let sas = self.xfrm_states.keys().cloned().map(ObjectId::XfrmState);
        let sps = self.xfrm_policies.keys().cloned().map(ObjectId::XfrmPolicy);
        let nft = self.nft_tables.keys().cloned().map(ObjectId::NftTable);
        ns.chain(links)
            .chain(addrs)
            .chain(routes)
            .chain(neighs)
            .chain(fdb)
            .chain(sas)
            .chain(sps)
            .chain(nft)
    }
}

/// Serialises a `BTreeMap` as a list of `[key, value]` pairs (JSON map keys must be strings).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}
