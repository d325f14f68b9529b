//! `docker service create -p` values, exactly as the Docker CLI's `PortOpt.Set` reads them:
//! the long CSV form `published=,target=,protocol=,mode=` and the short form, which reuses
//! go-connections' `nat.ParsePortSpec` and expands host ranges.
//!
//! Parsing only: published port 0 is left for the allocator.

use super::error::PublishError;
use super::golang;
use super::port::{PortConfig, Protocol, PublishMode};
use super::run_spec::parse_port_spec;

/// Parses one `docker service create -p` value into the swarm ports it stands for.
///
/// Docker iterates a Go map here, so its order is random; ours is by container port, then
/// published port.
pub fn parse_service_port(value: &str) -> Result<Vec<PortConfig>, PublishError> {
    if is_long_syntax(value) {
        parse_long(value).map(|p| vec![p])
    } else {
        parse_short(value)
    }
}

/// The CLI's ``regexp.MatchString(`\w+=\w+(,\w+=\w+)*`, v)``. The match is unanchored and the
/// repetition may match zero times, so this is "some `=` has a word character on each side".
pub fn is_long_syntax(value: &str) -> bool {
    let b = value.as_bytes();
    (1..b.len().saturating_sub(1))
        .any(|i| b[i] == b'=' && golang::is_word_byte(b[i - 1]) && golang::is_word_byte(b[i + 1]))
}

fn parse_long(value: &str) -> Result<PortConfig, PublishError> {
    let fields = golang::read_csv_record(value).map_err(|message| PublishError::Csv { message })?;
    let mut port = PortConfig::ingress(Protocol::Tcp, 0, 0);
    for field in fields {
        // Docker lower-cases the whole field, key and value.
        let lowered = golang::to_lower(&field);
        let (key, val) = match lowered.split_once('=') {
            Some((key, val)) if !key.is_empty() => (key, val),
            _ => return Err(PublishError::InvalidField { field }),
        };
        match key {
            "protocol" => {
                port.protocol =
                    Protocol::from_name(val).ok_or_else(|| PublishError::InvalidProtocolValue {
                        value: val.to_owned(),
                    })?;
            }
            "mode" => {
                port.mode = match val {
                    "ingress" => PublishMode::Ingress,
                    "host" => PublishMode::Host,
                    _ => {
                        return Err(PublishError::InvalidPublishMode {
                            value: val.to_owned(),
                        });
                    }
                };
            }
            "target" => {
                port.target = golang::parse_uint16(val).map_err(|reason| {
                    PublishError::InvalidTargetPort {
                        value: val.to_owned(),
                        reason,
                    }
                })?;
            }
            "published" => {
                port.published = golang::parse_uint16(val).map_err(|reason| {
                    PublishError::InvalidPublishedPort {
                        value: val.to_owned(),
                        reason,
                    }
                })?;
            }
            _ => {
                return Err(PublishError::InvalidFieldKey {
                    key: key.to_owned(),
                });
            }
        }
    }
    if port.target == 0 {
        return Err(PublishError::MissingTarget);
    }
    Ok(port)
}

