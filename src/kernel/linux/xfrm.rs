//! XFRM netlink messages: transport-mode AEAD states as moby's `programSA` installs them,
//! outbound policies with a mark and one template as `programSP` does, their deletion, and
//! reading state and policy dumps back.
//!
//! Pure message building and parsing: no sockets. netlink-packet-xfrm takes SPIs and
//! selector ports in host byte order and swaps them itself.

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_xfrm::policy::{DelGetMessage as PolicyDelGet, ModifyMessage as PolicyModify};
use netlink_packet_xfrm::state::{
    DelGetMessage as SaDelGet, GetDumpMessage as SaDump, ModifyMessage as SaModify,
};
use netlink_packet_xfrm::{
    Address, AlgAead, IPPROTO_AH, IPPROTO_ESP, Mark, Selector, UserPolicyInfo, UserSaInfo,
    UserTemplate, XFRM_MODE_TRANSPORT, XFRM_POLICY_ALLOW, XFRM_POLICY_FWD, XFRM_POLICY_IN,
    XFRM_POLICY_OUT, XFRM_STATE_ESN, XfrmAttrs, XfrmMessage,
};

use crate::kernel::{
    AeadKey, XfrmDir, XfrmMark, XfrmPolicy, XfrmPolicyKey, XfrmProto, XfrmSelector, XfrmState,
    XfrmStateKey, XfrmTemplate,
};

fn af(ip: &IpAddr) -> u16 {
    match ip {
        IpAddr::V4(_) => libc::AF_INET as u16,
        IpAddr::V6(_) => libc::AF_INET6 as u16,
    }
}

fn proto(p: XfrmProto) -> u8 {
    match p {
        XfrmProto::Esp => IPPROTO_ESP,
        XfrmProto::Ah => IPPROTO_AH,
    }
}

fn dir(d: XfrmDir) -> u8 {
    match d {
        XfrmDir::In => XFRM_POLICY_IN,
        XfrmDir::Out => XFRM_POLICY_OUT,
        XfrmDir::Fwd => XFRM_POLICY_FWD,
    }
}

/// The 64-byte, NUL-padded algorithm name field; longer names are cut (the kernel refuses
/// them as unknown algorithms).
fn alg_name(name: &str) -> [u8; 64] {
    let mut a = [0u8; 64];
    let n = name.len().min(63);
    a[..n].copy_from_slice(&name.as_bytes()[..n]);
    a
}

/// `ip xfrm state add src S dst D proto esp spi SPI reqid R mode transport aead NAME KEY ICV`
/// (`XFRM_MSG_NEWSA`): no selector, infinite lifetimes, no mark.
pub fn add_state(key: &XfrmStateKey, state: &XfrmState) -> XfrmMessage {
    let mut info = UserSaInfo::default();
    info.source(&key.src);
    info.destination(&key.dst);
    info.id.spi = key.spi;
    info.id.proto = proto(key.proto);
    info.family = af(&key.dst);
    info.mode = XFRM_MODE_TRANSPORT;
    info.reqid = state.reqid;
    info.replay_window = u8::try_from(state.replay_window).unwrap_or(u8::MAX);
    if state.esn {
        info.flags |= XFRM_STATE_ESN;
    }
    let key_bytes = state.aead_key.bytes().to_vec();
    let aead = AlgAead {
        alg_name: alg_name(&state.aead_name),
        alg_key_len: (key_bytes.len() * 8) as u32,
        alg_icv_len: state.icv_bits,
        alg_key: key_bytes,
    };
    XfrmMessage::AddSa(SaModify {
        user_sa_info: info,
        nlas: vec![XfrmAttrs::EncryptionAlgAead(aead)],
    })
}

/// `ip xfrm state delete src S dst D proto P spi SPI` (`XFRM_MSG_DELSA`).
pub fn del_state(key: &XfrmStateKey) -> XfrmMessage {
    let mut m = SaDelGet::default();
    m.user_sa_id.destination(&key.dst);
    m.user_sa_id.spi = key.spi;
    m.user_sa_id.family = af(&key.dst);
    m.user_sa_id.proto = proto(key.proto);
    m.nlas.push(XfrmAttrs::SrcAddr(Address::from_ip(&key.src)));
    XfrmMessage::DeleteSa(m)
}

