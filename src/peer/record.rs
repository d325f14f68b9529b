//! Docker's `overlay.PeerRecord` (NetworkDB table `overlay_peer_table`): the protobuf codec and
//! its validation, byte-compatible with moby's gogoproto code.
//!
//! ```proto
//! message PeerRecord {
//!   string endpoint_ip        = 1;  // IP with prefix length, "10.0.1.5/24"
//!   string endpoint_mac       = 2;  // "02:42:0a:00:01:05"
//!   string tunnel_endpoint_ip = 3;  // the sending host's VTEP
//! }
//! ```
//!
//! The wire layer is [`RawPeerRecord`] (three strings, derived with `prost`); [`PeerRecord`]
//! is the validated form, parsed as moby's `UnmarshalPeerRecord` does: Go's
//! `netip.ParsePrefix` (CIDR form mandatory, no leading zeros, no zones, host bits kept),
//! `net.ParseMAC` restricted to MAC-48, `netip.ParseAddr`. This module does no I/O and knows
//! nothing about tables.

use std::net::IpAddr;

use ipnet::IpNet;
use prost::Message;

use crate::wire::{MacAddr, MacParseError};

/// The string-level record exactly as it travels in NetworkDB.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct RawPeerRecord {
    /// Field 1, `EndpointIP`: the endpoint IP with its prefix length.
    #[prost(string, tag = "1")]
    pub endpoint_ip: String,
    /// Field 2, `EndpointMAC`.
    #[prost(string, tag = "2")]
    pub endpoint_mac: String,
    /// Field 3, `TunnelEndpointIP`: the VTEP (data-path address) of the host that owns the
    /// endpoint.
    #[prost(string, tag = "3")]
    pub tunnel_endpoint_ip: String,
}

/// A validated peer record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerRecord {
    /// The endpoint IP with its prefix length; host bits are kept (`10.0.1.5/24`).
    pub endpoint_ip: IpNet,
    /// The endpoint's MAC.
    pub endpoint_mac: MacAddr,
    /// The VTEP of the host that owns the endpoint.
    pub tunnel_endpoint_ip: IpAddr,
}

/// Why a `netip.ParsePrefix`-style parse failed. Texts are Go's for the prefix-level reasons;
/// an unparsable address is reported with Go's generic `unable to parse IP`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixParseError {
    /// No `/` (CIDR form is mandatory).
    #[error("netip.ParsePrefix({input:?}): no '/'")]
    NoSlash {
        /// The whole input.
        input: String,
    },
    /// The part before the last `/` is not an IP address.
    #[error("netip.ParsePrefix({input:?}): {source}")]
    Addr {
        /// The whole input.
        input: String,
        /// Why the address part failed.
        source: AddrParseError,
    },
    /// The address carries an IPv6 zone (`fe80::1%eth0/64`).
    #[error("netip.ParsePrefix({input:?}): IPv6 zones cannot be present in a prefix")]
    Zone {
        /// The whole input.
        input: String,
    },
    /// The prefix length is not a plain decimal number (sign, leading zero, empty, …).
    #[error("netip.ParsePrefix({input:?}): bad bits after slash: {bits:?}")]
    BadBits {
        /// The whole input.
        input: String,
        /// The text after the slash.
        bits: String,
    },
    /// The prefix length exceeds 32 (IPv4) or 128 (IPv6).
    #[error("netip.ParsePrefix({input:?}): prefix length out of range")]
    OutOfRange {
        /// The whole input.
        input: String,
    },
}

/// Why a `netip.ParseAddr`-style parse failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddrParseError {
    /// Not an IPv4 or IPv6 address in Go's accepted forms.
    #[error("ParseAddr({input:?}): unable to parse IP")]
    Invalid {
        /// The rejected text.
        input: String,
    },
    /// An IPv6 address with a zone. Go accepts it, but a VTEP is a routable underlay address
    /// and kernel FDB destinations carry no zone, so this library refuses it.
    #[error("ParseAddr({input:?}): IPv6 zones are not accepted for a VTEP")]
    Zone {
        /// The rejected text.
        input: String,
    },
}

