//! `SimKernel`: an in-memory model of the Linux objects overlaynet programs, for tests
//! without root — ours and any embedder's.
//!
//! It answers like Linux where it matters to a reconciler: `EEXIST` on creating an existing
//! object (including a second VXLAN device with the same VNI and port on one underlay, the
//! classic stale-device failure), `ENODEV` for a missing link, `ENOENT`/`ESRCH`/
//! `EADDRNOTAVAIL` for deleting a missing object, `EINVAL` for a master that is not a bridge
//! or an invalid name, `ENETDOWN` for a route on a link that is down. It removes what Linux
//! removes on its own: a namespace's contents, a link's addresses, routes, neighbours and FDB
//! entries, the other end of a veth, a deleted bridge's ports' master, a port's master-FDB
//! entries when its master changes, and routes and neighbours of a link set down.
//!
//! Not modelled: connected routes, IPv6 link-local addresses, kernel-created FDB entries,
//! nftables syntax (table bodies are opaque text), and XFRM policy lookups (like Linux, a
//! policy may name a state that does not exist). It never performs I/O.

mod drift;
mod faults;

use std::collections::BTreeMap;

pub use drift::DriftEvent;
use faults::Faults;

use super::apply::{ApplyReport, Kernel, execute};
use super::error::{Errno, KernelError};
use super::plan::{LinkChange, Op, Plan};
use super::scope::Scope;
use super::state::{
    AddrKey, FdbEntry, FdbTable, KernelState, Link, LinkKey, LinkKind, Neigh, NeighKey, Netns,
    NftTable, NftTableKey, ObjectId, Route, RouteKey, XfrmPolicy, XfrmPolicyKey, XfrmState,
    XfrmStateKey,
};
use super::state::{
    MTU_RANGE, RFC4106_ICV_BITS, RFC4106_KEY_BYTES, valid_link_name, valid_netns_name,
};
use crate::wire::MacAddr;

/// The MTU Linux gives a new link when none is asked for.
const DEFAULT_MTU: u32 = 1500;

/// An in-memory Linux host: namespaces, links, addresses, routes, neighbours, FDB, XFRM and
/// nftables tables, with fault and drift injection. See the module documentation.
#[derive(Clone, Debug)]
pub struct SimKernel {
    world: KernelState,
    /// The namespace each VXLAN device's UDP socket lives in (where it was created).
    underlay: BTreeMap<LinkKey, Netns>,
    scope: Scope,
    faults: Faults,
    next_mac: u32,
}

impl SimKernel {
    /// An empty host (only the host namespace, with nothing in it). `scope` says which
    /// objects [`drift`](SimKernel::drift) may touch.
    pub fn new(scope: Scope) -> SimKernel {
        SimKernel {
            world: KernelState::default(),
            underlay: BTreeMap::new(),
            scope,
            faults: Faults::default(),
            next_mac: 1,
        }
    }

    /// A host that already holds `state` (for example other programs' links, neighbours,
    /// XFRM objects and nftables tables). The state must be one Linux can hold
    /// ([`KernelState::validate`]); VXLAN devices are taken to have been created in the host
    /// namespace, as Docker creates them, so their VNIs clash with new host-created devices.
    pub fn with_state(scope: Scope, state: KernelState) -> Result<SimKernel, KernelError> {
        state.validate()?;
        let mut sim = SimKernel::new(scope);
        sim.underlay = state
            .links
            .iter()
            .filter(|(_, l)| matches!(l.kind, LinkKind::Vxlan(_)))
            .map(|(k, _)| (k.clone(), Netns::Host))
            .collect();
        sim.world = state;
        Ok(sim)
    }

    /// Everything on the simulated host, ours and foreign.
    pub fn state(&self) -> &KernelState {
        &self.world
    }

    /// The scope drift injection uses.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Replaces the scope drift injection uses (a host's scope grows as endpoints join),
    /// returning the previous one.
    pub fn replace_scope(&mut self, scope: Scope) -> Scope {
        std::mem::replace(&mut self.scope, scope)
    }

    /// Makes the `n`-th operation executed from now (0 = the next) fail with `errno`,
    /// leaving the simulated kernel unchanged. Operations skipped by
    /// [`execute`] are not executed and do not count.
    pub fn fail_nth(&mut self, n: u64, errno: Errno) {
        self.faults.fail_nth(n, errno);
    }

