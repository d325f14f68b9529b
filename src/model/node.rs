//! `NodeConfig`: one node's swarm addresses and ports, with Docker's rules for which address
//! feeds what (advertise → control plane, data-path → VTEP, listen → bind/XFRM local IP).
//!
//! No interface lookups or autodetection happen here (the caller resolves names to IPs); the
//! firewall view of a node lives in `firewall`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::error::ModelError;
use super::ipam::Family;

/// Default VXLAN UDP port (IANA; moby `overlayutils`).
pub const DEFAULT_DATA_PATH_PORT: u16 = 4789;
/// Lowest `--data-path-port`.
pub const MIN_DATA_PATH_PORT: u16 = 1024;
/// Highest `--data-path-port`.
pub const MAX_DATA_PATH_PORT: u16 = 49151;
/// Default swarm management port (`--listen-addr 0.0.0.0:2377`).
pub const DEFAULT_SWARM_PORT: u16 = 2377;
/// memberlist / NetworkDB gossip port (TCP and UDP).
pub const GOSSIP_PORT: u16 = 7946;

/// The node's operating system; it decides which overlay features Docker supports there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NodeOs {
    /// Linux: every feature.
    #[default]
    Linux,
    /// Windows: Docker's Windows overlay driver has no encryption.
    Windows,
}

/// A validated node configuration. Build with [`NodeConfig::builder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfig {
    id: String,
    os: NodeOs,
    advertise_addr: IpAddr,
    data_path_addr: Option<IpAddr>,
    listen_addr: SocketAddr,
    data_path_port: u16,
}

impl NodeConfig {
    /// Start a config for node `id` advertising `advertise_addr` (`--advertise-addr`).
    pub fn builder(id: impl Into<String>, advertise_addr: IpAddr) -> NodeConfigBuilder {
        NodeConfigBuilder {
            id: id.into(),
            os: NodeOs::Linux,
            advertise_addr,
            data_path_addr: None,
            listen_addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_SWARM_PORT),
            data_path_port: 0,
        }
    }

    /// The node id (or name).
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The operating system.
    pub fn os(&self) -> NodeOs {
        self.os
    }
    /// The control-plane address other nodes use (raft, NetworkDB).
    pub fn advertise_addr(&self) -> IpAddr {
        self.advertise_addr
    }
    /// `--data-path-addr`, if given.
    pub fn data_path_addr(&self) -> Option<IpAddr> {
        self.data_path_addr
    }
    /// `--listen-addr` (default `0.0.0.0:2377`).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }
    /// The VXLAN UDP port (default 4789).
    pub fn data_path_port(&self) -> u16 {
        self.data_path_port
    }
    /// The VXLAN tunnel endpoint: the data-path address if given, else the advertise address
    /// (moby agent `dataPathAddress`); it goes into PeerRecords and SPI derivation.
    pub fn vtep(&self) -> IpAddr {
        self.data_path_addr.unwrap_or(self.advertise_addr)
    }
    /// The local address for NetworkDB and XFRM SAs/policies (moby overlay `bindAddress`): the
    /// listen host when it is specific, else the advertise address (Docker requires the
    /// advertise address to be local in that case; we cannot check that without I/O).
    pub fn bind_addr(&self) -> IpAddr {
        let host = self.listen_addr.ip();
        if host.is_unspecified() {
            self.advertise_addr
        } else {
            host
        }
    }
    /// The underlay family, from the VTEP (moby overlay `isIPv6Transport`).
    pub fn underlay_family(&self) -> Family {
        Family::of(self.vtep())
    }
}

/// Builder for [`NodeConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfigBuilder {
    id: String,
    os: NodeOs,
    advertise_addr: IpAddr,
    data_path_addr: Option<IpAddr>,
    listen_addr: SocketAddr,
    data_path_port: u16,
}

