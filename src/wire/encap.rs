//! In-place VXLAN encapsulation: outer IPv4/IPv6 + UDP + VXLAN headers written into headroom
//! in front of an inner Ethernet frame, without copying the frame.
//!
//! Owns the choice of outer header values (source port from the flow hash, TTL, DF, checksums)
//! and the fast path that writes them. It does not route, resolve peers or send.
//! Header bytes that never change for a tunnel are precomputed when the tunnel is configured,
//! so the per-packet work is a few stores, one flow hash and (for IPv4) an incremental header
//! checksum.

use super::checksum;
use super::error::{Layer, WireError, truncated};
use super::ethernet::ETHERNET_HEADER_LEN;
use super::flow_hash::{PortRange, flow_hash};
use super::ipv4::{IPV4_HEADER_LEN, PROTO_UDP};
use super::ipv6::IPV6_HEADER_LEN;
use super::udp::{PseudoHeader, UDP_HEADER_LEN};
use super::vxlan::{VXLAN_HEADER_LEN, Vni, VxlanExt, VxlanRepr};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};

/// Outer headers over an IPv4 underlay: IPv4 20 + UDP 8 + VXLAN 8.
pub const IPV4_OVERHEAD: usize = IPV4_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN;
/// Outer headers over an IPv6 underlay: IPv6 40 + UDP 8 + VXLAN 8.
pub const IPV6_OVERHEAD: usize = IPV6_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN;
/// What [`VxlanEncap::encap_udp_payload_in_place`] adds: the VXLAN header.
pub const UDP_PAYLOAD_OVERHEAD: usize = VXLAN_HEADER_LEN;
/// IANA's VXLAN port, Docker's and Linux's default.
pub const DEFAULT_VXLAN_PORT: u16 = 4789;
/// Default TTL / hop limit of outer packets (Linux's default `ip_default_ttl`).
pub const DEFAULT_TTL: u8 = 64;

/// A configured VXLAN tunnel endpoint pair that encapsulates frames for one VNI.
///
/// Defaults: destination port 4789, source ports from RFC 7348's range, TTL 64, DF clear
/// (as a Linux VXLAN device without `df set`), UDP checksum off over IPv4 and on over IPv6
/// (as Linux: `udpcsum` off, `udp6zerocsumtx` off), no header extension.
///
/// Outer IPv4 packets without DF carry an identification from a per-tunnel counter, so
/// fragments of different packets never share one (RFC 6864 §4.1; Linux uses a per-destination
/// counter too). A tunnel may be shared between threads (`&self`): see `IdentCounter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanEncap {
    src: IpAddr,
    dst: IpAddr,
    vxlan: VxlanRepr,
    dst_port: u16,
    src_ports: PortRange,
    ttl: u8,
    tos: u8,
    df: bool,
    udp_checksum: bool,
    flow_key: u64,
    /// The outer IP header with zero length, identification and checksum.
    ip_template: [u8; IPV6_HEADER_LEN],
    /// Sum of `ip_template`, folded to 16 bits so the per-packet checksum folds in two
    /// steps (IPv4 only).
    ip_sum: u32,
    ident: IdentCounter,
    /// Unfolded sum of the pseudo-header addresses and protocol, for UDP checksums.
    pseudo_sum: u64,
    vxlan_header: [u8; VXLAN_HEADER_LEN],
}

impl VxlanEncap {
    /// A tunnel from `src` to `dst` (same family) for `vni`, with the defaults above.
    pub fn new(src: IpAddr, dst: IpAddr, vni: Vni) -> Result<VxlanEncap, WireError> {
        PseudoHeader::new(src, dst)?;
        let mut e = VxlanEncap {
            src,
            dst,
            vxlan: VxlanRepr {
                vni,
                ext: VxlanExt::None,
            },
            dst_port: DEFAULT_VXLAN_PORT,
            src_ports: PortRange::RFC7348,
            ttl: DEFAULT_TTL,
            tos: 0,
            df: false,
            udp_checksum: src.is_ipv6(),
            flow_key: 0,
            ip_template: [0; IPV6_HEADER_LEN],
            ip_sum: 0,
            ident: IdentCounter::default(),
            pseudo_sum: 0,
            vxlan_header: [0; VXLAN_HEADER_LEN],
        };
        e.rebuild()?;
        Ok(e)
    }

