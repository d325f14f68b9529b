//! AES-GCM behind a small trait so the ESP code does not care which implementation seals.
//! [`AesGcmBackend`] (RustCrypto `aes-gcm`) is always available; [`RingGcm`] (`ring`, feature
//! `ring`) is faster on CPUs with AES and carry-less-multiply instructions. Both produce
//! identical bytes. This module knows nothing of ESP framing.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::aes::cipher::consts::U16;
use aes_gcm::aes::cipher::{
    BlockCipher, BlockEncrypt, BlockSizeUser, InnerIvInit, StreamCipherCore,
};
use aes_gcm::aes::{Aes128, Aes256};
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit, Nonce, Tag};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;

use super::{IpsecError, Key};

/// An AES-GCM key schedule with a fixed ICV (tag) length of 8 or 16 bytes.
pub trait AeadBackend: Sized {
    /// Prepare the cipher for `key` producing `icv_len`-byte tags.
    fn new(key: &Key, icv_len: usize) -> Result<Self, IpsecError>;

    /// The ICV length in bytes.
    fn icv_len(&self) -> usize;

    /// Encrypt `in_out` in place and write the (truncated) tag into `icv`
    /// (`icv.len() == self.icv_len()`).
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8], icv: &mut [u8]);

    /// Verify `icv` and decrypt `in_out` in place; `false` (and `in_out` untouched) when the
    /// ICV does not verify.
    #[must_use]
    fn open(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8], icv: &[u8]) -> bool;
}

fn check_icv_len(icv_len: usize) -> Result<(), IpsecError> {
    match icv_len {
        8 | 16 => Ok(()),
        len => Err(IpsecError::InvalidIcvLength { len }),
    }
}

/// GCM verification of a truncated tag (NIST SP 800-38D §7.2 with t = 64), built from the same
/// `aes`, `ghash` and `ctr` primitives `aes-gcm` composes, because `aes-gcm` only accepts tags
/// of 12 to 16 bytes.
fn open_truncated<C>(
    cipher: &C,
    ghash: &GHash,
    nonce: &[u8; 12],
    aad: &[u8],
    in_out: &mut [u8],
    icv: &[u8],
) -> bool
where
    C: BlockCipher + BlockEncrypt + BlockSizeUser<BlockSize = U16>,
{
    let mut j0 = ghash::Block::default();
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    let mut ctr = ctr::CtrCore::<&C, ctr::flavors::Ctr32BE>::inner_iv_init(cipher, &j0);
    let mut mask = ghash::Block::default();
    ctr.write_keystream_block(&mut mask);

    let mut h = ghash.clone();
    h.update_padded(aad);
    h.update_padded(in_out);
    let mut lengths = ghash::Block::default();
    lengths[..8].copy_from_slice(&(aad.len() as u64 * 8).to_be_bytes());
    lengths[8..].copy_from_slice(&(in_out.len() as u64 * 8).to_be_bytes());
    h.update(&[lengths]);
    let mut tag = h.finalize();
    for (t, m) in tag.iter_mut().zip(mask.iter()) {
        *t ^= m;
    }
    if icv.len() > 16 || !bool::from(tag[..icv.len()].ct_eq(icv)) {
        return false;
    }
    ctr.apply_keystream_partial(in_out.into());
    true
}

fn ghash_key<C: BlockEncrypt + BlockSizeUser<BlockSize = U16>>(cipher: &C) -> GHash {
    let mut h = ghash::Block::default();
    cipher.encrypt_block(&mut h);
    GHash::new(&h)
}

enum RustCryptoCipher {
    Aes128 {
        gcm: Box<Aes128Gcm>,
        truncated: Box<(Aes128, GHash)>,
    },
    Aes256 {
        gcm: Box<Aes256Gcm>,
        truncated: Box<(Aes256, GHash)>,
    },
}

/// RustCrypto `aes-gcm` (the default backend).
pub struct AesGcmBackend {
    cipher: RustCryptoCipher,
    icv_len: usize,
}

