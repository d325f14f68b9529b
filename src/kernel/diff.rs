//! The diff: compares an observed [`KernelState`] with a desired one and emits the [`Plan`]
//! that turns the first into the second, touching only desired objects and objects the
//! [`Scope`] says are ours.
//!
//! The diff models what Linux removes on its own (contents of a deleted namespace, objects on
//! a deleted link, the other end of a veth, bridge ports' master and master-FDB entries when
//! the bridge goes, routes and neighbours of a link set down) so that it neither deletes
//! twice nor forgets to re-create. It performs no I/O and never looks at the domain.

use std::collections::HashSet;
use std::net::IpAddr;

use super::plan::{LinkChange, Op, Phase, Plan, PlanBuilder};
use super::scope::Scope;
use super::state::{
    FdbTable, KernelState, Link, LinkKey, LinkKind, Netns, ObjectId, XfrmProto, XfrmStateKey,
    vxlan_staging_name,
};

/// The plan that turns `observed` into `desired` (see [`Plan`] for the order).
///
/// Objects in `observed` that are neither desired nor ours by `scope` are never touched.
/// `desired` should have passed [`KernelState::validate`]; [`reconcile`](super::reconcile)
/// checks it.
pub fn diff(observed: &KernelState, desired: &KernelState, scope: &Scope) -> Plan {
    let mut plan = PlanBuilder::default();
    let removed_ns = diff_namespaces(observed, desired, scope, &mut plan);
    let links = diff_links(observed, desired, scope, &removed_ns, &mut plan);
    diff_attached(observed, desired, scope, &links, &mut plan);
    diff_xfrm(observed, desired, scope, &mut plan);
    diff_nft(observed, desired, scope, &removed_ns, &mut plan);
    plan.build()
}

/// Emits namespace deletes and creates; returns the namespaces that will be deleted.
fn diff_namespaces<'a>(
    observed: &'a KernelState,
    desired: &KernelState,
    scope: &Scope,
    plan: &mut PlanBuilder,
) -> HashSet<&'a str> {
    let mut removed = HashSet::new();
    for name in &observed.namespaces {
        if !desired.namespaces.contains(name)
            && scope.owns(&ObjectId::Netns(Netns::Named(name.clone())), observed)
        {
            removed.insert(name.as_str());
            plan.push(Phase::DelNetns, Op::DelNetns { name: name.clone() });
        }
    }
    for name in desired.namespaces.difference(&observed.namespaces) {
        plan.push(Phase::AddNetns, Op::AddNetns { name: name.clone() });
    }
    removed
}

/// Which observed links still exist once the delete phases have run, and in what shape.
struct LinkFate<'a> {
    /// Observed links that still exist after the deletes, with the plan's final `up` state
    /// and whether their master stays the same.
    surviving: std::collections::HashMap<(&'a Netns, &'a str), Survivor>,
    /// The last lookup and its answer.
    last: std::cell::RefCell<Option<(Netns, String, Option<Survivor>)>>,
}

#[derive(Clone, Copy)]
struct Survivor {
    /// The link will be (or stay) down after the plan, though it is up now: Linux flushes its
    /// routes and neighbours when it goes down.
    goes_down: bool,
    /// The link's bridge changes (or goes away): Linux flushes its master-FDB entries.
    master_changes: bool,
}

impl LinkFate<'_> {
    /// The fate of one link. Attached objects come sorted by link, so the last answer is
    /// cached: most lookups are two string comparisons instead of a hash.
    fn get(&self, ns: &Netns, name: &str) -> Option<Survivor> {
        if let Some((cns, cname, fate)) = &*self.last.borrow() {
            if cns == ns && cname == name {
                return *fate;
            }
        }
        let fate = self.surviving.get(&(ns, name)).copied();
        *self.last.borrow_mut() = Some((ns.clone(), name.to_owned(), fate));
        fate
    }

    /// The link exists after the deletes.
    fn present(&self, ns: &Netns, name: &str) -> bool {
        self.get(ns, name).is_some()
    }

    /// The link exists and its routes and neighbours are not flushed by the plan.
    fn keeps_l3(&self, ns: &Netns, name: &str) -> bool {
        self.get(ns, name).is_some_and(|s| !s.goes_down)
    }

    /// The link exists and its master-FDB entries are not flushed by the plan.
    fn keeps_master_fdb(&self, ns: &Netns, name: &str) -> bool {
        self.get(ns, name).is_some_and(|s| !s.master_changes)
    }
}