    /// Sets the destination UDP port.
    pub fn with_dst_port(mut self, port: u16) -> Self {
        self.dst_port = port;
        self
    }

    /// Sets the source port range the flow hash is scaled into.
    pub fn with_src_ports(mut self, range: PortRange) -> Self {
        self.src_ports = range;
        self
    }

    /// Sets the TTL (IPv4) or hop limit (IPv6).
    pub fn with_ttl(mut self, ttl: u8) -> Self {
        self.ttl = ttl;
        self.rebuild_infallible()
    }

    /// Sets the TOS (IPv4) or traffic class (IPv6) byte.
    pub fn with_tos(mut self, tos: u8) -> Self {
        self.tos = tos;
        self.rebuild_infallible()
    }

    /// Sets the IPv4 Don't Fragment bit (ignored over IPv6, which routers never fragment).
    pub fn with_df(mut self, df: bool) -> Self {
        self.df = df;
        self.rebuild_infallible()
    }

    /// Turns the UDP checksum on or off. Off over IPv6 is only valid towards receivers that
    /// accept zero checksums (RFC 6935/6936; Linux `udp6zerocsumrx`).
    pub fn with_udp_checksum(mut self, on: bool) -> Self {
        self.udp_checksum = on;
        self
    }

    /// Sets the key of the flow hash.
    pub fn with_flow_key(mut self, key: u64) -> Self {
        self.flow_key = key;
        self
    }

    /// Sets the header extension (GBP policy or GPE fields).
    pub fn with_ext(mut self, ext: VxlanExt) -> Result<Self, WireError> {
        self.vxlan.ext = ext;
        self.rebuild()?;
        Ok(self)
    }

    /// The VXLAN header fields this tunnel writes.
    pub fn vxlan(&self) -> VxlanRepr {
        self.vxlan
    }

    /// The destination UDP port.
    pub fn dst_port(&self) -> u16 {
        self.dst_port
    }

    /// Bytes of outer headers in front of the inner frame.
    pub fn overhead(&self) -> usize {
        if self.src.is_ipv4() {
            IPV4_OVERHEAD
        } else {
            IPV6_OVERHEAD
        }
    }

    /// The UDP source port this tunnel uses for `frame`.
    pub fn src_port(&self, frame: &[u8]) -> u16 {
        self.src_ports.pick(flow_hash(frame, self.flow_key))
    }

    fn rebuild_infallible(mut self) -> Self {
        // Only `with_ext` can make the VXLAN header invalid, and it validates; the IP template
        // cannot fail.
        self.build_ip_template();
        self
    }

    fn rebuild(&mut self) -> Result<(), WireError> {
        self.vxlan_header = self.vxlan.to_bytes()?;
        self.build_ip_template();
        Ok(())
    }

