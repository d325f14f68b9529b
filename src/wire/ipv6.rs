//! IPv6 headers (RFC 8200): a zero-copy view, its repr, and a walk over extension headers to
//! the upper-layer protocol.
//!
//! Owns the fixed header and the generic extension-header chain (Hop-by-Hop, Routing,
//! Fragment, Destination Options, AH). It does not interpret option contents or reassemble.

use super::error::{Layer, WireError, truncated};
use super::{be16, set_be16};
use std::net::Ipv6Addr;

/// Length of the fixed IPv6 header.
pub const IPV6_HEADER_LEN: usize = 40;
/// Next-header value of Hop-by-Hop Options.
pub const NH_HOP_BY_HOP: u8 = 0;
/// Next-header value of the Routing header.
pub const NH_ROUTING: u8 = 43;
/// Next-header value of the Fragment header.
pub const NH_FRAGMENT: u8 = 44;
/// Next-header value of ESP.
pub const NH_ESP: u8 = 50;
/// Next-header value of AH.
pub const NH_AH: u8 = 51;
/// Next-header value of ICMPv6.
pub const NH_ICMPV6: u8 = 58;
/// Next-header value of "no next header".
pub const NH_NONE: u8 = 59;
/// Next-header value of Destination Options.
pub const NH_DEST_OPTS: u8 = 60;

/// A view of an IPv6 packet in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

