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
mod batch;
mod error;
mod link;
mod neigh;
mod netns;
mod nft;
mod observe;
mod probe;
mod route;
mod socket;
mod xfrm;

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::protocols::{NETLINK_ROUTE, NETLINK_XFRM};

pub use error::LinuxError;
pub use netns::NetnsDir;
pub use probe::{Capabilities, probe};
pub use socket::{Nack, Reply, parse_replies};

use self::batch::batchable;
use self::error::nack_error;
use self::socket::NlSocket;
use crate::kernel::{
    ApplyReport, Errno, Kernel, KernelError, KernelState, Link, LinkChange, LinkKey, LinkKind,
    Netns, ObjectId, Op, Plan, Scope, execute,
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

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type IndexCache = FastMap<Netns, FastMap<String, u32>>;

/// The real kernel, over netlink. Holds only sockets and an interface-index cache: a new
/// instance on the same kernel observes exactly what an old one left.
pub struct LinuxKernel {
    config: LinuxConfig,
    route: HashMap<Netns, NlSocket>,
    xfrm: Option<NlSocket>,
    /// Interface indexes per namespace. foldhash rather than SipHash: this map is consulted
    /// once per batched request, and its keys are our own names and the kernel's.
    index: IndexCache,
}

impl LinuxKernel {
    /// A backend with `config`. Opens nothing until first used.
    pub fn new(config: LinuxConfig) -> LinuxKernel {
        LinuxKernel {
            config,
            route: HashMap::new(),
            xfrm: None,
            index: IndexCache::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LinuxConfig {
        &self.config
    }

    /// Replaces what the backend observes as its own, returning the previous scope. A host's
    /// scope grows as endpoints join (their container-side links are claimed), so a backend
    /// that serves one host follows it; no cached socket or index depends on the scope.
    pub fn replace_scope(&mut self, scope: Scope) -> Scope {
        std::mem::replace(&mut self.config.scope, scope)
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
        let map: FastMap<String, u32> = links.into_iter().map(|l| (l.name, l.index)).collect();
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
        object: impl FnOnce() -> ObjectId,
    ) -> Result<u32, KernelError> {
        match self.ifindex(ns, name) {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(KernelError::NoDevice {
                object: object(),
                device: name.into(),
            }),
            Err(e) => Err(e.for_object(object())),
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
                    LinkChange::Master(Some(m)) => {
                        self.require_index(&key.netns, m, || object.clone())?
                    }
                    _ => 0,
                };
                self.require_index(&key.netns, &key.name, || object.clone())?;
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
                let idx = self.require_index(&host, staging, || object.clone())?;
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
        let mut done: Vec<Option<Result<(), KernelError>>> = Vec::new();
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
            if let Some(r) = done.get_mut(i).and_then(Option::take) {
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
            if done.len() < end {
                done.resize_with(end, || None);
            }
            for (k, r) in results.enumerate() {
                done[i + 1 + k] = Some(r);
            }
            first
        })
    }
}