    fn build_ip_template(&mut self) {
        let t = &mut self.ip_template;
        *t = [0; IPV6_HEADER_LEN];
        match (self.src, self.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                t[0] = 0x45;
                t[1] = self.tos;
                t[6] = if self.df { 0x40 } else { 0 };
                t[8] = self.ttl;
                t[9] = PROTO_UDP;
                t[12..16].copy_from_slice(&src.octets());
                t[16..20].copy_from_slice(&dst.octets());
                self.ip_sum = checksum::fold(checksum::accumulate(0, &t[..IPV4_HEADER_LEN])).into();
                self.pseudo_sum = checksum::pseudo_header_v4(src, dst, PROTO_UDP, 0);
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let word = 6u32 << 28 | u32::from(self.tos) << 20;
                t[0..4].copy_from_slice(&word.to_be_bytes());
                t[6] = PROTO_UDP;
                t[7] = self.ttl;
                t[8..24].copy_from_slice(&src.octets());
                t[24..40].copy_from_slice(&dst.octets());
                self.pseudo_sum = checksum::pseudo_header_v6(src, dst, PROTO_UDP, 0);
            }
            // `new` refuses mixed families.
            _ => {}
        }
    }

    /// Writes outer IP + UDP + VXLAN headers in front of the `frame_len`-byte Ethernet frame at
    /// `buf[headroom..]` and returns the whole packet. IPv4 identification is 0 when DF is set,
    /// otherwise the tunnel's next counter value; use [`encap_in_place_with_ident`] to supply
    /// one.
    ///
    /// [`encap_in_place_with_ident`]: VxlanEncap::encap_in_place_with_ident
    #[inline]
    pub fn encap_in_place<'b>(
        &self,
        buf: &'b mut [u8],
        headroom: usize,
        frame_len: usize,
    ) -> Result<&'b mut [u8], WireError> {
        self.encap(buf, headroom, frame_len, None)
    }

    /// As [`encap_in_place`](VxlanEncap::encap_in_place), with the IPv4 identification given
    /// (ignored over IPv6).
    #[inline]
    pub fn encap_in_place_with_ident<'b>(
        &self,
        buf: &'b mut [u8],
        headroom: usize,
        frame_len: usize,
        ident: u16,
    ) -> Result<&'b mut [u8], WireError> {
        self.encap(buf, headroom, frame_len, Some(ident))
    }

    #[inline(always)]
    fn check_frame(
        &self,
        buf: &[u8],
        headroom: usize,
        frame_len: usize,
        overhead: usize,
    ) -> Result<usize, WireError> {
        if headroom < overhead {
            return Err(WireError::InsufficientHeadroom {
                needed: overhead,
                got: headroom,
            });
        }
        // An explicit match: building the error eagerly (`ok_or`) cost a fifth of the encap.
        let end = match headroom.checked_add(frame_len) {
            Some(end) if end <= buf.len() => end,
            _ => {
                return Err(WireError::FrameOutOfBounds {
                    offset: headroom,
                    frame_len,
                    buffer_len: buf.len(),
                });
            }
        };
        if frame_len < ETHERNET_HEADER_LEN {
            return Err(truncated(Layer::InnerFrame, ETHERNET_HEADER_LEN, frame_len));
        }
        Ok(end)
    }

    #[inline]
    fn encap<'b>(
        &self,
        buf: &'b mut [u8],
        headroom: usize,
        frame_len: usize,
        ident: Option<u16>,
    ) -> Result<&'b mut [u8], WireError> {
        let overhead = self.overhead();
        let end = self.check_frame(buf, headroom, frame_len, overhead)?;
        let ip_len = if self.src.is_ipv4() {
            IPV4_HEADER_LEN
        } else {
            IPV6_HEADER_LEN
        };
        let udp_len = UDP_HEADER_LEN + VXLAN_HEADER_LEN + frame_len;
        let total = ip_len + udp_len;
        if total > usize::from(u16::MAX) {
            let layer = if self.src.is_ipv4() {
                Layer::Ipv4
            } else {
                Layer::Udp
            };
            return Err(WireError::TooLong { layer, len: total });
        }
        let hash = flow_hash(&buf[headroom..end], self.flow_key);
        let src_port = self.src_ports.pick(hash);
        let pkt = &mut buf[headroom - overhead..end];
        let (ip, rest) = pkt.split_at_mut(ip_len);
        if self.src.is_ipv4() {
            // Constant-length copies compile to a few moves; a variable one would call memcpy.
            ip[..IPV4_HEADER_LEN].copy_from_slice(&self.ip_template[..IPV4_HEADER_LEN]);
            let ident = match ident {
                Some(ident) => ident,
                None if self.df => 0,
                None => self.ident.next(),
            };
            ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
            ip[4..6].copy_from_slice(&ident.to_be_bytes());
            // 2^16 ≡ 1 (mod 2^16 - 1): a 16-bit field adds the same wherever it sits. Three
            // 16-bit terms fold in two end-around-carry steps.
            let sum = self.ip_sum + total as u32 + u32::from(ident);
            let sum = (sum & 0xffff) + (sum >> 16);
            let c = !((sum & 0xffff) + (sum >> 16)) as u16;
            ip[10..12].copy_from_slice(&c.to_be_bytes());
        } else {
            ip[..IPV6_HEADER_LEN].copy_from_slice(&self.ip_template);
            ip[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
        }
        let (udp, inner) = rest.split_at_mut(UDP_HEADER_LEN);
        udp[0..2].copy_from_slice(&src_port.to_be_bytes());
        udp[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        udp[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
        udp[6..8].copy_from_slice(&[0, 0]);
        inner[..VXLAN_HEADER_LEN].copy_from_slice(&self.vxlan_header);
        if self.udp_checksum {
            let sum = checksum::accumulate(self.pseudo_sum + udp_len as u64, udp);
            let sum = checksum::accumulate(sum, inner);
            let c = match !checksum::fold(sum) {
                0 => 0xffff,
                c => c,
            };
            udp[6..8].copy_from_slice(&c.to_be_bytes());
        }
        Ok(pkt)
    }

    /// Writes only the VXLAN header in front of the frame at `buf[headroom..]` and returns
    /// header + frame: the payload for a UDP socket connected to the peer's VXLAN port.
    pub fn encap_udp_payload_in_place<'b>(
        &self,
        buf: &'b mut [u8],
        headroom: usize,
        frame_len: usize,
    ) -> Result<&'b mut [u8], WireError> {
        let end = self.check_frame(buf, headroom, frame_len, UDP_PAYLOAD_OVERHEAD)?;
        let pkt = &mut buf[headroom - UDP_PAYLOAD_OVERHEAD..end];
        pkt[..VXLAN_HEADER_LEN].copy_from_slice(&self.vxlan_header);
        Ok(pkt)
    }
}

