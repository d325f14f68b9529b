//! NetworkDB gossip encryption in hashicorp/memberlist's format (security.go, label.go), which
//! Docker's NetworkDB uses: `[version][12-byte nonce][AES-GCM ciphertext ‖ 16-byte tag]`,
//! sealed with the keyring's primary key, opened by trying every key; version 0 PKCS#7-pads the
//! plaintext to 16 bytes first. The optional label is the AAD and, on UDP, travels in a
//! `[244][len][label]` header. Randomness is injectable (`_with_nonce`); the plain variant uses
//! the operating system's generator. Not a hot path: these functions allocate their output.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::aead::consts::U12;
use aes_gcm::aes::{Aes128, Aes256};
use aes_gcm::{AesGcm, KeyInit, Nonce, Tag};

use super::{GossipError, IpsecError, Key};

const VERSION_SIZE: usize = 1;
const NONCE_SIZE: usize = 12;
const TAG_SIZE: usize = 16;
const BLOCK_SIZE: usize = 16;
/// memberlist's `hasLabelMsg` message type.
pub const LABEL_MSG: u8 = 244;

/// memberlist's encryption version byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionVersion {
    /// AES-GCM over a PKCS#7-padded plaintext (protocol version 1 peers).
    V0 = 0,
    /// AES-GCM without padding (what Docker sends: protocol version 2).
    V1 = 1,
}

/// memberlist's `encryptedLength`: bytes of the encrypted form of `len` plaintext bytes.
pub fn encrypted_length(version: EncryptionVersion, len: usize) -> usize {
    match version {
        EncryptionVersion::V1 => VERSION_SIZE + NONCE_SIZE + len + TAG_SIZE,
        EncryptionVersion::V0 => {
            VERSION_SIZE + NONCE_SIZE + len + (BLOCK_SIZE - len % BLOCK_SIZE) + TAG_SIZE
        }
    }
}

enum Gcm {
    A128(Box<AesGcm<Aes128, U12>>),
    A256(Box<AesGcm<Aes256, U12>>),
}

impl Gcm {
    fn new(key: &Key) -> Gcm {
        let k = key.expose_secret();
        // Key guarantees 16 or 32 bytes, which both constructors accept.
        if k.len() == 16 {
            Gcm::A128(Box::new(AesGcm::<Aes128, U12>::new(aes_gcm::Key::<
                AesGcm<Aes128, U12>,
            >::from_slice(
                k
            ))))
        } else {
            Gcm::A256(Box::new(AesGcm::<Aes256, U12>::new(aes_gcm::Key::<
                AesGcm<Aes256, U12>,
            >::from_slice(
                k
            ))))
        }
    }

    fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let n = Nonce::from_slice(nonce);
        let r = match self {
            Gcm::A128(c) => c.encrypt_in_place_detached(n, aad, buf),
            Gcm::A256(c) => c.encrypt_in_place_detached(n, aad, buf),
        };
        // Fails only beyond GCM's 64 GiB message limit.
        r.map(|t| t.into()).unwrap_or([0; 16])
    }

    fn open(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> bool {
        let (n, t) = (Nonce::from_slice(nonce), Tag::from_slice(tag));
        match self {
            Gcm::A128(c) => c.decrypt_in_place_detached(n, aad, buf, t).is_ok(),
            Gcm::A256(c) => c.decrypt_in_place_detached(n, aad, buf, t).is_ok(),
        }
    }
}

/// memberlist's `encryptPayload` with a caller-supplied nonce (tests, deterministic callers).
/// The nonce must never repeat under one key.
pub fn encrypt_payload_with_nonce(
    version: EncryptionVersion,
    key: &Key,
    nonce: [u8; 12],
    msg: &[u8],
    aad: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(encrypted_length(version, msg.len()));
    out.push(version as u8);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(msg);
    if version == EncryptionVersion::V0 {
        let pad = BLOCK_SIZE - msg.len() % BLOCK_SIZE;
        out.extend(std::iter::repeat_n(pad as u8, pad));
    }
    let tag = Gcm::new(key).seal(&nonce, aad, &mut out[VERSION_SIZE + NONCE_SIZE..]);
    out.extend_from_slice(&tag);
    out
}

