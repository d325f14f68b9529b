//! `Cluster`: the swarm-scope registry of overlay networks and nodes. It owns the address
//! pools and the VNI allocator, fills in subnets and VNIs a spec left open, and enforces the
//! rules that span networks and nodes: no overlapping subnets, unique VNIs, one ingress
//! network that cannot go while ports are published, no encryption with Windows nodes.
//!
//! Every operation either succeeds completely or returns an error and leaves the registry
//! unchanged: checks and planning run first, mutations only after all of them passed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

use super::encryption::Encryption;
use super::endpoint_alloc::{EndpointAllocator, mac_from_ipv4};
use super::error::ModelError;
use super::ingress::IngressNetwork;
use super::ipam::{Family, IpamConfig};
use super::mtu;
use super::node::{NodeConfig, NodeOs};
use super::overlay::OverlayNetwork;
use super::pool::AddressPools;
use super::vni::{Vni, VniAllocator};
use crate::wire::MacAddr;

/// An endpoint's address on an overlay network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointAddress {
    /// The address with its subnet's prefix length (e.g. `10.0.1.5/24`).
    pub address: Ipv4Net,
    /// The MAC Docker derives from it (`02:42:` + the IPv4 octets).
    pub mac: MacAddr,
    /// The VNI of the subnet it belongs to.
    pub vni: Vni,
}

/// One IPv4 subnet of a registered network with its VNI and endpoint addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetState {
    config: IpamConfig,
    vni: Vni,
    endpoints: EndpointAllocator,
}

impl SubnetState {
    /// The subnet.
    pub fn subnet(&self) -> Ipv4Net {
        self.endpoints.subnet()
    }
    /// The gateway (on the overlay bridge).
    pub fn gateway(&self) -> Ipv4Addr {
        self.endpoints.gateway()
    }
    /// The subnet's VNI.
    pub fn vni(&self) -> Vni {
        self.vni
    }
    /// The IPAM config (with the subnet filled in when the pool chose it).
    pub fn config(&self) -> &IpamConfig {
        &self.config
    }
    /// The subnet's endpoint addresses.
    pub fn endpoints(&self) -> &EndpointAllocator {
        &self.endpoints
    }
}

/// A network registered in the cluster: its spec plus what the cluster allocated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkState {
    spec: OverlayNetwork,
    subnets: Vec<SubnetState>,
}

impl NetworkState {
    /// The spec it was created from.
    pub fn spec(&self) -> &OverlayNetwork {
        &self.spec
    }
    /// The network name.
    pub fn name(&self) -> &str {
        self.spec.name()
    }
    /// The IPv4 subnets in order, each with its VNI.
    pub fn subnets(&self) -> &[SubnetState] {
        &self.subnets
    }
    /// The IPv6 IPAM configs (no VNI of their own: Docker pairs VNIs with IPv4 subnets only).
    pub fn ipv6_configs(&self) -> &[IpamConfig] {
        self.spec.ipv6_configs()
    }
    /// The VNIs in subnet order.
    pub fn vnis(&self) -> Vec<Vni> {
        self.subnets.iter().map(SubnetState::vni).collect()
    }
    /// The driver option map swarm hands the workers: the spec's options with `vxlanid_list`
    /// set to the VNIs in subnet order.
    pub fn driver_options(&self) -> BTreeMap<String, String> {
        self.spec.driver_options_with(&self.vnis())
    }
    /// The MTU for the VXLAN link and veths over an `underlay` of that family.
    pub fn effective_mtu(&self, underlay: Family) -> u32 {
        mtu::effective_mtu(self.spec.mtu(), self.spec.encryption(), underlay)
    }
    /// The MTU Docker would use (its `maxMTU`).
    pub fn docker_mtu(&self) -> u32 {
        mtu::docker_mtu(self.spec.mtu(), self.spec.encryption().is_encrypted())
    }

    /// Allocate the next free endpoint address, trying the subnets in order (as swarm's
    /// allocator tries the network's pools).
    pub fn allocate_endpoint(&mut self) -> Result<EndpointAddress, ModelError> {
        for subnet in &mut self.subnets {
            if let Ok(ip) = subnet.endpoints.allocate() {
                return Ok(endpoint_address(subnet, ip));
            }
        }
        let first = self
            .subnets
            .first()
            .map(|s| IpNet::V4(s.subnet()))
            .unwrap_or_default();
        Err(ModelError::AddressesExhausted { subnet: first })
    }