/// The IPv4 identification counter of a tunnel.
///
/// Advanced with a relaxed load and store rather than an atomic read-modify-write: a locked
/// instruction would cost more than the rest of the encapsulation, and two threads that race
/// on one tunnel at worst send one identification twice, which RFC 6864 tolerates (it is the
/// same collision Linux accepts between flows hashed to one counter bucket). The counter is
/// not configuration: clones start from the current value and equality ignores it.
#[derive(Debug, Default)]
pub(crate) struct IdentCounter(AtomicU16);

impl IdentCounter {
    #[inline(always)]
    fn next(&self) -> u16 {
        let ident = self.0.load(Ordering::Relaxed);
        self.0.store(ident.wrapping_add(1), Ordering::Relaxed);
        ident
    }
}

impl Clone for IdentCounter {
    fn clone(&self) -> Self {
        IdentCounter(AtomicU16::new(self.0.load(Ordering::Relaxed)))
    }
}

impl PartialEq for IdentCounter {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for IdentCounter {}

#[cfg(test)]
mod tests {
    use super::super::ipv4::{Ipv4Packet, Ipv4Repr};
    use super::super::ipv6::Ipv6Packet;
    use super::super::udp::{UdpPacket, ZeroChecksumPolicy};
    use super::super::vxlan::{Gbp, VxlanExtMode, VxlanPacket};
    use super::*;

    fn buffer_with_frame(headroom: usize) -> (Vec<u8>, usize) {
        let frame: Vec<u8> = (0..60u8).collect();
        let mut buf = vec![0xee; headroom];
        buf.extend_from_slice(&frame);
        (buf, frame.len())
    }

