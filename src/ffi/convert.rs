//! Conversions of C arguments that are not raw memory: address text, `uint32_t` enum values
//! and the C enums the header documents for them.
//!
//! Parsing here is argument decoding only (std's address grammar); validation of what the
//! values mean stays in the model.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use super::boundary::{Failure, in_enum};
use super::result::overlaynet_result;
use crate::model::{Encryption, Family, FirewallProtocol, NodeOs};

fn invalid(what: &str, text: &str, reason: impl std::fmt::Display) -> Failure {
    Failure::new(
        overlaynet_result::InvalidInput,
        format!("invalid {what} {text:?}: {reason}"),
    )
}

/// Parses a prefix such as `10.0.1.0/24` or `fd00::/64`.
pub(crate) fn parse_net(text: &str, what: &str) -> Result<IpNet, Failure> {
    text.parse().map_err(|error| invalid(what, text, error))
}

/// Parses an IPv4 or IPv6 address.
pub(crate) fn parse_ip(text: &str, what: &str) -> Result<IpAddr, Failure> {
    text.parse().map_err(|error| invalid(what, text, error))
}

/// Parses an IPv4 address.
pub(crate) fn parse_ipv4(text: &str, what: &str) -> Result<std::net::Ipv4Addr, Failure> {
    text.parse().map_err(|error| invalid(what, text, error))
}

/// Parses an IPv4 prefix that keeps its host bits, such as `10.0.1.5/24`.
pub(crate) fn parse_ipv4_net(text: &str, what: &str) -> Result<ipnet::Ipv4Net, Failure> {
    text.parse().map_err(|error| invalid(what, text, error))
}

/// Parses `ip:port` or `[ip6]:port`.
pub(crate) fn parse_socket_addr(text: &str, what: &str) -> Result<SocketAddr, Failure> {
    text.parse().map_err(|error| invalid(what, text, error))
}

/// The encryption profile of an overlay network (values of `uint32_t encryption` arguments).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_encryption {
    /// Cleartext VXLAN.
    Off = 0,
    /// Docker's `encrypted` option exactly (8-byte ICV, no ESN): interoperable with Docker.
    DockerCompatible = 1,
    /// The hardened profile (16-byte ICV, 64-bit ESN, replay window).
    Hardened = 2,
}

impl From<Encryption> for overlaynet_encryption {
    fn from(encryption: Encryption) -> Self {
        match encryption {
            Encryption::Off => Self::Off,
            Encryption::DockerCompatible => Self::DockerCompatible,
            Encryption::Hardened => Self::Hardened,
        }
    }
}

/// Decodes a `uint32_t` [`overlaynet_encryption`] argument.
pub(crate) fn encryption(value: u32) -> Result<Encryption, Failure> {
    in_enum(value, "encryption", |v| match v {
        0 => Some(Encryption::Off),
        1 => Some(Encryption::DockerCompatible),
        2 => Some(Encryption::Hardened),
        _ => None,
    })
}

/// An address family (values of `uint32_t family` arguments): the IP version number.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_family {
    /// IPv4.
    Ipv4 = 4,
    /// IPv6.
    Ipv6 = 6,
}

impl From<Family> for overlaynet_family {
    fn from(family: Family) -> Self {
        match family {
            Family::V4 => Self::Ipv4,
            Family::V6 => Self::Ipv6,
        }
    }
}

/// Decodes a `uint32_t` [`overlaynet_family`] argument.
pub(crate) fn family(value: u32) -> Result<Family, Failure> {
    in_enum(value, "family", |v| match v {
        4 => Some(Family::V4),
        6 => Some(Family::V6),
        _ => None,
    })
}

/// A node's operating system (values of `uint32_t os` arguments).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_node_os {
    /// Linux.
    Linux = 0,
    /// Windows (no overlay encryption).
    Windows = 1,
}

impl From<NodeOs> for overlaynet_node_os {
    fn from(os: NodeOs) -> Self {
        match os {
            NodeOs::Linux => Self::Linux,
            NodeOs::Windows => Self::Windows,
        }
    }
}

/// Decodes a `uint32_t` [`overlaynet_node_os`] argument.
pub(crate) fn node_os(value: u32) -> Result<NodeOs, Failure> {
    in_enum(value, "os", |v| match v {
        0 => Some(NodeOs::Linux),
        1 => Some(NodeOs::Windows),
        _ => None,
    })
}

/// An IP protocol number: of a firewall rule (TCP, UDP, ESP) or of a published port (TCP,
/// UDP, SCTP).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_protocol {
    /// TCP.
    Tcp = 6,
    /// UDP.
    Udp = 17,
    /// IPsec ESP (no ports).
    Esp = 50,
    /// SCTP (published ports only).
    Sctp = 132,
}

impl From<FirewallProtocol> for overlaynet_protocol {
    fn from(protocol: FirewallProtocol) -> Self {
        match protocol {
            FirewallProtocol::Tcp => Self::Tcp,
            FirewallProtocol::Udp => Self::Udp,
            FirewallProtocol::Esp => Self::Esp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_decode_and_reject_undefined_values() {
        assert_eq!(encryption(2), Ok(Encryption::Hardened));
        assert_eq!(
            encryption(3).unwrap_err().code,
            overlaynet_result::InvalidEnum
        );
        assert_eq!(family(6), Ok(Family::V6));
        assert_eq!(
            family(0).unwrap_err().message,
            "family: 0 is not a defined value"
        );
        assert_eq!(node_os(1), Ok(NodeOs::Windows));
        assert!(node_os(u32::MAX).is_err());
        for e in [
            Encryption::Off,
            Encryption::DockerCompatible,
            Encryption::Hardened,
        ] {
            assert_eq!(encryption(overlaynet_encryption::from(e) as u32), Ok(e));
        }
    }

    #[test]
    fn addresses_parse_with_named_errors() {
        assert_eq!(
            parse_net("10.0.1.0/24", "subnet").unwrap().to_string(),
            "10.0.1.0/24"
        );
        let err = parse_net("10.0.1.0/33", "subnet").unwrap_err();
        assert_eq!(err.code, overlaynet_result::InvalidInput);
        assert_eq!(
            err.message,
            "invalid subnet \"10.0.1.0/33\": invalid IP address syntax"
        );
        assert!(parse_ip("fd00::1", "gateway").is_ok());
        assert!(parse_ipv4("fd00::1", "address").is_err());
        assert_eq!(
            parse_ipv4_net("10.0.1.5/24", "address")
                .unwrap()
                .to_string(),
            "10.0.1.5/24"
        );
        assert!(parse_ipv4_net("fd00::5/64", "address").is_err());
        assert_eq!(
            parse_socket_addr("[::1]:2377", "listen address")
                .unwrap()
                .port(),
            2377
        );
    }
}
