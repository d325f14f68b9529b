//! nftables text for the mesh: the named sets and maps of table `inet overlaynet`, the base
//! chains (the "skeleton", fixed for a given ingress gateway), rendering of a full idempotent
//! load, and the element-level diff that turns two fragments into one transaction.
//!
//! Only text: nothing here runs `nft` or knows why a rule exists.

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::net::IpAddr;

use super::model::IngressGateway;

/// The nftables table every mesh rule lives in (family `inet`, so IPv4 and IPv6 share it).
pub const TABLE: &str = "overlaynet";

/// The named sets and maps of the table. Their declarations never change; only elements do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum SetName {
    IngressPorts,
    HostPorts4,
    HostPorts6,
    HostBackends4,
    HostBackends6,
    LbPorts,
    LbVips4,
    LbVips6,
    Snat4,
    Snat6,
    Redirects,
    TaskTargets,
    TaskAddrs4,
    TaskAddrs6,
}

impl SetName {
    const ALL: [SetName; 14] = [
        SetName::IngressPorts,
        SetName::HostPorts4,
        SetName::HostPorts6,
        SetName::HostBackends4,
        SetName::HostBackends6,
        SetName::LbPorts,
        SetName::LbVips4,
        SetName::LbVips6,
        SetName::Snat4,
        SetName::Snat6,
        SetName::Redirects,
        SetName::TaskTargets,
        SetName::TaskAddrs4,
        SetName::TaskAddrs6,
    ];

    fn name(self) -> &'static str {
        match self {
            SetName::IngressPorts => "ingress_ports",
            SetName::HostPorts4 => "host_ports4",
            SetName::HostPorts6 => "host_ports6",
            SetName::HostBackends4 => "host_backends4",
            SetName::HostBackends6 => "host_backends6",
            SetName::LbPorts => "lb_ports",
            SetName::LbVips4 => "lb_vips4",
            SetName::LbVips6 => "lb_vips6",
            SetName::Snat4 => "snat4",
            SetName::Snat6 => "snat6",
            SetName::Redirects => "redirects",
            SetName::TaskTargets => "task_targets",
            SetName::TaskAddrs4 => "task_addrs4",
            SetName::TaskAddrs6 => "task_addrs6",
        }
    }

    /// `set` or `map`, and the body before the elements.
    fn declaration(self) -> (&'static str, &'static str) {
        match self {
            SetName::IngressPorts | SetName::TaskTargets => {
                ("set", "type inet_proto . inet_service;")
            }
            SetName::HostPorts4 => (
                "map",
                "type inet_proto . inet_service : ipv4_addr . inet_service;",
            ),
            SetName::HostPorts6 => (
                "map",
                "type inet_proto . inet_service : ipv6_addr . inet_service;",
            ),
            SetName::HostBackends4 => ("set", "type ipv4_addr . inet_proto . inet_service;"),
            SetName::HostBackends6 => ("set", "type ipv6_addr . inet_proto . inet_service;"),
            SetName::LbPorts => ("map", "type inet_proto . inet_service : verdict;"),
            SetName::LbVips4 => ("map", "type ipv4_addr : verdict;"),
            SetName::LbVips6 => ("map", "type ipv6_addr : verdict;"),
            SetName::Snat4 => ("map", "type ipv4_addr : ipv4_addr; flags interval;"),
            SetName::Snat6 => ("map", "type ipv6_addr : ipv6_addr; flags interval;"),
            SetName::Redirects => ("map", "type inet_proto . inet_service : inet_service;"),
            SetName::TaskAddrs4 => ("set", "type ipv4_addr;"),
            SetName::TaskAddrs6 => ("set", "type ipv6_addr;"),
        }
    }
}

/// One set or map element: key text and, for maps, value text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub set: SetName,
    pub key: String,
    pub value: Option<String>,
}

/// A regular (non-base) chain we own, e.g. a load balancer's `svc-<fwmark>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    pub name: String,
    pub rules: Vec<String>,
}

/// The elements and chains one piece of mesh state contributes to the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fragment {
    pub elements: Vec<Element>,
    pub chains: Vec<Chain>,
}

impl Fragment {
    pub fn element(&mut self, set: SetName, key: String, value: Option<String>) {
        self.elements.push(Element { set, key, value });
    }