fn delete_phase(kind: &LinkKind) -> Phase {
    match kind {
        LinkKind::Veth { .. } => Phase::DelVeth,
        LinkKind::Vxlan(_) => Phase::DelVxlan,
        LinkKind::Bridge => Phase::DelBridge,
        LinkKind::Dummy => Phase::DelOtherLink,
    }
}

fn add_phase(kind: &LinkKind) -> Phase {
    match kind {
        LinkKind::Veth { .. } => Phase::AddVeth,
        LinkKind::Vxlan(_) => Phase::AddVxlan,
        LinkKind::Bridge => Phase::AddBridge,
        LinkKind::Dummy => Phase::AddOtherLink,
    }
}

/// The in-place changes that turn `from` into `to`, in the order they should run.
fn link_changes(from: &Link, to: &Link) -> impl Iterator<Item = LinkChange> {
    let mtu = to.mtu.filter(|m| from.mtu != Some(*m)).map(LinkChange::Mtu);
    let mac = to.mac.filter(|m| from.mac != Some(*m)).map(LinkChange::Mac);
    let master = (from.master != to.master).then(|| LinkChange::Master(to.master.clone()));
    let up = (from.up != to.up).then_some(LinkChange::Up(to.up));
    mtu.into_iter().chain(mac).chain(master).chain(up)
}

fn diff_links<'a>(
    observed: &'a KernelState,
    desired: &KernelState,
    scope: &Scope,
    removed_ns: &HashSet<&str>,
    plan: &mut PlanBuilder,
) -> LinkFate<'a> {
    let ns_gone = |ns: &Netns| match ns {
        Netns::Host => false,
        Netns::Named(n) => removed_ns.contains(n.as_str()),
    };
    // Links gone after the deletes: in a deleted namespace, deleted explicitly, or the other
    // end of a veth that is gone.
    let mut removed: HashSet<&LinkKey> = HashSet::new();
    let mut explicit: Vec<(&LinkKey, &Link)> = Vec::new();
    for (key, link) in &observed.links {
        if ns_gone(&key.netns) {
            removed.insert(key);
            continue;
        }
        let keep = match desired.links.get(key) {
            Some(want) => want.kind == link.kind,
            None => !scope.owns(&ObjectId::Link(key.clone()), observed),
        };
        if !keep {
            removed.insert(key);
            explicit.push((key, link));
        }
    }
    let veth_peers: Vec<&LinkKey> = removed
        .iter()
        .filter_map(|k| match observed.links.get(*k).map(|l| &l.kind) {
            Some(LinkKind::Veth { peer }) => observed.links.get_key_value(peer).map(|(pk, _)| pk),
            _ => None,
        })
        .collect();
    removed.extend(veth_peers);
    let mut deleted: HashSet<&LinkKey> = HashSet::new();
    for (key, link) in explicit {
        if let LinkKind::Veth { peer } = &link.kind {
            if deleted.contains(peer) {
                continue; // deleting the other end already removes this one
            }
        }
        deleted.insert(key);
        plan.push(delete_phase(&link.kind), Op::DelLink { key: key.clone() });
    }

    let mut surviving = std::collections::HashMap::new();
    for (key, link) in &observed.links {
        if removed.contains(key) {
            continue;
        }
        // A port whose bridge is deleted loses its master.
        let master_gone = link
            .master
            .as_ref()
            .is_some_and(|m| removed.contains(&LinkKey::new(key.netns.clone(), m.clone())));
        let want = desired.links.get(key);
        let final_up = want.map_or(link.up, |w| w.up);
        let final_master = want.map_or(&link.master, |w| &w.master);
        surviving.insert(
            (&key.netns, key.name.as_str()),
            Survivor {
                goes_down: link.up && !final_up,
                master_changes: master_gone || *final_master != link.master,
            },
        );
        if let Some(want) = want {
            let mut now = link.clone();
            if master_gone {
                now.master = None;
            }
            for change in link_changes(&now, want) {
                plan.push(
                    Phase::SetLink,
                    Op::SetLink {
                        key: key.clone(),
                        change,
                    },
                );
            }
        }
    }

    let mut created: HashSet<&LinkKey> = HashSet::new();
    for (key, want) in &desired.links {
        if surviving.contains_key(&(&key.netns, key.name.as_str())) {
            continue;
        }
        if !created.contains(key) {
            let staging_name = match (&want.kind, &key.netns) {
                (LinkKind::Vxlan(v), Netns::Named(ns)) => Some(vxlan_staging_name(v.vni, ns)),
                _ => None,
            };
            let peer = match &want.kind {
                LinkKind::Veth { peer } => {
                    created.insert(peer);
                    desired.links.get(peer).map(Link::as_created)
                }
                _ => None,
            };
            created.insert(key);
            plan.push(
                add_phase(&want.kind),
                Op::AddLink {
                    key: key.clone(),
                    link: want.as_created(),
                    staging_name,
                    peer,
                },
            );
        }
        for change in link_changes(&want.as_created(), want) {
            plan.push(
                Phase::SetLink,
                Op::SetLink {
                    key: key.clone(),
                    change,
                },
            );
        }
    }
    LinkFate {
        surviving,
        last: Default::default(),
    }
}