    /// Makes the next [`observe`](Kernel::observe) fail with `errno`.
    pub fn fail_observe(&mut self, errno: Errno) {
        self.faults.fail_observe(errno);
    }

    /// Disarms every injected failure that has not fired.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Whether injected failures are still waiting for their operation.
    pub fn faults_pending(&self) -> bool {
        self.faults.pending()
    }

    /// Executes one operation with Linux's checks; on error nothing changed.
    pub fn apply_op(&mut self, op: &Op) -> Result<(), KernelError> {
        if let Some(errno) = self.faults.next_op() {
            return Err(KernelError::from_errno(op.object(), errno));
        }
        let object = op.object();
        match op {
            Op::AddNetns { name } => self.add_netns(name, object),
            Op::DelNetns { name } => self.del_netns(name, object),
            Op::AddLink {
                key,
                link,
                staging_name,
                peer,
            } => self.add_link(key, link, staging_name.as_deref(), peer.as_ref()),
            Op::DelLink { key } => {
                self.require_link(key, &object)?;
                self.remove_link(key);
                Ok(())
            }
            Op::SetLink { key, change } => self.set_link(key, change),
            Op::AddAddr { addr } => self.add_addr(addr, object),
            Op::DelAddr { addr } => {
                if !self.world.addrs.remove(addr) {
                    return Err(KernelError::NotFound {
                        object,
                        errno: Errno::EADDRNOTAVAIL,
                    });
                }
                Ok(())
            }
            Op::AddRoute { key, route } => self.put_route(key, route, true, object),
            Op::ReplaceRoute { key, route } => self.put_route(key, route, false, object),
            Op::DelRoute { key } => match self.world.routes.remove(key) {
                Some(_) => Ok(()),
                None => Err(KernelError::NotFound {
                    object,
                    errno: Errno::ESRCH,
                }),
            },
            Op::AddNeigh { key, neigh } => self.put_neigh(key, neigh, true, object),
            Op::ReplaceNeigh { key, neigh } => self.put_neigh(key, neigh, false, object),
            Op::DelNeigh { key } => match self.world.neighs.remove(key) {
                Some(_) => Ok(()),
                None => Err(KernelError::NotFound {
                    object,
                    errno: Errno::ENOENT,
                }),
            },
            Op::AddFdb { entry } => self.add_fdb(entry, object),
            Op::DelFdb { entry } => {
                if !self.world.fdb.remove(entry) {
                    return Err(KernelError::NotFound {
                        object,
                        errno: Errno::ENOENT,
                    });
                }
                Ok(())
            }
            Op::AddXfrmState { key, state } => self.add_state(key, state, object),
            Op::DelXfrmState { key } => match self.world.xfrm_states.remove(key) {
                Some(_) => Ok(()),
                None => Err(KernelError::NotFound {
                    object,
                    errno: Errno::ESRCH,
                }),
            },
            Op::AddXfrmPolicy { key, policy } => self.put_policy(key, policy, true, object),
            Op::UpdateXfrmPolicy { key, policy } => self.put_policy(key, policy, false, object),
            Op::DelXfrmPolicy { key } => match self.world.xfrm_policies.remove(key) {
                Some(_) => Ok(()),
                None => Err(KernelError::NotFound {
                    object,
                    errno: Errno::ENOENT,
                }),
            },
            Op::SetNftTable { key, table } => self.set_nft(key, table, object),
            Op::DelNftTable { key } => match self.world.nft_tables.remove(key) {
                Some(_) => Ok(()),
                None => Err(KernelError::NotFound {
                    object,
                    errno: Errno::ENOENT,
                }),
            },
        }
    }

    fn require_netns(&self, ns: &Netns) -> Result<(), KernelError> {
        if self.world.has_netns(ns) {
            Ok(())
        } else {
            Err(KernelError::NotFound {
                object: ObjectId::Netns(ns.clone()),
                errno: Errno::ENOENT,
            })
        }
    }

    fn require_link(&self, key: &LinkKey, object: &ObjectId) -> Result<&Link, KernelError> {
        self.world
            .links
            .get(key)
            .ok_or_else(|| KernelError::NoDevice {
                object: object.clone(),
                device: key.name.clone(),
            })
    }

