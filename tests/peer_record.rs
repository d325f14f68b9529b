//! Property tests for the PeerRecord codec: every valid record round-trips, and the encoding is
//! the canonical proto3 layout of three strings.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use overlaynet::peer::{PeerRecord, RawPeerRecord};
use overlaynet::wire::MacAddr;
use proptest::prelude::*;

fn ip_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
        // IPv4-mapped IPv6 stays IPv6, as in Go's netip.
        any::<u32>().prop_map(|v| IpAddr::V6(Ipv4Addr::from(v).to_ipv6_mapped())),
    ]
}

fn ip_net() -> impl Strategy<Value = IpNet> {
    (ip_addr(), any::<u8>()).prop_map(|(ip, len)| {
        let max = if ip.is_ipv4() { 33 } else { 129 };
        IpNet::new(ip, len % max).unwrap()
    })
}

fn record() -> impl Strategy<Value = PeerRecord> {
    (ip_net(), any::<[u8; 6]>(), ip_addr()).prop_map(|(endpoint_ip, mac, tunnel_endpoint_ip)| {
        PeerRecord {
            endpoint_ip,
            endpoint_mac: MacAddr(mac),
            tunnel_endpoint_ip,
        }
    })
}

/// proto3 encoding of one string field, written out by hand.
fn field(tag: u8, s: &str) -> Vec<u8> {
    assert!(s.len() < 128);
    let mut out = vec![tag << 3 | 2, s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(r in record()) {
        let bytes = r.encode();
        prop_assert_eq!(PeerRecord::decode(&bytes).unwrap(), r);
    }

    #[test]
    fn encoding_is_three_length_delimited_strings(r in record()) {
        let mut want = field(1, &r.endpoint_ip.to_string());
        want.extend(field(2, &r.endpoint_mac.to_string()));
        want.extend(field(3, &r.tunnel_endpoint_ip.to_string()));
        prop_assert_eq!(r.encode(), want);
    }

    #[test]
    fn decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        if let Ok(r) = PeerRecord::decode(&bytes) {
            prop_assert_eq!(PeerRecord::decode(&r.encode()).unwrap(), r);
        }
        let _ = <RawPeerRecord as prost::Message>::decode(&bytes[..]);
    }
}
