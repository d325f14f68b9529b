//! Golden plan text for a small scenario: one two-subnet network, one container with
//! docker_gwbridge access, one remote peer. The plan from an empty host must print exactly as
//! `tests/golden/host_plan.txt` (regenerate deliberately with `BLESS=1`).

use ipnet::{IpNet, Ipv4Net};
use overlaynet::host::{Host, JoinRequest};
use overlaynet::kernel::KernelState;
use overlaynet::model::{Cluster, GwBridgeNetwork, NodeConfig, OverlayNetwork};
use overlaynet::peer::{PeerEvent, PeerRecord};
use overlaynet::wire::MacAddr;

const GOLDEN: &str = "tests/golden/host_plan.txt";

#[test]
fn plan_text_matches_golden() {
    let mut cluster = Cluster::default();
    let spec = OverlayNetwork::builder("app")
        .subnet("10.10.1.0/24".parse().expect("subnet"))
        .subnet("10.10.2.0/24".parse().expect("subnet"))
        .build()
        .expect("spec");
    let network = cluster.create_overlay(spec).expect("network").clone();
    let node = NodeConfig::builder("node-a", "192.0.2.1".parse().expect("ip"))
        .build()
        .expect("node");
    let mut host = Host::new(node);
    host.set_gwbridge(
        &GwBridgeNetwork::builder()
            .subnet("172.18.0.0/16".parse().expect("subnet"))
            .build()
            .expect("gwbridge"),
    )
    .expect("gwbridge");
    host.create_network("k3jd8s0a2bq9x", &network)
        .expect("create");
    let addr: Ipv4Net = "10.10.1.5/24".parse().expect("addr");
    let req = JoinRequest::new("ep1", addr, "ctr1").external("172.18.0.2/16".parse().expect("gw"));
    host.join("k3jd8s0a2bq9x", &req).expect("join");
    let peer: Ipv4Net = "10.10.2.7/24".parse().expect("peer");
    let event = PeerEvent::Create {
        eid: "ep2".into(),
        record: PeerRecord {
            endpoint_ip: IpNet::V4(peer),
            endpoint_mac: MacAddr::from_ipv4(peer.addr()),
            tunnel_endpoint_ip: "192.0.2.2".parse().expect("vtep"),
        },
    };
    host.apply_peer_event("k3jd8s0a2bq9x", &event)
        .expect("peer");

    let text = host.plan(&KernelState::new()).to_string();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(GOLDEN, &text).expect("write golden");
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden file");
    assert_eq!(
        text, golden,
        "plan text changed; run with BLESS=1 if intended"
    );
}
