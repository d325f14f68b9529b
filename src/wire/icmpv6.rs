//! ICMPv6 Neighbour Discovery (RFC 4861): neighbour solicitation and advertisement, as needed
//! to answer proxy requests from the peer table.
//!
//! Owns the ICMPv6 header, its checksum and the NS/NA layout with link-layer address options.
//! Other ICMPv6 messages are visible through [`Icmpv6Packet`] but not interpreted. Deciding
//! whether to answer (peer lookup, hop limit 255 check on the IPv6 header) is the caller's job.

use super::checksum;
use super::error::{Layer, WireError, truncated};
use super::ipv6::NH_ICMPV6;
use super::{MacAddr, be16, set_be16};
use std::net::Ipv6Addr;

/// ICMPv6 type of a Neighbour Solicitation.
pub const NEIGHBOR_SOLICIT: u8 = 135;
/// ICMPv6 type of a Neighbour Advertisement.
pub const NEIGHBOR_ADVERT: u8 = 136;
/// Length of an NS or NA without options.
pub const NDISC_LEN: usize = 24;
/// Length of a link-layer address option for Ethernet.
pub const LLADDR_OPT_LEN: usize = 8;
const OPT_SOURCE_LLADDR: u8 = 1;
const OPT_TARGET_LLADDR: u8 = 2;

/// A view of an ICMPv6 message in a buffer (the whole IPv6 payload).
#[derive(Debug, Clone, Copy)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checks. Accessors may panic on short buffers.
    pub fn new_unchecked(buffer: T) -> Self {
        Icmpv6Packet { buffer }
    }

    /// Wraps a buffer after checking it holds the 4-byte header and, for NS/NA, the
    /// 24-byte fixed part.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        let len = p.buffer.as_ref().len();
        if len < 4 {
            return Err(truncated(Layer::Icmpv6, 4, len));
        }
        if matches!(p.msg_type(), NEIGHBOR_SOLICIT | NEIGHBOR_ADVERT) && len < NDISC_LEN {
            return Err(truncated(Layer::Icmpv6, NDISC_LEN, len));
        }
        Ok(p)
    }

    /// Message type.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[0]
    }

    /// Message code.
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[1]
    }

    /// Checksum as stored.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }

    /// The checksum the message should carry between `src` and `dst`.
    pub fn compute_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> u16 {
        let b = self.buffer.as_ref();
        let pseudo = checksum::pseudo_header_v6(src, dst, NH_ICMPV6, b.len() as u32);
        let sum = checksum::remove(checksum::accumulate(pseudo, b), self.checksum());
        !checksum::fold(sum)
    }

    /// Whether the checksum is correct between `src` and `dst`.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let sum = checksum::accumulate(
            checksum::pseudo_header_v6(src, dst, NH_ICMPV6, b.len() as u32),
            b,
        );
        checksum::fold(sum) == 0xffff
    }

    /// NA flags byte (R = 0x80, S = 0x40, O = 0x20); only meaningful for NS/NA.
    pub fn ndisc_flags(&self) -> u8 {
        self.buffer.as_ref()[4]
    }

    /// NS/NA target address.
    pub fn target_addr(&self) -> Ipv6Addr {
        let mut o = [0u8; 16];
        o.copy_from_slice(&self.buffer.as_ref()[8..24]);
        Ipv6Addr::from(o)
    }

    /// NS/NA options.
    pub fn ndisc_options(&self) -> &[u8] {
        &self.buffer.as_ref()[NDISC_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Computes and stores the checksum for `src` and `dst`.
    pub fn fill_checksum(&mut self, src: Ipv6Addr, dst: Ipv6Addr) {
        set_be16(self.buffer.as_mut(), 2, 0);
        let c = self.compute_checksum(src, dst);
        set_be16(self.buffer.as_mut(), 2, c);
    }
}

/// A neighbour solicitation or advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdiscRepr {
    /// "Who has `target`?"
    NeighborSolicit {
        /// Address being resolved.
        target: Ipv6Addr,
        /// Source link-layer address option, if present.
        source_lladdr: Option<MacAddr>,
    },
    /// "`target` is at `target_lladdr`."
    NeighborAdvert {
        /// R flag: the sender is a router.
        router: bool,
        /// S flag: sent in answer to a solicitation.
        solicited: bool,
        /// O flag: override existing cache entries.
        override_: bool,
        /// Address being advertised.
        target: Ipv6Addr,
        /// Target link-layer address option, if present.
        target_lladdr: Option<MacAddr>,
    },
}

