//! Kernel layer: plan order and rendering, apply semantics, the sim's Linux answers,
//! ownership, reconcile.

mod kernel_support;

use std::net::Ipv4Addr;

use kernel_support::*;
use overlaynet::kernel::sim::{DriftEvent, SimKernel};
use overlaynet::kernel::*;

const SANDBOX: &str = "1-k3jd8s0a2b";

fn docker_host() -> KernelState {
    HostBuilder::new()
        .network(SANDBOX, 4097, "10.0.1.1/24", 1450)
        .peer(SANDBOX, Ipv4Addr::new(10, 0, 1, 5), v4(192, 0, 2, 2))
        .endpoint(
            SANDBOX,
            "veth0",
            "ctr1",
            "eth0",
            "10.0.1.3/24",
            Some(("10.0.2.0/24", v4(10, 0, 1, 1))),
            1450,
        )
        .encrypt(
            v4(192, 0, 2, 1),
            v4(192, 0, 2, 2),
            0x1122_3344,
            0x5566_7788,
            0xab,
        )
        .nft(ns(SANDBOX), "chain c {\n}")
        .build()
}

fn scope() -> Scope {
    let mut s = Scope::docker();
    s.claim_link(LinkKey::new(ns("ctr1"), "eth0"));
    s
}

const GOLDEN: &str = "\
ip netns add 1-k3jd8s0a2b
ip -n 1-k3jd8s0a2b link add br0 type bridge
ip link add vx-001001-k3jd8 mtu 1450 type vxlan id 4097 dstport 4789 proxy l2miss l3miss learning ttl 0
ip link set vx-001001-k3jd8 netns 1-k3jd8s0a2b
ip -n 1-k3jd8s0a2b link set vx-001001-k3jd8 name vxlan0
ip -n 1-k3jd8s0a2b link add veth0 mtu 1450 type veth peer name eth0 mtu 1450 address 02:42:0a:00:01:03 netns ctr1
ip -n 1-k3jd8s0a2b link set br0 up
ip -n 1-k3jd8s0a2b link set veth0 master br0
ip -n 1-k3jd8s0a2b link set veth0 up
ip -n 1-k3jd8s0a2b link set vxlan0 master br0
ip -n 1-k3jd8s0a2b link set vxlan0 up
ip -n ctr1 link set eth0 up
ip -n 1-k3jd8s0a2b addr add 10.0.1.1/24 dev br0
ip -n ctr1 addr add 10.0.1.3/24 dev eth0
ip -n ctr1 route add 10.0.2.0/24 via 10.0.1.1 dev eth0
ip -n 1-k3jd8s0a2b neigh add 10.0.1.5 lladdr 02:42:0a:00:01:05 dev vxlan0 nud permanent
bridge -n 1-k3jd8s0a2b fdb add 02:42:0a:00:01:05 dev vxlan0 dst 192.0.2.2 self permanent
ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x11223344 reqid 13681891 mode transport aead 'rfc4106(gcm(aes))' 0x<redacted> 64
ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x55667788 reqid 13681891 mode transport aead 'rfc4106(gcm(aes))' 0x<redacted> 64
ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 proto udp dport 4789 dir out mark 0xd0c4e3 mask 0xffffffff tmpl src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x55667788 reqid 13681891 mode transport
ip netns exec 1-k3jd8s0a2b nft -f - <<'EOF'
table ip overlaynet
delete table ip overlaynet
table ip overlaynet {
\tchain c {
\t}
}
EOF
";

#[test]
fn plan_from_empty_prints_dockers_commands() {
    let plan = diff(&foreign(), &docker_host(), &scope());
    assert_eq!(plan.to_string(), GOLDEN);
}

