//! # overlaynet
//!
//! Docker-compatible multi-host overlay networking as an embeddable, sans-IO Rust library:
//! the networks (`overlay`, `ingress`, `docker_gwbridge`), the VXLAN data plane, peer tables,
//! port publishing and IPsec key schedules.
//!
//! The crate never starts threads, never reads a clock and never does I/O on its own: every
//! call that depends on time takes `now`, and the caller owns sockets and timers. See
//! `DESIGN.md`-style overview in the README.
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod error;
#[cfg(feature = "capi")]
pub mod ffi;
pub mod host;
pub mod ipsec;
pub mod kernel;
pub mod model;
pub mod peer;
pub mod publish;
mod sys;
pub mod wire;

pub use error::{Error, Result};
