//! Arbitrary bytes through the publish part of the C ABI: fields separated by 0x00 (so they
//! may be invalid UTF-8) feed both `-p` parsers, the port list, endpoint validation, the port
//! allocator, the resolver and the mesh rules, and raw bytes become the `uint32_t` enums and
//! address families of the C structs. Every call must return a defined code other than
//! `OVERLAYNET_RESULT_PANIC`, a failure must leave a message, and what a parser returns must
//! format to text that parses back to it.
#![no_main]

use std::ptr::{null, null_mut};

use libfuzzer_sys::fuzz_target;
use overlaynet::ffi::last_error::overlaynet_last_error_message;
use overlaynet::ffi::overlaynet_result;
use overlaynet::ffi::publish::*;
use overlaynet::ffi::publish_allocator::*;
use overlaynet::ffi::publish_rules::*;

fn check(rc: overlaynet_result) -> bool {
    assert_ne!(rc, overlaynet_result::Panic, "a call panicked");
    if rc != overlaynet_result::Ok {
        let mut n = 0usize;
        // SAFETY: (NULL, 0) is a size query; `n` is a live local.
        unsafe { overlaynet_last_error_message(null_mut(), 0, &mut n) };
        assert!(n > 0, "failure {rc:?} without a message");
    }
    rc == overlaynet_result::Ok
}

/// Four bytes of `raw` at `at` as a little-endian `u32` (zero past the end).
fn word(raw: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, slot) in b.iter_mut().enumerate() {
        *slot = raw.get(at + i).copied().unwrap_or(0);
    }
    u32::from_le_bytes(b)
}

/// An address struct whose family and bytes come from `raw`.
fn address(raw: &[u8], at: usize) -> overlaynet_ip_address {
    let mut bytes = [0u8; 16];
    for (i, slot) in bytes.iter_mut().enumerate() {
        *slot = raw.get(at + 4 + i).copied().unwrap_or(0);
    }
    // Mostly valid families, sometimes anything.
    let family = match word(raw, at) % 5 {
        0 | 1 => 4,
        2 | 3 => 6,
        _ => word(raw, at),
    };
    overlaynet_ip_address { family, bytes }
}

