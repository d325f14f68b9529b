//! Arbitrary bytes through the C ABI's `(ptr, len)` inputs: fields separated by 0x00 (so they
//! may be invalid UTF-8) feed the string arguments of builders, option maps, parsers and the
//! cluster. Every call must return a defined result code other than
//! `OVERLAYNET_RESULT_PANIC`, and a failure must leave a message.
#![no_main]

use std::ptr::null_mut;

use libfuzzer_sys::fuzz_target;
use overlaynet::ffi::cluster::*;
use overlaynet::ffi::last_error::overlaynet_last_error_message;
use overlaynet::ffi::mtu::overlaynet_mtu_parse_option;
use overlaynet::ffi::node::*;
use overlaynet::ffi::options::*;
use overlaynet::ffi::overlay::*;
use overlaynet::ffi::overlaynet_result;
use overlaynet::ffi::vni::overlaynet_vni_list_parse;

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

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == 0);
    let mut next = || fields.next().unwrap_or(&[]);
    let (name, subnet, key, value, vnis, mtu, address, pools) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    );
    let s = |f: &[u8]| (f.as_ptr(), f.len());

    // SAFETY (whole block): every (ptr, len) comes from a live slice of `data`; handles come
    // from the matching `_new`/`_build` calls and are freed once at the end; out-parameters
    // are live locals.
    unsafe {
        let mut out = [0u32; 16];
        let mut n = 0usize;
        let mut value_mtu = 0u32;
        check(overlaynet_vni_list_parse(
            s(vnis).0,
            s(vnis).1,
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        ));
        check(overlaynet_mtu_parse_option(
            s(mtu).0,
            s(mtu).1,
            &mut value_mtu,
        ));

        let mut options = null_mut();
        assert!(check(overlaynet_options_new(&mut options)));
        check(overlaynet_options_set(
            options,
            s(key).0,
            s(key).1,
            s(value).0,
            s(value).1,
        ));
        let mtu_key = b"com.docker.network.driver.mtu";
        check(overlaynet_options_set(
            options,
            mtu_key.as_ptr(),
            mtu_key.len(),
            s(mtu).0,
            s(mtu).1,
        ));
        let list_key = b"com.docker.network.driver.overlay.vxlanid_list";
        check(overlaynet_options_set(
            options,
            list_key.as_ptr(),
            list_key.len(),
            s(vnis).0,
            s(vnis).1,
        ));

        let mut builder = null_mut();
        if !check(overlaynet_overlay_builder_from_options(
            s(name).0,
            s(name).1,
            options,
            &mut builder,
        )) {
            check(overlaynet_overlay_builder_new(
                s(name).0,
                s(name).1,
                &mut builder,
            ));
        }
        check(overlaynet_overlay_builder_add_subnet(
            builder,
            s(subnet).0,
            s(subnet).1,
        ));
        check(overlaynet_overlay_builder_add_label(
            builder,
            s(key).0,
            s(key).1,
            s(value).0,
            s(value).1,
        ));
        let mut network = null_mut();
        check(overlaynet_overlay_builder_build(builder, &mut network));

        let mut pool_handle = null_mut();
        check(overlaynet_address_pools_new(
            s(pools).0,
            s(pools).1,
            value_mtu % 40,
            &mut pool_handle,
        ));
        let mut cluster = null_mut();
        assert!(check(overlaynet_cluster_new(pool_handle, &mut cluster)));
        if check(overlaynet_cluster_create_overlay(cluster, network)) {
            let mut endpoint = std::mem::zeroed();
            check(overlaynet_cluster_allocate_endpoint(
                cluster,
                s(name).0,
                s(name).1,
                &mut endpoint,
            ));
            check(overlaynet_cluster_allocate_endpoint_address(
                cluster,
                s(name).0,
                s(name).1,
                s(address).0,
                s(address).1,
                &mut endpoint,
            ));
            check(overlaynet_cluster_release_endpoint(
                cluster,
                s(name).0,
                s(name).1,
                s(address).0,
                s(address).1,
            ));
            check(overlaynet_cluster_remove_network(
                cluster,
                s(name).0,
                s(name).1,
            ));
        }

        let mut node_builder = null_mut();
        if check(overlaynet_node_builder_new(
            s(name).0,
            s(name).1,
            s(address).0,
            s(address).1,
            &mut node_builder,
        )) {
            check(overlaynet_node_builder_set_listen_addr(
                node_builder,
                s(subnet).0,
                s(subnet).1,
            ));
            let mut node = null_mut();
            if check(overlaynet_node_builder_build(node_builder, &mut node)) {
                check(overlaynet_cluster_add_node(cluster, node));
                overlaynet_node_config_free(node);
            }
            overlaynet_node_builder_free(node_builder);
        }

        overlaynet_cluster_free(cluster);
        overlaynet_address_pools_free(pool_handle);
        overlaynet_overlay_network_free(network);
        overlaynet_overlay_builder_free(builder);
        overlaynet_options_free(options);
    }
});