/// Why a PeerRecord was rejected. Texts are moby's `UnmarshalPeerRecord` texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerRecordError {
    /// Not a valid protobuf encoding of the message.
    #[error("failed to unmarshal peer record: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// Field 1 is not a CIDR-form IP.
    #[error("invalid peer IP {value:?} received: {source}")]
    EndpointIp {
        /// The field's text.
        value: String,
        /// Why it failed.
        source: PrefixParseError,
    },
    /// Field 2 is not a MAC-48 address.
    #[error("invalid MAC {value:?} received: {source}")]
    EndpointMac {
        /// The field's text.
        value: String,
        /// Why it failed.
        source: MacParseError,
    },
    /// Field 3 is not an IP address.
    #[error("invalid VTEP {value:?} received: {source}")]
    TunnelEndpointIp {
        /// The field's text.
        value: String,
        /// Why it failed.
        source: AddrParseError,
    },
}

/// Parses an IP address as Go's `netip.ParseAddr` does, without zones. Rust's parsers agree
/// with Go's on the zone-free forms (dotted quads without leading zeros, RFC 4291 text).
fn parse_addr_no_zone(s: &str) -> Result<IpAddr, AddrParseError> {
    if let Some((addr, zone)) = s.split_once('%') {
        if !zone.is_empty() && addr.parse::<std::net::Ipv6Addr>().is_ok() {
            return Err(AddrParseError::Zone { input: s.into() });
        }
        return Err(AddrParseError::Invalid { input: s.into() });
    }
    s.parse()
        .map_err(|_| AddrParseError::Invalid { input: s.into() })
}

/// Parses `addr/bits` as Go's `netip.ParsePrefix` does (host bits are kept).
pub fn parse_prefix(s: &str) -> Result<IpNet, PrefixParseError> {
    let Some((addr, bits)) = s.rsplit_once('/') else {
        return Err(PrefixParseError::NoSlash { input: s.into() });
    };
    let ip = match parse_addr_no_zone(addr) {
        Ok(ip) => ip,
        Err(AddrParseError::Zone { .. }) => return Err(PrefixParseError::Zone { input: s.into() }),
        Err(source) => {
            return Err(PrefixParseError::Addr {
                input: s.into(),
                source,
            });
        }
    };
    let bad_bits = || PrefixParseError::BadBits {
        input: s.into(),
        bits: bits.into(),
    };
    // Go: no sign, no leading zero, digits only, and the value must fit strconv.Atoi.
    let plain_decimal = !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && (bits.len() == 1 || bits.as_bytes()[0] != b'0');
    if !plain_decimal {
        return Err(bad_bits());
    }
    let len: i64 = bits.parse().map_err(|_| bad_bits())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match u8::try_from(len) {
        Ok(len) if len <= max => {
            IpNet::new(ip, len).map_err(|_| PrefixParseError::OutOfRange { input: s.into() })
        }
        _ => Err(PrefixParseError::OutOfRange { input: s.into() }),
    }
}

impl RawPeerRecord {
    /// Validates the three strings as moby's `UnmarshalPeerRecord` does.
    pub fn validate(&self) -> Result<PeerRecord, PeerRecordError> {
        let endpoint_ip =
            parse_prefix(&self.endpoint_ip).map_err(|source| PeerRecordError::EndpointIp {
                value: self.endpoint_ip.clone(),
                source,
            })?;
        let endpoint_mac =
            self.endpoint_mac
                .parse()
                .map_err(|source| PeerRecordError::EndpointMac {
                    value: self.endpoint_mac.clone(),
                    source,
                })?;
        let tunnel_endpoint_ip =
            parse_addr_no_zone(&self.tunnel_endpoint_ip).map_err(|source| {
                PeerRecordError::TunnelEndpointIp {
                    value: self.tunnel_endpoint_ip.clone(),
                    source,
                }
            })?;
        Ok(PeerRecord {
            endpoint_ip,
            endpoint_mac,
            tunnel_endpoint_ip,
        })
    }
}

impl From<&PeerRecord> for RawPeerRecord {
    fn from(r: &PeerRecord) -> Self {
        RawPeerRecord {
            endpoint_ip: r.endpoint_ip.to_string(),
            endpoint_mac: r.endpoint_mac.to_string(),
            tunnel_endpoint_ip: r.tunnel_endpoint_ip.to_string(),
        }
    }
}

