//! `docker run -p` values, exactly as the Docker CLI reads them: the long `k=v` form is first
//! rewritten to `published:target/protocol` (cli `convertToStandardNotation`), then parsed by
//! go-connections' `nat.ParsePortSpec`.
//!
//! Parsing only: binding host ports is a runtime's job.

use std::fmt;
use std::net::IpAddr;

use super::error::PublishError;
use super::golang;
use super::port::{PortRange, Protocol};

/// One container port of a `docker run -p` value and where it is bound on the host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunPortMapping {
    /// The container port.
    pub container_port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// Host address to bind; `None` is Docker's empty `HostIP` (all addresses).
    pub host_ip: Option<IpAddr>,
    /// Host port; `None` is Docker's empty `HostPort` (ephemeral). A range with more than one
    /// port only occurs for a single container port: it is the pool to pick the port from.
    pub host_port: Option<PortRange>,
}

impl fmt::Display for RunPortMapping {
    /// go-connections' `PortMapping.String`: `net.JoinHostPort(HostIP, HostPort+":"+Port)`,
    /// e.g. `127.0.0.1:8080:80/tcp`, `[::1]::80/udp`, `:8000-8010:80/tcp`. It parses back to
    /// the same mapping.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host_ip {
            Some(IpAddr::V6(ip)) => write!(f, "[{ip}]:")?,
            Some(IpAddr::V4(ip)) => write!(f, "{ip}:")?,
            None => f.write_str(":")?,
        }
        if let Some(range) = self.host_port {
            write!(f, "{range}")?;
        }
        write!(f, ":{}/{}", self.container_port, self.protocol)
    }
}

/// Parses one `docker run -p` value (short or long form) into one mapping per container port.
pub fn parse_run_port(value: &str) -> Result<Vec<RunPortMapping>, PublishError> {
    let standard = to_standard_notation(value)?;
    parse_port_spec(&standard)
}

/// cli `convertToStandardNotation`: a value containing `=` is `k=v,...` with default
/// `protocol=tcp`, rewritten as `published:target/protocol`. Keys are case-sensitive; unknown
/// keys (including `mode`) are ignored; missing ones become empty.
fn to_standard_notation(value: &str) -> Result<std::borrow::Cow<'_, str>, PublishError> {
    if !value.contains('=') {
        return Ok(value.into());
    }
    let (mut published, mut target, mut protocol) = ("", "", "tcp");
    for param in value.split(',') {
        match param.split_once('=') {
            Some(("", _)) => {
                return Err(PublishError::InvalidPublishOpts {
                    param: param.to_owned(),
                });
            }
            Some(("published", v)) => published = v,
            Some(("target", v)) => target = v,
            Some(("protocol", v)) => protocol = v,
            Some(_) => {}
            None => {
                return Err(PublishError::InvalidPublishOpts {
                    param: param.to_owned(),
                });
            }
        }
    }
    Ok(format!("{published}:{target}/{protocol}").into())
}

/// go-connections `nat.ParsePortSpec`.
pub(crate) fn parse_port_spec(raw: &str) -> Result<Vec<RunPortMapping>, PublishError> {
    let (ip, host_port, container) = split_parts(raw);
    // SplitProtoPort: cut at the first '/', default tcp; an empty port empties both.
    let (container_port, proto) = match container.split_once('/') {
        Some((port, proto)) => (port, if proto.is_empty() { "tcp" } else { proto }),
        None => (container.as_str(), "tcp"),
    };
    if container_port.is_empty() {
        return Err(PublishError::NoPortSpecified {
            raw: raw.to_owned(),
        });
    }
    let proto = golang::to_lower(proto);
    let protocol = Protocol::from_name(&proto).ok_or(PublishError::InvalidProto {
        proto: proto.clone(),
    })?;

    let mut ip = ip.as_str();
    if ip.starts_with('[') {
        ip = golang::strip_brackets(ip).map_err(|reason| PublishError::InvalidBracketedIp {
            ip: ip.to_owned(),
            reason,
        })?;
    }
    let host_ip = if ip.is_empty() {
        None
    } else {
        Some(
            ip.parse::<IpAddr>()
                .map_err(|_| PublishError::InvalidIp { ip: ip.to_owned() })?,
        )
    };

    let container_range =
        parse_port_range(container_port).ok_or_else(|| PublishError::InvalidContainerPort {
            port: container_port.to_owned(),
        })?;
    let host_range = if host_port.is_empty() {
        None
    } else {
        let range = parse_port_range(&host_port).ok_or_else(|| PublishError::InvalidHostPort {
            port: host_port.clone(),
        })?;
        // A host range of another length is only a pool for a single container port.
        if range.port_count() != container_range.port_count() && !container_range.is_single() {
            return Err(PublishError::InvalidRanges {
                container: container_port.to_owned(),
                host: host_port,
            });
        }
        Some(range)
    };

    Ok(container_range
        .iter()
        .enumerate()
        .map(|(i, container_port)| RunPortMapping {
            container_port,
            protocol,
            host_ip,
            host_port: host_range.map(|h| {
                if container_range.is_single() {
                    h
                } else {
                    // Equal lengths here, so this stays within the host range.
                    PortRange::single(h.start + i as u16)
                }
            }),
        })
        .collect())
}