impl AeadBackend for AesGcmBackend {
    fn new(key: &Key, icv_len: usize) -> Result<Self, IpsecError> {
        check_icv_len(icv_len)?;
        let k = key.expose_secret();
        let bad_len = |_| IpsecError::InvalidKeyLength { len: k.len() };
        let cipher = if k.len() == 16 {
            let aes = Aes128::new_from_slice(k).map_err(bad_len)?;
            let gh = ghash_key(&aes);
            RustCryptoCipher::Aes128 {
                gcm: Box::new(Aes128Gcm::new_from_slice(k).map_err(bad_len)?),
                truncated: Box::new((aes, gh)),
            }
        } else {
            let aes = Aes256::new_from_slice(k).map_err(bad_len)?;
            let gh = ghash_key(&aes);
            RustCryptoCipher::Aes256 {
                gcm: Box::new(Aes256Gcm::new_from_slice(k).map_err(bad_len)?),
                truncated: Box::new((aes, gh)),
            }
        };
        Ok(AesGcmBackend { cipher, icv_len })
    }

    fn icv_len(&self) -> usize {
        self.icv_len
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8], icv: &mut [u8]) {
        let n = Nonce::from_slice(nonce);
        let tag = match &self.cipher {
            RustCryptoCipher::Aes128 { gcm, .. } => gcm.encrypt_in_place_detached(n, aad, in_out),
            RustCryptoCipher::Aes256 { gcm, .. } => gcm.encrypt_in_place_detached(n, aad, in_out),
        };
        // Encryption only fails beyond GCM's 64 GiB message limit, which no packet reaches.
        if let Ok(tag) = tag {
            icv.copy_from_slice(&tag[..self.icv_len]);
        }
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8], icv: &[u8]) -> bool {
        if icv.len() != self.icv_len {
            return false;
        }
        let n = Nonce::from_slice(nonce);
        match (&self.cipher, self.icv_len) {
            (RustCryptoCipher::Aes128 { gcm, .. }, 16) => gcm
                .decrypt_in_place_detached(n, aad, in_out, Tag::from_slice(icv))
                .is_ok(),
            (RustCryptoCipher::Aes256 { gcm, .. }, 16) => gcm
                .decrypt_in_place_detached(n, aad, in_out, Tag::from_slice(icv))
                .is_ok(),
            (RustCryptoCipher::Aes128 { truncated, .. }, _) => {
                open_truncated(&truncated.0, &truncated.1, nonce, aad, in_out, icv)
            }
            (RustCryptoCipher::Aes256 { truncated, .. }, _) => {
                open_truncated(&truncated.0, &truncated.1, nonce, aad, in_out, icv)
            }
        }
    }
}

/// `ring`'s AES-GCM (feature `ring`). `ring` only verifies full 16-byte tags, so opening with
/// Docker's 8-byte ICV uses an `aes-gcm` key schedule kept alongside; sealing always uses `ring`.
#[cfg(feature = "ring")]
pub struct RingGcm {
    key: ring::aead::LessSafeKey,
    truncated_open: Option<AesGcmBackend>,
    icv_len: usize,
}

#[cfg(feature = "ring")]
impl AeadBackend for RingGcm {
    fn new(key: &Key, icv_len: usize) -> Result<Self, IpsecError> {
        check_icv_len(icv_len)?;
        let k = key.expose_secret();
        let alg = if k.len() == 16 {
            &ring::aead::AES_128_GCM
        } else {
            &ring::aead::AES_256_GCM
        };
        let unbound = ring::aead::UnboundKey::new(alg, k)
            .map_err(|_| IpsecError::InvalidKeyLength { len: k.len() })?;
        let truncated_open = if icv_len == 16 {
            None
        } else {
            Some(AesGcmBackend::new(key, icv_len)?)
        };
        Ok(RingGcm {
            key: ring::aead::LessSafeKey::new(unbound),
            truncated_open,
            icv_len,
        })
    }

