//! `overlaynet_mesh_rules` (the routing-mesh rules of one network namespace, as nftables
//! table `inet overlaynet`) and `overlaynet_mesh_transaction` (one `nft -f` script: a full
//! load or the smallest incremental change).
//!
//! Argument decoding only: what the rules are and how changes are computed is
//! `crate::publish::rules`'. Nothing here runs `nft`.

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_array, in_str,
    into_handle, out_buf, out_param,
};
use super::convert::parse_net;
use super::publish::{in_ref, ip_address, ip_addresses, overlaynet_ip_address, port_protocol};
use super::result::overlaynet_result;
use crate::publish::rules::{
    HostPort, IngressGateway, LoadBalancer, MeshRules, TaskRedirects, Transaction,
};

/// An opaque set of mesh rules for one network namespace.
#[allow(non_camel_case_types)]
pub struct overlaynet_mesh_rules {
    rules: MeshRules,
}

/// An opaque nftables transaction: a script `nft -f` applies atomically.
#[allow(non_camel_case_types)]
pub struct overlaynet_mesh_transaction {
    transaction: Transaction,
}

/// A published port of a load balancer.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_published_port {
    /// `overlaynet_protocol`: TCP (6), UDP (17) or SCTP (132).
    pub protocol: u32,
    /// The published port.
    pub port: u16,
}

/// A task container's redirect of a published port to its target port.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_port_redirect {
    /// `overlaynet_protocol`: TCP (6), UDP (17) or SCTP (132).
    pub protocol: u32,
    /// The published port.
    pub published: u16,
    /// The port inside the container.
    pub target: u16,
}

/// Runs a mutation whose out-parameter was already checked and hands its transaction to C.
fn emit(
    out: super::boundary::Out<'_, *mut overlaynet_mesh_transaction>,
    transaction: Transaction,
) -> Result<(), Failure> {
    out.write(into_handle(overlaynet_mesh_transaction { transaction }));
    Ok(())
}

/// Creates empty mesh rules in `*out_rules`; free them with `overlaynet_mesh_rules_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_new(
    out_rules: *mut *mut overlaynet_mesh_rules,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_rules, "out_rules") }?;
        out.write(into_handle(overlaynet_mesh_rules {
            rules: MeshRules::new(),
        }));
        Ok(())
    })
}

/// Frees mesh rules. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_free(rules: *mut overlaynet_mesh_rules) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(rules) });
}

/// Stores an independent copy of `rules` in a new `*out_rules` (e.g. the old state for
/// `overlaynet_mesh_rules_transition_from`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_clone(
    rules: *const overlaynet_mesh_rules,
    out_rules: *mut *mut overlaynet_mesh_rules,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_ref(rules, "rules")?,
                out_param(out_rules, "out_rules")?,
            )
        };
        out.write(into_handle(overlaynet_mesh_rules {
            rules: r.rules.clone(),
        }));
        Ok(())
    })
}

/// Makes this namespace a routing-mesh host: published ingress ports are DNATed to the
/// ingress sandbox's docker_gwbridge address `sandbox_v4` and/or `sandbox_v6` (either may be
/// NULL, not both; each must be of its family), and local sources leaving through interface
/// `gwbridge` are masqueraded. The base chains change, so `*out_transaction` is a full load.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_set_gateway(
    rules: *mut overlaynet_mesh_rules,
    sandbox_v4: *const overlaynet_ip_address,
    sandbox_v6: *const overlaynet_ip_address,
    gwbridge: *const u8,
    gwbridge_len: usize,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract; the addresses may be NULL.
        let (r, v4, v6, gwbridge, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                sandbox_v4.as_ref(),
                sandbox_v6.as_ref(),
                in_str(gwbridge, gwbridge_len, "gwbridge")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let wrong_family = |what: &str, want: &str| {
            Failure::with(
                overlaynet_result::InvalidInput,
                format_args!("{what} must be an {want} address"),
            )
        };
        let sandbox_v4 = match v4.map(|ip| ip_address(ip, "sandbox_v4")).transpose()? {
            None => None,
            Some(std::net::IpAddr::V4(ip)) => Some(ip),
            Some(_) => return Err(wrong_family("sandbox_v4", "IPv4")),
        };
        let sandbox_v6 = match v6.map(|ip| ip_address(ip, "sandbox_v6")).transpose()? {
            None => None,
            Some(std::net::IpAddr::V6(ip)) => Some(ip),
            Some(_) => return Err(wrong_family("sandbox_v6", "IPv6")),
        };
        let gateway = IngressGateway {
            sandbox_v4,
            sandbox_v6,
            gwbridge: gwbridge.to_owned(),
        };
        emit(out, r.rules.set_gateway(Some(gateway))?)
    })
}