fn selector(s: &XfrmSelector) -> Selector {
    let mut sel = Selector {
        family: af(&s.dst.addr()),
        proto: s.proto.unwrap_or(0),
        ..Selector::default()
    };
    sel.source_prefix(&s.src.addr(), s.src.prefix_len());
    sel.destination_prefix(&s.dst.addr(), s.dst.prefix_len());
    if let Some(port) = s.dport {
        sel.dport = port;
        sel.dport_mask = u16::MAX;
    }
    sel
}

fn mark(m: &XfrmMark) -> XfrmAttrs {
    XfrmAttrs::Mark(Mark {
        value: m.value,
        mask: m.mask,
    })
}

/// `ip xfrm policy add|update ... dir D mark M tmpl ...` (`XFRM_MSG_NEWPOLICY` or
/// `XFRM_MSG_UPDPOLICY`).
pub fn put_policy(key: &XfrmPolicyKey, policy: &XfrmPolicy, update: bool) -> XfrmMessage {
    let info = UserPolicyInfo {
        selector: selector(&key.selector),
        direction: dir(key.dir),
        action: XFRM_POLICY_ALLOW,
        ..UserPolicyInfo::default()
    };
    let templates = policy
        .templates
        .iter()
        .map(|t| {
            let mut u = UserTemplate::default();
            u.source(&t.src);
            u.destination(&t.dst);
            u.protocol(proto(t.proto));
            u.mode(XFRM_MODE_TRANSPORT);
            u.spi(t.spi);
            u.reqid(t.reqid);
            u
        })
        .collect();
    let mut m = PolicyModify {
        user_policy_info: info,
        nlas: vec![XfrmAttrs::Template(templates)],
    };
    if let Some(mk) = &key.mark {
        m.nlas.push(mark(mk));
    }
    if update {
        XfrmMessage::UpdatePolicy(m)
    } else {
        XfrmMessage::AddPolicy(m)
    }
}

/// `ip xfrm policy delete ... dir D mark M` (`XFRM_MSG_DELPOLICY`).
pub fn del_policy(key: &XfrmPolicyKey) -> XfrmMessage {
    let mut m = PolicyDelGet::default();
    m.user_policy_id.selector = selector(&key.selector);
    m.user_policy_id.direction = dir(key.dir);
    if let Some(mk) = &key.mark {
        m.nlas.push(mark(mk));
    }
    XfrmMessage::DeletePolicy(m)
}

/// A dump request for every state.
pub fn dump_states() -> XfrmMessage {
    XfrmMessage::GetDumpSa(SaDump::default())
}

/// A dump request for every policy.
pub fn dump_policies() -> XfrmMessage {
    XfrmMessage::GetPolicy(PolicyDelGet::default())
}

fn ip_of(a: &Address, family: u16) -> IpAddr {
    if family == libc::AF_INET6 as u16 {
        IpAddr::V6(a.to_ipv6())
    } else {
        IpAddr::V4(a.to_ipv4())
    }
}

fn proto_of(p: u8) -> Option<XfrmProto> {
    match p {
        IPPROTO_ESP => Some(XfrmProto::Esp),
        IPPROTO_AH => Some(XfrmProto::Ah),
        _ => None,
    }
}

/// Reads one state of a dump; `None` for non-AEAD or non-IPsec states (not ours to model).
pub fn parse_state(m: &SaModify) -> Option<(XfrmStateKey, XfrmState)> {
    let i = &m.user_sa_info;
    let key = XfrmStateKey {
        src: ip_of(&i.saddr, i.family),
        dst: ip_of(&i.id.daddr, i.family),
        spi: i.id.spi,
        proto: proto_of(i.id.proto)?,
    };
    let aead = m.nlas.iter().find_map(|a| match a {
        XfrmAttrs::EncryptionAlgAead(x) => Some(x),
        _ => None,
    })?;
    let end = aead.alg_name.iter().position(|b| *b == 0).unwrap_or(64);
    let state = XfrmState {
        reqid: i.reqid,
        aead_name: String::from_utf8_lossy(&aead.alg_name[..end]).into_owned(),
        aead_key: AeadKey::new(aead.alg_key.clone()),
        icv_bits: aead.alg_icv_len,
        replay_window: u32::from(i.replay_window),
        esn: i.flags & XFRM_STATE_ESN != 0,
    };
    Some((key, state))
}

