//! Ethernet II frames with an optional 802.1Q VLAN tag: a zero-copy view and its repr.
//!
//! Owns the Ethernet header layout only; what follows the header is the payload slice.
//! Frame check sequences are not handled (the kernel, TAP devices and VXLAN never carry one).

use super::error::{Layer, WireError, truncated};
use super::{MacAddr, be16, set_be16};
use std::fmt;

/// An EtherType value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EtherType(pub u16);

impl EtherType {
    /// IPv4 (0x0800).
    pub const IPV4: EtherType = EtherType(0x0800);
    /// ARP (0x0806).
    pub const ARP: EtherType = EtherType(0x0806);
    /// 802.1Q VLAN tag (0x8100).
    pub const VLAN: EtherType = EtherType(0x8100);
    /// IPv6 (0x86dd).
    pub const IPV6: EtherType = EtherType(0x86dd);
}

impl fmt::Debug for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EtherType({:#06x})", self.0)
    }
}

/// Length of an untagged Ethernet header.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// Length of an 802.1Q tag.
pub const VLAN_TAG_LEN: usize = 4;

/// An 802.1Q tag: priority code point, drop eligible indicator and VLAN id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// Priority code point (3 bits).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (12 bits).
    pub vid: u16,
}

impl VlanTag {
    fn from_tci(tci: u16) -> VlanTag {
        VlanTag {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            vid: tci & 0x0fff,
        }
    }

    fn tci(&self) -> Result<u16, WireError> {
        if self.pcp > 7 {
            return Err(WireError::InvalidField {
                layer: Layer::Vlan,
                field: "pcp",
                value: self.pcp.into(),
            });
        }
        if self.vid > 0x0fff {
            return Err(WireError::InvalidField {
                layer: Layer::Vlan,
                field: "vid",
                value: self.vid.into(),
            });
        }
        Ok(u16::from(self.pcp) << 13 | u16::from(self.dei) << 12 | self.vid)
    }
}

/// A view of an Ethernet frame in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking its length. Accessors may panic on short buffers.
    #[inline]
    pub fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer after checking it holds the whole header (including a VLAN tag).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks the buffer holds the header, including an 802.1Q tag when there is one.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < ETHERNET_HEADER_LEN {
            return Err(truncated(Layer::Ethernet, ETHERNET_HEADER_LEN, len));
        }
        if self.header_len() > len {
            return Err(truncated(Layer::Vlan, self.header_len(), len));
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Destination MAC address.
    #[inline]
    pub fn dst_addr(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// Source MAC address.
    #[inline]
    pub fn src_addr(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[6], b[7], b[8], b[9], b[10], b[11]])
    }

    /// The EtherType at offset 12 (0x8100 for tagged frames).
    #[inline]
    pub fn outer_ethertype(&self) -> EtherType {
        EtherType(be16(self.buffer.as_ref(), 12))
    }

    /// The 802.1Q tag, if the frame is tagged.
    #[inline]
    pub fn vlan(&self) -> Option<VlanTag> {
        (self.outer_ethertype() == EtherType::VLAN)
            .then(|| VlanTag::from_tci(be16(self.buffer.as_ref(), 14)))
    }

    /// The EtherType of the payload (after the VLAN tag, if any).
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        if self.outer_ethertype() == EtherType::VLAN {
            EtherType(be16(self.buffer.as_ref(), 16))
        } else {
            self.outer_ethertype()
        }
    }

    /// Header length: 14, or 18 with a VLAN tag.
    #[inline]
    pub fn header_len(&self) -> usize {
        if self.outer_ethertype() == EtherType::VLAN {
            ETHERNET_HEADER_LEN + VLAN_TAG_LEN
        } else {
            ETHERNET_HEADER_LEN
        }
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination MAC address.
    pub fn set_dst_addr(&mut self, addr: MacAddr) {
        self.buffer.as_mut()[0..6].copy_from_slice(&addr.0);
    }

    /// Sets the source MAC address.
    pub fn set_src_addr(&mut self, addr: MacAddr) {
        self.buffer.as_mut()[6..12].copy_from_slice(&addr.0);
    }

    /// Sets the EtherType of the payload (after the VLAN tag, if any).
    pub fn set_ethertype(&mut self, ethertype: EtherType) {
        let at = self.header_len() - 2;
        set_be16(self.buffer.as_mut(), at, ethertype.0);
    }

    /// The bytes after the header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let at = self.header_len();
        &mut self.buffer.as_mut()[at..]
    }
}

