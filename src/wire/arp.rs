//! ARP for Ethernet/IPv4 (RFC 826): a zero-copy view, its repr, and the proxy reply.
//!
//! Owns the ARP packet layout. Deciding whether to answer (peer table lookups) is the
//! caller's job; [`ArpRepr::proxy_reply`] only builds the answer.

use super::error::{Layer, WireError, truncated};
use super::{MacAddr, be16, set_be16};
use std::net::Ipv4Addr;

/// Length of an Ethernet/IPv4 ARP packet.
pub const ARP_LEN: usize = 28;

/// The ARP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArpOperation {
    /// Who has `target_ip`? (1)
    Request,
    /// `sender_ip` is at `sender_mac`. (2)
    Reply,
    /// Any other operation code (RARP and friends).
    Unknown(u16),
}

impl From<u16> for ArpOperation {
    fn from(v: u16) -> Self {
        match v {
            1 => ArpOperation::Request,
            2 => ArpOperation::Reply,
            other => ArpOperation::Unknown(other),
        }
    }
}

impl From<ArpOperation> for u16 {
    fn from(op: ArpOperation) -> u16 {
        match op {
            ArpOperation::Request => 1,
            ArpOperation::Reply => 2,
            ArpOperation::Unknown(v) => v,
        }
    }
}

/// A view of an ARP packet in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps a buffer without checks. Accessors may panic on short buffers.
    pub fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }

    /// Wraps a buffer after checking it holds the fixed header and both address pairs
    /// (whatever their declared lengths).
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        let len = p.buffer.as_ref().len();
        if len < 8 {
            return Err(truncated(Layer::Arp, 8, len));
        }
        let needed = 8 + 2 * (usize::from(p.hardware_len()) + usize::from(p.protocol_len()));
        if len < needed {
            return Err(truncated(Layer::Arp, needed, len));
        }
        Ok(p)
    }

    /// Hardware type (1 = Ethernet).
    pub fn hardware_type(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }

    /// Protocol type (0x0800 = IPv4).
    pub fn protocol_type(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }

    /// Hardware address length.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[4]
    }

    /// Protocol address length.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[5]
    }

    /// Operation code.
    pub fn operation(&self) -> ArpOperation {
        be16(self.buffer.as_ref(), 6).into()
    }

    fn field(&self, index: usize) -> &[u8] {
        let h = usize::from(self.hardware_len());
        let p = usize::from(self.protocol_len());
        let starts = [8, 8 + h, 8 + h + p, 8 + 2 * h + p];
        let lens = [h, p, h, p];
        &self.buffer.as_ref()[starts[index]..starts[index] + lens[index]]
    }

    /// Sender hardware address bytes.
    pub fn sender_hardware_addr(&self) -> &[u8] {
        self.field(0)
    }

    /// Sender protocol address bytes.
    pub fn sender_protocol_addr(&self) -> &[u8] {
        self.field(1)
    }

    /// Target hardware address bytes.
    pub fn target_hardware_addr(&self) -> &[u8] {
        self.field(2)
    }

    /// Target protocol address bytes.
    pub fn target_protocol_addr(&self) -> &[u8] {
        self.field(3)
    }
}

/// An Ethernet/IPv4 ARP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    /// Operation.
    pub operation: ArpOperation,
    /// Sender MAC address.
    pub sender_mac: MacAddr,
    /// Sender IPv4 address.
    pub sender_ip: Ipv4Addr,
    /// Target MAC address (zero in requests).
    pub target_mac: MacAddr,
    /// Target IPv4 address.
    pub target_ip: Ipv4Addr,
}

fn mac(b: &[u8]) -> MacAddr {
    let mut o = [0u8; 6];
    o.copy_from_slice(b);
    MacAddr(o)
}

fn ipv4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

