//! UDP (RFC 768): a zero-copy view, checksums over the IPv4 and IPv6 pseudo-headers, and a
//! repr.
//!
//! Owns the UDP header and its checksum rules: a zero checksum means "none" over IPv4, and
//! over IPv6 only where the caller allows it for a tunnel (RFC 6935/6936).

use super::checksum;
use super::error::{Layer, WireError, truncated};
use super::{be16, set_be16};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Length of the UDP header.
pub const UDP_HEADER_LEN: usize = 8;

/// The addresses of the pseudo-header a UDP checksum covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PseudoHeader {
    /// Over IPv4.
    V4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
    },
    /// Over IPv6.
    V6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
    },
}

impl PseudoHeader {
    /// Builds the pseudo-header from two addresses of one family.
    pub fn new(src: IpAddr, dst: IpAddr) -> Result<PseudoHeader, WireError> {
        match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Ok(PseudoHeader::V4 { src, dst }),
            (IpAddr::V6(src), IpAddr::V6(dst)) => Ok(PseudoHeader::V6 { src, dst }),
            _ => Err(WireError::MixedFamilies { src, dst }),
        }
    }

    /// Unfolded sum of this pseudo-header for `protocol` and `length`.
    pub fn sum(&self, protocol: u8, length: usize) -> u64 {
        match *self {
            PseudoHeader::V4 { src, dst } => {
                checksum::pseudo_header_v4(src, dst, protocol, length as u32)
            }
            PseudoHeader::V6 { src, dst } => {
                checksum::pseudo_header_v6(src, dst, protocol, length as u32)
            }
        }
    }
}

/// What to accept when a received UDP checksum is zero ("no checksum").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZeroChecksumPolicy {
    /// Accept zero over IPv6. RFC 8200 forbids it in general; RFC 6935/6936 allow it for
    /// tunnels that opt in (Linux: `udp6zerocsumrx`). Over IPv4 zero is always accepted.
    pub allow_v6: bool,
}

/// A view of a UDP datagram in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checks. Accessors may panic on short buffers.
    #[inline]
    pub fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    /// Wraps a buffer after checking the header and that the length field lies within
    /// 8..=buffer length. Bytes after the datagram are allowed.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        let len = p.buffer.as_ref().len();
        if len < UDP_HEADER_LEN {
            return Err(truncated(Layer::Udp, UDP_HEADER_LEN, len));
        }
        let field = usize::from(p.len());
        if field < UDP_HEADER_LEN || field > len {
            return Err(WireError::BadLength {
                layer: Layer::Udp,
                field: "length",
                value: field,
                available: len,
            });
        }
        Ok(p)
    }

    /// Source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }

    /// Destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }

    /// Length field (header and payload).
    #[inline]
    pub fn len(&self) -> u16 {
        be16(self.buffer.as_ref(), 4)
    }

    /// Whether the length field says there is no payload.
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= UDP_HEADER_LEN
    }

    /// Checksum as stored (0 = none).
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), 6)
    }

    /// The checksum the datagram should carry for `pseudo` (never 0: a computed 0 is sent as
    /// 0xffff, RFC 768).
    pub fn compute_checksum(&self, pseudo: &PseudoHeader) -> u16 {
        let len = usize::from(self.len());
        let d = &self.buffer.as_ref()[..len];
        let sum = checksum::remove(
            checksum::accumulate(pseudo.sum(17, len), d),
            self.checksum(),
        );
        match !checksum::fold(sum) {
            0 => 0xffff,
            c => c,
        }
    }

    /// Verifies the checksum; a zero checksum passes only as `policy` allows.
    pub fn verify_checksum(
        &self,
        pseudo: &PseudoHeader,
        policy: ZeroChecksumPolicy,
    ) -> Result<(), WireError> {
        let stored = self.checksum();
        if stored == 0 {
            return match pseudo {
                PseudoHeader::V4 { .. } => Ok(()),
                PseudoHeader::V6 { .. } if policy.allow_v6 => Ok(()),
                PseudoHeader::V6 { .. } => Err(WireError::BadChecksum {
                    layer: Layer::Udp,
                    stored,
                    computed: self.compute_checksum(pseudo),
                }),
            };
        }
        let len = usize::from(self.len());
        let sum = checksum::accumulate(pseudo.sum(17, len), &self.buffer.as_ref()[..len]);
        if checksum::fold(sum) == 0xffff {
            Ok(())
        } else {
            Err(WireError::BadChecksum {
                layer: Layer::Udp,
                stored,
                computed: self.compute_checksum(pseudo),
            })
        }
    }

    /// The payload (up to the length field).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[UDP_HEADER_LEN..usize::from(self.len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, port: u16) {
        set_be16(self.buffer.as_mut(), 0, port);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, port: u16) {
        set_be16(self.buffer.as_mut(), 2, port);
    }

    /// Sets the checksum field as given (0 = none).
    pub fn set_checksum(&mut self, c: u16) {
        set_be16(self.buffer.as_mut(), 6, c);
    }

    /// Computes and stores the checksum for `pseudo`.
    pub fn fill_checksum(&mut self, pseudo: &PseudoHeader) {
        self.set_checksum(0);
        let c = self.compute_checksum(pseudo);
        self.set_checksum(c);
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        &mut self.buffer.as_mut()[UDP_HEADER_LEN..end]
    }
}

