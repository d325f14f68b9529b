//! Properties of the kernel layer over random Docker-shaped states, with the simulated
//! kernel: convergence under pre-existing state, faults and drift; ownership of foreign
//! objects; idempotent re-apply; the incremental diff agreeing with the full one.

mod kernel_support;

use std::net::Ipv4Addr;

use kernel_support::*;
use overlaynet::kernel::sim::SimKernel;
use overlaynet::kernel::*;
use overlaynet::wire::MacAddr;
use proptest::prelude::*;

const SANDBOXES: [&str; 3] = ["1-aaaaaaaaaa", "2-bbbbbbbbbb", "ingress_sbox"];

/// A small deterministic generator, so one `u64` from proptest describes a whole state.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn coin(&mut self) -> bool {
        self.below(2) == 1
    }
}

fn endpoint_name(i: usize, k: u64, alt: bool) -> String {
    format!("{}{i}{k}", if alt { "f" } else { "e" })
}

fn scope() -> Scope {
    let mut s = Scope::docker();
    for i in 0..SANDBOXES.len() {
        for k in 0..3 {
            for alt in [false, true] {
                s.claim_link(LinkKey::new(ns("ctr1"), endpoint_name(i, k, alt)));
            }
        }
    }
    s
}

/// A random desired state: up to three sandboxes with their bridge and VXLAN device (VNI and
/// MTU vary, so devices get re-created or changed), endpoints into the shared container
/// namespace `ctr1`, remote peers (MACs vary), a host-namespace VXLAN device, encrypted
/// remotes (SPIs and keys vary), and nftables tables.
fn random_desired(seed: u64) -> KernelState {
    let mut g = Gen(seed);
    let mut b = HostBuilder::new();
    b.state.namespaces.insert("ctr1".into());
    for (i, sb) in SANDBOXES.iter().enumerate() {
        if !g.coin() {
            continue;
        }
        let vni = 4096 + 4 * i as u32 + g.below(2) as u32;
        let mtu = [1450, 1424][g.below(2) as usize];
        let gw = if g.coin() {
            format!("10.{i}.0.1/24")
        } else {
            format!("10.{i}.0.254/24")
        };
        b = b.network(sb, vni, &gw, mtu);
        for k in 0..g.below(3) {
            let route_dst = format!("10.{}.{k}.0/24", 100 + i);
            // Sometimes the container end is down (then it carries no route), and sometimes
            // the pair is named differently, so the sandbox end must be re-created.
            let down = g.below(4) == 0;
            let route = (!down && g.coin()).then_some((route_dst.as_str(), v4(10, i as u8, 0, 1)));
            let ip = format!("10.{i}.0.{}/24", 10 + k);
            let ctr_end = endpoint_name(i, k, g.below(3) == 0);
            b = b.endpoint(sb, &format!("veth{k}"), "ctr1", &ctr_end, &ip, route, mtu);
            if down {
                if let Some(l) = b.state.links.get_mut(&LinkKey::new(ns("ctr1"), ctr_end)) {
                    l.up = false;
                }
            }
            if g.coin() {
                b.state.fdb.insert(FdbEntry {
                    netns: ns(sb),
                    link: format!("veth{k}"),
                    mac: MacAddr([2, 0x42, 10, i as u8, 0, 10 + k as u8]),
                    dst: None,
                    table: FdbTable::Master,
                });
            }
        }
        for p in 0..6u8 {
            if g.coin() {
                let ip = Ipv4Addr::new(10, i as u8, 0, 100 + p);
                b = b.peer(sb, ip, v4(192, 0, 2, 10 + p + 40 * g.below(2) as u8));
                if g.coin() {
                    let key = NeighKey::new(ns(sb), "vxlan0", ip.into());
                    if let Some(n) = b.state.neighs.get_mut(&key) {
                        n.lladdr.0[0] = 0x06;
                    }
                }
            }
        }
        if g.coin() {
            b = b.nft(
                ns(sb),
                ["chain a {\n}", "chain b {\n}"][g.below(2) as usize],
            );
        }
        if g.below(4) == 0 {
            // The bridge under another name: ports move, and Linux flushes their master-FDB
            // entries.
            rename_bridge(&mut b.state, sb, "br1");
        }
        if g.below(6) == 0 {
            // A VXLAN device that is down keeps its FDB entries but loses its neighbours
            // whenever it goes down.
            if let Some(l) = b.state.links.get_mut(&LinkKey::new(ns(sb), "vxlan0")) {
                l.up = false;
            }
        }
    }
    if g.coin() {
        let vni = 5000 + g.below(2) as u32;
        b.state.links.insert(
            LinkKey::new(Netns::Host, "vx-001388-hostx"),
            Link::new(LinkKind::Vxlan(VxlanAttrs::docker(vni, 4789)))
                .with_mtu(1450)
                .up(),
        );
    }
    // SPIs come from one small pool, so a new state often takes an SPI an old state of
    // another remote had (Linux refuses both at once).
    let mut used = std::collections::HashSet::new();
    for r in 0..3u8 {
        if g.coin() {
            let spi_in = 0x100 + g.below(4) as u32;
            let spi_out = 0x200 + 16 * r as u32 + g.below(2) as u32;
            if used.insert(spi_in) {
                b = b.encrypt(
                    v4(192, 0, 2, 1),
                    v4(192, 0, 2, 10 + r),
                    spi_in,
                    spi_out,
                    g.below(2) as u8,
                );
            }
        }
    }
    if g.coin() {
        b = b.nft(
            Netns::Host,
            ["chain out {\n}", "chain in {\n}"][g.below(2) as usize],
        );
    }
    b.build()
}

