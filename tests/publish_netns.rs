//! The mesh rules carry real traffic: in network namespaces, TCP and UDP clients reach two
//! backends through a published port (host DNAT → ingress sandbox load balancing + SNAT →
//! task redirect to the target port) and through a VIP, and both backends answer.
//!
//! Topology, dual-stack (IPv6 mirrors IPv4: 10.77.1.x ↔ fd77::x, 172.31.0.x ↔ fd31::x,
//! 10.88.0.x ↔ fd88::x); every path is checked in both families:
//! ```text
//! client 10.77.1.2 ── 10.77.1.1 host 172.31.0.1 ── 172.31.0.2 sbox br0 10.88.0.2 (+VIP .100)
//!                                                                    ├── b1 10.88.0.11
//!                                                                    ├── b2 10.88.0.12
//!                                                                    └── vipclient 10.88.0.20
//! ```

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};

use common::{Netns, require_root_and_tools, sh};
use overlaynet::publish::Protocol;
use overlaynet::publish::rules::{IngressGateway, LoadBalancer, MeshRules, TaskRedirects};

const SERVER: &str = r#"
import socket, sys, threading
name, port = sys.argv[1].encode(), int(sys.argv[2])
def dual(kind):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    return s
def udp():
    u = dual(socket.SOCK_DGRAM)
    while True:
        _, peer = u.recvfrom(100)
        u.sendto(name, peer)
threading.Thread(target=udp, daemon=True).start()
t = dual(socket.SOCK_STREAM)
t.listen(64)
while True:
    c, _ = t.accept()
    c.sendall(name)
    c.close()
"#;

/// Makes `count` separate connections (TCP) or exchanges from fresh sockets (UDP), each
/// retried while the servers start; prints one answer per line, or FAIL.
const CLIENT: &str = r#"
import socket, sys, time
host, port, proto, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
for _ in range(count):
    answer = "FAIL"
    for _ in range(30):
        try:
            if proto == "tcp":
                s = socket.create_connection((host, port), timeout=2)
                data = s.recv(100)
            else:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.settimeout(1)
                s.sendto(b"?", (host, port))
                data, _ = s.recvfrom(100)
            s.close()
            if data:
                answer = data.decode()
                break
        except OSError:
            time.sleep(0.2)
    print(answer, flush=True)
"#;

/// A process started in a namespace, killed (by its own pid) when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server(ns: &Netns, name: &str, port: u16) -> Background {
    let child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "python3",
            "-c",
            SERVER,
            name,
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn server");
    Background(child)
}

fn answers(
    ns: &Netns,
    host: &str,
    port: u16,
    proto: &str,
    count: usize,
) -> BTreeMap<String, usize> {
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "python3",
            "-c",
            CLIENT,
            host,
            &port.to_string(),
            proto,
        ])
        .arg(count.to_string())
        .output()
        .expect("run client");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        *seen.entry(line.to_owned()).or_insert(0) += 1;
    }
    seen
}