/// Where a key of a merge-join was found.
enum Side<'a, V> {
    Observed(&'a V),
    Desired(&'a V),
    Both(&'a V, &'a V),
}

/// Walks two key-sorted sequences in step and calls `f` once per key: O(n + m) comparisons,
/// where looking each key up in the other map would cost O(n log m).
fn merge_join<'a, K: Ord + 'a, V: 'a>(
    observed: impl IntoIterator<Item = (&'a K, &'a V)>,
    desired: impl IntoIterator<Item = (&'a K, &'a V)>,
    mut f: impl FnMut(&'a K, Side<'a, V>),
) {
    use std::cmp::Ordering;
    let (mut obs, mut des) = (observed.into_iter(), desired.into_iter());
    let (mut a, mut b) = (obs.next(), des.next());
    loop {
        match (a, b) {
            (None, None) => return,
            (Some((k, v)), None) => {
                f(k, Side::Observed(v));
                a = obs.next();
            }
            (None, Some((k, v))) => {
                f(k, Side::Desired(v));
                b = des.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                Ordering::Less => {
                    f(ka, Side::Observed(va));
                    a = obs.next();
                }
                Ordering::Greater => {
                    f(kb, Side::Desired(vb));
                    b = des.next();
                }
                Ordering::Equal => {
                    f(ka, Side::Both(va, vb));
                    a = obs.next();
                    b = des.next();
                }
            },
        }
    }
}

/// A set as (key, unit) pairs for [`merge_join`].
fn unit<K>(set: &std::collections::BTreeSet<K>) -> impl Iterator<Item = (&K, &())> {
    set.iter().map(|k| (k, &()))
}

