//! The flow hash that spreads VXLAN traffic over UDP source ports, and source port ranges.
//!
//! Owns only the hash of an inner Ethernet frame and its scaling into a port range; it reads
//! the frame without validating it (short or odd frames just hash fewer fields).
//!
//! # What Linux does
//!
//! The kernel's VXLAN driver calls `udp_flow_src_port(net, skb, min, max, true)`: the hash is
//! `skb_get_hash()`, i.e. the flow dissector's L3/L4 keys (addresses, protocol, ports) hashed
//! with a per-boot random key (SipHash since Linux 4.13, jhash before); for frames without an
//! L3 flow (ARP, …) it falls back to `jhash` of the two MAC addresses seeded with the
//! EtherType. It then computes `hash ^= hash << 16` and scales with
//! `((u64)hash * (max - min)) >> 32) + min`, so `max` itself is never chosen. Unless the device
//! has a `srcport` range, `min`/`max` come from `net.ipv4.ip_local_port_range`, by default
//! 32768–60999 ([`PortRange::LINUX_DEFAULT`]), not RFC 7348's 49152–65535.
//!
//! # What we do
//!
//! A keyed hash of the MAC addresses, the VLAN tag and EtherType and, when present, the
//! IPv4/IPv6 addresses, protocol and TCP/UDP/SCTP ports (ports are left out for all fragments,
//! so a fragmented flow keeps one source port). The fields fill four 64-bit lanes mixed with
//! wyhash's 128-bit multiply-fold, two independent multiplies and one final one, so the hash
//! costs a few nanoseconds. The top 32 bits are scaled with a multiply-shift into the inclusive range, so
//! every port of the range can be chosen. The default range is RFC 7348's
//! ([`PortRange::RFC7348`]). The key lets a host make its spreading unpredictable to others.

use super::error::WireError;

/// An inclusive UDP source port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    min: u16,
    max: u16,
}

impl PortRange {
    /// RFC 7348 §5: 49152–65535, the dynamic/private port range. The default.
    pub const RFC7348: PortRange = PortRange {
        min: 49152,
        max: 65535,
    };
    /// Linux's default `ip_local_port_range`, 32768–60999, which the kernel's VXLAN device uses
    /// unless given a `srcport` range.
    pub const LINUX_DEFAULT: PortRange = PortRange {
        min: 32768,
        max: 60999,
    };

    /// The range `min..=max`.
    pub const fn new(min: u16, max: u16) -> Result<PortRange, WireError> {
        if min > max {
            Err(WireError::BadPortRange { min, max })
        } else {
            Ok(PortRange { min, max })
        }
    }

    /// Lowest port.
    pub const fn min(&self) -> u16 {
        self.min
    }

    /// Highest port.
    pub const fn max(&self) -> u16 {
        self.max
    }

    /// Scales a 32-bit hash into the range (multiply-shift, no division).
    #[inline]
    pub const fn pick(&self, hash: u32) -> u16 {
        let count = (self.max - self.min) as u64 + 1;
        self.min + ((hash as u64 * count) >> 32) as u16
    }
}

impl Default for PortRange {
    fn default() -> Self {
        PortRange::RFC7348
    }
}

// Secrets of wyhash (public domain), used as per-lane constants.
const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// wyhash's "mum": the 128-bit product of two words folded to 64 bits by xor.
#[inline]
fn mum(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline]
fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_ne_bytes(w)
}

#[inline]
fn ports_follow(protocol: u8) -> bool {
    matches!(protocol, 6 | 17 | 132 | 136) // TCP, UDP, SCTP, UDP-Lite
}

