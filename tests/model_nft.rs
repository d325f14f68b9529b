//! The nftables text rendered from a node's firewall requirements is accepted by `nft -c`
//! (check only: nothing is loaded into the kernel).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use overlaynet::model::{NodeConfig, render_nftables};

fn nft_check(ruleset: &str) -> (bool, String) {
    let mut child = Command::new("nft")
        .args(["-c", "-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nft");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ruleset.as_bytes())
        .expect("write ruleset");
    let out = child.wait_with_output().expect("wait for nft");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn firewall_requirements_render_as_valid_nftables() {
    if !common::require_root_and_tools(&["nft"]) {
        return;
    }
    let node = NodeConfig::builder("n1", "192.168.1.10".parse().expect("ip"))
        .data_path_port(7789)
        .build()
        .expect("node");
    for encrypted in [false, true] {
        let text = render_nftables(&node.firewall_requirements(encrypted));
        let (ok, stderr) = nft_check(&text);
        assert!(ok, "nft -c rejected:\n{text}\n{stderr}");
    }
    // The check is real: a broken ruleset is rejected.
    let (ok, _) = nft_check("table inet overlaynet { chain input { tcp dport 99999 accept } }");
    assert!(!ok, "nft -c accepted an invalid port");
}