/// Addresses, routes, neighbours and FDB entries: everything that hangs off a link.
fn diff_attached(
    observed: &KernelState,
    desired: &KernelState,
    scope: &Scope,
    links: &LinkFate<'_>,
    plan: &mut PlanBuilder,
) {
    merge_join(unit(&observed.addrs), unit(&desired.addrs), |addr, side| {
        let present = links.present(&addr.netns, &addr.link);
        match side {
            Side::Observed(())
                if present && scope.owns(&ObjectId::Addr(addr.clone()), observed) =>
            {
                plan.push(Phase::DelAddr, Op::DelAddr { addr: addr.clone() })
            }
            Side::Desired(()) => plan.push(Phase::AddAddr, Op::AddAddr { addr: addr.clone() }),
            Side::Both((), ()) if !present => {
                plan.push(Phase::AddAddr, Op::AddAddr { addr: addr.clone() })
            }
            _ => {}
        }
    });

    merge_join(&observed.routes, &desired.routes, |key, side| {
        let add = |route: &super::state::Route| Op::AddRoute {
            key: key.clone(),
            route: route.clone(),
        };
        match side {
            Side::Observed(have) => {
                if links.keeps_l3(&key.netns, &have.dev)
                    && scope.owns(&ObjectId::Route(key.clone()), observed)
                {
                    plan.push(Phase::DelRoute, Op::DelRoute { key: key.clone() });
                }
            }
            Side::Desired(want) => plan.push(Phase::AddRoute, add(want)),
            Side::Both(have, want) => {
                if !links.keeps_l3(&key.netns, &have.dev) {
                    plan.push(Phase::AddRoute, add(want));
                } else if have != want {
                    plan.push(
                        Phase::AddRoute,
                        Op::ReplaceRoute {
                            key: key.clone(),
                            route: want.clone(),
                        },
                    );
                }
            }
        }
    });

    merge_join(&observed.neighs, &desired.neighs, |key, side| {
        let kept = links.keeps_l3(&key.netns, &key.link);
        let add = |neigh: &super::state::Neigh| Op::AddNeigh {
            key: key.clone(),
            neigh: neigh.clone(),
        };
        match side {
            Side::Observed(_) => {
                if kept && scope.owns(&ObjectId::Neigh(key.clone()), observed) {
                    plan.push(Phase::DelNeigh, Op::DelNeigh { key: key.clone() });
                }
            }
            Side::Desired(want) => plan.push(Phase::AddNeigh, add(want)),
            Side::Both(have, want) => {
                if !kept {
                    plan.push(Phase::AddNeigh, add(want));
                } else if have != want {
                    plan.push(
                        Phase::AddNeigh,
                        Op::ReplaceNeigh {
                            key: key.clone(),
                            neigh: want.clone(),
                        },
                    );
                }
            }
        }
    });

    let fdb_kept = |e: &super::state::FdbEntry| match e.table {
        FdbTable::SelfDev => links.present(&e.netns, &e.link),
        FdbTable::Master => links.keeps_master_fdb(&e.netns, &e.link),
    };
    merge_join(
        unit(&observed.fdb),
        unit(&desired.fdb),
        |entry, side| match side {
            Side::Observed(())
                if fdb_kept(entry) && scope.owns(&ObjectId::Fdb(entry.clone()), observed) =>
            {
                plan.push(
                    Phase::DelFdb,
                    Op::DelFdb {
                        entry: entry.clone(),
                    },
                )
            }
            Side::Desired(()) => plan.push(
                Phase::AddFdb,
                Op::AddFdb {
                    entry: entry.clone(),
                },
            ),
            Side::Both((), ()) if !fdb_kept(entry) => plan.push(
                Phase::AddFdb,
                Op::AddFdb {
                    entry: entry.clone(),
                },
            ),
            _ => {}
        },
    );
}

/// XFRM states and policies, with make-before-break ordering.
fn diff_xfrm(observed: &KernelState, desired: &KernelState, scope: &Scope, plan: &mut PlanBuilder) {
    // Linux identifies a state by (dst, SPI, protocol); a new state that shares that with an
    // old one can only be added after the old one is gone.
    let lookup_id = |k: &XfrmStateKey| -> (IpAddr, u32, XfrmProto) { (k.dst, k.spi, k.proto) };
    let mut added_ids = HashSet::new();
    let transmit: HashSet<XfrmStateKey> = desired
        .xfrm_policies
        .values()
        .flat_map(|p| p.templates.iter().map(|t| t.state_key()))
        .collect();
    for (key, want) in &desired.xfrm_states {
        let replace = match observed.xfrm_states.get(key) {
            None => false,
            Some(have) if have == want => continue,
            Some(_) => true,
        };
        if replace {
            plan.push(
                Phase::DelXfrmStateReplaced,
                Op::DelXfrmState { key: key.clone() },
            );
        }
        added_ids.insert(lookup_id(key));
        let phase = if transmit.contains(key) {
            Phase::AddXfrmStateTx
        } else {
            Phase::AddXfrmStateRx
        };
        plan.push(
            phase,
            Op::AddXfrmState {
                key: key.clone(),
                state: want.clone(),
            },
        );
    }
    for key in observed.xfrm_states.keys() {
        if desired.xfrm_states.contains_key(key)
            || !scope.owns(&ObjectId::XfrmState(key.clone()), observed)
        {
            continue;
        }
        let phase = if added_ids.contains(&lookup_id(key)) {
            Phase::DelXfrmStateReplaced
        } else {
            Phase::DelXfrmState
        };
        plan.push(phase, Op::DelXfrmState { key: key.clone() });
    }

    for (key, have) in &observed.xfrm_policies {
        match desired.xfrm_policies.get(key) {
            Some(want) if want != have => plan.push(
                Phase::AddXfrmPolicy,
                Op::UpdateXfrmPolicy {
                    key: key.clone(),
                    policy: want.clone(),
                },
            ),
            Some(_) => {}
            None if scope.owns(&ObjectId::XfrmPolicy(key.clone()), observed) => {
                plan.push(Phase::DelXfrmPolicy, Op::DelXfrmPolicy { key: key.clone() })
            }
            None => {}
        }
    }
    for (key, want) in &desired.xfrm_policies {
        if !observed.xfrm_policies.contains_key(key) {
            plan.push(
                Phase::AddXfrmPolicy,
                Op::AddXfrmPolicy {
                    key: key.clone(),
                    policy: want.clone(),
                },
            );
        }
    }
}

