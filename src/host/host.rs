//! `Host`: the engine for one host. It holds the networks created here, their peer tables
//! and local endpoints, the docker_gwbridge spec and the IPsec keyring, keeps the desired
//! [`KernelState`] up to date (rebuilt on structural changes, patched in place on peer
//! events), and plans against an observed state.
//!
//! It never touches a kernel: [`Host::plan`] and [`Host::reconcile`] go through the
//! `kernel` module's diff and a caller-supplied [`Kernel`]. Every refused request leaves the
//! engine unchanged.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

use super::HostError;
use super::desired::{self, TunnelRefs};
use super::endpoint::{Endpoint, External, JoinRequest, check_container_netns, check_ifname};
use super::keys::{profile_of, xfrm_objects};
use super::network::{Network, hashed_name};
use super::peers::{self, Tunnel};
use crate::ipsec::{Endpoints, KeyUpdate, Keyring, Profile, plan_rotation};
use crate::kernel::{
    Kernel, KernelError, KernelState, LinkKey, NamePattern, Netns, ObjectId, Plan, ReconcileReport,
    Scope, diff, reconcile,
};
use crate::model::{GwBridgeNetwork, NetworkState, NodeConfig, mac_from_ipv4};
use crate::peer::{EventOutcome, PeerDelta, PeerEvent, PeerRecord, PeerTable, PeerTableConfig};

/// Prefix of the host-namespace ends of docker_gwbridge veths (ours by this prefix).
pub const GW_VETH_PREFIX: &str = "ovgw";
/// Prefix of endpoint veth ends in an overlay sandbox.
pub const VETH_PREFIX: &str = "veth";

/// How closely the data path follows Docker where Docker is weak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataPathMode {
    /// Docker's choices: VXLAN learning and miss notifications on, MTU by moby's `maxMTU`
    /// (50 bytes of VXLAN overhead even over an IPv6 underlay).
    DockerCompatible,
    /// Our default: learning and miss notifications off (every remote MAC has a static FDB
    /// entry), MTU counting the real underlay header (70 bytes over IPv6) and the network's
    /// ESP profile. Both modes pin the VXLAN `local` address to our VTEP.
    #[default]
    Hardened,
}

/// The docker_gwbridge network as the engine uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GwBridge {
    pub(crate) bridge: String,
    pub(crate) subnet: Ipv4Net,
    pub(crate) gateway: Ipv4Addr,
    pub(crate) masquerade: bool,
    pub(crate) icc: bool,
    pub(crate) mtu: Option<u32>,
}

/// What applying one peer event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerUpdate {
    /// What the peer table did with the event.
    pub outcome: EventOutcome,
    /// The kernel objects whose desired state changed (empty while the network has no
    /// sandbox); pass them to [`Host::plan_touched`] for an incremental plan.
    pub touched: Vec<ObjectId>,
}

/// The engine for one host. See the module documentation.
#[derive(Clone)]
pub struct Host {
    pub(super) node: NodeConfig,
    pub(super) mode: DataPathMode,
    pub(super) networks: BTreeMap<String, Network>,
    pub(super) gwbridge: Option<GwBridge>,
    pub(super) keyring: Option<Keyring>,
    desired: KernelState,
    scope: Scope,
    tunnel_refs: TunnelRefs,
    scratch: Vec<PeerDelta>,
}

impl Host {
    /// An engine for `node` in the hardened data-path mode, with nothing created.
    pub fn new(node: NodeConfig) -> Host {
        Host::with_mode(node, DataPathMode::Hardened)
    }

    /// An engine for `node` in `mode`.
    pub fn with_mode(node: NodeConfig, mode: DataPathMode) -> Host {
        let mut host = Host {
            node,
            mode,
            networks: BTreeMap::new(),
            gwbridge: None,
            keyring: None,
            desired: KernelState::new(),
            scope: Scope::docker(),
            tunnel_refs: TunnelRefs::new(),
            scratch: Vec::new(),
        };
        host.rebuild();
        host
    }

    /// This host's node configuration.
    pub fn node(&self) -> &NodeConfig {
        &self.node
    }

    /// The data-path mode.
    pub fn mode(&self) -> DataPathMode {
        self.mode
    }

    /// The ids of the networks created on this host.
    pub fn network_ids(&self) -> impl Iterator<Item = &str> {
        self.networks.keys().map(String::as_str)
    }

    /// The peer table of network `id`.
    pub fn peers(&self, id: &str) -> Result<&PeerTable, HostError> {
        Ok(&self.network(id)?.peers)
    }

