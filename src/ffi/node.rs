//! `overlaynet_node_builder` and `overlaynet_node_config`: a node's addresses (advertise,
//! data path, listen) and data-path port with Docker's rules, and the firewall openings it
//! needs.

use super::boundary::{
    free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_array,
    out_buf, out_param, update,
};
use super::convert::{
    self, overlaynet_family, overlaynet_node_os, overlaynet_protocol, parse_ip, parse_socket_addr,
};
use super::result::overlaynet_result;
use crate::model::{NodeConfig, NodeConfigBuilder, render_nftables};

/// An opaque node configuration builder.
#[allow(non_camel_case_types)]
pub struct overlaynet_node_builder {
    builder: NodeConfigBuilder,
}

/// An opaque, validated node configuration.
#[allow(non_camel_case_types)]
pub struct overlaynet_node_config {
    pub(crate) node: NodeConfig,
}

/// One inbound opening a node needs (see `overlaynet_node_config_firewall_rules`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_firewall_rule {
    /// `overlaynet_protocol`: TCP (6), UDP (17) or ESP (50).
    pub protocol: u32,
    /// Destination port; 0 for ESP, which has none.
    pub port: u16,
}

/// Starts a node configuration for node `id` advertising `advertise_addr` (an IP address,
/// `--advertise-addr`) in `*out_builder`; free it with `overlaynet_node_builder_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_new(
    id: *const u8,
    id_len: usize,
    advertise_addr: *const u8,
    advertise_addr_len: usize,
    out_builder: *mut *mut overlaynet_node_builder,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (id, addr, out) = unsafe {
            (
                in_str(id, id_len, "id")?,
                in_str(advertise_addr, advertise_addr_len, "advertise address")?,
                out_param(out_builder, "out_builder")?,
            )
        };
        let addr = parse_ip(addr, "advertise address")?;
        out.write(into_handle(overlaynet_node_builder {
            builder: NodeConfig::builder(id, addr),
        }));
        Ok(())
    })
}

/// Frees a builder. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_free(builder: *mut overlaynet_node_builder) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(builder) });
}

/// Sets `--data-path-addr` (the VTEP address), an IP address.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_set_data_path_addr(
    builder: *mut overlaynet_node_builder,
    addr: *const u8,
    addr_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, addr) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(addr, addr_len, "data path address")?,
            )
        };
        let addr = parse_ip(addr, "data path address")?;
        update(&mut b.builder, |b| b.data_path_addr(addr));
        Ok(())
    })
}

/// Sets `--listen-addr` as `ip:port` or `[ip6]:port`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_set_listen_addr(
    builder: *mut overlaynet_node_builder,
    addr: *const u8,
    addr_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, addr) = unsafe {
            (
                handle_mut(builder, "builder")?,
                in_str(addr, addr_len, "listen address")?,
            )
        };
        let addr = parse_socket_addr(addr, "listen address")?;
        update(&mut b.builder, |b| b.listen_addr(addr));
        Ok(())
    })
}

/// Sets `--data-path-port`: 0 means 4789, else 1024..=49151 (checked by build).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_set_data_path_port(
    builder: *mut overlaynet_node_builder,
    port: u16,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        update(&mut b.builder, |b| b.data_path_port(port));
        Ok(())
    })
}

/// Sets the operating system (`overlaynet_node_os`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_set_os(
    builder: *mut overlaynet_node_builder,
    os: u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let b = unsafe { handle_mut(builder, "builder") }?;
        let os = convert::node_os(os)?;
        update(&mut b.builder, |b| b.os(os));
        Ok(())
    })
}

/// Validates with Docker's rules and stores a new node configuration in `*out_node`. The
/// builder is not consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_builder_build(
    builder: *const overlaynet_node_builder,
    out_node: *mut *mut overlaynet_node_config,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (b, out) = unsafe {
            (
                handle_ref(builder, "builder")?,
                out_param(out_node, "out_node")?,
            )
        };
        let node = b.builder.clone().build()?;
        out.write(into_handle(overlaynet_node_config { node }));
        Ok(())
    })
}

/// Frees a node configuration. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_free(node: *mut overlaynet_node_config) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(node) });
}

/// Copies the node id into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_id(
    node: *const overlaynet_node_config,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_buf(buf, len, out_n)?) };
        out.write(n.node.id().as_bytes())
    })
}

/// Copies the listen address (`ip:port`, swarm management) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_listen_addr(
    node: *const overlaynet_node_config,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_buf(buf, len, out_n)?) };
        out.write(n.node.listen_addr().to_string().as_bytes())
    })
}

/// Stores the operating system (`overlaynet_node_os`) in `*out_os`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_os(
    node: *const overlaynet_node_config,
    out_os: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_param(out_os, "out_os")?) };
        out.write(overlaynet_node_os::from(n.node.os()) as u32);
        Ok(())
    })
}

/// Copies the VTEP address (data-path address, else advertise address) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_vtep(
    node: *const overlaynet_node_config,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_buf(buf, len, out_n)?) };
        out.write(n.node.vtep().to_string().as_bytes())
    })
}

/// Copies the bind address (the local IP of the node's tunnels and SAs) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_bind_addr(
    node: *const overlaynet_node_config,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_buf(buf, len, out_n)?) };
        out.write(n.node.bind_addr().to_string().as_bytes())
    })
}

/// Stores the effective data-path (VXLAN UDP) port in `*out_port`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_data_path_port(
    node: *const overlaynet_node_config,
    out_port: *mut u16,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_param(out_port, "out_port")?) };
        out.write(n.node.data_path_port());
        Ok(())
    })
}

/// Stores the underlay address family (`overlaynet_family`, from the VTEP) in `*out_family`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_underlay_family(
    node: *const overlaynet_node_config,
    out_family: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe {
            (
                handle_ref(node, "node")?,
                out_param(out_family, "out_family")?,
            )
        };
        out.write(overlaynet_family::from(n.node.underlay_family()) as u32);
        Ok(())
    })
}

/// Copies the inbound openings the node needs into `rules[0..len]` and their number into
/// `*out_n` (swarm management/tcp, gossip 7946/tcp+udp, data path/udp, and ESP when
/// `encrypted`). Too small an array gives `OVERLAYNET_RESULT_BUFFER_TOO_SMALL` and the count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_firewall_rules(
    node: *const overlaynet_node_config,
    encrypted: bool,
    rules: *mut overlaynet_firewall_rule,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_array(rules, len, out_n)?) };
        let rules: Vec<overlaynet_firewall_rule> = n
            .node
            .firewall_requirements(encrypted)
            .iter()
            .map(|rule| overlaynet_firewall_rule {
                protocol: overlaynet_protocol::from(rule.protocol) as u32,
                port: rule.port.unwrap_or(0),
            })
            .collect();
        out.write(&rules)
    })
}

/// Copies the node's firewall needs as an nftables ruleset (table `inet overlaynet`) into
/// `buf`, ready for `nft -f`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_node_config_firewall_nftables(
    node: *const overlaynet_node_config,
    encrypted: bool,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (n, out) = unsafe { (handle_ref(node, "node")?, out_buf(buf, len, out_n)?) };
        out.write(render_nftables(&n.node.firewall_requirements(encrypted)).as_bytes())
    })
}
