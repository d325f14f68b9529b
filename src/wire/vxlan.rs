//! The VXLAN header (RFC 7348) with the Group Based Policy extension (as Linux's
//! `vxlanhdr_gbp`) and VXLAN-GPE (as Linux's `vxlanhdr_gpe`): a zero-copy view and its repr.
//!
//! Owns the 8-byte header only. Parsing is lax where RFC 7348 says reserved bits MUST be
//! ignored on receipt, except that the I flag is required; emitting is strict: every bit this
//! module does not set is zero. Which extension applies is the receiver's configuration
//! ([`VxlanExtMode`]), as on a Linux VXLAN device (`gbp` / `gpe` flags), because GBP and GPE
//! give the same bits different meanings.

use super::error::{Layer, WireError, truncated};
use super::{be16, set_be16};
use std::fmt;

/// Length of the VXLAN header.
pub const VXLAN_HEADER_LEN: usize = 8;

pub(crate) const FLAG_I: u8 = 0x08;
const FLAG_GBP: u8 = 0x80;
const GBP_DONT_LEARN: u8 = 0x40;
const GBP_POLICY_APPLIED: u8 = 0x08;
const GPE_VERSION_MASK: u8 = 0x30;
const GPE_NEXT_PROTOCOL: u8 = 0x04;
const GPE_OAM: u8 = 0x01;

/// A 24-bit VXLAN Network Identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Vni(u32);

impl Vni {
    /// The largest VNI, 2^24 - 1.
    pub const MAX: u32 = 0x00ff_ffff;

    /// A VNI, if `value` fits in 24 bits.
    #[inline]
    pub const fn new(value: u32) -> Result<Vni, WireError> {
        if value > Self::MAX {
            Err(WireError::VniOutOfRange(value))
        } else {
            Ok(Vni(value))
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Vni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Vni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vni({})", self.0)
    }
}

impl TryFrom<u32> for Vni {
    type Error = WireError;
    fn try_from(v: u32) -> Result<Vni, WireError> {
        Vni::new(v)
    }
}

/// Which header extension a receiver is configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VxlanExtMode {
    /// RFC 7348 only: every bit but I is reserved and ignored.
    #[default]
    Plain,
    /// Group Based Policy: G, D, A bits and a 16-bit policy id.
    Gbp,
    /// VXLAN-GPE: version, P and O bits, and a next-protocol byte.
    Gpe,
}

/// Group Based Policy fields (Linux `vxlanhdr_gbp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Gbp {
    /// D bit: the receiver must not learn the source address.
    pub dont_learn: bool,
    /// A bit: the policy has already been applied.
    pub policy_applied: bool,
    /// Group policy id.
    pub policy_id: u16,
}

/// A VXLAN-GPE next-protocol value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GpeProtocol(pub u8);

impl GpeProtocol {
    /// IPv4 (1).
    pub const IPV4: GpeProtocol = GpeProtocol(1);
    /// IPv6 (2).
    pub const IPV6: GpeProtocol = GpeProtocol(2);
    /// Ethernet (3).
    pub const ETHERNET: GpeProtocol = GpeProtocol(3);
    /// Network Service Header (4).
    pub const NSH: GpeProtocol = GpeProtocol(4);
}

impl fmt::Debug for GpeProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GpeProtocol::IPV4 => f.write_str("GpeProtocol::IPV4"),
            GpeProtocol::IPV6 => f.write_str("GpeProtocol::IPV6"),
            GpeProtocol::ETHERNET => f.write_str("GpeProtocol::ETHERNET"),
            GpeProtocol::NSH => f.write_str("GpeProtocol::NSH"),
            GpeProtocol(other) => write!(f, "GpeProtocol({other})"),
        }
    }
}

/// VXLAN-GPE fields (Linux `vxlanhdr_gpe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Gpe {
    /// Version (2 bits; 0 is the only one defined).
    pub version: u8,
    /// O bit: an OAM packet.
    pub oam: bool,
    /// Next protocol, when the P bit is set.
    pub next_protocol: Option<GpeProtocol>,
}

