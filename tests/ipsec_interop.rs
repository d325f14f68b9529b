//! Independent checks of our ESP bytes: another AES-GCM implementation decrypts packets we
//! seal, using only the SA parameters we document (the `ip xfrm state` command: SPI, key ‖ salt,
//! ICV length, ESN flag) and RFC 4303/4106 framing.
//!
//! * `ring` against `aes-gcm` (feature `ring`; always available in `cargo test --all-features`).
//! * Python's `cryptography` package (needs `python3` with `cryptography`; under CI a missing
//!   one is a failure, elsewhere the test reports that it skipped).

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use overlaynet::ipsec::{
    AesGcmBackend, ESP_HEADROOM, InboundSa, Key, OutboundSa, Profile, SaDirection, SaParams,
    XfrmState, sealed_len,
};

fn params(profile: Profile, key_len: usize) -> (SaParams, XfrmState) {
    let key = Key::new(&(0..key_len as u8).collect::<Vec<_>>()).unwrap();
    let (a, b): (IpAddr, IpAddr) = (
        "192.168.1.10".parse().unwrap(),
        "192.168.1.20".parse().unwrap(),
    );
    let p = profile.sa_params(&key, 1, a, b, 0xbf83_6db8);
    let state = XfrmState::new(a, b, SaDirection::Forward, &p);
    (p, state)
}

fn seal<A: overlaynet::ipsec::AeadBackend>(tx: &mut OutboundSa<A>, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; sealed_len(payload.len(), tx.icv_len())];
    buf[ESP_HEADROOM..ESP_HEADROOM + payload.len()].copy_from_slice(payload);
    let n = tx.seal(&mut buf, payload.len(), 17).unwrap();
    buf.truncate(n);
    buf
}

fn payloads() -> Vec<Vec<u8>> {
    [0usize, 1, 2, 3, 50, 1400]
        .iter()
        .map(|&n| (0..n).map(|i| (i * 7) as u8).collect())
        .collect()
}

#[cfg(feature = "ring")]
mod with_ring {
    use super::*;
    use overlaynet::ipsec::RingGcm;

    /// Decrypt with raw `ring` from the documented parameters only.
    fn ring_open(state_cmd: &str, esn: bool, pkt: &[u8]) -> Vec<u8> {
        let words: Vec<&str> = state_cmd.split(' ').collect();
        let aead = words
            .iter()
            .position(|w| *w == "'rfc4106(gcm(aes))'")
            .unwrap();
        assert_eq!(words[aead + 2], "128");
        let hex = &words[aead + 1][2..];
        let kernel_key: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let (key, salt) = kernel_key.split_at(kernel_key.len() - 4);
        let alg = if key.len() == 16 {
            &ring::aead::AES_128_GCM
        } else {
            &ring::aead::AES_256_GCM
        };
        let k = ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(alg, key).unwrap());
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(salt);
        nonce[4..].copy_from_slice(&pkt[8..16]);
        let seq = u64::from_be_bytes(pkt[8..16].try_into().unwrap()); // our IV is the counter
        let mut aad = pkt[..4].to_vec();
        if esn {
            aad.extend_from_slice(&seq.to_be_bytes());
        } else {
            aad.extend_from_slice(&pkt[4..8]);
        }
        let mut body = pkt[16..].to_vec();
        let plain = k
            .open_in_place(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(&aad),
                &mut body,
            )
            .unwrap();
        let pad = plain[plain.len() - 2] as usize;
        assert_eq!(plain[plain.len() - 1], 17);
        plain[..plain.len() - 2 - pad].to_vec()
    }

    #[test]
    fn ring_decrypts_our_hardened_esp_from_documented_parameters() {
        for key_len in [16, 32] {
            let (p, state) = params(Profile::Hardened, key_len);
            let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
            for payload in payloads() {
                let pkt = seal(&mut tx, &payload);
                assert_eq!(ring_open(&state.command_with_key(), true, &pkt), payload);
            }
        }
    }

    #[test]
    fn backends_produce_identical_esp_and_open_each_other() {
        for profile in [Profile::DockerCompatible, Profile::Hardened] {
            for key_len in [16, 32] {
                let (p, _) = params(profile, key_len);
                let mut tx_a = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
                let mut tx_r = OutboundSa::<RingGcm>::new(&p).unwrap();
                let mut rx_a = InboundSa::<AesGcmBackend>::new(&p).unwrap();
                let mut rx_r = InboundSa::<RingGcm>::new(&p).unwrap();
                for payload in payloads() {
                    let from_a = seal(&mut tx_a, &payload);
                    let from_r = seal(&mut tx_r, &payload);
                    assert_eq!(from_a, from_r);
                    assert_eq!(rx_r.open(&mut from_a.clone()).unwrap().inner, &payload[..]);
                    assert_eq!(rx_a.open(&mut from_r.clone()).unwrap().inner, &payload[..]);
                    let mut forged = from_a.clone();
                    let last = forged.len() - 1;
                    forged[last] ^= 1;
                    assert!(rx_r.open(&mut forged).is_err());
                }
            }
        }
    }
}