fn apply(ns: &Netns, script: &str) {
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nft");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "nft rejected the rules in {} (does the kernel have nftables NAT: nf_tables, nft_chain_nat, \
         nft_nat, nft_numgen, nft_fib?):\n{script}\n{}",
        ns.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fails loudly (never skips) when the kernel cannot do nftables NAT in the inet family.
fn probe_nft_nat(ns: &Netns) {
    apply(
        ns,
        "table inet overlaynet_probe {\n chain p {\n  type nat hook prerouting priority dstnat;\n  \
         meta nfproto ipv4 tcp dport 1 dnat ip to numgen random mod 1 map { 0 : 127.0.0.1 }\n }\n}\n\
         delete table inet overlaynet_probe\n",
    );
}

fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    sh(&format!(
        "ip link add {a_if} netns {} type veth peer name {b_if} netns {}",
        a.name, b.name
    ));
    a.sh(&format!("ip link set {a_if} up"));
    b.sh(&format!("ip link set {b_if} up"));
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn published_port_and_vip_spread_tcp_and_udp_over_two_backends_dual_stack() {
    if !require_root_and_tools(&["ip", "nft", "python3"]) {
        return;
    }
    let client = Netns::new("pc");
    let host = Netns::new("ph");
    let sbox = Netns::new("ps");
    let b1 = Netns::new("pb1");
    let b2 = Netns::new("pb2");
    let vipclient = Netns::new("pv");
    probe_nft_nat(&host);

    veth(&client, "c0", &host, "h0");
    client.sh("ip addr add 10.77.1.2/24 dev c0 && ip route add default via 10.77.1.1");
    client.sh("ip addr add fd77::2/64 dev c0 nodad && ip -6 route add default via fd77::1");
    host.sh("ip addr add 10.77.1.1/24 dev h0 && ip addr add fd77::1/64 dev h0 nodad");
    veth(&host, "hg", &sbox, "sg");
    host.sh("ip addr add 172.31.0.1/24 dev hg && ip addr add fd31::1/64 dev hg nodad");
    host.sh("sysctl -qw net.ipv4.ip_forward=1 && sysctl -qw net.ipv6.conf.all.forwarding=1");
    host.sh("sysctl -qw net.ipv4.conf.hg.route_localnet=1");
    sbox.sh("ip addr add 172.31.0.2/24 dev sg && ip route add default via 172.31.0.1");
    sbox.sh("ip addr add fd31::2/64 dev sg nodad && ip -6 route add default via fd31::1");
    sbox.sh("ip link add br0 type bridge && ip link set br0 up");
    sbox.sh("ip addr add 10.88.0.2/24 dev br0 && ip addr add 10.88.0.100/32 dev br0");
    sbox.sh("ip addr add fd88::2/64 dev br0 nodad && ip addr add fd88::100/128 dev br0 nodad");
    sbox.sh("sysctl -qw net.ipv4.ip_forward=1 && sysctl -qw net.ipv6.conf.all.forwarding=1");
    sbox.sh("sysctl -qw net.ipv4.conf.all.send_redirects=0");
    sbox.sh("sysctl -qw net.ipv4.conf.br0.send_redirects=0");
    for (ns, port, n) in [(&b1, "p1", 11), (&b2, "p2", 12), (&vipclient, "pv", 20)] {
        veth(ns, "e0", &sbox, port);
        sbox.sh(&format!("ip link set {port} master br0"));
        ns.sh(&format!("ip addr add 10.88.0.{n}/24 dev e0"));
        ns.sh(&format!("ip addr add fd88::{n}/64 dev e0 nodad"));
    }

    // Host: published ports DNAT to the ingress sandbox, in both families.
    let mut host_rules = MeshRules::new();
    host_rules
        .set_gateway(Some(IngressGateway {
            sandbox_v4: Some("172.31.0.2".parse().unwrap()),
            sandbox_v6: Some("fd31::2".parse().unwrap()),
            gwbridge: "hg".into(),
        }))
        .unwrap();
    host_rules.add_ingress_port(Protocol::Tcp, 80).unwrap();
    host_rules.add_ingress_port(Protocol::Udp, 80).unwrap();
    apply(&host, &host_rules.full_load().to_string());

    // Ingress sandbox: load balancer over the two tasks, SNAT towards the overlay. Start
    // with one backend per family and add the second incrementally, as a runtime would.
    let mut sbox_rules = MeshRules::new();
    apply(&sbox, &sbox_rules.full_load().to_string());
    let lb = LoadBalancer {
        fwmark: 256,
        vips: vec![ip("10.88.0.100"), ip("fd88::100")],
        ports: vec![(Protocol::Tcp, 80), (Protocol::Udp, 80)],
        backends: vec![ip("10.88.0.11"), ip("fd88::11")],
    };
    apply(
        &sbox,
        &sbox_rules.upsert_load_balancer(lb).unwrap().to_string(),
    );
    for (subnet, source) in [("10.88.0.0/24", "10.88.0.2"), ("fd88::/64", "fd88::2")] {
        let t = sbox_rules
            .add_snat(subnet.parse().unwrap(), ip(source))
            .unwrap();
        apply(&sbox, &t.to_string());
    }
    let all = [
        ip("10.88.0.11"),
        ip("10.88.0.12"),
        ip("fd88::11"),
        ip("fd88::12"),
    ];
    apply(
        &sbox,
        &sbox_rules.set_backends(256, &all).unwrap().to_string(),
    );

    // Tasks: published 80 → target 8080, where the servers listen.
    let mut servers = Vec::new();
    for (ns, name, n) in [(&b1, "b1", 11), (&b2, "b2", 12)] {
        let mut task_rules = MeshRules::new();
        apply(ns, &task_rules.full_load().to_string());
        let redirects = TaskRedirects {
            addrs: vec![ip(&format!("10.88.0.{n}")), ip(&format!("fd88::{n}"))],
            ports: vec![(Protocol::Tcp, 80, 8080), (Protocol::Udp, 80, 8080)],
        };
        apply(
            ns,
            &task_rules
                .set_task_redirects(redirects)
                .unwrap()
                .to_string(),
        );
        servers.push(server(ns, name, 8080));
    }

    let expected = ["b1", "b2"];
    let paths = [
        ("published port", &client, "10.77.1.1"),
        ("published port", &client, "fd77::1"),
        ("VIP", &vipclient, "10.88.0.100"),
        ("VIP", &vipclient, "fd88::100"),
    ];
    for (who, ns, addr) in paths {
        for proto in ["tcp", "udp"] {
            let seen = answers(ns, addr, 80, proto, 40);
            let names: Vec<&str> = seen.keys().map(String::as_str).collect();
            assert_eq!(
                names, expected,
                "{proto} via {who} {addr}: answers {seen:?}"
            );
        }
    }
    drop(servers);
}
