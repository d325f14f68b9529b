//! Properties of the host engine over random sequences of host operations (create/delete
//! network, join/leave, docker_gwbridge access), gossip peer events (including duplicate
//! IPs), key changes and rotations, injected apply faults and drift, all against the
//! simulated kernel pre-loaded with foreign objects:
//! * convergence: two reconcile rounds reach exactly `desired_state()`, the third plan is empty;
//! * ownership: every foreign object stays exactly as it was;
//! * teardown: leaving every endpoint and deleting every network leaves only the foreign objects;
//! * the incrementally kept desired state always equals a full rebuild, and the incremental
//!   plan after a peer event equals the full plan when the kernel was in sync.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use overlaynet::host::{Host, JoinRequest};
use overlaynet::ipsec::{Key, KeyUpdate, Keyring, TaggedKey};
use overlaynet::kernel::sim::SimKernel;
use overlaynet::kernel::*;
use overlaynet::model::{Cluster, GwBridgeNetwork, NetworkState, NodeConfig, OverlayNetwork};
use overlaynet::peer::{PeerEvent, PeerRecord};
use overlaynet::wire::MacAddr;
use proptest::prelude::*;

const NETS: [&str; 2] = ["appnet0001xyz", "secnet0002abc"];
const CONTAINERS: usize = 4;

struct Fixture {
    networks: Vec<NetworkState>,
    gwbridge: GwBridgeNetwork,
}

fn fixture() -> Fixture {
    let mut cluster = Cluster::default();
    let app = OverlayNetwork::builder("app")
        .subnet("10.10.1.0/24".parse().expect("subnet"))
        .subnet("10.10.2.0/24".parse().expect("subnet"))
        .build()
        .expect("app");
    let sec = OverlayNetwork::builder("sec")
        .subnet("10.20.1.0/24".parse().expect("subnet"))
        .encrypted(true)
        .build()
        .expect("sec");
    let networks = vec![
        cluster.create_overlay(app).expect("create app").clone(),
        cluster.create_overlay(sec).expect("create sec").clone(),
    ];
    let gwbridge = GwBridgeNetwork::builder()
        .subnet("172.18.0.0/16".parse().expect("subnet"))
        .build()
        .expect("gwbridge");
    Fixture { networks, gwbridge }
}

fn node() -> NodeConfig {
    NodeConfig::builder("node-a", "192.0.2.1".parse().expect("ip"))
        .build()
        .expect("node")
}

fn container(i: usize) -> String {
    format!("ctr{i}")
}

/// Local endpoint `i` of network `n`: its own container, a fixed address.
fn join_request(n: usize, i: usize, external: bool) -> JoinRequest {
    let (addr, ifname) = match n {
        0 => (
            Ipv4Net::new(Ipv4Addr::new(10, 10, 1 + (i % 2) as u8, 10 + i as u8), 24),
            "eth0",
        ),
        _ => (
            Ipv4Net::new(Ipv4Addr::new(10, 20, 1, 10 + i as u8), 24),
            "eth1",
        ),
    };
    let mut req = JoinRequest::new(
        format!("local-{n}-{i}"),
        addr.expect("prefix"),
        container(i),
    )
    .ifname(ifname);
    if external {
        req = req
            .external(Ipv4Net::new(Ipv4Addr::new(172, 18, 0, 10 + i as u8), 16).expect("prefix"));
        if let Some(x) = req.external.as_mut() {
            x.ifname = "gw0".into();
        }
    }
    req
}

/// A remote record: endpoint `j` of network `n` behind VTEP `v`. Index 0 of network 0 reuses
/// a local address (a transient duplicate IP).
fn record(n: usize, j: usize, v: usize) -> PeerRecord {
    let ip = match (n, j) {
        (0, 0) => Ipv4Addr::new(10, 10, 1, 10),
        (0, _) => Ipv4Addr::new(10, 10, 1 + (j % 2) as u8, 100 + j as u8),
        _ => Ipv4Addr::new(10, 20, 1, 100 + j as u8),
    };
    PeerRecord {
        endpoint_ip: IpNet::V4(Ipv4Net::new(ip, 24).expect("prefix")),
        endpoint_mac: MacAddr::from_ipv4(ip),
        tunnel_endpoint_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10 + v as u8)),
    }
}

fn keyring(base: u64) -> Keyring {
    let keys = (0..3)
        .map(|i| TaggedKey {
            key: Key::new(&[(base as u8).wrapping_add(i as u8); 16]).expect("key"),
            tag: base + i,
        })
        .collect();
    Keyring::from_driver_order(keys).expect("ring")
}