    /// The name of network `id`'s sandbox namespace, while it has one.
    pub fn sandbox(&self, id: &str) -> Result<Option<String>, HostError> {
        Ok(self
            .network(id)?
            .sandbox()
            .and_then(|ns| ns.name().map(str::to_owned)))
    }

    // ---- networks -------------------------------------------------------------------------

    /// Creates network `id` (Docker's network id) from the cluster's `network`. Nothing is
    /// created in the kernel until the first local endpoint joins (moby's lazy sandbox).
    pub fn create_network(&mut self, id: &str, network: &NetworkState) -> Result<(), HostError> {
        if id.is_empty() {
            return Err(HostError::EmptyNetworkId);
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(HostError::InvalidNetworkId { id: id.into() });
        }
        if self.networks.contains_key(id) {
            return Err(HostError::NetworkExists { id: id.into() });
        }
        let sandbox = Network::sandbox_name(id);
        if let Some(other) = self
            .networks
            .keys()
            .find(|o| Network::sandbox_name(o) == sandbox)
        {
            return Err(HostError::SandboxNameTaken {
                id: id.into(),
                sandbox,
                other: other.clone(),
            });
        }
        for vni in network.vnis() {
            if let Some(other) = self
                .networks
                .values()
                .find(|n| n.vnis().any(|v| v == vni.get()))
            {
                return Err(HostError::VniInUse {
                    vni: vni.get(),
                    id: id.into(),
                    other: other.id.clone(),
                });
            }
        }
        if let (Some(profile), Some(host)) =
            (profile_of(network.spec().encryption()), self.profile())
        {
            if profile != host {
                return Err(HostError::MixedEncryptionProfiles {
                    id: id.into(),
                    profile,
                    host,
                });
            }
        }
        let peers = PeerTable::new(PeerTableConfig {
            network: id.into(),
            subnets: network
                .subnets()
                .iter()
                .map(|s| IpNet::V4(s.subnet()))
                .collect(),
            local_vtep: self.node.vtep(),
        })?;
        let mtu = match self.mode {
            DataPathMode::DockerCompatible => network.docker_mtu(),
            DataPathMode::Hardened => network.effective_mtu(self.node.underlay_family()),
        };
        self.networks.insert(
            id.into(),
            Network {
                id: id.into(),
                state: network.clone(),
                peers,
                endpoints: BTreeMap::new(),
                mtu,
            },
        );
        self.rebuild();
        Ok(())
    }

    /// Deletes network `id` and everything it has in the kernel; refused while local
    /// endpoints are joined.
    pub fn delete_network(&mut self, id: &str) -> Result<(), HostError> {
        let net = self.network(id)?;
        if !net.endpoints.is_empty() {
            return Err(HostError::ActiveEndpoints {
                name: net.state.name().into(),
                id: id.into(),
            });
        }
        self.networks.remove(id);
        self.rebuild();
        Ok(())
    }

    // ---- endpoints ------------------------------------------------------------------------

    /// Joins a local endpoint (moby's `Join`): creates the sandbox on the first join, a veth
    /// pair with the network's MTU on both ends, the container-side MAC and address, static
    /// routes to the network's other subnets via this subnet's gateway (no default route),
    /// and docker_gwbridge access when asked for. Returns the PeerRecord to publish in the
    /// `overlay_peer_table`.
    pub fn join(&mut self, id: &str, req: &JoinRequest) -> Result<PeerRecord, HostError> {
        let ep = self.check_join(id, req)?;
        let record = PeerRecord {
            endpoint_ip: IpNet::V4(ep.address),
            endpoint_mac: ep.mac,
            tunnel_endpoint_ip: self.node.vtep(),
        };
        let net = self.network_mut(id)?;
        // The only fallible mutation, and it changes nothing when it fails.
        let _ = net
            .peers
            .add_local(&req.endpoint_id, record.endpoint_ip, record.endpoint_mac)?;
        net.endpoints.insert(req.endpoint_id.clone(), ep);
        self.rebuild();
        Ok(record)
    }

    /// Leaves a local endpoint; the last leave removes the sandbox. Returns the PeerRecord to
    /// withdraw from the `overlay_peer_table`.
    pub fn leave(&mut self, id: &str, eid: &str) -> Result<PeerRecord, HostError> {
        let vtep = self.node.vtep();
        let net = self.network_mut(id)?;
        let Some(ep) = net.endpoints.get(eid) else {
            return Err(HostError::EndpointNotFound {
                eid: eid.into(),
                id: id.into(),
            });
        };
        let record = PeerRecord {
            endpoint_ip: IpNet::V4(ep.address),
            endpoint_mac: ep.mac,
            tunnel_endpoint_ip: vtep,
        };
        let _ = net
            .peers
            .remove_local(eid, record.endpoint_ip, record.endpoint_mac)?;
        net.endpoints.remove(eid);
        self.rebuild();
        Ok(record)
    }

