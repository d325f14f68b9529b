//! XFRM (IPsec) states and policies, as moby's `programSA` and `programSP` install them.
//!
//! Key material lives in [`AeadKey`], which never prints or serialises its bytes.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The IPsec protocol of a state or template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XfrmProto {
    /// ESP (IP protocol 50).
    Esp,
    /// AH (IP protocol 51).
    Ah,
}

impl fmt::Display for XfrmProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            XfrmProto::Esp => "esp",
            XfrmProto::Ah => "ah",
        })
    }
}

/// A state's identity. Linux looks states up by (dst, SPI, protocol); the source is part of
/// the key here so that two peers' states never merge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct XfrmStateKey {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Security parameter index.
    pub spi: u32,
    /// ESP or AH.
    pub proto: XfrmProto,
}

impl fmt::Display for XfrmStateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}->{} spi 0x{:08x}",
            self.proto, self.src, self.dst, self.spi
        )
    }
}

/// AEAD key bytes. `Debug`, `Display` and serde never reveal them: they print and serialise
/// as `<redacted>`. Deserialising accepts `0x`-prefixed hex (for hand-written inputs) and
/// refuses the redacted form.
#[derive(Clone, PartialEq, Eq)]
pub struct AeadKey(Vec<u8>);

impl AeadKey {
    /// Wraps key bytes (for `rfc4106(gcm(aes))`: the AES key followed by the 4-byte salt).
    pub fn new(bytes: Vec<u8>) -> AeadKey {
        AeadKey(bytes)
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as `0x` followed by lowercase hex, as `ip xfrm` takes it.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 + 2 * self.0.len());
        s.push_str("0x");
        for b in &self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AeadKey(<redacted {} bytes>)", self.0.len())
    }
}

impl Serialize for AeadKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for AeadKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = String::deserialize(d)?;
        let hex = s.strip_prefix("0x").ok_or_else(|| {
            D::Error::custom(format!(
                "AEAD key {s:?}: expected 0x-prefixed hex (redacted keys cannot be read back)"
            ))
        })?;
        if hex.len() % 2 != 0 {
            return Err(D::Error::custom("AEAD key: odd number of hex digits"));
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|b| u8::from_str_radix(b, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| D::Error::custom("AEAD key: not hex"))?;
        Ok(AeadKey(bytes))
    }
}

/// An XFRM mark and mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct XfrmMark {
    /// The mark value (Docker: `0xD0C4E3`).
    pub value: u32,
    /// The mask (Docker: `0xffffffff`).
    pub mask: u32,
}

/// A transport-mode security association with an AEAD transform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct XfrmState {
    /// The request id tying states to policy templates (Docker: `0xD0C4E3`).
    pub reqid: u32,
    /// AEAD algorithm name, e.g. `rfc4106(gcm(aes))`.
    pub aead_name: String,
    /// AEAD key (never printed).
    pub aead_key: AeadKey,
    /// ICV length in bits (Docker: 64).
    pub icv_bits: u32,
    /// Replay window (Docker: 0).
    pub replay_window: u32,
    /// Extended sequence numbers (Docker: off).
    pub esn: bool,
}

/// Traffic a policy applies to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct XfrmSelector {
    /// Source prefix (Docker: local /32).
    pub src: IpNet,
    /// Destination prefix (Docker: remote /32).
    pub dst: IpNet,
    /// IP protocol number, e.g. 17 for UDP; `None` for any.
    pub proto: Option<u8>,
    /// Destination port (Docker: the VXLAN port).
    pub dport: Option<u16>,
}

/// A policy direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XfrmDir {
    /// Inbound.
    In,
    /// Outbound (Docker installs only these).
    Out,
    /// Forwarded.
    Fwd,
}

impl fmt::Display for XfrmDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            XfrmDir::In => "in",
            XfrmDir::Out => "out",
            XfrmDir::Fwd => "fwd",
        })
    }
}

/// A policy's identity: selector, direction and mark.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct XfrmPolicyKey {
    /// The traffic selector.
    pub selector: XfrmSelector,
    /// The direction.
    pub dir: XfrmDir,
    /// The mark packets must carry.
    pub mark: Option<XfrmMark>,
}

impl fmt::Display for XfrmPolicyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}->{}",
            self.dir, self.selector.src, self.selector.dst
        )?;
        if let Some(p) = self.selector.proto {
            write!(f, " proto {p}")?;
        }
        if let Some(port) = self.selector.dport {
            write!(f, " dport {port}")?;
        }
        if let Some(m) = self.mark {
            write!(f, " mark 0x{:x}/0x{:x}", m.value, m.mask)?;
        }
        Ok(())
    }
}

/// One transform a policy asks for; it names the state that will carry the traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct XfrmTemplate {
    /// Tunnel/transport source.
    pub src: IpAddr,
    /// Tunnel/transport destination.
    pub dst: IpAddr,
    /// ESP or AH.
    pub proto: XfrmProto,
    /// The SPI of the state to use.
    pub spi: u32,
    /// The request id.
    pub reqid: u32,
}

impl XfrmTemplate {
    /// The key of the state this template selects.
    pub fn state_key(&self) -> XfrmStateKey {
        XfrmStateKey {
            src: self.src,
            dst: self.dst,
            spi: self.spi,
            proto: self.proto,
        }
    }
}

/// A transport-mode policy; its templates are changed in place with `ip xfrm policy update`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct XfrmPolicy {
    /// The templates, in order.
    pub templates: Vec<XfrmTemplate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_print_and_parse_only_from_hex() {
        let key = AeadKey::new(vec![0xab; 20]);
        assert_eq!(format!("{key:?}"), "AeadKey(<redacted 20 bytes>)");
        assert_eq!(
            serde_json::to_string(&key).ok().as_deref(),
            Some("\"<redacted>\"")
        );
        assert_eq!(key.to_hex(), format!("0x{}", "ab".repeat(20)));
        let back: AeadKey = serde_json::from_str(&format!("\"{}\"", key.to_hex())).expect("hex");
        assert_eq!(back, key);
        for bad in ["\"<redacted>\"", "\"0xabc\"", "\"0xzz\"", "\"abab\""] {
            assert!(serde_json::from_str::<AeadKey>(bad).is_err(), "{bad}");
        }
    }
}