fn parse_short(value: &str) -> Result<Vec<PortConfig>, PublishError> {
    let mappings = parse_port_spec(value)?;
    if mappings.iter().any(|m| m.host_ip.is_some()) {
        return Err(PublishError::HostIpNotSupported);
    }
    let mut ports = Vec::new();
    for m in mappings {
        // No host port means published 0; a host range (single container port) expands to
        // one config per host port, all with the same target.
        match m.host_port {
            None => ports.push(PortConfig::ingress(m.protocol, 0, m.container_port)),
            Some(range) => ports.extend(
                range
                    .iter()
                    .map(|p| PortConfig::ingress(m.protocol, p, m.container_port)),
            ),
        }
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(spec: &str) -> Vec<String> {
        parse_service_port(spec)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn err(spec: &str) -> String {
        parse_service_port(spec).expect_err(spec).to_string()
    }

    /// Golden cases: the results the Docker CLI's `PortOpt.Set` produces for these inputs.
    #[test]
    fn golden_rows() {
        assert_eq!(ok("8080:80"), ["8080:80/tcp/ingress"]);
        assert_eq!(ok("80"), ["0:80/tcp/ingress"]);
        assert_eq!(ok("8080:80/udp"), ["8080:80/udp/ingress"]);
        assert_eq!(ok("8080:80/sctp"), ["8080:80/sctp/ingress"]);
        assert_eq!(
            ok("8000-8002:80-82"),
            [
                "8000:80/tcp/ingress",
                "8001:81/tcp/ingress",
                "8002:82/tcp/ingress"
            ]
        );
        assert_eq!(
            ok("8080-8081:80-81/udp"),
            ["8080:80/udp/ingress", "8081:81/udp/ingress"]
        );
        assert_eq!(err("127.0.0.1:8080:80"), "hostip is not supported");
        assert_eq!(ok("published=8080,target=80"), ["8080:80/tcp/ingress"]);
        assert_eq!(
            ok("published=8080,target=80,protocol=udp,mode=host"),
            ["8080:80/udp/host"]
        );
        assert_eq!(ok("target=80"), ["0:80/tcp/ingress"]);
        assert_eq!(err("published=8080"), "missing mandatory field 'target'");
        assert_eq!(
            err("published=8080,target=80,protocol=icmp"),
            "invalid protocol value 'icmp'"
        );
        assert_eq!(
            err("published=8080,target=80,mode=global"),
            "invalid publish mode value (global): must be either 'ingress' or 'host'"
        );
        assert_eq!(
            err("published=8080,target=80,foo=bar"),
            "invalid field key: foo"
        );
        assert_eq!(
            err("target=70000"),
            "invalid target port (70000): value must be an integer: value out of range"
        );
    }

    #[test]
    fn long_form_quirks() {
        // Keys and values are lower-cased; the last occurrence wins.
        assert_eq!(ok("TARGET=80,Protocol=UDP,MODE=Host"), ["0:80/udp/host"]);
        assert_eq!(ok("target=80,target=81"), ["0:81/tcp/ingress"]);
        assert_eq!(
            err("target=80,target=0"),
            "missing mandatory field 'target'"
        );
        // Unanchored detection: one `w=w` anywhere selects the long form.
        assert!(is_long_syntax("x,a=b"));
        assert!(!is_long_syntax("=80"));
        assert!(!is_long_syntax("a=,=b"));
        assert_eq!(err("80,a=b"), "invalid field: 80");
        assert_eq!(err("target=80,=1"), "invalid field: =1");
        assert_eq!(err("target=80,"), "invalid field: ");
        assert_eq!(
            err("target=8O"),
            "invalid target port (8o): value must be an integer: invalid syntax"
        );
        assert_eq!(
            err("target=80,published=-1"),
            "invalid published port (-1): value must be an integer: invalid syntax"
        );
        // CSV quoting and Go's csv errors.
        assert_eq!(
            err("\"target=80\",\"published=1,2\""),
            "invalid published port (1,2): value must be an integer: invalid syntax"
        );
        assert_eq!(
            err("target=80,pub\"lished=1"),
            "parse error on line 1, column 14: bare \" in non-quoted field"
        );
        assert_eq!(
            ok("target=80\nthis line is never read"),
            ["0:80/tcp/ingress"]
        );
    }

    #[test]
    fn short_form_quirks() {
        // A host range for one container port expands, all targeting it.
        assert_eq!(
            ok("8000-8002:80"),
            [
                "8000:80/tcp/ingress",
                "8001:80/tcp/ingress",
                "8002:80/tcp/ingress"
            ]
        );
        assert_eq!(err("[::]:80:80"), "hostip is not supported");
        // `=` without word characters on both sides keeps the short form.
        assert_eq!(err("=80"), "invalid containerPort: =80");
        assert_eq!(ok("0"), ["0:0/tcp/ingress"]);
    }

    #[test]
    fn canonical_form_reparses() {
        for spec in [
            "8080:80",
            "80/udp",
            "published=1,target=2,mode=host,protocol=sctp",
            "0",
        ] {
            for p in parse_service_port(spec).unwrap() {
                assert_eq!(
                    parse_service_port(&p.to_spec()).unwrap(),
                    std::slice::from_ref(&p),
                    "{p}"
                );
            }
        }
    }
}
