//! nftables tables: one table per namespace, held as its ruleset text and replaced whole.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Netns;

/// An nftables address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NftFamily {
    /// `ip`
    Ip,
    /// `ip6`
    Ip6,
    /// `inet`
    Inet,
}

impl fmt::Display for NftFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NftFamily::Ip => "ip",
            NftFamily::Ip6 => "ip6",
            NftFamily::Inet => "inet",
        })
    }
}

/// A table's identity: namespace, family and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NftTableKey {
    /// The namespace.
    pub netns: Netns,
    /// The family.
    pub family: NftFamily,
    /// The table name (overlaynet's is `overlaynet`).
    pub name: String,
}

impl NftTableKey {
    /// A table key.
    pub fn new(netns: Netns, family: NftFamily, name: impl Into<String>) -> NftTableKey {
        NftTableKey {
            netns,
            family,
            name: name.into(),
        }
    }
}

impl fmt::Display for NftTableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} in {}", self.family, self.name, self.netns)
    }
}

/// A table's contents: the ruleset text between `table FAMILY NAME {` and `}` (sets and
/// chains), in the canonical form `nft list table` prints, so observed and desired compare
/// as strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NftTable {
    /// The table body.
    pub body: String,
}
