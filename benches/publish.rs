//! Mesh rules at scale: 10,000 services × 3 published ports × 10 backends.
//!
//! - `full_load_10k`: render the complete `table inet overlaynet` (target ≤ 20 ms);
//! - `build_model_10k`: insert the 10,000 load balancers into an empty `MeshRules`;
//! - `set_backends_one_of_10k`: one backend change as an incremental transaction
//!   (target ≤ 20 µs); its size is printed for 100, 1,000 and 10,000 services to show it does
//!   not grow with the number of services.
//!
//! The `*_cpu` variants time the same work in this thread's CPU time instead of wall time: on
//! a shared machine with a load average far above its core count, wall time mostly measures
//! waiting for a core.
//!
//! Run: `cargo bench --bench publish -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use overlaynet::publish::Protocol;
use overlaynet::publish::rules::{LoadBalancer, MeshRules};

const BACKENDS: u32 = 10;

fn v4(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(n))
}

fn load_balancer(i: u32) -> LoadBalancer {
    let base = 0x0A00_0000 + i * 16; // 10.0.0.0 + 16 addresses per service
    LoadBalancer {
        fwmark: 256 + i,
        vips: vec![v4(base)],
        ports: (0..3)
            .map(|p| (Protocol::Tcp, (1 + i * 3 + p) as u16))
            .collect(),
        backends: (1..=BACKENDS).map(|b| v4(base + b)).collect(),
    }
}

fn mesh(services: u32) -> MeshRules {
    let mut m = MeshRules::new();
    for i in 0..services {
        m.upsert_load_balancer(load_balancer(i))
            .expect("distinct ports and VIPs");
    }
    m
}

/// CPU time consumed by the calling thread so far.
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
    let m = mesh(10_000);
    let text = m.full_load().to_string();
    println!("full load for 10,000 services: {} bytes", text.len());

    for services in [100, 1_000, 10_000] {
        let mut m = mesh(services);
        let lb = load_balancer(services / 2);
        let mut changed = lb.backends.clone();
        changed[0] = v4(0x0B00_0001);
        let t = m
            .set_backends(lb.fwmark, &changed)
            .expect("known load balancer");
        println!(
            "one backend change with {services} services: {} commands, {} bytes",
            t.commands().len(),
            t.len_bytes()
        );
    }

    c.bench_function("full_load_10k", |b| b.iter(|| black_box(m.full_load())));
    c.bench_function("full_load_10k_cpu", |b| {
        b.iter_custom(|iters| cpu_time(iters, || m.full_load()))
    });
    c.bench_function("build_model_10k", |b| b.iter(|| black_box(mesh(10_000))));

    let mut m = m;
    let lb = load_balancer(5_000);
    let a = lb.backends.clone();
    let mut other = a.clone();
    other[3] = v4(0x0B00_0001);
    let mut flip = false;
    let mut change = move || {
        flip = !flip;
        let backends = if flip { &other } else { &a };
        m.set_backends(lb.fwmark, backends)
            .expect("known load balancer")
    };
    c.bench_function("set_backends_one_of_10k", |b| {
        b.iter(|| black_box(change()))
    });
    c.bench_function("set_backends_one_of_10k_cpu", |b| {
        b.iter_custom(|iters| cpu_time(iters, &mut change))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