impl NodeConfigBuilder {
    /// Set `--data-path-addr`.
    pub fn data_path_addr(mut self, addr: IpAddr) -> Self {
        self.data_path_addr = Some(addr);
        self
    }
    /// Set `--listen-addr`.
    pub fn listen_addr(mut self, addr: SocketAddr) -> Self {
        self.listen_addr = addr;
        self
    }
    /// Set `--data-path-port`: 0 means 4789, else 1024–49151.
    pub fn data_path_port(mut self, port: u16) -> Self {
        self.data_path_port = port;
        self
    }
    /// Set the operating system.
    pub fn os(mut self, os: NodeOs) -> Self {
        self.os = os;
        self
    }

    /// Validate with Docker's rules and texts.
    pub fn build(self) -> Result<NodeConfig, ModelError> {
        let node = NodeConfig {
            id: self.id,
            os: self.os,
            advertise_addr: self.advertise_addr,
            data_path_addr: self.data_path_addr,
            listen_addr: self.listen_addr,
            data_path_port: if self.data_path_port == 0 {
                DEFAULT_DATA_PATH_PORT
            } else {
                self.data_path_port
            },
        };
        node.validate()?;
        Ok(node)
    }
}

impl NodeConfig {
    /// The rules `build` applies; the cluster applies them again to deserialised configs.
    pub(crate) fn validate(&self) -> Result<(), ModelError> {
        super::overlay::validate_name(&self.id)?;
        if self.advertise_addr.is_unspecified() {
            return Err(ModelError::UnspecifiedAdvertiseAddr);
        }
        if self.data_path_addr.is_some_and(|a| a.is_unspecified()) {
            return Err(ModelError::UnspecifiedDataPathAddr);
        }
        if !(MIN_DATA_PATH_PORT..=MAX_DATA_PATH_PORT).contains(&self.data_path_port) {
            return Err(ModelError::DataPathPortOutOfRange {
                port: self.data_path_port,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("bad test address {s}"))
    }

    #[test]
    fn address_roles_follow_docker() {
        let n = NodeConfig::builder("m1", ip("192.168.1.10"))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.vtep(), ip("192.168.1.10"));
        assert_eq!(
            n.bind_addr(),
            ip("192.168.1.10"),
            "0.0.0.0 listen → advertise address"
        );
        assert_eq!(n.data_path_port(), 4789, "0 → 4789");
        assert_eq!(n.listen_addr().port(), 2377);
        assert_eq!(n.underlay_family(), Family::V4);

        let n = NodeConfig::builder("m2", ip("192.168.1.10"))
            .data_path_addr(ip("2001:db8::10"))
            .listen_addr("10.1.1.1:4000".parse().unwrap_or_else(|_| panic!("bad")))
            .data_path_port(7789)
            .os(NodeOs::Windows)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.vtep(), ip("2001:db8::10"));
        assert_eq!(n.bind_addr(), ip("10.1.1.1"));
        assert_eq!(n.underlay_family(), Family::V6);
        assert_eq!(n.data_path_port(), 7789);
        assert_eq!(n.os(), NodeOs::Windows);
    }

    #[test]
    fn docker_validation_texts() {
        let err = |b: NodeConfigBuilder| b.build().err().map(|e| e.to_string()).unwrap_or_default();
        let b = || NodeConfig::builder("m1", ip("192.168.1.10"));
        assert_eq!(
            err(b().data_path_port(1023)),
            "Datapath port number is not in valid range (1024-49151) : 1023"
        );
        assert_eq!(
            err(b().data_path_port(49152)),
            "Datapath port number is not in valid range (1024-49151) : 49152"
        );
        assert!(b().data_path_port(1024).build().is_ok());
        assert!(b().data_path_port(49151).build().is_ok());
        assert_eq!(
            err(NodeConfig::builder("m1", ip("0.0.0.0"))),
            "advertise address must be a non-zero IP address or network interface (with optional port number)"
        );
        assert_eq!(
            err(b().data_path_addr(ip("::"))),
            "data path address must be a non-zero IP address or network interface (without a port number)"
        );
    }
}
