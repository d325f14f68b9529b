//! Interface addresses (`ip addr`).

use std::fmt;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::Netns;

/// An address on a link; the key is the whole object (`ip addr add PREFIX dev LINK`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AddrKey {
    /// The namespace of the link.
    pub netns: Netns,
    /// The link name.
    pub link: String,
    /// Address and prefix length, e.g. `10.0.1.1/24`.
    pub prefix: IpNet,
}

impl AddrKey {
    /// An address key.
    pub fn new(netns: Netns, link: impl Into<String>, prefix: IpNet) -> AddrKey {
        AddrKey {
            netns,
            link: link.into(),
            prefix,
        }
    }
}

impl fmt::Display for AddrKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}/{}", self.prefix, self.netns, self.link)
    }
}