/// moby's rotation: add a newer key, make the second-newest primary, prune the oldest.
fn rotation(ring: &Keyring) -> KeyUpdate {
    let mut tags: Vec<u64> = ring.keys().iter().map(|k| k.tag).collect();
    tags.sort_unstable();
    let newest = tags.last().copied().unwrap_or(0);
    let new_tag = newest + 1;
    KeyUpdate {
        new: Some(TaggedKey {
            key: Key::new(&[new_tag as u8 ^ 0x5a; 16]).expect("key"),
            tag: new_tag,
        }),
        primary_tag: newest,
        prune_tag: tags.first().copied(),
    }
}

/// What other programs have on the host: links, addresses, neighbours, FDB entries, routes,
/// XFRM objects, nftables tables, a namespace, and the runtime's container namespaces with
/// their own loopback-like device.
fn foreign() -> KernelState {
    let mut s = KernelState::new();
    let host = Netns::Host;
    s.links.insert(
        LinkKey::new(host.clone(), "eth9"),
        Link::new(LinkKind::Dummy).up(),
    );
    s.links.insert(
        LinkKey::new(host.clone(), "docker0"),
        Link::new(LinkKind::Bridge).up(),
    );
    s.links.insert(
        LinkKey::new(host.clone(), "veth1234567"),
        Link::new(LinkKind::Dummy).with_master("docker0").up(),
    );
    s.addrs.insert(AddrKey::new(
        host.clone(),
        "eth9",
        "192.0.2.1/24".parse().expect("net"),
    ));
    s.neighs.insert(
        NeighKey::new(host.clone(), "eth9", "192.0.2.254".parse().expect("ip")),
        Neigh {
            lladdr: MacAddr::from([2, 0, 0, 0, 0, 0xfe]),
        },
    );
    s.fdb.insert(FdbEntry {
        netns: host.clone(),
        link: "veth1234567".into(),
        mac: MacAddr::from([2, 0, 0, 0, 0, 0x77]),
        dst: None,
        table: FdbTable::Master,
    });
    s.routes.insert(
        RouteKey::new(host.clone(), "198.51.100.0/24".parse().expect("net")),
        Route {
            dev: "eth9".into(),
            via: Some("192.0.2.254".parse().expect("ip")),
        },
    );
    s.xfrm_states.insert(
        XfrmStateKey {
            src: "192.0.2.1".parse().expect("ip"),
            dst: "192.0.2.10".parse().expect("ip"),
            spi: 0x1000,
            proto: XfrmProto::Esp,
        },
        XfrmState {
            reqid: 7,
            aead_name: "rfc4106(gcm(aes))".into(),
            aead_key: AeadKey::new(vec![9; 20]),
            icv_bits: 128,
            replay_window: 32,
            esn: false,
        },
    );
    s.xfrm_policies.insert(
        XfrmPolicyKey {
            selector: XfrmSelector {
                src: "192.0.2.1/32".parse().expect("net"),
                dst: "192.0.2.10/32".parse().expect("net"),
                proto: None,
                dport: None,
            },
            dir: XfrmDir::Out,
            mark: Some(XfrmMark {
                value: 1,
                mask: 0xff,
            }),
        },
        XfrmPolicy { templates: vec![] },
    );
    s.nft_tables.insert(
        NftTableKey::new(host.clone(), NftFamily::Inet, "filter"),
        NftTable {
            body: "\tchain input {\n\t}\n".into(),
        },
    );
    s.namespaces.insert("otherns".into());
    s.links.insert(
        LinkKey::new(Netns::named("otherns"), "dummy0"),
        Link::new(LinkKind::Dummy),
    );
    for i in 0..CONTAINERS {
        let ns = Netns::named(container(i));
        s.namespaces.insert(container(i));
        s.links.insert(
            LinkKey::new(ns.clone(), "lo9"),
            Link::new(LinkKind::Dummy).up(),
        );
        s.addrs.insert(AddrKey::new(
            ns.clone(),
            "lo9",
            "127.0.0.9/8".parse().expect("net"),
        ));
        s.routes.insert(
            RouteKey::new(ns, "203.0.113.0/24".parse().expect("net")),
            Route {
                dev: "lo9".into(),
                via: None,
            },
        );
    }
    s
}