/// The header extension of a parsed or emitted VXLAN header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VxlanExt {
    /// No extension (or GBP mode with the G bit clear).
    #[default]
    None,
    /// Group Based Policy.
    Gbp(Gbp),
    /// VXLAN-GPE.
    Gpe(Gpe),
}

/// A view of a VXLAN header (and what follows) in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct VxlanPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VxlanPacket<T> {
    /// Wraps a buffer without checks. Accessors may panic on short buffers.
    #[inline]
    pub fn new_unchecked(buffer: T) -> Self {
        VxlanPacket { buffer }
    }

    /// Wraps a buffer after checking it holds the 8-byte header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        let len = p.buffer.as_ref().len();
        if len < VXLAN_HEADER_LEN {
            return Err(truncated(Layer::Vxlan, VXLAN_HEADER_LEN, len));
        }
        Ok(p)
    }

    /// The first flags byte.
    #[inline]
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[0]
    }

    /// I flag: the VNI is valid.
    #[inline]
    pub fn i_flag(&self) -> bool {
        self.flags() & FLAG_I != 0
    }

    /// The VNI field (bytes 4–6), whatever the I flag says.
    #[inline]
    pub fn vni(&self) -> Vni {
        let b = self.buffer.as_ref();
        Vni(u32::from_be_bytes([0, b[4], b[5], b[6]]))
    }

    /// GBP G bit: a group policy id is present.
    pub fn gbp_flag(&self) -> bool {
        self.flags() & FLAG_GBP != 0
    }

    /// GBP D bit.
    pub fn gbp_dont_learn(&self) -> bool {
        self.buffer.as_ref()[1] & GBP_DONT_LEARN != 0
    }

    /// GBP A bit.
    pub fn gbp_policy_applied(&self) -> bool {
        self.buffer.as_ref()[1] & GBP_POLICY_APPLIED != 0
    }

    /// GBP group policy id (bytes 2–3).
    pub fn gbp_policy_id(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }

    /// GPE version (2 bits).
    pub fn gpe_version(&self) -> u8 {
        (self.flags() & GPE_VERSION_MASK) >> 4
    }

    /// GPE P bit: the next-protocol byte is valid.
    pub fn gpe_next_protocol_flag(&self) -> bool {
        self.flags() & GPE_NEXT_PROTOCOL != 0
    }

    /// GPE O bit.
    pub fn gpe_oam(&self) -> bool {
        self.flags() & GPE_OAM != 0
    }

    /// GPE next-protocol byte (byte 3).
    pub fn gpe_next_protocol(&self) -> GpeProtocol {
        GpeProtocol(self.buffer.as_ref()[3])
    }

    /// What follows the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[VXLAN_HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VxlanPacket<T> {
    /// Sets the first flags byte.
    pub fn set_flags(&mut self, flags: u8) {
        self.buffer.as_mut()[0] = flags;
    }

    /// Sets the VNI field (byte 7 is left alone).
    pub fn set_vni(&mut self, vni: Vni) {
        let b = vni.0.to_be_bytes();
        self.buffer.as_mut()[4..7].copy_from_slice(&b[1..4]);
    }

    /// Sets the GBP group policy id.
    pub fn set_gbp_policy_id(&mut self, id: u16) {
        set_be16(self.buffer.as_mut(), 2, id);
    }

    /// What follows the header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[VXLAN_HEADER_LEN..]
    }
}

/// The fields of a VXLAN header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VxlanRepr {
    /// Network identifier.
    pub vni: Vni,
    /// Extension fields.
    pub ext: VxlanExt,
}

