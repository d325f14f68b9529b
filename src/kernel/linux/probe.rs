//! The capability probe: what this kernel can do for overlaynet, found by trying it in a
//! scratch namespace that is deleted afterwards, and reported as data.
//!
//! The host engine uses it to refuse `encrypted` networks with a clear error when ESP with
//! `rfc4106(gcm(aes))` is missing, instead of silently passing cleartext (the class of
//! Docker's CVE-2023-28840). This module creates nothing outside its scratch namespace.

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_xfrm::{Alg, AlgAuth, XfrmAttrs, XfrmMessage};
use netlink_sys::protocols::{NETLINK_ROUTE, NETLINK_XFRM};
use serde::{Deserialize, Serialize};

use super::error::LinuxError;
use super::netns::{NetnsDir, run_in};
use super::socket::{Nack, NlSocket};
use super::{link, nft, xfrm};
use crate::kernel::{
    AeadKey, Link, LinkKey, LinkKind, Netns, NftFamily, VxlanAttrs, XfrmDir, XfrmMark, XfrmPolicy,
    XfrmPolicyKey, XfrmProto, XfrmSelector, XfrmState, XfrmStateKey, XfrmTemplate,
};

/// What the kernel supports. Every `false` comes with a line in `notes` saying why
/// (the errno and the kernel's message).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Linux bridges can be created.
    pub bridge: bool,
    /// VXLAN devices can be created.
    pub vxlan: bool,
    /// veth pairs can be created.
    pub veth: bool,
    /// XFRM netlink is there and takes policies.
    pub xfrm_policy: bool,
    /// ESP states can be installed at all (tried with `cbc(aes)` + `hmac(sha256)`).
    pub esp: bool,
    /// ESP states with `rfc4106(gcm(aes))`, Docker's transform, can be installed.
    pub esp_gcm_aes: bool,
    /// nftables works, including a NAT chain.
    pub nft_nat: bool,
    /// IPv6 is enabled in new namespaces.
    pub ipv6: bool,
    /// Why each unsupported feature is missing.
    pub notes: Vec<String>,
}

impl Capabilities {
    /// Whether overlay encryption as Docker does it (ESP, `rfc4106(gcm(aes))`, marked
    /// policies) can work here. When false, `encrypted` networks must be refused.
    pub fn encryption(&self) -> bool {
        self.xfrm_policy && self.esp && self.esp_gcm_aes
    }
}

fn note(notes: &mut Vec<String>, what: &str, r: Result<(), Nack>) -> bool {
    match r {
        Ok(()) => true,
        Err(n) => {
            let err = std::io::Error::from_raw_os_error(n.errno);
            let msg = n.message.map(|m| format!(": {m}")).unwrap_or_default();
            notes.push(format!("{what}: errno {} ({err}){msg}", n.errno));
            false
        }
    }
}

/// Probes the kernel in a scratch namespace `ovlprobe-<pid>` under `dir`, then deletes it.
pub fn probe(dir: &NetnsDir) -> Result<Capabilities, LinuxError> {
    let name = format!("ovlprobe-{}", std::process::id());
    if dir.exists(&name) {
        dir.delete(&name)?;
    }
    dir.create(&name)?;
    let result = probe_in(dir, &name);
    let deleted = dir.delete(&name);
    let caps = result?;
    deleted?;
    Ok(caps)
}