/// The fields of a UDP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload length.
    pub payload_len: usize,
}

impl UdpRepr {
    /// Reads a datagram and verifies its checksum against `pseudo` under `policy`.
    pub fn parse<T: AsRef<[u8]>>(
        p: &UdpPacket<T>,
        pseudo: &PseudoHeader,
        policy: ZeroChecksumPolicy,
    ) -> Result<UdpRepr, WireError> {
        let p = UdpPacket::new_checked(p.buffer.as_ref())?;
        p.verify_checksum(pseudo, policy)?;
        Ok(UdpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            payload_len: usize::from(p.len()) - UDP_HEADER_LEN,
        })
    }

    /// Always [`UDP_HEADER_LEN`].
    pub fn buffer_len(&self) -> usize {
        UDP_HEADER_LEN
    }

    /// Writes the header at the start of `buf`, whose payload must already be in place after
    /// it. With `pseudo` the checksum is filled in, without it the checksum is 0 (only valid
    /// over IPv4 or for IPv6 tunnels that allow it).
    pub fn emit(&self, buf: &mut [u8], pseudo: Option<&PseudoHeader>) -> Result<(), WireError> {
        let len = UDP_HEADER_LEN + self.payload_len;
        if len > usize::from(u16::MAX) {
            return Err(WireError::TooLong {
                layer: Layer::Udp,
                len,
            });
        }
        if buf.len() < len {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Udp,
                needed: len,
                got: buf.len(),
            });
        }
        set_be16(buf, 0, self.src_port);
        set_be16(buf, 2, self.dst_port);
        set_be16(buf, 4, len as u16);
        set_be16(buf, 6, 0);
        if let Some(pseudo) = pseudo {
            UdpPacket::new_unchecked(&mut buf[..len]).fill_checksum(pseudo);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4() -> PseudoHeader {
        PseudoHeader::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()).unwrap()
    }

    fn v6() -> PseudoHeader {
        PseudoHeader::new(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn checksum_roundtrip_v4_v6_and_zero_policy() {
        for pseudo in [v4(), v6()] {
            let mut buf = vec![0u8; 8 + 5];
            buf[8..].copy_from_slice(b"hello");
            let r = UdpRepr {
                src_port: 50000,
                dst_port: 4789,
                payload_len: 5,
            };
            r.emit(&mut buf, Some(&pseudo)).unwrap();
            let p = UdpPacket::new_checked(&buf[..]).unwrap();
            assert_ne!(p.checksum(), 0);
            assert_eq!(
                UdpRepr::parse(&p, &pseudo, ZeroChecksumPolicy { allow_v6: false }).unwrap(),
                r
            );
            buf[9] ^= 0x40;
            let p = UdpPacket::new_checked(&buf[..]).unwrap();
            assert!(matches!(
                p.verify_checksum(&pseudo, ZeroChecksumPolicy { allow_v6: true }),
                Err(WireError::BadChecksum {
                    layer: Layer::Udp,
                    ..
                })
            ));
        }
        let mut buf = [0u8; 8];
        UdpRepr {
            src_port: 1,
            dst_port: 2,
            payload_len: 0,
        }
        .emit(&mut buf, None)
        .unwrap();
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        let strict = ZeroChecksumPolicy { allow_v6: false };
        assert!(p.verify_checksum(&v4(), strict).is_ok());
        assert!(p.verify_checksum(&v6(), strict).is_err());
        assert!(
            p.verify_checksum(&v6(), ZeroChecksumPolicy { allow_v6: true })
                .is_ok()
        );
    }

    #[test]
    fn rejects_bad_length_and_mixed_families() {
        let buf = [0, 1, 0, 2, 0, 7, 0, 0];
        assert!(matches!(
            UdpPacket::new_checked(&buf[..]),
            Err(WireError::BadLength { value: 7, .. })
        ));
        let buf = [0, 1, 0, 2, 0, 9, 0, 0];
        assert!(matches!(
            UdpPacket::new_checked(&buf[..]),
            Err(WireError::BadLength { value: 9, .. })
        ));
        assert!(matches!(
            PseudoHeader::new("10.0.0.1".parse().unwrap(), "::1".parse().unwrap()),
            Err(WireError::MixedFamilies { .. })
        ));
    }
}