#[test]
fn keys_are_redacted_unless_asked_for() {
    let plan = diff(&KernelState::default(), &docker_host(), &scope());
    let key_hex = format!("0x{}11223344", "ab".repeat(16));
    assert!(!plan.to_string().contains(&key_hex));
    assert!(!format!("{plan:?}").contains(&"ab".repeat(16)));
    assert!(plan.display_with_secrets().to_string().contains(&key_hex));
    let json = plan.to_json();
    assert!(json.contains("<redacted>") && !json.contains(&"ab".repeat(16)));
    let err = Plan::from_json(&json).expect_err("a redacted key cannot be read back");
    assert!(
        err.to_string()
            .contains("redacted keys cannot be read back"),
        "{err}"
    );
    let with_keys = plan.to_json_with_secrets();
    assert!(with_keys.contains(&key_hex));
    assert_eq!(Plan::from_json(&with_keys), Ok(plan));
}

#[test]
fn plan_json_round_trips_without_xfrm_states() {
    let mut desired = docker_host();
    desired.xfrm_states.clear();
    let plan = diff(&KernelState::default(), &desired, &scope());
    let back: Plan = serde_json::from_str(&plan.to_json()).expect("round trip");
    assert_eq!(back, plan);
    let state_json = serde_json::to_string(&foreign()).expect("state serialises");
    assert!(state_json.contains("flannel.1"));
}

#[test]
fn key_rotation_is_make_before_break() {
    let (local, remote) = (v4(192, 0, 2, 1), v4(192, 0, 2, 2));
    let before = HostBuilder::new()
        .encrypt(local, remote, 0x100, 0x200, 1)
        .build();
    let after = HostBuilder::new()
        .encrypt(local, remote, 0x101, 0x201, 2)
        .build();
    let plan = diff(&before, &after, &scope());
    let lines: Vec<String> = plan.ops.iter().map(|op| op.to_string()).collect();
    let pos = |needle: &str| {
        lines
            .iter()
            .position(|k| k.contains(needle))
            .unwrap_or(usize::MAX)
    };
    let rx_new = pos("state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x00000101");
    let tx_new = pos("state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00000201");
    let update = pos("policy update");
    assert!(rx_new < tx_new && tx_new < update, "{plan}");
    assert!(
        update < pos("state del src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x00000100"),
        "{plan}"
    );
    assert!(
        update < pos("state del src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00000200"),
        "{plan}"
    );
    assert_eq!(plan.len(), 5, "{plan}");
}

#[test]
fn deletes_run_in_reverse_dependency_order() {
    let mut observed = docker_host();
    observed.links.insert(
        LinkKey::new(Netns::Host, "vx-001002-k3jd8"),
        Link::new(LinkKind::Vxlan(VxlanAttrs::docker(4098, 4789))),
    );
    let mut desired = KernelState::default();
    desired.namespaces.insert("ctr1".into());
    let plan = diff(&observed, &desired, &scope());
    let text = plan.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "ip xfrm policy del src 192.0.2.1/32 dst 192.0.2.2/32 proto udp dport 4789 dir out mark 0xd0c4e3 mask 0xffffffff"
    );
    let pos = |l: &str| lines.iter().position(|x| *x == l).unwrap_or(usize::MAX);
    // The container end of the veth is ours (claimed) and goes first; the sandbox and its
    // contents go with one command after the stale host-namespace VXLAN device.
    assert!(
        pos("ip -n ctr1 link del eth0") < pos("ip link del vx-001002-k3jd8"),
        "{text}"
    );
    assert!(
        pos("ip link del vx-001002-k3jd8") < pos("ip netns del 1-k3jd8s0a2b"),
        "{text}"
    );
    assert!(
        !text.contains("netns del ctr1") && !text.contains("neigh del"),
        "{text}"
    );
    assert!(text.ends_with("ip netns del 1-k3jd8s0a2b\nip xfrm state del src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x55667788\nip xfrm state del src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x11223344\n"), "{text}");
    let mut sim = SimKernel::with_state(scope(), observed).expect("valid");
    assert!(sim.apply(&plan).is_success());
    assert!(conforms(sim.state(), &desired, &scope()));
}

