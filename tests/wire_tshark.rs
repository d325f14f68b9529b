//! Wireshark's dissectors as a second opinion: packets we encapsulate (IPv4 and IPv6
//! underlay, with and without GBP, GPE, VLAN-tagged inner frames, ARP, inner IPv4/IPv6
//! TCP/UDP) are written to a pcap file and `tshark` must decode every field exactly as we
//! wrote it and report no malformed packet, no bad checksum and no expert warning.

mod common;

use overlaynet::wire::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::Duration;

const SRC_MAC: MacAddr = MacAddr([0x02, 0x42, 0x0a, 0x00, 0x01, 0x05]);
const DST_MAC: MacAddr = MacAddr([0x02, 0x42, 0x0a, 0x00, 0x01, 0x06]);

/// Inner transport: (protocol, src port, dst port).
#[derive(Clone, Copy)]
enum L4 {
    Tcp(u16, u16),
    Udp(u16, u16),
}

fn transport(l4: L4, pseudo: &PseudoHeader) -> Vec<u8> {
    match l4 {
        L4::Udp(s, d) => {
            let mut b = vec![0u8; 8 + 12];
            b[8..].copy_from_slice(b"overlaynet!\n");
            UdpRepr {
                src_port: s,
                dst_port: d,
                payload_len: 12,
            }
            .emit(&mut b, Some(pseudo))
            .unwrap();
            b
        }
        L4::Tcp(s, d) => {
            // A SYN with no options; checksum over the pseudo-header like UDP's.
            let mut b = vec![0u8; 20];
            b[0..2].copy_from_slice(&s.to_be_bytes());
            b[2..4].copy_from_slice(&d.to_be_bytes());
            b[4..8].copy_from_slice(&0x0102_0304u32.to_be_bytes());
            b[12] = 5 << 4;
            b[13] = 0x02;
            b[14..16].copy_from_slice(&64240u16.to_be_bytes());
            let sum = checksum::accumulate(pseudo.sum(PROTO_TCP, b.len()), &b);
            b[16..18].copy_from_slice(&(!checksum::fold(sum)).to_be_bytes());
            b
        }
    }
}

fn ethernet(vlan: Option<VlanTag>, ethertype: EtherType, payload: &[u8]) -> Vec<u8> {
    let eth = EthernetRepr {
        src_addr: SRC_MAC,
        dst_addr: DST_MAC,
        vlan,
        ethertype,
    };
    let mut f = vec![0u8; eth.buffer_len()];
    eth.emit(&mut f).unwrap();
    f.extend_from_slice(payload);
    f
}

fn inner_ipv4(vlan: Option<VlanTag>, src: Ipv4Addr, dst: Ipv4Addr, l4: L4) -> Vec<u8> {
    let proto = match l4 {
        L4::Tcp(..) => PROTO_TCP,
        L4::Udp(..) => PROTO_UDP,
    };
    let t = transport(l4, &PseudoHeader::V4 { src, dst });
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        protocol: proto,
        payload_len: t.len(),
        ttl: 64,
        tos: 0,
        ident: 0x1234,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
        options: &[],
    };
    let mut p = vec![0u8; ip.buffer_len()];
    ip.emit(&mut p).unwrap();
    p.extend_from_slice(&t);
    ethernet(vlan, EtherType::IPV4, &p)
}

fn inner_ipv6(src: Ipv6Addr, dst: Ipv6Addr, l4: L4) -> Vec<u8> {
    let proto = match l4 {
        L4::Tcp(..) => PROTO_TCP,
        L4::Udp(..) => PROTO_UDP,
    };
    let t = transport(l4, &PseudoHeader::V6 { src, dst });
    let ip = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: proto,
        payload_len: t.len(),
        hop_limit: 64,
        traffic_class: 0,
        flow_label: 0x5_4321,
    };
    let mut p = vec![0u8; 40];
    ip.emit(&mut p).unwrap();
    p.extend_from_slice(&t);
    ethernet(None, EtherType::IPV6, &p)
}

