//! What a host firewall must let in for a node to take part in the swarm and its overlays
//! (Docker docs: 2377/tcp, 7946/tcp+udp, the data-path port/udp, ESP when encrypted), as data
//! and as an nftables ruleset text.
//!
//! It only describes; programming the firewall is the `kernel` layer's job.

use std::fmt::{self, Write};

use serde::{Deserialize, Serialize};

use super::node::{GOSSIP_PORT, NodeConfig};

/// A transport protocol a firewall rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FirewallProtocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// IPsec ESP (IP protocol 50); has no ports.
    Esp,
}

impl fmt::Display for FirewallProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FirewallProtocol::Tcp => "tcp",
            FirewallProtocol::Udp => "udp",
            FirewallProtocol::Esp => "esp",
        })
    }
}

/// One inbound allowance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// Destination port; `None` for ESP.
    pub port: Option<u16>,
    /// Protocol.
    pub protocol: FirewallProtocol,
    /// Why the port must be open.
    pub purpose: String,
}

impl NodeConfig {
    /// The inbound traffic this node must accept: swarm management on the listen port/tcp,
    /// gossip 7946/tcp+udp, VXLAN on the data-path port/udp, and ESP when any overlay it
    /// joins is `encrypted`.
    pub fn firewall_requirements(&self, encrypted: bool) -> Vec<FirewallRule> {
        let rule = |port, protocol, purpose: &str| FirewallRule {
            port,
            protocol,
            purpose: purpose.to_string(),
        };
        let mut rules = vec![
            rule(
                Some(self.listen_addr().port()),
                FirewallProtocol::Tcp,
                "swarm cluster management (raft)",
            ),
            rule(
                Some(GOSSIP_PORT),
                FirewallProtocol::Tcp,
                "node gossip (memberlist, NetworkDB)",
            ),
            rule(
                Some(GOSSIP_PORT),
                FirewallProtocol::Udp,
                "node gossip (memberlist, NetworkDB)",
            ),
            rule(
                Some(self.data_path_port()),
                FirewallProtocol::Udp,
                "overlay data path (VXLAN)",
            ),
        ];
        if encrypted {
            rules.push(rule(
                None,
                FirewallProtocol::Esp,
                "encrypted overlay traffic (IPsec ESP)",
            ));
        }
        rules
    }
}

/// Render `rules` as an nftables ruleset: table `inet overlaynet`, chain `input` hooked at
/// input, one `accept` per rule with its purpose as comment. Loadable with `nft -f`.
pub fn render_nftables(rules: &[FirewallRule]) -> String {
    let mut out = String::from(
        "table inet overlaynet {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n",
    );
    for rule in rules {
        let comment = rule.purpose.replace('"', "'");
        // Writing to a String cannot fail.
        let _ = match (rule.protocol, rule.port) {
            (FirewallProtocol::Esp, _) => {
                writeln!(out, "\t\tmeta l4proto esp accept comment \"{comment}\"")
            }
            (protocol, Some(port)) => {
                writeln!(
                    out,
                    "\t\t{protocol} dport {port} accept comment \"{comment}\""
                )
            }
            (protocol, None) => writeln!(
                out,
                "\t\tmeta l4proto {protocol} accept comment \"{comment}\""
            ),
        };
    }
    out.push_str("\t}\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(port: u16) -> NodeConfig {
        NodeConfig::builder(
            "n1",
            "192.168.1.10".parse().unwrap_or_else(|_| panic!("bad")),
        )
        .data_path_port(port)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn requirements_match_docker_docs() {
        let ports = |rules: Vec<FirewallRule>| {
            rules
                .into_iter()
                .map(|r| (r.port, r.protocol))
                .collect::<Vec<_>>()
        };
        use FirewallProtocol::*;
        assert_eq!(
            ports(node(0).firewall_requirements(false)),
            vec![
                (Some(2377), Tcp),
                (Some(7946), Tcp),
                (Some(7946), Udp),
                (Some(4789), Udp)
            ]
        );
        assert_eq!(
            ports(node(7789).firewall_requirements(true)),
            vec![
                (Some(2377), Tcp),
                (Some(7946), Tcp),
                (Some(7946), Udp),
                (Some(7789), Udp),
                (None, Esp)
            ]
        );
    }

    #[test]
    fn nftables_text() {
        let text = render_nftables(&node(0).firewall_requirements(true));
        assert!(text.starts_with("table inet overlaynet {\n\tchain input {\n"));
        assert!(
            text.contains(
                "\t\ttcp dport 2377 accept comment \"swarm cluster management (raft)\"\n"
            )
        );
        assert!(text.contains("\t\tudp dport 7946 accept"));
        assert!(text.contains("\t\tudp dport 4789 accept comment \"overlay data path (VXLAN)\"\n"));
        assert!(text.contains("\t\tmeta l4proto esp accept"));
        assert!(!render_nftables(&node(0).firewall_requirements(false)).contains("esp"));
    }
}