/// The 32-bit flow hash of an inner Ethernet frame under `key`.
///
/// The fields are gathered into four 64-bit lanes, which are mixed pairwise with independent
/// 128-bit multiplies (wyhash's construction) so the dependency chain is two multiplies long.
#[inline(always)]
pub fn flow_hash(frame: &[u8], key: u64) -> u32 {
    if frame.len() < 14 {
        return flow_hash_runt(frame, key);
    }
    let mut lanes = [0u64; 4];
    // MACs (12 bytes) and the EtherType, after an 802.1Q tag if there is one.
    lanes[0] = word(frame, 0);
    let tail = u64::from(u32::from_ne_bytes([
        frame[8], frame[9], frame[10], frame[11],
    ]));
    let mut l3 = 14;
    let mut ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    if ethertype == 0x8100 && frame.len() >= 18 {
        let tci = u16::from_be_bytes([frame[14], frame[15]]);
        ethertype = u16::from_be_bytes([frame[16], frame[17]]);
        lanes[1] = tail | u64::from(tci) << 32 | u64::from(ethertype) << 48;
        l3 = 18;
    } else {
        lanes[1] = tail | u64::from(ethertype) << 48;
    }
    let ip = &frame[l3..];
    match ethertype {
        0x0800 if ip.len() >= 20 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let protocol = ip[9];
            lanes[2] = word(ip, 12);
            let frag = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff;
            let mut l4 = u64::from(protocol) << 32;
            if frag == 0 && ports_follow(protocol) && ihl >= 20 && ip.len() >= ihl + 4 {
                l4 |= u64::from(u32::from_ne_bytes([
                    ip[ihl],
                    ip[ihl + 1],
                    ip[ihl + 2],
                    ip[ihl + 3],
                ]));
            }
            lanes[3] = l4;
        }
        0x86dd if ip.len() >= 40 => {
            let protocol = ip[6];
            // Source and destination, two words each, folded into two lanes.
            lanes[2] = word(ip, 8) ^ word(ip, 24).rotate_left(32);
            let mut l4 = u64::from(protocol) << 32 ^ word(ip, 16) ^ word(ip, 32).rotate_left(16);
            if ports_follow(protocol) && ip.len() >= 44 {
                l4 ^= u64::from(u32::from_ne_bytes([ip[40], ip[41], ip[42], ip[43]])) << 8;
            }
            lanes[3] = l4;
        }
        _ => {}
    }
    finish(lanes, key, 0)
}

/// Not a frame; hash whatever is there so the result is still deterministic. Out of line so
/// the main path keeps its lanes in registers.
#[cold]
#[inline(never)]
fn flow_hash_runt(frame: &[u8], key: u64) -> u32 {
    let mut lanes = [0u64; 4];
    for (i, &b) in frame.iter().enumerate() {
        lanes[i / 8 % 4] |= u64::from(b) << (8 * (i % 8));
    }
    finish(lanes, key, frame.len() as u64)
}

#[inline]
fn finish(lanes: [u64; 4], key: u64, extra: u64) -> u32 {
    let a = mum(lanes[0] ^ P0 ^ key, lanes[1] ^ P1);
    let b = mum(lanes[2] ^ P2 ^ key.rotate_left(32), lanes[3] ^ P3 ^ extra);
    (mum(a ^ P1, b ^ P0) >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(src_port: u16) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 8];
        f[0..6].copy_from_slice(&[2, 0x42, 10, 0, 1, 6]);
        f[6..12].copy_from_slice(&[2, 0x42, 10, 0, 1, 5]);
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[23] = 17;
        f[26..30].copy_from_slice(&[10, 0, 1, 5]);
        f[30..34].copy_from_slice(&[10, 0, 1, 6]);
        f[34..36].copy_from_slice(&src_port.to_be_bytes());
        f[36..38].copy_from_slice(&53u16.to_be_bytes());
        f
    }

    #[test]
    fn ports_stay_in_range_and_cover_it() {
        let r = PortRange::new(60000, 60003).unwrap();
        let mut seen = [false; 4];
        for p in 1000..1200u16 {
            let port = r.pick(flow_hash(&frame(p), 7));
            assert!((60000..=60003).contains(&port));
            seen[usize::from(port - 60000)] = true;
        }
        assert_eq!(seen, [true; 4]);
        assert_eq!(PortRange::RFC7348.pick(u32::MAX), 65535);
        assert_eq!(PortRange::RFC7348.pick(0), 49152);
        assert!(matches!(
            PortRange::new(2, 1),
            Err(WireError::BadPortRange { min: 2, max: 1 })
        ));
    }

    #[test]
    fn l4_ports_and_key_change_the_hash() {
        assert_eq!(flow_hash(&frame(1000), 1), flow_hash(&frame(1000), 1));
        assert_ne!(flow_hash(&frame(1000), 1), flow_hash(&frame(1001), 1));
        assert_ne!(flow_hash(&frame(1000), 1), flow_hash(&frame(1000), 2));
        // Short input never panics.
        for n in 0..20 {
            flow_hash(&frame(1)[..n], 0);
        }
    }
}
