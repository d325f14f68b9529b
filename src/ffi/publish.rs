//! Port publishing values at the C boundary: both `-p` grammars (`docker run`, `docker service
//! create`), swarm port configs and their text forms, lists of port configs (names included)
//! and endpoint-spec validation. The C structs and enums of the publish functions live here;
//! the allocator, resolver and mesh rules are in `publish_allocator` and `publish_rules`.
//!
//! Argument decoding only: every rule about ports is `crate::publish`'s.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_array, in_str,
    into_handle, out_array, out_buf, out_param,
};
use super::convert::overlaynet_family;
use super::result::overlaynet_result;
use crate::publish::{
    EndpointMode, PortConfig, PortRange, Protocol, PublishMode, RunPortMapping, parse_run_port,
    parse_service_port, validate_endpoint_spec,
};

/// How a swarm service port is published (values of `uint32_t mode` in port configs).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_publish_mode {
    /// Through the routing mesh on every node (swarm's `ingress`, the default).
    Ingress = 0,
    /// Directly on the node running the task (swarm's `host`).
    Host = 1,
}

/// How clients reach a service's tasks (values of `uint32_t mode` endpoint arguments).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_endpoint_mode {
    /// A virtual IP, load-balanced to the tasks (`vip`, the default).
    Vip = 0,
    /// No VIP: the name resolves to the task addresses (`dnsrr`).
    Dnsrr = 1,
}

/// An IPv4 or IPv6 address.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_ip_address {
    /// `overlaynet_family`: `OVERLAYNET_FAMILY_IPV4` (4) or `OVERLAYNET_FAMILY_IPV6` (6).
    pub family: u32,
    /// The address in network byte order. IPv4 uses `bytes[0..4]`; the other bytes are zero
    /// on output and ignored on input.
    pub bytes: [u8; 16],
}

impl From<IpAddr> for overlaynet_ip_address {
    fn from(ip: IpAddr) -> Self {
        let mut bytes = [0; 16];
        let family = match ip {
            IpAddr::V4(v4) => {
                bytes[..4].copy_from_slice(&v4.octets());
                overlaynet_family::Ipv4
            }
            IpAddr::V6(v6) => {
                bytes = v6.octets();
                overlaynet_family::Ipv6
            }
        };
        overlaynet_ip_address {
            family: family as u32,
            bytes,
        }
    }
}

/// Borrows one struct argument passed by pointer; NULL fails naming it.
///
/// # Safety
/// `ptr` must be NULL or valid and aligned for a read of one `T` that stays unchanged for `'a`.
pub(crate) unsafe fn in_ref<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: forwarded contract; one element is within every length limit.
    let one = unsafe { in_array(ptr, 1, what) }?;
    Ok(&one[0])
}

/// Decodes an address argument (its family is checked like an enum argument).
pub(crate) fn ip_address(ip: &overlaynet_ip_address, what: &str) -> Result<IpAddr, Failure> {
    match ip.family {
        4 => {
            let [a, b, c, d, ..] = ip.bytes;
            Ok(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
        }
        6 => Ok(IpAddr::V6(Ipv6Addr::from(ip.bytes))),
        other => Err(Failure::with(
            overlaynet_result::InvalidEnum,
            format_args!("{what}: family {other} is not a defined value (4 or 6)"),
        )),
    }
}

/// Decodes an array of address arguments.
pub(crate) fn ip_addresses(
    ips: &[overlaynet_ip_address],
    what: &str,
) -> Result<Vec<IpAddr>, Failure> {
    ips.iter().map(|ip| ip_address(ip, what)).collect()
}

/// Decodes a `uint32_t` port protocol: `overlaynet_protocol` TCP (6), UDP (17) or SCTP (132).
pub(crate) fn port_protocol(value: u32) -> Result<Protocol, Failure> {
    match value {
        6 => Ok(Protocol::Tcp),
        17 => Ok(Protocol::Udp),
        132 => Ok(Protocol::Sctp),
        other => Err(Failure::with(
            overlaynet_result::InvalidEnum,
            format_args!("protocol: {other} is not a port protocol (TCP 6, UDP 17 or SCTP 132)"),
        )),
    }
}

/// The `overlaynet_protocol` value of a port protocol.
pub(crate) fn protocol_value(protocol: Protocol) -> u32 {
    match protocol {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
        Protocol::Sctp => 132,
    }
}

fn publish_mode(value: u32) -> Result<PublishMode, Failure> {
    super::boundary::in_enum(value, "mode", |v| match v {
        0 => Some(PublishMode::Ingress),
        1 => Some(PublishMode::Host),
        _ => None,
    })
}

/// Decodes a `uint32_t` [`overlaynet_endpoint_mode`] argument.
pub(crate) fn endpoint_mode(value: u32) -> Result<EndpointMode, Failure> {
    super::boundary::in_enum(value, "mode", |v| match v {
        0 => Some(EndpointMode::Vip),
        1 => Some(EndpointMode::Dnsrr),
        _ => None,
    })
}

/// One swarm service port (swarm's `PortConfig` without its name, which port lists carry).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_port_config {
    /// `overlaynet_protocol`: TCP (6), UDP (17) or SCTP (132).
    pub protocol: u32,
    /// Port inside the task container.
    pub target: u16,
    /// Published port; 0 asks the port allocator for one of the dynamic range.
    pub published: u16,
    /// `overlaynet_publish_mode`.
    pub mode: u32,
}