fn inner_arp() -> Vec<u8> {
    let arp = ArpRepr {
        operation: ArpOperation::Request,
        sender_mac: SRC_MAC,
        sender_ip: Ipv4Addr::new(10, 0, 1, 5),
        target_mac: MacAddr([0; 6]),
        target_ip: Ipv4Addr::new(10, 0, 1, 6),
    };
    let mut p = [0u8; ARP_LEN];
    arp.emit(&mut p).unwrap();
    ethernet(None, EtherType::ARP, &p)
}

struct Case {
    encap: VxlanEncap,
    frame: Vec<u8>,
    /// Expected tshark output for the fields in `FIELDS`, `|`-separated; booleans print as 0/1,
    /// repeated fields (outer, inner) comma-separated; SPORT is our flow-hashed source port.
    want: String,
}

const FIELDS: &[&str] = &[
    "vxlan.vni",
    "vxlan.flag_g",
    "vxlan.flag_d",
    "vxlan.flag_a",
    "vxlan.gbp",
    "vxlan.next_proto",
    "eth.src",
    "eth.dst",
    "vlan.id",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "tcp.srcport",
    "tcp.dstport",
    "arp.src.proto_ipv4",
    "arp.dst.proto_ipv4",
];

fn cases() -> Vec<Case> {
    let v4 = |s: &str, d: &str| (s.parse::<IpAddr>().unwrap(), d.parse::<IpAddr>().unwrap());
    let (s4, d4) = v4("192.168.1.10", "192.168.1.20");
    let (s6, d6) = v4("2001:db8::10", "2001:db8::20");
    let vni = |n| Vni::new(n).unwrap();
    let gbp = VxlanExt::Gbp(Gbp {
        dont_learn: true,
        policy_applied: false,
        policy_id: 0x0abc,
    });
    let (i4s, i4d) = (Ipv4Addr::new(10, 0, 1, 5), Ipv4Addr::new(10, 0, 1, 6));
    let (i6s, i6d): (Ipv6Addr, Ipv6Addr) =
        ("fd00:1::5".parse().unwrap(), "fd00:1::6".parse().unwrap());
    let macs = format!("{SRC_MAC}|{DST_MAC}");
    let e4 = |n| VxlanEncap::new(s4, d4, vni(n)).unwrap();
    let e6 = |n| VxlanEncap::new(s6, d6, vni(n)).unwrap();
    let mut out = vec![
        Case {
            encap: e4(4097),
            frame: inner_arp(),
            want: format!(
                "4097|0|0|0|0||{macs}||192.168.1.10|192.168.1.20|||SPORT|4789|||10.0.1.5|10.0.1.6"
            ),
        },
        Case {
            encap: e4(4098).with_ext(gbp).unwrap().with_udp_checksum(true),
            frame: inner_ipv4(None, i4s, i4d, L4::Tcp(40000, 80)),
            want: format!(
                "4098|1|1|0|2748||{macs}||192.168.1.10,10.0.1.5|192.168.1.20,10.0.1.6|||SPORT|4789|40000|80||"
            ),
        },
        Case {
            encap: e4(16_777_215).with_df(true),
            frame: inner_ipv4(
                Some(VlanTag {
                    pcp: 3,
                    dei: false,
                    vid: 100,
                }),
                i4s,
                i4d,
                L4::Udp(34567, 45678),
            ),
            want: format!(
                "16777215|0|0|0|0||{macs}|100|192.168.1.10,10.0.1.5|192.168.1.20,10.0.1.6|||SPORT,34567|4789,45678||||"
            ),
        },
        Case {
            encap: e6(42),
            frame: inner_ipv6(i6s, i6d, L4::Udp(6000, 7000)),
            want: format!(
                "42|0|0|0|0||{macs}||||2001:db8::10,fd00:1::5|2001:db8::20,fd00:1::6|SPORT,6000|4789,7000||||"
            ),
        },
        Case {
            encap: e6(43).with_ext(gbp).unwrap(),
            frame: inner_ipv6(i6s, i6d, L4::Tcp(40001, 443)),
            want: format!(
                "43|1|1|0|2748||{macs}||||2001:db8::10,fd00:1::5|2001:db8::20,fd00:1::6|SPORT|4789|40001|443||"
            ),
        },
    ];
    // VXLAN-GPE carrying Ethernet, on the GPE port Wireshark knows (4790).
    let gpe = VxlanExt::Gpe(Gpe {
        version: 0,
        oam: false,
        next_protocol: Some(GpeProtocol::ETHERNET),
    });
    out.push(Case {
        encap: e4(77).with_ext(gpe).unwrap().with_dst_port(4790),
        frame: inner_ipv4(None, i4s, i4d, L4::Udp(23456, 34569)),
        want: format!("77|||||3|{macs}||192.168.1.10,10.0.1.5|192.168.1.20,10.0.1.6|||SPORT,23456|4790,34569||||"),
    });
    out
}

