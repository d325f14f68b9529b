//! IPsec for encrypted overlays: keys and keyrings with Docker's primary selection, moby's SPI
//! derivation, the 3-step key rotation as ordered XFRM SA/SP changes, the rotation schedule,
//! the Docker-compatible and hardened profiles, a userspace ESP implementation (RFC 4303 with
//! RFC 4106 AES-GCM, framed for ESP-in-UDP per RFC 3948) and memberlist's gossip encryption.
//!
//! Depends on [`crate::wire`] only. No I/O, no clock (time is passed in), no threads; key bytes
//! never appear in `Debug`, `Display` or errors.

mod aead;
mod error;
mod esp;
mod gossip;
mod key;
mod keyring;
mod profile;
mod replay;
pub mod rotation;
mod schedule;
mod spi;
mod xfrm;

#[cfg(feature = "ring")]
pub use aead::RingGcm;
pub use aead::{AeadBackend, AesGcmBackend};
pub use error::{EspReject, GossipError, IpsecError};
pub use esp::{
    ESP_HEADROOM, InboundSa, InboundSaTable, Opened, OutboundSa, RejectCounters, sealed_len,
};
pub use gossip::{
    EncryptionVersion, LABEL_MSG, add_label_header, decrypt_payload, encrypt_payload,
    encrypt_payload_with_nonce, encrypted_length, remove_label_header,
};
pub use key::{Key, SaKey};
pub use keyring::{
    KEYRING_SIZE, KeyIndices, KeyTransition, KeyUpdate, Keyring, SUBSYSTEM_GOSSIP, SUBSYSTEM_IPSEC,
    SwarmKey, TaggedKey, validate_swarm_keys,
};
pub use profile::{HKDF_INFO_PREFIX, HKDF_SALT, Profile, SaParams, derive_hardened};
pub use replay::{MAX_REPLAY_WINDOW, ReplayVerdict, ReplayWindow};
pub use rotation::{
    Endpoints, RemoteSas, RotationPhases, plan_rotation, rotation_changes, rotation_phases,
};
pub use schedule::{
    DEFAULT_ROTATION_INTERVAL, DOCKER_VOLUME_LIMIT, HARDENED_VOLUME_LIMIT, RotationReason,
    RotationSchedule,
};
pub use spi::{SpiPair, build_spi};
pub use xfrm::{
    AEAD_NAME, DOCKER_MARK, IPPROTO_ESP, IPPROTO_UDP, SaDirection, XfrmChange, XfrmMark,
    XfrmPolicy, XfrmPolicyId, XfrmState, XfrmStateId,
};
