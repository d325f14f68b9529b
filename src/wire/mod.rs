//! Zero-copy packet views and their high-level representations: Ethernet, ARP, IPv4, IPv6,
//! UDP, VXLAN, ESP, and in-place VXLAN encapsulation/decapsulation.
//!
//! This module depends on nothing else in the crate and never allocates on its packet paths.

pub mod esp;
mod mac;

pub use mac::{MacAddr, MacParseError};
