//! `overlaynet_overlay_builder` and `overlaynet_overlay_network`: building a validated overlay
//! network spec (`docker network create -d overlay`), from typed settings or from Docker's
//! driver option map, and reading it back.

use super::boundary::{
    free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_buf,
    out_param, update,
};
use super::convert::{self, overlaynet_encryption, parse_net};
use super::ipam::overlaynet_ipam_config;
use super::options::overlaynet_options;
use super::result::overlaynet_result;
use crate::model::{OverlayNetwork, OverlayNetworkBuilder};

/// An opaque overlay network builder. Setters only record; `overlaynet_overlay_builder_build`
/// validates.
#[allow(non_camel_case_types)]
pub struct overlaynet_overlay_builder {
    builder: OverlayNetworkBuilder,
}

/// An opaque, validated overlay network spec.
#[allow(non_camel_case_types)]
pub struct overlaynet_overlay_network {
    pub(crate) network: OverlayNetwork,
}

/// Starts a spec for the overlay network `name` in `*out_builder`; free it with
/// `overlaynet_overlay_builder_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_new(
    name: *const u8,
    name_len: usize,
    out_builder: *mut *mut overlaynet_overlay_builder,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (name, out) = unsafe {
            (
                in_str(name, name_len, "name")?,
                out_param(out_builder, "out_builder")?,
            )
        };
        out.write(into_handle(overlaynet_overlay_builder {
            builder: OverlayNetwork::builder(name),
        }));
        Ok(())
    })
}

/// Starts a spec for `name` from a Docker driver option map: `encrypted`,
/// `com.docker.network.driver.mtu` and `com.docker.network.driver.overlay.vxlanid_list` are
/// parsed with Docker's rules and texts (`encrypted` gives the Docker-compatible profile);
/// every other key is passed through.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_from_options(
    name: *const u8,
    name_len: usize,
    options: *const overlaynet_options,
    out_builder: *mut *mut overlaynet_overlay_builder,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (name, options, out) = unsafe {
            (
                in_str(name, name_len, "name")?,
                handle_ref(options, "options")?,
                out_param(out_builder, "out_builder")?,
            )
        };
        let builder = OverlayNetworkBuilder::from_docker_options(name, &options.map)?;
        out.write(into_handle(overlaynet_overlay_builder { builder }));
        Ok(())
    })
}

/// Frees a builder. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_free(builder: *mut overlaynet_overlay_builder) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(builder) });
}

/// Adds a subnet ("10.0.1.0/24", or IPv6) with nothing pinned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_add_subnet(
    builder: *mut overlaynet_overlay_builder,
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

/// Adds a copy of an IPAM config; its subnet's family decides IPv4 or IPv6.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_add_ipam(
    builder: *mut overlaynet_overlay_builder,
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

/// Allows standalone containers to attach (`--attachable`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_set_attachable(
    builder: *mut overlaynet_overlay_builder,
    attachable: bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.attachable(attachable));
        Ok(())
    })
}

/// No external connectivity (`--internal`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_set_internal(
    builder: *mut overlaynet_overlay_builder,
    internal: bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.internal(internal));
        Ok(())
    })
}

/// Chooses the encryption profile (`overlaynet_encryption`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_set_encryption(
    builder: *mut overlaynet_overlay_builder,
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

/// Sets the MTU option (`com.docker.network.driver.mtu`); checked (576..=65535) by build.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_set_mtu(
    builder: *mut overlaynet_overlay_builder,
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
pub unsafe extern "C" fn overlaynet_overlay_builder_add_label(
    builder: *mut overlaynet_overlay_builder,
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

/// Sets explicit VNIs (`vnis[0..count]`), one per IPv4 subnet in order; checked by build.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_set_vnis(
    builder: *mut overlaynet_overlay_builder,
    vnis: *const u32,
    count: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, vnis) = unsafe {
            (
                handle_mut(builder, "builder")?,
                super::boundary::in_array(vnis, count, "vnis")?,
            )
        };
        update(&mut b.builder, |b| b.vnis(vnis.iter().copied()));
        Ok(())
    })
}

/// Adds a driver option passed through uninterpreted (e.g. `dsr`); keys that have a typed
/// setter are refused by build.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_add_driver_option(
    builder: *mut overlaynet_overlay_builder,
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

/// Validates the spec and stores a new network handle in `*out_network` (free it with
/// `overlaynet_overlay_network_free`). The builder is not consumed: it stays valid, may be
/// built again and must still be freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_builder_build(
    builder: *const overlaynet_overlay_builder,
    out_network: *mut *mut overlaynet_overlay_network,
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
        out.write(into_handle(overlaynet_overlay_network { network }));
        Ok(())
    })
}

/// Frees a network spec. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_free(network: *mut overlaynet_overlay_network) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(network) });
}

/// Copies the network name into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_name(
    network: *const overlaynet_overlay_network,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(network, "network")?, out_buf(buf, len, out_n)?) };
        out.write(n.network.name().as_bytes())
    })
}

/// Stores the encryption profile (`overlaynet_encryption`) in `*out_encryption`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_encryption(
    network: *const overlaynet_overlay_network,
    out_encryption: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_encryption, "out_encryption")?,
            )
        };
        out.write(overlaynet_encryption::from(n.network.encryption()) as u32);
        Ok(())
    })
}

/// Stores whether standalone containers may attach (`--attachable`) in `*out_attachable`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_attachable(
    network: *const overlaynet_overlay_network,
    out_attachable: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_attachable, "out_attachable")?,
            )
        };
        out.write(n.network.is_attachable());
        Ok(())
    })
}

/// Stores whether this is the ingress (routing mesh) network in `*out_ingress`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_ingress(
    network: *const overlaynet_overlay_network,
    out_ingress: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_ingress, "out_ingress")?,
            )
        };
        out.write(n.network.is_ingress());
        Ok(())
    })
}

/// Stores whether the network is internal (`--internal`) in `*out_internal`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_internal(
    network: *const overlaynet_overlay_network,
    out_internal: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_internal, "out_internal")?,
            )
        };
        out.write(n.network.is_internal());
        Ok(())
    })
}

/// Stores the MTU option in `*out_mtu` (0 when unset, i.e. Docker's 1500).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_mtu(
    network: *const overlaynet_overlay_network,
    out_mtu: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_mtu, "out_mtu")?,
            )
        };
        out.write(n.network.mtu().unwrap_or(0));
        Ok(())
    })
}

/// Stores the network labels in a new `*out_labels` (an option map handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_labels(
    network: *const overlaynet_overlay_network,
    out_labels: *mut *mut overlaynet_options,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(network, "network")?,
                out_param(out_labels, "out_labels")?,
            )
        };
        out.write(overlaynet_options::new_handle(n.network.labels().clone()));
        Ok(())
    })
}

/// Stores the spec's Docker driver option map (the round trip of
/// `overlaynet_overlay_builder_from_options`; no `vxlanid_list` unless VNIs were explicit) in
/// a new `*out_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_overlay_network_driver_options(
    network: *const overlaynet_overlay_network,
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
