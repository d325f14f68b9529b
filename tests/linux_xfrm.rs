//! XFRM on the real kernel. This kernel refuses ESP states, so: policies are added, observed,
//! updated and removed for real; SA (and policy) requests are compared byte for byte with
//! what `ip xfrm` sends for the same object (captured with strace); and the capability probe
//! agrees with `ip xfrm state add` about `rfc4106(gcm(aes))`, so encrypted networks are
//! refused where the kernel cannot encrypt.

mod common;

use std::net::IpAddr;
use std::process::Command;

use common::{Netns, require_root_and_tools, sh};
use overlaynet::kernel::linux::{LinuxConfig, LinuxKernel, NetnsDir, probe, xfrm_request_bytes};
use overlaynet::kernel::{
    AeadKey, DOCKER_XFRM_MARK, Kernel, KernelState, Op, Scope, XfrmDir, XfrmMark, XfrmPolicy,
    XfrmPolicyKey, XfrmProto, XfrmSelector, XfrmState, XfrmStateKey, XfrmTemplate, reconcile,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// moby `programSP` for local → remote with the forward SPI.
fn docker_policy(local: &str, remote: &str, spi: u32) -> (XfrmPolicyKey, XfrmPolicy) {
    let key = XfrmPolicyKey {
        selector: XfrmSelector {
            src: format!("{local}/32").parse().unwrap(),
            dst: format!("{remote}/32").parse().unwrap(),
            proto: Some(17),
            dport: Some(4789),
        },
        dir: XfrmDir::Out,
        mark: Some(XfrmMark {
            value: DOCKER_XFRM_MARK,
            mask: u32::MAX,
        }),
    };
    let policy = XfrmPolicy {
        templates: vec![XfrmTemplate {
            src: ip(local),
            dst: ip(remote),
            proto: XfrmProto::Esp,
            spi,
            reqid: DOCKER_XFRM_MARK,
        }],
    };
    (key, policy)
}

/// A scope owning no namespace: only XFRM objects with Docker's mark.
fn xfrm_scope() -> Scope {
    let mut s = Scope::docker();
    s.netns.clear();
    s.host_links.clear();
    s
}

#[test]
fn policies_are_added_observed_updated_and_removed() {
    if !require_root_and_tools(&["ip"]) {
        return;
    }
    let h = Netns::new("xpol");
    h.sh("ip xfrm policy add src 10.9.9.1/32 dst 10.9.9.2/32 dir out");
    let scope = xfrm_scope();
    let mut k = LinuxKernel::new(LinuxConfig::new(scope.clone()).with_host_netns(h.name.clone()));
    let mut want = KernelState::new();
    for (remote, spi) in [
        ("192.168.1.20", 0xbf836db8u32),
        ("192.168.1.30", 0x1234_5678),
    ] {
        let (key, p) = docker_policy("192.168.1.10", remote, spi);
        want.xfrm_policies.insert(key, p);
    }
    let r = reconcile(&want, &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}", r.apply);
    assert_eq!(r.plan.len(), 2);
    let seen = k.observe().unwrap();
    assert_eq!(seen.xfrm_policies, want.xfrm_policies);
    let shown = h.sh("ip xfrm policy show");
    assert!(shown.contains("mark 0xd0c4e3/0xffffffff"), "{shown}");
    assert!(
        shown.contains("spi 0xbf836db8 reqid 13681891 mode transport"),
        "{shown}"
    );
    assert!(reconcile(&want, &scope, &mut k).unwrap().was_in_sync());

    // Key rotation: the template moves to a new SPI in place.
    let (key, p) = docker_policy("192.168.1.10", "192.168.1.20", 0x0a0b0c0d);
    want.xfrm_policies.insert(key, p);
    let r = reconcile(&want, &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}", r.apply);
    assert!(
        matches!(r.plan.ops[..], [Op::UpdateXfrmPolicy { .. }]),
        "{}",
        r.plan
    );
    assert!(h.sh("ip xfrm policy show").contains("spi 0x0a0b0c0d"));

    let r = reconcile(&KernelState::new(), &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}", r.apply);
    assert!(k.observe().unwrap().xfrm_policies.is_empty());
    let shown = h.sh("ip xfrm policy show");
    assert!(!shown.contains("0xd0c4e3"), "{shown}");
    assert!(
        shown.contains("src 10.9.9.1/32 dst 10.9.9.2/32"),
        "foreign policy lost: {shown}"
    );
}

/// The bytes of the first netlink request `ip ARGS` sends, from strace's hex dump.
fn captured_request(ns: &Netns, args: &str) -> Vec<u8> {
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name, "sh", "-c"])
        .arg(format!(
            "strace -f -e trace=sendmsg,sendto -e write=all -xx -s 4096 ip {args} 2>&1 >/dev/null; true"
        ))
        .output()
        .expect("strace");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut bytes = Vec::new();
    let mut started = false;
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("| ") else {
            if started {
                break;
            }
            continue;
        };
        started = true;
        let hex = &rest[7..rest.len().min(7 + 49)];
        bytes.extend(
            hex.split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).unwrap()),
        );
    }
    assert!(bytes.len() >= 16, "no request captured:\n{text}");
    let len = u32::from_ne_bytes(bytes[..4].try_into().unwrap()) as usize;
    bytes.truncate(len);
    bytes
}

