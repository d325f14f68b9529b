//! IPv4 headers (RFC 791): a zero-copy view with header checksum, options and fragment
//! fields, and its repr.
//!
//! Owns the IPv4 header layout only. Reassembly is not done here: fragments are reported
//! ([`Ipv4Packet::is_fragment`]) and left to the caller.

use super::checksum;
use super::error::{Layer, WireError, truncated};
use super::{be16, set_be16};
use std::net::Ipv4Addr;

/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// IP protocol number of ICMP.
pub const PROTO_ICMP: u8 = 1;

/// A view of an IPv4 packet in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checks. Accessors may panic on short buffers.
    #[inline]
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after checking that the header, the header length and the total length
    /// are consistent with it. Bytes after `total_len` (link-layer padding) are allowed.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        let len = p.buffer.as_ref().len();
        if len < IPV4_HEADER_LEN {
            return Err(truncated(Layer::Ipv4, IPV4_HEADER_LEN, len));
        }
        let bad = |field, value| WireError::BadLength {
            layer: Layer::Ipv4,
            field,
            value,
            available: len,
        };
        let header_len = p.header_len();
        if header_len < IPV4_HEADER_LEN || header_len > len {
            return Err(bad("header length", header_len));
        }
        let total = usize::from(p.total_len());
        if total < header_len || total > len {
            return Err(bad("total length", total));
        }
        Ok(p)
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Version field (4 for IPv4).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// Header length in bytes (IHL × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[0] & 0x0f) * 4
    }

    /// DSCP and ECN byte (the former TOS).
    #[inline]
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[1]
    }

    /// Total length (header and payload).
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }

    /// Identification.
    #[inline]
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), 4)
    }

    /// Don't Fragment flag.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.buffer.as_ref()[6] & 0x40 != 0
    }

    /// More Fragments flag.
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.buffer.as_ref()[6] & 0x20 != 0
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (be16(self.buffer.as_ref(), 6) & 0x1fff) << 3
    }

    /// Whether this packet is a fragment (MF set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// Time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[8]
    }

    /// Protocol of the payload.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[9]
    }

    /// Header checksum as stored.
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), 10)
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[12], b[13], b[14], b[15])
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[16], b[17], b[18], b[19])
    }

    /// The options bytes (between the fixed header and the payload).
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[IPV4_HEADER_LEN..self.header_len()]
    }

    /// Whether the header checksum is correct.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        let header = &self.buffer.as_ref()[..self.header_len()];
        checksum::fold(checksum::header_sum(header)) == 0xffff
    }

    /// The checksum the header should carry.
    pub fn compute_checksum(&self) -> u16 {
        let h = &self.buffer.as_ref()[..self.header_len()];
        let sum = checksum::remove(checksum::accumulate(0, h), self.checksum());
        !checksum::fold(sum)
    }

    /// The payload: from the end of the header to `total_len` (padding excluded).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets the TTL (the checksum must be refilled afterwards).
    pub fn set_ttl(&mut self, ttl: u8) {
        self.buffer.as_mut()[8] = ttl;
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, ident: u16) {
        set_be16(self.buffer.as_mut(), 4, ident);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[12..16].copy_from_slice(&addr.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[16..20].copy_from_slice(&addr.octets());
    }

    /// Recomputes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        set_be16(self.buffer.as_mut(), 10, 0);
        let c = checksum::checksum(&self.buffer.as_ref()[..self.header_len()]);
        set_be16(self.buffer.as_mut(), 10, c);
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.header_len(), usize::from(self.total_len()));
        &mut self.buffer.as_mut()[start..end]
    }
}

/// The fields of an IPv4 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Repr<'a> {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Payload protocol.
    pub protocol: u8,
    /// Payload length in bytes.
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// DSCP and ECN.
    pub tos: u8,
    /// Identification.
    pub ident: u16,
    /// Don't Fragment.
    pub dont_frag: bool,
    /// More Fragments.
    pub more_frags: bool,
    /// Fragment offset in bytes (a multiple of 8).
    pub frag_offset: u16,
    /// Options, a multiple of 4 bytes, at most 40.
    pub options: &'a [u8],
}

impl<'a> Ipv4Repr<'a> {
    /// Reads a checked packet: version must be 4 and the header checksum must be correct.
    #[inline]
    pub fn parse(p: &Ipv4Packet<&'a [u8]>) -> Result<Ipv4Repr<'a>, WireError> {
        let p = Ipv4Packet::new_checked(p.buffer)?;
        if p.version() != 4 {
            return Err(WireError::BadVersion {
                layer: Layer::Ipv4,
                version: p.version(),
            });
        }
        if !p.verify_checksum() {
            return Err(WireError::BadChecksum {
                layer: Layer::Ipv4,
                stored: p.checksum(),
                computed: p.compute_checksum(),
            });
        }
        Ok(Ipv4Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            protocol: p.protocol(),
            payload_len: usize::from(p.total_len()) - p.header_len(),
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: p.more_frags(),
            frag_offset: p.frag_offset(),
            options: p.options_static(),
        })
    }

