//! Allocation speed of the network model: endpoint addresses in one /8 and VNIs.
//!
//! Run: `cargo bench --bench model -- --warm-up-time 1 --measurement-time 3`.
//! Throughput is per element, so criterion's "time" divided by the element count is the cost
//! of one allocation (or release).

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use overlaynet::model::{EndpointAllocator, IpamConfig, Vni, VniAllocator};

const ENDPOINTS: u64 = 1_000_000;
const VNIS: u64 = 10_000;

fn slash8() -> EndpointAllocator {
    let config = IpamConfig::new("10.0.0.0/8".parse().expect("prefix"));
    EndpointAllocator::new(&config).expect("allocator")
}

fn filled(n: u64) -> (EndpointAllocator, Vec<Ipv4Addr>) {
    let mut a = slash8();
    let ips = (0..n)
        .map(|_| a.allocate().expect("free address"))
        .collect();
    (a, ips)
}

fn endpoints(c: &mut Criterion) {
    let mut group = c.benchmark_group("endpoint_slash8");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ENDPOINTS));
    group.bench_function("allocate_1M", |b| {
        b.iter_batched(
            slash8,
            |mut a| {
                for _ in 0..ENDPOINTS {
                    black_box(a.allocate().expect("free address"));
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("release_1M", |b| {
        b.iter_batched(
            || filled(ENDPOINTS),
            |(mut a, ips)| {
                for ip in &ips {
                    a.release(*ip).expect("allocated");
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    // Steady state: one allocate + release pair with 1M addresses live, the serial cursor
    // moving through a half-full bitmap.
    let mut group = c.benchmark_group("endpoint_slash8_churn");
    let (mut a, mut live) = filled(ENDPOINTS);
    let mut next = 0usize;
    group.throughput(Throughput::Elements(1));
    group.bench_function("alloc_release_pair_1M_live", |b| {
        b.iter(|| {
            let ip = a.allocate().expect("free address");
            let old = std::mem::replace(&mut live[next], ip);
            a.release(old).expect("allocated");
            next = (next + 1) % live.len();
        })
    });
    group.finish();
}

fn vnis(c: &mut Criterion) {
    let mut group = c.benchmark_group("vni");
    group.sample_size(20);
    group.throughput(Throughput::Elements(VNIS));
    group.bench_function("allocate_release_10k", |b| {
        b.iter_batched(
            VniAllocator::new,
            |mut a| {
                let got: Vec<Vni> = (0..VNIS).map(|_| a.allocate().expect("free VNI")).collect();
                for v in got {
                    a.release(v);
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, endpoints, vnis);
criterion_main!(benches);