    fn icv_len(&self) -> usize {
        self.icv_len
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8], icv: &mut [u8]) {
        let n = ring::aead::Nonce::assume_unique_for_key(*nonce);
        // ring fails only for inputs beyond GCM's length limit, which no packet reaches.
        if let Ok(tag) = self
            .key
            .seal_in_place_separate_tag(n, ring::aead::Aad::from(aad), in_out)
        {
            let tag = tag.as_ref();
            // Fixed-size copies for the two ICV sizes; a variable one would call memcpy.
            match icv.len() {
                16 => icv.copy_from_slice(&tag[..16]),
                8 => icv.copy_from_slice(&tag[..8]),
                n => icv.copy_from_slice(&tag[..n]),
            }
        }
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8], icv: &[u8]) -> bool {
        if let Some(short) = &self.truncated_open {
            return short.open(nonce, aad, in_out, icv);
        }
        let Ok(tag) = <[u8; 16]>::try_from(icv) else {
            return false;
        };
        let n = ring::aead::Nonce::assume_unique_for_key(*nonce);
        self.key
            .open_in_place_separate_tag(
                n,
                ring::aead::Aad::from(aad),
                ring::aead::Tag::from(tag),
                in_out,
                0..,
            )
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<A: AeadBackend>(key: &Key, icv_len: usize) -> (Vec<u8>, Vec<u8>) {
        let a = A::new(key, icv_len).unwrap();
        let mut buf: Vec<u8> = (0..100u8).collect();
        let mut icv = vec![0; icv_len];
        a.seal(&[3; 12], b"aad", &mut buf, &mut icv);
        let sealed = (buf.clone(), icv.clone());
        assert!(a.open(&[3; 12], b"aad", &mut buf, &icv));
        assert_eq!(buf, (0..100u8).collect::<Vec<_>>());
        let mut bad = sealed.0.clone();
        bad[0] ^= 1;
        assert!(!a.open(&[3; 12], b"aad", &mut bad, &icv));
        sealed
    }

    #[test]
    fn truncated_tag_is_prefix_of_full_tag() {
        for len in [16, 32] {
            let key = Key::new(&vec![5; len]).unwrap();
            let (c16, t16) = roundtrip::<AesGcmBackend>(&key, 16);
            let (c8, t8) = roundtrip::<AesGcmBackend>(&key, 8);
            assert_eq!(c16, c8);
            assert_eq!(&t16[..8], &t8[..]);
        }
        assert!(AesGcmBackend::new(&Key::new(&[1; 16]).unwrap(), 12).is_err());
    }

    #[test]
    fn truncated_open_rejects_any_wrong_icv_byte_and_leaves_buffer() {
        let key = Key::new(&[9; 16]).unwrap();
        let a = AesGcmBackend::new(&key, 8).unwrap();
        let mut buf = *b"some plaintext!!x";
        let mut icv = [0u8; 8];
        a.seal(&[1; 12], b"", &mut buf, &mut icv);
        let sealed = buf;
        for i in 0..8 {
            let mut bad = icv;
            bad[i] ^= 0x80;
            assert!(!a.open(&[1; 12], b"", &mut buf, &bad));
            assert_eq!(buf, sealed);
        }
        assert!(!a.open(&[2; 12], b"", &mut buf, &icv));
        assert!(a.open(&[1; 12], b"", &mut buf, &icv));
        assert_eq!(&buf, b"some plaintext!!x");
    }

    #[cfg(feature = "ring")]
    #[test]
    fn ring_and_aes_gcm_produce_identical_bytes() {
        for len in [16, 32] {
            for icv in [8, 16] {
                let key = Key::new(&vec![7; len]).unwrap();
                assert_eq!(
                    roundtrip::<AesGcmBackend>(&key, icv),
                    roundtrip::<RingGcm>(&key, icv)
                );
            }
        }
    }
}