    /// Header length this repr emits.
    pub fn buffer_len(&self) -> usize {
        IPV4_HEADER_LEN + self.options.len()
    }

    /// Writes the header (with checksum) at the start of `buf`; the payload is not touched.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let invalid = |field, value: usize| WireError::InvalidField {
            layer: Layer::Ipv4,
            field,
            value: value as u32,
        };
        if self.options.len() % 4 != 0 || self.options.len() > 40 {
            return Err(invalid("options length", self.options.len()));
        }
        if self.frag_offset % 8 != 0 {
            return Err(invalid("fragment offset", self.frag_offset.into()));
        }
        let header_len = self.buffer_len();
        let total = header_len + self.payload_len;
        if total > usize::from(u16::MAX) {
            return Err(WireError::TooLong {
                layer: Layer::Ipv4,
                len: total,
            });
        }
        if buf.len() < header_len {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Ipv4,
                needed: header_len,
                got: buf.len(),
            });
        }
        buf[0] = 0x40 | (header_len / 4) as u8;
        buf[1] = self.tos;
        set_be16(buf, 2, total as u16);
        set_be16(buf, 4, self.ident);
        let flags = u16::from(self.dont_frag) << 14 | u16::from(self.more_frags) << 13;
        set_be16(buf, 6, flags | self.frag_offset >> 3);
        buf[8] = self.ttl;
        buf[9] = self.protocol;
        set_be16(buf, 10, 0);
        buf[12..16].copy_from_slice(&self.src_addr.octets());
        buf[16..20].copy_from_slice(&self.dst_addr.octets());
        buf[20..header_len].copy_from_slice(self.options);
        let c = checksum::checksum(&buf[..header_len]);
        set_be16(buf, 10, c);
        Ok(())
    }
}

impl<'a> Ipv4Packet<&'a [u8]> {
    /// The options with the buffer's lifetime.
    #[inline]
    fn options_static(&self) -> &'a [u8] {
        &self.buffer[IPV4_HEADER_LEN..self.header_len()]
    }

    /// The payload with the buffer's lifetime.
    #[inline]
    pub fn payload_slice(&self) -> &'a [u8] {
        &self.buffer[self.header_len()..usize::from(self.total_len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4/UDP header from a real capture (checksum 0xb861).
    const HDR: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    fn packet() -> Vec<u8> {
        let mut v = HDR.to_vec();
        v.resize(0x73, 0xaa);
        v
    }

    #[test]
    fn parse_emit_roundtrip() {
        let buf = packet();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum());
        let r = Ipv4Repr::parse(&p).unwrap();
        assert_eq!(r.src_addr, Ipv4Addr::new(192, 168, 0, 1));
        assert_eq!(r.protocol, PROTO_UDP);
        assert!(r.dont_frag && !p.is_fragment());
        assert_eq!(r.payload_len, 0x73 - 20);
        let mut out = [0u8; 20];
        r.emit(&mut out).unwrap();
        assert_eq!(out, HDR);
    }

    #[test]
    fn reports_fragments_and_options() {
        let opts = [0x94, 0x04, 0x00, 0x00]; // Router Alert
        let r = Ipv4Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 1),
            dst_addr: Ipv4Addr::new(10, 0, 0, 2),
            protocol: PROTO_UDP,
            payload_len: 8,
            ttl: 1,
            tos: 0,
            ident: 7,
            dont_frag: false,
            more_frags: true,
            frag_offset: 1480,
            options: &opts,
        };
        let mut buf = vec![0u8; r.buffer_len() + 8];
        r.emit(&mut buf).unwrap();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(p.is_fragment());
        assert_eq!(p.frag_offset(), 1480);
        assert_eq!(p.options(), &opts);
        assert_eq!(Ipv4Repr::parse(&p).unwrap(), r);
    }

    #[test]
    fn rejects_bad_checksum_lengths_and_version() {
        let mut buf = packet();
        buf[11] ^= 1;
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(matches!(
            Ipv4Repr::parse(&p),
            Err(WireError::BadChecksum {
                layer: Layer::Ipv4,
                stored: 0xb860,
                computed: 0xb861
            })
        ));
        let buf = packet();
        assert!(matches!(
            Ipv4Packet::new_checked(&buf[..0x72]),
            Err(WireError::BadLength {
                field: "total length",
                value: 0x73,
                available: 0x72,
                ..
            })
        ));
        let mut buf = packet();
        buf[0] = 0x44;
        assert!(matches!(
            Ipv4Packet::new_checked(&buf[..]),
            Err(WireError::BadLength {
                field: "header length",
                value: 16,
                ..
            })
        ));
        let mut buf = packet();
        buf[0] = 0x65;
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(matches!(
            Ipv4Repr::parse(&p),
            Err(WireError::BadVersion { version: 6, .. })
        ));
    }
}
