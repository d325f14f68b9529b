//! The two IPsec profiles and the per-SA parameters they produce.
//!
//! * [`Profile::DockerCompatible`] is byte-for-byte what moby's overlay driver programs
//!   (`programSA`, `buildAeadAlgo`): `rfc4106(gcm(aes))`, the cluster key itself with the SPI as
//!   the 4-byte salt, 64-bit ICV, transport mode, reqid `0xD0C4E3`, no replay window, no ESN.
//! * [`Profile::Hardened`] (the default for new networks) differs from Docker in exactly these
//!   points:
//!   - **per-pair, per-direction keys**: every SA gets its own AES key and salt, derived with
//!     HKDF-SHA256 (RFC 5869) from the cluster key, so a leaked SA key exposes one direction of
//!     one pair for one period, and the salt is secret rather than the public SPI;
//!   - **128-bit ICV** instead of 64 bits;
//!   - **ESN** (64-bit sequence numbers, RFC 4303 §2.2.1), so an SA never runs out of sequence
//!     space at high rates (moby#52005, cilium#22747);
//!   - **replay window of 1024** packets instead of none;
//!   - **receive-before-transmit rotation**: a key only becomes the transmit key if it was
//!     already installed for receiving before the update (see [`crate::ipsec::rotation`]).
//!
//! SPIs are moby's `buildSPI` in both profiles. In userspace the Docker-compatible profile has
//! no replay window either (the kernel accepts any authentic packet on such an SA); our sealer
//! still never reuses a sequence number and refuses to pass 2^32 − 1 ("sequence space
//! exhausted"), and the rotation schedule's volume trigger fires at 2^31.
//! This module computes parameters only.
//!
//! # Hardened key derivation (exact layout)
//!
//! ```text
//! PRK  = HKDF-Extract(salt = "overlaynet ipsec hkdf v1" (24 ASCII bytes), IKM = cluster key)
//! info = "overlaynet esp sa" (17 ASCII bytes) ‖ src16 ‖ dst16 ‖ BE32(tag) ‖ BE32(spi)
//! OKM  = HKDF-Expand(PRK, info, L = len(cluster key) + 4)
//! AES key = OKM[..len(cluster key)], GCM salt = OKM[len(cluster key)..]
//! ```
//!
//! `src16`/`dst16` are the sender's and receiver's advertise (data-path) addresses in 16-byte
//! form (IPv4 as `::ffff:a.b.c.d`), `tag` is the key's 32-bit tag and `spi` the SA's SPI. Both
//! peers compute the same bytes for the same direction; the two directions differ.

use std::net::IpAddr;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Key, SaKey};

/// HKDF salt of the hardened profile.
pub const HKDF_SALT: &[u8; 24] = b"overlaynet ipsec hkdf v1";
/// HKDF info prefix of the hardened profile.
pub const HKDF_INFO_PREFIX: &[u8; 17] = b"overlaynet esp sa";

/// Which SA parameters to use for an encrypted network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// Exactly what Docker programs, so our node and a Docker node interoperate.
    DockerCompatible,
    /// Per-pair keys, 128-bit ICV, ESN, replay window 1024 (see the module docs).
    #[default]
    Hardened,
}

/// Everything one SA needs, in userspace or in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaParams {
    /// The SPI.
    pub spi: u32,
    /// AES key and nonce salt.
    pub key: SaKey,
    /// ICV length in bytes (8 or 16).
    pub icv_len: usize,
    /// Extended (64-bit) sequence numbers.
    pub esn: bool,
    /// Replay window in packets (0 = off).
    pub replay_window: u32,
}

