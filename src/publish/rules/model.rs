//! [`MeshRules`]: the routing-mesh state of one network namespace as data — ingress ports,
//! host-mode ports, load balancers, SNAT towards overlays, task-container redirects — with
//! validation, and every change returned as the smallest nft transaction that makes it.
//!
//! It must stay free of I/O: callers apply the returned [`Transaction`]s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::nft::{self, Fragment, SetName, Transaction};
use crate::publish::error::PublishError;
use crate::publish::port::Protocol;

/// The ingress sandbox as the host sees it: its docker_gwbridge address(es), which published
/// ports are DNATed to, and the host's docker_gwbridge interface for the masquerade rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressGateway {
    /// The ingress sandbox's IPv4 address on docker_gwbridge (e.g. 172.18.0.2).
    pub sandbox_v4: Option<Ipv4Addr>,
    /// Its IPv6 address, when docker_gwbridge has IPv6 (Docker's mesh has none).
    pub sandbox_v6: Option<Ipv6Addr>,
    /// The host-side bridge interface name (`docker_gwbridge`).
    pub gwbridge: String,
}

/// A host-mode published port: host port → container address and target port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    /// Protocol.
    pub protocol: Protocol,
    /// Port on the host.
    pub host_port: u16,
    /// The container's docker_gwbridge address.
    pub container: IpAddr,
    /// Port inside the container.
    pub target: u16,
}

/// One service load balancer in an ingress or LB sandbox: traffic to any of its published
/// ports or VIPs is spread across its backends (task addresses), destination port kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    /// Node-local id, as Docker's fwmark (which starts at 256); names the chain `svc-<fwmark>`.
    pub fwmark: u32,
    /// Virtual IPs of the service on this network.
    pub vips: Vec<IpAddr>,
    /// Published (ingress) ports handled by this sandbox.
    pub ports: Vec<(Protocol, u16)>,
    /// Task addresses; each family is balanced across the backends of that family.
    pub backends: Vec<IpAddr>,
}

/// A task container's ingress redirects: traffic to one of `addrs` on a published port is
/// redirected to the target port; everything else to those addresses is dropped (Docker's
/// `addRedirectRules`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskRedirects {
    /// The container's ingress-network addresses.
    pub addrs: Vec<IpAddr>,
    /// `(protocol, published, target)`.
    pub ports: Vec<(Protocol, u16, u16)>,
}

/// The mesh rules of one network namespace (host, ingress sandbox, LB sandbox or task
/// container; one namespace may play several roles). Every mutator validates first and
/// changes nothing on error; on success it returns the transaction that applies exactly
/// that change to a kernel holding the previous state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeshRules {
    gateway: Option<IngressGateway>,
    /// Ingress ports, refcounted as Docker refcounts identical port configs across services.
    ingress_ports: BTreeMap<(Protocol, u16), u32>,
    host_ports: BTreeMap<(Protocol, u16), HostPort>,
    lbs: BTreeMap<u32, LoadBalancer>,
    lb_port_owner: HashMap<(Protocol, u16), u32>,
    vip_owner: HashMap<IpAddr, u32>,
    snat: BTreeMap<IpNet, IpAddr>,
    task: TaskRedirects,
}

impl MeshRules {
    /// No rules.
    pub fn new() -> MeshRules {
        MeshRules::default()
    }

    /// The ingress gateway, if this namespace is a host of the routing mesh.
    pub fn gateway(&self) -> Option<&IngressGateway> {
        self.gateway.as_ref()
    }

    /// A load balancer by fwmark.
    pub fn load_balancer(&self, fwmark: u32) -> Option<&LoadBalancer> {
        self.lbs.get(&fwmark)
    }

    /// Number of load balancers.
    pub fn load_balancer_count(&self) -> usize {
        self.lbs.len()
    }

    /// Sets or clears the ingress gateway. The base chains change, so the transaction is a
    /// full load.
    pub fn set_gateway(
        &mut self,
        gateway: Option<IngressGateway>,
    ) -> Result<Transaction, PublishError> {
        if let Some(gw) = &gateway {
            validate_ifname(&gw.gwbridge)?;
            if gw.sandbox_v4.is_none() && gw.sandbox_v6.is_none() {
                return Err(PublishError::NoIngressSandboxAddress);
            }
        }
        self.gateway = gateway;
        Ok(self.full_load())
    }