/// Where the upper-layer header starts, found by [`Ipv6Packet::upper_layer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// Protocol of the upper layer (e.g. 17 for UDP); [`NH_ESP`] or [`NH_NONE`] end the walk.
    pub protocol: u8,
    /// Offset of the upper-layer header from the start of the IPv6 header.
    pub offset: usize,
    /// Whether a Fragment header says this is a fragment (offset ≠ 0 or M set).
    pub fragment: bool,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checks. Accessors may panic on short buffers.
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }

    /// Wraps a buffer after checking it holds the fixed header and the declared payload.
    /// Bytes after the payload (link-layer padding) are allowed.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        let len = p.buffer.as_ref().len();
        if len < IPV6_HEADER_LEN {
            return Err(truncated(Layer::Ipv6, IPV6_HEADER_LEN, len));
        }
        let total = IPV6_HEADER_LEN + usize::from(p.payload_len());
        if total > len {
            return Err(WireError::BadLength {
                layer: Layer::Ipv6,
                field: "payload length",
                value: usize::from(p.payload_len()),
                available: len - IPV6_HEADER_LEN,
            });
        }
        Ok(p)
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Version field (6).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        let b = self.buffer.as_ref();
        (b[0] << 4) | (b[1] >> 4)
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([0, b[1] & 0x0f, b[2], b[3]])
    }

    /// Payload length (everything after the fixed header, extension headers included).
    pub fn payload_len(&self) -> u16 {
        be16(self.buffer.as_ref(), 4)
    }

    /// The Next Header field of the fixed header.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[6]
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[7]
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[8..24])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[24..40])
    }

    /// The payload: extension headers and upper layer, padding excluded.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[IPV6_HEADER_LEN..IPV6_HEADER_LEN + usize::from(self.payload_len())]
    }

    /// Skips extension headers and returns where the upper layer starts. The walk stops at the
    /// first header that is not Hop-by-Hop, Routing, Fragment, Destination Options or AH, and
    /// at a fragment that is not the first (its upper-layer header is elsewhere).
    pub fn upper_layer(&self) -> Result<UpperLayer, WireError> {
        let end = IPV6_HEADER_LEN + usize::from(self.payload_len());
        let b = &self.buffer.as_ref()[..end];
        let mut protocol = self.next_header();
        let mut offset = IPV6_HEADER_LEN;
        let mut fragment = false;
        loop {
            let ext_len = match protocol {
                NH_HOP_BY_HOP | NH_ROUTING | NH_DEST_OPTS | NH_FRAGMENT | NH_AH => {
                    if b.len() < offset + 8 {
                        return Err(truncated(Layer::Ipv6, offset + 8, b.len()));
                    }
                    match protocol {
                        NH_FRAGMENT => 8,
                        NH_AH => (usize::from(b[offset + 1]) + 2) * 4,
                        _ => (usize::from(b[offset + 1]) + 1) * 8,
                    }
                }
                _ => {
                    return Ok(UpperLayer {
                        protocol,
                        offset,
                        fragment,
                    });
                }
            };
            if b.len() < offset + ext_len {
                return Err(truncated(Layer::Ipv6, offset + ext_len, b.len()));
            }
            if protocol == NH_FRAGMENT {
                let frag = be16(b, offset + 2);
                fragment = true;
                if frag & 0xfff8 != 0 {
                    // Not the first fragment: what follows is not a header.
                    return Ok(UpperLayer {
                        protocol: b[offset],
                        offset: offset + 8,
                        fragment,
                    });
                }
                fragment = frag & 1 != 0;
            }
            protocol = b[offset];
            offset += ext_len;
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, hop_limit: u8) {
        self.buffer.as_mut()[7] = hop_limit;
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[8..24].copy_from_slice(&a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[24..40].copy_from_slice(&a.octets());
    }
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(b);
    Ipv6Addr::from(o)
}

/// The fields of the fixed IPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Next header of the fixed header.
    pub next_header: u8,
    /// Payload length (extension headers included).
    pub payload_len: usize,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// Reads a checked packet; the version must be 6.
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Result<Ipv6Repr, WireError> {
        let p = Ipv6Packet::new_checked(p.buffer.as_ref())?;
        if p.version() != 6 {
            return Err(WireError::BadVersion {
                layer: Layer::Ipv6,
                version: p.version(),
            });
        }
        Ok(Ipv6Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            next_header: p.next_header(),
            payload_len: usize::from(p.payload_len()),
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
        })
    }

    /// Always [`IPV6_HEADER_LEN`].
    pub fn buffer_len(&self) -> usize {
        IPV6_HEADER_LEN
    }

    /// Writes the fixed header at the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        if self.flow_label > 0xf_ffff {
            return Err(WireError::InvalidField {
                layer: Layer::Ipv6,
                field: "flow label",
                value: self.flow_label,
            });
        }
        if self.payload_len > usize::from(u16::MAX) {
            return Err(WireError::TooLong {
                layer: Layer::Ipv6,
                len: self.payload_len,
            });
        }
        if buf.len() < IPV6_HEADER_LEN {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Ipv6,
                needed: IPV6_HEADER_LEN,
                got: buf.len(),
            });
        }
        let word = 6u32 << 28 | u32::from(self.traffic_class) << 20 | self.flow_label;
        buf[0..4].copy_from_slice(&word.to_be_bytes());
        set_be16(buf, 4, self.payload_len as u16);
        buf[6] = self.next_header;
        buf[7] = self.hop_limit;
        buf[8..24].copy_from_slice(&self.src_addr.octets());
        buf[24..40].copy_from_slice(&self.dst_addr.octets());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(next: u8, payload_len: u16) -> Vec<u8> {
        let r = Ipv6Repr {
            src_addr: "2001:db8::1".parse().unwrap(),
            dst_addr: "2001:db8::2".parse().unwrap(),
            next_header: next,
            payload_len: payload_len.into(),
            hop_limit: 64,
            traffic_class: 0xb8,
            flow_label: 0x12345,
        };
        let mut v = vec![0u8; 40];
        r.emit(&mut v).unwrap();
        v
    }

    #[test]
    fn skips_extension_headers_to_udp() {
        let mut v = header(NH_HOP_BY_HOP, 8 + 16 + 8 + 8);
        v.extend_from_slice(&[NH_DEST_OPTS, 0, 1, 4, 0, 0, 0, 0]); // HBH, 8 bytes (PadN)
        v.extend_from_slice(&[NH_FRAGMENT, 1, 1, 12, 0, 0, 0, 0]); // DestOpts, 16 bytes
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 1]); // first fragment, offset 0, M=0
        v.extend_from_slice(&[0x12, 0x34, 0x12, 0xb5, 0, 8, 0, 0]); // UDP
        let p = Ipv6Packet::new_checked(&v[..]).unwrap();
        let r = Ipv6Repr::parse(&p).unwrap();
        assert_eq!(r.traffic_class, 0xb8);
        assert_eq!(r.flow_label, 0x12345);
        let ul = p.upper_layer().unwrap();
        assert_eq!(
            ul,
            UpperLayer {
                protocol: 17,
                offset: 40 + 8 + 16 + 8,
                fragment: false
            }
        );
        let mut out = [0u8; 40];
        r.emit(&mut out).unwrap();
        assert_eq!(out[..], v[..40]);
    }

    #[test]
    fn payload_beyond_buffer_is_rejected() {
        let v = header(17, 8);
        assert!(matches!(
            Ipv6Packet::new_checked(&v[..]),
            Err(WireError::BadLength {
                field: "payload length",
                value: 8,
                available: 0,
                ..
            })
        ));
        assert!(matches!(
            Ipv6Packet::new_checked(&v[..39]),
            Err(WireError::Truncated { needed: 40, .. })
        ));
    }

    #[test]
    fn later_fragment_and_truncated_chain() {
        let mut v = header(NH_FRAGMENT, 16);
        v.extend_from_slice(&[17, 0, 0x05, 0xa9, 0, 0, 0, 1]); // offset 181*8, M=1
        v.extend_from_slice(&[0; 8]);
        let p = Ipv6Packet::new_checked(&v[..]).unwrap();
        assert_eq!(
            p.upper_layer().unwrap(),
            UpperLayer {
                protocol: 17,
                offset: 48,
                fragment: true
            }
        );

        let mut v = header(NH_DEST_OPTS, 8);
        v.extend_from_slice(&[17, 1, 0, 0, 0, 0, 0, 0]); // claims 16 bytes
        let p = Ipv6Packet::new_checked(&v[..]).unwrap();
        assert!(matches!(
            p.upper_layer(),
            Err(WireError::Truncated {
                needed: 56,
                got: 48,
                ..
            })
        ));
    }
}
