//! Userspace ESP (RFC 4303) with AES-GCM as RFC 4106 specifies it, sealing and opening in
//! place in the caller's buffer. The sealed bytes are exactly what the kernel's
//! `rfc4106(gcm(aes))` transport-mode SA puts after the outer IP header, and what goes straight
//! into a UDP datagram for ESP-in-UDP (RFC 3948 §2.1).
//!
//! Layout: `SPI(4) ‖ seq(4) ‖ IV(8) ‖ E(payload ‖ padding ‖ pad len ‖ next header) ‖ ICV(8|16)`.
//! The nonce is `salt(4) ‖ IV`; the IV is the 64-bit sequence counter (unique per key by
//! construction); the AAD is `SPI ‖ seq` or, with ESN, `SPI ‖ seq high ‖ seq low` (RFC 4106 §5).
//!
//! This module owns per-SA state (counter, replay window, reject counters). It does no I/O,
//! keeps no clock, and allocates only when an SA is created.

use std::collections::HashMap;

use crate::wire::esp::{self as wire_esp, HEADER_LEN, Packet};

use super::replay::ReplayVerdict;
use super::{AeadBackend, AesGcmBackend, EspReject, IpsecError, ReplayWindow, SaParams};

/// Bytes an ESP packet needs in front of the payload: SPI, sequence number and IV.
pub const ESP_HEADROOM: usize = HEADER_LEN + IV_LEN;
const IV_LEN: usize = 8;

/// Total sealed length for `payload_len` bytes with an `icv_len`-byte ICV.
pub const fn sealed_len(payload_len: usize, icv_len: usize) -> usize {
    ESP_HEADROOM
        + payload_len
        + wire_esp::padding_len(payload_len)
        + wire_esp::TRAILER_LEN
        + icv_len
}

#[inline]
fn nonce(salt: [u8; 4], iv: &[u8]) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&salt);
    n[4..].copy_from_slice(iv);
    n
}

