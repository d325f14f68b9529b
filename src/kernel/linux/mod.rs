//! The Linux backend: [`LinuxKernel`] implements [`Kernel`] over synchronous netlink
//! (rtnetlink and XFRM, no async runtime) and the `nft` binary.
//!
//! It owns the translation of each [`Op`] into netlink requests, per-namespace sockets, and
//! the dump that turns the kernel back into a [`KernelState`]. It decides nothing: the plan
//! says what to do, [`execute`] says what failure means, the [`Scope`] says what is ours.
//!
//! # Namespaces
//!
//! Named namespaces are files in a directory (default `/run/netns`, so `ip netns` lists them;
//! Docker uses `/var/run/docker/netns`). The "host" namespace is the process's own, or a
//! named namespace given at construction (tests run whole "hosts" inside namespaces). Each
//! namespace gets its own cached netlink socket, opened on a short-lived thread that entered
//! the namespace with `setns`; the calling thread never changes namespace.
//!
//! # Batching
//!
//! Runs of consecutive address, route, neighbour and FDB operations go to the kernel in as
//! few `sendmsg` calls as fit the socket buffer, with one ACK per call; each error comes back
//! with its request's sequence number and is reported on its own operation.

mod addr;
mod error;
mod link;
mod neigh;
mod netns;
mod nft;
mod probe;
mod route;
mod socket;
mod xfrm;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::fd::AsRawFd;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::protocols::{NETLINK_ROUTE, NETLINK_XFRM};

pub use error::LinuxError;
pub use netns::NetnsDir;
pub use probe::{Capabilities, probe};
pub use socket::{Nack, Reply, parse_replies};

use self::error::nack_error;
use self::socket::NlSocket;
use crate::kernel::{
    AddrKey, ApplyReport, Errno, FdbEntry, Kernel, KernelError, KernelState, Link, LinkChange,
    LinkKey, LinkKind, Neigh, NeighKey, Netns, NftTableKey, ObjectId, Op, Plan, Route, RouteKey,
    Scope, execute,
};

/// How a [`LinuxKernel`] finds its namespaces and what it considers its own.
#[derive(Clone, Debug)]
pub struct LinuxConfig {
    /// Where named namespaces are bind-mounted (default `/run/netns`).
    pub netns_dir: NetnsDir,
    /// The namespace that plays [`Netns::Host`]: `None` for the process's own, or the name of
    /// a namespace in `netns_dir`.
    pub host_netns: Option<String>,
    /// What is ours: only these objects are observed.
    pub scope: Scope,
}

impl LinuxConfig {
    /// The process's own namespace as host, `/run/netns`, Docker's scope.
    pub fn new(scope: Scope) -> LinuxConfig {
        LinuxConfig {
            netns_dir: NetnsDir::default(),
            host_netns: None,
            scope,
        }
    }

    /// The same configuration with namespace `name` (in `netns_dir`) as the host.
    pub fn with_host_netns(mut self, name: impl Into<String>) -> LinuxConfig {
        self.host_netns = Some(name.into());
        self
    }

    /// The same configuration with namespace files in `dir`.
    pub fn with_netns_dir(mut self, dir: NetnsDir) -> LinuxConfig {
        self.netns_dir = dir;
        self
    }
}

/// The real kernel, over netlink. Holds only sockets and an interface-index cache: a new
/// instance on the same kernel observes exactly what an old one left.
pub struct LinuxKernel {
    config: LinuxConfig,
    route: HashMap<Netns, NlSocket>,
    xfrm: Option<NlSocket>,
    index: HashMap<Netns, HashMap<String, u32>>,
}

/// Requests of one namespace in a batch: (message, flags, operation index, best effort).
type NsBatch = Vec<(RouteNetlinkMessage, u16, usize, bool)>;

