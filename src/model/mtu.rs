//! The MTU of an overlay's VXLAN link and endpoint veths: Docker's exact `maxMTU` and a
//! correct variant that also counts the IPv6 outer header and the hardened ESP trailer.
//!
//! Pure arithmetic; whether a requested MTU is acceptable is checked by the option parser.

use super::encryption::Encryption;
use super::ipam::Family;

/// The MTU Docker assumes when `com.docker.network.driver.mtu` is unset.
pub const DEFAULT_MTU: u32 = 1500;
/// VXLAN overhead over IPv4: inner Ethernet 14 + outer IPv4 20 + UDP 8 + VXLAN 8 (moby
/// `vxlanEncap`).
pub const VXLAN_OVERHEAD_IPV4: u32 = 50;
/// VXLAN overhead over IPv6: inner Ethernet 14 + outer IPv6 40 + UDP 8 + VXLAN 8.
pub const VXLAN_OVERHEAD_IPV6: u32 = 70;
/// Smallest `com.docker.network.driver.mtu` we accept: the underlay must carry at least a
/// minimal IPv4 datagram (576 bytes).
pub const MIN_OPTION_MTU: u32 = 576;
/// Largest `com.docker.network.driver.mtu` we accept (the largest Linux link MTU for VXLAN).
pub const MAX_OPTION_MTU: u32 = 65535;

/// moby's `maxMTU`, exactly: option (or 1500) − 50, and if encrypted − 26 rounded down to a
/// multiple of 4. Docker uses this for IPv6 underlays too, which is 20 bytes too big.
pub fn docker_mtu(option_mtu: Option<u32>, encrypted: bool) -> u32 {
    let mut mtu = option_mtu
        .filter(|&m| m != 0)
        .unwrap_or(DEFAULT_MTU)
        .saturating_sub(50);
    if encrypted {
        mtu = mtu.saturating_sub(Encryption::DockerCompatible.esp_overhead());
        mtu -= mtu % 4;
    }
    mtu
}

/// The largest inner MTU that fits the underlay: option (or 1500) − VXLAN overhead for the
/// underlay family (50 over IPv4, 70 over IPv6) − the profile's ESP overhead, rounded down to
/// a multiple of 4 when encrypted so ESP needs no alignment padding (the ESP payload is the
/// inner packet + 30 bytes of Ethernet/VXLAN/UDP headers + 2 trailer bytes). For IPv4 with
/// Docker's profile this equals [`docker_mtu`].
pub fn effective_mtu(option_mtu: Option<u32>, encryption: Encryption, underlay: Family) -> u32 {
    let vxlan = match underlay {
        Family::V4 => VXLAN_OVERHEAD_IPV4,
        Family::V6 => VXLAN_OVERHEAD_IPV6,
    };
    let base = option_mtu.filter(|&m| m != 0).unwrap_or(DEFAULT_MTU);
    let mut mtu = base
        .saturating_sub(vxlan)
        .saturating_sub(encryption.esp_overhead());
    if encryption.is_encrypted() {
        mtu -= mtu % 4;
    }
    mtu
}

#[cfg(test)]
mod tests {
    use super::*;

    /// moby `maxMTU` table (reference §2.6).
    const DOCKER_TABLE: [(Option<u32>, u32, u32); 4] = [
        (None, 1450, 1424),
        (Some(1400), 1350, 1324),
        (Some(1450), 1400, 1372),
        (Some(9000), 8950, 8924),
    ];

    #[test]
    fn docker_table_exact() {
        for (option, plain, encrypted) in DOCKER_TABLE {
            assert_eq!(docker_mtu(option, false), plain, "{option:?} plain");
            assert_eq!(docker_mtu(option, true), encrypted, "{option:?} encrypted");
            let v4 = |e| effective_mtu(option, e, Family::V4);
            assert_eq!(v4(Encryption::Off), plain);
            assert_eq!(v4(Encryption::DockerCompatible), encrypted);
        }
        assert_eq!(
            docker_mtu(Some(0), false),
            1450,
            "0 means unset, as in moby"
        );
    }

    #[test]
    fn ipv6_underlay_and_hardened_profile() {
        let e = |m, enc, f| effective_mtu(m, enc, f);
        assert_eq!(e(None, Encryption::Off, Family::V6), 1430);
        assert_eq!(e(None, Encryption::DockerCompatible, Family::V6), 1404);
        assert_eq!(e(None, Encryption::Hardened, Family::V4), 1416);
        assert_eq!(e(None, Encryption::Hardened, Family::V6), 1396);
        assert_eq!(e(Some(1450), Encryption::Hardened, Family::V4), 1364);
        assert_eq!(e(Some(9000), Encryption::Hardened, Family::V6), 8896);
    }

    #[test]
    fn hardened_packets_fit_the_underlay_exactly() {
        // outer IPv4 20 + UDP-in-ESP: SPI/seq 8 + IV 8 + (inner + 30 + pad + 2) + ICV 16
        for option in [1400u32, 1450, 1500, 1501, 1502, 1503, 9000] {
            let inner = effective_mtu(Some(option), Encryption::Hardened, Family::V4);
            let payload = inner + 30 + 2;
            let padded = payload.div_ceil(4) * 4;
            let outer = 20 + 8 + 8 + padded + 16;
            assert!(outer <= option, "{option}: {outer}");
            assert!(option - outer < 4, "{option}: wasted {}", option - outer);
        }
    }
}