#[test]
fn attribute_changes_are_in_place_and_vni_changes_recreate() {
    let before = docker_host();
    let mut after = before.clone();
    let vx = LinkKey::new(ns(SANDBOX), "vxlan0");
    after.links.get_mut(&vx).expect("vxlan0").mtu = Some(1400);
    let plan = diff(&before, &after, &scope());
    assert_eq!(
        plan.to_string(),
        "ip -n 1-k3jd8s0a2b link set vxlan0 mtu 1400\n"
    );

    if let Some(Link {
        kind: LinkKind::Vxlan(v),
        ..
    }) = after.links.get_mut(&vx)
    {
        v.vni = 4098;
    }
    let plan = diff(&before, &after, &scope());
    let text = plan.to_string();
    assert!(
        text.starts_with("ip -n 1-k3jd8s0a2b link del vxlan0\n"),
        "{text}"
    );
    // The neighbour and FDB entry went with the old device, so they are re-created.
    assert!(text.contains("neigh add 10.0.1.5"), "{text}");
    assert!(text.contains("fdb add 02:42:0a:00:01:05"), "{text}");
    let mut sim = SimKernel::with_state(scope(), before).expect("valid");
    assert!(sim.apply(&plan).is_success());
    assert!(diff(&sim.observe().expect("observe"), &after, &scope()).is_empty());
}

#[test]
fn reconcile_converges_and_then_has_nothing_to_do() {
    let mut sim = SimKernel::with_state(scope(), foreign()).expect("valid");
    let desired = docker_host();
    let r1 = reconcile(&desired, &scope(), &mut sim).expect("round 1");
    assert!(r1.is_success(), "{:?}", r1.apply);
    assert_eq!(r1.changed().len(), r1.plan.len());
    let r2 = reconcile(&desired, &scope(), &mut sim).expect("round 2");
    assert!(r2.was_in_sync(), "{}", r2.plan);
    assert!(conforms(sim.state(), &desired, &scope()));
    all_untouched(&foreign(), sim.state()).expect("foreign objects untouched");
}

#[test]
fn drift_is_repaired_by_reconcile() {
    let desired = docker_host();
    let mut sim = SimKernel::with_state(scope(), foreign()).expect("valid");
    reconcile(&desired, &scope(), &mut sim).expect("setup");
    let mut twin = sim.clone();
    let events = sim.drift(7, 4);
    assert_eq!(events.len(), 4);
    assert_eq!(twin.drift(7, 4), events, "a seed reproduces its drift");
    assert!(
        events.iter().any(|e| matches!(e, DriftEvent::Deleted(_))),
        "{events:?}"
    );
    assert!(!conforms(sim.state(), &desired, &scope()), "{events:?}");
    let r = reconcile(&desired, &scope(), &mut sim).expect("repair");
    assert!(r.is_success(), "{:?}", r.apply);
    assert!(conforms(sim.state(), &desired, &scope()), "{events:?}");
    all_untouched(&foreign(), sim.state()).expect("foreign objects untouched");
}

#[test]
fn failed_ops_skip_their_dependents() {
    let desired = docker_host();
    let mut start = KernelState::default();
    start.namespaces.insert("ctr1".into());
    let plan = diff(&start, &desired, &scope());
    let mut sim = SimKernel::with_state(scope(), start).expect("valid");
    // op 1 creates br0: everything that needs br0 is skipped, the rest goes on.
    assert_eq!(
        plan.ops[1].to_string(),
        "ip -n 1-k3jd8s0a2b link add br0 type bridge"
    );
    sim.fail_nth(1, Errno::ENOMEM);
    let report = sim.apply(&plan);
    assert_eq!(
        report.outcomes[1],
        OpOutcome::Failed(KernelError::Os {
            object: plan.ops[1].object(),
            errno: Errno::ENOMEM
        })
    );
    let mut skipped = 0;
    for (i, op) in plan.ops.iter().enumerate() {
        let text = op.to_string();
        if text.contains("master br0") || text.contains("br0 up") || text.contains("dev br0") {
            assert_eq!(
                report.outcomes[i],
                OpOutcome::Skipped { because: 1 },
                "{text}"
            );
            skipped += 1;
        }
    }
    assert_eq!((skipped, report.skipped()), (4, 4));
    assert_eq!(report.done(), plan.len() - 5);
    let r2 = reconcile(&desired, &scope(), &mut sim).expect("round 2");
    assert!(r2.is_success(), "{:?}", r2.apply);
    assert!(conforms(sim.state(), &desired, &scope()));
}

