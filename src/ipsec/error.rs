//! The error type of the `ipsec` module. Texts follow Docker (moby's agent.go and
//! drivers/overlay/encryption.go, hashicorp/memberlist's security.go) where the reference
//! quotes them. No variant ever carries key bytes.

use std::time::Duration;

/// Why an ESP packet was not accepted by [`crate::ipsec::InboundSa::open`]. Each reason is also
/// counted in [`crate::ipsec::RejectCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EspReject {
    /// Shorter than the smallest ESP packet this SA can produce.
    #[error("ESP packet truncated: {len} bytes, at least {min} needed")]
    Truncated {
        /// Bytes received.
        len: usize,
        /// Smallest valid length for this SA.
        min: usize,
    },
    /// No inbound SA has this SPI.
    #[error("no inbound SA for SPI {spi:#010x}")]
    UnknownSpi {
        /// The SPI on the wire.
        spi: u32,
    },
    /// The sequence number was already accepted on this SA.
    #[error("replayed ESP packet: SPI {spi:#010x} sequence {seq}")]
    Replayed {
        /// The SA's SPI.
        spi: u32,
        /// The full (ESN-inferred) sequence number.
        seq: u64,
    },
    /// The sequence number lies below the replay window.
    #[error("ESP packet too old: SPI {spi:#010x} sequence {seq}, window starts at {window_start}")]
    TooOld {
        /// The SA's SPI.
        spi: u32,
        /// The full (ESN-inferred) sequence number.
        seq: u64,
        /// The lowest sequence number the window still accepts.
        window_start: u64,
    },
    /// The integrity check value did not verify (forged, corrupted or wrong key).
    #[error("ESP integrity check failed: SPI {spi:#010x} sequence {seq}")]
    BadIcv {
        /// The SA's SPI.
        spi: u32,
        /// The full (ESN-inferred) sequence number.
        seq: u64,
    },
    /// The decrypted trailer's padding is not the RFC 4303 monotonic sequence 1, 2, 3, ….
    #[error("ESP padding invalid: SPI {spi:#010x} sequence {seq}")]
    BadPadding {
        /// The SA's SPI.
        spi: u32,
        /// The full (ESN-inferred) sequence number.
        seq: u64,
    },
}

/// Any error of the `ipsec` module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpsecError {
    /// A key must be 16 (AES-128) or 32 (AES-256) bytes.
    #[error("invalid key length {len}: must be 16 or 32 bytes")]
    InvalidKeyLength {
        /// The rejected length.
        len: usize,
    },
    /// Docker's `SetKeys`: a key for a subsystem other than `networking:gossip`/`networking:ipsec`.
    #[error("key received for unrecognized subsystem")]
    UnrecognizedSubsystem {
        /// The subsystem name received.
        subsystem: String,
    },
    /// Docker's `SetKeys`: every present subsystem needs exactly 3 keys.
    #[error("incorrect number of keys for subsystem {subsystem}")]
    IncorrectKeyCount {
        /// The subsystem.
        subsystem: String,
        /// How many keys it had.
        count: usize,
    },
    /// Two keys of one set share a Lamport tag, so SPIs and key order would be ambiguous.
    #[error("duplicate key tag {tag}")]
    DuplicateTag {
        /// The repeated tag.
        tag: u64,
    },
    /// Docker's `updateKeys`: a requested key (new, primary, prune) is not in the ring.
    #[error(
        "cannot find proper key indices while processing key update:(newIdx,priIdx,delIdx):({new_idx}, {primary_idx}, {prune_idx})"
    )]
    KeyIndicesNotFound {
        /// Index of the new key, -1 when none.
        new_idx: i64,
        /// Index of the requested primary, -1 when not found.
        primary_idx: i64,
        /// Index of the key to prune, -1 when none or not found.
        prune_idx: i64,
    },
    /// Docker's `updateKeys`: the same key was named as primary and as the one to prune.
    #[error("attempting to both make a key (index {index}) primary and delete it")]
    PrimaryIsPruned {
        /// Its index in the ring.
        index: usize,
    },
    /// The hardened profile refuses to transmit with a key the peers have not had a full period
    /// to install for receiving (see [`crate::ipsec::Profile::Hardened`]).
    #[error("key {tag} would transmit before peers could install it for receiving")]
    TransmitBeforeReceive {
        /// The tag of the key that would become primary.
        tag: u64,
    },
    /// The rotation interval must be positive.
    #[error("invalid rotation interval {interval:?}: must be greater than zero")]
    InvalidInterval {
        /// The rejected interval.
        interval: Duration,
    },
    /// The replay window must be 0 (off) or a multiple of 32 up to 4096 packets, and ESN needs one.
    #[error(
        "invalid replay window {window}: must be 0 or a multiple of 32 up to 4096 (ESN needs one)"
    )]
    InvalidReplayWindow {
        /// The rejected size.
        window: u32,
    },
    /// The ICV must be 8 (Docker) or 16 bytes.
    #[error("invalid ICV length {len}: must be 8 or 16 bytes")]
    InvalidIcvLength {
        /// The rejected length.
        len: usize,
    },
    /// SPIs 0–255 are reserved (RFC 4303 §2.1); 0 also marks non-ESP packets in ESP-in-UDP.
    #[error("SPI {spi} is reserved (0..=255)")]
    ReservedSpi {
        /// The rejected SPI.
        spi: u32,
    },
    /// An outbound SA sent its last sequence number; it must be replaced by a rotation.
    #[error("sequence space exhausted on SA with SPI {spi:#010x}")]
    SequenceExhausted {
        /// The SA's SPI.
        spi: u32,
    },
    /// The caller's buffer cannot hold the ESP packet.
    #[error("buffer too small for ESP packet: {needed} bytes needed, {available} available")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// An inbound SA with this SPI is already installed.
    #[error("an inbound SA with SPI {spi:#010x} already exists")]
    DuplicateSpi {
        /// The SPI.
        spi: u32,
    },
    /// An ESP packet was rejected.
    #[error(transparent)]
    Esp(#[from] EspReject),
    /// A gossip payload could not be decrypted (memberlist's texts).
    #[error(transparent)]
    Gossip(#[from] GossipError),
    /// Randomness for a gossip nonce was unavailable.
    #[error("random nonce unavailable: {0}")]
    Random(String),
}

/// Why a memberlist-encrypted gossip payload was rejected (hashicorp/memberlist security.go texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GossipError {
    /// Zero-length input.
    #[error("cannot decrypt empty payload")]
    Empty,
    /// Version byte above 1.
    #[error("unsupported encryption version {0}")]
    UnsupportedVersion(u8),
    /// Shorter than version, nonce, (padding) and tag.
    #[error("payload is too small to decrypt: {0}")]
    TooSmall(usize),
    /// No key in the ring authenticated the payload.
    #[error("no installed keys could decrypt the message")]
    NoKeyDecrypts,
    /// A version-0 plaintext whose PKCS#7 pad length is not 1..=16 or exceeds the plaintext.
    #[error("invalid PKCS7 padding length {0}")]
    BadPadding(u8),
    /// A label header was malformed or longer than 255 bytes.
    #[error("invalid label header: {0}")]
    BadLabel(String),
}
