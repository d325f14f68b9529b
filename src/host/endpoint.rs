//! Local endpoints: what a runtime asks for when a container joins an overlay network
//! ([`JoinRequest`]), and what the engine keeps about a joined endpoint.
//!
//! The container's namespace belongs to the runtime: the engine only puts one veth end (and,
//! for external access, a second one) into it. This module validates requests; it builds no
//! kernel objects.

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::HostError;
use crate::kernel::NamePattern;
use crate::wire::MacAddr;

/// The container-side interface name Docker gives the first overlay endpoint.
pub const DEFAULT_IFNAME: &str = "eth0";
/// The container-side interface name for docker_gwbridge access when none is given.
pub const DEFAULT_GW_IFNAME: &str = "eth1";

/// A container joining an overlay network on this host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The endpoint id (the NetworkDB key of its PeerRecord).
    pub endpoint_id: String,
    /// The endpoint's address with its subnet's prefix length, e.g. `10.0.1.5/24`.
    pub address: Ipv4Net,
    /// The MAC; `None` derives Docker's `02:42:` + IPv4 octets.
    pub mac: Option<MacAddr>,
    /// The container's network namespace, by name (the runtime created it).
    pub container_netns: String,
    /// The interface name inside the container (Docker: `eth` + index).
    pub ifname: String,
    /// docker_gwbridge attachment for external access, if wanted.
    pub external: Option<ExternalAccess>,
}

impl JoinRequest {
    /// A request with Docker's defaults: derived MAC, `eth0`, no external access.
    pub fn new(
        endpoint_id: impl Into<String>,
        address: Ipv4Net,
        container_netns: impl Into<String>,
    ) -> JoinRequest {
        JoinRequest {
            endpoint_id: endpoint_id.into(),
            address,
            mac: None,
            container_netns: container_netns.into(),
            ifname: DEFAULT_IFNAME.into(),
            external: None,
        }
    }

    /// The same request with an explicit MAC.
    pub fn mac(mut self, mac: MacAddr) -> JoinRequest {
        self.mac = Some(mac);
        self
    }

    /// The same request with another container-side interface name.
    pub fn ifname(mut self, ifname: impl Into<String>) -> JoinRequest {
        self.ifname = ifname.into();
        self
    }

    /// The same request with docker_gwbridge access at `address` (interface `eth1`).
    pub fn external(mut self, address: Ipv4Net) -> JoinRequest {
        self.external = Some(ExternalAccess {
            address,
            ifname: DEFAULT_GW_IFNAME.into(),
        });
        self
    }
}

/// A container's attachment to docker_gwbridge: an address on the bridge's subnet, the
/// default route via the bridge's gateway, masquerade on the way out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAccess {
    /// The container's address on docker_gwbridge, with the bridge subnet's prefix length.
    pub address: Ipv4Net,
    /// The interface name inside the container.
    pub ifname: String,
}

/// A joined endpoint, with the names the engine derived for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) subnet: usize,
    pub(crate) address: Ipv4Net,
    pub(crate) mac: MacAddr,
    pub(crate) container: String,
    pub(crate) ifname: String,
    /// The veth end in the overlay sandbox, a port of the subnet's bridge.
    pub(crate) veth: String,
    pub(crate) external: Option<External>,
}

/// A joined docker_gwbridge attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct External {
    pub(crate) address: Ipv4Net,
    pub(crate) ifname: String,
    /// The veth end in the host namespace, a port of docker_gwbridge.
    pub(crate) veth: String,
}

/// Checks a Linux interface name.
pub(crate) fn check_ifname(name: &str) -> Result<(), HostError> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0);
    if ok {
        Ok(())
    } else {
        Err(HostError::InvalidInterfaceName { name: name.into() })
    }
}

/// Checks a container namespace name: non-empty, a plain file name, and not one of our
/// sandbox names (which the engine would then delete as its own).
pub(crate) fn check_container_netns(name: &str) -> Result<(), HostError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." || name.contains('\0') {
        return Err(HostError::InvalidNetnsName { name: name.into() });
    }
    if NamePattern::DockerSandbox.matches(name) || name == "ingress_sbox" {
        return Err(HostError::NetnsIsSandbox { name: name.into() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        assert!(check_ifname("eth0").is_ok());
        assert!(check_ifname("abcdefghijklmno").is_ok());
        for bad in ["", "abcdefghijklmnop", "a/b", "a b", "a:b", ".."] {
            assert!(check_ifname(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn container_namespaces() {
        assert!(check_container_netns("ctr-web1").is_ok());
        assert!(matches!(
            check_container_netns("1-abcdef"),
            Err(HostError::NetnsIsSandbox { .. })
        ));
        assert!(check_container_netns("a/b").is_err());
    }
}