    /// Publishes an ingress port on this host (DNAT to the ingress sandbox plus Docker's
    /// filter accepts). Adding an already published port only raises its reference count.
    pub fn add_ingress_port(
        &mut self,
        protocol: Protocol,
        port: u16,
    ) -> Result<Transaction, PublishError> {
        let key = (protocol, port);
        if let Some(count) = self.ingress_ports.get_mut(&key) {
            *count += 1;
            return Ok(Transaction::default());
        }
        self.check_port_free(key, None)?;
        self.ingress_ports.insert(key, 1);
        Ok(nft::diff(&Fragment::default(), &ingress_fragment(key)))
    }

    /// Drops one reference to an ingress port; the rules go with the last one.
    pub fn remove_ingress_port(&mut self, protocol: Protocol, port: u16) -> Transaction {
        let key = (protocol, port);
        match self.ingress_ports.get_mut(&key) {
            Some(count) if *count > 1 => {
                *count -= 1;
                Transaction::default()
            }
            Some(_) => {
                self.ingress_ports.remove(&key);
                nft::diff(&ingress_fragment(key), &Fragment::default())
            }
            None => Transaction::default(),
        }
    }

    /// Publishes a host-mode port: DNAT host port → container:target, and its forward accept.
    pub fn add_host_port(&mut self, binding: HostPort) -> Result<Transaction, PublishError> {
        let key = (binding.protocol, binding.host_port);
        if self.host_ports.get(&key) == Some(&binding) {
            return Ok(Transaction::default());
        }
        self.check_port_free(key, None)?;
        let old = self.host_fragment();
        self.host_ports.insert(key, binding);
        Ok(nft::diff(&old, &self.host_fragment()))
    }

    /// Removes a host-mode port.
    pub fn remove_host_port(&mut self, protocol: Protocol, host_port: u16) -> Transaction {
        let old = self.host_fragment();
        if self.host_ports.remove(&(protocol, host_port)).is_none() {
            return Transaction::default();
        }
        nft::diff(&old, &self.host_fragment())
    }

    /// Adds or replaces a load balancer. Its ports and VIPs must not belong to another one.
    pub fn upsert_load_balancer(&mut self, lb: LoadBalancer) -> Result<Transaction, PublishError> {
        let lb = normalise(lb);
        for &key in &lb.ports {
            self.check_port_free(key, Some(lb.fwmark))?;
        }
        for &vip in &lb.vips {
            match self.vip_owner.get(&vip) {
                Some(&owner) if owner != lb.fwmark => {
                    return Err(PublishError::VipConflict { vip, fwmark: owner });
                }
                _ => {}
            }
        }
        let old = self.remove_lb_entry(lb.fwmark);
        let old_fragment = old.as_ref().map(lb_fragment).unwrap_or_default();
        let new_fragment = lb_fragment(&lb);
        for &key in &lb.ports {
            self.lb_port_owner.insert(key, lb.fwmark);
        }
        for &vip in &lb.vips {
            self.vip_owner.insert(vip, lb.fwmark);
        }
        self.lbs.insert(lb.fwmark, lb);
        Ok(nft::diff(&old_fragment, &new_fragment))
    }

    /// Replaces the backends of a load balancer: one chain flush and refill, whatever the
    /// number of services.
    pub fn set_backends(
        &mut self,
        fwmark: u32,
        backends: &[IpAddr],
    ) -> Result<Transaction, PublishError> {
        let lb = self
            .lbs
            .get_mut(&fwmark)
            .ok_or(PublishError::UnknownLoadBalancer { fwmark })?;
        let old = lb_chain(lb);
        lb.backends = sorted_unique(backends.to_vec());
        let new = lb_chain(lb);
        Ok(nft::refill_chain(&old.name, &old.rules, &new.rules))
    }