    /// Allocate exactly `address` (Docker's `--ip`).
    pub fn allocate_endpoint_address(
        &mut self,
        address: Ipv4Addr,
    ) -> Result<EndpointAddress, ModelError> {
        let subnet = self.subnet_of(address)?;
        subnet.endpoints.allocate_specific(address)?;
        Ok(endpoint_address(subnet, address))
    }

    /// Release an endpoint address.
    pub fn release_endpoint(&mut self, address: Ipv4Addr) -> Result<(), ModelError> {
        self.subnet_of(address)?.endpoints.release(address)
    }

    fn subnet_of(&mut self, address: Ipv4Addr) -> Result<&mut SubnetState, ModelError> {
        self.subnets
            .iter_mut()
            .find(|s| s.subnet().contains(&address))
            .ok_or(ModelError::AddressOutOfRange {
                address: IpAddr::V4(address),
            })
    }
}

fn endpoint_address(subnet: &SubnetState, ip: Ipv4Addr) -> EndpointAddress {
    let prefix = subnet.subnet().prefix_len();
    EndpointAddress {
        // The prefix length comes from a valid Ipv4Net, so this cannot fail.
        address: Ipv4Net::new(ip, prefix).unwrap_or_default(),
        mac: mac_from_ipv4(ip),
        vni: subnet.vni,
    }
}

/// The cluster registry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cluster {
    pools: AddressPools,
    vnis: VniAllocator,
    networks: BTreeMap<String, NetworkState>,
    nodes: BTreeMap<String, NodeConfig>,
    ingress_publishers: BTreeSet<String>,
}

impl Cluster {
    /// An empty cluster cutting subnets from `pools`.
    pub fn new(pools: AddressPools) -> Cluster {
        Cluster {
            pools,
            ..Cluster::default()
        }
    }