fn rename_bridge(state: &mut KernelState, sandbox: &str, to: &str) {
    if let Some(br) = state.links.remove(&LinkKey::new(ns(sandbox), "br0")) {
        state.links.insert(LinkKey::new(ns(sandbox), to), br);
    }
    for (k, l) in state.links.iter_mut() {
        if k.netns == ns(sandbox) && l.master.as_deref() == Some("br0") {
            l.master = Some(to.into());
        }
    }
    let addrs: Vec<AddrKey> = state
        .addrs
        .iter()
        .filter(|a| a.netns == ns(sandbox) && a.link == "br0")
        .cloned()
        .collect();
    for mut a in addrs {
        state.addrs.remove(&a);
        a.link = to.into();
        state.addrs.insert(a);
    }
}

/// The objects of `state` that are not ours.
fn foreign_part(state: &KernelState, scope: &Scope) -> KernelState {
    let mut out = state.clone();
    out.namespaces
        .retain(|n| !scope.owns(&ObjectId::Netns(ns(n)), state));
    out.links
        .retain(|k, _| !scope.owns(&ObjectId::Link(k.clone()), state));
    out.addrs
        .retain(|a| !scope.owns(&ObjectId::Addr(a.clone()), state));
    out.routes
        .retain(|k, _| !scope.owns(&ObjectId::Route(k.clone()), state));
    out.neighs
        .retain(|k, _| !scope.owns(&ObjectId::Neigh(k.clone()), state));
    out.fdb
        .retain(|e| !scope.owns(&ObjectId::Fdb(e.clone()), state));
    out.xfrm_states
        .retain(|k, _| !scope.owns(&ObjectId::XfrmState(k.clone()), state));
    out.xfrm_policies
        .retain(|k, _| !scope.owns(&ObjectId::XfrmPolicy(k.clone()), state));
    out.nft_tables
        .retain(|k, _| !scope.owns(&ObjectId::NftTable(k.clone()), state));
    out
}

fn errno() -> impl Strategy<Value = Errno> {
    prop_oneof![
        Just(Errno::ENOMEM),
        Just(Errno::EBUSY),
        Just(Errno::EEXIST),
        Just(Errno::ENOENT),
        Just(Errno::EPERM),
        Just(Errno(105)),
    ]
}

