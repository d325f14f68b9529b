//! The values both port grammars produce: [`Protocol`], [`PublishMode`], [`PortRange`] and
//! swarm's [`PortConfig`]. Plain data with Docker's text forms; no parsing of user input.

use std::fmt;

/// A transport protocol a port can be published for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum Protocol {
    /// TCP (swarm's `PortConfig_TCP` = 0).
    Tcp = 0,
    /// UDP (swarm's `PortConfig_UDP` = 1).
    Udp = 1,
    /// SCTP (swarm's `PortConfig_SCTP` = 2).
    Sctp = 2,
}

impl Protocol {
    /// All protocols, in swarm's numeric order.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// Docker's lower-case name, which is also the nftables keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    /// The protocol named exactly `name` (already lower-cased by the caller, as Docker does).
    pub fn from_name(name: &str) -> Option<Protocol> {
        match name {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "sctp" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// Index into per-protocol tables (`0..3`).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a swarm service port is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u32)]
pub enum PublishMode {
    /// Through the routing mesh on every node (swarm's `PublishModeIngress` = 0).
    #[default]
    Ingress = 0,
    /// Directly on the node running the task (swarm's `PublishModeHost` = 1).
    Host = 1,
}

impl PublishMode {
    /// Docker's name: `ingress` or `host`.
    pub fn as_str(self) -> &'static str {
        match self {
            PublishMode::Ingress => "ingress",
            PublishMode::Host => "host",
        }
    }
}

impl fmt::Display for PublishMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An inclusive port range; a single port has `start == end`. `start <= end` always holds
/// for values this module returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    /// First port.
    pub start: u16,
    /// Last port (inclusive).
    pub end: u16,
}

impl PortRange {
    /// The range holding only `port`.
    pub fn single(port: u16) -> PortRange {
        PortRange {
            start: port,
            end: port,
        }
    }

    /// Number of ports in the range (1–65536).
    pub fn port_count(self) -> u32 {
        u32::from(self.end) - u32::from(self.start) + 1
    }

    /// Whether the range is a single port.
    pub fn is_single(self) -> bool {
        self.start == self.end
    }

    /// The ports in order.
    pub fn iter(self) -> impl Iterator<Item = u16> {
        self.start..=self.end
    }
}

impl fmt::Display for PortRange {
    /// `80` or `8000-8010`, as go-connections prints host port ranges.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// One swarm service port, as `docker service create -p` produces it and swarm stores it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortConfig {
    /// Optional port name (the CLI never sets it).
    pub name: String,
    /// Transport protocol.
    pub protocol: Protocol,
    /// Port inside the task container.
    pub target: u16,
    /// Published port; 0 asks the allocator for one from the dynamic range.
    pub published: u16,
    /// Routing mesh or host publishing.
    pub mode: PublishMode,
}

impl PortConfig {
    /// An unnamed ingress-mode port.
    pub fn ingress(protocol: Protocol, published: u16, target: u16) -> PortConfig {
        PortConfig {
            name: String::new(),
            protocol,
            target,
            published,
            mode: PublishMode::Ingress,
        }
    }

    /// An unnamed host-mode port.
    pub fn host(protocol: Protocol, published: u16, target: u16) -> PortConfig {
        PortConfig {
            name: String::new(),
            protocol,
            target,
            published,
            mode: PublishMode::Host,
        }
    }

    /// A `docker service create -p` value that parses back to this exact port (the name
    /// aside, which the CLI cannot express): the short form for ingress ports, the long form
    /// for host ports (whose target the long form requires to be non-zero).
    pub fn to_spec(&self) -> String {
        match self.mode {
            PublishMode::Ingress => format!("{}:{}/{}", self.published, self.target, self.protocol),
            PublishMode::Host => format!(
                "published={},target={},protocol={},mode=host",
                self.published, self.target, self.protocol
            ),
        }
    }
}

impl fmt::Display for PortConfig {
    /// Docker's `PortOpt.String` form: `published:target/proto/mode`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}/{}/{}",
            self.published, self.target, self.protocol, self.mode
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let p = PortConfig::ingress(Protocol::Udp, 8080, 80);
        assert_eq!(p.to_string(), "8080:80/udp/ingress");
        assert_eq!(
            PortConfig::host(Protocol::Sctp, 0, 9).to_string(),
            "0:9/sctp/host"
        );
        assert_eq!(
            PortRange {
                start: 8000,
                end: 8010
            }
            .to_string(),
            "8000-8010"
        );
        assert_eq!(PortRange::single(80).to_string(), "80");
        assert_eq!(
            PortRange {
                start: 0,
                end: 65535
            }
            .port_count(),
            65536
        );
    }
}
