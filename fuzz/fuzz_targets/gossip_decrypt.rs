//! Arbitrary bytes as a memberlist gossip packet (optional label header, then the encrypted
//! payload) against a two-key ring. Decryption must never panic, and a payload it accepts must
//! re-encrypt to the same bytes under one of the ring's keys (no forgery is accepted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use overlaynet::ipsec::{EncryptionVersion, Key, decrypt_payload, encrypt_payload_with_nonce, remove_label_header};

fuzz_target!(|data: &[u8]| {
    let ring = [Key::new(&[0x01; 16]).expect("key"), Key::new(&[0x02; 32]).expect("key")];
    let Ok((label, payload)) = remove_label_header(data) else { return };
    if let Ok(plain) = decrypt_payload(&ring, payload, label) {
        let version = if payload[0] == 0 { EncryptionVersion::V0 } else { EncryptionVersion::V1 };
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&payload[1..13]);
        let honest = ring.iter().any(|k| encrypt_payload_with_nonce(version, k, nonce, &plain, label) == payload);
        assert!(honest, "accepted a payload no key holder produced");
    }
});