/// RFC 4106 §5 AAD; returns the buffer and the used length (8 or 12).
#[inline]
fn aad(spi: u32, seq: u64, esn: bool) -> ([u8; 12], usize) {
    let mut a = [0u8; 12];
    a[..4].copy_from_slice(&spi.to_be_bytes());
    if esn {
        a[4..12].copy_from_slice(&seq.to_be_bytes());
        (a, 12)
    } else {
        a[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        (a, 8)
    }
}

fn check_spi(spi: u32) -> Result<(), IpsecError> {
    if spi <= 255 {
        Err(IpsecError::ReservedSpi { spi })
    } else {
        Ok(())
    }
}

/// A transmit SA. Not `Clone`: two copies would reuse sequence numbers, and with them nonces.
pub struct OutboundSa<A: AeadBackend = AesGcmBackend> {
    spi: u32,
    salt: [u8; 4],
    aead: A,
    esn: bool,
    last_seq: u64,
}

impl<A: AeadBackend> OutboundSa<A> {
    /// A transmit SA for `params`; the first packet gets sequence number 1.
    pub fn new(params: &SaParams) -> Result<Self, IpsecError> {
        check_spi(params.spi)?;
        Ok(OutboundSa {
            spi: params.spi,
            salt: params.key.salt(),
            aead: A::new(params.key.key(), params.icv_len)?,
            esn: params.esn,
            last_seq: 0,
        })
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// The highest sequence number sent (0 before the first packet); feed it to the
    /// rotation schedule's volume trigger.
    pub fn last_sequence(&self) -> u64 {
        self.last_seq
    }

    /// ICV length in bytes.
    pub fn icv_len(&self) -> usize {
        self.aead.icv_len()
    }

    /// Seal the `payload_len` bytes at `buf[ESP_HEADROOM..]` in place, carrying protocol
    /// `next_header`. `buf` must hold [`sealed_len`] bytes. Returns the ESP packet length
    /// (the packet is `buf[..len]`). Without ESN the SA refuses to go past sequence number
    /// 2^32 − 1 ("sequence space exhausted"); nothing is written when it fails.
    pub fn seal(
        &mut self,
        buf: &mut [u8],
        payload_len: usize,
        next_header: u8,
    ) -> Result<usize, IpsecError> {
        let limit = if self.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        let seq = match self.last_seq.checked_add(1) {
            Some(s) if s <= limit => s,
            _ => return Err(IpsecError::SequenceExhausted { spi: self.spi }),
        };
        let icv_len = self.aead.icv_len();
        let available = buf.len();
        let too_small = || IpsecError::BufferTooSmall {
            needed: sealed_len(payload_len.min(available), icv_len).max(available + 1),
            available,
        };
        let plain_len = payload_len
            .checked_add(wire_esp::padding_len(payload_len) + wire_esp::TRAILER_LEN)
            .ok_or_else(too_small)?;
        let needed = plain_len
            .checked_add(ESP_HEADROOM + icv_len)
            .filter(|&n| n <= available)
            .ok_or_else(too_small)?;
        let (head, rest) = buf[..needed].split_at_mut(ESP_HEADROOM);
        let (plain, icv) = rest.split_at_mut(plain_len);
        // `plain` has exactly the room the trailer needs, so this cannot fail.
        wire_esp::write_trailer(plain, payload_len, next_header).map_err(|_| too_small())?;
        head[..4].copy_from_slice(&self.spi.to_be_bytes());
        head[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        head[8..].copy_from_slice(&seq.to_be_bytes());
        let (a, a_len) = aad(self.spi, seq, self.esn);
        self.aead.seal(
            &nonce(self.salt, &seq.to_be_bytes()),
            &a[..a_len],
            plain,
            icv,
        );
        self.last_seq = seq;
        Ok(needed)
    }
}

/// Rejections counted per reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RejectCounters {
    /// Too short.
    pub truncated: u64,
    /// No SA for the SPI.
    pub unknown_spi: u64,
    /// Sequence number seen before.
    pub replayed: u64,
    /// Sequence number below the window.
    pub too_old: u64,
    /// ICV did not verify.
    pub bad_icv: u64,
    /// Padding not 1, 2, 3, ….
    pub bad_padding: u64,
}

impl RejectCounters {
    fn count(&mut self, reject: &EspReject) {
        let c = match reject {
            EspReject::Truncated { .. } => &mut self.truncated,
            EspReject::UnknownSpi { .. } => &mut self.unknown_spi,
            EspReject::Replayed { .. } => &mut self.replayed,
            EspReject::TooOld { .. } => &mut self.too_old,
            EspReject::BadIcv { .. } => &mut self.bad_icv,
            EspReject::BadPadding { .. } => &mut self.bad_padding,
        };
        *c += 1;
    }

    fn add(&mut self, o: &RejectCounters) {
        self.truncated += o.truncated;
        self.unknown_spi += o.unknown_spi;
        self.replayed += o.replayed;
        self.too_old += o.too_old;
        self.bad_icv += o.bad_icv;
        self.bad_padding += o.bad_padding;
    }

    /// Sum of all reasons.
    pub fn total(&self) -> u64 {
        self.truncated
            + self.unknown_spi
            + self.replayed
            + self.too_old
            + self.bad_icv
            + self.bad_padding
    }
}

/// A successfully opened ESP packet.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened<'a> {
    /// The inner packet, borrowed from the caller's buffer.
    pub inner: &'a [u8],
    /// The next-header (protocol) field.
    pub next_header: u8,
    /// The full (ESN-inferred) sequence number.
    pub sequence: u64,
    /// The SPI.
    pub spi: u32,
}

/// A receive SA with its replay window and reject counters.
pub struct InboundSa<A: AeadBackend = AesGcmBackend> {
    spi: u32,
    salt: [u8; 4],
    aead: A,
    esn: bool,
    window: ReplayWindow,
    counters: RejectCounters,
    accepted: u64,
}

impl<A: AeadBackend> InboundSa<A> {
    /// A receive SA for `params`. ESN requires a replay window (it infers the high bits from it).
    pub fn new(params: &SaParams) -> Result<Self, IpsecError> {
        check_spi(params.spi)?;
        if params.esn && params.replay_window == 0 {
            return Err(IpsecError::InvalidReplayWindow { window: 0 });
        }
        Ok(InboundSa {
            spi: params.spi,
            salt: params.key.salt(),
            aead: A::new(params.key.key(), params.icv_len)?,
            esn: params.esn,
            window: ReplayWindow::new(params.replay_window)?,
            counters: RejectCounters::default(),
            accepted: 0,
        })
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// Rejections so far.
    pub fn counters(&self) -> RejectCounters {
        self.counters
    }

    /// Packets accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    /// Smallest packet this SA can accept.
    pub fn min_len(&self) -> usize {
        ESP_HEADROOM + wire_esp::TRAILER_LEN + self.aead.icv_len()
    }

    /// Verify and decrypt `packet` (a whole ESP packet) in place and return the inner packet.
    /// Every rejection is counted; the replay window only advances for authentic packets.
    pub fn open<'a>(&mut self, packet: &'a mut [u8]) -> Result<Opened<'a>, EspReject> {
        let r = self.open_inner(packet);
        match r {
            Ok((start, len, next_header, sequence)) => {
                self.accepted += 1;
                let packet: &'a [u8] = packet;
                Ok(Opened {
                    inner: &packet[start..start + len],
                    next_header,
                    sequence,
                    spi: self.spi,
                })
            }
            Err(e) => {
                self.counters.count(&e);
                Err(e)
            }
        }
    }

    fn open_inner(&mut self, packet: &mut [u8]) -> Result<(usize, usize, u8, u64), EspReject> {
        let min = self.min_len();
        if packet.len() < min {
            return Err(EspReject::Truncated {
                len: packet.len(),
                min,
            });
        }
        let (head, rest) = packet.split_at_mut(ESP_HEADROOM);
        let header = Packet::new_unchecked(&head[..HEADER_LEN]);
        let spi = header.spi();
        if spi != self.spi {
            return Err(EspReject::UnknownSpi { spi });
        }
        let seq_low = header.sequence_number();
        let seq = if self.esn {
            self.window.infer_esn(seq_low)
        } else {
            u64::from(seq_low)
        };
        match self.window.check(seq) {
            Ok(()) => {}
            Err(ReplayVerdict::Replayed) => return Err(EspReject::Replayed { spi, seq }),
            Err(ReplayVerdict::TooOld { window_start }) => {
                return Err(EspReject::TooOld {
                    spi,
                    seq,
                    window_start,
                });
            }
        }
        let icv_len = self.aead.icv_len();
        let (ciphertext, icv) = rest.split_at_mut(rest.len() - icv_len);
        let (a, a_len) = aad(spi, seq, self.esn);
        if !self.aead.open(
            &nonce(self.salt, &head[HEADER_LEN..]),
            &a[..a_len],
            ciphertext,
            icv,
        ) {
            return Err(EspReject::BadIcv { spi, seq });
        }
        self.window.accept(seq);
        let (len, next_header) =
            wire_esp::parse_trailer(ciphertext).map_err(|_| EspReject::BadPadding { spi, seq })?;
        Ok((ESP_HEADROOM, len, next_header, seq))
    }
}

