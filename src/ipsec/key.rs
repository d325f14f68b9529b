//! Secret key material: [`Key`] (16 or 32 bytes), wiped from memory on drop, compared in
//! constant time, never printed. This module must not expose key bytes except through the
//! explicitly named [`Key::expose_secret`].

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::IpsecError;

/// An AES key of 16 (AES-128, Docker's `DefaultKeyLen`) or 32 bytes (AES-256).
///
/// `Debug` and `Display` print only the length; equality is constant-time in the key bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key {
    bytes: [u8; 32],
    len: u8,
}

impl Key {
    /// Copy `bytes` into a new key. Fails unless the length is 16 or 32.
    pub fn new(bytes: &[u8]) -> Result<Key, IpsecError> {
        if bytes.len() != 16 && bytes.len() != 32 {
            return Err(IpsecError::InvalidKeyLength { len: bytes.len() });
        }
        let mut key = Key {
            bytes: [0; 32],
            len: bytes.len() as u8,
        };
        key.bytes[..bytes.len()].copy_from_slice(bytes);
        Ok(key)
    }

    /// A fresh random key of `len` bytes (16 or 32) from the operating system's generator.
    pub fn generate(len: usize) -> Result<Key, IpsecError> {
        if len != 16 && len != 32 {
            return Err(IpsecError::InvalidKeyLength { len });
        }
        let mut key = Key {
            bytes: [0; 32],
            len: len as u8,
        };
        getrandom::fill(&mut key.bytes[..len]).map_err(|e| IpsecError::Random(e.to_string()))?;
        Ok(key)
    }

    /// A key of `template`'s (valid) length taken from the front of `bytes`, which the caller
    /// guarantees holds at least 32 bytes.
    pub(super) fn same_len_as(template: &Key, bytes: &[u8]) -> Key {
        let mut key = Key {
            bytes: [0; 32],
            len: template.len,
        };
        key.bytes[..template.len()].copy_from_slice(&bytes[..template.len()]);
        key
    }

    /// Key length in bytes (16 or 32).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false: a key has 16 or 32 bytes. Present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The raw key bytes, for handing to a cipher or to the kernel. The name is deliberately
    /// loud so that every use is easy to audit.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes[..self.len()]
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        // The length is public; only the bytes need constant time.
        self.len == other.len && bool::from(self.expose_secret().ct_eq(other.expose_secret()))
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({} bytes, redacted)", self.len)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}-byte key redacted>", self.len)
    }
}

/// The key material of one SA for `rfc4106(gcm(aes))`: the AES key and the 4-byte salt that
/// prefixes every nonce. The kernel takes them concatenated (`key ‖ salt`, 20 or 36 bytes).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SaKey {
    key: Key,
    salt: [u8; 4],
}

impl SaKey {
    /// Pair an AES key with its nonce salt.
    pub fn new(key: Key, salt: [u8; 4]) -> SaKey {
        SaKey { key, salt }
    }

    /// The AES key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The 4-byte salt (Docker: the SPI, big-endian; hardened: derived, secret).
    pub fn salt(&self) -> [u8; 4] {
        self.salt
    }

    /// `key ‖ salt` as the kernel's `XFRMA_ALG_AEAD` wants it. Named loudly: key bytes.
    pub fn expose_kernel_key(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(self.key.len() + 4));
        out.extend_from_slice(self.key.expose_secret());
        out.extend_from_slice(&self.salt);
        out
    }
}

impl fmt::Debug for SaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SaKey({} + 4 bytes, redacted)", self.key.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_16_or_32_bytes() {
        for len in [0, 1, 15, 17, 24, 31, 33, 64] {
            assert_eq!(
                Key::new(&vec![7; len]),
                Err(IpsecError::InvalidKeyLength { len })
            );
        }
        assert_eq!(Key::new(&[1; 16]).map(|k| k.len()), Ok(16));
        assert_eq!(Key::new(&[1; 32]).map(|k| k.len()), Ok(32));
        assert!(Key::generate(20).is_err());
        assert_ne!(Key::generate(16).unwrap(), Key::generate(16).unwrap());
    }

    #[test]
    fn never_prints_key_bytes() {
        let key = Key::new(&[0xab; 16]).unwrap();
        for text in [format!("{key:?}"), format!("{key}"), format!("{key:#?}")] {
            assert!(!text.to_lowercase().contains("ab"), "{text}");
            assert!(!text.contains("171"), "{text}");
        }
    }

    #[test]
    fn equality_compares_length_and_bytes() {
        let a = Key::new(&[1; 16]).unwrap();
        assert_eq!(a, Key::new(&[1; 16]).unwrap());
        assert_ne!(a, Key::new(&[2; 16]).unwrap());
        assert_ne!(a, Key::new(&[1; 32]).unwrap());
    }

    #[test]
    fn zeroize_clears_bytes() {
        let mut key = Key::new(&[9; 32]).unwrap();
        key.zeroize();
        assert!(key.bytes.iter().all(|&b| b == 0));
    }
}