impl From<&PortConfig> for overlaynet_port_config {
    fn from(port: &PortConfig) -> Self {
        overlaynet_port_config {
            protocol: protocol_value(port.protocol),
            target: port.target,
            published: port.published,
            mode: port.mode as u32,
        }
    }
}

impl overlaynet_port_config {
    /// The Rust port config named `name`, with the enums checked.
    fn decode(&self, name: &str) -> Result<PortConfig, Failure> {
        Ok(PortConfig {
            name: name.to_owned(),
            protocol: port_protocol(self.protocol)?,
            target: self.target,
            published: self.published,
            mode: publish_mode(self.mode)?,
        })
    }
}

/// One container port of a `docker run -p` value and where it is bound on the host.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_run_port_mapping {
    /// The container port.
    pub container_port: u16,
    /// `overlaynet_protocol`: TCP (6), UDP (17) or SCTP (132).
    pub protocol: u32,
    /// False for Docker's empty `HostIP` (all addresses); then `host_ip` is all zero.
    pub has_host_ip: bool,
    /// The host address to bind.
    pub host_ip: overlaynet_ip_address,
    /// False for Docker's empty `HostPort` (an ephemeral port); then the range is 0-0.
    pub has_host_port: bool,
    /// First host port. A range of several ports only occurs for a single container port: it
    /// is the pool the host port is picked from.
    pub host_port_start: u16,
    /// Last host port (inclusive), at least `host_port_start`.
    pub host_port_end: u16,
}

impl From<&RunPortMapping> for overlaynet_run_port_mapping {
    fn from(m: &RunPortMapping) -> Self {
        let range = m.host_port.unwrap_or(PortRange::single(0));
        overlaynet_run_port_mapping {
            container_port: m.container_port,
            protocol: protocol_value(m.protocol),
            has_host_ip: m.host_ip.is_some(),
            host_ip: m.host_ip.map_or(
                overlaynet_ip_address {
                    family: 0,
                    bytes: [0; 16],
                },
                overlaynet_ip_address::from,
            ),
            has_host_port: m.host_port.is_some(),
            host_port_start: range.start,
            host_port_end: range.end,
        }
    }
}

impl overlaynet_run_port_mapping {
    fn decode(&self) -> Result<RunPortMapping, Failure> {
        let host_port = if self.has_host_port {
            if self.host_port_start > self.host_port_end {
                return Err(Failure::with(
                    overlaynet_result::InvalidInput,
                    format_args!(
                        "invalid host port range {}-{}: the start is after the end",
                        self.host_port_start, self.host_port_end
                    ),
                ));
            }
            Some(PortRange {
                start: self.host_port_start,
                end: self.host_port_end,
            })
        } else {
            None
        };
        Ok(RunPortMapping {
            container_port: self.container_port,
            protocol: port_protocol(self.protocol)?,
            host_ip: if self.has_host_ip {
                Some(ip_address(&self.host_ip, "host_ip")?)
            } else {
                None
            },
            host_port,
        })
    }
}

/// An opaque, ordered list of swarm port configs with their names: a service's endpoint spec,
/// or what the port allocator returns.
#[allow(non_camel_case_types)]
pub struct overlaynet_port_list {
    pub(crate) ports: Vec<PortConfig>,
}

impl overlaynet_port_list {
    /// Hands `ports` to C as a new list handle.
    pub(crate) fn new_handle(ports: Vec<PortConfig>) -> *mut overlaynet_port_list {
        into_handle(overlaynet_port_list { ports })
    }

    fn port(&self, index: usize) -> Result<&PortConfig, Failure> {
        self.ports.get(index).ok_or_else(|| {
            Failure::with(
                overlaynet_result::IndexOutOfRange,
                format_args!(
                    "port index {index} is out of range: the list has {} ports",
                    self.ports.len()
                ),
            )
        })
    }
}