    fn add_netns(&mut self, name: &str, object: ObjectId) -> Result<(), KernelError> {
        if !valid_netns_name(name) {
            return Err(KernelError::Invalid {
                object,
                reason: "not a valid namespace name".into(),
            });
        }
        if !self.world.namespaces.insert(name.to_owned()) {
            return Err(KernelError::Exists { object });
        }
        Ok(())
    }

    fn del_netns(&mut self, name: &str, object: ObjectId) -> Result<(), KernelError> {
        if !self.world.namespaces.contains(name) {
            return Err(KernelError::NotFound {
                object,
                errno: Errno::ENOENT,
            });
        }
        let ns = Netns::named(name);
        let inside: Vec<LinkKey> = self
            .world
            .links
            .keys()
            .filter(|k| k.netns == ns)
            .cloned()
            .collect();
        for key in inside {
            self.remove_link(&key);
        }
        self.world.nft_tables.retain(|k, _| k.netns != ns);
        self.world.addrs.retain(|a| a.netns != ns);
        self.world.routes.retain(|k, _| k.netns != ns);
        self.world.neighs.retain(|k, _| k.netns != ns);
        self.world.fdb.retain(|e| e.netns != ns);
        self.world.namespaces.remove(name);
        Ok(())
    }

    fn check_link_name(key: &LinkKey, name: &str) -> Result<(), KernelError> {
        if valid_link_name(name) {
            Ok(())
        } else {
            Err(KernelError::Invalid {
                object: ObjectId::Link(key.clone()),
                reason: format!("{name:?} is not a valid interface name"),
            })
        }
    }

    fn check_mtu(object: &ObjectId, mtu: Option<u32>) -> Result<(), KernelError> {
        match mtu {
            Some(m) if !MTU_RANGE.contains(&m) => Err(KernelError::Invalid {
                object: object.clone(),
                reason: format!("MTU {m} is outside 68..=65535"),
            }),
            _ => Ok(()),
        }
    }

    /// The attributes a new link gets: the requested ones, with Linux defaults filled in.
    fn materialise(&mut self, link: &Link) -> Link {
        let mut out = link.as_created();
        out.mtu = Some(link.mtu.unwrap_or(DEFAULT_MTU));
        if out.mac.is_none() {
            let n = self.next_mac.to_be_bytes();
            self.next_mac = self.next_mac.wrapping_add(1);
            out.mac = Some(MacAddr([0x02, 0x5e, n[0], n[1], n[2], n[3]]));
        }
        out
    }