    /// Removes a load balancer and its chain.
    pub fn remove_load_balancer(&mut self, fwmark: u32) -> Transaction {
        match self.remove_lb_entry(fwmark) {
            Some(lb) => nft::diff(&lb_fragment(&lb), &Fragment::default()),
            None => Transaction::default(),
        }
    }

    /// Source-NATs load-balanced traffic towards `subnet` to `source` (the sandbox's address
    /// on that overlay). Subnets must not overlap.
    pub fn add_snat(&mut self, subnet: IpNet, source: IpAddr) -> Result<Transaction, PublishError> {
        if subnet.addr().is_ipv4() != source.is_ipv4() {
            return Err(PublishError::FamilyMismatch {
                subnet,
                address: source,
            });
        }
        let subnet = subnet.trunc();
        if let Some(existing) = self.snat.keys().find(|s| {
            **s != subnet && (s.contains(&subnet.network()) || subnet.contains(&s.network()))
        }) {
            return Err(PublishError::SubnetOverlap {
                subnet,
                existing: *existing,
            });
        }
        let old = self
            .snat
            .get(&subnet)
            .map(|s| snat_fragment(subnet, *s))
            .unwrap_or_default();
        self.snat.insert(subnet, source);
        Ok(nft::diff(&old, &snat_fragment(subnet, source)))
    }

    /// Stops source-NATing towards `subnet`.
    pub fn remove_snat(&mut self, subnet: IpNet) -> Transaction {
        let subnet = subnet.trunc();
        match self.snat.remove(&subnet) {
            Some(source) => nft::diff(&snat_fragment(subnet, source), &Fragment::default()),
            None => Transaction::default(),
        }
    }

    /// Replaces this namespace's task-container redirects. A published port may map to one
    /// target per protocol.
    pub fn set_task_redirects(&mut self, task: TaskRedirects) -> Result<Transaction, PublishError> {
        let mut seen = BTreeMap::new();
        for &(protocol, published, target) in &task.ports {
            if let Some(&other) = seen.get(&(protocol, published)) {
                if other != target {
                    return Err(PublishError::RuleConflict {
                        protocol,
                        port: published,
                        owner: format!("a redirect to port {other}"),
                    });
                }
            }
            seen.insert((protocol, published), target);
        }
        let old = task_fragment(&self.task);
        let task = TaskRedirects {
            addrs: sorted_unique(task.addrs),
            ports: sorted_unique(task.ports),
        };
        let new = task_fragment(&task);
        self.task = task;
        Ok(nft::diff(&old, &new))
    }

    /// The whole table as one idempotent transaction: `add table`, `delete table`, then the
    /// table with every set, map and chain. Only table `inet overlaynet` is touched.
    pub fn full_load(&self) -> Transaction {
        nft::full_load(self.gateway.as_ref(), &self.small_fragment(), self)
    }

    /// The transaction that turns a kernel holding `old`'s rules into one holding `self`'s:
    /// element and chain operations, or a full load when the base chains differ.
    pub fn transition_from(&self, old: &MeshRules) -> Transaction {
        if self.gateway != old.gateway {
            return self.full_load();
        }
        nft::diff(&old.fragment(), &self.fragment())
    }

    /// Everything this namespace contributes to the table.
    fn fragment(&self) -> Fragment {
        let mut f = self.small_fragment();
        for lb in self.lbs.values() {
            f.extend(lb_fragment(lb));
        }
        f
    }

    /// Everything except the load balancers, which a full load writes directly.
    fn small_fragment(&self) -> Fragment {
        let mut f = Fragment::default();
        for &key in self.ingress_ports.keys() {
            f.extend(ingress_fragment(key));
        }
        f.extend(self.host_fragment());
        for (subnet, source) in &self.snat {
            f.extend(snat_fragment(*subnet, *source));
        }
        f.extend(task_fragment(&self.task));
        f
    }