/// Parses one `docker run -p` value (short `[ip:][hostPort:]containerPort[/proto]` or long
/// `published=,target=,protocol=` form, as the Docker CLI and go-connections do) into
/// `mappings[0..len]`, one per container port; `*out_n` gets the count. Errors carry Docker's
/// text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_run_port_parse(
    value: *const u8,
    value_len: usize,
    mappings: *mut overlaynet_run_port_mapping,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (value, out) = unsafe {
            (
                in_str(value, value_len, "value")?,
                out_array(mappings, len, out_n)?,
            )
        };
        let parsed: Vec<overlaynet_run_port_mapping> =
            parse_run_port(value)?.iter().map(Into::into).collect();
        out.write(&parsed)
    })
}

/// Copies a mapping in go-connections' `PortMapping.String` form (`127.0.0.1:8080:80/tcp`,
/// `[::1]::80/udp`), which parses back to the same mapping, into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_run_port_mapping_format(
    mapping: *const overlaynet_run_port_mapping,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (mapping, out) = unsafe { (in_ref(mapping, "mapping")?, out_buf(buf, len, out_n)?) };
        out.write(mapping.decode()?.to_string().as_bytes())
    })
}

/// Parses one `docker service create -p` value (short form, or the long CSV form
/// `published=,target=,protocol=,mode=`, as the Docker CLI's `PortOpt.Set`) into
/// `ports[0..len]`; `*out_n` gets the count. Published 0 is left for the allocator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_port_parse(
    value: *const u8,
    value_len: usize,
    ports: *mut overlaynet_port_config,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (value, out) = unsafe {
            (
                in_str(value, value_len, "value")?,
                out_array(ports, len, out_n)?,
            )
        };
        let parsed: Vec<overlaynet_port_config> =
            parse_service_port(value)?.iter().map(Into::into).collect();
        out.write(&parsed)
    })
}

/// Copies a port config in Docker's `PortOpt.String` form, `published:target/proto/mode`
/// (e.g. `8080:80/tcp/ingress`), into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_config_format(
    port: *const overlaynet_port_config,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (port, out) = unsafe { (in_ref(port, "port")?, out_buf(buf, len, out_n)?) };
        out.write(port.decode("")?.to_string().as_bytes())
    })
}

/// Copies a `docker service create -p` value that parses back to this port config into `buf`
/// (the short form for ingress ports, the long form for host ports).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_config_spec(
    port: *const overlaynet_port_config,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (port, out) = unsafe { (in_ref(port, "port")?, out_buf(buf, len, out_n)?) };
        out.write(port.decode("")?.to_spec().as_bytes())
    })
}

/// Creates an empty port list in `*out_list`; free it with `overlaynet_port_list_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_list_new(
    out_list: *mut *mut overlaynet_port_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_list, "out_list") }?;
        out.write(overlaynet_port_list::new_handle(Vec::new()));
        Ok(())
    })
}

/// Frees a port list. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_list_free(list: *mut overlaynet_port_list) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(list) });
}

/// Appends a copy of `*port` named `name` (`(NULL, 0)` for the unnamed ports the CLI makes).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_list_push(
    list: *mut overlaynet_port_list,
    port: *const overlaynet_port_config,
    name: *const u8,
    name_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (list, port, name) = unsafe {
            (
                handle_mut(list, "list")?,
                in_ref(port, "port")?,
                in_str(name, name_len, "name")?,
            )
        };
        list.ports.push(port.decode(name)?);
        Ok(())
    })
}

/// Stores the number of ports in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_list_count(
    list: *const overlaynet_port_list,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (list, out) = unsafe {
            (
                handle_ref(list, "list")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(list.ports.len());
        Ok(())
    })
}

/// Stores port `index` (0-based) in `*out_port`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_list_get(
    list: *const overlaynet_port_list,
    index: usize,
    out_port: *mut overlaynet_port_config,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (list, out) = unsafe { (handle_ref(list, "list")?, out_param(out_port, "out_port")?) };
        out.write(list.port(index)?.into());
        Ok(())
    })
}

/// Copies the name of port `index` (often empty) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_list_name(
    list: *const overlaynet_port_list,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (list, out) = unsafe { (handle_ref(list, "list")?, out_buf(buf, len, out_n)?) };
        out.write(list.port(index)?.name.as_bytes())
    })
}

