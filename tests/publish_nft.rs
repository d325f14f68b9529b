//! Every ruleset and transaction the mesh generates is accepted by the real `nft` (first
//! `nft -c -f`, then applied), and applying incremental transactions leaves the kernel with
//! exactly the table a full load of the new state gives.

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use common::{Netns, require_root_and_tools};
use overlaynet::publish::Protocol;
use overlaynet::publish::rules::{
    HostPort, IngressGateway, LoadBalancer, MeshRules, TaskRedirects,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Runs `nft <args> -f -` in `ns` with `script` on stdin; returns stdout or panics with stderr.
fn nft(ns: &Netns, args: &[&str], script: &str) -> String {
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "nft"])
        .args(args)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
        "nft {args:?} rejected:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check_and_apply(ns: &Netns, script: &str) {
    if script.is_empty() {
        return;
    }
    nft(ns, &["-c"], script);
    nft(ns, &[], script);
}

/// The table's listing with its top-level blocks (sets, maps, chains) sorted: chains added by
/// an update are listed after older ones, which is no semantic difference.
fn listing(ns: &Netns) -> Vec<String> {
    let text = ns.sh("nft list table inet overlaynet");
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && *l != "}") {
        if line.starts_with('\t') && !line.starts_with("\t\t") && line != "\t}" {
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks.sort();
    blocks
}

/// The listing a fresh namespace shows after a full load of `rules`.
fn reference_listing(rules: &MeshRules, tag: &str) -> Vec<String> {
    let ns = Netns::new(tag);
    check_and_apply(&ns, &rules.full_load().to_string());
    listing(&ns)
}

#[test]
fn generated_rulesets_and_updates_are_accepted_by_nft() {
    if !require_root_and_tools(&["ip", "nft"]) {
        return;
    }
    let ns = Netns::new("nftc");
    let mut rules = MeshRules::new();
    let apply = |t: overlaynet::publish::rules::Transaction, rules: &MeshRules, step: &str| {
        check_and_apply(&ns, &t.to_string());
        assert_eq!(
            listing(&ns),
            reference_listing(rules, "nftr"),
            "after {step}"
        );
    };
    // The empty table loads too.
    apply(rules.full_load(), &rules.clone(), "empty full load");
    let t = rules
        .set_gateway(Some(IngressGateway {
            sandbox_v4: Some("172.18.0.2".parse().unwrap()),
            sandbox_v6: Some("fd18::2".parse().unwrap()),
            gwbridge: "docker_gwbridge".into(),
        }))
        .unwrap();
    apply(t, &rules.clone(), "gateway");
    let t = rules.add_ingress_port(Protocol::Tcp, 8080).unwrap();
    apply(t, &rules.clone(), "ingress port");
    let t = rules.add_ingress_port(Protocol::Sctp, 9).unwrap();
    apply(t, &rules.clone(), "sctp ingress port");
    let host = HostPort {
        protocol: Protocol::Udp,
        host_port: 5353,
        container: ip("fd18::9"),
        target: 53,
    };
    let t = rules.add_host_port(host).unwrap();
    apply(t, &rules.clone(), "host-mode port");
    let lb = LoadBalancer {
        fwmark: 256,
        vips: vec![ip("10.0.0.2"), ip("fd00::2")],
        ports: vec![(Protocol::Tcp, 80), (Protocol::Udp, 80)],
        backends: vec![ip("10.0.0.5"), ip("10.0.0.6"), ip("fd00::5")],
    };
    let t = rules.upsert_load_balancer(lb.clone()).unwrap();
    apply(t, &rules.clone(), "load balancer");
    let t = rules.set_backends(256, &[ip("10.0.0.7")]).unwrap();
    apply(t, &rules.clone(), "backend change");
    let t = rules.set_backends(256, &[]).unwrap();
    apply(t, &rules.clone(), "no backends");
    let t = rules
        .upsert_load_balancer(LoadBalancer {
            ports: vec![(Protocol::Tcp, 81)],
            vips: vec![ip("10.0.0.3")],
            ..lb
        })
        .unwrap();
    apply(t, &rules.clone(), "load balancer update");
    let t = rules
        .add_snat("10.0.0.0/24".parse().unwrap(), ip("10.0.0.4"))
        .unwrap();
    apply(t, &rules.clone(), "snat4");
    let t = rules
        .add_snat("fd00::/64".parse().unwrap(), ip("fd00::4"))
        .unwrap();
    apply(t, &rules.clone(), "snat6");
    let t = rules
        .set_task_redirects(TaskRedirects {
            addrs: vec![ip("10.0.0.5"), ip("fd00::5")],
            ports: vec![
                (Protocol::Tcp, 80, 8080),
                (Protocol::Udp, 80, 8080),
                (Protocol::Sctp, 9, 9),
            ],
        })
        .unwrap();
    apply(t, &rules.clone(), "task redirects");
    let old = rules.clone();
    rules.remove_load_balancer(256);
    rules.remove_snat("10.0.0.0/24".parse().unwrap());
    rules.remove_ingress_port(Protocol::Tcp, 8080);
    rules.remove_host_port(Protocol::Udp, 5353);
    apply(
        rules.transition_from(&old),
        &rules.clone(),
        "bulk removal as one transition",
    );
    // A full load over an existing table replaces it.
    apply(rules.full_load(), &rules.clone(), "full reload");
}