/// Every object of `before` is in `after`, unchanged.
fn untouched(before: &KernelState, after: &KernelState) -> Result<(), String> {
    let missing = |what: &str| Err(format!("foreign {what} changed or vanished"));
    if !before.namespaces.is_subset(&after.namespaces) {
        return missing("namespace");
    }
    if before
        .links
        .iter()
        .any(|(k, v)| after.links.get(k) != Some(v))
    {
        return missing("link");
    }
    if !before.addrs.is_subset(&after.addrs) || !before.fdb.is_subset(&after.fdb) {
        return missing("address or FDB entry");
    }
    if before
        .routes
        .iter()
        .any(|(k, v)| after.routes.get(k) != Some(v))
        || before
            .neighs
            .iter()
            .any(|(k, v)| after.neighs.get(k) != Some(v))
    {
        return missing("route or neighbour");
    }
    if before
        .xfrm_states
        .iter()
        .any(|(k, v)| after.xfrm_states.get(k) != Some(v))
        || before
            .xfrm_policies
            .iter()
            .any(|(k, v)| after.xfrm_policies.get(k) != Some(v))
        || before
            .nft_tables
            .iter()
            .any(|(k, v)| after.nft_tables.get(k) != Some(v))
    {
        return missing("XFRM object or nftables table");
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Step {
    Create(usize),
    Delete(usize),
    Join(usize, usize, bool),
    Leave(usize, usize),
    PeerCreate(usize, usize, usize),
    PeerDelete(usize, usize, usize),
    PeerUpdate(usize, usize, usize, usize),
    SetKeys(u64),
    Rotate,
    Reconcile,
    Fault(u64, Errno),
    Drift(u64, usize),
}

fn step() -> impl Strategy<Value = Step> {
    let n = 0usize..2;
    let j = 0usize..4;
    let v = 0usize..2;
    prop_oneof![
        2 => n.clone().prop_map(Step::Create),
        1 => n.clone().prop_map(Step::Delete),
        4 => (n.clone(), 0usize..CONTAINERS, any::<bool>()).prop_map(|(n, i, x)| Step::Join(n, i, x)),
        2 => (n.clone(), 0usize..CONTAINERS).prop_map(|(n, i)| Step::Leave(n, i)),
        4 => (n.clone(), j.clone(), v.clone()).prop_map(|(n, j, v)| Step::PeerCreate(n, j, v)),
        2 => (n.clone(), j.clone(), v.clone()).prop_map(|(n, j, v)| Step::PeerDelete(n, j, v)),
        1 => (n, j, v.clone(), v).prop_map(|(n, j, a, b)| Step::PeerUpdate(n, j, a, b)),
        1 => (1u64..4).prop_map(|b| Step::SetKeys(b * 10)),
        1 => Just(Step::Rotate),
        3 => Just(Step::Reconcile),
        1 => (0u64..20, prop_oneof![Just(Errno::ENOMEM), Just(Errno::EBUSY), Just(Errno::EEXIST)])
            .prop_map(|(n, e)| Step::Fault(n, e)),
        1 => (any::<u64>(), 1usize..4).prop_map(|(s, n)| Step::Drift(s, n)),
    ]
}

struct Run {
    fx: Fixture,
    host: Host,
    sim: SimKernel,
    foreign: KernelState,
    /// Whether the sim holds exactly the desired state (no fault, drift or structural change
    /// since the last fully successful reconcile).
    in_sync: bool,
}

impl Run {
    fn new() -> Run {
        let foreign = foreign();
        let mut host = Host::new(node());
        let fx = fixture();
        host.set_gwbridge(&fx.gwbridge).expect("gwbridge");
        let sim = SimKernel::with_state(host.scope().clone(), foreign.clone()).expect("fixture");
        Run {
            fx,
            host,
            sim,
            foreign,
            in_sync: false,
        }
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        let before = self.host.desired_state().clone();
        let result: Result<(), overlaynet::host::HostError> = match *step {
            Step::Create(n) => self.host.create_network(NETS[n], &self.fx.networks[n]),
            Step::Delete(n) => self.host.delete_network(NETS[n]),
            Step::Join(n, i, x) => self.host.join(NETS[n], &join_request(n, i, x)).map(|_| ()),
            Step::Leave(n, i) => self
                .host
                .leave(NETS[n], &format!("local-{n}-{i}"))
                .map(|_| ()),
            Step::PeerCreate(n, j, v)
            | Step::PeerDelete(n, j, v)
            | Step::PeerUpdate(n, j, v, _) => {
                let eid = format!("remote-{n}-{j}");
                let event = match *step {
                    Step::PeerCreate(..) => PeerEvent::Create {
                        eid,
                        record: record(n, j, v),
                    },
                    Step::PeerDelete(..) => PeerEvent::Delete {
                        eid,
                        record: record(n, j, v),
                    },
                    Step::PeerUpdate(_, _, _, w) => PeerEvent::Update {
                        eid,
                        prev: record(n, j, v),
                        new: record(n, j, w),
                    },
                    _ => unreachable!(),
                };
                let observed = self.sim.state().clone();
                match self.host.apply_peer_event(NETS[n], &event) {
                    Ok(update) => {
                        if self.in_sync {
                            let inc = self.host.plan_touched(&observed, &update.touched);
                            let full = self.host.plan(&observed);
                            prop_assert_eq!(
                                &inc,
                                &full,
                                "incremental plan differs after {:?}",
                                step
                            );
                            // Apply it, as an embedder reacting to gossip would.
                            self.in_sync =
                                self.sim.apply(&inc).is_success() && !self.sim.faults_pending();
                        }
                        return self.check_incremental(step);
                    }
                    Err(e) => Err(e),
                }
            }
            Step::SetKeys(base) => {
                self.host.set_keys(keyring(base));
                Ok(())
            }
            Step::Rotate => match self.host.keyring().map(rotation) {
                Some(update) => self.host.update_keys(&update),
                None => Ok(()),
            },
            Step::Reconcile => {
                let r = self
                    .host
                    .reconcile(&mut self.sim)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                self.in_sync = r.is_success() && !self.sim.faults_pending();
                return self.check_foreign();
            }
            Step::Fault(n, e) => {
                self.sim.fail_nth(n, e);
                return Ok(());
            }
            Step::Drift(seed, n) => {
                self.sim.drift(seed, n);
                self.in_sync = false;
                return Ok(());
            }
        };
        match result {
            Ok(()) => self.in_sync = false,
            Err(_) => prop_assert_eq!(
                &before,
                self.host.desired_state(),
                "a refused {:?} changed the engine",
                step
            ),
        }
        self.check_incremental(step)
    }

    fn check_incremental(&self, step: &Step) -> Result<(), TestCaseError> {
        let desired = self.host.desired_state();
        prop_assert!(
            desired == &self.host.rebuild_desired_state(),
            "incremental desired state differs after {:?}",
            step
        );
        prop_assert!(
            desired.validate().is_ok(),
            "invalid desired state: {:?}",
            desired.validate()
        );
        Ok(())
    }

    fn check_foreign(&self) -> Result<(), TestCaseError> {
        untouched(&self.foreign, self.sim.state()).map_err(TestCaseError::fail)
    }

    /// Clears faults, reconciles at most twice, and checks the third plan is empty.
    fn converge(&mut self) -> Result<(), TestCaseError> {
        self.sim.clear_faults();
        for _ in 0..2 {
            let r = self
                .host
                .reconcile(&mut self.sim)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if r.was_in_sync() {
                break;
            }
        }
        let observed = self.sim.state().clone();
        let third = self.host.plan(&observed);
        prop_assert!(third.is_empty(), "third plan not empty:\n{}", third);
        prop_assert!(conforms(
            &observed,
            self.host.desired_state(),
            self.host.scope()
        ));
        self.check_foreign()
    }

    fn teardown(&mut self) -> Result<(), TestCaseError> {
        for (n, id) in NETS.iter().enumerate() {
            for i in 0..CONTAINERS {
                let _ = self.host.leave(id, &format!("local-{n}-{i}"));
            }
            let _ = self.host.delete_network(id);
        }
        prop_assert!(
            self.host.desired_state().is_empty(),
            "desired state not empty after teardown"
        );
        self.converge()?;
        // Nothing of ours is left: the host holds exactly what other programs had.
        prop_assert_eq!(self.sim.state(), &self.foreign);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_converge_keep_foreign_objects_and_tear_down(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let mut run = Run::new();
        // Networks and keys exist in most interesting runs.
        for (id, net) in NETS.iter().zip(&run.fx.networks) {
            run.host.create_network(id, net).expect("create");
        }
        run.host.set_keys(keyring(10));
        for s in &steps {
            run.step(s)?;
        }
        run.converge()?;
        run.teardown()?;
    }
}

/// A fixed scenario where every path is exercised: two networks, encryption, external
/// access, peers on two VTEPs, a rotation.
#[test]
fn full_scenario_converges_and_tears_down() {
    let mut run = Run::new();
    let steps = [
        Step::Create(0),
        Step::Create(1),
        Step::SetKeys(10),
        Step::PeerCreate(0, 1, 0),
        Step::Join(0, 0, true),
        Step::Join(1, 1, false),
        Step::Reconcile,
        Step::PeerCreate(0, 2, 1),
        Step::PeerCreate(1, 1, 0),
        Step::PeerCreate(0, 0, 1),
        Step::Reconcile,
        Step::Rotate,
        Step::Reconcile,
        Step::PeerDelete(0, 1, 0),
        Step::PeerUpdate(1, 1, 0, 1),
        Step::Drift(7, 3),
    ];
    for s in &steps {
        run.step(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
    let desired = run.host.desired_state();
    assert!(!desired.xfrm_states.is_empty(), "encrypted network has SAs");
    assert!(desired.links.keys().any(|k| k.name == "docker_gwbridge"));
    let ours: BTreeSet<_> = desired
        .namespaces
        .iter()
        .filter(|n| n.starts_with("1-"))
        .collect();
    assert_eq!(ours.len(), 2, "two sandboxes: {ours:?}");
    run.converge().unwrap_or_else(|e| panic!("{e}"));
    run.teardown().unwrap_or_else(|e| panic!("{e}"));
}