/// nat `splitParts`: split on `:`; with more than three parts everything before the last two
/// is the IP (so bare IPv6 works: `::1:8080:80`).
fn split_parts(raw: &str) -> (String, String, String) {
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.as_slice() {
        [c] => (String::new(), String::new(), (*c).to_owned()),
        [h, c] => (String::new(), (*h).to_owned(), (*c).to_owned()),
        [ip, h, c] => ((*ip).to_owned(), (*h).to_owned(), (*c).to_owned()),
        _ => {
            let n = parts.len();
            (
                parts[..n - 2].join(":"),
                parts[n - 2].to_owned(),
                parts[n - 1].to_owned(),
            )
        }
    }
}

/// nat `parsePortRange`: `a` or `a-b` cut at the first `-`, each a port number 0–65535
/// (`+`/`-` signs allowed as Go's `ParseInt` allows them); `a-a` written identically skips
/// parsing the end; `b < a` is an error.
pub(crate) fn parse_port_range(ports: &str) -> Option<PortRange> {
    if ports.is_empty() {
        return None;
    }
    let (start, end) = match ports.split_once('-') {
        Some((start, end)) => (start, Some(end)),
        None => (ports, None),
    };
    let start_port = golang::parse_port_number(start)?;
    let end_port = match end {
        None => start_port,
        Some(end) if end == start => start_port,
        Some(end) => golang::parse_port_number(end)?,
    };
    (end_port >= start_port).then_some(PortRange {
        start: start_port,
        end: end_port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(spec: &str) -> Vec<String> {
        parse_run_port(spec)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .iter()
            .map(|m| {
                let ip = m.host_ip.map(|i| i.to_string()).unwrap_or_default();
                let hp = m.host_port.map(|h| h.to_string()).unwrap_or_default();
                format!("{}/{} -> {{{ip:?}, {hp:?}}}", m.container_port, m.protocol)
            })
            .collect()
    }

    fn err(spec: &str) -> String {
        parse_run_port(spec).expect_err(spec).to_string()
    }

    /// Golden cases: the results the Docker CLI and go-connections produce for these inputs.
    #[test]
    fn golden_rows() {
        assert_eq!(ok("80"), [r#"80/tcp -> {"", ""}"#]);
        assert_eq!(ok("8080:80"), [r#"80/tcp -> {"", "8080"}"#]);
        assert_eq!(
            ok("127.0.0.1:8080:80"),
            [r#"80/tcp -> {"127.0.0.1", "8080"}"#]
        );
        assert_eq!(ok("127.0.0.1::80"), [r#"80/tcp -> {"127.0.0.1", ""}"#]);
        assert_eq!(ok("[::1]:8080:80"), [r#"80/tcp -> {"::1", "8080"}"#]);
        assert_eq!(ok(":80"), [r#"80/tcp -> {"", ""}"#]);
        assert_eq!(ok("8080:80/udp"), [r#"80/udp -> {"", "8080"}"#]);
        assert_eq!(
            ok("8000-8002:80-82"),
            [
                r#"80/tcp -> {"", "8000"}"#,
                r#"81/tcp -> {"", "8001"}"#,
                r#"82/tcp -> {"", "8002"}"#
            ]
        );
        assert_eq!(
            ok("80-82"),
            [
                r#"80/tcp -> {"", ""}"#,
                r#"81/tcp -> {"", ""}"#,
                r#"82/tcp -> {"", ""}"#
            ]
        );
        assert_eq!(
            to_standard_notation("published=8080,target=80").unwrap(),
            "8080:80/tcp"
        );
        assert_eq!(
            ok("published=8080,target=80"),
            [r#"80/tcp -> {"", "8080"}"#]
        );
        assert_eq!(
            to_standard_notation("published=8080,target=80,protocol=udp").unwrap(),
            "8080:80/udp"
        );
        assert_eq!(
            ok("published=8080,target=80,protocol=udp"),
            [r#"80/udp -> {"", "8080"}"#]
        );
        assert_eq!(to_standard_notation("target=80").unwrap(), ":80/tcp");
        assert_eq!(ok("target=80"), [r#"80/tcp -> {"", ""}"#]);
        assert_eq!(
            err("8080:80-82"),
            "invalid ranges specified for container and host Ports: 80-82 and 8080"
        );
        assert_eq!(err("8080:80/icmp"), "invalid proto: icmp");
        assert_eq!(err("80/tcp/udp"), "invalid proto: tcp/udp");
        assert_eq!(err("70000:80"), "invalid hostPort: 70000");
        assert_eq!(err("abc:80"), "invalid hostPort: abc");
        assert_eq!(err("8080:"), "no port specified: 8080:<empty>");
        assert_eq!(err("1.2.3:8080:80"), "invalid IP address: 1.2.3");
        assert_eq!(
            err("published=8080,target"),
            "invalid publish opts format (should be name=value but got 'target')"
        );
    }

    #[test]
    fn tricky_cases() {
        // Bare IPv6: everything before the last two parts is the IP.
        assert_eq!(ok("::1:8080:80"), [r#"80/tcp -> {"::1", "8080"}"#]);
        // A host range for a single container port is kept as a pool.
        assert_eq!(ok("8000-8010:80"), [r#"80/tcp -> {"", "8000-8010"}"#]);
        // Protocol is case-insensitive, a trailing slash means tcp.
        assert_eq!(ok("80/UDP"), [r#"80/udp -> {"", ""}"#]);
        assert_eq!(ok("80/"), [r#"80/tcp -> {"", ""}"#]);
        // Go's ParseInt accepts a sign; `a-a` spelled identically is one port.
        assert_eq!(ok("+8080:80"), [r#"80/tcp -> {"", "8080"}"#]);
        assert_eq!(ok("80-80"), [r#"80/tcp -> {"", ""}"#]);
        // Empty brackets leave an empty host IP.
        assert_eq!(ok("[]:8080:80"), [r#"80/tcp -> {"", "8080"}"#]);
        // Long form: protocol= empty means tcp, unknown keys and mode are ignored.
        assert_eq!(
            ok("target=80,protocol=,mode=host,x=y"),
            [r#"80/tcp -> {"", ""}"#]
        );
        // Checks happen in go-connections' order: proto before IP before ports.
        assert_eq!(err("1.2.3:abc:80/icmp"), "invalid proto: icmp");
        assert_eq!(err("1.2.3:abc:80"), "invalid IP address: 1.2.3");
        assert_eq!(err("/tcp"), "no port specified: /tcp<empty>");
        assert_eq!(err("82-80"), "invalid containerPort: 82-80");
        assert_eq!(
            err("8000-8001:80-82"),
            "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"
        );
        assert_eq!(
            err("[::1:80:80"),
            "invalid IP address [::1: address [::1:: missing ']' in address"
        );
        assert_eq!(
            err("[fe80::1%eth0]:80:80"),
            "invalid IP address: fe80::1%eth0"
        );
        assert_eq!(
            err("=80"),
            "invalid publish opts format (should be name=value but got '=80')"
        );
    }

    #[test]
    fn display_reparses() {
        for spec in [
            "80",
            "[::1]::80/udp",
            "1.2.3.4:8000-8010:80/sctp",
            "8000-8002:80-82",
        ] {
            for m in parse_run_port(spec).unwrap() {
                assert_eq!(
                    parse_run_port(&m.to_string()).unwrap(),
                    std::slice::from_ref(&m),
                    "{m}"
                );
            }
        }
        let m = &parse_run_port("[::1]:8080:80").unwrap()[0];
        assert_eq!(m.to_string(), "[::1]:8080:80/tcp");
    }
}
