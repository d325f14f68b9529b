//! Feeds a host engine arbitrary gossip: a sequence of `[kind][eid][len][record bytes]`
//! events (kind 0 create, 1 delete, 2 update with the previous record of that eid) for a
//! network with a joined endpoint. Nothing may panic, refused events must change nothing,
//! and the incrementally kept desired state must always equal a full rebuild.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use overlaynet::host::{Host, JoinRequest};
use overlaynet::model::{Cluster, NodeConfig, OverlayNetwork};
use overlaynet::peer::PeerEvent;

const NET: &str = "fuzznet0001";

fn host() -> Host {
    let mut cluster = Cluster::default();
    let spec = OverlayNetwork::builder("fuzz")
        .subnet("10.10.1.0/24".parse().expect("subnet"))
        .subnet("10.10.2.0/24".parse().expect("subnet"))
        .build()
        .expect("spec");
    let network = cluster.create_overlay(spec).expect("network").clone();
    let node = NodeConfig::builder("fuzz", "192.0.2.1".parse().expect("ip"))
        .build()
        .expect("node");
    let mut host = Host::new(node);
    host.create_network(NET, &network).expect("create");
    let req = JoinRequest::new("local", "10.10.1.2/24".parse().expect("addr"), "ctr");
    host.join(NET, &req).expect("join");
    host
}

fuzz_target!(|data: &[u8]| {
    let mut host = host();
    let mut last: HashMap<u8, Vec<u8>> = HashMap::new();
    let mut rest = data;
    while let [kind, eid, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        let key = format!("ep{}", eid % 8);
        let prev = last.get(&(eid % 8)).cloned();
        let (p, v) = match kind % 3 {
            0 => (None, Some(bytes)),
            1 => (Some(prev.as_deref().unwrap_or(bytes)), None),
            _ => (prev.as_deref(), Some(bytes)),
        };
        let Ok(event) = PeerEvent::from_gossip(&key, p, v) else {
            continue;
        };
        let before = host.desired_state().clone();
        match host.apply_peer_event(NET, &event) {
            Ok(_) => {
                if v.is_some() {
                    last.insert(eid % 8, bytes.to_vec());
                } else {
                    last.remove(&(eid % 8));
                }
            }
            Err(_) => assert_eq!(&before, host.desired_state(), "a refused event changed state"),
        }
        assert_eq!(host.desired_state(), &host.rebuild_desired_state());
    }
});