    fn add_link(
        &mut self,
        key: &LinkKey,
        link: &Link,
        staging_name: Option<&str>,
        peer: Option<&Link>,
    ) -> Result<(), KernelError> {
        let object = ObjectId::Link(key.clone());
        self.require_netns(&key.netns)?;
        Self::check_link_name(key, &key.name)?;
        Self::check_mtu(&object, link.mtu)?;
        if self.world.links.contains_key(key) {
            return Err(KernelError::Exists { object });
        }
        if link.master.is_some() || link.up {
            return Err(KernelError::Invalid {
                object,
                reason: "a link is created down and without a master; set those afterwards".into(),
            });
        }
        if staging_name.is_some() && !matches!(link.kind, LinkKind::Vxlan(_)) {
            return Err(KernelError::Invalid {
                object,
                reason: "only VXLAN devices are staged in the host namespace".into(),
            });
        }
        match &link.kind {
            LinkKind::Vxlan(v) => {
                if v.vni > 0x00FF_FFFF {
                    return Err(KernelError::Invalid {
                        object,
                        reason: format!("VNI {} is out of range", v.vni),
                    });
                }
                let underlay = match staging_name {
                    Some(staged) => {
                        let host_key = LinkKey::new(Netns::Host, staged);
                        Self::check_link_name(&host_key, staged)?;
                        if key.netns == Netns::Host && staged != key.name {
                            return Err(KernelError::Invalid {
                                object,
                                reason: "a staging name is only for devices moved into a namespace"
                                    .into(),
                            });
                        }
                        if self.world.links.contains_key(&host_key) {
                            return Err(KernelError::Exists {
                                object: ObjectId::Link(host_key),
                            });
                        }
                        Netns::Host
                    }
                    // The plan vocabulary moves every VXLAN device into its namespace from
                    // the host (`staging_name`), so that its socket lives on the host's
                    // underlay as Docker's do. One created directly inside a namespace would
                    // sit on that namespace's underlay, which no KernelState can describe.
                    None if key.netns != Netns::Host => {
                        return Err(KernelError::Invalid {
                            object,
                            reason: "a VXLAN device in a namespace is created in the host \
                                     namespace and moved (give it a staging name)"
                                .into(),
                        });
                    }
                    None => Netns::Host,
                };
                let clash = self.world.links.iter().any(|(k, l)| match &l.kind {
                    LinkKind::Vxlan(o) => {
                        o.vni == v.vni
                            && o.port == v.port
                            && self.underlay.get(k) == Some(&underlay)
                    }
                    _ => false,
                });
                if clash {
                    return Err(KernelError::Exists { object });
                }
                let created = self.materialise(link);
                self.world.links.insert(key.clone(), created);
                self.underlay.insert(key.clone(), underlay);
            }
            LinkKind::Veth { peer: pkey } => {
                let pobject = ObjectId::Link(pkey.clone());
                self.require_netns(&pkey.netns)?;
                Self::check_link_name(pkey, &pkey.name)?;
                if pkey == key {
                    return Err(KernelError::Invalid {
                        object,
                        reason: "a veth cannot be its own peer".into(),
                    });
                }
                if self.world.links.contains_key(pkey) {
                    return Err(KernelError::Exists { object: pobject });
                }
                let peer_link = match peer {
                    Some(p) if p.kind != (LinkKind::Veth { peer: key.clone() }) => {
                        return Err(KernelError::Invalid {
                            object,
                            reason: "the peer's attributes must name this link as its peer".into(),
                        });
                    }
                    Some(p) => p.clone(),
                    None => Link::new(LinkKind::Veth { peer: key.clone() }),
                };
                Self::check_mtu(&pobject, peer_link.mtu)?;
                if peer_link.master.is_some() || peer_link.up {
                    return Err(KernelError::Invalid {
                        object: pobject,
                        reason: "a link is created down and without a master; set those afterwards"
                            .into(),
                    });
                }
                let a = self.materialise(link);
                let b = self.materialise(&peer_link);
                self.world.links.insert(key.clone(), a);
                self.world.links.insert(pkey.clone(), b);
            }
            LinkKind::Bridge | LinkKind::Dummy => {
                let created = self.materialise(link);
                self.world.links.insert(key.clone(), created);
            }
        }
        Ok(())
    }

    /// Removes a link and everything Linux removes with it.
    fn remove_link(&mut self, key: &LinkKey) {
        let Some(link) = self.world.links.remove(key) else {
            return;
        };
        self.underlay.remove(key);
        let (ns, name) = (&key.netns, key.name.as_str());
        self.world
            .addrs
            .retain(|a| !(a.netns == *ns && a.link == name));
        self.world
            .routes
            .retain(|k, r| !(k.netns == *ns && r.dev == name));
        self.world
            .neighs
            .retain(|k, _| !(k.netns == *ns && k.link == name));
        self.world
            .fdb
            .retain(|e| !(e.netns == *ns && e.link == name));
        match link.kind {
            LinkKind::Bridge => {
                let ports: Vec<LinkKey> = self
                    .world
                    .links
                    .iter()
                    .filter(|(k, l)| k.netns == *ns && l.master.as_deref() == Some(name))
                    .map(|(k, _)| k.clone())
                    .collect();
                for port in ports {
                    self.release_port(&port);
                }
            }
            LinkKind::Veth { peer } => self.remove_link(&peer),
            LinkKind::Vxlan(_) | LinkKind::Dummy => {}
        }
    }

    /// Takes a port out of its bridge: no master, and its master-FDB entries are flushed.
    fn release_port(&mut self, port: &LinkKey) {
        if let Some(l) = self.world.links.get_mut(port) {
            l.master = None;
        }
        self.world.fdb.retain(|e| {
            !(e.netns == port.netns && e.link == port.name && e.table == FdbTable::Master)
        });
    }

