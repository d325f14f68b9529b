//! The kernel accepts our outbound XFRM policy exactly as `Display` prints it, and shows it
//! back with Docker's selector, mark and template. (SAs cannot be installed on kernels without
//! `gcm(aes)`; their text form is checked by unit tests and the cryptographic cross-checks.)

mod common;

use std::net::IpAddr;

use common::Netns;
use overlaynet::ipsec::{
    Endpoints, Key, Keyring, Profile, RemoteSas, SUBSYSTEM_IPSEC, SwarmKey, XfrmChange,
};

#[test]
fn kernel_accepts_docker_policy_and_rotation_update() {
    if !common::require_root_and_tools(&["ip"]) {
        return;
    }
    let ns = Netns::new("ipsp");
    let local: IpAddr = "192.168.1.10".parse().unwrap();
    let ep = Endpoints {
        bind: local,
        advertise: local,
        data_port: 4789,
    };
    let remote: IpAddr = "192.168.1.20".parse().unwrap();
    let keys: Vec<SwarmKey> = (1..=3)
        .map(|t| SwarmKey {
            subsystem: SUBSYSTEM_IPSEC.into(),
            key: Key::new(&[t as u8; 16]).unwrap(),
            lamport_time: t,
        })
        .collect();
    let ring = Keyring::from_swarm_keys(&keys, SUBSYSTEM_IPSEC).unwrap();
    let sas = RemoteSas::steady(Profile::DockerCompatible, &ep, remote, &ring);
    ns.sh(&sas.policy.to_string());
    let shown = ns.sh("ip xfrm policy show");
    for want in [
        "src 192.168.1.10/32 dst 192.168.1.20/32 proto udp dport 4789",
        "dir out",
        "mark 0xd0c4e3/0xffffffff",
        "tmpl src 192.168.1.10 dst 192.168.1.20",
        &format!(
            "proto esp spi {:#010x} reqid 13681891 mode transport",
            sas.transmit.id.spi
        ),
    ] {
        assert!(shown.contains(want), "missing {want:?} in:\n{shown}");
    }
    // The rotation's policy update replaces the template in place (one policy remains).
    let mut next = keys.clone();
    next.remove(0);
    next.push(SwarmKey {
        subsystem: SUBSYSTEM_IPSEC.into(),
        key: Key::new(&[4; 16]).unwrap(),
        lamport_time: 4,
    });
    let update = ring.update_to(&next, SUBSYSTEM_IPSEC).unwrap();
    let t = overlaynet::ipsec::plan_rotation(Profile::DockerCompatible, &ring, &update).unwrap();
    let changes = overlaynet::ipsec::rotation_changes(Profile::DockerCompatible, &ep, remote, &t);
    let Some(XfrmChange::UpdatePolicy(p)) = changes
        .iter()
        .find(|c| matches!(c, XfrmChange::UpdatePolicy(_)))
    else {
        panic!("rotation has a policy update");
    };
    ns.sh(&p.to_string());
    let shown = ns.sh("ip xfrm policy show");
    assert_eq!(shown.matches("dir out").count(), 1, "{shown}");
    assert!(
        shown.contains(&format!("spi {:#010x}", p.tmpl.spi)),
        "{shown}"
    );
    ns.sh(&XfrmChange::DeletePolicy(p.id).to_string());
    assert_eq!(ns.sh("ip xfrm policy show").trim(), "");
}
