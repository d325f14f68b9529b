//! Diff/plan cost at scale: a sandbox with 10,000 remote peers (10,000 neighbour and 10,000
//! FDB entries), planned from scratch, when in sync, and after one peer changed — by the full
//! diff and by the incremental `Plan::from_delta`.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, criterion_group, criterion_main};
use overlaynet::kernel::*;

#[path = "../tests/kernel_support/mod.rs"]
mod kernel_support;
use kernel_support::*;

const SANDBOX: &str = "1-k3jd8s0a2b";
const PEERS: u32 = 10_000;

fn peer_ip(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 1, 0, 0)) + i)
}

fn host_with_peers(n: u32) -> KernelState {
    let mut b = HostBuilder::new().network(SANDBOX, 4097, "10.1.0.1/16", 1450);
    for i in 0..n {
        let vtep = Ipv4Addr::from(u32::from(Ipv4Addr::new(192, 0, 2, 0)) + (i % 1000));
        b = b.peer(SANDBOX, peer_ip(i + 2), vtep.into());
    }
    b.build()
}

fn bench(c: &mut Criterion) {
    let scope = Scope::docker();
    let desired = host_with_peers(PEERS);
    let mut bare = desired.clone();
    bare.neighs.clear();
    bare.fdb.clear();
    // One peer moved to another host: its FDB entry changes.
    let mut moved = desired.clone();
    let victim = moved.fdb.iter().nth(5000).cloned().expect("peer 5000");
    moved.fdb.remove(&victim);
    let mut replacement = victim.clone();
    replacement.dst = Some(v4(198, 51, 100, 7));
    moved.fdb.insert(replacement.clone());
    let touched = [ObjectId::Fdb(victim), ObjectId::Fdb(replacement)];

    assert_eq!(diff(&bare, &desired, &scope).len(), 2 * PEERS as usize);
    assert!(diff(&desired, &desired, &scope).is_empty());
    let full = diff(&desired, &moved, &scope);
    assert_eq!(full.len(), 2);
    assert_eq!(Plan::from_delta(&desired, &moved, &scope, &touched), full);

    let mut g = c.benchmark_group("kernel_plan_10k_peers");
    g.bench_function("full_plan_20k_ops", |b| {
        b.iter(|| diff(black_box(&bare), black_box(&desired), &scope))
    });
    g.bench_function("full_diff_in_sync", |b| {
        b.iter(|| diff(black_box(&desired), black_box(&desired), &scope))
    });
    g.bench_function("full_diff_one_peer_changed", |b| {
        b.iter(|| diff(black_box(&desired), black_box(&moved), &scope))
    });
    g.bench_function("from_delta_one_peer_changed", |b| {
        b.iter(|| {
            Plan::from_delta(
                black_box(&desired),
                black_box(&moved),
                &scope,
                black_box(&touched),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