fuzz_target!(|data: &[u8]| {
    // At most six fields, so the last (raw bytes) may contain 0x00.
    let mut fields = data.splitn(6, |&b| b == 0);
    let mut next = || fields.next().unwrap_or(&[]);
    let (run, service, name, query, subnet, raw) = (next(), next(), next(), next(), next(), next());

    // SAFETY (whole block): every (ptr, len) comes from a live slice; arrays are live locals
    // with their true lengths; handles come from the matching `_new` calls or successful
    // calls that return them, and each is freed exactly once.
    unsafe {
        let mut buf = [0u8; 512];
        let mut n = 0usize;

        // docker run -p: every mapping formats to text that parses back to it.
        let mut mappings = [overlaynet_run_port_mapping {
            container_port: 0,
            protocol: 0,
            has_host_ip: false,
            host_ip: address(&[], 0),
            has_host_port: false,
            host_port_start: 0,
            host_port_end: 0,
        }; 8];
        if check(overlaynet_run_port_parse(
            run.as_ptr(),
            run.len(),
            mappings.as_mut_ptr(),
            mappings.len(),
            &mut n,
        )) {
            for m in &mappings[..n] {
                let mut text_n = 0;
                assert!(check(overlaynet_run_port_mapping_format(
                    m,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut text_n
                )));
                let mut back = mappings;
                let mut back_n = 0;
                assert!(check(overlaynet_run_port_parse(
                    buf.as_ptr(),
                    text_n,
                    back.as_mut_ptr(),
                    back.len(),
                    &mut back_n
                )));
                assert_eq!(&back[..back_n], std::slice::from_ref(m));
            }
        }

        // docker service create -p into a list, validated, allocated.
        let mut ports = [overlaynet_port_config {
            protocol: 0,
            target: 0,
            published: 0,
            mode: 0,
        }; 16];
        let mut list = null_mut();
        assert!(check(overlaynet_port_list_new(&mut list)));
        let mut count = 0;
        if check(overlaynet_service_port_parse(
            service.as_ptr(),
            service.len(),
            ports.as_mut_ptr(),
            ports.len(),
            &mut count,
        )) {
            for p in &ports[..count] {
                assert!(check(overlaynet_port_config_format(
                    p,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut n
                )));
                assert!(check(overlaynet_port_config_spec(
                    p,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut n
                )));
                let pushed = check(overlaynet_port_list_push(
                    list,
                    p,
                    name.as_ptr(),
                    name.len(),
                ));
                assert!(pushed || std::str::from_utf8(name).is_err());
            }
        }
        // A port config from raw bytes: any enum values.
        let arbitrary = overlaynet_port_config {
            protocol: word(raw, 0),
            target: word(raw, 4) as u16,
            published: (word(raw, 4) >> 16) as u16,
            mode: word(raw, 8) % 3,
        };
        check(overlaynet_port_config_format(
            &arbitrary,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        check(overlaynet_port_list_push(list, &arbitrary, null(), 0));
        check(overlaynet_endpoint_spec_validate(word(raw, 12) % 3, list));

        let mut allocator = null_mut();
        assert!(check(overlaynet_port_allocator_new(&mut allocator)));
        let mut allocated = null_mut();
        if check(overlaynet_port_allocator_allocate(
            allocator,
            name.as_ptr(),
            name.len(),
            list,
            &mut allocated,
        )) {
            overlaynet_port_list_free(allocated);
        }
        check(overlaynet_port_allocator_owner(
            allocator,
            arbitrary.protocol,
            arbitrary.published,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        check(overlaynet_port_allocator_release(
            allocator,
            name.as_ptr(),
            name.len(),
            null_mut(),
        ));
        overlaynet_port_allocator_free(allocator);
        overlaynet_port_list_free(list);

        // Resolver: a service with tasks from raw bytes, then the query.
        let mut resolver = null_mut();
        assert!(check(overlaynet_service_resolver_new(
            u64::from(word(raw, 16)),
            &mut resolver
        )));
        let vip = address(raw, 20);
        check(overlaynet_service_resolver_set_service(
            resolver,
            name.as_ptr(),
            name.len(),
            word(raw, 40) % 3,
            &vip,
        ));
        let tasks = [address(raw, 44), address(raw, 64), address(raw, 84)];
        check(overlaynet_service_resolver_set_tasks(
            resolver,
            name.as_ptr(),
            name.len(),
            tasks.as_ptr(),
            (word(raw, 104) % 4) as usize,
        ));
        let mut answer = [address(&[], 0); 4];
        check(overlaynet_service_resolver_resolve(
            resolver,
            query.as_ptr(),
            query.len(),
            answer.as_mut_ptr(),
            (word(raw, 108) % 5) as usize,
            &mut n,
        ));
        overlaynet_service_resolver_free(resolver);

        // Mesh rules: gateway named by a field, ports and SNAT from the other fields.
        let mut rules = null_mut();
        assert!(check(overlaynet_mesh_rules_new(&mut rules)));
        let mut tx = null_mut();
        if check(overlaynet_mesh_rules_set_gateway(
            rules,
            &vip,
            null(),
            query.as_ptr(),
            query.len(),
            &mut tx,
        )) {
            overlaynet_mesh_transaction_free(tx);
        }
        for (protocol, port) in [
            (arbitrary.protocol, arbitrary.published),
            (6, arbitrary.target),
        ] {
            if check(overlaynet_mesh_rules_add_ingress_port(
                rules, protocol, port, &mut tx,
            )) {
                overlaynet_mesh_transaction_free(tx);
            }
        }
        if check(overlaynet_mesh_rules_add_snat(
            rules,
            subnet.as_ptr(),
            subnet.len(),
            &tasks[0],
            &mut tx,
        )) {
            overlaynet_mesh_transaction_free(tx);
        }
        let lb_ports = [overlaynet_published_port {
            protocol: arbitrary.protocol,
            port: arbitrary.target,
        }];
        if check(overlaynet_mesh_rules_upsert_load_balancer(
            rules,
            word(raw, 112),
            &vip,
            1,
            lb_ports.as_ptr(),
            1,
            tasks.as_ptr(),
            3,
            &mut tx,
        )) {
            overlaynet_mesh_transaction_free(tx);
        }
        assert!(check(overlaynet_mesh_rules_full_load(rules, &mut tx)));
        assert!(check(overlaynet_mesh_transaction_text(tx, null_mut(), 0, &mut n)) || n > 0);
        overlaynet_mesh_transaction_free(tx);
        overlaynet_mesh_rules_free(rules);
    }
});
