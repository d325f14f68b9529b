//! Host engine at scale: one overlay network with a local endpoint and 10,000 remote peers
//! behind 1,000 VTEPs. Measures (1) the full desired state built from the engine state plus
//! the plan from an empty kernel, and (2) one gossip event (a peer moving to another host)
//! applied incrementally plus its plan against the in-sync kernel state — two events per
//! iteration (move and move back), so a single change costs half the reported time.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};
use overlaynet::host::{Host, JoinRequest};
use overlaynet::kernel::{KernelState, diff};
use overlaynet::model::{Cluster, NodeConfig, OverlayNetwork};
use overlaynet::peer::{PeerEvent, PeerRecord};
use overlaynet::wire::MacAddr;

const NET: &str = "k3jd8s0a2bq9x";
const PEERS: u32 = 10_000;

fn record(i: u32, vtep: u32) -> PeerRecord {
    let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 128, 1, 0)) + i);
    PeerRecord {
        endpoint_ip: IpNet::V4(Ipv4Net::new(ip, 16).expect("prefix")),
        endpoint_mac: MacAddr::from_ipv4(ip),
        tunnel_endpoint_ip: IpAddr::V4(Ipv4Addr::from(
            u32::from(Ipv4Addr::new(198, 18, 0, 0)) + vtep,
        )),
    }
}

fn host_with_peers() -> Host {
    let mut cluster = Cluster::default();
    let spec = OverlayNetwork::builder("big")
        .subnet("10.128.0.0/16".parse().expect("subnet"))
        .build()
        .expect("spec");
    let network = cluster.create_overlay(spec).expect("network").clone();
    let node = NodeConfig::builder("node-a", "192.0.2.1".parse().expect("ip"))
        .build()
        .expect("node");
    let mut host = Host::new(node);
    host.create_network(NET, &network).expect("create");
    let local = Ipv4Net::new(Ipv4Addr::new(10, 128, 0, 2), 16).expect("prefix");
    host.join(NET, &JoinRequest::new("local-1", local, "ctr-1"))
        .expect("join");
    for i in 0..PEERS {
        let event = PeerEvent::Create {
            eid: format!("peer-{i}"),
            record: record(i, i % 1000),
        };
        host.apply_peer_event(NET, &event).expect("peer");
    }
    host
}

/// This thread's CPU time: on a shared, oversubscribed machine it leaves out the time the
/// thread waited for a core, which wall time cannot.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_THREAD_CPUTIME_ID is supported on
    // Linux; clock_gettime writes only into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` `iters` times and returns the thread CPU time it took.
fn cpu_time<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..iters {
        black_box(f());
    }
    thread_cpu_time() - start
}

fn bench(c: &mut Criterion) {
    let mut host = host_with_peers();
    let empty = KernelState::new();
    let observed = host.desired_state().clone();
    assert!(host.plan(&observed).is_empty());
    assert!(host.plan(&empty).len() > 2 * PEERS as usize);

    let mut g = c.benchmark_group("host_10k_peers");
    g.bench_function("full_desired_state_and_plan", |b| {
        b.iter(|| {
            let desired = host.rebuild_desired_state();
            diff(black_box(&empty), &desired, host.scope())
        })
    });
    g.bench_function("full_desired_state_and_plan_cpu", |b| {
        b.iter_custom(|iters| {
            cpu_time(iters, || {
                let desired = host.rebuild_desired_state();
                diff(&empty, &desired, host.scope())
            })
        })
    });
    let desired = host.rebuild_desired_state();
    g.bench_function("full_desired_state_only", |b| {
        b.iter(|| host.rebuild_desired_state())
    });
    g.bench_function("full_plan_only", |b| {
        b.iter(|| diff(black_box(&empty), black_box(&desired), host.scope()))
    });
    let at_b = record(5000, 7);
    let moves = [
        PeerEvent::Update {
            eid: "peer-5000".into(),
            prev: record(5000, 5000 % 1000),
            new: at_b,
        },
        PeerEvent::Update {
            eid: "peer-5000".into(),
            prev: at_b,
            new: record(5000, 5000 % 1000),
        },
    ];
    // Sanity: a move touches only that peer's entries and plans exactly their change.
    let update = host.apply_peer_event(NET, &moves[0]).expect("move");
    let plan = host.plan_touched(&observed, &update.touched);
    assert_eq!(plan, host.plan(&observed));
    assert!(!plan.is_empty() && plan.len() <= 4, "{plan}");
    let _ = host.apply_peer_event(NET, &moves[1]).expect("move back");
    assert!(host.plan(&observed).is_empty());

    g.bench_function("incremental_two_peer_moves_and_plans", |b| {
        b.iter(|| {
            for event in &moves {
                let update = host.apply_peer_event(NET, event).expect("move");
                black_box(host.plan_touched(&observed, &update.touched));
            }
        })
    });
    g.bench_function("incremental_two_peer_moves_and_plans_cpu", |b| {
        b.iter_custom(|iters| {
            cpu_time(iters, || {
                for event in &moves {
                    let update = host.apply_peer_event(NET, event).expect("move");
                    black_box(host.plan_touched(&observed, &update.touched));
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