/// One step of an ownership scenario.
#[derive(Clone, Debug)]
enum Step {
    Reconcile(u64),
    Drift(u64, usize),
    ForeignDrift(u64, usize),
    Fault(u64, Errno),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<u64>().prop_map(Step::Reconcile),
        1 => (any::<u64>(), 0usize..5).prop_map(|(s, n)| Step::Drift(s, n)),
        1 => (any::<u64>(), 0usize..3).prop_map(|(s, n)| Step::ForeignDrift(s, n)),
        1 => (0u64..30, errno()).prop_map(|(n, e)| Step::Fault(n, e)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// From any pre-existing state of ours, after any drift and with up to two operations of
    /// the first round failing, two reconcile rounds reach exactly the desired state and the
    /// third plan is empty; foreign objects are untouched throughout.
    #[test]
    fn two_rounds_converge(
        before in any::<u64>(),
        target in any::<u64>(),
        drift_seed in any::<u64>(),
        drift_count in 0usize..6,
        faults in proptest::collection::vec((any::<u64>(), errno()), 0..3),
    ) {
        let scope = scope();
        let foreign = foreign();
        let mut sim = SimKernel::with_state(scope.clone(), foreign.clone()).expect("valid fixture");
        let pre = random_desired(before);
        let setup = reconcile(&pre, &scope, &mut sim).expect("setup round");
        prop_assert!(setup.is_success(), "setup failed: {:?}", setup.apply);
        sim.drift(drift_seed, drift_count);

        let desired = random_desired(target);
        let first = diff(&sim.observe().expect("observe"), &desired, &scope);
        for (n, e) in &faults {
            if !first.is_empty() {
                sim.fail_nth(n % first.len() as u64, *e);
            }
        }
        let r1 = reconcile(&desired, &scope, &mut sim).expect("round 1");
        prop_assert_eq!(&r1.plan, &first);
        if faults.is_empty() {
            // Without faults the diff's model of Linux must be exact: one round suffices.
            prop_assert!(r1.is_success(), "round 1 failed:\n{}\n{:?}", r1.plan, r1.apply);
            let second = diff(sim.state(), &desired, &scope);
            prop_assert!(second.is_empty(), "round 1 left work:\n{}", second);
        }
        // A fault aimed at an operation that was skipped never fired; it must not reach
        // round 2.
        sim.clear_faults();
        let r2 = reconcile(&desired, &scope, &mut sim).expect("round 2");
        prop_assert!(r2.is_success(), "round 2 failed:\n{}\n{:?}", r2.plan, r2.apply);
        let observed = sim.observe().expect("observe");
        let third = diff(&observed, &desired, &scope);
        prop_assert!(third.is_empty(), "third plan not empty:\n{}", third);
        prop_assert!(conforms(&observed, &desired, &scope));
        if let Err(e) = all_untouched(&foreign, &observed) {
            return Err(TestCaseError::fail(e));
        }
    }

    /// Through any sequence of reconciles, drift of our objects and faults, every foreign
    /// object (links, neighbours, FDB entries, XFRM objects, nftables tables, namespaces)
    /// stays exactly as it was; foreign drift only changes what the foreign set is.
    #[test]
    fn foreign_objects_stay_untouched(steps in proptest::collection::vec(step(), 1..12)) {
        let scope = scope();
        let mut sim = SimKernel::with_state(scope.clone(), foreign()).expect("valid fixture");
        for step in steps {
            let before = foreign_part(sim.state(), &scope);
            match step {
                Step::Reconcile(seed) => {
                    reconcile(&random_desired(seed), &scope, &mut sim).expect("reconcile");
                }
                Step::Drift(seed, n) => {
                    sim.drift(seed, n);
                }
                Step::ForeignDrift(seed, n) => {
                    sim.drift_foreign(seed, n);
                    continue;
                }
                Step::Fault(n, e) => sim.fail_nth(n, e),
            }
            if let Err(e) = all_untouched(&before, sim.state()) {
                return Err(TestCaseError::fail(e));
            }
        }
    }

    /// Applying a plan twice leaves the kernel in the desired state, as applying it once
    /// does; a plan without re-creations leaves it exactly as once.
    #[test]
    fn reapply_is_idempotent(before in any::<u64>(), target in any::<u64>()) {
        let scope = scope();
        let mut sim = SimKernel::with_state(scope.clone(), foreign()).expect("valid fixture");
        reconcile(&random_desired(before), &scope, &mut sim).expect("setup");
        let desired = random_desired(target);
        let plan = diff(sim.state(), &desired, &scope);
        let report = sim.apply(&plan);
        prop_assert!(report.is_success(), "{:?}", report);
        let once = sim.state().clone();
        sim.apply(&plan);
        prop_assert!(conforms(sim.state(), &desired, &scope));
        prop_assert!(diff(sim.state(), &desired, &scope).is_empty());
        let recreates = plan.ops.iter().any(|op| match op {
            Op::DelLink { key } => desired.links.contains_key(key),
            _ => false,
        });
        if !recreates {
            prop_assert_eq!(sim.state(), &once);
        }
    }

    /// The incremental diff over every identity of both states is the full diff.
    #[test]
    fn from_delta_over_everything_is_the_full_diff(a in any::<u64>(), b in any::<u64>()) {
        let scope = scope();
        let mut observed = random_desired(a);
        let f = foreign();
        observed.namespaces.extend(f.namespaces.iter().cloned());
        observed.links.extend(f.links.clone());
        observed.fdb.extend(f.fdb.iter().cloned());
        observed.xfrm_states.extend(f.xfrm_states.clone());
        let desired = random_desired(b);
        let ids: Vec<ObjectId> = observed.object_ids().chain(desired.object_ids()).collect();
        prop_assert_eq!(Plan::from_delta(&observed, &desired, &scope, &ids), diff(&observed, &desired, &scope));
    }
}