impl LinuxKernel {
    /// A backend with `config`. Opens nothing until first used.
    pub fn new(config: LinuxConfig) -> LinuxKernel {
        LinuxKernel {
            config,
            route: HashMap::new(),
            xfrm: None,
            index: HashMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LinuxConfig {
        &self.config
    }

    fn label(&self, ns: &Netns) -> String {
        match (ns, &self.config.host_netns) {
            (Netns::Host, Some(h)) => h.clone(),
            (Netns::Host, None) => "host".into(),
            (Netns::Named(n), _) => n.clone(),
        }
    }

    /// The namespace file, or `None` for the process's own namespace.
    fn ns_file(&self, ns: &Netns) -> Result<Option<File>, LinuxError> {
        match (ns, &self.config.host_netns) {
            (Netns::Host, None) => Ok(None),
            (Netns::Host, Some(h)) => self.config.netns_dir.open(h).map(Some),
            (Netns::Named(n), _) => self.config.netns_dir.open(n).map(Some),
        }
    }

    fn open_in(&self, ns: &Netns, protocol: isize) -> Result<NlSocket, LinuxError> {
        let label = self.label(ns);
        match self.ns_file(ns)? {
            None => NlSocket::open(protocol).map_err(LinuxError::Io),
            Some(f) => netns::run_in(&f, move || NlSocket::open(protocol))
                .and_then(|r| r)
                .map_err(|source| LinuxError::Netns {
                    name: label,
                    action: "enter",
                    source,
                }),
        }
    }

    fn sock(&mut self, ns: &Netns) -> Result<&mut NlSocket, LinuxError> {
        if !self.route.contains_key(ns) {
            let s = self.open_in(ns, NETLINK_ROUTE)?;
            self.route.insert(ns.clone(), s);
        }
        self.route
            .get_mut(ns)
            .ok_or_else(|| LinuxError::Io(std::io::Error::other("socket cache")))
    }

    fn xfrm_sock(&mut self) -> Result<&mut NlSocket, LinuxError> {
        if self.xfrm.is_none() {
            self.xfrm = Some(self.open_in(&Netns::Host, NETLINK_XFRM)?);
        }
        self.xfrm
            .as_mut()
            .ok_or_else(|| LinuxError::Io(std::io::Error::other("socket cache")))
    }

    fn forget(&mut self, ns: &Netns) {
        self.route.remove(ns);
        self.index.remove(ns);
    }

    /// The interface index of `name` in `ns`, from the cache or a fresh link dump.
    fn ifindex(&mut self, ns: &Netns, name: &str) -> Result<Option<u32>, LinuxError> {
        if let Some(i) = self.index.get(ns).and_then(|m| m.get(name)) {
            return Ok(Some(*i));
        }
        let links = self.dump_links(ns)?;
        let map: HashMap<String, u32> = links.into_iter().map(|l| (l.name, l.index)).collect();
        let found = map.get(name).copied();
        self.index.insert(ns.clone(), map);
        Ok(found)
    }

    fn dump_links(&mut self, ns: &Netns) -> Result<Vec<link::Dumped>, LinuxError> {
        let msgs = self
            .sock(ns)?
            .dump(link::dump())?
            .map_err(|n| dump_err("links", n))?;
        Ok(msgs
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(link::parse(l)),
                _ => None,
            })
            .collect())
    }

