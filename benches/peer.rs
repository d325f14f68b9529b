//! Peer-table benchmarks: insert (growing from empty, and into a table made with
//! `with_capacity`; one record at a time and as one bulk call), lookup by IP (one key at a
//! time and in bursts through `get_many`), lookup by MAC, remove and a churn mix (50%
//! lookups, 25% adds, 25% removes) at 10k, 100k and 1M entries, each next to a straightforward
//! `HashMap<(Ipv4Addr, [u8; 6]), Entry>` baseline; plus the hasher choice (foldhash vs std
//! SipHash) and memory per entry, measured with a counting allocator.
//!
//! `cargo bench --bench peer -- --warm-up-time 1 --measurement-time 3`
//! Under `cargo test --benches` (criterion's smoke mode) only the 10k size runs.

use std::alloc::System;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use ipnet::{IpNet, Ipv4Net};
use overlaynet::peer::{PeerRecord, PeerTable, PeerTableConfig};
use overlaynet::wire::MacAddr;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Endpoint ids are drawn from a pool (the table does not require them to be unique).
const EID_POOL: usize = 4096;
/// Remote hosts.
const HOSTS: u32 = 1000;
/// Keys per `get_many` call in the burst lookup row.
const BURST: usize = 32;
/// Key indices live in 10.0.0.0/8.
const KEY_SPACE: u64 = 1 << 24;

struct Keys {
    eids: Vec<String>,
}

impl Keys {
    fn new() -> Self {
        let eids = (0..EID_POOL as u64)
            .map(|i| {
                let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                format!("{x:016x}{:016x}{:016x}{:016x}", x ^ 1, x ^ 2, x ^ 3)
            })
            .collect();
        Keys { eids }
    }
    fn eid(&self, i: u64) -> &str {
        &self.eids[i as usize % EID_POOL]
    }
}

fn ipv4(i: u64) -> Ipv4Addr {
    let i = (i % KEY_SPACE) as u32;
    Ipv4Addr::from(0x0a00_0000 | i)
}
fn ip_net(i: u64) -> IpNet {
    IpNet::V4(Ipv4Net::new(ipv4(i), 8).unwrap())
}
fn mac(i: u64) -> MacAddr {
    MacAddr::from_ipv4(ipv4(i))
}
fn vtep(i: u64) -> Ipv4Addr {
    let h = (i % u64::from(HOSTS)) as u32 + 1;
    Ipv4Addr::new(172, 16, (h >> 8) as u8, h as u8)
}

fn config() -> PeerTableConfig {
    PeerTableConfig {
        network: "bench".into(),
        subnets: vec!["10.0.0.0/8".parse().unwrap()],
        local_vtep: IpAddr::from([172, 31, 0, 1]),
    }
}

fn empty_table() -> PeerTable {
    PeerTable::new(config()).unwrap()
}

fn presized_table(n: u64) -> PeerTable {
    PeerTable::with_capacity(config(), n as usize).unwrap()
}

/// Uses the `_into` forms with one reused delta buffer, as a hot caller would.
fn fill(t: &mut PeerTable, keys: &Keys, range: std::ops::Range<u64>) {
    let mut deltas = Vec::new();
    for i in range {
        deltas.clear();
        let v = IpAddr::V4(vtep(i));
        t.add_remote_into(keys.eid(i), ip_net(i), mac(i), v, &mut deltas)
            .unwrap();
    }
}

/// The straightforward alternative: one std HashMap keyed by (IP, MAC).
#[derive(Clone)]
#[allow(dead_code)]
struct BaselineEntry {
    eid: String,
    vtep: Ipv4Addr,
    prefix: u8,
}
type Baseline = HashMap<(Ipv4Addr, [u8; 6]), BaselineEntry>;

fn baseline_insert(b: &mut Baseline, keys: &Keys, i: u64) {
    let entry = BaselineEntry {
        eid: keys.eid(i).to_owned(),
        vtep: vtep(i),
        prefix: 8,
    };
    b.insert((ipv4(i), mac(i).0), entry);
}