const PYTHON_CHECK: &str = r#"
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
def open_esp(cmd, pkt):
    return open_words(cmd.split(), pkt)
def open_words(words, pkt):
    kernel_key = bytes.fromhex(words[words.index("'rfc4106(gcm(aes))'") + 1][2:])
    icv = int(words[words.index("'rfc4106(gcm(aes))'") + 2]) // 8
    esn = "esn" in words
    key, salt = kernel_key[:-4], kernel_key[-4:]
    spi, seq_lo, iv = pkt[:4], pkt[4:8], pkt[8:16]
    assert int(words[words.index("spi") + 1], 16) == int.from_bytes(spi, "big")
    seq = int.from_bytes(iv, "big")
    aad = spi + (seq.to_bytes(8, "big") if esn else seq_lo)
    body, tag = pkt[16:-icv], pkt[-icv:]
    d = Cipher(algorithms.AES(key), modes.GCM(salt + iv, tag, min_tag_length=icv)).decryptor()
    d.authenticate_additional_data(aad)
    plain = d.update(body) + d.finalize()
    pad, nh = plain[-2], plain[-1]
    assert nh == 17 and plain[-2 - pad:-2] == bytes(range(1, pad + 1))
    return plain[:-2 - pad].hex()
# stdin: one "<ip xfrm state command>|<packet hex>" per line; stdout: inner packet hex per line
for line in sys.stdin:
    cmd, pkt = line.rstrip("\n").split("|")
    print(open_esp(cmd, bytes.fromhex(pkt)))
"#;

fn python_has_cryptography() -> bool {
    Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn python_cryptography_decrypts_our_esp_both_profiles() {
    if !common::require(
        python_has_cryptography(),
        "python3 with the `cryptography` package",
    ) {
        return;
    }
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let (mut input, mut want) = (String::new(), String::new());
    for profile in [Profile::DockerCompatible, Profile::Hardened] {
        for key_len in [16, 32] {
            let (p, state) = params(profile, key_len);
            let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
            for payload in payloads() {
                let pkt = seal(&mut tx, &payload);
                input.push_str(&format!("{}|{}\n", state.command_with_key(), hex(&pkt)));
                want.push_str(&format!("{}\n", hex(&payload)));
            }
        }
    }
    let mut child = Command::new("python3")
        .args(["-c", PYTHON_CHECK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

/// The fuzz seed corpus was produced by Python's `cryptography` from the documented layout
/// (see `fuzz/fuzz_targets/esp_open.rs` for the SA); our implementation must accept the
/// genuine seeds, which makes them a second, committed independent vector set.
#[test]
fn python_made_seed_packets_open() {
    let key = Key::new(&[0x42; 16]).unwrap();
    let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/esp_open/");
    for (file, profile, inner_len) in [
        ("docker_seq1", Profile::DockerCompatible, 72),
        ("docker_empty", Profile::DockerCompatible, 0),
        ("hardened_seq1", Profile::Hardened, 72),
        ("hardened_odd", Profile::Hardened, 3),
    ] {
        let p = profile.sa_params(&key, 1, a, b, 0x1234_5678);
        let mut rx = InboundSa::<AesGcmBackend>::new(&p).unwrap();
        let mut pkt = std::fs::read(format!("{dir}{file}")).unwrap().split_off(1);
        let opened = rx.open(&mut pkt).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            (opened.inner.len(), opened.next_header),
            (inner_len, 17),
            "{file}"
        );
    }
}

#[test]
fn python_made_gossip_seeds_decrypt() {
    use overlaynet::ipsec::{decrypt_payload, remove_label_header};
    let ring = [
        Key::new(&[0x01; 16]).unwrap(),
        Key::new(&[0x02; 32]).unwrap(),
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/gossip_decrypt/");
    for file in ["v1_key1", "v0_key2", "v1_label"] {
        let data = std::fs::read(format!("{dir}{file}")).unwrap();
        let (label, payload) = remove_label_header(&data).unwrap();
        let plain =
            decrypt_payload(&ring, payload, label).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(plain, b"\x04\x81\xa4Node\xa5node1", "{file}");
    }
}