    pub(crate) fn set_link(
        &mut self,
        key: &LinkKey,
        change: &LinkChange,
    ) -> Result<(), KernelError> {
        let object = ObjectId::Link(key.clone());
        let link = self.require_link(key, &object)?;
        match change {
            LinkChange::Mtu(m) => {
                Self::check_mtu(&object, Some(*m))?;
                if let Some(l) = self.world.links.get_mut(key) {
                    l.mtu = Some(*m);
                }
            }
            LinkChange::Mac(mac) => {
                if !mac.is_unicast() || *mac == MacAddr::default() {
                    return Err(KernelError::Invalid {
                        object,
                        reason: format!("{mac} is not a unicast address"),
                    });
                }
                if let Some(l) = self.world.links.get_mut(key) {
                    l.mac = Some(*mac);
                }
            }
            LinkChange::Master(Some(m)) => {
                let mkey = LinkKey::new(key.netns.clone(), m.clone());
                let master = self.require_link(&mkey, &object)?;
                if master.kind != LinkKind::Bridge {
                    return Err(KernelError::Invalid {
                        object,
                        reason: format!("master {m} is not a bridge"),
                    });
                }
                if link.kind == LinkKind::Bridge {
                    return Err(KernelError::Invalid {
                        object,
                        reason: "a bridge cannot be a bridge port".into(),
                    });
                }
                if link.master.as_deref() != Some(m.as_str()) {
                    self.release_port(key);
                    if let Some(l) = self.world.links.get_mut(key) {
                        l.master = Some(m.clone());
                    }
                }
            }
            LinkChange::Master(None) => self.release_port(key),
            LinkChange::Up(up) => {
                let was_up = link.up;
                if let Some(l) = self.world.links.get_mut(key) {
                    l.up = *up;
                }
                if was_up && !*up {
                    // Linux flushes the routes and neighbour entries of a link that goes down.
                    let (ns, name) = (&key.netns, key.name.as_str());
                    self.world
                        .routes
                        .retain(|k, r| !(k.netns == *ns && r.dev == name));
                    self.world
                        .neighs
                        .retain(|k, _| !(k.netns == *ns && k.link == name));
                }
            }
        }
        Ok(())
    }

    fn add_addr(&mut self, addr: &AddrKey, object: ObjectId) -> Result<(), KernelError> {
        self.require_link(
            &LinkKey::new(addr.netns.clone(), addr.link.clone()),
            &object,
        )?;
        if !self.world.addrs.insert(addr.clone()) {
            return Err(KernelError::Exists { object });
        }
        Ok(())
    }

    fn put_route(
        &mut self,
        key: &RouteKey,
        route: &Route,
        exclusive: bool,
        object: ObjectId,
    ) -> Result<(), KernelError> {
        let dev = LinkKey::new(key.netns.clone(), route.dev.clone());
        if !self.require_link(&dev, &object)?.up {
            return Err(KernelError::NetDown {
                object,
                device: dev.name,
            });
        }
        if let Some(via) = route.via {
            if via.is_ipv4() != key.dst.addr().is_ipv4() {
                return Err(KernelError::Invalid {
                    object,
                    reason: "gateway and destination families differ".into(),
                });
            }
        }
        if exclusive && self.world.routes.contains_key(key) {
            return Err(KernelError::Exists { object });
        }
        self.world.routes.insert(key.clone(), route.clone());
        Ok(())
    }

    fn put_neigh(
        &mut self,
        key: &NeighKey,
        neigh: &Neigh,
        exclusive: bool,
        object: ObjectId,
    ) -> Result<(), KernelError> {
        self.require_link(&LinkKey::new(key.netns.clone(), key.link.clone()), &object)?;
        if exclusive && self.world.neighs.contains_key(key) {
            return Err(KernelError::Exists { object });
        }
        self.world.neighs.insert(key.clone(), neigh.clone());
        Ok(())
    }

    fn add_fdb(&mut self, entry: &FdbEntry, object: ObjectId) -> Result<(), KernelError> {
        let link = self.require_link(
            &LinkKey::new(entry.netns.clone(), entry.link.clone()),
            &object,
        )?;
        match entry.table {
            FdbTable::SelfDev
                if entry.dst.is_some() && !matches!(link.kind, LinkKind::Vxlan(_)) =>
            {
                return Err(KernelError::Invalid {
                    object,
                    reason: "only VXLAN devices take a dst".into(),
                });
            }
            FdbTable::Master if link.master.is_none() => {
                return Err(KernelError::Invalid {
                    object,
                    reason: format!("{} is not a bridge port", entry.link),
                });
            }
            _ => {}
        }
        if !self.world.fdb.insert(entry.clone()) {
            return Err(KernelError::Exists { object });
        }
        Ok(())
    }