fn probe_in(dir: &NetnsDir, name: &str) -> Result<Capabilities, LinuxError> {
    let file = dir.open(name)?;
    let enter = |source| LinuxError::Netns {
        name: name.into(),
        action: "enter",
        source,
    };
    let (mut rt, mut xs) = run_in(&file, || -> std::io::Result<(NlSocket, NlSocket)> {
        Ok((
            NlSocket::open(NETLINK_ROUTE)?,
            NlSocket::open(NETLINK_XFRM)?,
        ))
    })
    .and_then(|r| r)
    .map_err(enter)?;
    let mut caps = Capabilities::default();
    let notes = &mut caps.notes;
    let create = NLM_F_CREATE | NLM_F_EXCL;

    let bridge = Link::new(LinkKind::Bridge);
    caps.bridge = note(
        notes,
        "bridge",
        rt.request(link::create("pbr0", &bridge, None), create)?,
    );
    let vx = Link::new(LinkKind::Vxlan(VxlanAttrs::docker(0xfffffe, 4789)));
    caps.vxlan = note(
        notes,
        "vxlan",
        rt.request(link::create("pvx0", &vx, None), create)?,
    );
    let ns = Netns::named(name);
    let veth = Link::new(LinkKind::Veth {
        peer: LinkKey::new(ns.clone(), "pveth1"),
    });
    let peer = Link::new(LinkKind::Veth {
        peer: LinkKey::new(ns, "pveth0"),
    });
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    caps.veth = note(
        notes,
        "veth",
        rt.request(
            link::create("pveth0", &veth, Some(("pveth1", &peer, fd))),
            create,
        )?,
    );

    let (a, b) = (
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
    );
    let gcm = XfrmStateKey {
        src: a,
        dst: b,
        spi: 0x1000,
        proto: XfrmProto::Esp,
    };
    let gcm_state = XfrmState {
        reqid: crate::kernel::DOCKER_XFRM_MARK,
        aead_name: "rfc4106(gcm(aes))".into(),
        aead_key: AeadKey::new(vec![0x11; 20]),
        icv_bits: 64,
        replay_window: 0,
        esn: false,
    };
    caps.esp_gcm_aes = note(
        notes,
        "ESP rfc4106(gcm(aes)) state",
        xs.request(xfrm::add_state(&gcm, &gcm_state), create)?,
    );
    let mut cbc = xfrm::add_state(
        &XfrmStateKey {
            spi: 0x1001,
            ..gcm.clone()
        },
        &gcm_state,
    );
    if let XfrmMessage::AddSa(m) = &mut cbc {
        m.nlas.clear();
        let mut enc = [0u8; 64];
        enc[..8].copy_from_slice(b"cbc(aes)");
        let mut auth = [0u8; 64];
        auth[..12].copy_from_slice(b"hmac(sha256)");
        m.nlas.push(XfrmAttrs::EncryptionAlg(Alg {
            alg_name: enc,
            alg_key_len: 128,
            alg_key: vec![1; 16],
        }));
        m.nlas.push(XfrmAttrs::AuthenticationAlgTrunc(AlgAuth {
            alg_name: auth,
            alg_key_len: 256,
            alg_trunc_len: 128,
            alg_key: vec![2; 32],
        }));
    }
    caps.esp = note(notes, "ESP state", xs.request(cbc, create)?);
    let policy_key = XfrmPolicyKey {
        selector: XfrmSelector {
            src: ipnet::IpNet::from(a),
            dst: ipnet::IpNet::from(b),
            proto: Some(17),
            dport: Some(4789),
        },
        dir: XfrmDir::Out,
        mark: Some(XfrmMark {
            value: crate::kernel::DOCKER_XFRM_MARK,
            mask: u32::MAX,
        }),
    };
    let policy = XfrmPolicy {
        templates: vec![XfrmTemplate {
            src: a,
            dst: b,
            proto: XfrmProto::Esp,
            spi: 0x1000,
            reqid: crate::kernel::DOCKER_XFRM_MARK,
        }],
    };
    caps.xfrm_policy = note(
        notes,
        "XFRM policy",
        xs.request(xfrm::put_policy(&policy_key, &policy, false), create)?,
    );

    let nat = "\tchain probe {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tmasquerade\n\t}";
    match nft::set_table(
        Some(&file),
        name,
        NftFamily::Ip,
        crate::kernel::NFT_TABLE,
        nat,
    ) {
        Ok(()) => caps.nft_nat = true,
        Err(e) => notes.push(format!("nftables NAT: {e}")),
    }
    let v6 = run_in(&file, || {
        std::fs::read_to_string("/proc/sys/net/ipv6/conf/lo/disable_ipv6")
            .map(|s| s.trim() == "0")
            .unwrap_or(false)
    })
    .map_err(enter)?;
    caps.ipv6 = v6;
    if !v6 {
        notes.push("IPv6: disabled or not built in".into());
    }
    Ok(caps)
}
