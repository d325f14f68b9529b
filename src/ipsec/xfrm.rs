//! XFRM states (SAs) and policies (SPs) as plain data: everything `ip xfrm state` / `ip xfrm
//! policy` shows for the objects moby's overlay driver programs (`programSA`, `programSP`), and
//! the ordered changes a rotation makes. `Display` prints the equivalent `ip xfrm` command with
//! the key **redacted**; [`XfrmState::command_with_key`] prints it usable. This module never
//! talks to the kernel; the Linux backend turns these values into netlink messages.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::{SaKey, SaParams};

/// Docker's XFRM reqid and policy mark (`mark = 0xD0C4E3`, "DOCKER" in hex speak).
pub const DOCKER_MARK: u32 = 0x00D0_C4E3;
/// The AEAD algorithm name both profiles use.
pub const AEAD_NAME: &str = "rfc4106(gcm(aes))";
/// IP protocol number of ESP.
pub const IPPROTO_ESP: u8 = 50;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// Identifies an SA: destination, SPI, protocol (always ESP) — plus the source, which `ip xfrm
/// state delete` also accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XfrmStateId {
    /// Outer source address.
    pub src: IpAddr,
    /// Outer destination address.
    pub dst: IpAddr,
    /// The SPI.
    pub spi: u32,
}

/// Which way an SA carries traffic, from this node's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaDirection {
    /// Local → remote (moby's fSA).
    Forward,
    /// Remote → local (moby's rSA).
    Reverse,
}

/// One ESP SA in transport mode, as `ip xfrm state` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XfrmState {
    /// Source, destination, SPI.
    pub id: XfrmStateId,
    /// Forward or reverse, from this node's view (not a kernel field; for planning).
    pub direction: SaDirection,
    /// reqid (Docker: [`DOCKER_MARK`]).
    pub reqid: u32,
    /// AEAD key and salt; the kernel key is `key ‖ salt`.
    pub key: SaKey,
    /// ICV length in bits (64 or 128).
    pub icv_bits: u32,
    /// Replay window in packets (0 = none, as Docker).
    pub replay_window: u32,
    /// `flag esn`.
    pub esn: bool,
}

impl XfrmState {
    /// The SA for `params` between outer addresses `src → dst`.
    pub fn new(src: IpAddr, dst: IpAddr, direction: SaDirection, params: &SaParams) -> XfrmState {
        XfrmState {
            id: XfrmStateId {
                src,
                dst,
                spi: params.spi,
            },
            direction,
            reqid: DOCKER_MARK,
            key: params.key.clone(),
            icv_bits: params.icv_len as u32 * 8,
            replay_window: params.replay_window,
            esn: params.esn,
        }
    }

    fn write_command(&self, f: &mut dyn fmt::Write, key_hex: &str) -> fmt::Result {
        write!(
            f,
            "ip xfrm state add src {} dst {} proto esp spi {:#010x} reqid {:#x} mode transport",
            self.id.src, self.id.dst, self.id.spi, self.reqid
        )?;
        if self.replay_window > 0 {
            write!(f, " replay-window {}", self.replay_window)?;
        }
        if self.esn {
            write!(f, " flag esn")?;
        }
        write!(f, " aead '{AEAD_NAME}' 0x{key_hex} {}", self.icv_bits)
    }

    /// The `ip xfrm state add` command including the key — for applying, never for logs.
    pub fn command_with_key(&self) -> String {
        let hex: String = self
            .key
            .expose_kernel_key()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_command(&mut out, &hex);
        out
    }
}

impl fmt::Display for XfrmState {
    /// The `ip xfrm state add` command with the key replaced by `<redacted>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_command(f, "<redacted>")
    }
}

impl fmt::Display for XfrmStateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ip xfrm state delete src {} dst {} proto esp spi {:#010x}",
            self.src, self.dst, self.spi
        )
    }
}

/// An XFRM mark with mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XfrmMark {
    /// Value.
    pub value: u32,
    /// Mask.
    pub mask: u32,
}

/// The selector of an outbound policy (what `ip xfrm policy delete` needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XfrmPolicyId {
    /// Source prefix (/32 or /128: moby's `getMinimalIP`).
    pub src: IpNet,
    /// Destination prefix.
    pub dst: IpNet,
    /// Upper-layer protocol (UDP).
    pub proto: u8,
    /// Destination port (the VXLAN data-path port).
    pub dport: u16,
    /// Mark that selects packets (Docker: `0xD0C4E3/0xffffffff`).
    pub mark: XfrmMark,
}

/// The single outbound policy per remote VTEP (moby's `programSP`), template included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XfrmPolicy {
    /// Selector; direction is always `out`.
    pub id: XfrmPolicyId,
    /// Template: ESP transport to this SA (the current forward SA).
    pub tmpl: XfrmStateId,
    /// Template reqid.
    pub reqid: u32,
}

