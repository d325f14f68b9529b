//! Errors of the `wire` module: what was wrong with a packet and at which layer.
//!
//! Every variant carries the values needed to understand the failure (layer, sizes, fields).
//! Decapsulation failures have their own enum, [`DecapError`](super::DecapError), because each
//! of them is counted separately; it converts into [`WireError`].

use std::fmt;

/// The protocol layer an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// Ethernet II header.
    Ethernet,
    /// 802.1Q VLAN tag.
    Vlan,
    /// ARP (Ethernet/IPv4).
    Arp,
    /// IPv4 header.
    Ipv4,
    /// IPv6 header or one of its extension headers.
    Ipv6,
    /// UDP header.
    Udp,
    /// ICMPv6 message.
    Icmpv6,
    /// VXLAN header (plain, GBP or GPE).
    Vxlan,
    /// The frame carried inside VXLAN.
    InnerFrame,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Ethernet => "ethernet",
            Layer::Vlan => "802.1Q",
            Layer::Arp => "arp",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::Udp => "udp",
            Layer::Icmpv6 => "icmpv6",
            Layer::Vxlan => "vxlan",
            Layer::InnerFrame => "inner frame",
        })
    }
}

/// Why a packet could not be parsed, built or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The buffer ends before the layer does.
    #[error("{layer}: truncated: need {needed} bytes, got {got}")]
    Truncated {
        /// Layer being read.
        layer: Layer,
        /// Bytes the layer needs.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// A length field disagrees with the buffer or with the header it belongs to.
    #[error("{layer}: {field} is {value}, which is invalid for {available} available bytes")]
    BadLength {
        /// Layer being read.
        layer: Layer,
        /// Name of the length field.
        field: &'static str,
        /// The field's value in bytes.
        value: usize,
        /// Bytes actually available.
        available: usize,
    },
    /// A version field has an unsupported value.
    #[error("{layer}: unsupported version {version}")]
    BadVersion {
        /// Layer being read.
        layer: Layer,
        /// The version found.
        version: u8,
    },
    /// A checksum does not match the data.
    #[error("{layer}: bad checksum: packet has {stored:#06x}, data sums to {computed:#06x}")]
    BadChecksum {
        /// Layer whose checksum failed.
        layer: Layer,
        /// Checksum carried in the packet.
        stored: u16,
        /// Checksum computed over the data.
        computed: u16,
    },
    /// A field holds a value this implementation does not handle (e.g. ARP for non-Ethernet).
    #[error("{layer}: unsupported {field} {value:#x}")]
    Unsupported {
        /// Layer being read.
        layer: Layer,
        /// Name of the field.
        field: &'static str,
        /// The value found.
        value: u32,
    },
    /// A field holds a value the protocol forbids.
    #[error("{layer}: invalid {field} {value:#x}")]
    InvalidField {
        /// Layer being read or written.
        layer: Layer,
        /// Name of the field.
        field: &'static str,
        /// The value found or requested.
        value: u32,
    },
    /// A VXLAN header without the I flag (RFC 7348: the VNI is only valid when I is set).
    #[error("vxlan: I flag not set (flags {flags:#04x}); the VNI is not valid")]
    VniFlagMissing {
        /// The first flags byte.
        flags: u8,
    },
    /// A VNI larger than 24 bits.
    #[error("vni {0} out of range (0-16777215)")]
    VniOutOfRange(u32),
    /// A UDP source port range whose minimum exceeds its maximum.
    #[error("invalid source port range {min}-{max}: minimum exceeds maximum")]
    BadPortRange {
        /// Requested minimum.
        min: u16,
        /// Requested maximum.
        max: u16,
    },
    /// Source and destination addresses of a tunnel are of different IP families.
    #[error("tunnel source {src} and destination {dst} are of different address families")]
    MixedFamilies {
        /// Source address.
        src: std::net::IpAddr,
        /// Destination address.
        dst: std::net::IpAddr,
    },
    /// Not enough room in front of the frame for the outer headers.
    #[error("need {needed} bytes of headroom before the inner frame, got {got}")]
    InsufficientHeadroom {
        /// Headroom needed.
        needed: usize,
        /// Headroom given.
        got: usize,
    },
    /// The frame does not fit in the buffer at the given offset.
    #[error("frame of {frame_len} bytes at offset {offset} exceeds the {buffer_len}-byte buffer")]
    FrameOutOfBounds {
        /// Offset of the frame.
        offset: usize,
        /// Length of the frame.
        frame_len: usize,
        /// Length of the buffer.
        buffer_len: usize,
    },
    /// The encapsulated packet would exceed the 65535-byte IP/UDP length limit.
    #[error("{layer}: packet of {len} bytes exceeds the 65535-byte length field")]
    TooLong {
        /// Layer whose length field overflows.
        layer: Layer,
        /// Length that does not fit.
        len: usize,
    },
    /// A buffer too small for what is being emitted.
    #[error("{layer}: buffer too small to emit: need {needed} bytes, got {got}")]
    BufferTooSmall {
        /// Layer being written.
        layer: Layer,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// Decapsulation failed.
    #[error(transparent)]
    Decap(#[from] super::DecapError),
    /// Writing a pcap file failed.
    #[error("pcap write failed: {0}")]
    Pcap(#[source] std::io::Error),
}

pub(crate) fn truncated(layer: Layer, needed: usize, got: usize) -> WireError {
    WireError::Truncated { layer, needed, got }
}