#[test]
fn failed_policy_update_keeps_the_old_states() {
    let (local, remote) = (v4(192, 0, 2, 1), v4(192, 0, 2, 2));
    let before = HostBuilder::new()
        .encrypt(local, remote, 0x100, 0x200, 1)
        .build();
    let after = HostBuilder::new()
        .encrypt(local, remote, 0x101, 0x201, 2)
        .build();
    let plan = diff(&before, &after, &scope());
    let mut sim = SimKernel::with_state(scope(), before).expect("valid");
    let update = plan
        .ops
        .iter()
        .position(|op| matches!(op, Op::UpdateXfrmPolicy { .. }))
        .expect("update");
    sim.fail_nth(update as u64, Errno::EBUSY);
    let report = sim.apply(&plan);
    let mut deletes = 0;
    for (i, op) in plan.ops.iter().enumerate() {
        if matches!(op, Op::DelXfrmState { .. }) {
            assert_eq!(report.outcomes[i], OpOutcome::Skipped { because: update });
            deletes += 1;
        }
    }
    assert_eq!(deletes, 2);
    // The policy still points at a state that exists.
    let pol = &sim.state().xfrm_policies[&policy_key(local, remote)];
    assert!(
        sim.state()
            .xfrm_states
            .contains_key(&pol.templates[0].state_key())
    );
}

#[test]
fn reapplying_a_plan_changes_nothing() {
    let plan = diff(&foreign(), &docker_host(), &scope());
    let mut sim = SimKernel::with_state(scope(), foreign()).expect("valid");
    assert!(sim.apply(&plan).is_success());
    let once = sim.state().clone();
    let again = sim.apply(&plan);
    assert!(!again.is_success());
    assert_eq!(sim.state(), &once);
}