fn diff_nft(
    observed: &KernelState,
    desired: &KernelState,
    scope: &Scope,
    removed_ns: &HashSet<&str>,
    plan: &mut PlanBuilder,
) {
    let ns_kept = |ns: &Netns| match ns {
        Netns::Host => true,
        Netns::Named(n) => observed.namespaces.contains(n) && !removed_ns.contains(n.as_str()),
    };
    for (key, have) in &observed.nft_tables {
        if !ns_kept(&key.netns) {
            continue;
        }
        match desired.nft_tables.get(key) {
            Some(want) if want != have => plan.push(
                Phase::SetNftTable,
                Op::SetNftTable {
                    key: key.clone(),
                    table: want.clone(),
                },
            ),
            Some(_) => {}
            None if scope.owns(&ObjectId::NftTable(key.clone()), observed) => {
                plan.push(Phase::DelNftTable, Op::DelNftTable { key: key.clone() })
            }
            None => {}
        }
    }
    for (key, want) in &desired.nft_tables {
        if !(observed.nft_tables.contains_key(key) && ns_kept(&key.netns)) {
            plan.push(
                Phase::SetNftTable,
                Op::SetNftTable {
                    key: key.clone(),
                    table: want.clone(),
                },
            );
        }
    }
}

impl Plan {
    /// The part of [`diff`]`(observed, desired, scope)` that concerns the `touched` objects,
    /// in O(touched · log n) instead of O(n): the engine passes the identities an event
    /// changed (one peer: its neighbour and FDB entries, perhaps its XFRM states and policy)
    /// and gets the same operations the full diff would emit for them.
    ///
    /// The objects they depend on (namespace, link, the link's master and veth peer) are
    /// compared too. A change whose effects reach objects not listed — for example deleting a
    /// bridge, which releases its ports — needs those objects touched as well, or a full
    /// [`diff`]; drift repair always uses the full diff.
    pub fn from_delta(
        observed: &KernelState,
        desired: &KernelState,
        scope: &Scope,
        touched: &[ObjectId],
    ) -> Plan {
        let ids = with_context(touched, [observed, desired]);
        diff(&restrict(observed, &ids), &restrict(desired, &ids), scope)
    }
}

