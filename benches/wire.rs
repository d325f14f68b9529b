//! Wire-format hot paths, with the competing crates measured in the same run:
//! VXLAN header parse/emit (ours vs `pnet_packet`), IPv4+UDP header parse (ours vs
//! `etherparse`), and our full in-place IPv4 encap and decap of a 1400-byte frame.
//!
//! Run: `cargo bench --bench wire -- --warm-up-time 1 --measurement-time 3`
//!
//! Every routine passes its inputs and results through `std::hint::black_box` and returns
//! `()`. criterion 0.5 (without its `real_blackbox` feature) hides a routine's return value
//! with a volatile read, which reads byte-aligned values such as `IpAddr`, `Ipv4Addr` or
//! `[u8; 4]` one byte at a time: about 45 single-byte loads per decap result, half of what
//! the decap row measured before this was changed.

use criterion::{Criterion, criterion_group, criterion_main};
use overlaynet::wire::*;
use std::hint::black_box;
use std::net::IpAddr;

const FRAME_LEN: usize = 1400;

fn inner_frame() -> Vec<u8> {
    let mut f = vec![0u8; FRAME_LEN];
    f[0..6].copy_from_slice(&[0x02, 0x42, 0x0a, 0x00, 0x01, 0x06]);
    f[6..12].copy_from_slice(&[0x02, 0x42, 0x0a, 0x00, 0x01, 0x05]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((FRAME_LEN - 14) as u16).to_be_bytes());
    f[22] = 64;
    f[23] = 6;
    f[26..30].copy_from_slice(&[10, 0, 1, 5]);
    f[30..34].copy_from_slice(&[10, 0, 1, 6]);
    f[34..38].copy_from_slice(&[0xc3, 0x50, 0x00, 0x50]);
    f
}

fn encap() -> VxlanEncap {
    let src: IpAddr = "192.168.1.10".parse().unwrap();
    let dst: IpAddr = "192.168.1.20".parse().unwrap();
    VxlanEncap::new(src, dst, Vni::new(4097).unwrap()).unwrap()
}

fn vxlan_header(c: &mut Criterion) {
    let hdr = [0x08u8, 0, 0, 0, 0x00, 0x10, 0x01, 0];
    let mut g = c.benchmark_group("vxlan_header");
    g.bench_function("parse/overlaynet", |b| {
        b.iter(|| {
            let p = VxlanPacket::new_checked(black_box(&hdr[..])).unwrap();
            black_box(VxlanRepr::parse(&p, VxlanExtMode::Plain).unwrap().vni);
        })
    });
    g.bench_function("parse/pnet_packet", |b| {
        b.iter(|| {
            let p = pnet_packet::vxlan::VxlanPacket::new(black_box(&hdr[..])).unwrap();
            assert!(p.get_flags() & 0x08 != 0);
            black_box(p.get_vni());
        })
    });
    let repr = VxlanRepr {
        vni: Vni::new(4097).unwrap(),
        ext: VxlanExt::None,
    };
    let mut out = [0u8; 8];
    g.bench_function("emit/overlaynet", |b| {
        b.iter(|| {
            black_box(&repr).emit(black_box(&mut out[..])).unwrap();
        })
    });
    g.bench_function("emit/pnet_packet", |b| {
        b.iter(|| {
            let mut p =
                pnet_packet::vxlan::MutableVxlanPacket::new(black_box(&mut out[..])).unwrap();
            p.set_flags(0x08);
            p.set_reserved1(0);
            p.set_vni(black_box(4097));
            p.set_reserved2(0);
        })
    });
    g.finish();
}