    /// The PeerRecords of network `id`'s local endpoints, by endpoint id (what this host
    /// publishes).
    pub fn local_records(&self, id: &str) -> Result<Vec<(String, PeerRecord)>, HostError> {
        let net = self.network(id)?;
        Ok(net
            .endpoints
            .iter()
            .map(|(eid, ep)| {
                let record = PeerRecord {
                    endpoint_ip: IpNet::V4(ep.address),
                    endpoint_mac: ep.mac,
                    tunnel_endpoint_ip: self.node.vtep(),
                };
                (eid.clone(), record)
            })
            .collect())
    }

    fn check_join(&self, id: &str, req: &JoinRequest) -> Result<Endpoint, HostError> {
        let net = self.network(id)?;
        let eid = &req.endpoint_id;
        if net.endpoints.contains_key(eid) {
            return Err(HostError::EndpointExists {
                eid: eid.clone(),
                id: id.into(),
            });
        }
        check_ifname(&req.ifname)?;
        check_container_netns(&req.container_netns)?;
        let address = req.address;
        let subnets = net.state.subnets();
        let subnet = subnets
            .iter()
            .position(|s| {
                s.subnet().prefix_len() == address.prefix_len()
                    && s.subnet().contains(&address.addr())
            })
            .ok_or_else(|| HostError::SubnetNotFound {
                address,
                id: id.into(),
            })?;
        let s = subnets[subnet].subnet();
        let taken = address.addr() == subnets[subnet].gateway()
            || address.addr() == s.network()
            || address.addr() == s.broadcast()
            || net
                .endpoints
                .values()
                .any(|e| e.address.addr() == address.addr());
        if taken {
            return Err(HostError::AddressInUse {
                address,
                id: id.into(),
            });
        }
        if net.encrypted() && self.keyring.is_none() {
            return Err(HostError::KeysNotPresent);
        }
        if net
            .endpoints
            .values()
            .any(|e| e.container == req.container_netns)
        {
            return Err(HostError::AlreadyConnected {
                netns: req.container_netns.clone(),
                id: id.into(),
            });
        }
        let in_container: Vec<&str> = self
            .endpoints()
            .filter(|e| e.container == req.container_netns)
            .flat_map(|e| {
                std::iter::once(e.ifname.as_str())
                    .chain(e.external.as_ref().map(|x| x.ifname.as_str()))
            })
            .collect();
        let ifname_taken = |name: &str| -> Result<(), HostError> {
            if in_container.contains(&name) {
                return Err(HostError::InterfaceTaken {
                    netns: req.container_netns.clone(),
                    ifname: name.into(),
                });
            }
            Ok(())
        };
        ifname_taken(&req.ifname)?;
        let veth = free_name(VETH_PREFIX, eid, |n| {
            net.endpoints.values().any(|e| e.veth == n)
        })?;
        let external = match &req.external {
            None => None,
            Some(x) => Some(self.check_external(req, x, &ifname_taken)?),
        };
        Ok(Endpoint {
            subnet,
            address,
            mac: req.mac.unwrap_or_else(|| mac_from_ipv4(address.addr())),
            container: req.container_netns.clone(),
            ifname: req.ifname.clone(),
            veth,
            external,
        })
    }

    fn check_external(
        &self,
        req: &JoinRequest,
        x: &super::ExternalAccess,
        ifname_taken: &dyn Fn(&str) -> Result<(), HostError>,
    ) -> Result<External, HostError> {
        let gw = self.gwbridge.as_ref().ok_or(HostError::NoGwBridge)?;
        check_ifname(&x.ifname)?;
        ifname_taken(&x.ifname)?;
        if x.ifname == req.ifname {
            return Err(HostError::InterfaceTaken {
                netns: req.container_netns.clone(),
                ifname: x.ifname.clone(),
            });
        }
        if self
            .endpoints()
            .any(|e| e.container == req.container_netns && e.external.is_some())
        {
            return Err(HostError::GatewayTaken {
                netns: req.container_netns.clone(),
            });
        }
        let a = x.address;
        let bad = a.prefix_len() != gw.subnet.prefix_len()
            || !gw.subnet.contains(&a.addr())
            || a.addr() == gw.gateway
            || a.addr() == gw.subnet.network()
            || a.addr() == gw.subnet.broadcast()
            || self
                .endpoints()
                .filter_map(|e| e.external.as_ref())
                .any(|o| o.address.addr() == a.addr());
        if bad {
            return Err(HostError::BadExternalAddress {
                address: a,
                subnet: gw.subnet,
            });
        }
        let veth = free_name(GW_VETH_PREFIX, &req.endpoint_id, |n| {
            self.endpoints()
                .filter_map(|e| e.external.as_ref())
                .any(|o| o.veth == n)
        })?;
        Ok(External {
            address: a,
            ifname: x.ifname.clone(),
            veth,
        })
    }

    fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.networks.values().flat_map(|n| n.endpoints.values())
    }

    // ---- docker_gwbridge and keys ---------------------------------------------------------

    /// Configures the docker_gwbridge network used for external access. The bridge is
    /// created with the first attached endpoint and removed with the last. Refused while
    /// endpoints are attached.
    pub fn set_gwbridge(&mut self, spec: &GwBridgeNetwork) -> Result<(), HostError> {
        let attached = self.endpoints().filter(|e| e.external.is_some()).count();
        if attached > 0 {
            return Err(HostError::GwBridgeInUse { attached });
        }
        let unaddressed = || HostError::GwBridgeUnaddressed {
            name: spec.name().into(),
        };
        let (Some(IpNet::V4(subnet)), Some(IpAddr::V4(gateway))) = (spec.subnet(), spec.gateway())
        else {
            return Err(unaddressed());
        };
        self.gwbridge = Some(GwBridge {
            bridge: spec.bridge_name().into(),
            subnet,
            gateway,
            masquerade: spec.enable_ip_masquerade(),
            icc: spec.enable_icc(),
            mtu: spec.mtu(),
        });
        self.rebuild();
        Ok(())
    }

    /// Sets the IPsec keyring (moby's `setKeys`: the primary first). SAs to every remote
    /// host of an encrypted network move to the new keys.
    pub fn set_keys(&mut self, ring: Keyring) {
        self.keyring = Some(ring);
        self.rebuild();
    }

    /// Applies a key rotation (moby's `updateKeys`): the desired SAs become the steady state
    /// of the rotated ring, and the plan installs new receive SAs and the new transmit SA
    /// before it switches the policy, and deletes retired SAs after.
    pub fn update_keys(&mut self, update: &KeyUpdate) -> Result<(), HostError> {
        let ring = self.keyring.as_ref().ok_or(HostError::KeysNotPresent)?;
        let profile = self.profile().unwrap_or_default();
        let transition = plan_rotation(profile, ring, update)?;
        self.keyring = Some(transition.after);
        self.rebuild();
        Ok(())
    }

    /// The keyring, if set.
    pub fn keyring(&self) -> Option<&Keyring> {
        self.keyring.as_ref()
    }

    /// The encryption profile of this host's encrypted networks, if it has any.
    pub fn profile(&self) -> Option<Profile> {
        self.networks
            .values()
            .find_map(|n| profile_of(n.state.spec().encryption()))
    }

    /// The addresses SAs and policies use (moby's bind and advertise addresses).
    pub(super) fn ipsec_endpoints(&self) -> Endpoints {
        Endpoints {
            bind: self.node.bind_addr(),
            advertise: self.node.vtep(),
            data_port: self.node.data_path_port(),
        }
    }

    // ---- peers ----------------------------------------------------------------------------

    /// Applies a gossip event of network `id`'s `overlay_peer_table` (moby's `EventNotify`).
    /// With a sandbox, the desired state is patched in O(changes · log n) and the touched
    /// objects are returned for [`Host::plan_touched`]; without one, only the peer table
    /// changes (the sandbox replays it when it is created).
    pub fn apply_peer_event(
        &mut self,
        id: &str,
        event: &PeerEvent,
    ) -> Result<PeerUpdate, HostError> {
        let mut deltas = std::mem::take(&mut self.scratch);
        deltas.clear();
        let Some(net) = self.networks.get_mut(id) else {
            self.scratch = deltas;
            return Err(HostError::NetworkNotFound { id: id.into() });
        };
        let outcome = match net.peers.apply_event_into(event, &mut deltas) {
            Ok(o) => o,
            Err(e) => {
                self.scratch = deltas;
                return Err(e.into());
            }
        };
        let mut touched = Vec::new();
        if let Some(ns) = net.sandbox() {
            let encrypted = net.encrypted();
            let tunnels = peers::apply_deltas(&mut self.desired, net, &ns, &deltas, &mut touched);
            if encrypted {
                for t in tunnels {
                    self.tunnel_changed(t, &mut touched);
                }
            }
        }
        self.scratch = deltas;
        Ok(PeerUpdate { outcome, touched })
    }

    /// One encrypted network's tunnel to a remote VTEP came or went; SAs follow the first
    /// and last such tunnel.
    fn tunnel_changed(&mut self, tunnel: Tunnel, touched: &mut Vec<ObjectId>) {
        let (Some(profile), Some(ring)) = (self.profile(), self.keyring.as_ref()) else {
            return;
        };
        let endpoints = self.ipsec_endpoints();
        match tunnel {
            Tunnel::Up(vtep) => {
                let n = self.tunnel_refs.entry(vtep).or_default();
                *n += 1;
                if *n == 1 {
                    let objs = xfrm_objects(profile, &endpoints, vtep, ring);
                    touched.extend(objs.object_ids());
                    objs.insert_into(&mut self.desired);
                }
            }
            Tunnel::Down(vtep) => {
                let gone = match self.tunnel_refs.get_mut(&vtep) {
                    Some(n) if *n > 1 => {
                        *n -= 1;
                        false
                    }
                    Some(_) => true,
                    None => false,
                };
                if gone {
                    self.tunnel_refs.remove(&vtep);
                    let objs = xfrm_objects(profile, &endpoints, vtep, ring);
                    touched.extend(objs.object_ids());
                    objs.remove_from(&mut self.desired);
                }
            }
        }
    }

    // ---- desired state and plans ----------------------------------------------------------

    /// Everything this host should have in the kernel.
    pub fn desired_state(&self) -> &KernelState {
        &self.desired
    }

    /// The desired state computed from scratch (what [`Host::desired_state`] must equal; the
    /// engine keeps it incrementally).
    pub fn rebuild_desired_state(&self) -> KernelState {
        desired::build(self).0
    }

    /// Which kernel objects are ours: Docker-style sandbox and VXLAN names, the
    /// docker_gwbridge bridge and our `ovgw…` veths once a gwbridge is configured, the
    /// container-side interfaces of joined endpoints, our nftables table, XFRM objects with
    /// our mark.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The plan that turns `observed` into the desired state.
    pub fn plan(&self, observed: &KernelState) -> Plan {
        diff(observed, &self.desired, &self.scope)
    }

    /// The part of [`Host::plan`] that concerns `touched` (from [`PeerUpdate::touched`]),
    /// in O(touched · log n).
    pub fn plan_touched(&self, observed: &KernelState, touched: &[ObjectId]) -> Plan {
        Plan::from_delta(observed, &self.desired, &self.scope, touched)
    }

    /// One reconcile round against `kernel` (observe, plan, apply).
    pub fn reconcile(&self, kernel: &mut dyn Kernel) -> Result<ReconcileReport, KernelError> {
        reconcile(&self.desired, &self.scope, kernel)
    }

    // ---- internals ------------------------------------------------------------------------

    pub(super) fn network(&self, id: &str) -> Result<&Network, HostError> {
        self.networks
            .get(id)
            .ok_or_else(|| HostError::NetworkNotFound { id: id.into() })
    }

    fn network_mut(&mut self, id: &str) -> Result<&mut Network, HostError> {
        self.networks
            .get_mut(id)
            .ok_or_else(|| HostError::NetworkNotFound { id: id.into() })
    }

    /// Recomputes the desired state, tunnel counts and scope from the engine state.
    fn rebuild(&mut self) {
        let (state, refs) = desired::build(self);
        self.desired = state;
        self.tunnel_refs = refs;
        let mut scope = Scope::docker();
        if let Some(gw) = &self.gwbridge {
            scope.host_links.push(NamePattern::Exact(gw.bridge.clone()));
            scope
                .host_links
                .push(NamePattern::Prefix(GW_VETH_PREFIX.into()));
        }
        for ep in self.endpoints() {
            let ns = Netns::named(&ep.container);
            scope.claim_link(LinkKey::new(ns.clone(), &ep.ifname));
            if let Some(x) = &ep.external {
                scope.claim_link(LinkKey::new(ns, &x.ifname));
            }
        }
        self.scope = scope;
    }
}

/// The first free `<prefix><7 hex>` name for `eid` (a few probes; collisions of a 28-bit
/// hash are rare, and the probe order keeps names deterministic).
fn free_name(prefix: &str, eid: &str, taken: impl Fn(&str) -> bool) -> Result<String, HostError> {
    (0..4)
        .map(|probe| hashed_name(prefix, eid, probe))
        .find(|n| !taken(n))
        .ok_or_else(|| HostError::VethNamesExhausted { eid: eid.into() })
}
