//! `overlaynet_ingress_builder` and `overlaynet_ingress_network`: the routing-mesh network
//! (`docker network create --ingress`), which a cluster holds at most once.

use super::boundary::{
    free_handle, guard, guard_value, handle_mut, handle_ref, in_array, in_str, into_handle,
    out_param, update,
};
use super::convert::{self, parse_net};
use super::ipam::overlaynet_ipam_config;
use super::options::overlaynet_options;
use super::overlay::overlaynet_overlay_network;
use super::result::overlaynet_result;
use crate::model::{IngressNetwork, IngressNetworkBuilder};

/// An opaque ingress network builder (name defaults to "ingress").
#[allow(non_camel_case_types)]
pub struct overlaynet_ingress_builder {
    builder: IngressNetworkBuilder,
}

/// An opaque, validated ingress network spec.
#[allow(non_camel_case_types)]
pub struct overlaynet_ingress_network {
    pub(crate) network: IngressNetwork,
}

/// Starts an ingress network spec (named "ingress") in `*out_builder`; free it with
/// `overlaynet_ingress_builder_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_new(
    out_builder: *mut *mut overlaynet_ingress_builder,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_builder, "out_builder") }?;
        out.write(into_handle(overlaynet_ingress_builder {
            builder: IngressNetwork::builder(),
        }));
        Ok(())
    })
}

/// Frees a builder. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_free(builder: *mut overlaynet_ingress_builder) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(builder) });
}

/// Renames the network (default "ingress").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_set_name(
    builder: *mut overlaynet_ingress_builder,
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

/// Adds a subnet with nothing pinned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_add_subnet(
    builder: *mut overlaynet_ingress_builder,
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

/// Adds a copy of an IPAM config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_add_ipam(
    builder: *mut overlaynet_ingress_builder,
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

/// Records `--attachable`; build refuses it for ingress, as swarmkit does.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_set_attachable(
    builder: *mut overlaynet_ingress_builder,
    attachable: bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.attachable(attachable));
        Ok(())
    })
}

/// Chooses the encryption profile (`overlaynet_encryption`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_set_encryption(
    builder: *mut overlaynet_ingress_builder,
    encryption: u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        let encryption = convert::encryption(encryption)?;
        update(&mut b.builder, |b| b.encryption(encryption));
        Ok(())
    })
}

/// Sets the MTU option; checked by build.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_set_mtu(
    builder: *mut overlaynet_ingress_builder,
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
pub unsafe extern "C" fn overlaynet_ingress_builder_add_label(
    builder: *mut overlaynet_ingress_builder,
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

/// Sets explicit VNIs (`vnis[0..count]`), one per IPv4 subnet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_set_vnis(
    builder: *mut overlaynet_ingress_builder,
    vnis: *const u32,
    count: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, vnis) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_array(vnis, count, "vnis")?,
            )
        };
        update(&mut b.builder, |b| b.vnis(vnis.iter().copied()));
        Ok(())
    })
}

/// Adds a driver option passed through uninterpreted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_add_driver_option(
    builder: *mut overlaynet_ingress_builder,
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

/// Validates and stores a new ingress network in `*out_network`. The builder is not consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_builder_build(
    builder: *const overlaynet_ingress_builder,
    out_network: *mut *mut overlaynet_ingress_network,
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
        out.write(into_handle(overlaynet_ingress_network { network }));
        Ok(())
    })
}

/// Frees an ingress network. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_network_free(network: *mut overlaynet_ingress_network) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(network) });
}

/// Stores a copy of the ingress network as an overlay network spec in `*out_network` (to read
/// it with the `overlaynet_overlay_network_*` functions); free that with
/// `overlaynet_overlay_network_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_network_overlay(
    network: *const overlaynet_ingress_network,
    out_network: *mut *mut overlaynet_overlay_network,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_network, "out_network")?,
            )
        };
        out.write(into_handle(overlaynet_overlay_network {
            network: n.network.as_overlay().clone(),
        }));
        Ok(())
    })
}

/// Stores the ingress network's Docker driver option map in a new `*out_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ingress_network_driver_options(
    network: *const overlaynet_ingress_network,
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