impl PeerRecord {
    /// Encodes the record as moby's `proto.Marshal(&PeerRecord{...})` does.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let raw = RawPeerRecord::from(self);
        out.reserve(raw.encoded_len());
        raw.encode_raw(out);
    }

    /// Decodes and validates a record; unknown fields are skipped as protobuf requires.
    pub fn decode(bytes: &[u8]) -> Result<Self, PeerRecordError> {
        RawPeerRecord::decode(bytes)?.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden vector: {10.0.1.5/24, 02:42:0a:00:01:05, 192.168.1.20} as encoded by
    /// moby's gogoproto marshaler (46 bytes).
    const REFERENCE_HEX: &str = "0a0b31302e302e312e352f32341211\
        30323a34323a30613a30303a30313a30351a0c3139322e3136382e312e3230";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn reference() -> PeerRecord {
        PeerRecord {
            endpoint_ip: "10.0.1.5/24".parse().unwrap(),
            endpoint_mac: MacAddr([0x02, 0x42, 0x0a, 0x00, 0x01, 0x05]),
            tunnel_endpoint_ip: "192.168.1.20".parse().unwrap(),
        }
    }

    #[test]
    fn reference_vector_round_trips_byte_exactly() {
        let bytes = unhex(REFERENCE_HEX);
        assert_eq!(bytes.len(), 46);
        assert_eq!(reference().encode(), bytes);
        let decoded = PeerRecord::decode(&bytes).unwrap();
        assert_eq!(decoded, reference());
        assert_eq!(
            decoded.endpoint_ip.to_string(),
            "10.0.1.5/24",
            "host bits are kept"
        );
        assert_eq!(decoded.encode(), bytes);

        let mut appended = vec![0xAA];
        reference().encode_into(&mut appended);
        assert_eq!(&appended[1..], &bytes[..]);
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let mut bytes = unhex(REFERENCE_HEX);
        // field 4 varint 150, field 5 length-delimited "xy", field 6 fixed32, field 7 fixed64
        bytes.extend_from_slice(&[0x20, 0x96, 0x01, 0x2a, 0x02, b'x', b'y']);
        bytes.extend_from_slice(&[0x35, 1, 2, 3, 4, 0x39, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(PeerRecord::decode(&bytes).unwrap(), reference());
    }

    #[test]
    fn last_occurrence_of_a_field_wins() {
        let mut bytes = unhex(REFERENCE_HEX);
        bytes.extend_from_slice(&[0x1a, 0x08]);
        bytes.extend_from_slice(b"10.9.9.9");
        let r = PeerRecord::decode(&bytes).unwrap();
        assert_eq!(r.tunnel_endpoint_ip, "10.9.9.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv6_record_round_trips() {
        let r = PeerRecord {
            endpoint_ip: "fd00:1::5/64".parse().unwrap(),
            endpoint_mac: MacAddr([0x02, 0x42, 0, 0, 0, 5]),
            tunnel_endpoint_ip: "2001:db8::20".parse().unwrap(),
        };
        let bytes = r.encode();
        assert_eq!(&bytes[..2], &[0x0a, 12]);
        assert_eq!(&bytes[2..14], b"fd00:1::5/64");
        assert_eq!(PeerRecord::decode(&bytes).unwrap(), r);
    }

    #[test]
    fn malformed_protobuf_is_a_typed_error() {
        for bytes in [
            &[0x0a, 0x05, b'1'][..],
            &[0x0a][..],
            &[0x0b][..],
            &[0x08, 0x01][..],
            &[0x0a, 0x02, 0xff, 0xfe],
        ] {
            let err = PeerRecord::decode(bytes).unwrap_err();
            assert!(
                matches!(err, PeerRecordError::Protobuf(_)),
                "{bytes:?}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with("failed to unmarshal peer record: ")
            );
        }
    }

    /// Expected results computed with Go 1.26's `netip.ParsePrefix`.
    #[test]
    fn parse_prefix_matches_go() {
        let ok = [
            ("10.0.1.5/24", "10.0.1.5/24"),
            ("fe80::1/64", "fe80::1/64"),
            ("10.0.1.5/0", "10.0.1.5/0"),
            ("::ffff:10.0.1.5/24", "::ffff:10.0.1.5/24"),
            ("::ffff:10.0.1.5/120", "::ffff:10.0.1.5/120"),
            ("2001:DB8::1/64", "2001:db8::1/64"),
            ("::/0", "::/0"),
            ("::1.2.3.4/128", "::102:304/128"),
        ];
        for (input, shown) in ok {
            let net = parse_prefix(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(net.to_string(), shown);
        }
        let err = [
            ("10.0.1.5", r#"netip.ParsePrefix("10.0.1.5"): no '/'"#),
            (
                "010.0.1.5/24",
                r#"netip.ParsePrefix("010.0.1.5/24"): ParseAddr("010.0.1.5"): unable to parse IP"#,
            ),
            (
                "fe80::1%eth0/64",
                r#"netip.ParsePrefix("fe80::1%eth0/64"): IPv6 zones cannot be present in a prefix"#,
            ),
            (
                "10.0.1.5/024",
                r#"netip.ParsePrefix("10.0.1.5/024"): bad bits after slash: "024""#,
            ),
            (
                "10.0.1.5/+4",
                r#"netip.ParsePrefix("10.0.1.5/+4"): bad bits after slash: "+4""#,
            ),
            (
                "10.0.1.5/33",
                r#"netip.ParsePrefix("10.0.1.5/33"): prefix length out of range"#,
            ),
            (
                "10.0.1.5/",
                r#"netip.ParsePrefix("10.0.1.5/"): bad bits after slash: """#,
            ),
            (
                "/24",
                r#"netip.ParsePrefix("/24"): ParseAddr(""): unable to parse IP"#,
            ),
            (
                "10.0.1.5/24/24",
                r#"netip.ParsePrefix("10.0.1.5/24/24"): ParseAddr("10.0.1.5/24"): unable to parse IP"#,
            ),
            (
                "1.2.3.4.5/8",
                r#"netip.ParsePrefix("1.2.3.4.5/8"): ParseAddr("1.2.3.4.5"): unable to parse IP"#,
            ),
            (
                "2001:db8::/129",
                r#"netip.ParsePrefix("2001:db8::/129"): prefix length out of range"#,
            ),
            (
                "fe80::1%/64",
                r#"netip.ParsePrefix("fe80::1%/64"): ParseAddr("fe80::1%"): unable to parse IP"#,
            ),
            (
                "10.0.1.256/24",
                r#"netip.ParsePrefix("10.0.1.256/24"): ParseAddr("10.0.1.256"): unable to parse IP"#,
            ),
            (
                "10.0.1.5/00",
                r#"netip.ParsePrefix("10.0.1.5/00"): bad bits after slash: "00""#,
            ),
            (
                "10.0.1.5/-1",
                r#"netip.ParsePrefix("10.0.1.5/-1"): bad bits after slash: "-1""#,
            ),
            (
                " 10.0.1.5/24",
                r#"netip.ParsePrefix(" 10.0.1.5/24"): ParseAddr(" 10.0.1.5"): unable to parse IP"#,
            ),
            (
                "1::2::3/64",
                r#"netip.ParsePrefix("1::2::3/64"): ParseAddr("1::2::3"): unable to parse IP"#,
            ),
            (
                "::ffff:010.0.1.5/120",
                r#"netip.ParsePrefix("::ffff:010.0.1.5/120"): ParseAddr("::ffff:010.0.1.5"): unable to parse IP"#,
            ),
            (
                "10.0.1.5/99999999999999999999",
                r#"netip.ParsePrefix("10.0.1.5/99999999999999999999"): bad bits after slash: "99999999999999999999""#,
            ),
            (
                "10.0.1.5/256",
                r#"netip.ParsePrefix("10.0.1.5/256"): prefix length out of range"#,
            ),
        ];
        for (input, text) in err {
            let e = parse_prefix(input).expect_err(input);
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn field_errors_use_mobys_texts() {
        let raw = |ip: &str, mac: &str, vtep: &str| RawPeerRecord {
            endpoint_ip: ip.into(),
            endpoint_mac: mac.into(),
            tunnel_endpoint_ip: vtep.into(),
        };
        let e = raw("10.0.1.5", "02:42:0a:00:01:05", "192.168.1.20")
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid peer IP "10.0.1.5" received: netip.ParsePrefix("10.0.1.5"): no '/'"#
        );
        let e = raw("10.0.1.5/24", "02:42:0a:00:01:05:06:07", "192.168.1.20")
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid MAC "02:42:0a:00:01:05:06:07" received: address 02:42:0a:00:01:05:06:07: not a MAC-48 address"#
        );
        let e = raw("10.0.1.5/24", "02:42:0a:00:01:05", "192.168.01.20")
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid VTEP "192.168.01.20" received: ParseAddr("192.168.01.20"): unable to parse IP"#
        );
        let e = raw("10.0.1.5/24", "02:42:0a:00:01:05", "fe80::1%eth0")
            .validate()
            .unwrap_err();
        assert!(matches!(
            e,
            PeerRecordError::TunnelEndpointIp {
                source: AddrParseError::Zone { .. },
                ..
            }
        ));
        // An absent field decodes as "" (proto3), which no field accepts.
        let e = PeerRecord::decode(&[]).unwrap_err();
        assert!(matches!(e, PeerRecordError::EndpointIp { .. }));
    }
}
