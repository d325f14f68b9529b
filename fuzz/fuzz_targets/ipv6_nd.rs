//! Any bytes as an IPv6 packet carrying ICMPv6: walk the extension headers, parse neighbour
//! discovery, and check that parsed messages and proxy answers round-trip. No panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use overlaynet::wire::{Icmpv6Packet, Ipv6Packet, MacAddr, NH_ICMPV6, NdiscRepr};

fuzz_target!(|data: &[u8]| {
    let Ok(ip) = Ipv6Packet::new_checked(data) else {
        // Also try the bytes as a bare ICMPv6 message.
        if let Ok(p) = Icmpv6Packet::new_checked(data) {
            let _ = NdiscRepr::parse(&p, "fe80::1".parse().unwrap(), "ff02::1".parse().unwrap());
        }
        return;
    };
    let Ok(ul) = ip.upper_layer() else { return };
    if ul.protocol != NH_ICMPV6 || ul.fragment {
        return;
    }
    let end = 40 + usize::from(ip.payload_len());
    let Ok(icmp) = Icmpv6Packet::new_checked(&data[ul.offset..end]) else { return };
    let _ = (icmp.msg_type(), icmp.code(), icmp.checksum());
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let Ok(nd) = NdiscRepr::parse(&icmp, src, dst) else { return };
    let mut buf = [0u8; 32];
    nd.emit(&mut buf, src, dst).unwrap();
    let len = nd.buffer_len();
    let back = NdiscRepr::parse(&Icmpv6Packet::new_checked(&buf[..len]).unwrap(), src, dst).unwrap();
    assert_eq!(back, nd);
    if let Some(na) = nd.proxy_advert(MacAddr([2, 0x42, 0xac, 0x11, 0, 9])) {
        na.emit(&mut buf, dst, src).unwrap();
        assert!(NdiscRepr::parse(&Icmpv6Packet::new_checked(&buf[..na.buffer_len()]).unwrap(), dst, src).is_ok());
    }
});
