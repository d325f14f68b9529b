//! SPI derivation exactly as moby's `buildSPI` (drivers/overlay/encryption.go): FNV-1a 32 over
//! `src16 ‖ BE32(tag) ‖ dst16`, IPv4 addresses hashed as IPv4-mapped IPv6. Both peers derive
//! the same pair without negotiation. This module does no I/O and knows nothing of keys.

use std::net::IpAddr;

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv1a(mut hash: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// The 16-byte form Go's `netip.Addr.As16` gives: IPv4 becomes `::ffff:a.b.c.d`.
fn as16(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// moby's `buildSPI(src, dst, tag)`.
///
/// The 36-byte input is fixed even for IPv4; the 12-byte variant of engine 29.x (moby#51798)
/// is never computed.
pub fn build_spi(src: IpAddr, dst: IpAddr, tag: u32) -> u32 {
    let mut h = fnv1a(FNV_OFFSET, &as16(src));
    h = fnv1a(h, &tag.to_be_bytes());
    fnv1a(h, &as16(dst))
}

/// The SPIs of one key between this node and one remote VTEP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpiPair {
    /// Local → remote (our transmit SA): `build_spi(local, remote, tag)`.
    pub forward: u32,
    /// Remote → local (our receive SA): `build_spi(remote, local, tag)`.
    pub reverse: u32,
}

impl SpiPair {
    /// The pair for `tag` between our advertise (data-path) address and `remote`.
    pub fn new(local_advertise: IpAddr, remote: IpAddr, tag: u32) -> SpiPair {
        SpiPair {
            forward: build_spi(local_advertise, remote, tag),
            reverse: build_spi(remote, local_advertise, tag),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn fnv1a_sanity() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0x811c9dc5);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xe40c292c);
    }

    #[test]
    fn reference_golden_vectors() {
        let p = SpiPair::new(ip("192.168.1.10"), ip("192.168.1.20"), 1);
        assert_eq!((p.forward, p.reverse), (0xbf836db8, 0xbd9342d8));
        let p = SpiPair::new(ip("2001:db8::1"), ip("2001:db8::2"), 7);
        assert_eq!((p.forward, p.reverse), (0x7e582a31, 0xc8da8b91));
        assert_eq!(build_spi(ip("1.2.3.4"), ip("5.6.7.8"), 1234), 0x5de62c5b);
        assert_eq!(
            build_spi(ip("10.0.0.1"), ip("2001:db8::1"), 5678),
            0x8c1ea943
        );
        assert_eq!(
            build_spi(ip("2002:db8::42"), ip("2002:db8::69"), 9999),
            0x342a609e
        );
    }

    #[test]
    fn peers_derive_mirror_pairs() {
        let a = SpiPair::new(ip("192.168.1.10"), ip("192.168.1.20"), 42);
        let b = SpiPair::new(ip("192.168.1.20"), ip("192.168.1.10"), 42);
        assert_eq!((a.forward, a.reverse), (b.reverse, b.forward));
    }

    /// The regressed 4-byte-IPv4 variant (12-byte input), used only to prove we never match it.
    fn wrong_four_byte_variant(src: [u8; 4], dst: [u8; 4], tag: u32) -> u32 {
        let mut h = fnv1a(FNV_OFFSET, &src);
        h = fnv1a(h, &tag.to_be_bytes());
        fnv1a(h, &dst)
    }

    #[test]
    fn four_byte_ipv4_values_are_never_produced() {
        // The reference's value for example 1 pins the wrong variant down exactly.
        assert_eq!(
            wrong_four_byte_variant([192, 168, 1, 10], [192, 168, 1, 20], 1),
            0x21ac8a08
        );
        let banned = [0x21ac8a08u32, 0x350587ea, 0x1765427f];
        for tag in 0..2000u32 {
            for (s, d) in [
                ([192, 168, 1, 10], [192, 168, 1, 20]),
                ([10, 0, 0, 1], [10, 0, 0, 2]),
            ] {
                let ours = build_spi(IpAddr::from(s), IpAddr::from(d), tag);
                assert_ne!(ours, wrong_four_byte_variant(s, d, tag), "tag {tag}");
                if s == [192, 168, 1, 10] && tag == 1 {
                    assert!(!banned.contains(&ours));
                    let rev = build_spi(IpAddr::from(d), IpAddr::from(s), tag);
                    assert!(!banned.contains(&rev));
                }
            }
        }
    }
}