/// Reads one policy of a dump; `None` for policies overlaynet cannot express.
pub fn parse_policy(m: &PolicyModify) -> Option<(XfrmPolicyKey, XfrmPolicy)> {
    let p = &m.user_policy_info;
    let s = &p.selector;
    let dir = match p.direction {
        XFRM_POLICY_IN => XfrmDir::In,
        XFRM_POLICY_OUT => XfrmDir::Out,
        XFRM_POLICY_FWD => XfrmDir::Fwd,
        _ => return None,
    };
    let selector = XfrmSelector {
        src: IpNet::new(ip_of(&s.saddr, s.family), s.prefixlen_s).ok()?,
        dst: IpNet::new(ip_of(&s.daddr, s.family), s.prefixlen_d).ok()?,
        proto: (s.proto != 0).then_some(s.proto),
        dport: (s.dport_mask != 0).then_some(s.dport),
    };
    let mut mk = None;
    let mut templates = Vec::new();
    for a in &m.nlas {
        match a {
            XfrmAttrs::Mark(x) => {
                mk = Some(XfrmMark {
                    value: x.value,
                    mask: x.mask,
                })
            }
            XfrmAttrs::Template(ts) => {
                for t in ts {
                    templates.push(XfrmTemplate {
                        src: ip_of(&t.saddr, t.family),
                        dst: ip_of(&t.id.daddr, t.family),
                        proto: proto_of(t.id.proto)?,
                        spi: t.id.spi,
                        reqid: t.reqid,
                    });
                }
            }
            _ => {}
        }
    }
    let key = XfrmPolicyKey {
        selector,
        dir,
        mark: mk,
    };
    Some((key, XfrmPolicy { templates }))
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{NetlinkHeader, NetlinkSerializable};
    use netlink_packet_xfrm::XfrmMessage;

    use super::*;
    use crate::kernel::DOCKER_XFRM_MARK;

    fn round_trip(m: &XfrmMessage) -> XfrmMessage {
        use netlink_packet_core::NetlinkDeserializable;
        let mut buf = vec![0; m.buffer_len()];
        m.serialize(&mut buf);
        let mut h = NetlinkHeader::default();
        h.message_type = m.message_type();
        XfrmMessage::deserialize(&h, &buf).unwrap()
    }

    #[test]
    fn policy_and_state_read_back_as_written() {
        let a: IpAddr = "192.168.1.10".parse().unwrap();
        let b: IpAddr = "192.168.1.20".parse().unwrap();
        let key = XfrmPolicyKey {
            selector: XfrmSelector {
                src: "192.168.1.10/32".parse().unwrap(),
                dst: "192.168.1.20/32".parse().unwrap(),
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
                src: a,
                dst: b,
                proto: XfrmProto::Esp,
                spi: 0xbf836db8,
                reqid: DOCKER_XFRM_MARK,
            }],
        };
        let XfrmMessage::AddPolicy(p) = round_trip(&put_policy(&key, &policy, false)) else {
            panic!("not a policy");
        };
        assert_eq!(parse_policy(&p), Some((key, policy)));

        let skey = XfrmStateKey {
            src: a,
            dst: b,
            spi: 0xbf836db8,
            proto: XfrmProto::Esp,
        };
        let state = XfrmState {
            reqid: DOCKER_XFRM_MARK,
            aead_name: "rfc4106(gcm(aes))".into(),
            aead_key: AeadKey::new(vec![7; 20]),
            icv_bits: 64,
            replay_window: 0,
            esn: false,
        };
        let XfrmMessage::AddSa(s) = round_trip(&add_state(&skey, &state)) else {
            panic!("not a state");
        };
        assert_eq!(parse_state(&s), Some((skey, state)));
    }
}
