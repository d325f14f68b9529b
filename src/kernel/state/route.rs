//! Static routes (`ip route`) in the main table.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::Netns;

/// A route's identity: namespace and destination prefix (main table, one route per prefix).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RouteKey {
    /// The namespace.
    pub netns: Netns,
    /// The destination prefix.
    pub dst: IpNet,
}

impl RouteKey {
    /// A route key.
    pub fn new(netns: Netns, dst: IpNet) -> RouteKey {
        RouteKey { netns, dst }
    }
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}", self.dst, self.netns)
    }
}

/// Where a route sends traffic; changed in place with `ip route replace`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The output link.
    pub dev: String,
    /// The gateway, if any (Docker routes other subnets via this subnet's gateway).
    pub via: Option<IpAddr>,
}
