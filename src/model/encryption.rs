//! `Encryption`: which IPsec profile an overlay network uses, and its ESP byte overhead.
//!
//! Only the choice and its size live here; keys, SAs and policies belong to the `ipsec` module.

use serde::{Deserialize, Serialize};

/// The encryption profile of an overlay network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Encryption {
    /// Cleartext VXLAN.
    #[default]
    Off,
    /// Exactly what Docker does for `--opt encrypted`: ESP transport mode, AES-GCM with an
    /// 8-byte ICV, no ESN. Networks parsed from a Docker option map get this, so a network
    /// shared with Docker nodes stays interoperable.
    DockerCompatible,
    /// Our default for new encrypted networks: AES-GCM with a 16-byte ICV, 64-bit extended
    /// sequence numbers (low 32 bits on the wire) and a replay window.
    Hardened,
}

impl Encryption {
    /// Whether traffic is encrypted at all.
    pub fn is_encrypted(self) -> bool {
        self != Encryption::Off
    }

    /// Bytes ESP adds to each VXLAN datagram, before alignment padding:
    /// Docker-compatible 26 = SPI 4 + Seq 4 + IV 8 + pad-length 1 + next-header 1 + ICV 8
    /// (moby `pktExpansion`); hardened 34 = the same with a 16-byte ICV.
    pub fn esp_overhead(self) -> u32 {
        match self {
            Encryption::Off => 0,
            Encryption::DockerCompatible => DOCKER_ESP_OVERHEAD,
            Encryption::Hardened => HARDENED_ESP_OVERHEAD,
        }
    }
}

/// ESP overhead of Docker's profile (moby `pktExpansion`).
pub const DOCKER_ESP_OVERHEAD: u32 = 26;
/// ESP overhead of the hardened profile (16-byte ICV; ESN adds no bytes on the wire).
pub const HARDENED_ESP_OVERHEAD: u32 = 34;
