//! parse → emit → parse must give the same repr, for every layer, on any bytes. The input is
//! read as an Ethernet frame and each layer found is round-tripped; the frame is then
//! encapsulated (IPv4 and IPv6 underlay) and decapsulated back to the identical bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use overlaynet::wire::*;

fn ipv4(data: &[u8]) {
    let Ok(p) = Ipv4Packet::new_checked(data) else { return };
    let _ = (p.tos(), p.ident(), p.is_fragment(), p.options(), p.payload());
    let Ok(r) = Ipv4Repr::parse(&p) else { return };
    let mut buf = vec![0u8; r.buffer_len() + r.payload_len];
    r.emit(&mut buf).unwrap();
    buf[r.buffer_len()..].copy_from_slice(p.payload());
    assert_eq!(Ipv4Repr::parse(&Ipv4Packet::new_checked(&buf[..]).unwrap()).unwrap(), r);
    if r.protocol == PROTO_UDP && !p.is_fragment() {
        udp(p.payload(), PseudoHeader::V4 { src: r.src_addr, dst: r.dst_addr });
    }
}

fn ipv6(data: &[u8]) {
    let Ok(p) = Ipv6Packet::new_checked(data) else { return };
    let Ok(r) = Ipv6Repr::parse(&p) else { return };
    let mut buf = [0u8; IPV6_HEADER_LEN];
    r.emit(&mut buf).unwrap();
    assert_eq!(&buf[..], &data[..IPV6_HEADER_LEN]);
    if let Ok(ul) = p.upper_layer() {
        let end = IPV6_HEADER_LEN + r.payload_len;
        if ul.protocol == PROTO_UDP && !ul.fragment {
            udp(&data[ul.offset..end], PseudoHeader::V6 { src: r.src_addr, dst: r.dst_addr });
        }
    }
}

fn udp(data: &[u8], pseudo: PseudoHeader) {
    let Ok(p) = UdpPacket::new_checked(data) else { return };
    let Ok(r) = UdpRepr::parse(&p, &pseudo, ZeroChecksumPolicy { allow_v6: true }) else { return };
    let mut buf = vec![0u8; r.buffer_len() + r.payload_len];
    buf[UDP_HEADER_LEN..].copy_from_slice(p.payload());
    r.emit(&mut buf, Some(&pseudo)).unwrap();
    let again = UdpPacket::new_checked(&buf[..]).unwrap();
    assert_eq!(UdpRepr::parse(&again, &pseudo, ZeroChecksumPolicy { allow_v6: false }).unwrap(), r);
    if let Ok(vx) = VxlanPacket::new_checked(p.payload()) {
        if let Ok(v) = VxlanRepr::parse(&vx, VxlanExtMode::Gbp) {
            let b = v.to_bytes().unwrap();
            assert_eq!(VxlanRepr::parse(&VxlanPacket::new_checked(&b[..]).unwrap(), VxlanExtMode::Gbp).unwrap(), v);
        }
    }
}

fn encap_decap(frame: &[u8]) {
    if frame.len() < ETHERNET_HEADER_LEN || frame.len() > 9000 {
        return;
    }
    let vni = Vni::new(4096).unwrap();
    for (src, dst) in [("192.0.2.1", "192.0.2.2"), ("2001:db8::1", "2001:db8::2")] {
        let e = VxlanEncap::new(src.parse().unwrap(), dst.parse().unwrap(), vni).unwrap().with_udp_checksum(true);
        let mut buf = vec![0u8; IPV6_OVERHEAD + frame.len()];
        buf[IPV6_OVERHEAD..].copy_from_slice(frame);
        let pkt = e.encap_in_place(&mut buf, IPV6_OVERHEAD, frame.len()).unwrap();
        let out = Decapsulator::default().decap(pkt).unwrap();
        assert_eq!(out.frame, frame);
        assert_eq!(out.vxlan.vni, vni);
    }
}

fuzz_target!(|data: &[u8]| {
    encap_decap(data);
    let Ok(f) = EthernetFrame::new_checked(data) else { return };
    let Ok(eth) = EthernetRepr::parse(&f) else { return };
    let mut hdr = [0u8; 18];
    if eth.emit(&mut hdr).is_ok() {
        let n = eth.buffer_len();
        assert_eq!(EthernetRepr::parse(&EthernetFrame::new_checked(&hdr[..n]).unwrap()).unwrap(), eth);
    }
    match eth.ethertype {
        EtherType::IPV4 => ipv4(f.payload()),
        EtherType::IPV6 => ipv6(f.payload()),
        EtherType::ARP => {
            if let Ok(a) = ArpPacket::new_checked(f.payload()) {
                if let Ok(r) = ArpRepr::parse(&a) {
                    let mut b = [0u8; ARP_LEN];
                    r.emit(&mut b).unwrap();
                    assert_eq!(ArpRepr::parse(&ArpPacket::new_checked(&b[..]).unwrap()).unwrap(), r);
                }
            }
        }
        _ => {}
    }
});