    /// The address pools and subnets in use.
    pub fn pools(&self) -> &AddressPools {
        &self.pools
    }
    /// The VNI allocator.
    pub fn vni_allocator(&self) -> &VniAllocator {
        &self.vnis
    }
    /// A network by name.
    pub fn network(&self, name: &str) -> Option<&NetworkState> {
        self.networks.get(name)
    }
    /// A network by name, for endpoint allocation.
    pub fn network_mut(&mut self, name: &str) -> Option<&mut NetworkState> {
        self.networks.get_mut(name)
    }
    /// Every network, by name.
    pub fn networks(&self) -> impl Iterator<Item = &NetworkState> {
        self.networks.values()
    }
    /// The ingress network, if there is one.
    pub fn ingress(&self) -> Option<&NetworkState> {
        self.networks.values().find(|n| n.spec.is_ingress())
    }
    /// A node by id.
    pub fn node(&self, id: &str) -> Option<&NodeConfig> {
        self.nodes.get(id)
    }
    /// Every node, by id.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeConfig> {
        self.nodes.values()
    }

    /// Register an overlay network: explicit subnets must not overlap any in use, missing
    /// ones come from the pools; explicit VNIs are reserved exactly, missing ones allocated
    /// from 4096 on.
    pub fn create_overlay(&mut self, spec: OverlayNetwork) -> Result<&NetworkState, ModelError> {
        self.create(spec)
    }

    /// Register the ingress network (only one may exist).
    pub fn create_ingress(&mut self, spec: IngressNetwork) -> Result<&NetworkState, ModelError> {
        if let Some(existing) = self.ingress() {
            return Err(ModelError::SecondIngress {
                existing: existing.name().to_string(),
            });
        }
        self.create(spec.into_overlay())
    }

    fn create(&mut self, spec: OverlayNetwork) -> Result<&NetworkState, ModelError> {
        spec.validate()?;
        let name = spec.name().to_string();
        if self.networks.contains_key(&name) {
            return Err(ModelError::NetworkExists { name });
        }
        if spec.is_ingress() {
            if let Some(existing) = self.ingress() {
                return Err(ModelError::SecondIngress {
                    existing: existing.name().to_string(),
                });
            }
        }
        if spec.encryption().is_encrypted() {
            if let Some(node) = self.nodes.values().find(|n| n.os() == NodeOs::Windows) {
                return Err(ModelError::EncryptionOnWindowsNode {
                    network: name,
                    node: node.id().to_string(),
                });
            }
        }
        // Plan subnets.
        for config in spec.ipv4_configs().iter().chain(spec.ipv6_configs()) {
            if let Some((existing, owner)) = self.pools.find_overlap(config.subnet()) {
                return Err(ModelError::OverlappingSubnets {
                    subnet: config.subnet(),
                    existing,
                    network: owner.to_string(),
                });
            }
        }
        let ipv4: Vec<IpamConfig> = if spec.ipv4_configs().is_empty() {
            let planned: Vec<IpNet> = spec.ipv6_configs().iter().map(IpamConfig::subnet).collect();
            let subnet = self
                .pools
                .next_free(&planned)
                .ok_or(ModelError::PoolsExhausted)?;
            vec![IpamConfig::new(IpNet::V4(subnet))]
        } else {
            spec.ipv4_configs().to_vec()
        };
        // Plan VNIs (the spec has none or exactly one per IPv4 subnet).
        for (vni, config) in spec.explicit_vnis().iter().zip(&ipv4) {
            if self.vnis.is_allocated(*vni) {
                return Err(ModelError::VniInUse {
                    vni: vni.get(),
                    pool: config.subnet(),
                });
            }
        }
        if spec.explicit_vnis().is_empty() && self.vnis.free_automatic() < ipv4.len() as u64 {
            return Err(ModelError::VnisExhausted {
                pool: ipv4[0].subnet(),
            });
        }
        let allocators = ipv4
            .iter()
            .map(EndpointAllocator::new)
            .collect::<Result<Vec<_>, ModelError>>()?;

        // Commit: every check above passed, so none of these can fail.
        for config in ipv4.iter().chain(spec.ipv6_configs()) {
            self.pools.reserve(config.subnet(), &name)?;
        }
        let vnis: Vec<Vni> = if spec.explicit_vnis().is_empty() {
            ipv4.iter().filter_map(|_| self.vnis.allocate()).collect()
        } else {
            spec.explicit_vnis()
                .iter()
                .copied()
                .filter(|v| self.vnis.reserve(*v))
                .collect()
        };
        let subnets = ipv4
            .into_iter()
            .zip(vnis)
            .zip(allocators)
            .map(|((config, vni), endpoints)| SubnetState {
                config,
                vni,
                endpoints,
            })
            .collect();
        let state = self
            .networks
            .entry(name)
            .or_insert(NetworkState { spec, subnets });
        Ok(state)
    }

    /// Remove a network, freeing its subnets and VNIs. The ingress network cannot be removed
    /// while a service publishes ports in ingress mode.
    pub fn remove_network(&mut self, name: &str) -> Result<NetworkState, ModelError> {
        let network = self
            .networks
            .get(name)
            .ok_or_else(|| ModelError::NetworkNotFound {
                name: name.to_string(),
            })?;
        if network.spec.is_ingress() {
            if let Some(service) = self.ingress_publishers.iter().next() {
                return Err(ModelError::IngressInUse {
                    service: service.clone(),
                });
            }
        }
        let network = self
            .networks
            .remove(name)
            .ok_or_else(|| ModelError::NetworkNotFound {
                name: name.to_string(),
            })?;
        for subnet in &network.subnets {
            self.pools.release(subnet.config.subnet());
            self.vnis.release(subnet.vni);
        }
        for config in network.ipv6_configs() {
            self.pools.release(config.subnet());
        }
        Ok(network)
    }

    /// Record that `service` publishes ports in ingress mode (it then depends on the ingress
    /// network). Requires an ingress network.
    pub fn add_ingress_publisher(&mut self, service: impl Into<String>) -> Result<(), ModelError> {
        let service = service.into();
        if self.ingress().is_none() {
            return Err(ModelError::NoIngressNetwork { service });
        }
        self.ingress_publishers.insert(service);
        Ok(())
    }

    /// Record that `service` no longer publishes ingress ports. Returns whether it did.
    pub fn remove_ingress_publisher(&mut self, service: &str) -> bool {
        self.ingress_publishers.remove(service)
    }

    /// Add a node. A Windows node is refused while an encrypted network exists.
    pub fn add_node(&mut self, node: NodeConfig) -> Result<(), ModelError> {
        node.validate()?;
        if self.nodes.contains_key(node.id()) {
            return Err(ModelError::NodeExists {
                id: node.id().to_string(),
            });
        }
        if node.os() == NodeOs::Windows {
            if let Some(network) = self
                .networks
                .values()
                .find(|n| n.spec.encryption() != Encryption::Off)
            {
                return Err(ModelError::EncryptionOnWindowsNode {
                    network: network.name().to_string(),
                    node: node.id().to_string(),
                });
            }
        }
        self.nodes.insert(node.id().to_string(), node);
        Ok(())
    }

    /// Remove a node.
    pub fn remove_node(&mut self, id: &str) -> Result<NodeConfig, ModelError> {
        self.nodes
            .remove(id)
            .ok_or_else(|| ModelError::NodeNotFound { id: id.to_string() })
    }

    /// Allocate the next endpoint address on network `name`.
    pub fn allocate_endpoint(&mut self, name: &str) -> Result<EndpointAddress, ModelError> {
        self.network_mut(name)
            .ok_or_else(|| ModelError::NetworkNotFound {
                name: name.to_string(),
            })?
            .allocate_endpoint()
    }

    /// Release an endpoint address on network `name`.
    pub fn release_endpoint(&mut self, name: &str, address: Ipv4Addr) -> Result<(), ModelError> {
        self.network_mut(name)
            .ok_or_else(|| ModelError::NetworkNotFound {
                name: name.to_string(),
            })?
            .release_endpoint(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| panic!("bad test prefix {s}"))
    }
    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap_or_else(|_| panic!("bad test address {s}"))
    }
    fn overlay(name: &str) -> super::super::overlay::OverlayNetworkBuilder {
        OverlayNetwork::builder(name)
    }
    fn spec(b: super::super::overlay::OverlayNetworkBuilder) -> OverlayNetwork {
        b.build().unwrap_or_else(|e| panic!("{e}"))
    }
    fn node(id: &str, os: NodeOs) -> NodeConfig {
        NodeConfig::builder(id, IpAddr::V4(ip("192.168.1.10")))
            .os(os)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }
    fn ingress() -> IngressNetwork {
        IngressNetwork::builder()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }
    /// Run a failing operation and check it changed nothing.
    fn refused(
        c: &mut Cluster,
        op: impl FnOnce(&mut Cluster) -> Result<(), ModelError>,
    ) -> ModelError {
        let before = c.clone();
        let err = op(c)
            .err()
            .unwrap_or_else(|| panic!("operation was expected to fail"));
        assert!(
            *c == before,
            "a failed operation changed the cluster: {err}"
        );
        err
    }

    #[test]
    fn auto_subnets_and_vnis_follow_swarm() {
        let mut c = Cluster::default();
        let vnis = |c: &Cluster, n: &str| c.network(n).map(|n| n.vnis()).unwrap_or_default();
        c.create_ingress(ingress())
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        c.create_overlay(spec(overlay("web")))
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        let ing = c
            .ingress()
            .map(|n| (n.subnets()[0].subnet(), n.subnets()[0].gateway()));
        assert_eq!(ing, Some((ip("10.0.0.0").into_net(24), ip("10.0.0.1"))));
        assert_eq!(
            vnis(&c, "ingress")
                .iter()
                .map(|v| v.get())
                .collect::<Vec<_>>(),
            vec![4096]
        );
        let web = c.network("web").map(|n| n.driver_options());
        assert_eq!(
            web.and_then(|m| m
                .get("com.docker.network.driver.overlay.vxlanid_list")
                .cloned()),
            Some("4097".to_string())
        );
        assert_eq!(
            c.network("web").map(|n| n.subnets()[0].subnet()),
            Some(ip("10.0.1.0").into_net(24))
        );
    }

    #[test]
    fn explicit_subnets_and_vnis_with_vxlanid_list_in_subnet_order() {
        let mut c = Cluster::default();
        let s = spec(
            overlay("app")
                .subnet(net("10.20.2.0/24"))
                .subnet(net("10.20.1.0/24"))
                .vnis([7002, 7001]),
        );
        let state = c.create_overlay(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            state
                .driver_options()
                .get("com.docker.network.driver.overlay.vxlanid_list")
                .map(String::as_str),
            Some("7002,7001")
        );
        assert_eq!(state.subnets()[1].gateway(), ip("10.20.1.1"));
        assert!(
            c.vni_allocator()
                .is_allocated(Vni::new(7001).unwrap_or_else(|e| panic!("{e}")))
        );
    }

    #[test]
    fn cross_network_rules_refuse_and_leave_state_unchanged() {
        let mut c = Cluster::default();
        c.create_overlay(spec(overlay("a").subnet(net("10.5.0.0/16")).vnis([5000])))
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        c.create_ingress(ingress())
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));

        let e = refused(&mut c, |c| {
            c.create_overlay(spec(overlay("b").subnet(net("10.5.3.0/24"))))
                .map(|_| ())
        });
        assert_eq!(
            e.to_string(),
            "invalid pool request: Pool overlaps with other one on this address space (10.5.3.0/24 overlaps 10.5.0.0/16 of network a)"
        );
        let e = refused(&mut c, |c| {
            c.create_overlay(spec(overlay("b").subnet(net("10.6.0.0/24")).vnis([5000])))
                .map(|_| ())
        });
        assert_eq!(
            e.to_string(),
            "could not assign vxlan id 5000 to pool 10.6.0.0/24: requested bit is already allocated"
        );
        let e = refused(&mut c, |c| c.create_overlay(spec(overlay("a"))).map(|_| ()));
        assert_eq!(e.to_string(), "network with name a already exists");
        let second = IngressNetwork::builder()
            .name("ingress2")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| c.create_ingress(second).map(|_| ()));
        assert_eq!(
            e.to_string(),
            "ingress network (ingress) is already present"
        );

        // Windows node vs encryption, both directions.
        c.add_node(node("win1", NodeOs::Windows))
            .unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| {
            c.create_overlay(spec(overlay("sec").encrypted(true)))
                .map(|_| ())
        });
        assert_eq!(
            e,
            ModelError::EncryptionOnWindowsNode {
                network: "sec".into(),
                node: "win1".into()
            }
        );
        c.remove_node("win1")
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        c.create_overlay(spec(overlay("sec").encrypted(true)))
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| c.add_node(node("win2", NodeOs::Windows)));
        assert!(e.to_string().contains("node win2 runs Windows"), "{e}");
        c.add_node(node("lin1", NodeOs::Linux))
            .unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| c.add_node(node("lin1", NodeOs::Linux)));
        assert_eq!(e, ModelError::NodeExists { id: "lin1".into() });
        let e = refused(&mut c, |c| c.remove_node("nope").map(|_| ()));
        assert_eq!(e, ModelError::NodeNotFound { id: "nope".into() });
    }

    #[test]
    fn ingress_cannot_go_while_ports_are_published() {
        let mut c = Cluster::default();
        let e = refused(&mut c, |c| c.add_ingress_publisher("svc1"));
        assert!(matches!(e, ModelError::NoIngressNetwork { .. }));
        c.create_ingress(ingress())
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        c.add_ingress_publisher("svc1")
            .unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| c.remove_network("ingress").map(|_| ()));
        assert_eq!(
            e.to_string(),
            "ingress network cannot be removed because service svc1 depends on it"
        );
        assert!(c.remove_ingress_publisher("svc1"));
        assert!(c.remove_network("ingress").is_ok());
        assert!(c.ingress().is_none());
        let e = refused(&mut c, |c| c.remove_network("ingress").map(|_| ()));
        assert_eq!(e.to_string(), "network ingress not found");
    }

    #[test]
    fn remove_frees_subnets_and_vnis_for_reuse() {
        let mut c = Cluster::default();
        for name in ["a", "b"] {
            c.create_overlay(spec(overlay(name)))
                .map(|_| ())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let removed = c.remove_network("a").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(removed.subnets()[0].subnet(), ip("10.0.0.0").into_net(24));
        let vni = removed.vnis()[0];
        assert!(!c.vni_allocator().is_allocated(vni));
        let state = c
            .create_overlay(spec(overlay("c")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            state.subnets()[0].subnet(),
            ip("10.0.0.0").into_net(24),
            "subnet reused"
        );
        assert_eq!(
            state.vnis()[0].get(),
            4098,
            "VNIs are serial, not reused at once"
        );
    }

    #[test]
    fn pool_exhaustion_is_atomic() {
        let pools = AddressPools::swarm(&["10.9.0.0/29".parse().unwrap_or_default()], 29);
        let mut c = Cluster::new(pools.unwrap_or_else(|e| panic!("{e}")));
        c.create_overlay(spec(overlay("a")))
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| c.create_overlay(spec(overlay("b"))).map(|_| ()));
        assert_eq!(e, ModelError::PoolsExhausted);
    }

    #[test]
    fn endpoints_get_serial_addresses_macs_and_vnis() {
        let mut c = Cluster::default();
        let s = spec(
            overlay("app")
                .subnet(net("10.30.0.0/30"))
                .subnet(net("10.31.0.0/24")),
        );
        c.create_overlay(s)
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{e}"));
        let first = c.allocate_endpoint("app").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.address.to_string(), "10.30.0.2/30");
        assert_eq!(first.mac.to_string(), "02:42:0a:1e:00:02");
        let second = c.allocate_endpoint("app").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            second.address.to_string(),
            "10.31.0.2/24",
            "first subnet full, next one used"
        );
        assert_ne!(first.vni, second.vni);
        assert_eq!(c.release_endpoint("app", ip("10.30.0.2")), Ok(()));
        let e = refused(&mut c, |c| c.release_endpoint("app", ip("10.30.0.2")));
        assert!(matches!(e, ModelError::AddressNotAllocated { .. }));
        let e = refused(&mut c, |c| c.release_endpoint("app", ip("10.99.0.2")));
        assert!(matches!(e, ModelError::AddressOutOfRange { .. }));
        let e = refused(&mut c, |c| c.allocate_endpoint("nope").map(|_| ()));
        assert!(matches!(e, ModelError::NetworkNotFound { .. }));
        let net_state = c
            .network_mut("app")
            .unwrap_or_else(|| panic!("app missing"));
        assert!(net_state.allocate_endpoint_address(ip("10.31.0.9")).is_ok());
        assert!(matches!(
            net_state.allocate_endpoint_address(ip("10.31.0.9")),
            Err(ModelError::AddressInUse { .. })
        ));
    }

    #[test]
    fn effective_mtu_per_profile() {
        let mut c = Cluster::default();
        let state = c
            .create_overlay(spec(overlay("h").encrypted(true)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (state.effective_mtu(Family::V4), state.docker_mtu()),
            (1416, 1424)
        );
        let state = c
            .create_overlay(spec(
                overlay("d")
                    .encryption(Encryption::DockerCompatible)
                    .mtu(1400),
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (state.effective_mtu(Family::V4), state.docker_mtu()),
            (1324, 1324)
        );
        assert_eq!(state.effective_mtu(Family::V6), 1304);
    }

    #[test]
    fn deserialised_specs_are_held_to_the_builder_rules() {
        let good = spec(overlay("a").subnet(net("10.1.0.0/24")));
        let json = serde_json::to_string(&good).unwrap_or_default();
        let bad: OverlayNetwork = serde_json::from_str(&json.replace("10.1.0.0/24", "10.1.0.1/24"))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut c = Cluster::default();
        let e = refused(&mut c, |c| c.create_overlay(bad).map(|_| ()));
        assert!(matches!(e, ModelError::SubnetNotMasked { .. }));
        let n = node("n1", NodeOs::Linux);
        let json = serde_json::to_string(&n).unwrap_or_default();
        let bad: NodeConfig =
            serde_json::from_str(&json.replace("4789", "80")).unwrap_or_else(|e| panic!("{e}"));
        let e = refused(&mut c, |c| c.add_node(bad));
        assert_eq!(e, ModelError::DataPathPortOutOfRange { port: 80 });
    }

    trait IntoNet {
        fn into_net(self, len: u8) -> Ipv4Net;
    }
    impl IntoNet for Ipv4Addr {
        fn into_net(self, len: u8) -> Ipv4Net {
            Ipv4Net::new(self, len).unwrap_or_else(|e| panic!("{e}"))
        }
    }
}
