//! `overlaynet_port_allocator` (swarmkit's cluster-wide ingress port allocator) and
//! `overlaynet_service_resolver` (the name table behind a network's embedded DNS, VIP and
//! DNS round robin, with a seedable shuffle).
//!
//! Argument decoding only: allocation and resolution rules are `crate::publish`'s.

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_array, in_str,
    into_handle, out_array, out_buf, out_param,
};
use super::publish::{
    endpoint_mode, ip_address, ip_addresses, overlaynet_ip_address, overlaynet_port_list,
    port_protocol,
};
use super::result::overlaynet_result;
use crate::publish::{PortAllocator, ServiceResolver};

/// First port of the dynamic range published port 0 is allocated from (swarmkit's
/// `dynamicPortStart`).
pub const OVERLAYNET_DYNAMIC_PORT_START: u16 = 30000;
/// Last port of the dynamic range (swarmkit's `dynamicPortEnd`).
pub const OVERLAYNET_DYNAMIC_PORT_END: u16 = 32767;
const _: () = assert!(
    OVERLAYNET_DYNAMIC_PORT_START == crate::publish::DYNAMIC_PORT_START
        && OVERLAYNET_DYNAMIC_PORT_END == crate::publish::DYNAMIC_PORT_END
);

/// An opaque ingress port allocator for a cluster.
#[allow(non_camel_case_types)]
pub struct overlaynet_port_allocator {
    allocator: PortAllocator,
}

/// An opaque service name table of one network, with its own shuffle generator.
#[allow(non_camel_case_types)]
pub struct overlaynet_service_resolver {
    resolver: ServiceResolver,
}

/// Creates an allocator with every port free in `*out_allocator`; free it with
/// `overlaynet_port_allocator_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_allocator_new(
    out_allocator: *mut *mut overlaynet_port_allocator,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_allocator, "out_allocator") }?;
        out.write(into_handle(overlaynet_port_allocator {
            allocator: PortAllocator::new(),
        }));
        Ok(())
    })
}

/// Frees a port allocator. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_allocator_free(allocator: *mut overlaynet_port_allocator) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(allocator) });
}

/// Allocates (or re-allocates, on a service update) the ingress ports of `service` from its
/// endpoint spec `spec` and stores its ports, published ports filled in and in spec order, in
/// a new `*out_ports` (free it with `overlaynet_port_list_free`). Published 0 takes the next
/// free port of 30000-32767 and keeps it across updates; host-mode ports are not allocated.
/// A port held by another service is `OVERLAYNET_RESULT_CONFLICT`, a full dynamic range
/// `OVERLAYNET_RESULT_EXHAUSTED`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_allocator_allocate(
    allocator: *mut overlaynet_port_allocator,
    service: *const u8,
    service_len: usize,
    spec: *const overlaynet_port_list,
    out_ports: *mut *mut overlaynet_port_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (a, service, spec, out) = unsafe {
            (
                handle_mut(allocator, "allocator")?,
                in_str(service, service_len, "service")?,
                handle_ref(spec, "spec")?,
                out_param(out_ports, "out_ports")?,
            )
        };
        let ports = a.allocator.allocate(service, &spec.ports)?;
        out.write(overlaynet_port_list::new_handle(ports));
        Ok(())
    })
}

/// Frees every port of `service`; `*out_released` says whether it had an allocation.
/// `out_released` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_allocator_release(
    allocator: *mut overlaynet_port_allocator,
    service: *const u8,
    service_len: usize,
    out_released: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract; `out_released` may be NULL.
        let (a, service, out) = unsafe {
            (
                handle_mut(allocator, "allocator")?,
                in_str(service, service_len, "service")?,
                out_released.as_mut(),
            )
        };
        let released = a.allocator.release(service);
        if let Some(out) = out {
            *out = released;
        }
        Ok(())
    })
}

/// Copies the name of the service holding published port `port` for `protocol`
/// (`overlaynet_protocol`: TCP, UDP or SCTP) into `buf`; `OVERLAYNET_RESULT_NOT_FOUND` when
/// the port is free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_allocator_owner(
    allocator: *const overlaynet_port_allocator,
    protocol: u32,
    port: u16,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (a, out) = unsafe {
            (
                handle_ref(allocator, "allocator")?,
                out_buf(buf, len, out_n)?,
            )
        };
        let protocol = port_protocol(protocol)?;
        let owner = a.allocator.owner(protocol, port).ok_or_else(|| {
            Failure::with(
                overlaynet_result::NotFound,
                format_args!("port {port}/{protocol} is not allocated"),
            )
        })?;
        out.write(owner.as_bytes())
    })
}