/// The receive SAs of a node, looked up by SPI in O(1).
pub struct InboundSaTable<A: AeadBackend = AesGcmBackend> {
    sas: HashMap<u32, InboundSa<A>>,
    counters: RejectCounters,
}

impl<A: AeadBackend> Default for InboundSaTable<A> {
    fn default() -> Self {
        InboundSaTable {
            sas: HashMap::new(),
            counters: RejectCounters::default(),
        }
    }
}

impl<A: AeadBackend> InboundSaTable<A> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Install an SA; fails if its SPI is taken.
    pub fn insert(&mut self, sa: InboundSa<A>) -> Result<(), IpsecError> {
        if self.sas.contains_key(&sa.spi) {
            return Err(IpsecError::DuplicateSpi { spi: sa.spi });
        }
        self.sas.insert(sa.spi, sa);
        Ok(())
    }

    /// Remove and return the SA with `spi`.
    pub fn remove(&mut self, spi: u32) -> Option<InboundSa<A>> {
        self.sas.remove(&spi)
    }

    /// The SA with `spi`.
    pub fn get(&self, spi: u32) -> Option<&InboundSa<A>> {
        self.sas.get(&spi)
    }

    /// Whether an SA with `spi` is installed.
    pub fn contains(&self, spi: u32) -> bool {
        self.sas.contains_key(&spi)
    }

    /// Number of SAs.
    pub fn len(&self) -> usize {
        self.sas.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.sas.is_empty()
    }

    /// Rejections of the table (truncated headers, unknown SPIs) plus those of every SA.
    pub fn counters(&self) -> RejectCounters {
        let mut c = self.counters;
        for sa in self.sas.values() {
            c.add(&sa.counters);
        }
        c
    }

    /// Dispatch `packet` to the SA named by its SPI and open it.
    pub fn open<'a>(&mut self, packet: &'a mut [u8]) -> Result<Opened<'a>, EspReject> {
        let spi = match Packet::new_checked(&packet[..]) {
            Ok(p) => p.spi(),
            Err(_) => {
                let e = EspReject::Truncated {
                    len: packet.len(),
                    min: HEADER_LEN,
                };
                self.counters.count(&e);
                return Err(e);
            }
        };
        match self.sas.get_mut(&spi) {
            Some(sa) => sa.open(packet),
            None => {
                let e = EspReject::UnknownSpi { spi };
                self.counters.count(&e);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipsec::{Key, Profile};
    use std::net::IpAddr;

    fn params(profile: Profile) -> SaParams {
        let k = Key::new(&[0x42; 16]).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        profile.sa_params(&k, 1, a, b, 0x1234_5678)
    }

    fn seal_one(tx: &mut OutboundSa, payload: &[u8]) -> Vec<u8> {
        let mut buf = vec![0u8; sealed_len(payload.len(), tx.icv_len())];
        buf[ESP_HEADROOM..ESP_HEADROOM + payload.len()].copy_from_slice(payload);
        let n = tx.seal(&mut buf, payload.len(), 17).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn seal_open_roundtrip_both_profiles() {
        for profile in [Profile::DockerCompatible, Profile::Hardened] {
            let p = params(profile);
            let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
            let mut rx = InboundSa::<AesGcmBackend>::new(&p).unwrap();
            for len in [0usize, 1, 2, 3, 4, 5, 100, 1400] {
                let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut pkt = seal_one(&mut tx, &payload);
                assert_eq!(pkt.len() % 4, 0);
                assert_eq!(pkt.len(), sealed_len(len, profile.icv_len()));
                let opened = rx.open(&mut pkt).unwrap();
                assert_eq!(opened.inner, &payload[..]);
                assert_eq!(opened.next_header, 17);
            }
            assert_eq!(rx.accepted(), 8);
        }
    }

    #[test]
    fn every_rejection_is_typed_and_counted() {
        let p = params(Profile::Hardened);
        let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
        let mut table = InboundSaTable::<AesGcmBackend>::new();
        table.insert(InboundSa::new(&p).unwrap()).unwrap();
        assert!(table.insert(InboundSa::new(&p).unwrap()).is_err());
        let pkt = seal_one(&mut tx, b"hello");
        let mut replay = pkt.clone();
        let mut ok = pkt.clone();
        assert!(table.open(&mut ok).is_ok());
        assert!(matches!(
            table.open(&mut replay),
            Err(EspReject::Replayed { seq: 1, .. })
        ));
        let mut forged = seal_one(&mut tx, b"hello");
        forged[20] ^= 1;
        assert!(matches!(
            table.open(&mut forged),
            Err(EspReject::BadIcv { seq: 2, .. })
        ));
        let mut short = vec![0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0];
        assert!(matches!(
            table.open(&mut short),
            Err(EspReject::Truncated { .. })
        ));
        let mut tiny = vec![1, 2, 3];
        assert!(matches!(
            table.open(&mut tiny),
            Err(EspReject::Truncated { len: 3, min: 8 })
        ));
        let mut unknown = pkt.clone();
        unknown[0] = 0x99;
        assert!(matches!(
            table.open(&mut unknown),
            Err(EspReject::UnknownSpi { .. })
        ));
        let c = table.counters();
        assert_eq!(
            (c.replayed, c.bad_icv, c.truncated, c.unknown_spi),
            (1, 1, 2, 1)
        );
        assert_eq!(c.total(), 5);
    }

    #[test]
    fn too_old_and_bad_padding() {
        // Without ESN a number below the window is "too old". (With ESN, Appendix A reads it as
        // belonging to the next 2^32 subspace, and the ICV then fails.)
        let mut p = params(Profile::DockerCompatible);
        p.replay_window = 32;
        let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
        let mut rx = InboundSa::<AesGcmBackend>::new(&p).unwrap();
        let mut first = seal_one(&mut tx, b"x");
        for _ in 0..40 {
            let mut pkt = seal_one(&mut tx, b"x");
            rx.open(&mut pkt).unwrap();
        }
        assert!(matches!(
            rx.open(&mut first),
            Err(EspReject::TooOld {
                seq: 1,
                window_start: 10,
                ..
            })
        ));
        assert_eq!(rx.counters().too_old, 1);
        let p = params(Profile::Hardened);
        let mut rx = InboundSa::<AesGcmBackend>::new(&p).unwrap();
        // An authentic packet whose sender wrote bad padding: seal by hand with a wrong pad byte.
        let aead = AesGcmBackend::new(p.key.key(), 16).unwrap();
        let seq = 100u64;
        let mut pkt = vec![0u8; 16 + 8 + 16];
        pkt[..4].copy_from_slice(&p.spi.to_be_bytes());
        pkt[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        pkt[8..16].copy_from_slice(&seq.to_be_bytes());
        pkt[16..24].copy_from_slice(&[b'a', b'b', b'c', 1, 9, 3, 3, 17]);
        let (a, n) = aad(p.spi, seq, true);
        let (head, rest) = pkt.split_at_mut(16);
        let (plain, icv) = rest.split_at_mut(8);
        aead.seal(&nonce(p.key.salt(), &head[8..16]), &a[..n], plain, icv);
        assert!(matches!(
            rx.open(&mut pkt),
            Err(EspReject::BadPadding { seq: 100, .. })
        ));
        assert_eq!(rx.counters().bad_padding, 1);
    }

    #[test]
    fn docker_profile_refuses_to_wrap_the_sequence_number() {
        let p = params(Profile::DockerCompatible);
        let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
        tx.last_seq = u64::from(u32::MAX) - 1;
        let mut buf = vec![0u8; 64];
        assert!(tx.seal(&mut buf, 4, 17).is_ok());
        let before = buf.clone();
        let err = tx.seal(&mut buf, 4, 17).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sequence space exhausted on SA with SPI 0x12345678"
        );
        assert_eq!(buf, before);
        assert_eq!(tx.last_sequence(), u64::from(u32::MAX));
        // With ESN the same SA continues into the next 2^32 subspace.
        let mut tx = OutboundSa::<AesGcmBackend>::new(&params(Profile::Hardened)).unwrap();
        tx.last_seq = u64::from(u32::MAX);
        assert!(tx.seal(&mut buf, 4, 17).is_ok());
        assert_eq!(&buf[4..8], &[0, 0, 0, 0]);
    }

    #[test]
    fn esn_receiver_follows_a_wrap() {
        let p = params(Profile::Hardened);
        let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
        let mut rx = InboundSa::<AesGcmBackend>::new(&p).unwrap();
        tx.last_seq = u64::from(u32::MAX) - 3;
        for _ in 0..8 {
            let mut pkt = seal_one(&mut tx, b"wrap");
            let o = rx.open(&mut pkt).unwrap();
            assert_eq!(o.sequence, tx.last_sequence());
        }
    }

    #[test]
    fn rejects_reserved_spi_and_small_buffers() {
        let mut p = params(Profile::Hardened);
        p.spi = 255;
        assert!(matches!(
            OutboundSa::<AesGcmBackend>::new(&p),
            Err(IpsecError::ReservedSpi { spi: 255 })
        ));
        let mut tx = OutboundSa::<AesGcmBackend>::new(&params(Profile::Hardened)).unwrap();
        let mut buf = [0u8; 20];
        assert!(matches!(
            tx.seal(&mut buf, 4, 17),
            Err(IpsecError::BufferTooSmall { .. })
        ));
        // Payload lengths near usize::MAX must not overflow the length arithmetic.
        for payload_len in [usize::MAX, usize::MAX - 1, usize::MAX - 17, 1 << 62] {
            assert!(matches!(
                tx.seal(&mut buf, payload_len, 17),
                Err(IpsecError::BufferTooSmall { available: 20, needed }) if needed > 20
            ));
        }
        assert_eq!(tx.last_sequence(), 0);
    }

    proptest::proptest! {
        /// Packets sealed in order and delivered shuffled (within the window) and duplicated
        /// are each accepted exactly once with their own payload; a flipped bit anywhere is
        /// always rejected.
        #[test]
        fn shuffled_duplicated_delivery_accepts_each_once(
            lens in proptest::collection::vec(0usize..200, 1..40),
            order in proptest::collection::vec(0usize..1000, 1..80),
            flip in 0usize..10_000,
        ) {
            let p = params(Profile::Hardened);
            let mut tx = OutboundSa::<AesGcmBackend>::new(&p).unwrap();
            let mut rx = InboundSa::<AesGcmBackend>::new(&p).unwrap();
            let sent: Vec<(Vec<u8>, Vec<u8>)> = lens
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let payload = vec![i as u8; n];
                    (seal_one(&mut tx, &payload), payload)
                })
                .collect();
            let mut forged = sent[flip % sent.len()].0.clone();
            let bit = flip % (forged.len() * 8);
            forged[bit / 8] ^= 1 << (bit % 8);
            proptest::prop_assert!(rx.open(&mut forged).is_err());
            let mut accepted = vec![false; sent.len()];
            for o in order.iter().copied().chain(0..sent.len()) {
                let i = o % sent.len();
                let mut pkt = sent[i].0.clone();
                match rx.open(&mut pkt) {
                    Ok(opened) => {
                        proptest::prop_assert!(!accepted[i]);
                        proptest::prop_assert_eq!(opened.inner, &sent[i].1[..]);
                        accepted[i] = true;
                    }
                    Err(e) => {
                        proptest::prop_assert!(accepted[i], "fresh packet {} rejected: {}", i, e);
                    }
                }
            }
            proptest::prop_assert!(accepted.iter().all(|&a| a));
        }
    }
}