/// xorshift: cheap, deterministic picks of present keys.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn shuffled(n: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).collect();
    let mut rng = Rng(0x1234_5678);
    for i in (1..v.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

fn net_bytes(region: &Region<'_, System>) -> isize {
    let s = region.change();
    // stats_alloc already folds reallocations into these two totals.
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

/// Bytes per entry held by whatever `build` returns, as the counting allocator sees them.
fn bytes_per_entry<T>(n: u64, build: impl FnOnce() -> T) -> f64 {
    let region = Region::new(GLOBAL);
    let built = build();
    let bytes = net_bytes(&region) as f64 / n as f64;
    drop(black_box(built));
    bytes
}

fn report_memory(sizes: &[u64], keys: &Keys) {
    println!("memory per entry (counting allocator, {HOSTS} remote hosts, 64-hex endpoint ids):");
    println!("  grown one insert at a time / made with with_capacity(n) first");
    for &n in sizes {
        let grown = bytes_per_entry(n, || {
            let mut t = empty_table();
            fill(&mut t, keys, 0..n);
            t
        });
        let presized = bytes_per_entry(n, || {
            let mut t = presized_table(n);
            fill(&mut t, keys, 0..n);
            t
        });
        let base_grown = bytes_per_entry(n, || {
            let mut b = Baseline::new();
            (0..n).for_each(|i| baseline_insert(&mut b, keys, i));
            b
        });
        let base_presized = bytes_per_entry(n, || {
            let mut b = Baseline::with_capacity(n as usize);
            (0..n).for_each(|i| baseline_insert(&mut b, keys, i));
            b
        });
        println!(
            "  {n:>8} entries: PeerTable {grown:6.1} / {presized:6.1} B/entry, \
             baseline HashMap {base_grown:6.1} / {base_presized:6.1} B/entry"
        );
    }
}

fn bench_size(c: &mut Criterion, keys: &Keys, n: u64) {
    let mut g = c.benchmark_group(format!("peer/{n}"));
    g.sample_size(10);
    let order = shuffled(n);
    let order_for_lookups = order.clone();
    let mut full = empty_table();
    fill(&mut full, keys, 0..n);
    let mut full_base = Baseline::new();
    for i in 0..n {
        baseline_insert(&mut full_base, keys, i);
    }

    g.throughput(Throughput::Elements(n));
    g.bench_function("insert/PeerTable", |b| {
        b.iter_batched(
            empty_table,
            |mut t| {
                fill(&mut t, keys, 0..n);
                t
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("insert/baseline", |b| {
        b.iter_batched(
            Baseline::new,
            |mut m| {
                for i in 0..n {
                    baseline_insert(&mut m, keys, i);
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    // The same inserts into tables created (outside the timing) with room for all of them.
    g.bench_function("insert_presized/PeerTable", |b| {
        b.iter_batched(
            || presized_table(n),
            |mut t| {
                fill(&mut t, keys, 0..n);
                t
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("insert_presized/baseline", |b| {
        b.iter_batched(
            || Baseline::with_capacity(n as usize),
            |mut m| {
                for i in 0..n {
                    baseline_insert(&mut m, keys, i);
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    // The same records in one add_remotes_into call (a bulk sync on join), into an empty
    // table and into one made with with_capacity(n); the delta buffer is reused.
    let records: Vec<(&str, PeerRecord)> = (0..n)
        .map(|i| {
            let record = PeerRecord {
                endpoint_ip: ip_net(i),
                endpoint_mac: mac(i),
                tunnel_endpoint_ip: IpAddr::V4(vtep(i)),
            };
            (keys.eid(i), record)
        })
        .collect();
    let mut bulk_deltas = Vec::new();
    g.bench_function("insert_bulk/PeerTable", |b| {
        b.iter_batched(
            empty_table,
            |mut t| {
                bulk_deltas.clear();
                t.add_remotes_into(&records, &mut bulk_deltas).unwrap();
                t
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("insert_bulk_presized/PeerTable", |b| {
        b.iter_batched(
            || presized_table(n),
            |mut t| {
                bulk_deltas.clear();
                t.add_remotes_into(&records, &mut bulk_deltas).unwrap();
                t
            },
            BatchSize::LargeInput,
        )
    });
    drop((records, bulk_deltas));
    g.bench_function("remove/PeerTable", |b| {
        b.iter_batched(
            || full.clone(),
            |mut t| {
                let mut deltas = Vec::new();
                for &i in &order {
                    deltas.clear();
                    let v = IpAddr::V4(vtep(i));
                    t.remove_remote_into(keys.eid(i), ip_net(i), mac(i), v, &mut deltas)
                        .unwrap();
                }
                t
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("remove/baseline", |b| {
        b.iter_batched(
            || full_base.clone(),
            |mut m| {
                for &i in &order {
                    black_box(m.remove(&(ipv4(i), mac(i).0)));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });

    // Lookups walk a random permutation of all keys, so caches help as little as in life.
    // They are independent of each other, as real lookups are, so the CPU may overlap their
    // cache misses. The cursor wraps with a compare, not `%`: a division on the loop-carried
    // dependency would be benchmark overhead.
    g.throughput(Throughput::Elements(1));
    let mut cursor = 0usize;
    let mut next_key = move || {
        let i = order_for_lookups[cursor];
        cursor += 1;
        if cursor == order_for_lookups.len() {
            cursor = 0;
        }
        i
    };
    g.bench_function("lookup_ip/PeerTable", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let i = next_key();
                black_box(full.get(IpAddr::V4(ipv4(i))).map(|e| e.mac()));
            }
            start.elapsed()
        })
    });
    // The same keys through `get_many`, 32 at a time (a receive burst); time per key.
    let mut answers = Vec::with_capacity(BURST);
    g.bench_function("lookup_ip_burst/PeerTable", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let mut left = iters;
            while left > 0 {
                let len = left.min(BURST as u64) as usize;
                let mut ips = [IpAddr::V4(Ipv4Addr::UNSPECIFIED); BURST];
                for ip in &mut ips[..len] {
                    *ip = IpAddr::V4(ipv4(next_key()));
                }
                full.get_many(&ips[..len], &mut answers);
                for answer in &answers {
                    black_box(answer.map(|e| e.mac()));
                }
                left -= len as u64;
            }
            start.elapsed()
        })
    });
    drop(answers);
    g.bench_function("lookup_ip/baseline", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let i = next_key();
                black_box(full_base.get(&(ipv4(i), mac(i).0)).map(|e| e.vtep));
            }
            start.elapsed()
        })
    });
    // What any lookup that takes one cache miss costs here: hash the address as the IP index
    // does, then read one 16-byte bucket of an array as large as that index (written, so its
    // pages are real). The gap from this to lookup_ip/PeerTable is the table's own work; the
    // gap from this to the target is the memory system's.
    let mut buckets = 8u64;
    while n * 4 > buckets * 3 {
        buckets *= 2;
    }
    let floor: Vec<[u64; 2]> = (0..buckets).map(|i| [i, !i]).collect();
    let hasher = foldhash::quality::RandomState::default();
    g.bench_function("lookup_ip/one_miss_floor", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let i = next_key();
                let hash = hasher.hash_one(ipv4(i).to_bits());
                let home = ((hash >> 32) * buckets) >> 32;
                black_box(floor[home as usize][0]);
            }
            start.elapsed()
        })
    });
    drop(floor);
    g.bench_function("lookup_mac/PeerTable", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let i = next_key();
                black_box(full.get_by_mac(mac(i)).map(|e| e.ip()));
            }
            start.elapsed()
        })
    });

    // Churn at steady size n: per 4 ops, 2 lookups of present keys, 1 add, 1 remove (FIFO).
    let mut table = full.clone();
    let mut base = full_base.clone();
    g.bench_function("churn/PeerTable", |b| {
        let (mut lo, mut hi, mut rng) = (0u64, n, Rng(42));
        let mut deltas = Vec::new();
        b.iter_custom(|iters| {
            let start = Instant::now();
            for op in 0..iters {
                match op % 4 {
                    1 => {
                        deltas.clear();
                        let v = IpAddr::V4(vtep(hi));
                        table
                            .add_remote_into(keys.eid(hi), ip_net(hi), mac(hi), v, &mut deltas)
                            .unwrap();
                        hi += 1;
                    }
                    3 => {
                        deltas.clear();
                        let v = IpAddr::V4(vtep(lo));
                        table
                            .remove_remote_into(keys.eid(lo), ip_net(lo), mac(lo), v, &mut deltas)
                            .unwrap();
                        lo += 1;
                    }
                    _ => {
                        let i = lo + rng.next() % (hi - lo);
                        black_box(table.get(IpAddr::V4(ipv4(i))).map(|e| e.mac()));
                    }
                }
            }
            start.elapsed()
        })
    });
    g.bench_function("churn/baseline", |b| {
        let (mut lo, mut hi, mut rng) = (0u64, n, Rng(42));
        b.iter_custom(|iters| {
            let start = Instant::now();
            for op in 0..iters {
                match op % 4 {
                    1 => {
                        baseline_insert(&mut base, keys, hi);
                        hi += 1;
                    }
                    3 => {
                        black_box(base.remove(&(ipv4(lo), mac(lo).0)));
                        lo += 1;
                    }
                    _ => {
                        let i = lo + rng.next() % (hi - lo);
                        black_box(base.get(&(ipv4(i), mac(i).0)).map(|e| e.vtep));
                    }
                }
            }
            start.elapsed()
        })
    });
    g.finish();
}

/// The IP index hashes an IPv4 address as its 32 bits with seeded foldhash `quality`; this
/// compares that with foldhash `fast` and std's SipHash on the `IpAddr` itself.
fn bench_hashers(c: &mut Criterion) {
    let mut g = c.benchmark_group("peer/hash_ip");
    let fast = foldhash::fast::RandomState::default();
    let quality = foldhash::quality::RandomState::default();
    let sip = std::collections::hash_map::RandomState::new();
    let ips: Vec<IpAddr> = (0..1024).map(|i| IpAddr::V4(ipv4(i))).collect();
    let bits: Vec<u32> = (0..1024).map(|i| ipv4(i).to_bits()).collect();
    g.throughput(Throughput::Elements(ips.len() as u64));
    g.bench_function(BenchmarkId::new("foldhash_quality_u32", 1024), |b| {
        b.iter(|| {
            bits.iter()
                .fold(0u64, |acc, ip| acc ^ quality.hash_one(black_box(ip)))
        })
    });
    g.bench_function(BenchmarkId::new("foldhash", 1024), |b| {
        b.iter(|| {
            ips.iter()
                .fold(0u64, |acc, ip| acc ^ fast.hash_one(black_box(ip)))
        })
    });
    g.bench_function(BenchmarkId::new("siphash", 1024), |b| {
        b.iter(|| {
            ips.iter()
                .fold(0u64, |acc, ip| acc ^ sip.hash_one(black_box(ip)))
        })
    });
    g.finish();
}

fn main() {
    // criterion passes --bench under `cargo bench`; without it this is the smoke run.
    let full_run = std::env::args().any(|a| a == "--bench");
    let sizes: &[u64] = if full_run {
        &[10_000, 100_000, 1_000_000]
    } else {
        &[10_000]
    };
    if !full_run {
        println!("smoke run (cargo test --benches): 10k entries only");
    }
    let keys = Keys::new();
    report_memory(sizes, &keys);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for &n in sizes {
        bench_size(&mut c, &keys, n);
    }
    bench_hashers(&mut c);
    c.final_summary();
}