/// `touched` plus the namespaces and links they sit on, in either state, transitively.
fn with_context(
    touched: &[ObjectId],
    states: [&KernelState; 2],
) -> std::collections::BTreeSet<ObjectId> {
    let mut out = std::collections::BTreeSet::new();
    let mut queue: Vec<ObjectId> = touched.to_vec();
    let link = |ns: &Netns, name: &str| ObjectId::Link(LinkKey::new(ns.clone(), name));
    while let Some(id) = queue.pop() {
        if out.contains(&id) {
            continue;
        }
        let ns = match &id {
            ObjectId::Link(k) => Some(&k.netns),
            ObjectId::Addr(a) => Some(&a.netns),
            ObjectId::Route(k) => Some(&k.netns),
            ObjectId::Neigh(k) => Some(&k.netns),
            ObjectId::Fdb(e) => Some(&e.netns),
            ObjectId::NftTable(k) => Some(&k.netns),
            _ => None,
        };
        if let Some(ns @ Netns::Named(_)) = ns {
            queue.push(ObjectId::Netns(ns.clone()));
        }
        for state in states {
            match &id {
                ObjectId::Link(k) => {
                    if let Some(l) = state.links.get(k) {
                        if let Some(m) = &l.master {
                            queue.push(link(&k.netns, m));
                        }
                        if let LinkKind::Veth { peer } = &l.kind {
                            queue.push(ObjectId::Link(peer.clone()));
                        }
                    }
                }
                ObjectId::Addr(a) => queue.push(link(&a.netns, &a.link)),
                ObjectId::Route(k) => {
                    if let Some(r) = state.routes.get(k) {
                        queue.push(link(&k.netns, &r.dev));
                    }
                }
                ObjectId::Neigh(k) => queue.push(link(&k.netns, &k.link)),
                ObjectId::Fdb(e) => queue.push(link(&e.netns, &e.link)),
                _ => {}
            }
        }
        out.insert(id);
    }
    out
}

/// The objects of `state` whose identities are in `ids`.
fn restrict(state: &KernelState, ids: &std::collections::BTreeSet<ObjectId>) -> KernelState {
    let mut out = KernelState::default();
    for id in ids {
        match id {
            ObjectId::Netns(Netns::Named(n)) if state.namespaces.contains(n) => {
                out.namespaces.insert(n.clone());
            }
            ObjectId::Link(k) => {
                if let Some(v) = state.links.get(k) {
                    out.links.insert(k.clone(), v.clone());
                }
            }
            ObjectId::Addr(a) if state.addrs.contains(a) => {
                out.addrs.insert(a.clone());
            }
            ObjectId::Route(k) => {
                if let Some(v) = state.routes.get(k) {
                    out.routes.insert(k.clone(), v.clone());
                }
            }
            ObjectId::Neigh(k) => {
                if let Some(v) = state.neighs.get(k) {
                    out.neighs.insert(k.clone(), v.clone());
                }
            }
            ObjectId::Fdb(e) if state.fdb.contains(e) => {
                out.fdb.insert(e.clone());
            }
            ObjectId::XfrmState(k) => {
                if let Some(v) = state.xfrm_states.get(k) {
                    out.xfrm_states.insert(k.clone(), v.clone());
                }
            }
            ObjectId::XfrmPolicy(k) => {
                if let Some(v) = state.xfrm_policies.get(k) {
                    out.xfrm_policies.insert(k.clone(), v.clone());
                }
            }
            ObjectId::NftTable(k) => {
                if let Some(v) = state.nft_tables.get(k) {
                    out.nft_tables.insert(k.clone(), v.clone());
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_join_visits_every_key_once_in_order() {
        let a: Vec<(u32, char)> = vec![(1, 'a'), (3, 'c'), (5, 'e')];
        let b: Vec<(u32, char)> = vec![(2, 'B'), (3, 'C'), (6, 'F')];
        let mut seen = Vec::new();
        merge_join(
            a.iter().map(|(k, v)| (k, v)),
            b.iter().map(|(k, v)| (k, v)),
            |k, side| {
                seen.push(match side {
                    Side::Observed(v) => format!("{k}o{v}"),
                    Side::Desired(v) => format!("{k}d{v}"),
                    Side::Both(o, d) => format!("{k}b{o}{d}"),
                })
            },
        );
        assert_eq!(seen, ["1oa", "2dB", "3bcC", "5oe", "6dF"]);
    }

    #[test]
    fn staging_names_follow_docker() {
        assert_eq!(vxlan_staging_name(4097, "1-k3jd8s0a2b"), "vx-001001-k3jd8");
        assert_eq!(vxlan_staging_name(0xFFFFFF, "12-ab"), "vx-ffffff-ab");
        assert_eq!(vxlan_staging_name(4096, "ingress_sbox"), "vx-001000-ingre");
    }
}