#[test]
fn sim_answers_like_linux() {
    let mut sim = SimKernel::with_state(scope(), docker_host()).expect("valid");
    let dup = Op::AddLink {
        key: LinkKey::new(ns(SANDBOX), "br0"),
        link: Link::new(LinkKind::Bridge),
        staging_name: None,
        peer: None,
    };
    assert_eq!(
        sim.apply_op(&dup),
        Err(KernelError::Exists {
            object: dup.object()
        })
    );

    let mac = overlaynet::wire::MacAddr([2, 0, 0, 0, 0, 1]);
    let fdb = Op::AddFdb {
        entry: FdbEntry {
            netns: ns(SANDBOX),
            link: "vxlan9".into(),
            mac,
            dst: Some(v4(192, 0, 2, 3)),
            table: FdbTable::SelfDev,
        },
    };
    assert_eq!(
        sim.apply_op(&fdb),
        Err(KernelError::NoDevice {
            object: fdb.object(),
            device: "vxlan9".into()
        })
    );
    let fdb_on_bridge = Op::AddFdb {
        entry: FdbEntry {
            netns: ns(SANDBOX),
            link: "br0".into(),
            mac,
            dst: Some(v4(192, 0, 2, 3)),
            table: FdbTable::SelfDev,
        },
    };
    assert_eq!(
        sim.apply_op(&fdb_on_bridge).map_err(|e| e.errno()),
        Err(Errno::EINVAL)
    );

    let master = Op::SetLink {
        key: LinkKey::new(ns(SANDBOX), "veth0"),
        change: LinkChange::Master(Some("vxlan0".into())),
    };
    assert!(matches!(
        sim.apply_op(&master),
        Err(KernelError::Invalid { .. })
    ));

    // A second device with VNI 4097 on the same underlay is refused, as Linux does.
    let clash = Op::AddLink {
        key: LinkKey::new(Netns::Host, "vx-001001-zzzzz"),
        link: Link::new(LinkKind::Vxlan(VxlanAttrs::docker(4097, 4789))),
        staging_name: None,
        peer: None,
    };
    assert_eq!(
        sim.apply_op(&clash),
        Err(KernelError::Exists {
            object: clash.object()
        })
    );

    // Nor is a device created directly inside a namespace: the plan vocabulary stages every
    // namespaced VXLAN device in the host, and a state cannot say which underlay it is on.
    let unstaged = Op::AddLink {
        key: LinkKey::new(ns(SANDBOX), "vxlan9"),
        link: Link::new(LinkKind::Vxlan(VxlanAttrs::docker(4099, 4789))),
        staging_name: None,
        peer: None,
    };
    assert!(matches!(
        sim.apply_op(&unstaged),
        Err(KernelError::Invalid { .. })
    ));

    let down = Op::SetLink {
        key: LinkKey::new(ns("ctr1"), "eth0"),
        change: LinkChange::Up(false),
    };
    sim.apply_op(&down).expect("set down");
    assert!(
        sim.state().routes.is_empty(),
        "routes are flushed when their link goes down"
    );
    let route = Op::AddRoute {
        key: RouteKey::new(ns("ctr1"), net("10.0.2.0/24")),
        route: Route {
            dev: "eth0".into(),
            via: Some(v4(10, 0, 1, 1)),
        },
    };
    assert_eq!(
        sim.apply_op(&route),
        Err(KernelError::NetDown {
            object: route.object(),
            device: "eth0".into()
        })
    );

    let del_sa = Op::DelXfrmState {
        key: XfrmStateKey {
            src: v4(1, 1, 1, 1),
            dst: v4(2, 2, 2, 2),
            spi: 1,
            proto: XfrmProto::Esp,
        },
    };
    assert_eq!(
        sim.apply_op(&del_sa).map_err(|e| e.errno()),
        Err(Errno::ESRCH)
    );
    let long = Op::AddLink {
        key: LinkKey::new(Netns::Host, "a-name-longer-than-15"),
        link: Link::new(LinkKind::Dummy),
        staging_name: None,
        peer: None,
    };
    assert!(matches!(
        sim.apply_op(&long),
        Err(KernelError::Invalid { .. })
    ));

    let unchanged = sim.state().clone();
    for op in [&dup, &fdb, &master, &clash, &route, &del_sa, &long] {
        assert!(sim.apply_op(op).is_err());
    }
    assert_eq!(
        sim.state(),
        &unchanged,
        "a refused operation changes nothing"
    );

    sim.apply_op(&Op::DelNetns {
        name: SANDBOX.into(),
    })
    .expect("del netns");
    assert!(
        sim.state().links.is_empty(),
        "the sandbox took its links and the veth's container end"
    );
    assert_eq!(sim.state().namespaces.iter().collect::<Vec<_>>(), ["ctr1"]);
    assert!(
        sim.state().neighs.is_empty() && sim.state().fdb.is_empty() && sim.state().addrs.is_empty()
    );
}

#[test]
fn injected_observe_failure_applies_nothing() {
    let mut sim = SimKernel::new(scope());
    sim.fail_observe(Errno::ENOMEM);
    let err = reconcile(&docker_host(), &scope(), &mut sim).expect_err("observe fails");
    assert_eq!(
        err,
        KernelError::Observe {
            errno: Errno::ENOMEM
        }
    );
    assert!(sim.state().is_empty());
    let err: overlaynet::Error = err.into();
    assert_eq!(err.to_string(), "dumping kernel state failed: ENOMEM");
}

#[test]
fn invalid_desired_states_are_refused_before_anything_runs() {
    let mut bad = docker_host();
    bad.links.remove(&LinkKey::new(ns("ctr1"), "eth0"));
    let mut sim = SimKernel::new(scope());
    let err = reconcile(&bad, &scope(), &mut sim).expect_err("veth without its peer");
    assert!(matches!(err, KernelError::Invalid { .. }), "{err}");
    assert!(sim.state().is_empty());
    let mut bad = docker_host();
    bad.links
        .get_mut(&LinkKey::new(ns(SANDBOX), "vxlan0"))
        .expect("vxlan0")
        .master = Some("veth0".into());
    assert!(bad.validate().is_err());
    let mut bad = docker_host();
    bad.links
        .get_mut(&LinkKey::new(ns("ctr1"), "eth0"))
        .expect("eth0")
        .up = false;
    assert!(bad.validate().is_err(), "a route on a link that is down");
}