    fn netlink(
        &mut self,
        ns: &Netns,
        object: ObjectId,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<(), KernelError> {
        let r = self
            .sock(ns)
            .and_then(|s| s.request(msg, flags))
            .map_err(|e| e.for_object(object.clone()))?;
        r.map_err(|n| nack_error(object, n))
    }

    fn require_index(
        &mut self,
        ns: &Netns,
        name: &str,
        object: &ObjectId,
    ) -> Result<u32, KernelError> {
        match self.ifindex(ns, name) {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(KernelError::NoDevice {
                object: object.clone(),
                device: name.into(),
            }),
            Err(e) => Err(e.for_object(object.clone())),
        }
    }

    /// Runs one operation that is not batched.
    fn run(&mut self, op: &Op) -> Result<(), KernelError> {
        let object = op.object();
        match op {
            Op::AddNetns { name } => self.add_netns(name, object),
            Op::DelNetns { name } => {
                let ns = Netns::named(name.clone());
                self.forget(&ns);
                self.config
                    .netns_dir
                    .delete(name)
                    .map_err(|e| netns_err(e, object))
            }
            Op::AddLink {
                key,
                link,
                staging_name,
                peer,
            } => {
                let r = self.add_link(key, link, staging_name.as_deref(), peer.as_ref(), &object);
                self.index.remove(&key.netns);
                self.index.remove(&Netns::Host);
                r
            }
            Op::DelLink { key } => {
                self.index.remove(&key.netns);
                let r = self.netlink(&key.netns, object.clone(), link::delete(&key.name), 0);
                match r {
                    Err(e) if e.errno() == Errno::ENODEV => Err(KernelError::NoDevice {
                        object,
                        device: key.name.clone(),
                    }),
                    r => r,
                }
            }
            Op::SetLink { key, change } => {
                let master = match change {
                    LinkChange::Master(Some(m)) => self.require_index(&key.netns, m, &object)?,
                    _ => 0,
                };
                self.require_index(&key.netns, &key.name, &object)?;
                self.netlink(&key.netns, object, link::set(&key.name, change, master), 0)
            }
            Op::AddXfrmState { key, state } => self.xfrm_request(
                object,
                xfrm::add_state(key, state),
                NLM_F_CREATE | NLM_F_EXCL,
            ),
            Op::DelXfrmState { key } => self.xfrm_request(object, xfrm::del_state(key), 0),
            Op::AddXfrmPolicy { key, policy } => self.xfrm_request(
                object,
                xfrm::put_policy(key, policy, false),
                NLM_F_CREATE | NLM_F_EXCL,
            ),
            Op::UpdateXfrmPolicy { key, policy } => {
                self.xfrm_request(object, xfrm::put_policy(key, policy, true), 0)
            }
            Op::DelXfrmPolicy { key } => self.xfrm_request(object, xfrm::del_policy(key), 0),
            Op::SetNftTable { key, table } => {
                let f = self
                    .ns_file(&key.netns)
                    .map_err(|e| netns_err(e, object.clone()))?;
                nft::set_table(
                    f.as_ref(),
                    &self.label(&key.netns),
                    key.family,
                    &key.name,
                    &table.body,
                )
                .map_err(|e| e.for_object(object))
            }
            Op::DelNftTable { key } => {
                let f = self
                    .ns_file(&key.netns)
                    .map_err(|e| netns_err(e, object.clone()))?;
                nft::delete_table(f.as_ref(), &self.label(&key.netns), key.family, &key.name)
                    .map_err(|e| match &e {
                        LinuxError::Nft { detail, .. }
                            if detail.contains("No such file or directory") =>
                        {
                            KernelError::NotFound {
                                object: object.clone(),
                                errno: Errno::ENOENT,
                            }
                        }
                        _ => e.for_object(object.clone()),
                    })
            }
            // Batched kinds also run here when a batch holds only them.
            other => {
                let mut results = self.run_batch(&[other]);
                results.pop().unwrap_or(Ok(()))
            }
        }
    }

    fn xfrm_request(
        &mut self,
        object: ObjectId,
        msg: netlink_packet_xfrm::XfrmMessage,
        flags: u16,
    ) -> Result<(), KernelError> {
        let r = self
            .xfrm_sock()
            .and_then(|s| s.request(msg, flags))
            .map_err(|e| e.for_object(object.clone()))?;
        r.map_err(|n| nack_error(object, n))
    }

    fn add_netns(&mut self, name: &str, object: ObjectId) -> Result<(), KernelError> {
        self.config
            .netns_dir
            .create(name)
            .map_err(|e| netns_err(e, object.clone()))?;
        // moby's NewSandbox brings `lo` up in every namespace it creates.
        let ns = Netns::named(name);
        let lo = link::set("lo", &LinkChange::Up(true), 0);
        self.netlink(&ns, object, lo, 0)
    }

    fn add_link(
        &mut self,
        key: &LinkKey,
        want: &Link,
        staging: Option<&str>,
        peer: Option<&Link>,
        object: &ObjectId,
    ) -> Result<(), KernelError> {
        let create = NLM_F_CREATE | NLM_F_EXCL;
        match (&want.kind, staging) {
            (LinkKind::Vxlan(_), Some(staging)) if key.netns != Netns::Host => {
                // moby createVxlan: create in the host namespace (so the UDP socket lives
                // there), then move into the overlay namespace and rename, in one request.
                let host = Netns::Host;
                let made = self.netlink(
                    &host,
                    object.clone(),
                    link::create(staging, want, None),
                    create,
                );
                if let Err(KernelError::Exists { .. }) = made {
                    // A staging device left by an interrupted run holds the VNI; moby's
                    // setupSubnetSandbox removes such stale devices too. Replace it once.
                    self.netlink(&host, object.clone(), link::delete(staging), 0)?;
                    let again = link::create(staging, want, None);
                    self.netlink(&host, object.clone(), again, create)?;
                } else {
                    made?;
                }
                self.index.remove(&host);
                let idx = self.require_index(&host, staging, object)?;
                let target = self
                    .ns_file(&key.netns)
                    .map_err(|e| netns_err(e, object.clone()))?
                    .ok_or_else(|| KernelError::Invalid {
                        object: object.clone(),
                        reason: "cannot move a link into the host namespace".into(),
                    })?;
                let moved = self.netlink(
                    &host,
                    object.clone(),
                    link::move_to(idx, target.as_raw_fd(), &key.name),
                    0,
                );
                if moved.is_err() {
                    // Never leave a stale VXLAN device holding the VNI in the host namespace.
                    let _ = self.netlink(&host, object.clone(), link::delete(staging), 0);
                }
                moved
            }
            (LinkKind::Veth { peer: pkey }, _) => {
                let plink = peer.ok_or_else(|| KernelError::Invalid {
                    object: object.clone(),
                    reason: format!("veth {key} needs its peer {pkey}'s attributes"),
                })?;
                let pfile = self
                    .ns_file(&pkey.netns)
                    .map_err(|e| netns_err(e, object.clone()))?;
                let own;
                let fd = match &pfile {
                    Some(f) => f.as_raw_fd(),
                    None => {
                        own = File::open("/proc/self/ns/net")
                            .map_err(|e| LinuxError::Io(e).for_object(object.clone()))?;
                        own.as_raw_fd()
                    }
                };
                self.index.remove(&pkey.netns);
                self.netlink(
                    &key.netns,
                    object.clone(),
                    link::create(&key.name, want, Some((&pkey.name, plink, fd))),
                    create,
                )
            }
            _ => self.netlink(
                &key.netns,
                object.clone(),
                link::create(&key.name, want, None),
                create,
            ),
        }
    }

    /// Builds and sends a run of batchable operations, namespace by namespace; returns one
    /// result per operation.
    fn run_batch(&mut self, ops: &[&Op]) -> Vec<Result<(), KernelError>> {
        let mut results: Vec<Option<Result<(), KernelError>>> = vec![None; ops.len()];
        let mut by_ns: BTreeMap<Netns, NsBatch> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            match self.request_for(op) {
                Ok((ns, reqs)) => {
                    let b = by_ns.entry(ns).or_default();
                    for (msg, flags, best_effort) in reqs {
                        b.push((msg, flags, i, best_effort));
                    }
                }
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        for (ns, batch) in by_ns {
            let (msgs, meta): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|(m, f, i, b)| ((m, f), (i, b)))
                .unzip();
            let sent = self.sock(&ns).and_then(|s| s.batch(&msgs));
            match sent {
                Ok(acks) => {
                    for ((i, best_effort), ack) in meta.into_iter().zip(acks) {
                        if results[i].is_some() {
                            continue;
                        }
                        match ack {
                            Err(_) if best_effort => {}
                            Err(n) => results[i] = Some(Err(nack_error(ops[i].object(), n))),
                            Ok(()) => {}
                        }
                    }
                }
                Err(e) => {
                    for (i, _) in meta {
                        results[i].get_or_insert_with(|| Err(e.for_object(ops[i].object())));
                    }
                }
            }
        }
        results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
    }

    /// The namespace and requests of one batchable operation: (message, flags, best effort).
    #[allow(clippy::type_complexity)]
    fn request_for(
        &mut self,
        op: &Op,
    ) -> Result<(Netns, Vec<(RouteNetlinkMessage, u16, bool)>), KernelError> {
        let object = op.object();
        let add = NLM_F_CREATE | NLM_F_EXCL;
        let replace = NLM_F_CREATE | NLM_F_REPLACE;
        let one = |ns: &Netns, m, f| Ok((ns.clone(), vec![(m, f, false)]));
        match op {
            Op::AddAddr { addr: a } | Op::DelAddr { addr: a } => {
                let i = self.require_index(&a.netns, &a.link, &object)?;
                if matches!(op, Op::AddAddr { .. }) {
                    one(&a.netns, addr::add(i, &a.prefix), add)
                } else {
                    one(&a.netns, addr::del(i, &a.prefix), 0)
                }
            }
            Op::AddRoute { key, route: r } | Op::ReplaceRoute { key, route: r } => {
                let i = self.require_index(&key.netns, &r.dev, &object)?;
                let f = if matches!(op, Op::AddRoute { .. }) {
                    add
                } else {
                    replace
                };
                one(&key.netns, route::add(&key.dst, i, r.via), f)
            }
            Op::DelRoute { key } => one(&key.netns, route::del(&key.dst), 0),
            Op::AddNeigh { key, neigh: n } | Op::ReplaceNeigh { key, neigh: n } => {
                let i = self.require_index(&key.netns, &key.link, &object)?;
                let f = if matches!(op, Op::AddNeigh { .. }) {
                    add
                } else {
                    replace
                };
                one(&key.netns, neigh::add_neigh(i, key.ip, n.lladdr), f)
            }
            Op::DelNeigh { key } => {
                let i = self.require_index(&key.netns, &key.link, &object)?;
                one(&key.netns, neigh::del_neigh(i, key.ip), 0)
            }
            Op::AddFdb { entry: e } => {
                let i = self.require_index(&e.netns, &e.link, &object)?;
                one(&e.netns, neigh::add_fdb(i, e.mac, e.dst, e.table), add)
            }
            Op::DelFdb { entry: e } => {
                let i = self.require_index(&e.netns, &e.link, &object)?;
                let mut reqs = vec![(neigh::del_fdb(i, e.mac, e.dst, e.table), 0, false)];
                if e.table == crate::kernel::FdbTable::SelfDev {
                    // moby deleteNeighbor: also drop the bridge's dynamic entry for the MAC
                    // (NTF_MASTER); its absence is not an error.
                    reqs.push((
                        neigh::del_fdb(i, e.mac, None, crate::kernel::FdbTable::Master),
                        0,
                        true,
                    ));
                }
                Ok((e.netns.clone(), reqs))
            }
            _ => Err(KernelError::Invalid {
                object,
                reason: "not a batchable operation".into(),
            }),
        }
    }

    /// Namespaces to observe: the host, our named namespaces, and namespaces holding claimed
    /// links. Returns (namespace, whether everything inside is ours).
    fn observed_namespaces(&self) -> Result<Vec<(Netns, bool)>, LinuxError> {
        let mut out = vec![(Netns::Host, false)];
        let names = self.config.netns_dir.list().map_err(LinuxError::Io)?;
        for n in &names {
            let ns = Netns::named(n.clone());
            if Some(n) == self.config.host_netns.as_ref() {
                continue;
            }
            if self.config.scope.owns_netns(&ns) {
                out.push((ns, true));
            } else if self
                .config
                .scope
                .claimed_links
                .iter()
                .any(|k| k.netns == ns)
            {
                out.push((ns, false));
            }
        }
        Ok(out)
    }

    /// The id `from` uses for namespace `to` (`RTM_GETNSID`), if any.
    fn nsid(&mut self, from: &Netns, to: &File) -> Result<Option<i32>, LinuxError> {
        let mut m = NsidMessage::default();
        m.header.family = AddressFamily::Unspec;
        m.attributes.push(NsidAttribute::Fd(to.as_raw_fd() as u32));
        let replies = match self.sock(from)?.get(RouteNetlinkMessage::GetNsId(m))? {
            Ok(r) => r,
            Err(_) => return Ok(None),
        };
        Ok(replies.iter().find_map(|r| match r {
            RouteNetlinkMessage::NewNsId(n) => n.attributes.iter().find_map(|a| match a {
                NsidAttribute::Id(id) if *id >= 0 => Some(*id),
                _ => None,
            }),
            _ => None,
        }))
    }

    fn observe_all(&mut self) -> Result<KernelState, LinuxError> {
        let mut st = KernelState::new();
        let namespaces = self.observed_namespaces()?;
        for (ns, _) in &namespaces {
            if let Netns::Named(n) = ns {
                st.namespaces.insert(n.clone());
            }
        }
        // Namespace files, to resolve veth peers' namespace ids.
        let mut files: Vec<(Netns, File)> = Vec::new();
        for (ns, _) in &namespaces {
            match self.ns_file(ns)? {
                Some(f) => files.push((ns.clone(), f)),
                None => files.push((
                    ns.clone(),
                    File::open("/proc/self/ns/net").map_err(LinuxError::Io)?,
                )),
            }
        }
        let mut dumped: Vec<(Netns, Vec<link::Dumped>)> = Vec::new();
        for (ns, _) in &namespaces {
            let links = self.dump_links(ns)?;
            self.index.insert(
                ns.clone(),
                links.iter().map(|l| (l.name.clone(), l.index)).collect(),
            );
            dumped.push((ns.clone(), links));
        }
        // Namespace ids as seen from each namespace that has a veth with a remote peer.
        let mut ids: HashMap<(Netns, i32), Netns> = HashMap::new();
        for (ns, links) in &dumped {
            if links.iter().any(|l| l.peer_nsid.is_some()) {
                for (other, f) in &files {
                    if let Some(id) = self.nsid(ns, f)? {
                        ids.insert((ns.clone(), id), other.clone());
                    }
                }
            }
        }
        let name_of = |ns: &Netns, idx: u32| -> Option<String> {
            dumped
                .iter()
                .find(|(n, _)| n == ns)
                .and_then(|(_, ls)| ls.iter().find(|l| l.index == idx))
                .map(|l| l.name.clone())
        };
        for (ns, links) in &dumped {
            for l in links {
                let Some(mut kind) = l.kind.clone() else {
                    continue;
                };
                if let LinkKind::Veth { peer } = &mut kind {
                    let pns = match l.peer_nsid {
                        None => Some(ns.clone()),
                        Some(id) => ids.get(&(ns.clone(), id)).cloned(),
                    };
                    let pname = match (&pns, l.peer_index) {
                        (Some(p), Some(i)) => name_of(p, i),
                        _ => None,
                    };
                    *peer = match (pns, pname) {
                        (Some(p), Some(n)) => LinkKey::new(p, n),
                        // The peer lives in a namespace we do not observe.
                        _ => LinkKey::new(
                            Netns::named(format!("nsid:{}", l.peer_nsid.unwrap_or(-1))),
                            format!("if{}", l.peer_index.unwrap_or(0)),
                        ),
                    };
                }
                let master = l.master.and_then(|m| name_of(ns, m));
                st.links.insert(
                    LinkKey::new(ns.clone(), l.name.clone()),
                    Link {
                        kind,
                        mtu: l.mtu,
                        mac: l.mac,
                        master,
                        up: l.up,
                    },
                );
            }
        }
        for (ns, links) in &dumped {
            let modeled = |idx: u32| -> Option<String> {
                links
                    .iter()
                    .find(|l| l.index == idx && l.kind.is_some())
                    .map(|l| l.name.clone())
            };
            let own_macs: Vec<_> = links.iter().filter_map(|l| l.mac).collect();
            let sock = self.sock(ns)?;
            for m in sock
                .dump(addr::dump())?
                .map_err(|n| dump_err("addresses", n))?
            {
                if let RouteNetlinkMessage::NewAddress(a) = m {
                    if let Some((idx, prefix)) = addr::parse(&a) {
                        if let Some(dev) = modeled(idx) {
                            st.addrs.insert(AddrKey::new(ns.clone(), dev, prefix));
                        }
                    }
                }
            }
            for v6 in [false, true] {
                for m in sock
                    .dump(route::dump(v6))?
                    .map_err(|n| dump_err("routes", n))?
                {
                    if let RouteNetlinkMessage::NewRoute(r) = m {
                        if let Some((dst, oif, via)) = route::parse(&r) {
                            if let Some(dev) = modeled(oif) {
                                st.routes
                                    .insert(RouteKey::new(ns.clone(), dst), Route { dev, via });
                            }
                        }
                    }
                }
            }
            for fam in [
                AddressFamily::Inet,
                AddressFamily::Inet6,
                AddressFamily::Bridge,
            ] {
                for m in sock
                    .dump(neigh::dump(fam))?
                    .map_err(|n| dump_err("neighbours", n))?
                {
                    let RouteNetlinkMessage::NewNeighbour(n) = m else {
                        continue;
                    };
                    let Some(d) = neigh::parse(&n) else { continue };
                    let Some(dev) = modeled(d.index) else {
                        continue;
                    };
                    match (d.table, d.ip) {
                        (None, Some(ip)) => {
                            st.neighs.insert(
                                NeighKey::new(ns.clone(), dev, ip),
                                Neigh { lladdr: d.mac },
                            );
                        }
                        (Some(table), dst) => {
                            // The kernel's own entries for the links' addresses are not ours.
                            if own_macs.contains(&d.mac) {
                                continue;
                            }
                            st.fdb.insert(FdbEntry {
                                netns: ns.clone(),
                                link: dev,
                                mac: d.mac,
                                dst,
                                table,
                            });
                        }
                        (None, None) => {}
                    }
                }
            }
        }
        for (ns, _) in &namespaces {
            let f = self.ns_file(ns)?;
            let name = self.config.scope.nft_table.clone();
            for (family, body) in nft::list_tables(f.as_ref(), &self.label(ns), &name)? {
                st.nft_tables.insert(
                    NftTableKey::new(ns.clone(), family, name.clone()),
                    crate::kernel::NftTable { body },
                );
            }
        }
        let mark = self.config.scope.xfrm_mark;
        let xs = self.xfrm_sock()?;
        for m in xs
            .dump(xfrm::dump_states())?
            .map_err(|n| dump_err("xfrm states", n))?
        {
            if let netlink_packet_xfrm::XfrmMessage::AddSa(sa) = m {
                if let Some((k, s)) = xfrm::parse_state(&sa) {
                    if s.reqid == mark {
                        st.xfrm_states.insert(k, s);
                    }
                }
            }
        }
        for m in xs
            .dump(xfrm::dump_policies())?
            .map_err(|n| dump_err("xfrm policies", n))?
        {
            if let netlink_packet_xfrm::XfrmMessage::AddPolicy(p) = m {
                if let Some((k, p)) = xfrm::parse_policy(&p) {
                    if k.mark.is_some_and(|m| m.value == mark) {
                        st.xfrm_policies.insert(k, p);
                    }
                }
            }
        }
        // Only what is ours (or in our namespaces) leaves this function.
        let scope = self.config.scope.clone();
        let snapshot = st.clone();
        let ours = |id: ObjectId| scope.owns(&id, &snapshot);
        st.links.retain(|k, _| ours(ObjectId::Link(k.clone())));
        st.addrs.retain(|k| ours(ObjectId::Addr(k.clone())));
        st.routes.retain(|k, _| ours(ObjectId::Route(k.clone())));
        st.neighs.retain(|k, _| ours(ObjectId::Neigh(k.clone())));
        st.fdb.retain(|k| ours(ObjectId::Fdb(k.clone())));
        st.nft_tables
            .retain(|k, _| ours(ObjectId::NftTable(k.clone())));
        Ok(st)
    }
}

/// The netlink message this backend sends for an XFRM operation (sequence number 0), or
/// `None` for other operations. For comparing with what `ip xfrm` or moby send.
pub fn xfrm_request_bytes(op: &Op) -> Option<Vec<u8>> {
    let create = NLM_F_CREATE | NLM_F_EXCL;
    let (msg, flags) = match op {
        Op::AddXfrmState { key, state } => (xfrm::add_state(key, state), create),
        Op::DelXfrmState { key } => (xfrm::del_state(key), 0),
        Op::AddXfrmPolicy { key, policy } => (xfrm::put_policy(key, policy, false), create),
        Op::UpdateXfrmPolicy { key, policy } => (xfrm::put_policy(key, policy, true), 0),
        Op::DelXfrmPolicy { key } => (xfrm::del_policy(key), 0),
        _ => return None,
    };
    let mut buf = Vec::new();
    let flags = netlink_packet_core::NLM_F_REQUEST | netlink_packet_core::NLM_F_ACK | flags;
    socket::encode_into(&mut buf, &msg, flags, 0);
    Some(buf)
}

fn dump_err(what: &'static str, n: Nack) -> LinuxError {
    LinuxError::Dump {
        what,
        errno: n.errno,
        message: n.message,
    }
}

fn netns_err(e: LinuxError, object: ObjectId) -> KernelError {
    match &e {
        LinuxError::Netns { source, .. } => match source.raw_os_error() {
            Some(code) if code == libc::EEXIST || code == libc::ENOENT => {
                KernelError::from_errno(object, Errno(code))
            }
            _ => e.for_object(object),
        },
        _ => e.for_object(object),
    }
}

fn batchable(op: &Op) -> bool {
    matches!(
        op,
        Op::AddAddr { .. }
            | Op::DelAddr { .. }
            | Op::AddRoute { .. }
            | Op::ReplaceRoute { .. }
            | Op::DelRoute { .. }
            | Op::AddNeigh { .. }
            | Op::ReplaceNeigh { .. }
            | Op::DelNeigh { .. }
            | Op::AddFdb { .. }
            | Op::DelFdb { .. }
    )
}

impl Kernel for LinuxKernel {
    fn observe(&mut self) -> Result<KernelState, KernelError> {
        self.observe_all()
            .map_err(|e| KernelError::Observe { errno: e.errno() })
    }

