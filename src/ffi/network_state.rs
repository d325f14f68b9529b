//! `overlaynet_network_state`: a snapshot of one network registered in a cluster (subnets,
//! gateways, VNIs, MTU, the option map swarm hands the workers), independent of later cluster
//! changes.

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_ref, into_handle, out_buf, out_param,
};
use super::convert;
use super::options::overlaynet_options;
use super::overlay::overlaynet_overlay_network;
use super::result::overlaynet_result;
use crate::model::{NetworkState, SubnetState};

/// An opaque snapshot of one registered network: subnets, gateways, VNIs, MTU, options.
#[allow(non_camel_case_types)]
pub struct overlaynet_network_state {
    pub(crate) state: NetworkState,
}

impl overlaynet_network_state {
    /// Hands a snapshot to C as a new handle.
    pub(crate) fn new_handle(state: NetworkState) -> *mut overlaynet_network_state {
        into_handle(overlaynet_network_state { state })
    }
}

/// Frees a network snapshot. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_free(state: *mut overlaynet_network_state) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(state) });
}

impl overlaynet_network_state {
    fn subnet(&self, index: usize) -> Result<&SubnetState, Failure> {
        let subnets = self.state.subnets();
        subnets.get(index).ok_or_else(|| {
            Failure::new(
                overlaynet_result::IndexOutOfRange,
                format!(
                    "subnet index {index} is out of range: network {} has {} IPv4 subnets",
                    self.state.name(),
                    subnets.len()
                ),
            )
        })
    }
}

/// Copies the network name into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_name(
    state: *const overlaynet_network_state,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(state, "state")?, out_buf(buf, len, out_n)?) };
        out.write(s.state.name().as_bytes())
    })
}

/// Stores the number of IPv4 subnets in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_subnet_count(
    state: *const overlaynet_network_state,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe {
            (
                handle_ref(state, "state")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(s.state.subnets().len());
        Ok(())
    })
}

/// Copies IPv4 subnet `index` ("10.0.1.0/24") into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_subnet(
    state: *const overlaynet_network_state,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(state, "state")?, out_buf(buf, len, out_n)?) };
        out.write(s.subnet(index)?.subnet().to_string().as_bytes())
    })
}

/// Copies the gateway of IPv4 subnet `index` ("10.0.1.1") into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_gateway(
    state: *const overlaynet_network_state,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(state, "state")?, out_buf(buf, len, out_n)?) };
        out.write(s.subnet(index)?.gateway().to_string().as_bytes())
    })
}

/// Stores the VNI of IPv4 subnet `index` in `*out_vni`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_vni(
    state: *const overlaynet_network_state,
    index: usize,
    out_vni: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(state, "state")?, out_param(out_vni, "out_vni")?) };
        out.write(s.subnet(index)?.vni().get());
        Ok(())
    })
}

/// Stores the MTU for the VXLAN link and veths over an underlay of `family`
/// (`overlaynet_family`) in `*out_mtu`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_effective_mtu(
    state: *const overlaynet_network_state,
    family: u32,
    out_mtu: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(state, "state")?, out_param(out_mtu, "out_mtu")?) };
        out.write(s.state.effective_mtu(convert::family(family)?));
        Ok(())
    })
}

/// Stores the MTU Docker would use (its `maxMTU`) in `*out_mtu`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_docker_mtu(
    state: *const overlaynet_network_state,
    out_mtu: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(state, "state")?, out_param(out_mtu, "out_mtu")?) };
        out.write(s.state.docker_mtu());
        Ok(())
    })
}

/// Stores the driver option map swarm hands the workers (with `vxlanid_list` = the VNIs in
/// subnet order) in a new `*out_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_driver_options(
    state: *const overlaynet_network_state,
    out_options: *mut *mut overlaynet_options,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe {
            (
                handle_ref(state, "state")?,
                out_param(out_options, "out_options")?,
            )
        };
        out.write(overlaynet_options::new_handle(s.state.driver_options()));
        Ok(())
    })
}

/// Stores the spec the network was created from in a new `*out_network`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_network_state_spec(
    state: *const overlaynet_network_state,
    out_network: *mut *mut overlaynet_overlay_network,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe {
            (
                handle_ref(state, "state")?,
                out_param(out_network, "out_network")?,
            )
        };
        out.write(into_handle(overlaynet_overlay_network {
            network: s.state.spec().clone(),
        }));
        Ok(())
    })
}