    fn host_fragment(&self) -> Fragment {
        let mut f = Fragment::default();
        let mut backends = BTreeSet::new();
        for b in self.host_ports.values() {
            let (ports, backends_set) = match b.container {
                IpAddr::V4(_) => (SetName::HostPorts4, SetName::HostBackends4),
                IpAddr::V6(_) => (SetName::HostPorts6, SetName::HostBackends6),
            };
            f.element(
                ports,
                nft::proto_port(b.protocol, b.host_port),
                Some(format!("{} . {}", b.container, b.target)),
            );
            backends.insert((
                backends_set,
                format!("{} . {} . {}", b.container, b.protocol, b.target),
            ));
        }
        for (set, key) in backends {
            f.element(set, key, None);
        }
        f
    }

    fn check_port_free(&self, key: (Protocol, u16), lb: Option<u32>) -> Result<(), PublishError> {
        let conflict = |owner: String| PublishError::RuleConflict {
            protocol: key.0,
            port: key.1,
            owner,
        };
        if self.ingress_ports.contains_key(&key) {
            return Err(conflict("an ingress port".to_owned()));
        }
        if self.host_ports.contains_key(&key) {
            return Err(conflict("a host-mode port".to_owned()));
        }
        match self.lb_port_owner.get(&key) {
            Some(&owner) if Some(owner) != lb => Err(conflict(format!("load balancer {owner}"))),
            _ => Ok(()),
        }
    }

    fn remove_lb_entry(&mut self, fwmark: u32) -> Option<LoadBalancer> {
        let lb = self.lbs.remove(&fwmark)?;
        for key in &lb.ports {
            self.lb_port_owner.remove(key);
        }
        for vip in &lb.vips {
            self.vip_owner.remove(vip);
        }
        Some(lb)
    }
}

/// Kernel interface names: 1–15 bytes, no `/`, whitespace or quotes (which would also break
/// the quoted nft string).
fn validate_ifname(name: &str) -> Result<(), PublishError> {
    let ok = (1..=15).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'"' | b'\'' | b'\\'));
    if ok {
        Ok(())
    } else {
        Err(PublishError::InvalidInterfaceName {
            name: name.to_owned(),
        })
    }
}

fn sorted_unique<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn normalise(lb: LoadBalancer) -> LoadBalancer {
    LoadBalancer {
        fwmark: lb.fwmark,
        vips: sorted_unique(lb.vips),
        ports: sorted_unique(lb.ports),
        backends: sorted_unique(lb.backends),
    }
}

fn ingress_fragment(key: (Protocol, u16)) -> Fragment {
    let mut f = Fragment::default();
    f.element(SetName::IngressPorts, nft::proto_port(key.0, key.1), None);
    f
}

fn snat_fragment(subnet: IpNet, source: IpAddr) -> Fragment {
    let set = if subnet.addr().is_ipv4() {
        SetName::Snat4
    } else {
        SetName::Snat6
    };
    let mut f = Fragment::default();
    f.element(set, subnet.to_string(), Some(nft::addr(source)));
    f
}

fn task_fragment(task: &TaskRedirects) -> Fragment {
    let mut f = Fragment::default();
    if task.ports.is_empty() {
        // Docker installs the drop rules only when the task has ports.
        return f;
    }
    for &a in &task.addrs {
        let set = if a.is_ipv4() {
            SetName::TaskAddrs4
        } else {
            SetName::TaskAddrs6
        };
        f.element(set, nft::addr(a), None);
    }
    let mut targets = BTreeSet::new();
    for &(protocol, published, target) in &task.ports {
        f.element(
            SetName::Redirects,
            nft::proto_port(protocol, published),
            Some(target.to_string()),
        );
        targets.insert((protocol, target));
    }
    for (protocol, target) in targets {
        f.element(
            SetName::TaskTargets,
            nft::proto_port(protocol, target),
            None,
        );
    }
    f
}

impl nft::BulkSource for MeshRules {
    fn write_elements(&self, set: SetName, list: &mut nft::ElementList<'_>) {
        for lb in self.lbs.values() {
            match set {
                SetName::LbPorts => {
                    for &(protocol, port) in &lb.ports {
                        let out = list.next();
                        nft::push_proto_port(out, protocol, port);
                        push_goto(out, lb.fwmark);
                    }
                }
                SetName::LbVips4 | SetName::LbVips6 => {
                    for &vip in lb
                        .vips
                        .iter()
                        .filter(|v| v.is_ipv4() == (set == SetName::LbVips4))
                    {
                        let out = list.next();
                        nft::push_addr(out, vip);
                        push_goto(out, lb.fwmark);
                    }
                }
                _ => return,
            }
        }
    }