/// Finds the first Ethernet link-layer address option of `kind`; a zero-length option is an
/// error (RFC 4861 §4.6: such packets must be discarded).
fn find_lladdr(mut opts: &[u8], kind: u8) -> Result<Option<MacAddr>, WireError> {
    let mut found = None;
    while !opts.is_empty() {
        if opts.len() < 2 {
            return Err(truncated(Layer::Icmpv6, 2, opts.len()));
        }
        let len = usize::from(opts[1]) * 8;
        if len == 0 {
            return Err(WireError::InvalidField {
                layer: Layer::Icmpv6,
                field: "option length",
                value: 0,
            });
        }
        if opts.len() < len {
            return Err(truncated(Layer::Icmpv6, len, opts.len()));
        }
        if opts[0] == kind && len == LLADDR_OPT_LEN && found.is_none() {
            found = Some(MacAddr([
                opts[2], opts[3], opts[4], opts[5], opts[6], opts[7],
            ]));
        }
        opts = &opts[len..];
    }
    Ok(found)
}

impl NdiscRepr {
    /// Reads an NS or NA sent from `src` to `dst`: checks the checksum, code 0 and options.
    pub fn parse<T: AsRef<[u8]>>(
        p: &Icmpv6Packet<T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<NdiscRepr, WireError> {
        let p = Icmpv6Packet::new_checked(p.buffer.as_ref())?;
        if !p.verify_checksum(src, dst) {
            return Err(WireError::BadChecksum {
                layer: Layer::Icmpv6,
                stored: p.checksum(),
                computed: p.compute_checksum(src, dst),
            });
        }
        if p.code() != 0 {
            return Err(WireError::InvalidField {
                layer: Layer::Icmpv6,
                field: "code",
                value: p.code().into(),
            });
        }
        match p.msg_type() {
            NEIGHBOR_SOLICIT => Ok(NdiscRepr::NeighborSolicit {
                target: p.target_addr(),
                source_lladdr: find_lladdr(p.ndisc_options(), OPT_SOURCE_LLADDR)?,
            }),
            NEIGHBOR_ADVERT => {
                let f = p.ndisc_flags();
                Ok(NdiscRepr::NeighborAdvert {
                    router: f & 0x80 != 0,
                    solicited: f & 0x40 != 0,
                    override_: f & 0x20 != 0,
                    target: p.target_addr(),
                    target_lladdr: find_lladdr(p.ndisc_options(), OPT_TARGET_LLADDR)?,
                })
            }
            other => Err(WireError::Unsupported {
                layer: Layer::Icmpv6,
                field: "type",
                value: other.into(),
            }),
        }
    }

    /// Length of the message this repr emits.
    pub fn buffer_len(&self) -> usize {
        let has_opt = match self {
            NdiscRepr::NeighborSolicit { source_lladdr, .. } => source_lladdr.is_some(),
            NdiscRepr::NeighborAdvert { target_lladdr, .. } => target_lladdr.is_some(),
        };
        NDISC_LEN + if has_opt { LLADDR_OPT_LEN } else { 0 }
    }

    /// Writes the whole message with its checksum for `src` → `dst` at the start of `buf`.
    pub fn emit(&self, buf: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<(), WireError> {
        let len = self.buffer_len();
        if buf.len() < len {
            return Err(WireError::BufferTooSmall {
                layer: Layer::Icmpv6,
                needed: len,
                got: buf.len(),
            });
        }
        let buf = &mut buf[..len];
        buf.fill(0);
        let (kind, target, opt) = match *self {
            NdiscRepr::NeighborSolicit {
                target,
                source_lladdr,
            } => (
                NEIGHBOR_SOLICIT,
                target,
                source_lladdr.map(|m| (OPT_SOURCE_LLADDR, m)),
            ),
            NdiscRepr::NeighborAdvert {
                router,
                solicited,
                override_,
                target,
                target_lladdr,
            } => {
                buf[4] =
                    u8::from(router) << 7 | u8::from(solicited) << 6 | u8::from(override_) << 5;
                (
                    NEIGHBOR_ADVERT,
                    target,
                    target_lladdr.map(|m| (OPT_TARGET_LLADDR, m)),
                )
            }
        };
        buf[0] = kind;
        buf[8..24].copy_from_slice(&target.octets());
        if let Some((opt_kind, mac)) = opt {
            buf[24] = opt_kind;
            buf[25] = 1;
            buf[26..32].copy_from_slice(&mac.0);
        }
        Icmpv6Packet::new_unchecked(buf).fill_checksum(src, dst);
        Ok(())
    }

    /// The advertisement a proxy sends for this solicitation when the target lives at `mac`,
    /// with the flags Linux's VXLAN proxy (`vxlan_na_create`) sets: S and O, not R.
    /// `None` when this is not a solicitation.
    pub fn proxy_advert(&self, mac: MacAddr) -> Option<NdiscRepr> {
        match *self {
            NdiscRepr::NeighborSolicit { target, .. } => Some(NdiscRepr::NeighborAdvert {
                router: false,
                solicited: true,
                override_: true,
                target,
                target_lladdr: Some(mac),
            }),
            NdiscRepr::NeighborAdvert { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Ipv6Addr {
        "2001:db8::1".parse().unwrap()
    }

    fn dst() -> Ipv6Addr {
        "ff02::1:ff00:2".parse().unwrap()
    }

    #[test]
    fn solicit_roundtrip_and_proxy_advert() {
        let ns = NdiscRepr::NeighborSolicit {
            target: "2001:db8::2".parse().unwrap(),
            source_lladdr: Some(MacAddr([0x02, 0x42, 0xac, 0x11, 0, 2])),
        };
        let mut buf = [0u8; 32];
        ns.emit(&mut buf, src(), dst()).unwrap();
        let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum(src(), dst()));
        assert_eq!(NdiscRepr::parse(&p, src(), dst()).unwrap(), ns);

        let mac = MacAddr([0x02, 0x42, 0xac, 0x11, 0, 3]);
        let na = ns.proxy_advert(mac).unwrap();
        let mut out = [0u8; 32];
        na.emit(&mut out, "2001:db8::2".parse().unwrap(), src())
            .unwrap();
        let p = Icmpv6Packet::new_checked(&out[..]).unwrap();
        let parsed = NdiscRepr::parse(&p, "2001:db8::2".parse().unwrap(), src()).unwrap();
        assert_eq!(parsed, na);
        assert_eq!(p.ndisc_flags(), 0x60);
        assert_eq!(na.proxy_advert(mac), None);
    }

    #[test]
    fn rejects_zero_length_option_and_bad_checksum() {
        let ns = NdiscRepr::NeighborSolicit {
            target: "2001:db8::2".parse().unwrap(),
            source_lladdr: Some(MacAddr([2; 6])),
        };
        let mut buf = [0u8; 32];
        ns.emit(&mut buf, src(), dst()).unwrap();
        buf[25] = 0;
        Icmpv6Packet::new_unchecked(&mut buf[..]).fill_checksum(src(), dst());
        let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        assert!(matches!(
            NdiscRepr::parse(&p, src(), dst()),
            Err(WireError::InvalidField {
                field: "option length",
                ..
            })
        ));
        buf[25] = 1;
        let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        assert!(matches!(
            NdiscRepr::parse(&p, src(), dst()),
            Err(WireError::BadChecksum {
                layer: Layer::Icmpv6,
                ..
            })
        ));
        assert!(matches!(
            Icmpv6Packet::new_checked(&buf[..20]),
            Err(WireError::Truncated { needed: 24, .. })
        ));
    }
}
