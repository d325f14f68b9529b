//! Unit tests of the host engine: lazy sandbox, Docker's error texts, refusals leaving the
//! engine unchanged, deterministic names, MTU and VXLAN attributes per mode, encryption
//! objects and rotation order, explain.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::*;
use crate::ipsec::{Key, KeyUpdate, Keyring, TaggedKey};
use crate::kernel::sim::SimKernel;
use crate::kernel::{Kernel, LinkKind, NftFamily, Op};
use crate::model::{Cluster, Encryption, NetworkState, NodeConfig, OverlayNetwork};
use crate::peer::{PeerEvent, PeerRecord};
use crate::wire::MacAddr;

const NET: &str = "k3jd8s0a2bq9x";

fn network(encryption: Encryption, mtu: Option<u32>) -> NetworkState {
    let mut cluster = Cluster::default();
    let mut b = OverlayNetwork::builder("app")
        .subnet("10.10.1.0/24".parse().expect("subnet"))
        .subnet("10.10.2.0/24".parse().expect("subnet"))
        .encryption(encryption);
    if let Some(m) = mtu {
        b = b.mtu(m);
    }
    cluster
        .create_overlay(b.build().expect("spec"))
        .expect("create")
        .clone()
}

fn node(vtep: &str) -> NodeConfig {
    NodeConfig::builder("node-a", vtep.parse().expect("ip"))
        .build()
        .expect("node")
}

fn net(s: &str) -> Ipv4Net {
    s.parse().expect("prefix")
}

fn remote(eid: &str, ip: &str, vtep: &str) -> PeerEvent {
    let ip: Ipv4Net = net(ip);
    PeerEvent::Create {
        eid: eid.into(),
        record: PeerRecord {
            endpoint_ip: IpNet::V4(ip),
            endpoint_mac: MacAddr::from_ipv4(ip.addr()),
            tunnel_endpoint_ip: vtep.parse().expect("vtep"),
        },
    }
}

fn ring() -> Keyring {
    Keyring::from_driver_order(
        (1..=3)
            .map(|t| TaggedKey {
                key: Key::new(&[t as u8; 16]).expect("key"),
                tag: t,
            })
            .collect(),
    )
    .expect("ring")
}

fn host() -> Host {
    let mut h = Host::new(node("192.0.2.1"));
    h.create_network(NET, &network(Encryption::Off, None))
        .expect("create");
    h
}

#[test]
fn sandbox_is_lazy_and_replays_known_peers() {
    let mut h = host();
    assert!(
        h.desired_state().is_empty(),
        "nothing before the first join"
    );
    let u = h
        .apply_peer_event(NET, &remote("r1", "10.10.2.7/24", "192.0.2.2"))
        .expect("peer");
    assert!(u.touched.is_empty());
    assert!(
        h.desired_state().is_empty(),
        "peers never create the sandbox"
    );
    h.join(NET, &JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1"))
        .expect("join");
    let d = h.desired_state();
    assert!(d.namespaces.contains("1-k3jd8s0a2b"));
    assert_eq!(d.neighs.len(), 1, "the known peer is replayed");
    assert_eq!(d.fdb.len(), 1);
    // Two subnets: a route to the other one via this subnet's gateway, no default route.
    let routes: Vec<_> = d.routes.iter().collect();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].0.dst.to_string(), "10.10.2.0/24");
    assert_eq!(routes[0].1.via, Some("10.10.1.1".parse().expect("ip")));
    h.leave(NET, "e1").expect("leave");
    assert!(
        h.desired_state().is_empty(),
        "the last leave removes the sandbox"
    );
}

#[test]
fn docker_error_texts() {
    let mut h = host();
    let n = network(Encryption::Off, None);
    assert_eq!(
        h.create_network("", &n).expect_err("empty").to_string(),
        "invalid network id"
    );
    assert_eq!(
        h.create_network(NET, &n).expect_err("dup").to_string(),
        format!("attempt to create overlay network {NET} that already exists")
    );
    let outside = JoinRequest::new("e1", net("10.99.0.5/24"), "ctr1");
    assert_eq!(
        h.join(NET, &outside).expect_err("subnet").to_string(),
        "couldn't find the subnet \"10.99.0.5/24\" in network \"k3jd8s0a2bq9x\""
    );
    let mut s = Host::new(node("192.0.2.1"));
    s.create_network(NET, &network(Encryption::DockerCompatible, None))
        .expect("create");
    let req = JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1");
    assert_eq!(
        s.join(NET, &req).expect_err("keys").to_string(),
        "cannot join secure network: encryption keys not present"
    );
    h.join(NET, &req).expect("join");
    assert_eq!(
        h.delete_network(NET).expect_err("active").to_string(),
        format!("network app id {NET} has active endpoints")
    );
}