/// Stores the ports last allocated to `service` in a new `*out_ports` (free it with
/// `overlaynet_port_list_free`); `OVERLAYNET_RESULT_NOT_FOUND` when it has none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_port_allocator_ports(
    allocator: *const overlaynet_port_allocator,
    service: *const u8,
    service_len: usize,
    out_ports: *mut *mut overlaynet_port_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (a, service, out) = unsafe {
            (
                handle_ref(allocator, "allocator")?,
                in_str(service, service_len, "service")?,
                out_param(out_ports, "out_ports")?,
            )
        };
        let ports = a.allocator.ports(service).ok_or_else(|| {
            Failure::with(
                overlaynet_result::NotFound,
                format_args!("service {service:?} has no allocated ports"),
            )
        })?;
        out.write(overlaynet_port_list::new_handle(ports));
        Ok(())
    })
}

/// Creates an empty service name table in `*out_resolver` whose answer shuffles are
/// determined by `seed` (equal seeds and calls give equal answers); free it with
/// `overlaynet_service_resolver_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_resolver_new(
    seed: u64,
    out_resolver: *mut *mut overlaynet_service_resolver,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_resolver, "out_resolver") }?;
        out.write(into_handle(overlaynet_service_resolver {
            resolver: ServiceResolver::with_seed(seed),
        }));
        Ok(())
    })
}

/// Frees a service resolver. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_resolver_free(
    resolver: *mut overlaynet_service_resolver,
) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(resolver) });
}

/// Adds or replaces service `name` (case-insensitive, a trailing dot ignored) with endpoint
/// mode `mode` (`overlaynet_endpoint_mode`) and, in VIP mode, its VIP on this network (`vip`
/// may be NULL; a DNSRR service ignores it). Its task addresses are kept.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_resolver_set_service(
    resolver: *mut overlaynet_service_resolver,
    name: *const u8,
    name_len: usize,
    mode: u32,
    vip: *const overlaynet_ip_address,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract; `vip` may be NULL.
        let (r, name, vip) = unsafe {
            (
                handle_mut(resolver, "resolver")?,
                in_str(name, name_len, "name")?,
                vip.as_ref(),
            )
        };
        let mode = endpoint_mode(mode)?;
        let vip = vip.map(|vip| ip_address(vip, "vip")).transpose()?;
        r.resolver.set_service(name, mode, vip);
        Ok(())
    })
}

/// Replaces the task addresses of service `name` with `tasks[0..count]` (adding the service
/// in VIP mode without a VIP if it is unknown).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_resolver_set_tasks(
    resolver: *mut overlaynet_service_resolver,
    name: *const u8,
    name_len: usize,
    tasks: *const overlaynet_ip_address,
    count: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, name, tasks) = unsafe {
            (
                handle_mut(resolver, "resolver")?,
                in_str(name, name_len, "name")?,
                in_array(tasks, count, "tasks")?,
            )
        };
        let tasks = ip_addresses(tasks, "tasks")?;
        r.resolver.set_tasks(name, &tasks);
        Ok(())
    })
}

/// Forgets service `name`; `*out_removed` says whether it was known. `out_removed` may be
/// NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_resolver_remove_service(
    resolver: *mut overlaynet_service_resolver,
    name: *const u8,
    name_len: usize,
    out_removed: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract; `out_removed` may be NULL.
        let (r, name, out) = unsafe {
            (
                handle_mut(resolver, "resolver")?,
                in_str(name, name_len, "name")?,
                out_removed.as_mut(),
            )
        };
        let removed = r.resolver.remove_service(name);
        if let Some(out) = out {
            *out = removed;
        }
        Ok(())
    })
}