    pub fn extend(&mut self, other: Fragment) {
        self.elements.extend(other.elements);
        self.chains.extend(other.chains);
    }
}

/// An nftables script that `nft -f` applies as one atomic transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    commands: Vec<String>,
}

impl Transaction {
    /// True when nothing changes (no need to run `nft`).
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The commands, in order; each is one line (a full load's table block spans lines).
    pub fn commands(&self) -> &[String] {
        &self.commands
    }

    /// Total script size in bytes, without newlines.
    pub fn len_bytes(&self) -> usize {
        self.commands.iter().map(String::len).sum()
    }
}

impl fmt::Display for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.commands {
            writeln!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Writes the elements and chains that are too many to collect as a [`Fragment`] first (the
/// load balancers), straight into the full-load text.
pub(crate) trait BulkSource {
    /// Appends the elements of `set`, each through [`ElementList::next`].
    fn write_elements(&self, set: SetName, list: &mut ElementList<'_>);
    /// Appends whole `\tchain NAME { ... }` blocks.
    fn write_chains(&self, out: &mut String);
    /// Roughly how many bytes this source writes, to size the buffer once.
    fn size_hint(&self) -> usize;
}

/// A comma-separated element list being written.
pub(crate) struct ElementList<'a> {
    out: &'a mut String,
    empty: bool,
}

impl ElementList<'_> {
    /// The buffer to write the next element to, after the separator.
    pub fn next(&mut self) -> &mut String {
        if self.empty {
            self.empty = false;
        } else {
            self.out.push_str(", ");
        }
        self.out
    }
}

/// A full load: create-then-delete our table (so the delete never fails), then declare it
/// with every element and chain. Touches nothing outside table `inet overlaynet`.
pub(crate) fn full_load(
    gateway: Option<&IngressGateway>,
    fragment: &Fragment,
    bulk: &dyn BulkSource,
) -> Transaction {
    let mut sets: BTreeMap<SetName, Vec<&Element>> = BTreeMap::new();
    for e in &fragment.elements {
        sets.entry(e.set).or_default().push(e);
    }
    let mut t = String::with_capacity(4096 + fragment.elements.len() * 40 + bulk.size_hint());
    let _ = writeln!(t, "table inet {TABLE} {{");
    for set in SetName::ALL {
        let (kind, decl) = set.declaration();
        let _ = write!(t, "\t{kind} {} {{ {decl}", set.name());
        let before = t.len();
        t.push_str(" elements = { ");
        let mut list = ElementList {
            out: &mut t,
            empty: true,
        };
        for e in sets.get(&set).into_iter().flatten() {
            write_element(list.next(), e, true);
        }
        bulk.write_elements(set, &mut list);
        if list.empty {
            t.truncate(before);
        } else {
            t.push_str(" }");
        }
        t.push_str(" }\n");
    }
    for chain in &fragment.chains {
        write_chain(&mut t, &chain.name, &chain.rules);
    }
    bulk.write_chains(&mut t);
    for (name, hook, rules) in base_chains(gateway) {
        let _ = writeln!(t, "\tchain {name} {{\n\t\t{hook}");
        for rule in rules {
            let _ = writeln!(t, "\t\t{rule}");
        }
        t.push_str("\t}\n");
    }
    t.push('}');
    Transaction {
        commands: vec![
            format!("add table inet {TABLE}"),
            format!("delete table inet {TABLE}"),
            t,
        ],
    }
}

/// Appends a `\tchain NAME { rules }` block.
pub(crate) fn write_chain<S: AsRef<str>>(out: &mut String, name: &str, rules: &[S]) {
    out.push_str("\tchain ");
    out.push_str(name);
    out.push_str(" {\n");
    for rule in rules {
        out.push_str("\t\t");
        out.push_str(rule.as_ref());
        out.push('\n');
    }
    out.push_str("\t}\n");
}

fn write_element(out: &mut String, e: &Element, values: bool) {
    out.push_str(&e.key);
    if let (true, Some(v)) = (values, &e.value) {
        out.push_str(" : ");
        out.push_str(v);
    }
}

/// Replaces a chain's rules: `flush chain` and `add rule`s, or nothing when they are equal.
pub(crate) fn refill_chain(name: &str, old: &[String], new: &[String]) -> Transaction {
    if old == new {
        return Transaction::default();
    }
    let mut commands = Vec::with_capacity(1 + new.len());
    commands.push(format!("flush chain inet {TABLE} {name}"));
    for rule in new {
        commands.push(format!("add rule inet {TABLE} {name} {rule}"));
    }
    Transaction { commands }
}

fn write_elements<'a>(out: &mut String, elements: impl Iterator<Item = &'a Element>, values: bool) {
    for (i, e) in elements.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_element(out, e, values);
    }
}