/// memberlist's `encryptPayload` with a random nonce from the operating system.
pub fn encrypt_payload(
    version: EncryptionVersion,
    key: &Key,
    msg: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, IpsecError> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| IpsecError::Random(e.to_string()))?;
    Ok(encrypt_payload_with_nonce(version, key, nonce, msg, aad))
}

/// memberlist's `decryptPayload`: try every key, return the plaintext (padding removed for
/// version 0). Texts match memberlist's errors.
pub fn decrypt_payload<'k>(
    keys: impl IntoIterator<Item = &'k Key>,
    msg: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, GossipError> {
    let Some(&vsn) = msg.first() else {
        return Err(GossipError::Empty);
    };
    let version = match vsn {
        0 => EncryptionVersion::V0,
        1 => EncryptionVersion::V1,
        v => return Err(GossipError::UnsupportedVersion(v)),
    };
    if msg.len() < encrypted_length(version, 0) {
        return Err(GossipError::TooSmall(msg.len()));
    }
    let nonce = &msg[VERSION_SIZE..VERSION_SIZE + NONCE_SIZE];
    let (ciphertext, tag) =
        msg[VERSION_SIZE + NONCE_SIZE..].split_at(msg.len() - VERSION_SIZE - NONCE_SIZE - TAG_SIZE);
    let mut plain = Vec::with_capacity(ciphertext.len());
    for key in keys {
        plain.clear();
        plain.extend_from_slice(ciphertext);
        if Gcm::new(key).open(nonce, aad, &mut plain, tag) {
            if version == EncryptionVersion::V0 {
                // Length ≥ 16 here: encrypted_length(V0, 0) reserves a full block.
                let pad = plain[plain.len() - 1];
                if pad == 0 || usize::from(pad) > BLOCK_SIZE || usize::from(pad) > plain.len() {
                    return Err(GossipError::BadPadding(pad));
                }
                plain.truncate(plain.len() - usize::from(pad));
            }
            return Ok(plain);
        }
    }
    Err(GossipError::NoKeyDecrypts)
}

/// memberlist's `AddLabelHeaderToPacket`: `[244][len][label] ‖ packet`; no header for an empty
/// label (Docker sets none).
pub fn add_label_header(label: &[u8], packet: &[u8]) -> Result<Vec<u8>, GossipError> {
    if label.is_empty() {
        return Ok(packet.to_vec());
    }
    let len = u8::try_from(label.len())
        .map_err(|_| GossipError::BadLabel(format!("label is too long: {}", label.len())))?;
    let mut out = Vec::with_capacity(2 + label.len() + packet.len());
    out.extend_from_slice(&[LABEL_MSG, len]);
    out.extend_from_slice(label);
    out.extend_from_slice(packet);
    Ok(out)
}