/// Same type and payload; the flags differ only by moby's (vishvananda/netlink's)
/// `NLM_F_CREATE|NLM_F_EXCL`, which XFRM ignores; the sequence number is ip's clock.
fn assert_same_request(ours: &[u8], ip: &[u8]) {
    assert_eq!(ours.len(), ip.len(), "length");
    assert_eq!(ours[4..6], ip[4..6], "message type");
    let flags = |b: &[u8]| u16::from_ne_bytes([b[6], b[7]]);
    assert_eq!(flags(ip), 0x5, "ip sends NLM_F_REQUEST|NLM_F_ACK");
    assert_eq!(flags(ours) & !0x600, 0x5);
    assert_eq!(ours[16..], ip[16..], "payload");
}

#[test]
fn sa_and_policy_requests_match_ip_xfrm_byte_for_byte() {
    if !require_root_and_tools(&["ip", "strace"]) {
        return;
    }
    let ns = Netns::new("xcap");
    // §12.1 example 1: forward SA 192.168.1.10 → 192.168.1.20, key K ‖ SPI.
    let spi = 0xbf836db8u32;
    let mut key = (0u8..16).map(|i| i * 0x11).collect::<Vec<u8>>();
    key.extend(spi.to_be_bytes());
    let sa_key = XfrmStateKey {
        src: ip("192.168.1.10"),
        dst: ip("192.168.1.20"),
        spi,
        proto: XfrmProto::Esp,
    };
    let state = XfrmState {
        reqid: DOCKER_XFRM_MARK,
        aead_name: "rfc4106(gcm(aes))".into(),
        aead_key: AeadKey::new(key.clone()),
        icv_bits: 64,
        replay_window: 0,
        esn: false,
    };
    let ours = xfrm_request_bytes(&Op::AddXfrmState {
        key: sa_key,
        state: state.clone(),
    })
    .unwrap();
    let theirs = captured_request(
        &ns,
        &format!(
            "xfrm state add src 192.168.1.10 dst 192.168.1.20 proto esp spi 0x{spi:08x} reqid {DOCKER_XFRM_MARK} mode transport aead 'rfc4106(gcm(aes))' {} 64",
            AeadKey::new(key).to_hex()
        ),
    );
    assert_same_request(&ours, &theirs);

    let (pkey, policy) = docker_policy("192.168.1.10", "192.168.1.20", spi);
    let ours = xfrm_request_bytes(&Op::AddXfrmPolicy { key: pkey, policy }).unwrap();
    let theirs = captured_request(
        &ns,
        &format!(
            "xfrm policy add src 192.168.1.10/32 dst 192.168.1.20/32 proto udp dport 4789 dir out mark 0xd0c4e3 mask 0xffffffff tmpl src 192.168.1.10 dst 192.168.1.20 proto esp spi 0x{spi:08x} reqid {DOCKER_XFRM_MARK} mode transport"
        ),
    );
    assert_same_request(&ours, &theirs);
}

#[test]
fn probe_agrees_with_ip_xfrm_about_esp_gcm_aes() {
    if !require_root_and_tools(&["ip", "nft"]) {
        return;
    }
    let caps = probe(&NetnsDir::default()).expect("probe");
    assert!(caps.bridge && caps.vxlan && caps.veth, "{caps:?}");
    assert!(caps.xfrm_policy && caps.nft_nat && caps.ipv6, "{caps:?}");
    let ns = Netns::new("xprb");
    let accepted = Command::new("ip")
        .args(["netns", "exec", &ns.name, "ip", "xfrm", "state", "add"])
        .args([
            "src",
            "192.0.2.1",
            "dst",
            "192.0.2.2",
            "proto",
            "esp",
            "spi",
            "0x100",
        ])
        .args(["mode", "transport", "aead", "rfc4106(gcm(aes))"])
        .args(["0x0000000000000000000000000000000000000100", "64"])
        .status()
        .unwrap()
        .success();
    assert_eq!(caps.esp_gcm_aes, accepted, "{caps:?}");
    if !accepted {
        // This machine: no ESP, no gcm(aes). Encrypted networks must be refused.
        assert!(!caps.encryption());
        assert!(
            caps.notes
                .iter()
                .any(|n| n.starts_with("ESP rfc4106(gcm(aes)) state: errno")),
            "{:?}",
            caps.notes
        );
    }
    assert!(!sh("ip netns list").contains(&format!("ovlprobe-{}", std::process::id())));
}