/// The transaction that turns `old` into `new`: new chains first (elements may jump to them),
/// changed chains flushed and refilled, stale elements deleted before new ones are added (a
/// changed map value is a delete plus an add), and removed chains deleted last.
pub(crate) fn diff(old: &Fragment, new: &Fragment) -> Transaction {
    let index = |f: &'_ Fragment| -> BTreeMap<(SetName, String), Option<String>> {
        f.elements
            .iter()
            .map(|e| ((e.set, e.key.clone()), e.value.clone()))
            .collect()
    };
    let (old_el, new_el) = (index(old), index(new));
    let old_ch: BTreeMap<&str, &[String]> = old
        .chains
        .iter()
        .map(|c| (c.name.as_str(), c.rules.as_slice()))
        .collect();
    let new_ch: BTreeMap<&str, &[String]> = new
        .chains
        .iter()
        .map(|c| (c.name.as_str(), c.rules.as_slice()))
        .collect();

    let mut commands = Vec::new();
    for (name, rules) in &new_ch {
        match old_ch.get(name) {
            None => commands.push(format!("add chain inet {TABLE} {name}")),
            Some(old_rules) if old_rules == rules => continue,
            Some(_) => commands.push(format!("flush chain inet {TABLE} {name}")),
        }
        for rule in rules.iter() {
            commands.push(format!("add rule inet {TABLE} {name} {rule}"));
        }
    }
    let removed = old_el.iter().filter(|(k, v)| new_el.get(*k) != Some(*v));
    push_element_commands(&mut commands, "delete", removed, false);
    let added = new_el.iter().filter(|(k, v)| old_el.get(*k) != Some(*v));
    push_element_commands(&mut commands, "add", added, true);
    for name in old_ch.keys().filter(|n| !new_ch.contains_key(*n)) {
        commands.push(format!("delete chain inet {TABLE} {name}"));
    }
    Transaction { commands }
}

/// One `add element`/`delete element` command per set, elements in key order.
fn push_element_commands<'a>(
    commands: &mut Vec<String>,
    verb: &str,
    elements: impl Iterator<Item = (&'a (SetName, String), &'a Option<String>)>,
    values: bool,
) {
    let mut by_set: BTreeMap<SetName, Vec<Element>> = BTreeMap::new();
    for ((set, key), value) in elements {
        by_set.entry(*set).or_default().push(Element {
            set: *set,
            key: key.clone(),
            value: value.clone(),
        });
    }
    for (set, elements) in by_set {
        let mut c = format!("{verb} element inet {TABLE} {} {{ ", set.name());
        write_elements(&mut c, elements.iter(), values);
        c.push_str(" }");
        commands.push(c);
    }
}

