//! Endpoint ids, stored compactly: Docker's ids are 64 lowercase hex characters, which fit in
//! 32 bytes inline; any other non-empty id is kept as a heap string.

use std::fmt;

use super::PeerError;

/// An endpoint id (NetworkDB's key for a peer record).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId(Repr);

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    /// 64 lowercase hex characters, as 32 bytes. Only lowercase qualifies, so that the text
    /// form round-trips exactly and the two representations never hold the same id.
    Hex([u8; 32]),
    /// Any other non-empty id.
    Text(Box<str>),
}

/// Lowercase hex digit values; 0xff marks anything else.
const HEX: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut c = 0;
    while c < 10 {
        table[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        table[b'a' as usize + c] = 10 + c as u8;
        c += 1;
    }
    table
};

fn parse_hex64(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        invalid |= hi | lo;
        *o = hi << 4 | (lo & 0x0f);
    }
    // Valid digits are < 16, so any 0xff leaves its high bits set.
    (invalid & 0xf0 == 0).then_some(out)
}

impl EndpointId {
    /// Validates an id: any non-empty string (moby's peerAdd refuses `""` with
    /// `invalid endpoint id`).
    pub fn new(id: &str) -> Result<Self, PeerError> {
        if id.is_empty() {
            return Err(PeerError::InvalidEndpointId);
        }
        Ok(match parse_hex64(id) {
            Some(bytes) => EndpointId(Repr::Hex(bytes)),
            None => EndpointId(Repr::Text(id.into())),
        })
    }

    /// Whether this id has the given text form (no allocation).
    pub fn matches(&self, id: &str) -> bool {
        match &self.0 {
            Repr::Hex(bytes) => parse_hex64(id).is_some_and(|b| &b == bytes),
            Repr::Text(text) => &**text == id,
        }
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Hex(bytes) => bytes.iter().try_for_each(|b| write!(f, "{b:02x}")),
            Repr::Text(text) => f.write_str(text),
        }
    }
}

impl fmt::Debug for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER_EID: &str = "5f3e9a1c0b2d4e6f8a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f";

    #[test]
    fn docker_ids_are_compact_and_round_trip() {
        let id = EndpointId::new(DOCKER_EID).unwrap();
        assert!(matches!(id.0, Repr::Hex(_)));
        assert_eq!(id.to_string(), DOCKER_EID);
        assert!(id.matches(DOCKER_EID));
        assert!(!id.matches(&DOCKER_EID.to_uppercase()));
    }

    #[test]
    fn other_ids_are_kept_verbatim() {
        let upper = DOCKER_EID.to_uppercase();
        for text in ["ep1", upper.as_str(), &DOCKER_EID[..63]] {
            let id = EndpointId::new(text).unwrap();
            assert!(matches!(id.0, Repr::Text(_)), "{text}");
            assert_eq!(id.to_string(), text);
            assert!(id.matches(text));
        }
        assert_ne!(
            EndpointId::new(DOCKER_EID).unwrap(),
            EndpointId::new(&upper).unwrap()
        );
    }

    #[test]
    fn empty_id_is_refused_with_dockers_text() {
        let err = EndpointId::new("").unwrap_err();
        assert_eq!(err, PeerError::InvalidEndpointId);
        assert_eq!(err.to_string(), "invalid endpoint id");
    }
}