fn ipv4_udp_parse(c: &mut Criterion) {
    let e = encap();
    let frame = inner_frame();
    let mut buf = vec![0u8; IPV4_OVERHEAD + FRAME_LEN];
    buf[IPV4_OVERHEAD..].copy_from_slice(&frame);
    let pkt = e
        .encap_in_place(&mut buf, IPV4_OVERHEAD, FRAME_LEN)
        .unwrap()
        .to_vec();
    let mut g = c.benchmark_group("ipv4_udp_parse");
    g.bench_function("overlaynet/views", |b| {
        b.iter(|| {
            let ip = Ipv4Packet::new_checked(black_box(&pkt[..])).unwrap();
            let udp = UdpPacket::new_checked(ip.payload_slice()).unwrap();
            black_box((
                ip.src_addr(),
                ip.dst_addr(),
                ip.ttl(),
                udp.src_port(),
                udp.dst_port(),
                udp.payload().len(),
            ));
        })
    });
    g.bench_function("overlaynet/repr_with_ip_checksum", |b| {
        b.iter(|| {
            let ip = Ipv4Packet::new_checked(black_box(&pkt[..])).unwrap();
            let r = Ipv4Repr::parse(&ip).unwrap();
            let udp = UdpPacket::new_checked(ip.payload_slice()).unwrap();
            black_box((
                r.src_addr,
                r.dst_addr,
                r.ttl,
                udp.src_port(),
                udp.dst_port(),
                udp.payload().len(),
            ));
        })
    });
    g.bench_function("etherparse/slices", |b| {
        b.iter(|| {
            let ip = etherparse::Ipv4Slice::from_slice(black_box(&pkt[..])).unwrap();
            let h = ip.header();
            let udp = etherparse::UdpSlice::from_slice(ip.payload().payload).unwrap();
            black_box((
                h.source_addr(),
                h.destination_addr(),
                h.ttl(),
                udp.source_port(),
                udp.destination_port(),
                udp.payload().len(),
            ));
        })
    });
    g.finish();
}

fn encap_decap(c: &mut Criterion) {
    let e = encap();
    let frame = inner_frame();
    let mut buf = vec![0u8; IPV4_OVERHEAD + FRAME_LEN];
    buf[IPV4_OVERHEAD..].copy_from_slice(&frame);
    let mut g = c.benchmark_group("vxlan_ipv4_1400");
    g.bench_function("encap_in_place", |b| {
        b.iter(|| {
            black_box(
                e.encap_in_place(black_box(&mut buf[..]), IPV4_OVERHEAD, FRAME_LEN)
                    .unwrap()
                    .len(),
            );
        })
    });
    let pkt = e
        .encap_in_place(&mut buf, IPV4_OVERHEAD, FRAME_LEN)
        .unwrap()
        .to_vec();
    let d = Decapsulator::default();
    g.bench_function("decap", |b| {
        // Every field is consumed, so no field's computation can be optimised away.
        b.iter(|| {
            black_box(consume(d.decap(black_box(&pkt[..])).unwrap()));
        })
    });
    let e_csum = e.clone().with_udp_checksum(true);
    g.bench_function("encap_in_place_udp_checksum", |b| {
        b.iter(|| {
            black_box(
                e_csum
                    .encap_in_place(black_box(&mut buf[..]), IPV4_OVERHEAD, FRAME_LEN)
                    .unwrap()
                    .len(),
            );
        })
    });
    let pkt_csum = e_csum
        .encap_in_place(&mut buf, IPV4_OVERHEAD, FRAME_LEN)
        .unwrap()
        .to_vec();
    g.bench_function("decap_udp_checksum", |b| {
        b.iter(|| {
            black_box(consume(d.decap(black_box(&pkt_csum[..])).unwrap()));
        })
    });
    g.finish();
}

/// What a receive loop reads from a decapsulated packet.
#[inline(always)]
fn consume(d: Decapsulated<'_>) -> (IpAddr, IpAddr, u16, u8, Vni, usize) {
    (
        d.src(),
        d.dst(),
        d.src_port,
        d.ttl,
        d.vxlan.vni,
        d.frame.len(),
    )
}

criterion_group!(benches, vxlan_header, ipv4_udp_parse, encap_decap);
criterion_main!(benches);