impl ArpRepr {
    /// Reads an Ethernet/IPv4 ARP packet; other hardware or protocol types are `Unsupported`.
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Result<ArpRepr, WireError> {
        let unsupported = |field, value: u32| WireError::Unsupported {
            layer: Layer::Arp,
            field,
            value,
        };
        if p.hardware_type() != 1 {
            return Err(unsupported("hardware type", p.hardware_type().into()));
        }
        if p.protocol_type() != 0x0800 {
            return Err(unsupported("protocol type", p.protocol_type().into()));
        }
        if p.hardware_len() != 6 {
            return Err(unsupported(
                "hardware address length",
                p.hardware_len().into(),
            ));
        }
        if p.protocol_len() != 4 {
            return Err(unsupported(
                "protocol address length",
                p.protocol_len().into(),
            ));
        }
        Ok(ArpRepr {
            operation: p.operation(),
            sender_mac: mac(p.sender_hardware_addr()),
            sender_ip: ipv4(p.sender_protocol_addr()),
            target_mac: mac(p.target_hardware_addr()),
            target_ip: ipv4(p.target_protocol_addr()),
        })
    }

    /// Always [`ARP_LEN`].
    pub fn buffer_len(&self) -> usize {
        ARP_LEN
    }

    /// Writes the packet at the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        if buf.len() < ARP_LEN {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Arp,
                needed: ARP_LEN,
                got: buf.len(),
            });
        }
        set_be16(buf, 0, 1);
        set_be16(buf, 2, 0x0800);
        buf[4] = 6;
        buf[5] = 4;
        set_be16(buf, 6, self.operation.into());
        buf[8..14].copy_from_slice(&self.sender_mac.0);
        buf[14..18].copy_from_slice(&self.sender_ip.octets());
        buf[18..24].copy_from_slice(&self.target_mac.0);
        buf[24..28].copy_from_slice(&self.target_ip.octets());
        Ok(())
    }

    /// The reply a proxy sends for this request when `target_ip` lives at `target_mac`
    /// (as the kernel's VXLAN `proxy` mode answers from its neighbour table). `None` when this
    /// is not a request.
    pub fn proxy_reply(&self, target_mac: MacAddr) -> Option<ArpRepr> {
        (self.operation == ArpOperation::Request).then_some(ArpRepr {
            operation: ArpOperation::Reply,
            sender_mac: target_mac,
            sender_ip: self.target_ip,
            target_mac: self.sender_mac,
            target_ip: self.sender_ip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "who-has 10.0.1.6 tell 10.0.1.5" from 02:42:0a:00:01:05.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x42, 0x0a, 0x00, 0x01, 0x05, 0x0a,
        0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x06,
    ];

    #[test]
    fn parse_request_and_build_proxy_reply() {
        let req = ArpRepr::parse(&ArpPacket::new_checked(&REQUEST[..]).unwrap()).unwrap();
        assert_eq!(req.operation, ArpOperation::Request);
        assert_eq!(req.target_ip, Ipv4Addr::new(10, 0, 1, 6));
        let answer = MacAddr::from_ipv4(Ipv4Addr::new(10, 0, 1, 6));
        let reply = req.proxy_reply(answer).unwrap();
        assert_eq!(reply.sender_mac, answer);
        assert_eq!(reply.target_ip, Ipv4Addr::new(10, 0, 1, 5));
        assert_eq!(reply.proxy_reply(answer), None);
        let mut out = [0u8; ARP_LEN];
        req.emit(&mut out).unwrap();
        assert_eq!(out, REQUEST);
    }

    #[test]
    fn rejects_short_and_non_ethernet() {
        assert!(matches!(
            ArpPacket::new_checked(&REQUEST[..27]),
            Err(WireError::Truncated {
                layer: Layer::Arp,
                needed: 28,
                got: 27
            })
        ));
        let mut other = REQUEST;
        other[1] = 6; // IEEE 802
        let p = ArpPacket::new_checked(&other[..]).unwrap();
        assert!(matches!(
            ArpRepr::parse(&p),
            Err(WireError::Unsupported {
                field: "hardware type",
                ..
            })
        ));
    }
}