/// memberlist's `RemoveLabelHeaderFromPacket`: split `(label, rest)`; no header → empty label.
pub fn remove_label_header(packet: &[u8]) -> Result<(&[u8], &[u8]), GossipError> {
    match packet {
        [LABEL_MSG, rest @ ..] => {
            let Some((&len, rest)) = rest.split_first() else {
                return Err(GossipError::BadLabel(
                    "cannot decode label; packet has been truncated".into(),
                ));
            };
            if len == 0 {
                return Err(GossipError::BadLabel(
                    "label header cannot be empty when present".into(),
                ));
            }
            if rest.len() < usize::from(len) {
                return Err(GossipError::BadLabel(
                    "cannot decode label; packet has been truncated".into(),
                ));
            }
            Ok(rest.split_at(usize::from(len)))
        }
        _ => Ok((&[], packet)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key::new(&[b; 16]).unwrap()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    // Golden bytes computed independently with Python's `cryptography` AESGCM over the layout
    // memberlist documents: key 16×0x01, nonce 00..0b, plaintext "hello gossip", empty AAD
    // (and AAD "cluster-a" for the labelled one).
    const GOLDEN_V1: &str =
        "01000102030405060708090a0b703fa1d219c34b610def034126ce10e2bc0f5ae53b5564ab18bbad76";
    const GOLDEN_V0: &str = "00000102030405060708090a0b703fa1d219c34b610def0341bb5b7ca885a202979572d6948c55a9ac351941d4";
    const GOLDEN_V1_LABEL: &str =
        "01000102030405060708090a0b703fa1d219c34b610def03417088b7fa87b6a991f1716f2fac949dec";

    #[test]
    fn golden_vectors() {
        let nonce: [u8; 12] = core::array::from_fn(|i| i as u8);
        let v1 =
            encrypt_payload_with_nonce(EncryptionVersion::V1, &key(1), nonce, b"hello gossip", b"");
        assert_eq!(hex(&v1), GOLDEN_V1);
        assert_eq!(v1.len(), encrypted_length(EncryptionVersion::V1, 12));
        let v0 =
            encrypt_payload_with_nonce(EncryptionVersion::V0, &key(1), nonce, b"hello gossip", b"");
        assert_eq!(hex(&v0), GOLDEN_V0);
        assert_eq!(v0.len(), 1 + 12 + 16 + 16);
        let l = encrypt_payload_with_nonce(
            EncryptionVersion::V1,
            &key(1),
            nonce,
            b"hello gossip",
            b"cluster-a",
        );
        assert_eq!(hex(&l), GOLDEN_V1_LABEL);
    }

    #[test]
    fn decrypt_tries_every_key() {
        let ring = [key(7), key(8), key(9)];
        for version in [EncryptionVersion::V0, EncryptionVersion::V1] {
            for msg in [&b""[..], b"x", &[0x55; 16], &[0xaa; 100]] {
                let ct = encrypt_payload(version, &ring[2], msg, b"lbl").unwrap();
                assert_eq!(decrypt_payload(&ring, &ct, b"lbl").unwrap(), msg);
                assert_eq!(
                    decrypt_payload(&ring, &ct, b"other"),
                    Err(GossipError::NoKeyDecrypts)
                );
                assert_eq!(
                    decrypt_payload(&ring[..2], &ct, b"lbl"),
                    Err(GossipError::NoKeyDecrypts)
                );
            }
        }
    }

    #[test]
    fn memberlist_error_texts() {
        let ring = [key(1)];
        assert_eq!(
            decrypt_payload(&ring, &[], b"").unwrap_err().to_string(),
            "cannot decrypt empty payload"
        );
        assert_eq!(
            decrypt_payload(&ring, &[2; 40], b"")
                .unwrap_err()
                .to_string(),
            "unsupported encryption version 2"
        );
        assert_eq!(
            decrypt_payload(&ring, &[1; 28], b"")
                .unwrap_err()
                .to_string(),
            "payload is too small to decrypt: 28"
        );
        assert_eq!(
            decrypt_payload(&ring, &[0; 44], b"")
                .unwrap_err()
                .to_string(),
            "payload is too small to decrypt: 44"
        );
        assert_eq!(
            decrypt_payload(&ring, &[1; 29], b"")
                .unwrap_err()
                .to_string(),
            "no installed keys could decrypt the message"
        );
    }

    #[test]
    fn v0_bad_padding_is_an_error() {
        // Authentic v0 payload whose last byte claims 17 bytes of padding.
        let nonce = [3u8; 12];
        let mut body = vec![17u8; 16];
        let tag = Gcm::new(&key(1)).seal(&nonce, b"", &mut body);
        let mut msg = vec![0u8];
        msg.extend_from_slice(&nonce);
        msg.extend_from_slice(&body);
        msg.extend_from_slice(&tag);
        assert_eq!(
            decrypt_payload(&[key(1)], &msg, b""),
            Err(GossipError::BadPadding(17))
        );
    }

    #[test]
    fn label_header() {
        let pkt = add_label_header(b"abc", b"payload").unwrap();
        assert_eq!(&pkt[..5], &[244, 3, b'a', b'b', b'c']);
        assert_eq!(
            remove_label_header(&pkt).unwrap(),
            (&b"abc"[..], &b"payload"[..])
        );
        assert_eq!(add_label_header(b"", b"p").unwrap(), b"p");
        assert_eq!(
            remove_label_header(b"\x01xyz").unwrap(),
            (&b""[..], &b"\x01xyz"[..])
        );
        assert!(remove_label_header(&[244]).is_err());
        assert!(remove_label_header(&[244, 0]).is_err());
        assert!(remove_label_header(&[244, 5, 1]).is_err());
        assert!(add_label_header(&[1; 256], b"").is_err());
    }
}