#[test]
fn refusals_leave_the_engine_unchanged() {
    let mut h = host();
    h.join(NET, &JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1"))
        .expect("join");
    let before = h.desired_state().clone();
    let bad = [
        JoinRequest::new("e1", net("10.10.1.6/24"), "ctr2"), // same endpoint id
        JoinRequest::new("e2", net("10.10.1.5/24"), "ctr2"), // same address
        JoinRequest::new("e2", net("10.10.1.1/24"), "ctr2"), // the gateway
        JoinRequest::new("e2", net("10.10.1.6/24"), "ctr1"), // container already connected
        JoinRequest::new("e2", net("10.10.1.6/24"), "1-abc"), // a sandbox name
        JoinRequest::new("e2", net("10.10.1.6/24"), "ctr2").ifname("a/b"),
        JoinRequest::new("e2", net("10.10.1.6/24"), "ctr2").external(net("172.18.0.2/16")),
    ];
    for req in &bad {
        assert!(h.join(NET, req).is_err(), "{req:?} accepted");
        assert_eq!(&before, h.desired_state());
    }
    let bad_event = remote("r1", "10.99.0.7/24", "192.0.2.2");
    assert!(h.apply_peer_event(NET, &bad_event).is_err());
    assert!(h.leave(NET, "nope").is_err());
    assert!(
        h.update_keys(&KeyUpdate {
            new: None,
            primary_tag: 9,
            prune_tag: None
        })
        .is_err()
    );
    assert_eq!(&before, h.desired_state());
}

#[test]
fn a_restarted_engine_adopts_what_it_created() {
    let build = || {
        let mut h = host();
        h.join(NET, &JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1"))
            .expect("join");
        h.apply_peer_event(NET, &remote("r1", "10.10.1.7/24", "192.0.2.2"))
            .expect("peer");
        h
    };
    let first = build();
    let mut sim = SimKernel::new(first.scope().clone());
    sim.apply_op(&Op::AddNetns {
        name: "ctr1".into(),
    })
    .expect("container netns");
    assert!(first.reconcile(&mut sim).expect("reconcile").is_success());
    let restarted = build();
    assert!(
        restarted.plan(&sim.observe().expect("observe")).is_empty(),
        "same names after a restart"
    );
}

#[test]
fn vxlan_attributes_and_mtu_per_mode() {
    let v6 = "2001:db8::1";
    for (mode, learning, mtu) in [
        (DataPathMode::DockerCompatible, true, 1450),
        (DataPathMode::Hardened, false, 1430),
    ] {
        let mut h = Host::with_mode(node(v6), mode);
        h.create_network(NET, &network(Encryption::Off, None))
            .expect("create");
        h.join(NET, &JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1"))
            .expect("join");
        let vx = h
            .desired_state()
            .links
            .iter()
            .find(|(k, _)| k.name == "vxlan0")
            .map(|(_, l)| l.clone())
            .expect("vxlan0");
        let LinkKind::Vxlan(a) = &vx.kind else {
            panic!("not vxlan")
        };
        assert_eq!(a.learning, learning, "{mode:?}");
        assert_eq!(a.local, Some(v6.parse::<IpAddr>().expect("ip")));
        assert!(a.ipv6_underlay);
        assert_eq!(vx.mtu, Some(mtu), "{mode:?}");
        let veths = h
            .desired_state()
            .links
            .values()
            .filter(|l| matches!(l.kind, LinkKind::Veth { .. }));
        assert!(veths.into_iter().all(|l| l.mtu == Some(mtu)));
    }
}

fn encrypted_host() -> Host {
    let mut h = Host::new(node("192.0.2.1"));
    h.create_network(NET, &network(Encryption::DockerCompatible, None))
        .expect("create");
    h.set_keys(ring());
    h.join(NET, &JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1"))
        .expect("join");
    for (i, ip) in ["10.10.1.7/24", "10.10.2.8/24"].iter().enumerate() {
        h.apply_peer_event(NET, &remote(&format!("r{i}"), ip, "192.0.2.2"))
            .expect("peer");
    }
    h
}

#[test]
fn encryption_installs_steady_state_per_remote_and_nft_glue() {
    let h = encrypted_host();
    let d = h.desired_state();
    // One remote VTEP: 3 receive SAs, 1 transmit SA, 1 policy, whatever the peer count.
    assert_eq!(d.xfrm_states.len(), 4);
    assert_eq!(d.xfrm_policies.len(), 1);
    assert!(d.xfrm_states.values().all(|s| s.icv_bits == 64 && !s.esn));
    let (key, table) = d.nft_tables.iter().next().expect("nft table");
    assert_eq!(
        (key.family, key.name.as_str()),
        (NftFamily::Ip, "overlaynet")
    );
    assert!(
        table.body.contains("elements = { 0x001000, 0x001001 }"),
        "{}",
        table.body
    );
    assert!(table.body.contains("meta secpath missing udp dport 4789"));
    assert!(table.body.contains("meta mark set 0x00d0c4e3"));
}

#[test]
fn rotation_adds_before_it_switches_and_deletes_last() {
    let mut h = encrypted_host();
    let observed = h.desired_state().clone();
    h.update_keys(&KeyUpdate {
        new: Some(TaggedKey {
            key: Key::new(&[4; 16]).expect("key"),
            tag: 4,
        }),
        primary_tag: 3,
        prune_tag: Some(2),
    })
    .expect("rotate");
    let plan = h.plan(&observed);
    let kinds: Vec<&str> = plan
        .ops
        .iter()
        .map(|op| match op {
            Op::AddXfrmState { .. } => "+sa",
            Op::UpdateXfrmPolicy { .. } => "sp",
            Op::DelXfrmState { .. } => "-sa",
            _ => "other",
        })
        .collect();
    // +rSA(new) +fSA(new primary), policy switch, then -rSA(pruned) -fSA(old primary).
    assert_eq!(kinds, ["+sa", "+sa", "sp", "-sa", "-sa"], "{plan}");
}

#[test]
fn explain_finds_the_first_broken_hop() {
    let h = encrypted_host();
    let mut sim = SimKernel::new(h.scope().clone());
    sim.apply_op(&Op::AddNetns {
        name: "ctr1".into(),
    })
    .expect("netns");
    assert!(h.reconcile(&mut sim).expect("reconcile").is_success());
    let to: IpAddr = "10.10.2.8".parse().expect("ip");
    let ok = h.explain(NET, "e1", to, sim.state()).expect("explain");
    assert!(ok.is_ok(), "{ok}");
    assert!(ok.hops.iter().any(|hop| hop.step == "ipsec"));
    let mut broken = sim.state().clone();
    let tx = broken.xfrm_policies.values_mut().next().expect("policy");
    tx.templates[0].spi ^= 1;
    let e = h.explain(NET, "e1", to, &broken).expect("explain");
    let hop = e.first_problem().expect("a problem");
    assert_eq!(
        (hop.step.as_str(), hop.verdict),
        ("ipsec", Verdict::Inconsistent)
    );
    let json: serde_json::Value = serde_json::from_str(&e.to_json()).expect("json");
    let last = json["hops"]
        .as_array()
        .and_then(|h| h.last())
        .expect("hops");
    assert_eq!(
        (last["step"].as_str(), last["verdict"].as_str()),
        (Some("ipsec"), Some("inconsistent"))
    );
    let unknown = h
        .explain(NET, "e1", "10.10.1.99".parse().expect("ip"), sim.state())
        .expect("explain");
    assert_eq!(
        unknown.first_problem().map(|h| h.step.as_str()),
        Some("peer table")
    );
}

#[test]
fn ipv6_underlay_uses_ip6_glue_and_the_true_overhead() {
    let mut h = Host::new(node("2001:db8::1"));
    h.create_network(NET, &network(Encryption::Hardened, None))
        .expect("create");
    h.set_keys(ring());
    h.join(NET, &JoinRequest::new("e1", net("10.10.1.5/24"), "ctr1"))
        .expect("join");
    h.apply_peer_event(NET, &remote("r1", "10.10.1.7/24", "2001:db8::2"))
        .expect("peer");
    let d = h.desired_state();
    let key = d.nft_tables.keys().next().expect("nft table");
    assert_eq!(key.family, NftFamily::Ip6);
    // 1500 − 70 (IPv6 VXLAN) − 34 (ESP, 16-byte ICV), rounded down to a multiple of 4.
    assert!(
        d.links
            .values()
            .filter(|l| l.mtu.is_some())
            .all(|l| l.mtu == Some(1396))
    );
    assert!(d.xfrm_states.values().all(|s| s.icv_bits == 128 && s.esn));
    assert_eq!(d.xfrm_policies.len(), 1);
}
