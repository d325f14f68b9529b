//! `overlaynet_ipam_config`: one IPAM config (subnet, ip-range, gateway, auxiliary addresses)
//! to hand to the network builders, which copy it.

use super::boundary::{
    free_handle, guard, guard_value, handle_mut, in_str, into_handle, out_param, update,
};
use super::convert::{parse_ip, parse_net};
use super::result::overlaynet_result;
use crate::model::IpamConfig;

/// An opaque IPAM config. Validation happens when a network using it is built.
#[allow(non_camel_case_types)]
pub struct overlaynet_ipam_config {
    pub(crate) config: IpamConfig,
}

/// Creates an IPAM config for `subnet` (e.g. "10.0.1.0/24" or "fd00:1::/64") in
/// `*out_config`; free it with `overlaynet_ipam_config_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipam_config_new(
    subnet: *const u8,
    subnet_len: usize,
    out_config: *mut *mut overlaynet_ipam_config,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (subnet, out) = unsafe {
            (
                in_str(subnet, subnet_len, "subnet")?,
                out_param(out_config, "out_config")?,
            )
        };
        let config = IpamConfig::new(parse_net(subnet, "subnet")?);
        out.write(into_handle(overlaynet_ipam_config { config }));
        Ok(())
    })
}

/// Frees an IPAM config. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipam_config_free(config: *mut overlaynet_ipam_config) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(config) });
}

/// Restricts endpoint addresses to `range` (`--ip-range`, a prefix inside the subnet).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipam_config_set_ip_range(
    config: *mut overlaynet_ipam_config,
    range: *const u8,
    range_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (config, range) = unsafe {
            (
                handle_mut(config, "config")?,
                in_str(range, range_len, "ip-range")?,
            )
        };
        let range = parse_net(range, "ip-range")?;
        update(&mut config.config, |c| c.ip_range(range));
        Ok(())
    })
}

/// Pins the gateway address (`--gateway`); default: the first address of the subnet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipam_config_set_gateway(
    config: *mut overlaynet_ipam_config,
    gateway: *const u8,
    gateway_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (config, gateway) = unsafe {
            (
                handle_mut(config, "config")?,
                in_str(gateway, gateway_len, "gateway")?,
            )
        };
        let gateway = parse_ip(gateway, "gateway")?;
        update(&mut config.config, |c| c.gateway(gateway));
        Ok(())
    })
}

/// Reserves `address` under `name` (`--aux-address name=address`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipam_config_add_aux_address(
    config: *mut overlaynet_ipam_config,
    name: *const u8,
    name_len: usize,
    address: *const u8,
    address_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (config, name, address) = unsafe {
            (
                handle_mut(config, "config")?,
                in_str(name, name_len, "name")?,
                in_str(address, address_len, "address")?,
            )
        };
        let address = parse_ip(address, "auxiliary address")?;
        update(&mut config.config, |c| c.aux_address(name, address));
        Ok(())
    })
}