    fn size_hint(&self) -> usize {
        // Per load balancer: ~30 bytes per port or VIP element, ~80 bytes of chain and rule
        // text plus ~20 per backend.
        self.lbs
            .values()
            .map(|lb| 80 + 30 * (lb.ports.len() + lb.vips.len()) + 20 * lb.backends.len())
            .sum()
    }

    fn write_chains(&self, out: &mut String) {
        for lb in self.lbs.values() {
            out.push_str("\tchain svc-");
            nft::push_u32(out, lb.fwmark);
            out.push_str(" {\n");
            for (family, ip, is_v4) in FAMILIES {
                if lb.backends.iter().any(|b| b.is_ipv4() == is_v4) {
                    out.push_str("\t\t");
                    push_lb_rule(out, lb, family, ip, is_v4);
                    out.push('\n');
                }
            }
            out.push_str("\t}\n");
        }
    }
}

/// `(nfproto, nat family keyword, is IPv4)`.
const FAMILIES: [(&str, &str, bool); 2] = [("ipv4", "ip", true), ("ipv6", "ip6", false)];

fn push_goto(out: &mut String, fwmark: u32) {
    out.push_str(" : goto svc-");
    nft::push_u32(out, fwmark);
}

/// The chain name of a load balancer.
fn lb_chain_name(fwmark: u32) -> String {
    format!("svc-{fwmark}")
}

fn lb_fragment(lb: &LoadBalancer) -> Fragment {
    let mut f = Fragment::default();
    let verdict = format!("goto {}", lb_chain_name(lb.fwmark));
    for &(protocol, port) in &lb.ports {
        f.element(
            SetName::LbPorts,
            nft::proto_port(protocol, port),
            Some(verdict.clone()),
        );
    }
    for &vip in &lb.vips {
        let set = if vip.is_ipv4() {
            SetName::LbVips4
        } else {
            SetName::LbVips6
        };
        f.element(set, nft::addr(vip), Some(verdict.clone()));
    }
    f.chains.push(lb_chain(lb));
    f
}

/// The load balancer's chain: per family, DNAT to `numgen random mod N` over its backends,
/// as kube-proxy's nftables mode does (port kept, like Docker's IPVS destinations with port
/// 0). A family without backends gets no rule, so its traffic is not translated.
fn lb_chain(lb: &LoadBalancer) -> nft::Chain {
    let mut rules = Vec::with_capacity(2);
    for (family, ip, is_v4) in FAMILIES {
        if lb.backends.iter().any(|b| b.is_ipv4() == is_v4) {
            let mut rule = String::with_capacity(64 + lb.backends.len() * 20);
            push_lb_rule(&mut rule, lb, family, ip, is_v4);
            rules.push(rule);
        }
    }
    nft::Chain {
        name: lb_chain_name(lb.fwmark),
        rules,
    }
}

/// `meta nfproto <family> dnat <ip> to numgen random mod N map { 0 : a, 1 : b, ... }` over
/// the backends of one family (the caller checks there is at least one).
fn push_lb_rule(out: &mut String, lb: &LoadBalancer, family: &str, ip: &str, is_v4: bool) {
    let count = lb.backends.iter().filter(|b| b.is_ipv4() == is_v4).count();
    out.push_str("meta nfproto ");
    out.push_str(family);
    out.push_str(" dnat ");
    out.push_str(ip);
    out.push_str(" to numgen random mod ");
    nft::push_u32(out, count as u32);
    out.push_str(" map { ");
    for (i, b) in lb
        .backends
        .iter()
        .filter(|b| b.is_ipv4() == is_v4)
        .enumerate()
    {
        if i > 0 {
            out.push_str(", ");
        }
        nft::push_u32(out, i as u32);
        out.push_str(" : ");
        nft::push_addr(out, *b);
    }
    out.push_str(" }");
}