    fn apply(&mut self, plan: &Plan) -> ApplyReport {
        // Results of batched operations, by plan index. A run of consecutive batchable
        // operations is sent when `execute` reaches its first one. Batchable operations
        // provide nothing, so `execute` skips within a run only for a link that failed to
        // appear earlier; such an operation, sent anyway, fails at index lookup without
        // reaching the kernel.
        let mut done: HashMap<usize, Result<(), KernelError>> = HashMap::new();
        let mut cursor = 0;
        execute(plan, |op| {
            let Some(i) = plan.ops[cursor..]
                .iter()
                .position(|o| std::ptr::eq(o, op))
                .map(|p| p + cursor)
            else {
                return self.run(op);
            };
            cursor = i;
            if let Some(r) = done.remove(&i) {
                return r;
            }
            if !batchable(op) {
                return self.run(op);
            }
            let end = plan.ops[i..]
                .iter()
                .position(|o| !batchable(o))
                .map_or(plan.ops.len(), |p| p + i);
            let run: Vec<&Op> = plan.ops[i..end].iter().collect();
            let mut results = self.run_batch(&run).into_iter();
            let first = results.next().unwrap_or(Ok(()));
            for (k, r) in results.enumerate() {
                done.insert(i + 1 + k, r);
            }
            first
        })
    }
}
