//! Any bytes as an ARP packet: no panic; a parsed packet re-emits to the same bytes, and a
//! proxy reply of a request is a reply that parses back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use overlaynet::wire::{ARP_LEN, ArpOperation, ArpPacket, ArpRepr, MacAddr};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = ArpPacket::new_checked(data) else { return };
    let _ = (p.operation(), p.sender_hardware_addr(), p.sender_protocol_addr(), p.target_hardware_addr(), p.target_protocol_addr());
    let Ok(r) = ArpRepr::parse(&p) else { return };
    let mut out = [0u8; ARP_LEN];
    r.emit(&mut out).unwrap();
    assert_eq!(&out[..], &data[..ARP_LEN]);
    if let Some(reply) = r.proxy_reply(MacAddr([2, 0x42, 10, 0, 0, 9])) {
        reply.emit(&mut out).unwrap();
        let back = ArpRepr::parse(&ArpPacket::new_checked(&out[..]).unwrap()).unwrap();
        assert_eq!(back.operation, ArpOperation::Reply);
        assert_eq!(back.target_ip, r.sender_ip);
    }
});
