//! The mesh rules carry real traffic: in network namespaces, TCP and UDP clients reach two
//! backends through a published port (host DNAT → ingress sandbox load balancing + SNAT →
//! task redirect to the target port) and through a VIP, and both backends answer.
//!
//! Topology (all IPv4; addresses private to the test):
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
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    while True:
        _, peer = u.recvfrom(100)
        u.sendto(name, peer)
threading.Thread(target=udp, daemon=True).start()
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", port))
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
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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
fn published_port_and_vip_spread_tcp_and_udp_over_two_backends() {
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
    host.sh("ip addr add 10.77.1.1/24 dev h0");
    veth(&host, "hg", &sbox, "sg");
    host.sh("ip addr add 172.31.0.1/24 dev hg && sysctl -qw net.ipv4.ip_forward=1");
    host.sh("sysctl -qw net.ipv4.conf.hg.route_localnet=1");
    sbox.sh("ip addr add 172.31.0.2/24 dev sg && ip route add default via 172.31.0.1");
    sbox.sh("ip link add br0 type bridge && ip link set br0 up");
    sbox.sh("ip addr add 10.88.0.2/24 dev br0 && ip addr add 10.88.0.100/32 dev br0");
    sbox.sh("sysctl -qw net.ipv4.ip_forward=1 && sysctl -qw net.ipv4.conf.all.send_redirects=0");
    sbox.sh("sysctl -qw net.ipv4.conf.br0.send_redirects=0");
    for (ns, port, addr) in [
        (&b1, "p1", "10.88.0.11"),
        (&b2, "p2", "10.88.0.12"),
        (&vipclient, "pv", "10.88.0.20"),
    ] {
        veth(ns, "e0", &sbox, port);
        sbox.sh(&format!("ip link set {port} master br0"));
        ns.sh(&format!("ip addr add {addr}/24 dev e0"));
    }

    // Host: published ports DNAT to the ingress sandbox.
    let mut host_rules = MeshRules::new();
    host_rules
        .set_gateway(Some(IngressGateway {
            sandbox_v4: Some("172.31.0.2".parse().unwrap()),
            sandbox_v6: None,
            gwbridge: "hg".into(),
        }))
        .unwrap();
    host_rules.add_ingress_port(Protocol::Tcp, 80).unwrap();
    host_rules.add_ingress_port(Protocol::Udp, 80).unwrap();
    apply(&host, &host_rules.full_load().to_string());

    // Ingress sandbox: load balancer over the two tasks, SNAT towards the overlay. Start
    // with one backend and add the second incrementally, as a runtime would.
    let mut sbox_rules = MeshRules::new();
    apply(&sbox, &sbox_rules.full_load().to_string());
    let lb = LoadBalancer {
        fwmark: 256,
        vips: vec![ip("10.88.0.100")],
        ports: vec![(Protocol::Tcp, 80), (Protocol::Udp, 80)],
        backends: vec![ip("10.88.0.11")],
    };
    apply(
        &sbox,
        &sbox_rules.upsert_load_balancer(lb).unwrap().to_string(),
    );
    apply(
        &sbox,
        &sbox_rules
            .add_snat("10.88.0.0/24".parse().unwrap(), ip("10.88.0.2"))
            .unwrap()
            .to_string(),
    );
    apply(
        &sbox,
        &sbox_rules
            .set_backends(256, &[ip("10.88.0.11"), ip("10.88.0.12")])
            .unwrap()
            .to_string(),
    );

    // Tasks: published 80 → target 8080, where the servers listen.
    let mut servers = Vec::new();
    for (ns, name, addr) in [(&b1, "b1", "10.88.0.11"), (&b2, "b2", "10.88.0.12")] {
        let mut task_rules = MeshRules::new();
        apply(ns, &task_rules.full_load().to_string());
        let redirects = TaskRedirects {
            addrs: vec![ip(addr)],
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
    for (who, ns, addr) in [
        ("published port", &client, "10.77.1.1"),
        ("VIP", &vipclient, "10.88.0.100"),
    ] {
        for proto in ["tcp", "udp"] {
            let seen = answers(ns, addr, 80, proto, 40);
            let names: Vec<&str> = seen.keys().map(String::as_str).collect();
            assert_eq!(names, expected, "{proto} via {who}: answers {seen:?}");
        }
    }
    drop(servers);
}