    fn add_state(
        &mut self,
        key: &XfrmStateKey,
        state: &XfrmState,
        object: ObjectId,
    ) -> Result<(), KernelError> {
        if key.src.is_ipv4() != key.dst.is_ipv4() {
            return Err(KernelError::Invalid {
                object,
                reason: "source and destination families differ".into(),
            });
        }
        if state.aead_name == "rfc4106(gcm(aes))" {
            if !RFC4106_KEY_BYTES.contains(&state.aead_key.bytes().len()) {
                return Err(KernelError::Invalid {
                    object,
                    reason: format!(
                        "rfc4106(gcm(aes)) takes a 20, 28 or 36 byte key, not {}",
                        state.aead_key.bytes().len()
                    ),
                });
            }
            if !RFC4106_ICV_BITS.contains(&state.icv_bits) {
                return Err(KernelError::Invalid {
                    object,
                    reason: format!("ICV length {} bits is not 64, 96 or 128", state.icv_bits),
                });
            }
        }
        // Linux finds a state by (dst, SPI, protocol): a second one with another source clashes.
        let clash = self
            .world
            .xfrm_states
            .keys()
            .any(|k| k.dst == key.dst && k.spi == key.spi && k.proto == key.proto);
        if clash {
            return Err(KernelError::Exists { object });
        }
        self.world.xfrm_states.insert(key.clone(), state.clone());
        Ok(())
    }

    fn put_policy(
        &mut self,
        key: &XfrmPolicyKey,
        policy: &XfrmPolicy,
        exclusive: bool,
        object: ObjectId,
    ) -> Result<(), KernelError> {
        let sel = &key.selector;
        if sel.src.addr().is_ipv4() != sel.dst.addr().is_ipv4() {
            return Err(KernelError::Invalid {
                object,
                reason: "selector families differ".into(),
            });
        }
        if exclusive && self.world.xfrm_policies.contains_key(key) {
            return Err(KernelError::Exists { object });
        }
        self.world.xfrm_policies.insert(key.clone(), policy.clone());
        Ok(())
    }

    fn set_nft(
        &mut self,
        key: &NftTableKey,
        table: &NftTable,
        object: ObjectId,
    ) -> Result<(), KernelError> {
        self.require_netns(&key.netns)?;
        if key.name.is_empty() {
            return Err(KernelError::Invalid {
                object,
                reason: "empty table name".into(),
            });
        }
        self.world.nft_tables.insert(key.clone(), table.clone());
        Ok(())
    }

    /// Deletes any object with what Linux deletes along with it (used by drift).
    fn remove_object(&mut self, id: &ObjectId) {
        match id {
            ObjectId::Netns(Netns::Named(n)) => {
                let _ = self.del_netns(n, id.clone());
            }
            ObjectId::Netns(Netns::Host) => {}
            ObjectId::Link(k) => self.remove_link(k),
            ObjectId::Addr(a) => {
                self.world.addrs.remove(a);
            }
            ObjectId::Route(k) => {
                self.world.routes.remove(k);
            }
            ObjectId::Neigh(k) => {
                self.world.neighs.remove(k);
            }
            ObjectId::Fdb(e) => {
                self.world.fdb.remove(e);
            }
            ObjectId::XfrmState(k) => {
                self.world.xfrm_states.remove(k);
            }
            ObjectId::XfrmPolicy(k) => {
                self.world.xfrm_policies.remove(k);
            }
            ObjectId::NftTable(k) => {
                self.world.nft_tables.remove(k);
            }
        }
    }
}

impl Kernel for SimKernel {
    /// Everything on the simulated host (ours and foreign); the diff filters by scope.
    fn observe(&mut self) -> Result<KernelState, KernelError> {
        match self.faults.take_observe() {
            Some(errno) => Err(KernelError::Observe { errno }),
            None => Ok(self.world.clone()),
        }
    }

    fn apply(&mut self, plan: &Plan) -> ApplyReport {
        execute(plan, |op| self.apply_op(op))
    }
}
