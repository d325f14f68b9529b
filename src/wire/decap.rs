//! VXLAN decapsulation: validates outer IPv4/IPv6, UDP and VXLAN headers and returns the VNI,
//! extension fields and the inner frame as a slice of the caller's buffer.
//!
//! Owns the receive-side checks and their failure reasons ([`DecapError`], one counter each in
//! [`DecapCounters`]). It does not reassemble outer fragments, look up peers or deliver frames.

use super::checksum;
use super::error::Layer;
use super::ethernet::{ETHERNET_HEADER_LEN, EtherType, EthernetFrame};
use super::ipv4::{IPV4_HEADER_LEN, PROTO_UDP};
use super::ipv6::{IPV6_HEADER_LEN, Ipv6Packet};
use super::udp::UDP_HEADER_LEN;
use super::vxlan::{
    FLAG_I as VXLAN_FLAG_I, GpeProtocol, VXLAN_HEADER_LEN, VxlanExt, VxlanExtMode, VxlanRepr,
};
use super::{be16, encap::DEFAULT_VXLAN_PORT};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a packet was not decapsulated. Each variant is counted by [`DecapCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecapError {
    /// A header runs past the end of the packet.
    #[error("decap: {layer} truncated: need {needed} bytes, got {got}")]
    Truncated {
        /// Layer that is cut short.
        layer: Layer,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// An outer header is not well formed (version, header length, length fields).
    #[error("decap: malformed {layer} header: {field} is {value}")]
    Malformed {
        /// Layer at fault.
        layer: Layer,
        /// The offending field.
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// The outer packet is an IP fragment; reassemble first.
    #[error("decap: outer {layer} packet is a fragment")]
    Fragment {
        /// Ipv4 or Ipv6.
        layer: Layer,
    },
    /// Not VXLAN: the outer packet is not UDP (or, from Ethernet, not IP).
    #[error("decap: not VXLAN: {what} {value:#x}")]
    NotVxlan {
        /// `"ip protocol"` or `"ethertype"`.
        what: &'static str,
        /// The protocol number or EtherType found.
        value: u32,
    },
    /// UDP to a port other than the VXLAN port.
    #[error("decap: UDP destination port {port} is not the VXLAN port {expected}")]
    WrongPort {
        /// Port in the packet.
        port: u16,
        /// Configured VXLAN port.
        expected: u16,
    },
    /// A checksum does not match (outer IPv4 header or UDP).
    #[error("decap: bad {layer} checksum: packet has {stored:#06x}, data sums to {computed:#06x}")]
    BadChecksum {
        /// Layer whose checksum failed.
        layer: Layer,
        /// Checksum carried.
        stored: u16,
        /// Checksum computed.
        computed: u16,
    },
    /// UDP over IPv6 without checksum, and the receiver requires one (RFC 8200 §8.1).
    #[error(
        "decap: zero UDP checksum over IPv6 is not accepted (enable zero checksums for this tunnel per RFC 6935)"
    )]
    ZeroChecksumV6,
    /// The VXLAN header lacks the I flag.
    #[error("decap: vxlan I flag not set (flags {flags:#04x})")]
    VniFlagMissing {
        /// The first flags byte.
        flags: u8,
    },
    /// The inner frame is shorter than its own header.
    #[error("decap: inner frame of {len} bytes is shorter than the {min} bytes its header needs")]
    InnerFrameTooShort {
        /// Length of the inner frame.
        len: usize,
        /// Minimum for its protocol (14 for Ethernet).
        min: usize,
    },
}

/// One counter per [`DecapError`] reason, plus successes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecapCounters {
    /// Packets decapsulated.
    pub ok: u64,
    /// [`DecapError::Truncated`].
    pub truncated: u64,
    /// [`DecapError::Malformed`].
    pub malformed: u64,
    /// [`DecapError::Fragment`].
    pub fragment: u64,
    /// [`DecapError::NotVxlan`].
    pub not_vxlan: u64,
    /// [`DecapError::WrongPort`].
    pub wrong_port: u64,
    /// [`DecapError::BadChecksum`].
    pub bad_checksum: u64,
    /// [`DecapError::ZeroChecksumV6`].
    pub zero_checksum_v6: u64,
    /// [`DecapError::VniFlagMissing`].
    pub vni_flag_missing: u64,
    /// [`DecapError::InnerFrameTooShort`].
    pub inner_frame_too_short: u64,
}

impl DecapCounters {
    /// Counts one failure under its reason.
    pub fn record(&mut self, err: &DecapError) {
        let c = match err {
            DecapError::Truncated { .. } => &mut self.truncated,
            DecapError::Malformed { .. } => &mut self.malformed,
            DecapError::Fragment { .. } => &mut self.fragment,
            DecapError::NotVxlan { .. } => &mut self.not_vxlan,
            DecapError::WrongPort { .. } => &mut self.wrong_port,
            DecapError::BadChecksum { .. } => &mut self.bad_checksum,
            DecapError::ZeroChecksumV6 => &mut self.zero_checksum_v6,
            DecapError::VniFlagMissing { .. } => &mut self.vni_flag_missing,
            DecapError::InnerFrameTooShort { .. } => &mut self.inner_frame_too_short,
        };
        *c += 1;
    }

    /// Counts the outcome of a decap call and passes it through.
    pub fn observe<T>(&mut self, result: Result<T, DecapError>) -> Result<T, DecapError> {
        match &result {
            Ok(_) => self.ok += 1,
            Err(e) => self.record(e),
        }
        result
    }

    /// All failures.
    pub fn failures(&self) -> u64 {
        self.truncated
            + self.malformed
            + self.fragment
            + self.not_vxlan
            + self.wrong_port
            + self.bad_checksum
            + self.zero_checksum_v6
            + self.vni_flag_missing
            + self.inner_frame_too_short
    }
}

/// A decapsulated packet: outer addressing, VXLAN fields and the inner frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decapsulated<'a> {
    /// Outer source and destination, read with [`src`](Self::src) and [`dst`](Self::dst).
    outer: OuterAddrs,
    /// Outer UDP source port.
    pub src_port: u16,
    /// Outer TTL / hop limit.
    pub ttl: u8,
    /// VNI and extension fields.
    pub vxlan: VxlanRepr,
    /// The inner frame (Ethernet unless GPE says otherwise), borrowed from the input.
    pub frame: &'a [u8],
}

impl Decapsulated<'_> {
    /// Outer source address (the sending VTEP).
    #[inline]
    pub fn src(&self) -> IpAddr {
        match self.outer {
            OuterAddrs::V4(src, _) => Ipv4Addr::from_bits(src).into(),
            OuterAddrs::V6(src, _) => Ipv6Addr::from_bits(src).into(),
        }
    }

    /// Outer destination address.
    #[inline]
    pub fn dst(&self) -> IpAddr {
        match self.outer {
            OuterAddrs::V4(_, dst) => Ipv4Addr::from_bits(dst).into(),
            OuterAddrs::V6(_, dst) => Ipv6Addr::from_bits(dst).into(),
        }
    }
}

/// Outer addresses as integers. `IpAddr` is byte-aligned, and moving a decap result that held
/// two of them compiled to dozens of single-byte copies, which cost more than the decap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OuterAddrs {
    V4(u32, u32),
    V6(u128, u128),
}

/// Receive-side configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decapsulator {
    /// VXLAN UDP destination port (default 4789).
    pub port: u16,
    /// Verify non-zero UDP checksums (default true).
    pub verify_udp_checksum: bool,
    /// Refuse zero UDP checksums over IPv6 (default true; false = Linux `udp6zerocsumrx`,
    /// RFC 6935/6936).
    pub require_udp_checksum_v6: bool,
    /// Which VXLAN extension the receiver is configured for.
    pub ext_mode: VxlanExtMode,
}

impl Default for Decapsulator {
    fn default() -> Self {
        Decapsulator {
            port: DEFAULT_VXLAN_PORT,
            verify_udp_checksum: true,
            require_udp_checksum_v6: true,
            ext_mode: VxlanExtMode::Plain,
        }
    }
}

#[derive(Clone, Copy)]
enum Pseudo {
    V4(Ipv4Addr, Ipv4Addr),
    V6(Ipv6Addr, Ipv6Addr),
}

/// Whether a UDP datagram over IPv4 with a non-zero checksum verifies. Out of line: the
/// fast path stays small, and a call is nothing next to summing the datagram.
#[inline(never)]
fn udp_checksum_ok_v4(src: u32, dst: u32, udp: &[u8]) -> bool {
    let pseudo = checksum::pseudo_header_v4(
        Ipv4Addr::from_bits(src),
        Ipv4Addr::from_bits(dst),
        PROTO_UDP,
        udp.len() as u32,
    );
    checksum::fold(checksum::accumulate(pseudo, udp)) == 0xffff
}

fn truncated(layer: Layer, needed: usize, got: usize) -> DecapError {
    DecapError::Truncated { layer, needed, got }
}

impl Decapsulator {
    /// Decapsulates a packet that starts at the outer IP header (raw socket, TUN). Inlined
    /// into the caller's receive loop: it is the per-packet hot path.
    ///
    /// Packets shaped like nearly all VXLAN traffic (IPv4 without options, not a fragment,
    /// no GPE) take a fast path; everything else, and every packet that fails a check, goes
    /// through the out-of-line general path, which alone builds the typed error. Both accept
    /// exactly the same packets with the same result.
    #[inline(always)]
    pub fn decap<'a>(&self, pkt: &'a [u8]) -> Result<Decapsulated<'a>, DecapError> {
        match self.decap_v4_fast(pkt) {
            Some(out) => Ok(out),
            None => self.decap_general(pkt),
        }
    }

    /// The general path of [`decap`](Self::decap): every header shape, every error.
    #[inline(never)]
    fn decap_general<'a>(&self, pkt: &'a [u8]) -> Result<Decapsulated<'a>, DecapError> {
        match pkt.first().map(|b| b >> 4) {
            None => Err(truncated(Layer::Ipv4, IPV4_HEADER_LEN, 0)),
            Some(4) => self.decap_v4(pkt),
            Some(6) => self.decap_v6(pkt),
            Some(v) => Err(DecapError::Malformed {
                layer: Layer::Ipv4,
                field: "version",
                value: v.into(),
            }),
        }
    }

    /// The general path alone, for the `decap` fuzz target to hold the fast path to it.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn decap_general_for_fuzzing<'a>(
        &self,
        pkt: &'a [u8],
    ) -> Result<Decapsulated<'a>, DecapError> {
        self.decap_general(pkt)
    }

    /// The common case in one pass over a fixed-size header block: outer IPv4 without
    /// options, UDP, VXLAN, all checks passing, and a receiver not in GPE mode (whose
    /// minimum inner length depends on the next protocol). `None` means "not this shape or
    /// not valid": the general path then decides, and reports why.
    ///
    /// The checks are the general path's, arranged so the success path has few branches:
    /// the header checksum test is a divisibility test (a one's-complement sum folds to
    /// 0xffff exactly when the plain sum of its 16-bit words, in either byte order, is a
    /// non-zero multiple of 0xffff; the version byte makes it non-zero), and the
    /// fixed-field tests are combined into one.
    #[inline(always)]
    fn decap_v4_fast<'a>(&self, pkt: &'a [u8]) -> Option<Decapsulated<'a>> {
        const UDP_AT: usize = IPV4_HEADER_LEN;
        const VXLAN_AT: usize = UDP_AT + UDP_HEADER_LEN;
        const HEADERS: usize = VXLAN_AT + VXLAN_HEADER_LEN;
        const MIN_UDP_LEN: usize = UDP_HEADER_LEN + VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN;
        let h: &[u8; HEADERS] = pkt.first_chunk()?;
        let word =
            |at: usize| u64::from(u32::from_ne_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]));
        let u16_at = |at: usize| u16::from_be_bytes([h[at], h[at + 1]]);
        let total = usize::from(u16_at(2));
        let udp_len = usize::from(u16_at(UDP_AT + 4));
        let fixed_fields_ok = (h[0] == 0x45)
            & (u16_at(6) & 0x3fff == 0)
            & (h[9] == PROTO_UDP)
            & (u16_at(UDP_AT + 2) == self.port)
            & (h[VXLAN_AT] & VXLAN_FLAG_I != 0)
            & (self.ext_mode != VxlanExtMode::Gpe);
        let lengths_ok =
            (total <= pkt.len()) & (udp_len >= MIN_UDP_LEN) & (UDP_AT + udp_len <= total);
        let header_sum = word(0) + word(4) + word(8) + word(12) + word(16);
        if !(fixed_fields_ok & lengths_ok) || header_sum % 0xffff != 0 {
            return None;
        }
        let udp = pkt.get(UDP_AT..UDP_AT + udp_len)?;
        let src = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
        let dst = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
        if u16_at(UDP_AT + 6) != 0 && self.verify_udp_checksum && !udp_checksum_ok_v4(src, dst, udp)
        {
            return None;
        }
        let vxlan = h[VXLAN_AT..].first_chunk()?;
        Some(Decapsulated {
            outer: OuterAddrs::V4(src, dst),
            src_port: u16_at(UDP_AT),
            ttl: h[8],
            vxlan: VxlanRepr::read(vxlan, self.ext_mode),
            frame: udp.get(UDP_HEADER_LEN + VXLAN_HEADER_LEN..)?,
        })
    }

    /// Decapsulates a packet that starts at the outer Ethernet header (802.1Q tag allowed).
    #[inline]
    pub fn decap_ethernet<'a>(&self, frame: &'a [u8]) -> Result<Decapsulated<'a>, DecapError> {
        let eth = EthernetFrame::new_checked(frame).map_err(|_| {
            let needed = if frame.len() >= ETHERNET_HEADER_LEN {
                ETHERNET_HEADER_LEN + 4
            } else {
                ETHERNET_HEADER_LEN
            };
            truncated(Layer::Ethernet, needed, frame.len())
        })?;
        let ip = &frame[eth.header_len()..];
        match eth.ethertype() {
            EtherType::IPV4 => match self.decap_v4_fast(ip) {
                Some(out) => Ok(out),
                None => self.decap_v4(ip),
            },
            EtherType::IPV6 => self.decap_v6(ip),
            other => Err(DecapError::NotVxlan {
                what: "ethertype",
                value: other.0.into(),
            }),
        }
    }

    /// Decapsulates a UDP payload (VXLAN header and frame) as a UDP socket delivers it.
    #[inline(always)]
    pub fn decap_udp_payload<'a>(
        &self,
        payload: &'a [u8],
    ) -> Result<(VxlanRepr, &'a [u8]), DecapError> {
        let Some((header, frame)) = payload.split_first_chunk::<VXLAN_HEADER_LEN>() else {
            return Err(truncated(Layer::Vxlan, VXLAN_HEADER_LEN, payload.len()));
        };
        if header[0] & VXLAN_FLAG_I == 0 {
            return Err(DecapError::VniFlagMissing { flags: header[0] });
        }
        let repr = VxlanRepr::read(header, self.ext_mode);
        let min = match repr.ext {
            VxlanExt::Gpe(g) => match g.next_protocol {
                Some(GpeProtocol::IPV4) => IPV4_HEADER_LEN,
                Some(GpeProtocol::IPV6) => IPV6_HEADER_LEN,
                Some(GpeProtocol::NSH) => 8,
                Some(GpeProtocol::ETHERNET) | None => ETHERNET_HEADER_LEN,
                Some(_) => 1,
            },
            _ => ETHERNET_HEADER_LEN,
        };
        if frame.len() < min {
            return Err(DecapError::InnerFrameTooShort {
                len: frame.len(),
                min,
            });
        }
        Ok((repr, frame))
    }

    #[inline]
    fn decap_v4<'a>(&self, pkt: &'a [u8]) -> Result<Decapsulated<'a>, DecapError> {
        if pkt.len() < IPV4_HEADER_LEN {
            return Err(truncated(Layer::Ipv4, IPV4_HEADER_LEN, pkt.len()));
        }
        let malformed = |field, value: usize| DecapError::Malformed {
            layer: Layer::Ipv4,
            field,
            value: value as u32,
        };
        if pkt[0] >> 4 != 4 {
            return Err(malformed("version", usize::from(pkt[0] >> 4)));
        }
        let ihl = usize::from(pkt[0] & 0x0f) * 4;
        if ihl < IPV4_HEADER_LEN {
            return Err(malformed("header length", ihl));
        }
        if pkt.len() < ihl {
            return Err(truncated(Layer::Ipv4, ihl, pkt.len()));
        }
        let total = usize::from(be16(pkt, 2));
        if total < ihl {
            return Err(malformed("total length", total));
        }
        if total > pkt.len() {
            return Err(truncated(Layer::Ipv4, total, pkt.len()));
        }
        let header = &pkt[..ihl];
        let sum = checksum::header_sum(header);
        if checksum::fold(sum) != 0xffff {
            let stored = be16(pkt, 10);
            let computed =
                !checksum::fold(checksum::remove(checksum::accumulate(0, header), stored));
            return Err(DecapError::BadChecksum {
                layer: Layer::Ipv4,
                stored,
                computed,
            });
        }
        if be16(pkt, 6) & 0x3fff != 0 {
            return Err(DecapError::Fragment { layer: Layer::Ipv4 });
        }
        if pkt[9] != PROTO_UDP {
            return Err(DecapError::NotVxlan {
                what: "ip protocol",
                value: pkt[9].into(),
            });
        }
        let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
        let dst = Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
        let ttl = pkt[8];
        self.decap_udp(&pkt[ihl..total], Pseudo::V4(src, dst), ttl)
    }

    #[inline]
    fn decap_v6<'a>(&self, pkt: &'a [u8]) -> Result<Decapsulated<'a>, DecapError> {
        let p = Ipv6Packet::new_checked(pkt).map_err(|_| {
            if pkt.len() < IPV6_HEADER_LEN {
                truncated(Layer::Ipv6, IPV6_HEADER_LEN, pkt.len())
            } else {
                truncated(
                    Layer::Ipv6,
                    IPV6_HEADER_LEN + usize::from(be16(pkt, 4)),
                    pkt.len(),
                )
            }
        })?;
        if p.version() != 6 {
            return Err(DecapError::Malformed {
                layer: Layer::Ipv6,
                field: "version",
                value: p.version().into(),
            });
        }
        let ul = p.upper_layer().map_err(|e| match e {
            super::WireError::Truncated { layer, needed, got } => truncated(layer, needed, got),
            _ => DecapError::Malformed {
                layer: Layer::Ipv6,
                field: "extension header",
                value: 0,
            },
        })?;
        if ul.fragment {
            return Err(DecapError::Fragment { layer: Layer::Ipv6 });
        }
        if ul.protocol != PROTO_UDP {
            return Err(DecapError::NotVxlan {
                what: "ip protocol",
                value: ul.protocol.into(),
            });
        }
        let end = IPV6_HEADER_LEN + usize::from(p.payload_len());
        self.decap_udp(
            &pkt[ul.offset..end],
            Pseudo::V6(p.src_addr(), p.dst_addr()),
            p.hop_limit(),
        )
    }

    #[inline(always)]
    fn decap_udp<'a>(
        &self,
        udp: &'a [u8],
        pseudo: Pseudo,
        ttl: u8,
    ) -> Result<Decapsulated<'a>, DecapError> {
        if udp.len() < UDP_HEADER_LEN {
            return Err(truncated(Layer::Udp, UDP_HEADER_LEN, udp.len()));
        }
        let len = usize::from(be16(udp, 4));
        if len < UDP_HEADER_LEN {
            return Err(DecapError::Malformed {
                layer: Layer::Udp,
                field: "length",
                value: len as u32,
            });
        }
        if len > udp.len() {
            return Err(truncated(Layer::Udp, len, udp.len()));
        }
        let udp = &udp[..len];
        let dst_port = be16(udp, 2);
        if dst_port != self.port {
            return Err(DecapError::WrongPort {
                port: dst_port,
                expected: self.port,
            });
        }
        let stored = be16(udp, 6);
        if stored == 0 {
            if matches!(pseudo, Pseudo::V6(..)) && self.require_udp_checksum_v6 {
                return Err(DecapError::ZeroChecksumV6);
            }
        } else if self.verify_udp_checksum {
            let pseudo_sum = match pseudo {
                Pseudo::V4(s, d) => checksum::pseudo_header_v4(s, d, PROTO_UDP, len as u32),
                Pseudo::V6(s, d) => checksum::pseudo_header_v6(s, d, PROTO_UDP, len as u32),
            };
            let sum = checksum::accumulate(pseudo_sum, udp);
            if checksum::fold(sum) != 0xffff {
                let computed = match !checksum::fold(checksum::remove(sum, stored)) {
                    0 => 0xffff,
                    c => c,
                };
                return Err(DecapError::BadChecksum {
                    layer: Layer::Udp,
                    stored,
                    computed,
                });
            }
        }
        let (vxlan, frame) = self.decap_udp_payload(&udp[UDP_HEADER_LEN..])?;
        let outer = match pseudo {
            Pseudo::V4(s, d) => OuterAddrs::V4(s.to_bits(), d.to_bits()),
            Pseudo::V6(s, d) => OuterAddrs::V6(s.to_bits(), d.to_bits()),
        };
        Ok(Decapsulated {
            outer,
            src_port: be16(udp, 0),
            ttl,
            vxlan,
            frame,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::encap::VxlanEncap;
    use super::super::vxlan::Vni;
    use super::*;

    fn frame() -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[0..6].copy_from_slice(&[2, 0x42, 10, 0, 1, 6]);
        f[6..12].copy_from_slice(&[2, 0x42, 10, 0, 1, 5]);
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        f
    }

    fn encapsulated(src: &str, dst: &str, csum: bool) -> Vec<u8> {
        let e = VxlanEncap::new(
            src.parse().unwrap(),
            dst.parse().unwrap(),
            Vni::new(4242).unwrap(),
        )
        .unwrap()
        .with_udp_checksum(csum);
        let f = frame();
        let mut buf = vec![0u8; e.overhead()];
        buf.extend_from_slice(&f);
        let h = e.overhead();
        e.encap_in_place(&mut buf, h, f.len()).unwrap().to_vec()
    }

    #[test]
    fn decaps_what_we_encap_v4_and_v6() {
        for (s, d, csum) in [
            ("10.0.0.1", "10.0.0.2", false),
            ("10.0.0.1", "10.0.0.2", true),
            ("2001:db8::1", "2001:db8::2", true),
        ] {
            let pkt = encapsulated(s, d, csum);
            let out = Decapsulator::default().decap(&pkt).unwrap();
            assert_eq!(out.vxlan.vni.get(), 4242);
            assert_eq!(out.frame, &frame()[..]);
            assert_eq!(out.src(), s.parse::<IpAddr>().unwrap());
            assert_eq!(out.ttl, 64);
        }
    }

    type Check = fn(&DecapError) -> bool;

    #[test]
    fn every_reason_is_typed_and_counted() {
        let d = Decapsulator::default();
        let mut counters = DecapCounters::default();
        let good = encapsulated("10.0.0.1", "10.0.0.2", true);
        let cases: Vec<(Vec<u8>, Check)> = vec![
            (good[..30].to_vec(), |e| {
                matches!(
                    e,
                    DecapError::Truncated {
                        layer: Layer::Ipv4,
                        ..
                    }
                )
            }),
            (
                {
                    let mut p = good.clone();
                    p[10] ^= 1;
                    p
                },
                |e| {
                    matches!(
                        e,
                        DecapError::BadChecksum {
                            layer: Layer::Ipv4,
                            ..
                        }
                    )
                },
            ),
            (
                {
                    let mut p = good.clone();
                    p[60] ^= 1;
                    p
                },
                |e| {
                    matches!(
                        e,
                        DecapError::BadChecksum {
                            layer: Layer::Udp,
                            ..
                        }
                    )
                },
            ),
            (
                {
                    let mut p = good.clone();
                    p[0] = 0x44;
                    p
                },
                |e| {
                    matches!(
                        e,
                        DecapError::Malformed {
                            field: "header length",
                            ..
                        }
                    )
                },
            ),
            (vec![0x25; 40], |e| {
                matches!(
                    e,
                    DecapError::Malformed {
                        field: "version",
                        ..
                    }
                )
            }),
            (reheader(&good, |p| p[6] = 0x20), |e| {
                matches!(e, DecapError::Fragment { .. })
            }),
            (reheader(&good, |p| p[9] = 6), |e| {
                matches!(
                    e,
                    DecapError::NotVxlan {
                        what: "ip protocol",
                        value: 6
                    }
                )
            }),
            (
                reudp(&good, |u| u[2..4].copy_from_slice(&8472u16.to_be_bytes())),
                |e| {
                    matches!(
                        e,
                        DecapError::WrongPort {
                            port: 8472,
                            expected: 4789
                        }
                    )
                },
            ),
            (reudp(&good, |u| u[8] = 0), |e| {
                matches!(e, DecapError::VniFlagMissing { flags: 0 })
            }),
            (reudp_len(&good, 8 + 8 + 13), |e| {
                matches!(e, DecapError::InnerFrameTooShort { len: 13, min: 14 })
            }),
        ];
        for (pkt, check) in &cases {
            let err = counters.observe(d.decap(pkt)).unwrap_err();
            assert!(check(&err), "unexpected {err:?}");
        }
        assert_eq!(counters.failures(), cases.len() as u64);
        assert_eq!(counters.bad_checksum, 2);
        let v6 = encapsulated("2001:db8::1", "2001:db8::2", false);
        assert_eq!(d.decap(&v6), Err(DecapError::ZeroChecksumV6));
        let lax = Decapsulator {
            require_udp_checksum_v6: false,
            ..d
        };
        assert!(lax.decap(&v6).is_ok());
        assert!(counters.observe(d.decap(&good)).is_ok());
        assert_eq!(counters.ok, 1);
    }

    /// Applies `f` to the IPv4 header and refreshes its checksum.
    fn reheader(pkt: &[u8], f: impl Fn(&mut [u8])) -> Vec<u8> {
        let mut p = pkt.to_vec();
        f(&mut p[..20]);
        p[10..12].copy_from_slice(&[0, 0]);
        let c = checksum::checksum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p
    }

    /// Applies `f` to the UDP datagram (no checksum) of an IPv4 packet.
    fn reudp(pkt: &[u8], f: impl Fn(&mut [u8])) -> Vec<u8> {
        let mut p = pkt.to_vec();
        f(&mut p[20..]);
        p[26..28].copy_from_slice(&[0, 0]);
        p
    }

    /// Truncates the UDP datagram to `len` and fixes the length fields.
    fn reudp_len(pkt: &[u8], len: usize) -> Vec<u8> {
        let mut p = pkt[..20 + len].to_vec();
        p[24..26].copy_from_slice(&(len as u16).to_be_bytes());
        reheader(&reudp(&p, |_| {}), |h| {
            h[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes())
        })
    }

    proptest::proptest! {
        /// Whatever the frame, tunnel and options, decap returns exactly what encap wrapped.
        #[test]
        fn encap_then_decap_is_identity(
            frame in proptest::collection::vec(proptest::num::u8::ANY, 14..1600),
            vni in 0u32..=Vni::MAX,
            v6 in proptest::bool::ANY,
            csum in proptest::bool::ANY,
            ttl in 1u8..,
            key in proptest::num::u64::ANY,
        ) {
            let (s, d): (IpAddr, IpAddr) = if v6 {
                ("2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap())
            } else {
                ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap())
            };
            let e = VxlanEncap::new(s, d, Vni::new(vni).unwrap())
                .unwrap()
                .with_udp_checksum(csum)
                .with_ttl(ttl)
                .with_flow_key(key);
            let mut buf = vec![0u8; e.overhead()];
            buf.extend_from_slice(&frame);
            let h = e.overhead();
            let pkt = e.encap_in_place(&mut buf, h, frame.len()).unwrap().to_vec();
            let rx = Decapsulator { require_udp_checksum_v6: csum, ..Decapsulator::default() };
            let out = rx.decap(&pkt).unwrap();
            proptest::prop_assert_eq!(out.frame, &frame[..]);
            proptest::prop_assert_eq!(out.vxlan.vni.get(), vni);
            proptest::prop_assert_eq!((out.src(), out.dst(), out.ttl), (s, d, ttl));
            proptest::prop_assert_eq!(out.src_port, e.src_port(&frame));
        }
    }

    proptest::proptest! {
        /// The fast path never disagrees with the general path: on any mutation of a valid
        /// packet (headers, lengths, checksums, flags, truncation) it either declines or
        /// returns exactly what the general path returns, and it declines no valid packet of
        /// its shape.
        #[test]
        fn fast_path_agrees_with_general_path(
            csum in proptest::bool::ANY,
            mode in 0u8..3,
            verify in proptest::bool::ANY,
            edits in proptest::collection::vec((0usize..64, proptest::num::u8::ANY), 0..4),
            cut in 0usize..120,
            refresh_ip_checksum in proptest::bool::ANY,
        ) {
            let mut pkt = encapsulated("10.0.0.1", "10.0.0.2", csum);
            for (at, value) in edits {
                pkt[at] = value;
            }
            if refresh_ip_checksum {
                // So that edits to other fields are seen by the checks after the checksum.
                pkt = reheader(&pkt, |_| {});
            }
            pkt.truncate(pkt.len() - cut.min(pkt.len()));
            let ext_mode = [VxlanExtMode::Plain, VxlanExtMode::Gbp, VxlanExtMode::Gpe][mode as usize];
            let d = Decapsulator { ext_mode, verify_udp_checksum: verify, ..Decapsulator::default() };
            let general = d.decap_general(&pkt);
            match d.decap_v4_fast(&pkt) {
                Some(fast) => proptest::prop_assert_eq!(Ok(fast), general),
                None => proptest::prop_assert!(
                    general.is_err() || pkt[0] != 0x45 || ext_mode == VxlanExtMode::Gpe,
                    "fast path declined a valid packet: {:?}", general
                ),
            }
            proptest::prop_assert_eq!(d.decap(&pkt), general);
        }
    }

    #[test]
    fn fast_path_takes_the_common_shapes() {
        for csum in [false, true] {
            let pkt = encapsulated("10.0.0.1", "10.0.0.2", csum);
            for ext_mode in [VxlanExtMode::Plain, VxlanExtMode::Gbp] {
                let d = Decapsulator {
                    ext_mode,
                    ..Decapsulator::default()
                };
                assert_eq!(d.decap_v4_fast(&pkt), d.decap_general(&pkt).ok());
                assert!(d.decap_v4_fast(&pkt).is_some());
            }
        }
    }

    #[test]
    fn decap_from_ethernet_and_udp_payload() {
        let pkt = encapsulated("10.0.0.1", "10.0.0.2", false);
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&pkt);
        let d = Decapsulator::default();
        assert_eq!(d.decap_ethernet(&eth).unwrap().frame, &frame()[..]);
        eth[12] = 0x88;
        assert!(matches!(
            d.decap_ethernet(&eth),
            Err(DecapError::NotVxlan {
                what: "ethertype",
                ..
            })
        ));
        let (repr, inner) = d.decap_udp_payload(&pkt[28..]).unwrap();
        assert_eq!(repr.vni.get(), 4242);
        assert_eq!(inner, &frame()[..]);
    }
}
