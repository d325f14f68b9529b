//! `overlaynet_address_pools` and `overlaynet_cluster`: the swarm registry that hands out
//! subnets, VNIs and endpoint addresses and enforces the rules that span networks and nodes.

use ipnet::{IpNet, Ipv4Net};

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_buf,
    out_param,
};
use super::convert::{parse_ipv4, parse_net};
use super::ingress::overlaynet_ingress_network;
use super::network_state::overlaynet_network_state;
use super::node::overlaynet_node_config;
use super::overlay::overlaynet_overlay_network;
use super::result::overlaynet_result;
use crate::model::{AddressPools, Cluster, EndpointAddress, ModelError};

/// Opaque address pools that subnets are cut from.
#[allow(non_camel_case_types)]
pub struct overlaynet_address_pools {
    pools: AddressPools,
}

/// An opaque cluster registry.
#[allow(non_camel_case_types)]
pub struct overlaynet_cluster {
    cluster: Cluster,
}

/// An endpoint address handed out by the cluster.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_endpoint {
    /// The IPv4 address, in network byte order (`address[0]` is the first octet).
    pub address: [u8; 4],
    /// The prefix length of its subnet.
    pub prefix_len: u8,
    /// The MAC Docker derives from it (`02:42:` + the four octets).
    pub mac: [u8; 6],
    /// The VXLAN network identifier of its subnet.
    pub vni: u32,
}

impl From<EndpointAddress> for overlaynet_endpoint {
    fn from(endpoint: EndpointAddress) -> Self {
        overlaynet_endpoint {
            address: endpoint.address.addr().octets(),
            prefix_len: endpoint.address.prefix_len(),
            mac: endpoint.mac.octets(),
            vni: endpoint.vni.get(),
        }
    }
}

/// Creates swarm address pools in `*out_pools` from `pools` (comma-separated IPv4 prefixes,
/// `swarm init --default-addr-pool`; empty = Docker's default 10.0.0.0/8) and `mask_len`
/// (`--default-addr-pool-mask-length`, 0 = 24), with Docker's validation and texts.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_address_pools_new(
    pools: *const u8,
    pools_len: usize,
    mask_len: u32,
    out_pools: *mut *mut overlaynet_address_pools,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (text, out) = unsafe {
            (
                in_str(pools, pools_len, "pools")?,
                out_param(out_pools, "out_pools")?,
            )
        };
        let prefixes = text
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| match parse_net(p.trim(), "address pool")? {
                IpNet::V4(v4) => Ok(v4),
                IpNet::V6(_) => Err(Failure::new(
                    overlaynet_result::InvalidInput,
                    format!("invalid address pool {p:?}: default address pools must be IPv4"),
                )),
            })
            .collect::<Result<Vec<Ipv4Net>, Failure>>()?;
        let pools = AddressPools::swarm(&prefixes, mask_len)?;
        out.write(into_handle(overlaynet_address_pools { pools }));
        Ok(())
    })
}

/// Frees address pools. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_address_pools_free(pools: *mut overlaynet_address_pools) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(pools) });
}

/// Creates an empty cluster in `*out_cluster` cutting subnets from a copy of `pools` (NULL =
/// Docker's swarm default, 10.0.0.0/8 in /24s); free it with `overlaynet_cluster_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_new(
    pools: *const overlaynet_address_pools,
    out_cluster: *mut *mut overlaynet_cluster,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract; `pools` may be NULL.
        let (pools, out) = unsafe { (pools.as_ref(), out_param(out_cluster, "out_cluster")?) };
        let pools = pools.map_or_else(AddressPools::swarm_default, |p| p.pools.clone());
        out.write(into_handle(overlaynet_cluster {
            cluster: Cluster::new(pools),
        }));
        Ok(())
    })
}

/// Frees a cluster. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_free(cluster: *mut overlaynet_cluster) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(cluster) });
}

/// Registers a copy of an overlay network: missing subnets come from the pools, missing VNIs
/// from 4096 on; overlaps, name and VNI clashes are refused and leave the cluster unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_create_overlay(
    cluster: *mut overlaynet_cluster,
    network: *const overlaynet_overlay_network,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, n) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                handle_ref(network, "network")?,
            )
        };
        c.cluster.create_overlay(n.network.clone())?;
        Ok(())
    })
}

/// Registers a copy of the ingress network; a second one is `OVERLAYNET_RESULT_CONFLICT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_create_ingress(
    cluster: *mut overlaynet_cluster,
    network: *const overlaynet_ingress_network,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, n) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                handle_ref(network, "network")?,
            )
        };
        c.cluster.create_ingress(n.network.clone())?;
        Ok(())
    })
}

/// Removes network `name`, freeing its subnets and VNIs. The ingress network cannot be removed
/// while a service publishes ports through it (`OVERLAYNET_RESULT_REFUSED`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_remove_network(
    cluster: *mut overlaynet_cluster,
    name: *const u8,
    name_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, name) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                in_str(name, name_len, "name")?,
            )
        };
        c.cluster.remove_network(name)?;
        Ok(())
    })
}