impl VxlanRepr {
    /// Reads a header as a receiver configured for `mode`. Requires the I flag; ignores the
    /// reserved bits of that mode.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(
        p: &VxlanPacket<T>,
        mode: VxlanExtMode,
    ) -> Result<VxlanRepr, WireError> {
        let b = p.buffer.as_ref();
        let Some(header) = b.first_chunk::<VXLAN_HEADER_LEN>() else {
            return Err(truncated(Layer::Vxlan, VXLAN_HEADER_LEN, b.len()));
        };
        if header[0] & FLAG_I == 0 {
            return Err(WireError::VniFlagMissing { flags: header[0] });
        }
        Ok(Self::read(header, mode))
    }

    /// The fields of a header already known to carry the I flag. Works on a fixed-size array
    /// so that no field access needs a bounds check.
    #[inline(always)]
    pub(crate) fn read(h: &[u8; VXLAN_HEADER_LEN], mode: VxlanExtMode) -> VxlanRepr {
        let flags = h[0];
        let ext = match mode {
            VxlanExtMode::Plain => VxlanExt::None,
            VxlanExtMode::Gbp if flags & FLAG_GBP != 0 => VxlanExt::Gbp(Gbp {
                dont_learn: h[1] & GBP_DONT_LEARN != 0,
                policy_applied: h[1] & GBP_POLICY_APPLIED != 0,
                policy_id: u16::from_be_bytes([h[2], h[3]]),
            }),
            VxlanExtMode::Gbp => VxlanExt::None,
            VxlanExtMode::Gpe => VxlanExt::Gpe(Gpe {
                version: (flags & GPE_VERSION_MASK) >> 4,
                oam: flags & GPE_OAM != 0,
                next_protocol: (flags & GPE_NEXT_PROTOCOL != 0).then_some(GpeProtocol(h[3])),
            }),
        };
        // One 8-byte load for the VNI, not three byte loads.
        let word = u64::from_be_bytes(*h);
        VxlanRepr {
            vni: Vni((word >> 8) as u32 & Vni::MAX),
            ext,
        }
    }

    /// Always [`VXLAN_HEADER_LEN`].
    pub const fn buffer_len(&self) -> usize {
        VXLAN_HEADER_LEN
    }

    /// The 8 header bytes, with every bit this repr does not set cleared.
    #[inline]
    pub fn to_bytes(&self) -> Result<[u8; VXLAN_HEADER_LEN], WireError> {
        // Built as one big-endian word so that emitting is a single 8-byte store.
        let byte = |b: u8, at: u32| u64::from(b) << (56 - 8 * at);
        let mut h = byte(FLAG_I, 0) | u64::from(self.vni.0) << 8;
        match self.ext {
            VxlanExt::None => {}
            VxlanExt::Gbp(g) => {
                let bits = if g.dont_learn { GBP_DONT_LEARN } else { 0 }
                    | if g.policy_applied {
                        GBP_POLICY_APPLIED
                    } else {
                        0
                    };
                h |= byte(FLAG_GBP, 0) | byte(bits, 1) | u64::from(g.policy_id) << 32;
            }
            VxlanExt::Gpe(g) => {
                if g.version > 3 {
                    return Err(WireError::InvalidField {
                        layer: Layer::Vxlan,
                        field: "gpe version",
                        value: g.version.into(),
                    });
                }
                h |= byte(g.version << 4 | if g.oam { GPE_OAM } else { 0 }, 0);
                if let Some(np) = g.next_protocol {
                    h |= byte(GPE_NEXT_PROTOCOL, 0) | byte(np.0, 3);
                }
            }
        }
        Ok(h.to_be_bytes())
    }

    /// Writes the header at the start of `buf`.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let got = buf.len();
        let Some(out) = buf.first_chunk_mut::<VXLAN_HEADER_LEN>() else {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Vxlan,
                needed: VXLAN_HEADER_LEN,
                got,
            });
        };
        *out = self.to_bytes()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_header_rfc7348() {
        let h = [0x08, 0, 0, 0, 0x00, 0x10, 0x01, 0];
        let r = VxlanRepr::parse(
            &VxlanPacket::new_checked(&h[..]).unwrap(),
            VxlanExtMode::Plain,
        )
        .unwrap();
        assert_eq!(
            r,
            VxlanRepr {
                vni: Vni::new(4097).unwrap(),
                ext: VxlanExt::None
            }
        );
        assert_eq!(r.to_bytes().unwrap(), h);
    }

    #[test]
    fn lax_receive_strict_emit() {
        // Every reserved bit set: still VNI 42 on receipt, clean on emit.
        let h = [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x2a, 0xff];
        let r = VxlanRepr::parse(
            &VxlanPacket::new_checked(&h[..]).unwrap(),
            VxlanExtMode::Plain,
        )
        .unwrap();
        assert_eq!(r.vni.get(), 42);
        assert_eq!(r.to_bytes().unwrap(), [0x08, 0, 0, 0, 0, 0, 0x2a, 0]);
    }

    #[test]
    fn missing_i_flag_is_rejected() {
        let h = [0x80, 0, 0, 0, 0, 0, 1, 0];
        let err = VxlanRepr::parse(
            &VxlanPacket::new_checked(&h[..]).unwrap(),
            VxlanExtMode::Gbp,
        )
        .unwrap_err();
        assert!(matches!(err, WireError::VniFlagMissing { flags: 0x80 }));
        assert!(matches!(
            VxlanPacket::new_checked(&h[..7]),
            Err(WireError::Truncated {
                needed: 8,
                got: 7,
                ..
            })
        ));
    }

    #[test]
    fn gbp_matches_linux_layout() {
        // G|I, D|A, policy 0x1234, VNI 0x0a0b0c.
        let h = [0x88, 0x48, 0x12, 0x34, 0x0a, 0x0b, 0x0c, 0];
        let r = VxlanRepr::parse(
            &VxlanPacket::new_checked(&h[..]).unwrap(),
            VxlanExtMode::Gbp,
        )
        .unwrap();
        assert_eq!(
            r.ext,
            VxlanExt::Gbp(Gbp {
                dont_learn: true,
                policy_applied: true,
                policy_id: 0x1234
            })
        );
        assert_eq!(r.vni.get(), 0x0a0b0c);
        assert_eq!(r.to_bytes().unwrap(), h);
        // The same bytes read by a plain receiver carry no policy.
        let plain = VxlanRepr::parse(
            &VxlanPacket::new_checked(&h[..]).unwrap(),
            VxlanExtMode::Plain,
        )
        .unwrap();
        assert_eq!(plain.ext, VxlanExt::None);
    }

    #[test]
    fn gpe_next_protocols() {
        for (np, byte) in [
            (GpeProtocol::IPV4, 1),
            (GpeProtocol::IPV6, 2),
            (GpeProtocol::ETHERNET, 3),
            (GpeProtocol::NSH, 4),
        ] {
            let h = [0x0c, 0, 0, byte, 0, 0, 7, 0];
            let r = VxlanRepr::parse(
                &VxlanPacket::new_checked(&h[..]).unwrap(),
                VxlanExtMode::Gpe,
            )
            .unwrap();
            assert_eq!(
                r.ext,
                VxlanExt::Gpe(Gpe {
                    version: 0,
                    oam: false,
                    next_protocol: Some(np)
                })
            );
            assert_eq!(r.to_bytes().unwrap(), h);
        }
        let bad = VxlanRepr {
            vni: Vni::new(1).unwrap(),
            ext: VxlanExt::Gpe(Gpe {
                version: 4,
                oam: false,
                next_protocol: None,
            }),
        };
        assert!(matches!(
            bad.emit(&mut [0u8; 8]),
            Err(WireError::InvalidField {
                field: "gpe version",
                ..
            })
        ));
    }

    #[test]
    fn vni_range() {
        assert!(Vni::new(Vni::MAX).is_ok());
        assert!(matches!(
            Vni::new(1 << 24),
            Err(WireError::VniOutOfRange(16_777_216))
        ));
    }
}
