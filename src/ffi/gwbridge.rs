//! `overlaynet_gwbridge_builder` and `overlaynet_gwbridge_network`: the local
//! `docker_gwbridge` bridge network that gives overlay containers a default route.

use super::boundary::Failure;
use super::boundary::{
    free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_buf,
    out_param, update,
};
use super::convert::parse_net;
use super::ipam::overlaynet_ipam_config;
use super::options::overlaynet_options;
use super::result::overlaynet_result;
use crate::model::{GwBridgeNetwork, GwBridgeNetworkBuilder};

/// An opaque docker_gwbridge builder (Docker's defaults: bridge `docker_gwbridge`, icc off,
/// masquerade on).
#[allow(non_camel_case_types)]
pub struct overlaynet_gwbridge_builder {
    builder: GwBridgeNetworkBuilder,
}

/// An opaque, validated docker_gwbridge network.
#[allow(non_camel_case_types)]
pub struct overlaynet_gwbridge_network {
    pub(crate) network: GwBridgeNetwork,
}

/// Starts a docker_gwbridge spec with Docker's defaults in `*out_builder`; free it with
/// `overlaynet_gwbridge_builder_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_new(
    out_builder: *mut *mut overlaynet_gwbridge_builder,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_builder, "out_builder") }?;
        out.write(into_handle(overlaynet_gwbridge_builder {
            builder: GwBridgeNetwork::builder(),
        }));
        Ok(())
    })
}

/// Starts a docker_gwbridge spec from a Docker driver option map (the
/// `com.docker.network.bridge.*` keys, parsed as Docker's bridge driver does; other keys pass
/// through).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_from_options(
    options: *const overlaynet_options,
    out_builder: *mut *mut overlaynet_gwbridge_builder,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, out) = unsafe {
            (
                handle_ref(options, "options")?,
                out_param(out_builder, "out_builder")?,
            )
        };
        let builder = GwBridgeNetworkBuilder::from_docker_options(&options.map)?;
        out.write(into_handle(overlaynet_gwbridge_builder { builder }));
        Ok(())
    })
}

/// Frees a builder. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_free(
    builder: *mut overlaynet_gwbridge_builder,
) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(builder) });
}

/// Sets the network name (default "docker_gwbridge").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_name(
    builder: *mut overlaynet_gwbridge_builder,
    name: *const u8,
    name_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, name) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(name, name_len, "name")?,
            )
        };
        update(&mut b.builder, |b| b.name(name));
        Ok(())
    })
}

/// Sets the bridge device name (`com.docker.network.bridge.name`); checked by build.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_bridge_name(
    builder: *mut overlaynet_gwbridge_builder,
    name: *const u8,
    name_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, name) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(name, name_len, "bridge name")?,
            )
        };
        update(&mut b.builder, |b| b.bridge_name(name));
        Ok(())
    })
}

/// Sets `com.docker.network.bridge.enable_icc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_enable_icc(
    builder: *mut overlaynet_gwbridge_builder,
    enable: bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.enable_icc(enable));
        Ok(())
    })
}

/// Sets `com.docker.network.bridge.enable_ip_masquerade`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_enable_ip_masquerade(
    builder: *mut overlaynet_gwbridge_builder,
    enable: bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.enable_ip_masquerade(enable));
        Ok(())
    })
}

/// Sets the IPv4 subnet (default: from the local default pools).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_subnet(
    builder: *mut overlaynet_gwbridge_builder,
    subnet: *const u8,
    subnet_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, subnet) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(subnet, subnet_len, "subnet")?,
            )
        };
        let subnet = parse_net(subnet, "subnet")?;
        update(&mut b.builder, |b| b.subnet(subnet));
        Ok(())
    })
}

/// Sets the IPv4 IPAM config (a copy).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_ipam(
    builder: *mut overlaynet_gwbridge_builder,
    config: *const overlaynet_ipam_config,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, config) = unsafe {
            (
                handle_mut(builder, "builder")?,
                handle_ref(config, "config")?,
            )
        };
        update(&mut b.builder, |b| b.ipam(config.config.clone()));
        Ok(())
    })
}

/// Sets the MTU; checked by build.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_set_mtu(
    builder: *mut overlaynet_gwbridge_builder,
    mtu: u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.mtu(mtu));
        Ok(())
    })
}

/// Adds a network label.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_add_label(
    builder: *mut overlaynet_gwbridge_builder,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, key, value) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(key, key_len, "key")?,
                in_str(value, value_len, "value")?,
            )
        };
        update(&mut b.builder, |b| b.label(key, value));
        Ok(())
    })
}

/// Adds a driver option passed through uninterpreted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_add_driver_option(
    builder: *mut overlaynet_gwbridge_builder,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, key, value) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(key, key_len, "key")?,
                in_str(value, value_len, "value")?,
            )
        };
        update(&mut b.builder, |b| b.driver_option(key, value));
        Ok(())
    })
}

/// Validates and stores a new network in `*out_network`. The builder is not consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_builder_build(
    builder: *const overlaynet_gwbridge_builder,
    out_network: *mut *mut overlaynet_gwbridge_network,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, out) = unsafe {
            (
                handle_ref(builder, "builder")?,
                out_param(out_network, "out_network")?,
            )
        };
        let network = b.builder.clone().build()?;
        out.write(into_handle(overlaynet_gwbridge_network { network }));
        Ok(())
    })
}

/// Frees a network. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_network_free(
    network: *mut overlaynet_gwbridge_network,
) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(network) });
}

/// Copies the bridge device name into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_network_bridge_name(
    network: *const overlaynet_gwbridge_network,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(network, "network")?, out_buf(buf, len, out_n)?) };
        out.write(n.network.bridge_name().as_bytes())
    })
}

/// Copies the IPv4 subnet ("172.18.0.0/16") into `buf`; `OVERLAYNET_RESULT_NOT_FOUND` when
/// none was set (the local default pools decide).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_network_subnet(
    network: *const overlaynet_gwbridge_network,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(network, "network")?, out_buf(buf, len, out_n)?) };
        let subnet = n.network.subnet().ok_or_else(|| {
            Failure::new(
                overlaynet_result::NotFound,
                "the network has no explicit subnet",
            )
        })?;
        out.write(subnet.to_string().as_bytes())
    })
}

/// Copies the IPv4 gateway ("172.18.0.1") into `buf`; `OVERLAYNET_RESULT_NOT_FOUND` when no
/// subnet was set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_network_gateway(
    network: *const overlaynet_gwbridge_network,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(network, "network")?, out_buf(buf, len, out_n)?) };
        let gateway = n.network.gateway().ok_or_else(|| {
            Failure::new(
                overlaynet_result::NotFound,
                "the network has no explicit subnet",
            )
        })?;
        out.write(gateway.to_string().as_bytes())
    })
}

/// Stores the network's Docker driver option map (with the `com.docker.network.bridge.*`
/// keys) in a new `*out_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gwbridge_network_driver_options(
    network: *const overlaynet_gwbridge_network,
    out_options: *mut *mut overlaynet_options,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_options, "out_options")?,
            )
        };
        out.write(overlaynet_options::new_handle(n.network.driver_options()));
        Ok(())
    })
}