/// The fields of an Ethernet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    /// Source MAC address.
    pub src_addr: MacAddr,
    /// Destination MAC address.
    pub dst_addr: MacAddr,
    /// 802.1Q tag, if any.
    pub vlan: Option<VlanTag>,
    /// EtherType of the payload.
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// Reads the header of a checked frame.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> Result<EthernetRepr, WireError> {
        frame.check_len()?;
        Ok(EthernetRepr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            vlan: frame.vlan(),
            ethertype: frame.ethertype(),
        })
    }

    /// Header length this repr emits.
    pub fn buffer_len(&self) -> usize {
        ETHERNET_HEADER_LEN + if self.vlan.is_some() { VLAN_TAG_LEN } else { 0 }
    }

    /// Writes the header at the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let needed = self.buffer_len();
        if buf.len() < needed {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Ethernet,
                needed,
                got: buf.len(),
            });
        }
        // Validate before writing anything, so a failure leaves the buffer untouched.
        let tci = self.vlan.map(|v| v.tci()).transpose()?;
        buf[0..6].copy_from_slice(&self.dst_addr.0);
        buf[6..12].copy_from_slice(&self.src_addr.0);
        match tci {
            Some(tci) => {
                set_be16(buf, 12, EtherType::VLAN.0);
                set_be16(buf, 14, tci);
                set_be16(buf, 16, self.ethertype.0);
            }
            None => set_be16(buf, 12, self.ethertype.0),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGGED: [u8; 22] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x42, 0x0a, 0x00, 0x01, 0x05, 0x81, 0x00, 0xa0,
        0x64, 0x08, 0x06, 0xde, 0xad, 0xbe, 0xef,
    ];

    #[test]
    fn parses_vlan_tagged_frame() {
        let f = EthernetFrame::new_checked(&TAGGED[..]).unwrap();
        let r = EthernetRepr::parse(&f).unwrap();
        assert_eq!(r.dst_addr, MacAddr::BROADCAST);
        assert_eq!(r.src_addr.to_string(), "02:42:0a:00:01:05");
        assert_eq!(
            r.vlan,
            Some(VlanTag {
                pcp: 5,
                dei: false,
                vid: 100
            })
        );
        assert_eq!(r.ethertype, EtherType::ARP);
        assert_eq!(f.payload(), &[0xde, 0xad, 0xbe, 0xef]);
        let mut out = [0u8; 18];
        r.emit(&mut out).unwrap();
        assert_eq!(out, TAGGED[..18]);
    }

    #[test]
    fn truncated_tag_is_an_error() {
        let err = EthernetFrame::new_checked(&TAGGED[..16]).unwrap_err();
        assert!(matches!(
            err,
            WireError::Truncated {
                layer: Layer::Vlan,
                needed: 18,
                got: 16
            }
        ));
        assert!(EthernetFrame::new_checked(&TAGGED[..13]).is_err());
    }

    #[test]
    fn emit_rejects_bad_vid_without_writing() {
        let r = EthernetRepr {
            src_addr: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_addr: MacAddr::BROADCAST,
            vlan: Some(VlanTag {
                pcp: 0,
                dei: false,
                vid: 4096,
            }),
            ethertype: EtherType::IPV4,
        };
        let mut out = [0u8; 18];
        assert!(matches!(
            r.emit(&mut out),
            Err(WireError::InvalidField { field: "vid", .. })
        ));
        assert_eq!(out, [0u8; 18]);
    }
}