/// Stops being a routing-mesh host (a full load without the host rules).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_clear_gateway(
    rules: *mut overlaynet_mesh_rules,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        emit(out, r.rules.set_gateway(None)?)
    })
}

/// Publishes ingress port `port` for `protocol` (`overlaynet_protocol`: TCP, UDP or SCTP) on
/// this host; publishing it again only counts a reference (empty transaction). A port routed
/// by something else here is `OVERLAYNET_RESULT_CONFLICT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_add_ingress_port(
    rules: *mut overlaynet_mesh_rules,
    protocol: u32,
    port: u16,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        emit(
            out,
            r.rules.add_ingress_port(port_protocol(protocol)?, port)?,
        )
    })
}

/// Drops one reference to an ingress port; the rules go with the last one. An unknown port
/// gives an empty transaction.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_remove_ingress_port(
    rules: *mut overlaynet_mesh_rules,
    protocol: u32,
    port: u16,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let protocol = port_protocol(protocol)?;
        emit(out, r.rules.remove_ingress_port(protocol, port))
    })
}

/// Publishes a host-mode port: `host_port` DNATed to `*container`, port `target`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_add_host_port(
    rules: *mut overlaynet_mesh_rules,
    protocol: u32,
    host_port: u16,
    container: *const overlaynet_ip_address,
    target: u16,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, container, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                in_ref(container, "container")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let binding = HostPort {
            protocol: port_protocol(protocol)?,
            host_port,
            container: ip_address(container, "container")?,
            target,
        };
        emit(out, r.rules.add_host_port(binding)?)
    })
}

/// Removes a host-mode port (an unknown one gives an empty transaction).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_remove_host_port(
    rules: *mut overlaynet_mesh_rules,
    protocol: u32,
    host_port: u16,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let protocol = port_protocol(protocol)?;
        emit(out, r.rules.remove_host_port(protocol, host_port))
    })
}

/// Adds or replaces the load balancer `fwmark` (chain `svc-<fwmark>`): traffic to any of
/// `ports[0..port_count]` or `vips[0..vip_count]` is spread over
/// `backends[0..backend_count]`. A port or VIP of another load balancer is
/// `OVERLAYNET_RESULT_CONFLICT`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // flat arrays keep the arguments free of pointers to pointers
pub unsafe extern "C" fn overlaynet_mesh_rules_upsert_load_balancer(
    rules: *mut overlaynet_mesh_rules,
    fwmark: u32,
    vips: *const overlaynet_ip_address,
    vip_count: usize,
    ports: *const overlaynet_published_port,
    port_count: usize,
    backends: *const overlaynet_ip_address,
    backend_count: usize,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, vips, ports, backends, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                in_array(vips, vip_count, "vips")?,
                in_array(ports, port_count, "ports")?,
                in_array(backends, backend_count, "backends")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let lb = LoadBalancer {
            fwmark,
            vips: ip_addresses(vips, "vips")?,
            ports: ports
                .iter()
                .map(|p| Ok((port_protocol(p.protocol)?, p.port)))
                .collect::<Result<_, Failure>>()?,
            backends: ip_addresses(backends, "backends")?,
        };
        emit(out, r.rules.upsert_load_balancer(lb)?)
    })
}

/// Replaces the backends of load balancer `fwmark` with `backends[0..count]` (one chain
/// flush and refill); an unknown `fwmark` is `OVERLAYNET_RESULT_NOT_FOUND`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_set_backends(
    rules: *mut overlaynet_mesh_rules,
    fwmark: u32,
    backends: *const overlaynet_ip_address,
    count: usize,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, backends, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                in_array(backends, count, "backends")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let backends = ip_addresses(backends, "backends")?;
        emit(out, r.rules.set_backends(fwmark, &backends)?)
    })
}

/// Removes load balancer `fwmark` and its chain (an unknown one gives an empty transaction).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_remove_load_balancer(
    rules: *mut overlaynet_mesh_rules,
    fwmark: u32,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        emit(out, r.rules.remove_load_balancer(fwmark))
    })
}