fn tshark(pcap: &str, extra: &[&str]) -> String {
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-n",
        "-r",
        pcap,
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
    ]);
    cmd.args(extra);
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tshark_decodes_what_we_encapsulate() {
    if !common::require(common::has_tool("tshark"), "the `tshark` tool") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ovn-wire-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("encap.pcap");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = PcapWriter::new(file, LinkType::Raw).unwrap();
    let cases = cases();
    let mut wants = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let h = c.encap.overhead();
        let mut buf = vec![0u8; h];
        buf.extend_from_slice(&c.frame);
        let sport = c.encap.src_port(&c.frame);
        let pkt = c.encap.encap_in_place(&mut buf, h, c.frame.len()).unwrap();
        // Our own decap agrees before Wireshark is asked.
        let d = Decapsulator {
            port: c.encap.dst_port(),
            ext_mode: match c.encap.vxlan().ext {
                VxlanExt::Gbp(_) => VxlanExtMode::Gbp,
                VxlanExt::Gpe(_) => VxlanExtMode::Gpe,
                VxlanExt::None => VxlanExtMode::Plain,
            },
            ..Decapsulator::default()
        };
        let out = d.decap(pkt).unwrap();
        assert_eq!(out.frame, &c.frame[..]);
        assert_eq!(out.vxlan, c.encap.vxlan());
        w.write(Duration::from_secs(1_700_000_000 + i as u64), pkt)
            .unwrap();
        wants.push(c.want.replace("SPORT", &sport.to_string()));
    }
    drop(w.into_inner());
    let path = path.to_str().unwrap();

    let mut args = vec!["-T", "fields", "-E", "separator=|"];
    for f in FIELDS {
        args.push("-e");
        args.push(f);
    }
    let got = tshark(path, &args);
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(
        got.len(),
        wants.len(),
        "tshark saw {} packets:\n{}",
        got.len(),
        got.join("\n")
    );
    for (i, (g, w)) in got.iter().zip(&wants).enumerate() {
        assert_eq!(
            *g,
            w.as_str(),
            "packet {} decoded differently (fields {})",
            i + 1,
            FIELDS.join("|")
        );
    }

    // Checksums were validated and found good, and no dissector complained.
    let statuses = tshark(
        path,
        &[
            "-T",
            "fields",
            "-e",
            "ip.checksum.status",
            "-e",
            "udp.checksum.status",
            "-e",
            "tcp.checksum.status",
        ],
    );
    // Wireshark's checksum status: 0 bad, 1 good, 2 unverified, 3 not present (a zero UDP
    // checksum over IPv4). Every IPv4 header and every transport checksum we wrote must be
    // good; an outer UDP checksum may be absent.
    let mut good = 0;
    for line in statuses.lines() {
        for status in line.split(['\t', ',']).filter(|s| !s.is_empty()) {
            assert!(
                status == "1" || status == "3",
                "checksum status {status} in {line:?}:\n{statuses}"
            );
            good += usize::from(status == "1");
        }
    }
    assert!(
        good >= 2 * wants.len(),
        "too few checksums were verified:\n{statuses}"
    );
    let complaints = tshark(
        path,
        &["-Y", "_ws.malformed || _ws.expert.severity >= warning"],
    );
    assert!(
        complaints.trim().is_empty(),
        "tshark reported malformed packets or warnings:\n{complaints}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