fn host_net(addr: IpAddr) -> IpNet {
    // Native form first, as Go's `GetMinimalIP` turns IPv4-mapped into 4 bytes.
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    IpNet::from(addr)
}

impl XfrmPolicy {
    /// The outbound policy for a forward SA, UDP to `dport`, Docker's mark.
    pub fn for_forward_sa(sa: &XfrmStateId, dport: u16) -> XfrmPolicy {
        XfrmPolicy {
            id: XfrmPolicyId {
                src: host_net(sa.src),
                dst: host_net(sa.dst),
                proto: IPPROTO_UDP,
                dport,
                mark: XfrmMark {
                    value: DOCKER_MARK,
                    mask: 0xffff_ffff,
                },
            },
            tmpl: *sa,
            reqid: DOCKER_MARK,
        }
    }
}

impl fmt::Display for XfrmPolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "src {} dst {} proto udp dport {} dir out mark {:#x} mask {:#x}",
            self.src, self.dst, self.dport, self.mark.value, self.mark.mask
        )
    }
}

impl fmt::Display for XfrmPolicy {
    /// The `ip xfrm policy update` command (moby uses `XfrmPolicyUpdate` on rotation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ip xfrm policy update {} tmpl src {} dst {} proto esp spi {:#010x} reqid {:#x} mode transport",
            self.id, self.tmpl.src, self.tmpl.dst, self.tmpl.spi, self.reqid
        )
    }
}

/// One ordered change to the kernel's XFRM tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XfrmChange {
    /// Install an SA.
    AddState(XfrmState),
    /// Remove an SA.
    DeleteState(XfrmStateId),
    /// Install or replace the outbound policy (moby: `XfrmPolicyAdd` first, `XfrmPolicyUpdate`
    /// on rotation; both leave exactly this policy).
    UpdatePolicy(XfrmPolicy),
    /// Remove the outbound policy.
    DeletePolicy(XfrmPolicyId),
}

impl fmt::Display for XfrmChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XfrmChange::AddState(s) => s.fmt(f),
            XfrmChange::DeleteState(id) => id.fmt(f),
            XfrmChange::UpdatePolicy(p) => p.fmt(f),
            XfrmChange::DeletePolicy(id) => write!(f, "ip xfrm policy delete {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipsec::{Key, Profile};

    #[test]
    fn docker_sa_and_policy_commands() {
        let k = Key::new(&[0xab; 16]).unwrap();
        let (l, r) = (
            "192.168.1.10".parse().unwrap(),
            "192.168.1.20".parse().unwrap(),
        );
        let params = Profile::DockerCompatible.sa_params(&k, 1, l, r, 0xbf836db8);
        let sa = XfrmState::new(l, r, SaDirection::Forward, &params);
        assert_eq!(
            sa.to_string(),
            "ip xfrm state add src 192.168.1.10 dst 192.168.1.20 proto esp spi 0xbf836db8 reqid 0xd0c4e3 \
             mode transport aead 'rfc4106(gcm(aes))' 0x<redacted> 64"
        );
        assert!(
            sa.command_with_key()
                .ends_with(&format!("0x{}bf836db8 64", "ab".repeat(16)))
        );
        assert!(!format!("{sa:?}").contains("abab"));
        let sp = XfrmPolicy::for_forward_sa(&sa.id, 4789);
        assert_eq!(
            sp.to_string(),
            "ip xfrm policy update src 192.168.1.10/32 dst 192.168.1.20/32 proto udp dport 4789 dir out \
             mark 0xd0c4e3 mask 0xffffffff tmpl src 192.168.1.10 dst 192.168.1.20 proto esp spi 0xbf836db8 \
             reqid 0xd0c4e3 mode transport"
        );
        assert_eq!(
            XfrmChange::DeleteState(sa.id).to_string(),
            "ip xfrm state delete src 192.168.1.10 dst 192.168.1.20 proto esp spi 0xbf836db8"
        );
    }

    #[test]
    fn hardened_sa_shows_esn_and_window() {
        let k = Key::new(&[1; 16]).unwrap();
        let (l, r) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        let sa = XfrmState::new(
            l,
            r,
            SaDirection::Reverse,
            &Profile::Hardened.sa_params(&k, 7, r, l, 0xc8da8b91),
        );
        assert!(sa.to_string().contains(
            "mode transport replay-window 1024 flag esn aead 'rfc4106(gcm(aes))' 0x<redacted> 128"
        ));
        let sp = XfrmPolicy::for_forward_sa(&sa.id, 7789);
        assert!(
            sp.to_string()
                .contains("src 2001:db8::1/128 dst 2001:db8::2/128 proto udp dport 7789")
        );
    }
}