/// Adds a copy of a node; a Windows node is refused while an encrypted network exists.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_add_node(
    cluster: *mut overlaynet_cluster,
    node: *const overlaynet_node_config,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, n) = unsafe { (handle_mut(cluster, "cluster")?, handle_ref(node, "node")?) };
        c.cluster.add_node(n.node.clone())?;
        Ok(())
    })
}

/// Removes node `id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_remove_node(
    cluster: *mut overlaynet_cluster,
    id: *const u8,
    id_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, id) = unsafe { (handle_mut(cluster, "cluster")?, in_str(id, id_len, "id")?) };
        c.cluster.remove_node(id)?;
        Ok(())
    })
}

/// Records that `service` publishes ports in ingress mode (needs an ingress network).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_add_ingress_publisher(
    cluster: *mut overlaynet_cluster,
    service: *const u8,
    service_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, service) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                in_str(service, service_len, "service")?,
            )
        };
        c.cluster.add_ingress_publisher(service)?;
        Ok(())
    })
}

/// Records that `service` no longer publishes ingress ports; `OVERLAYNET_RESULT_NOT_FOUND`
/// when it did not.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_remove_ingress_publisher(
    cluster: *mut overlaynet_cluster,
    service: *const u8,
    service_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, service) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                in_str(service, service_len, "service")?,
            )
        };
        if !c.cluster.remove_ingress_publisher(service) {
            return Err(Failure::new(
                overlaynet_result::NotFound,
                format!("service {service} does not publish ingress ports"),
            ));
        }
        Ok(())
    })
}

/// Allocates the next endpoint address on network `name` (serially, subnet by subnet) into
/// `*out_endpoint`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_allocate_endpoint(
    cluster: *mut overlaynet_cluster,
    name: *const u8,
    name_len: usize,
    out_endpoint: *mut overlaynet_endpoint,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, name, out) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                in_str(name, name_len, "name")?,
                out_param(out_endpoint, "out_endpoint")?,
            )
        };
        out.write(c.cluster.allocate_endpoint(name)?.into());
        Ok(())
    })
}

/// Allocates exactly `address` (an IPv4 address, Docker's `--ip`) on network `name` into
/// `*out_endpoint`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_allocate_endpoint_address(
    cluster: *mut overlaynet_cluster,
    name: *const u8,
    name_len: usize,
    address: *const u8,
    address_len: usize,
    out_endpoint: *mut overlaynet_endpoint,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, name, address, out) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                in_str(name, name_len, "name")?,
                in_str(address, address_len, "address")?,
                out_param(out_endpoint, "out_endpoint")?,
            )
        };
        let address = parse_ipv4(address, "address")?;
        let network = c
            .cluster
            .network_mut(name)
            .ok_or_else(|| ModelError::NetworkNotFound { name: name.into() })?;
        out.write(network.allocate_endpoint_address(address)?.into());
        Ok(())
    })
}

/// Releases the endpoint `address` (an IPv4 address) on network `name`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_release_endpoint(
    cluster: *mut overlaynet_cluster,
    name: *const u8,
    name_len: usize,
    address: *const u8,
    address_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, name, address) = unsafe {
            (
                handle_mut(cluster, "cluster")?,
                in_str(name, name_len, "name")?,
                in_str(address, address_len, "address")?,
            )
        };
        c.cluster
            .release_endpoint(name, parse_ipv4(address, "address")?)?;
        Ok(())
    })
}

/// Stores the number of registered networks in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_network_count(
    cluster: *const overlaynet_cluster,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, out) = unsafe {
            (
                handle_ref(cluster, "cluster")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(c.cluster.networks().count());
        Ok(())
    })
}

/// Copies the name of registered network `index` (0-based, in name order) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_network_name_at(
    cluster: *const overlaynet_cluster,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, out) = unsafe { (handle_ref(cluster, "cluster")?, out_buf(buf, len, out_n)?) };
        let network = c.cluster.networks().nth(index).ok_or_else(|| {
            Failure::new(
                overlaynet_result::IndexOutOfRange,
                format!(
                    "network index {index} is out of range: the cluster has {} networks",
                    c.cluster.networks().count()
                ),
            )
        })?;
        out.write(network.name().as_bytes())
    })
}

/// Stores a snapshot of network `name` in a new `*out_state` (free it with
/// `overlaynet_network_state_free`); later cluster changes do not affect it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_cluster_network(
    cluster: *const overlaynet_cluster,
    name: *const u8,
    name_len: usize,
    out_state: *mut *mut overlaynet_network_state,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, name, out) = unsafe {
            (
                handle_ref(cluster, "cluster")?,
                in_str(name, name_len, "name")?,
                out_param(out_state, "out_state")?,
            )
        };
        let state = c
            .cluster
            .network(name)
            .ok_or_else(|| ModelError::NetworkNotFound { name: name.into() })?;
        out.write(overlaynet_network_state::new_handle(state.clone()));
        Ok(())
    })
}
