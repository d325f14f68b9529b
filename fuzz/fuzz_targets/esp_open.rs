//! Arbitrary bytes against fixed SAs (first byte: 0 = Docker-compatible, 1 = hardened). Opening
//! must never panic, and anything accepted must be byte-for-byte what an honest sender with the
//! SA's documented parameters would have produced (so no forgery is ever accepted).
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use overlaynet::ipsec::{AeadBackend, AesGcmBackend, InboundSa, Key, Profile, SaParams};

fn params(profile: Profile) -> SaParams {
    let key = Key::new(&[0x42; 16]).expect("16-byte key");
    let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    profile.sa_params(&key, 1, a, b, 0x1234_5678)
}

/// Rebuild the packet an honest sender would emit for what `open` returned.
fn honest_packet(p: &SaParams, seq: u64, inner: &[u8], pad: usize, next_header: u8) -> Vec<u8> {
    let mut pkt = Vec::new();
    pkt.extend_from_slice(&p.spi.to_be_bytes());
    pkt.extend_from_slice(&(seq as u32).to_be_bytes());
    pkt.extend_from_slice(&seq.to_be_bytes());
    pkt.extend_from_slice(inner);
    pkt.extend((1..=pad).map(|i| i as u8));
    pkt.extend_from_slice(&[pad as u8, next_header]);
    let mut aad = p.spi.to_be_bytes().to_vec();
    if p.esn {
        aad.extend_from_slice(&seq.to_be_bytes());
    } else {
        aad.extend_from_slice(&(seq as u32).to_be_bytes());
    }
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&p.key.salt());
    nonce[4..].copy_from_slice(&seq.to_be_bytes());
    let aead = AesGcmBackend::new(p.key.key(), p.icv_len).expect("valid SA");
    let mut icv = vec![0u8; p.icv_len];
    aead.seal(&nonce, &aad, &mut pkt[16..], &mut icv);
    pkt.extend_from_slice(&icv);
    pkt
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, packet)) = data.split_first() else { return };
    let profile = if which & 1 == 0 { Profile::DockerCompatible } else { Profile::Hardened };
    let p = params(profile);
    let mut sa = InboundSa::<AesGcmBackend>::new(&p).expect("valid SA");
    let mut buf = packet.to_vec();
    let len = buf.len();
    if let Ok(opened) = sa.open(&mut buf) {
        let pad = len - 16 - p.icv_len - 2 - opened.inner.len();
        let honest = honest_packet(&p, opened.sequence, opened.inner, pad, opened.next_header);
        assert_eq!(honest, packet, "accepted a packet no honest sender produced");
    } else {
        assert_eq!(sa.counters().total(), 1, "every rejection is counted once");
    }
});