    #[test]
    fn ipv4_encap_is_valid_and_leaves_frame_alone() {
        let e = VxlanEncap::new(
            "10.99.0.1".parse().unwrap(),
            "10.99.0.2".parse().unwrap(),
            Vni::new(42).unwrap(),
        )
        .unwrap()
        .with_df(true)
        .with_ttl(9);
        let (mut buf, len) = buffer_with_frame(64);
        let pkt = e.encap_in_place(&mut buf, 64, len).unwrap().to_vec();
        assert_eq!(pkt.len(), IPV4_OVERHEAD + len);
        let ip = Ipv4Packet::new_checked(&pkt[..]).unwrap();
        let r = Ipv4Repr::parse(&ip).unwrap();
        assert!(r.dont_frag && r.ttl == 9 && r.ident == 0 && r.protocol == PROTO_UDP);
        assert!(ip.verify_checksum());
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        assert_eq!(udp.dst_port(), 4789);
        assert!(udp.src_port() >= 49152);
        assert_eq!(udp.checksum(), 0);
        let vx = VxlanPacket::new_checked(udp.payload()).unwrap();
        assert_eq!(
            VxlanRepr::parse(&vx, VxlanExtMode::Plain)
                .unwrap()
                .vni
                .get(),
            42
        );
        assert_eq!(vx.payload(), &(0..60u8).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn fragmentable_packets_get_distinct_idents_and_valid_checksums() {
        let e = VxlanEncap::new(
            "10.99.0.1".parse().unwrap(),
            "10.99.0.2".parse().unwrap(),
            Vni::new(42).unwrap(),
        )
        .unwrap()
        .with_tos(0xb8);
        let mut idents = std::collections::HashSet::new();
        // Past a wrap of the 16-bit counter, with the checksum's carries exercised throughout.
        for _ in 0..70_000 {
            let (mut buf, len) = buffer_with_frame(64);
            let pkt = e.encap_in_place(&mut buf, 64, len).unwrap();
            let ip = Ipv4Packet::new_checked(&pkt[..]).unwrap();
            assert!(ip.verify_checksum());
            let r = Ipv4Repr::parse(&ip).unwrap();
            assert!(!r.dont_frag);
            idents.insert(r.ident);
        }
        assert_eq!(idents.len(), 65_536);
        let (mut buf, len) = buffer_with_frame(64);
        let pkt = e
            .encap_in_place_with_ident(&mut buf, 64, len, 0xfffe)
            .unwrap();
        let ip = Ipv4Packet::new_checked(&pkt[..]).unwrap();
        assert!(ip.verify_checksum());
        assert_eq!(Ipv4Repr::parse(&ip).unwrap().ident, 0xfffe);
    }

    #[test]
    fn ipv6_encap_with_checksum_and_gbp() {
        let src: IpAddr = "2001:db8::1".parse().unwrap();
        let dst: IpAddr = "2001:db8::2".parse().unwrap();
        let gbp = VxlanExt::Gbp(Gbp {
            dont_learn: false,
            policy_applied: true,
            policy_id: 77,
        });
        let e = VxlanEncap::new(src, dst, Vni::new(7).unwrap())
            .unwrap()
            .with_ext(gbp)
            .unwrap();
        let (mut buf, len) = buffer_with_frame(IPV6_OVERHEAD);
        let pkt = e
            .encap_in_place(&mut buf, IPV6_OVERHEAD, len)
            .unwrap()
            .to_vec();
        let ip = Ipv6Packet::new_checked(&pkt[..]).unwrap();
        assert_eq!(usize::from(ip.payload_len()), pkt.len() - 40);
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        udp.verify_checksum(
            &PseudoHeader::new(src, dst).unwrap(),
            ZeroChecksumPolicy { allow_v6: false },
        )
        .unwrap();
        let vx = VxlanPacket::new_checked(udp.payload()).unwrap();
        assert_eq!(VxlanRepr::parse(&vx, VxlanExtMode::Gbp).unwrap().ext, gbp);
    }

    #[test]
    fn errors_leave_buffer_unchanged() {
        let e = VxlanEncap::new(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            Vni::new(1).unwrap(),
        )
        .unwrap();
        let (mut buf, len) = buffer_with_frame(30);
        let before = buf.clone();
        assert!(matches!(
            e.encap_in_place(&mut buf, 30, len),
            Err(WireError::InsufficientHeadroom {
                needed: 36,
                got: 30
            })
        ));
        assert!(matches!(
            e.encap_in_place(&mut buf, 30, len + 1),
            Err(WireError::InsufficientHeadroom { .. })
        ));
        assert!(matches!(
            e.encap_udp_payload_in_place(&mut buf, 30, len + 1),
            Err(WireError::FrameOutOfBounds { .. })
        ));
        assert!(matches!(
            e.encap_udp_payload_in_place(&mut buf, 30, 13),
            Err(WireError::Truncated {
                layer: Layer::InnerFrame,
                needed: 14,
                got: 13
            })
        ));
        assert_eq!(buf, before);
        assert!(matches!(
            VxlanEncap::new(
                "10.0.0.1".parse().unwrap(),
                "::1".parse().unwrap(),
                Vni::new(1).unwrap()
            ),
            Err(WireError::MixedFamilies { .. })
        ));
        let huge = vec![0u8; 70000];
        let mut huge = huge;
        assert!(matches!(
            e.encap_in_place(&mut huge, 36, 65500),
            Err(WireError::TooLong { .. })
        ));
    }

    #[test]
    fn udp_payload_mode() {
        let e = VxlanEncap::new(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            Vni::new(5).unwrap(),
        )
        .unwrap();
        let (mut buf, len) = buffer_with_frame(8);
        let p = e.encap_udp_payload_in_place(&mut buf, 8, len).unwrap();
        assert_eq!(&p[..8], &[0x08, 0, 0, 0, 0, 0, 5, 0]);
        assert_eq!(p.len(), 8 + len);
    }
}