/// The base chains and their rules. They depend only on the ingress gateway; everything that
/// changes with services is in sets, maps and per-service chains.
fn base_chains(gw: Option<&IngressGateway>) -> [(&'static str, &'static str, Vec<String>); 6] {
    let mut ingress_dnat = Vec::new();
    let mut masquerade = Vec::new();
    if let Some(gw) = gw {
        // Docker's nat DOCKER-INGRESS: local destination, published port → ingress sandbox.
        if let Some(v4) = gw.sandbox_v4 {
            ingress_dnat.push(format!(
                "meta nfproto ipv4 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip to {v4}"
            ));
        }
        if let Some(v6) = gw.sandbox_v6 {
            ingress_dnat.push(format!(
                "meta nfproto ipv6 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip6 to {v6}"
            ));
        }
        // Docker's POSTROUTING -m addrtype --src-type LOCAL -o <gwbridge> -j MASQUERADE.
        masquerade.push(format!(
            "oifname \"{}\" fib saddr type local masquerade",
            gw.gwbridge
        ));
    }
    let host_mode_dnat = [
        "meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @host_ports4".to_owned(),
        "meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @host_ports6".to_owned(),
    ];
    let mut prerouting = ingress_dnat.clone();
    prerouting.extend(host_mode_dnat.iter().cloned());
    prerouting.extend([
        // Load balancing: published ports and VIPs jump to the service's chain.
        "meta l4proto . th dport vmap @lb_ports".to_owned(),
        "ip daddr vmap @lb_vips4".to_owned(),
        "ip6 daddr vmap @lb_vips6".to_owned(),
        // Task containers: published → target port (Docker's addRedirectRules).
        "ip daddr @task_addrs4 meta l4proto { tcp, udp, sctp } redirect to :meta l4proto . th dport map @redirects"
            .to_owned(),
        "ip6 daddr @task_addrs6 meta l4proto { tcp, udp, sctp } redirect to :meta l4proto . th dport map @redirects"
            .to_owned(),
    ]);
    let mut output = ingress_dnat;
    output.extend(host_mode_dnat);
    let mut postrouting = masquerade;
    postrouting.extend([
        // Load-balanced connections leave with the sandbox's address on the overlay, as
        // Docker's `-m ipvs --ipvs -d <subnet> -j SNAT --to-source <lb-ip>`.
        "meta nfproto ipv4 ct status dnat snat ip to ip daddr map @snat4".to_owned(),
        "meta nfproto ipv6 ct status dnat snat ip6 to ip6 daddr map @snat6".to_owned(),
    ]);
    let forward = vec![
        // Docker's filter DOCKER-INGRESS accepts.
        "meta l4proto . th dport @ingress_ports accept".to_owned(),
        "meta l4proto . th sport @ingress_ports ct state established,related accept".to_owned(),
        "ip daddr . meta l4proto . th dport @host_backends4 accept".to_owned(),
        "ip6 daddr . meta l4proto . th dport @host_backends6 accept".to_owned(),
    ];
    let mut input = Vec::new();
    let mut filter_output = Vec::new();
    for (ip, addrs) in [("ip", "@task_addrs4"), ("ip6", "@task_addrs6")] {
        input.push(format!(
            "{ip} daddr {addrs} meta l4proto . th dport @task_targets ct state new,established accept"
        ));
        input.push(format!(
            "{ip} daddr {addrs} meta l4proto {{ tcp, udp, sctp }} drop"
        ));
        filter_output.push(format!(
            "{ip} saddr {addrs} meta l4proto . th sport @task_targets ct state established accept"
        ));
        filter_output.push(format!(
            "{ip} saddr {addrs} meta l4proto {{ tcp, udp, sctp }} drop"
        ));
    }
    [
        (
            "prerouting",
            "type nat hook prerouting priority dstnat; policy accept;",
            prerouting,
        ),
        (
            "output",
            "type nat hook output priority -100; policy accept;",
            output,
        ),
        (
            "postrouting",
            "type nat hook postrouting priority srcnat; policy accept;",
            postrouting,
        ),
        (
            "forward",
            "type filter hook forward priority filter; policy accept;",
            forward,
        ),
        (
            "input",
            "type filter hook input priority filter; policy accept;",
            input,
        ),
        (
            "filter_output",
            "type filter hook output priority filter; policy accept;",
            filter_output,
        ),
    ]
}

/// `proto . port` key text.
pub(crate) fn proto_port(protocol: super::super::Protocol, port: u16) -> String {
    let mut s = String::with_capacity(12);
    push_proto_port(&mut s, protocol, port);
    s
}

/// Appends `proto . port`.
pub(crate) fn push_proto_port(out: &mut String, protocol: super::super::Protocol, port: u16) {
    out.push_str(protocol.as_str());
    out.push_str(" . ");
    push_u32(out, u32::from(port));
}

/// An address as nft writes it (IPv6 without brackets).
pub(crate) fn addr(ip: IpAddr) -> String {
    let mut s = String::with_capacity(15);
    push_addr(&mut s, ip);
    s
}

/// Appends a decimal number (itoa: the full load writes hundreds of thousands of them).
pub(crate) fn push_u32(out: &mut String, n: u32) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends an address; IPv4 by hand, as `Display` through `fmt` dominates a full load.
pub(crate) fn push_addr(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u32(out, u32::from(octet));
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}