#[test]
fn ownership_rule() {
    let s = scope();
    let empty = KernelState::default();
    let owns = |id: ObjectId| s.owns(&id, &empty);
    assert!(owns(ObjectId::Netns(ns("1-k3jd8s0a2b"))));
    assert!(owns(ObjectId::Netns(ns("12-k3jd8s0a2"))));
    assert!(owns(ObjectId::Netns(ns("ingress_sbox"))));
    assert!(!owns(ObjectId::Netns(ns("cni-7f3a"))));
    assert!(
        !owns(ObjectId::Netns(ns("1-k3jd8s0a2b3c"))),
        "longer than Docker's 12 characters"
    );
    assert!(!owns(ObjectId::Netns(Netns::Host)));
    assert!(owns(ObjectId::Link(LinkKey::new(
        Netns::Host,
        "vx-001001-k3jd8"
    ))));
    assert!(!owns(ObjectId::Link(LinkKey::new(
        Netns::Host,
        "vx-1001-k3jd8"
    ))));
    assert!(!owns(ObjectId::Link(LinkKey::new(Netns::Host, "vxlan0"))));
    assert!(!owns(ObjectId::Link(LinkKey::new(
        Netns::Host,
        "veth5f1e2d3"
    ))));
    assert!(
        owns(ObjectId::Link(LinkKey::new(ns("ctr1"), "eth0"))),
        "claimed"
    );
    assert!(!owns(ObjectId::Link(LinkKey::new(ns("ctr1"), "lo0"))));
    assert!(owns(ObjectId::NftTable(NftTableKey::new(
        Netns::Host,
        NftFamily::Ip,
        "overlaynet"
    ))));
    assert!(!owns(ObjectId::NftTable(NftTableKey::new(
        Netns::Host,
        NftFamily::Ip,
        "filter"
    ))));
    assert!(owns(ObjectId::XfrmPolicy(policy_key(
        v4(1, 1, 1, 1),
        v4(2, 2, 2, 2)
    ))));
    // An XFRM state is ours by its reqid, which only the observed value tells.
    let host = docker_host();
    let sa = host.xfrm_states.keys().next().expect("sa").clone();
    assert!(s.owns(&ObjectId::XfrmState(sa.clone()), &host));
    assert!(!s.owns(&ObjectId::XfrmState(sa), &empty));
}

#[test]
fn foreign_objects_are_never_deleted_even_when_nothing_is_desired() {
    let plan = diff(&foreign(), &KernelState::default(), &scope());
    assert!(plan.is_empty(), "{plan}");
}

#[test]
fn from_delta_matches_the_full_diff_for_one_peer() {
    let mut b = HostBuilder::new().network(SANDBOX, 4097, "10.0.1.1/24", 1450);
    for i in 0..200u32 {
        let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 2, 0)) + i);
        b = b.peer(SANDBOX, ip, v4(192, 0, 3, (i % 250) as u8));
    }
    let observed = b.build();
    let desired = HostBuilder {
        state: observed.clone(),
    }
    .peer(SANDBOX, Ipv4Addr::new(10, 0, 9, 9), v4(192, 0, 2, 9))
    .build();
    let full = diff(&observed, &desired, &scope());
    let touched: Vec<ObjectId> = desired
        .object_ids()
        .filter(|id| !observed.object_ids().any(|o| &o == id))
        .collect();
    assert_eq!(touched.len(), 2);
    assert_eq!(
        Plan::from_delta(&observed, &desired, &scope(), &touched),
        full
    );
    assert_eq!(full.len(), 2);
    // And removing it again.
    let back = Plan::from_delta(&desired, &observed, &scope(), &touched);
    assert_eq!(back, diff(&desired, &observed, &scope()));
    assert_eq!(
        back.to_string(),
        "bridge -n 1-k3jd8s0a2b fdb del 02:42:0a:00:09:09 dev vxlan0 dst 192.0.2.9 self\nip -n 1-k3jd8s0a2b neigh del 10.0.9.9 dev vxlan0\n"
    );
}
