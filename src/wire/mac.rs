//! The 48-bit Ethernet (MAC) address, with Docker's text forms and its IPv4-derived MACs.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// A MAC-48 Ethernet address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

/// Why a MAC address string was rejected. Texts follow Go's `net.ParseMAC`, which Docker uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MacParseError {
    /// Not in any accepted form (`xx:xx:xx:xx:xx:xx`, `xx-xx-…`, `xxxx.xxxx.xxxx`).
    #[error("address {0}: invalid MAC address")]
    Invalid(String),
    /// A valid EUI-64 or 20-octet InfiniBand address, which is not MAC-48.
    #[error("address {0}: not a MAC-48 address")]
    NotMac48(String),
}

impl MacAddr {
    /// The broadcast address `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// Docker's `netutils.GenerateMACFromIP`: `02:42:` followed by the four IPv4 octets,
    /// e.g. 10.0.1.5 → `02:42:0a:00:01:05`.
    pub const fn from_ipv4(ip: Ipv4Addr) -> MacAddr {
        let o = ip.octets();
        MacAddr([0x02, 0x42, o[0], o[1], o[2], o[3]])
    }

    /// The six octets.
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// Whether the group (multicast/broadcast) bit is set.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether this is the broadcast address.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Whether this is a unicast address.
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }
}

impl From<[u8; 6]> for MacAddr {
    fn from(octets: [u8; 6]) -> Self {
        MacAddr(octets)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacAddr({self})")
    }
}

fn hex_byte(s: &str) -> Option<u8> {
    if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(s, 16).ok()
}

/// Parses the forms Go's `net.ParseMAC` accepts and returns all octets (6, 8 or 20).
fn parse_octets(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if bytes.len() < 14 {
        return None;
    }
    if bytes[2] == b':' || bytes[2] == b'-' {
        let sep = bytes[2] as char;
        if (s.len() + 1) % 3 != 0 {
            return None;
        }
        return s.split(sep).map(hex_byte).collect();
    }
    if bytes[4] == b'.' {
        if (s.len() + 1) % 5 != 0 {
            return None;
        }
        let mut out = Vec::new();
        for group in s.split('.') {
            if group.len() != 4 {
                return None;
            }
            out.push(hex_byte(group.get(0..2)?)?);
            out.push(hex_byte(group.get(2..4)?)?);
        }
        return Some(out);
    }
    None
}

impl FromStr for MacAddr {
    type Err = MacParseError;

    /// Accepts what Go's `net.ParseMAC` accepts, and only 6-octet results, as Docker's
    /// PeerRecord decoding requires.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_octets(s) {
            Some(o) if o.len() == 6 => Ok(MacAddr([o[0], o[1], o[2], o[3], o[4], o[5]])),
            Some(o) if o.len() == 8 || o.len() == 20 => Err(MacParseError::NotMac48(s.into())),
            _ => Err(MacParseError::Invalid(s.into())),
        }
    }
}

impl serde::Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MacAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_mac_from_ipv4() {
        let mac = MacAddr::from_ipv4(Ipv4Addr::new(10, 0, 1, 5));
        assert_eq!(mac.to_string(), "02:42:0a:00:01:05");
    }

    #[test]
    fn parses_go_forms() {
        let want = MacAddr([0x02, 0x42, 0x0a, 0x00, 0x01, 0x05]);
        assert_eq!("02:42:0a:00:01:05".parse::<MacAddr>(), Ok(want));
        assert_eq!("02-42-0A-00-01-05".parse::<MacAddr>(), Ok(want));
        assert_eq!("0242.0a00.0105".parse::<MacAddr>(), Ok(want));
    }

    #[test]
    fn rejects_bad_and_non_mac48() {
        assert!(matches!(
            "02:42:0a:00:01".parse::<MacAddr>(),
            Err(MacParseError::Invalid(_))
        ));
        assert!(matches!(
            "02:42:0a:00:01:0g".parse::<MacAddr>(),
            Err(MacParseError::Invalid(_))
        ));
        assert!(matches!(
            "02:42:0a:00:01:05:06:07".parse::<MacAddr>(),
            Err(MacParseError::NotMac48(_))
        ));
        assert!(matches!(
            "".parse::<MacAddr>(),
            Err(MacParseError::Invalid(_))
        ));
        assert!(matches!(
            "02:42:0a:00:01:05:".parse::<MacAddr>(),
            Err(MacParseError::Invalid(_))
        ));
    }
}