/// Source-NATs load-balanced traffic towards `subnet` (a prefix, e.g. `10.0.0.0/24`) to
/// `*source` (the sandbox's address on that overlay, same family). Overlapping subnets are
/// `OVERLAYNET_RESULT_CONFLICT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_add_snat(
    rules: *mut overlaynet_mesh_rules,
    subnet: *const u8,
    subnet_len: usize,
    source: *const overlaynet_ip_address,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, subnet, source, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                in_str(subnet, subnet_len, "subnet")?,
                in_ref(source, "source")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let subnet = parse_net(subnet, "subnet")?;
        let source = ip_address(source, "source")?;
        emit(out, r.rules.add_snat(subnet, source)?)
    })
}

/// Stops source-NATing towards `subnet` (an unknown one gives an empty transaction).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_remove_snat(
    rules: *mut overlaynet_mesh_rules,
    subnet: *const u8,
    subnet_len: usize,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, subnet, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                in_str(subnet, subnet_len, "subnet")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let subnet = parse_net(subnet, "subnet")?;
        emit(out, r.rules.remove_snat(subnet))
    })
}

/// Replaces this namespace's task-container redirects (Docker's `addRedirectRules`): traffic
/// to `addrs[0..addr_count]` on a published port goes to its target port, everything else to
/// those addresses is dropped. A published port redirected to two targets is
/// `OVERLAYNET_RESULT_CONFLICT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_set_task_redirects(
    rules: *mut overlaynet_mesh_rules,
    addrs: *const overlaynet_ip_address,
    addr_count: usize,
    redirects: *const overlaynet_port_redirect,
    redirect_count: usize,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, addrs, redirects, out) = unsafe {
            (
                handle_mut(rules, "rules")?,
                in_array(addrs, addr_count, "addrs")?,
                in_array(redirects, redirect_count, "redirects")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        let task = TaskRedirects {
            addrs: ip_addresses(addrs, "addrs")?,
            ports: redirects
                .iter()
                .map(|p| Ok((port_protocol(p.protocol)?, p.published, p.target)))
                .collect::<Result<_, Failure>>()?,
        };
        emit(out, r.rules.set_task_redirects(task)?)
    })
}

/// Stores the whole table as one idempotent transaction in a new `*out_transaction`: `add
/// table`, `delete table`, then table `inet overlaynet` with every set, map and chain.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_full_load(
    rules: *const overlaynet_mesh_rules,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_ref(rules, "rules")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        emit(out, r.rules.full_load())
    })
}

/// Stores the transaction that turns a kernel holding `old`'s rules into one holding
/// `rules`' in a new `*out_transaction`: element and chain operations, or a full load when
/// the gateways differ.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_transition_from(
    rules: *const overlaynet_mesh_rules,
    old: *const overlaynet_mesh_rules,
    out_transaction: *mut *mut overlaynet_mesh_transaction,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, old, out) = unsafe {
            (
                handle_ref(rules, "rules")?,
                handle_ref(old, "old")?,
                out_param(out_transaction, "out_transaction")?,
            )
        };
        emit(out, r.rules.transition_from(&old.rules))
    })
}

/// Stores the number of load balancers in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_rules_load_balancer_count(
    rules: *const overlaynet_mesh_rules,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_ref(rules, "rules")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(r.rules.load_balancer_count());
        Ok(())
    })
}

/// Frees a transaction. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_transaction_free(
    transaction: *mut overlaynet_mesh_transaction,
) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(transaction) });
}

/// Copies the script for `nft -f` (each command followed by a newline; empty when nothing
/// changes) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_transaction_text(
    transaction: *const overlaynet_mesh_transaction,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transaction, "transaction")?,
                out_buf(buf, len, out_n)?,
            )
        };
        out.write(t.transaction.to_string().as_bytes())
    })
}

/// Stores whether the transaction is empty (nothing to apply) in `*out_empty`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_transaction_is_empty(
    transaction: *const overlaynet_mesh_transaction,
    out_empty: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transaction, "transaction")?,
                out_param(out_empty, "out_empty")?,
            )
        };
        out.write(t.transaction.is_empty());
        Ok(())
    })
}