/// 16-byte form of an address, IPv4 as IPv4-mapped IPv6 (Go's `As16`).
fn as16(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

impl Profile {
    /// ICV length in bytes: 8 (Docker's `ICVLen: 64`) or 16.
    pub fn icv_len(self) -> usize {
        match self {
            Profile::DockerCompatible => 8,
            Profile::Hardened => 16,
        }
    }

    /// Whether SAs use extended sequence numbers.
    pub fn esn(self) -> bool {
        matches!(self, Profile::Hardened)
    }

    /// Replay window in packets (Docker sets none).
    pub fn replay_window(self) -> u32 {
        match self {
            Profile::DockerCompatible => 0,
            Profile::Hardened => 1024,
        }
    }

    /// Whether a key may become primary in the same update that adds it (Docker allows it).
    pub fn allows_transmit_before_receive(self) -> bool {
        matches!(self, Profile::DockerCompatible)
    }

    /// The SA parameters for traffic `src → dst` (advertise addresses) with `key`/`tag`/`spi`.
    pub fn sa_params(
        self,
        cluster_key: &Key,
        tag: u32,
        src: IpAddr,
        dst: IpAddr,
        spi: u32,
    ) -> SaParams {
        let key = match self {
            Profile::DockerCompatible => SaKey::new(cluster_key.clone(), spi.to_be_bytes()),
            Profile::Hardened => derive_hardened(cluster_key, tag, src, dst, spi),
        };
        SaParams {
            spi,
            key,
            icv_len: self.icv_len(),
            esn: self.esn(),
            replay_window: self.replay_window(),
        }
    }
}

/// The hardened profile's HKDF derivation (layout in the module docs).
pub fn derive_hardened(cluster_key: &Key, tag: u32, src: IpAddr, dst: IpAddr, spi: u32) -> SaKey {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), cluster_key.expose_secret());
    let mut info = [0u8; 17 + 16 + 16 + 4 + 4];
    info[..17].copy_from_slice(HKDF_INFO_PREFIX);
    info[17..33].copy_from_slice(&as16(src));
    info[33..49].copy_from_slice(&as16(dst));
    info[49..53].copy_from_slice(&tag.to_be_bytes());
    info[53..57].copy_from_slice(&spi.to_be_bytes());
    let n = cluster_key.len();
    // HKDF-Expand output is prefix-stable, so expanding a constant 36 bytes and using the first
    // n + 4 equals expanding n + 4 bytes.
    let mut okm = Zeroizing::new([0u8; 36]);
    hk.expand(&info, &mut okm[..])
        .expect("36 bytes is far below HKDF-SHA256's 8160-byte output limit");
    let key = Key::same_len_as(cluster_key, &okm[..32]);
    let mut salt = [0u8; 4];
    salt.copy_from_slice(&okm[n..n + 4]);
    SaKey::new(key, salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn docker_profile_uses_cluster_key_and_spi_salt() {
        let k = Key::new(&[0x11; 16]).unwrap();
        let p = Profile::DockerCompatible.sa_params(
            &k,
            1,
            ip("192.168.1.10"),
            ip("192.168.1.20"),
            0xbf836db8,
        );
        assert_eq!(
            &p.key.expose_kernel_key()[..],
            &[[0x11; 16].as_slice(), &[0xbf, 0x83, 0x6d, 0xb8]].concat()[..]
        );
        assert_eq!((p.icv_len, p.esn, p.replay_window), (8, false, 0));
    }

    #[test]
    fn hardened_keys_are_per_direction_and_match_rfc5869_layout() {
        let k = Key::new(&[0x22; 16]).unwrap();
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let ab = derive_hardened(&k, 7, a, b, 0x1000);
        let ba = derive_hardened(&k, 7, b, a, 0x1000);
        assert_ne!(ab, ba);
        assert_ne!(ab.key(), &k);
        // Golden value from an independent HKDF-SHA256 (Python's `cryptography`) over the
        // documented salt/info layout.
        assert_eq!(hex(&ab.expose_kernel_key()), GOLDEN_AB);
        let p = Profile::Hardened.sa_params(&k, 7, a, b, 0x1000);
        assert_eq!((p.icv_len, p.esn, p.replay_window), (16, true, 1024));
    }

    const GOLDEN_AB: &str = "7abc457402c6ef9c12434cede3abe1cd109ce57a";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