/// Resolves `query` into `addrs[0..len]` and their number into `*out_n`: the VIP of a
/// VIP-mode service, the shuffled task addresses of a DNSRR service or of `tasks.<name>`.
/// An unknown name (NXDOMAIN) is `OVERLAYNET_RESULT_NOT_FOUND`; a known one may have no
/// address yet (`*out_n` 0). A too-small array gives `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`
/// and the count without drawing a shuffle, so the retry gets the answer the first call
/// would have.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_service_resolver_resolve(
    resolver: *mut overlaynet_service_resolver,
    query: *const u8,
    query_len: usize,
    addrs: *mut overlaynet_ip_address,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, query, out) = unsafe {
            (
                handle_mut(resolver, "resolver")?,
                in_str(query, query_len, "query")?,
                out_array(addrs, len, out_n)?,
            )
        };
        let not_found = || {
            Failure::with(
                overlaynet_result::NotFound,
                format_args!("no service answers for {query:?} (NXDOMAIN)"),
            )
        };
        let needed = r.resolver.answer_len(query).ok_or_else(not_found)?;
        if needed > len {
            // Report the size without resolving, so the generator does not advance: `write`
            // of `needed` placeholders into the too-small array fails with exactly that count.
            let placeholder = overlaynet_ip_address {
                family: 0,
                bytes: [0; 16],
            };
            return out.write(&vec![placeholder; needed]);
        }
        let answer: Vec<overlaynet_ip_address> = r
            .resolver
            .resolve(query)
            .ok_or_else(not_found)?
            .into_iter()
            .map(Into::into)
            .collect();
        out.write(&answer)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::publish::{overlaynet_port_config, overlaynet_port_list_free};

    fn addr(text: &str) -> overlaynet_ip_address {
        text.parse::<std::net::IpAddr>().unwrap().into()
    }

    #[test]
    fn a_too_small_answer_buffer_does_not_advance_the_shuffle() {
        let tasks: Vec<_> = ["10.0.0.3", "10.0.0.4", "10.0.0.5", "fd00::5"]
            .iter()
            .map(|t| addr(t))
            .collect();
        let mut answers = Vec::new();
        for probe_first in [false, true] {
            let mut r = std::ptr::null_mut();
            let mut out = [addr("0.0.0.0"); 4];
            let mut n = 0;
            // SAFETY: pointers are live locals of the stated lengths; the handle is freed.
            unsafe {
                assert_eq!(
                    overlaynet_service_resolver_new(3, &mut r),
                    overlaynet_result::Ok
                );
                let name = "db";
                let rc = overlaynet_service_resolver_set_service(
                    r,
                    name.as_ptr(),
                    2,
                    1,
                    std::ptr::null(),
                );
                assert_eq!(rc, overlaynet_result::Ok);
                let rc =
                    overlaynet_service_resolver_set_tasks(r, name.as_ptr(), 2, tasks.as_ptr(), 4);
                assert_eq!(rc, overlaynet_result::Ok);
                if probe_first {
                    let rc = overlaynet_service_resolver_resolve(
                        r,
                        name.as_ptr(),
                        2,
                        out.as_mut_ptr(),
                        3,
                        &mut n,
                    );
                    assert_eq!((rc, n), (overlaynet_result::BufferTooSmall, 4));
                }
                let rc = overlaynet_service_resolver_resolve(
                    r,
                    name.as_ptr(),
                    2,
                    out.as_mut_ptr(),
                    4,
                    &mut n,
                );
                assert_eq!((rc, n), (overlaynet_result::Ok, 4));
                overlaynet_service_resolver_free(r);
            }
            answers.push(out);
        }
        assert_eq!(answers[0], answers[1]);
    }

    #[test]
    fn allocation_through_lists() {
        // SAFETY: every pointer is a live local or a handle freed at the end.
        unsafe {
            let (mut a, mut spec, mut ports) = (
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            assert_eq!(overlaynet_port_allocator_new(&mut a), overlaynet_result::Ok);
            assert_eq!(
                crate::ffi::publish::overlaynet_port_list_new(&mut spec),
                overlaynet_result::Ok
            );
            let port = overlaynet_port_config {
                protocol: 6,
                target: 80,
                published: 0,
                mode: 0,
            };
            let rc =
                crate::ffi::publish::overlaynet_port_list_push(spec, &port, b"http".as_ptr(), 4);
            assert_eq!(rc, overlaynet_result::Ok);
            let rc = overlaynet_port_allocator_allocate(a, b"web".as_ptr(), 3, spec, &mut ports);
            assert_eq!(rc, overlaynet_result::Ok);
            let allocated = &(&*ports).ports[0];
            assert_eq!(
                (allocated.published, allocated.name.as_str()),
                (30000, "http")
            );
            let (mut buf, mut n) = ([0u8; 8], 0);
            let rc = overlaynet_port_allocator_owner(a, 6, 30000, buf.as_mut_ptr(), 8, &mut n);
            assert_eq!((rc, &buf[..n]), (overlaynet_result::Ok, &b"web"[..]));
            let rc = overlaynet_port_allocator_owner(a, 17, 30000, buf.as_mut_ptr(), 8, &mut n);
            assert_eq!(rc, overlaynet_result::NotFound);
            let mut released = false;
            let rc = overlaynet_port_allocator_release(a, b"web".as_ptr(), 3, &mut released);
            assert_eq!((rc, released), (overlaynet_result::Ok, true));
            overlaynet_port_list_free(ports);
            overlaynet_port_list_free(spec);
            overlaynet_port_allocator_free(a);
        }
    }
}
