//! The network model: typed, validated specs for the overlay, ingress and docker_gwbridge
//! networks, their round trip with Docker's option maps, node addresses and firewall needs,
//! address pools, endpoint and VNI allocation, MTU, and the cluster registry that enforces the
//! rules spanning networks.
//!
//! Everything here is deterministic data and arithmetic: no I/O, no clock, no kernel state.

mod bitmap;
mod cluster;
mod encryption;
mod endpoint_alloc;
mod error;
mod firewall;
mod gwbridge;
mod ingress;
mod ipam;
mod mtu;
mod node;
pub mod options;
mod overlay;
mod pool;
mod vni;

pub use bitmap::SerialBitmap;
pub use cluster::{Cluster, EndpointAddress, NetworkState, SubnetState};
pub use encryption::{DOCKER_ESP_OVERHEAD, Encryption, HARDENED_ESP_OVERHEAD};
pub use endpoint_alloc::{EndpointAllocator, mac_from_ipv4};
pub use error::ModelError;
pub use firewall::{FirewallProtocol, FirewallRule, render_nftables};
pub use gwbridge::{GWBRIDGE_NAME, GwBridgeNetwork, GwBridgeNetworkBuilder};
pub use ingress::{DEFAULT_INGRESS_NAME, IngressNetwork, IngressNetworkBuilder};
pub use ipam::{Family, IpamConfig, MAX_IPV4_PREFIX_LEN};
pub use mtu::{
    DEFAULT_MTU, MAX_OPTION_MTU, MIN_OPTION_MTU, VXLAN_OVERHEAD_IPV4, VXLAN_OVERHEAD_IPV6,
    docker_mtu, effective_mtu,
};
pub use node::{
    DEFAULT_DATA_PATH_PORT, DEFAULT_SWARM_PORT, GOSSIP_PORT, MAX_DATA_PATH_PORT,
    MIN_DATA_PATH_PORT, NodeConfig, NodeConfigBuilder, NodeOs,
};
pub use overlay::{OverlayNetwork, OverlayNetworkBuilder};
pub use pool::{AddressPools, DEFAULT_POOL_MASK_LEN, MAX_POOL_MASK_LEN, PoolSpec};
pub use vni::{Vni, VniAllocator, format_vni_list, parse_vni_list};