/// Stores the number of commands in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_transaction_command_count(
    transaction: *const overlaynet_mesh_transaction,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transaction, "transaction")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(t.transaction.commands().len());
        Ok(())
    })
}

/// Copies command `index` (0-based; no trailing newline, a full load's table block spans
/// lines) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mesh_transaction_command(
    transaction: *const overlaynet_mesh_transaction,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transaction, "transaction")?,
                out_buf(buf, len, out_n)?,
            )
        };
        let commands = t.transaction.commands();
        let command = commands.get(index).ok_or_else(|| {
            Failure::with(
                overlaynet_result::IndexOutOfRange,
                format_args!(
                    "command index {index} is out of range: the transaction has {} commands",
                    commands.len()
                ),
            )
        })?;
        out.write(command.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> overlaynet_ip_address {
        text.parse::<std::net::IpAddr>().unwrap().into()
    }

    /// Takes a transaction handle's text and frees it.
    fn text(t: *mut overlaynet_mesh_transaction) -> String {
        let mut n = 0;
        // SAFETY: `t` is a live handle from a successful call; it is freed once here.
        unsafe {
            let rc = overlaynet_mesh_transaction_text(t, std::ptr::null_mut(), 0, &mut n);
            assert!(
                (rc == overlaynet_result::Ok && n == 0) || rc == overlaynet_result::BufferTooSmall
            );
            let mut buf = vec![0u8; n];
            assert_eq!(
                overlaynet_mesh_transaction_text(t, buf.as_mut_ptr(), n, &mut n),
                overlaynet_result::Ok
            );
            overlaynet_mesh_transaction_free(t);
            String::from_utf8(buf).unwrap()
        }
    }

    #[test]
    fn mutations_return_the_rust_transactions() {
        let mut expected = MeshRules::new();
        // SAFETY (whole test): pointers are live locals or handles freed at the end.
        unsafe {
            let (mut r, mut t) = (std::ptr::null_mut(), std::ptr::null_mut());
            assert_eq!(overlaynet_mesh_rules_new(&mut r), overlaynet_result::Ok);
            let v4 = addr("172.18.0.2");
            let rc = overlaynet_mesh_rules_set_gateway(
                r,
                &v4,
                std::ptr::null(),
                b"docker_gwbridge".as_ptr(),
                15,
                &mut t,
            );
            assert_eq!(rc, overlaynet_result::Ok);
            let gw = IngressGateway {
                sandbox_v4: Some("172.18.0.2".parse().unwrap()),
                sandbox_v6: None,
                gwbridge: "docker_gwbridge".into(),
            };
            assert_eq!(text(t), expected.set_gateway(Some(gw)).unwrap().to_string());

            let mut old = std::ptr::null_mut();
            assert_eq!(
                overlaynet_mesh_rules_clone(r, &mut old),
                overlaynet_result::Ok
            );
            let rc = overlaynet_mesh_rules_add_ingress_port(r, 6, 8080, &mut t);
            assert_eq!(rc, overlaynet_result::Ok);
            let added = text(t);
            assert_eq!(
                added,
                expected
                    .add_ingress_port(crate::publish::Protocol::Tcp, 8080)
                    .unwrap()
                    .to_string()
            );
            assert!(added.contains("tcp . 8080"), "{added}");
            assert_eq!(
                overlaynet_mesh_rules_transition_from(r, old, &mut t),
                overlaynet_result::Ok
            );
            assert_eq!(text(t), added);

            // A conflict fails, writes no transaction and changes nothing.
            let container = addr("172.18.0.7");
            t = std::ptr::null_mut();
            let rc = overlaynet_mesh_rules_add_host_port(r, 6, 8080, &container, 80, &mut t);
            assert_eq!((rc, t.is_null()), (overlaynet_result::Conflict, true));
            assert_eq!(
                overlaynet_mesh_rules_full_load(r, &mut t),
                overlaynet_result::Ok
            );
            assert_eq!(text(t), expected.full_load().to_string());

            // The gateway must be of its family.
            let rc = overlaynet_mesh_rules_set_gateway(
                r,
                &addr("fd00::2"),
                std::ptr::null(),
                b"gw".as_ptr(),
                2,
                &mut t,
            );
            assert_eq!(rc, overlaynet_result::InvalidInput);
            overlaynet_mesh_rules_free(old);
            overlaynet_mesh_rules_free(r);
        }
    }
}
