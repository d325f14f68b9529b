//! Scale on the real kernel: program 10,000 remote peers (10,000 neighbour + 10,000 FDB
//! entries on a VXLAN device) into a fresh namespace and remove them again, with this
//! backend's batched netlink and, in the same run, with iproute2's batch mode
//! (`ip -batch` / `bridge -batch`). Needs root; prints why and does nothing otherwise.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use overlaynet::kernel::linux::{LinuxConfig, LinuxKernel};
use overlaynet::kernel::{
    FdbEntry, FdbTable, Kernel, KernelState, Link, LinkKey, LinkKind, NamePattern, Neigh, NeighKey,
    Netns, Scope, VxlanAttrs, diff, reconcile,
};
use overlaynet::wire::MacAddr;

const PEERS: u32 = 10_000;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn peer(i: u32) -> (IpAddr, MacAddr, IpAddr) {
    let ip = Ipv4Addr::from(0x0a00_0000 + 2 + i);
    let o = ip.octets();
    let vtep = Ipv4Addr::from(0xc0a8_0000 + 2 + (i % 200));
    (
        ip.into(),
        MacAddr([0x02, 0x42, o[0], o[1], o[2], o[3]]),
        vtep.into(),
    )
}

fn base(ns: &str) -> KernelState {
    let n = Netns::named(ns);
    let mut st = KernelState::new();
    st.namespaces.insert(ns.into());
    st.links.insert(
        LinkKey::new(n.clone(), "br0"),
        Link::new(LinkKind::Bridge).up(),
    );
    st.links.insert(
        LinkKey::new(n, "vxlan0"),
        Link::new(LinkKind::Vxlan(VxlanAttrs::docker(4097, 4789)))
            .with_mtu(1450)
            .with_master("br0")
            .up(),
    );
    st
}

fn with_peers(ns: &str) -> KernelState {
    let n = Netns::named(ns);
    let mut st = base(ns);
    for i in 0..PEERS {
        let (ip, mac, vtep) = peer(i);
        st.neighs.insert(
            NeighKey::new(n.clone(), "vxlan0", ip),
            Neigh { lladdr: mac },
        );
        st.fdb.insert(FdbEntry {
            netns: n.clone(),
            link: "vxlan0".into(),
            mac,
            dst: Some(vtep),
            table: FdbTable::SelfDev,
        });
    }
    st
}

fn batch(tool: &str, ns: &str, script: &str) {
    let mut child = Command::new(tool)
        .args(["-n", ns, "-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn iproute2");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write batch");
    assert!(
        child.wait().expect("wait").success(),
        "{tool} -batch failed"
    );
}

fn bench(c: &mut Criterion) {
    if !is_root() {
        println!("benches/linux: skipped, needs root (network namespaces)");
        return;
    }
    let ns = format!("1-bench{}", std::process::id() % 100_000);
    // Removes the namespace even if a benchmark panics.
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.0])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    let _cleanup = Cleanup(ns.clone());
    let mut scope = Scope::docker();
    scope.netns = vec![NamePattern::Exact(ns.clone())];
    let mut k = LinuxKernel::new(LinuxConfig::new(scope.clone()));
    let empty = base(&ns);
    let full = with_peers(&ns);
    let r = reconcile(&empty, &scope, &mut k).expect("create namespace");
    assert!(r.is_success(), "{:?}", r.apply);
    let add = diff(&empty, &full, &scope);
    let remove = diff(&full, &empty, &scope);
    assert_eq!(add.len(), 2 * PEERS as usize);

    let mut neigh_add = String::new();
    let mut neigh_del = String::new();
    let mut fdb_add = String::new();
    let mut fdb_del = String::new();
    for i in 0..PEERS {
        let (ip, mac, vtep) = peer(i);
        neigh_add.push_str(&format!(
            "neigh add {ip} lladdr {mac} dev vxlan0 nud permanent\n"
        ));
        neigh_del.push_str(&format!("neigh del {ip} dev vxlan0\n"));
        fdb_add.push_str(&format!(
            "fdb add {mac} dev vxlan0 dst {vtep} self permanent\n"
        ));
        fdb_del.push_str(&format!("fdb del {mac} dev vxlan0 dst {vtep} self\n"));
    }
    let mut g = c.benchmark_group("linux_10k_peers");
    g.sample_size(10);
    // Each iteration times one half (program or remove) and does the other half untimed.
    for timed_add in [true, false] {
        let name = if timed_add { "program" } else { "remove" };
        g.bench_function(format!("overlaynet_{name}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    assert!(k.apply(&add).is_success());
                    let added = t.elapsed();
                    let t = Instant::now();
                    assert!(k.apply(&remove).is_success());
                    total += if timed_add { added } else { t.elapsed() };
                }
                total
            })
        });
        g.bench_function(format!("iproute2_batch_{name}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    batch("ip", &ns, &neigh_add);
                    batch("bridge", &ns, &fdb_add);
                    let added = t.elapsed();
                    let t = Instant::now();
                    batch("bridge", &ns, &fdb_del);
                    batch("ip", &ns, &neigh_del);
                    total += if timed_add { added } else { t.elapsed() };
                }
                total
            })
        });
    }
    g.finish();
    let r = reconcile(&KernelState::new(), &scope, &mut k).expect("cleanup");
    assert!(r.is_success(), "{:?}", r.apply);
}

criterion_group!(benches, bench);
criterion_main!(benches);