/// Validates a service's ports as swarmkit's `validateEndpointSpec` (`mode` is an
/// `overlaynet_endpoint_mode`): ingress-mode ports are refused with DNS round robin, and a
/// published port may appear once per protocol. Failures are `OVERLAYNET_RESULT_INVALID_INPUT`
/// with Docker's text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_endpoint_spec_validate(
    mode: u32,
    ports: *const overlaynet_port_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let ports = unsafe { handle_ref(ports, "ports") }?;
        validate_endpoint_spec(endpoint_mode(mode)?, &ports.ports)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        super::super::boundary::with_last_error(str::to_owned)
    }

    #[test]
    fn service_ports_parse_and_format() {
        let value = "8000-8001:80-81/udp";
        let mut ports = [overlaynet_port_config {
            protocol: 0,
            target: 0,
            published: 0,
            mode: 9,
        }; 4];
        let mut n = 0;
        // SAFETY (whole test): pointers are live locals of the stated lengths.
        unsafe {
            let rc = overlaynet_service_port_parse(
                value.as_ptr(),
                value.len(),
                ports.as_mut_ptr(),
                ports.len(),
                &mut n,
            );
            assert_eq!((rc, n), (overlaynet_result::Ok, 2));
            assert_eq!(
                ports[1],
                overlaynet_port_config {
                    protocol: 17,
                    target: 81,
                    published: 8001,
                    mode: 0
                }
            );
            let mut buf = [0u8; 64];
            let rc = overlaynet_port_config_format(&ports[1], buf.as_mut_ptr(), buf.len(), &mut n);
            assert_eq!(rc, overlaynet_result::Ok);
            assert_eq!(&buf[..n], b"8001:81/udp/ingress");
            let host = overlaynet_port_config {
                mode: 1,
                ..ports[0]
            };
            let rc = overlaynet_port_config_spec(&host, buf.as_mut_ptr(), buf.len(), &mut n);
            assert_eq!(rc, overlaynet_result::Ok);
            assert_eq!(
                &buf[..n],
                b"published=8000,target=80,protocol=udp,mode=host"
            );

            let bad = "published=8080,target=80,mode=global";
            let rc = overlaynet_service_port_parse(
                bad.as_ptr(),
                bad.len(),
                ports.as_mut_ptr(),
                ports.len(),
                &mut n,
            );
            assert_eq!(rc, overlaynet_result::InvalidInput);
            assert_eq!(
                last_error(),
                "invalid publish mode value (global): must be either 'ingress' or 'host'"
            );
            let esp = overlaynet_port_config {
                protocol: 50,
                ..ports[0]
            };
            let rc = overlaynet_port_config_format(&esp, buf.as_mut_ptr(), buf.len(), &mut n);
            assert_eq!(rc, overlaynet_result::InvalidEnum);
        }
    }

    #[test]
    fn run_ports_round_trip_through_the_struct() {
        for value in [
            "[::1]:8080:80/udp",
            "127.0.0.1::80",
            "8000-8010:80/sctp",
            "0:80",
        ] {
            let mut mappings = [overlaynet_run_port_mapping::from(&RunPortMapping {
                container_port: 0,
                protocol: Protocol::Tcp,
                host_ip: None,
                host_port: None,
            }); 2];
            let (mut n, mut buf) = (0, [0u8; 64]);
            // SAFETY: pointers are live locals of the stated lengths.
            unsafe {
                let rc = overlaynet_run_port_parse(
                    value.as_ptr(),
                    value.len(),
                    mappings.as_mut_ptr(),
                    2,
                    &mut n,
                );
                assert_eq!((rc, n), (overlaynet_result::Ok, 1), "{value}");
                let rc =
                    overlaynet_run_port_mapping_format(&mappings[0], buf.as_mut_ptr(), 64, &mut n);
                assert_eq!(rc, overlaynet_result::Ok);
            }
            let text = std::str::from_utf8(&buf[..n]).unwrap();
            assert_eq!(
                mappings[0].decode().unwrap(),
                parse_run_port(text).unwrap()[0],
                "{value} -> {text}"
            );
        }
        let reversed = overlaynet_run_port_mapping {
            has_host_port: true,
            host_port_start: 9,
            host_port_end: 8,
            ..overlaynet_run_port_mapping::from(&parse_run_port("80").unwrap()[0])
        };
        assert_eq!(
            reversed.decode().unwrap_err().message,
            "invalid host port range 9-8: the start is after the end"
        );
    }

    #[test]
    fn addresses_and_enums_decode() {
        for text in ["10.1.2.3", "fd00::7"] {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(ip_address(&ip.into(), "ip"), Ok(ip));
        }
        let bad = overlaynet_ip_address {
            family: 5,
            bytes: [0; 16],
        };
        let err = ip_address(&bad, "vip").unwrap_err();
        assert_eq!(err.code, overlaynet_result::InvalidEnum);
        assert_eq!(err.message, "vip: family 5 is not a defined value (4 or 6)");
        for p in Protocol::ALL {
            assert_eq!(port_protocol(protocol_value(p)), Ok(p));
        }
        assert_eq!(
            port_protocol(50).unwrap_err().message,
            "protocol: 50 is not a port protocol (TCP 6, UDP 17 or SCTP 132)"
        );
        assert_eq!(endpoint_mode(1), Ok(EndpointMode::Dnsrr));
        assert!(endpoint_mode(2).is_err());
        assert!(publish_mode(2).is_err());
    }
}
