//! The C ABI (feature `capi`): `overlaynet_*` functions over the public Rust API, following the
//! rustls-ffi conventions. `include/overlaynet.h` is generated from this module by cbindgen.
//!
//! Contract for every function (also in the header):
//! - Handles are opaque pointers created by `overlaynet_<noun>_new` (or a function that says it
//!   returns a new handle) and released with `overlaynet_<noun>_free`; freeing NULL is a no-op.
//!   A handle may be used from any thread but not from two threads at once.
//! - Functions that can fail return `overlaynet_result`: `OVERLAYNET_RESULT_OK` (0) or a code
//!   in 7001..=7099; after a failure `overlaynet_last_error_message` holds the full error text
//!   for the calling thread. On failure no out-parameter is written (except `out_n` on
//!   `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`) and handle state is unchanged. When a kernel (real
//!   or simulated) reported the failure, `overlaynet_last_error_errno` gives its errno.
//! - Strings go in as `(const uint8_t *ptr, size_t len)` UTF-8 without a NUL terminator;
//!   `(NULL, 0)` is the empty string. Text comes out into caller buffers
//!   `(uint8_t *buf, size_t len, size_t *out_n)`: no NUL is added, `*out_n` is the length
//!   written, or the length needed together with `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`.
//! - Enum-valued arguments are `uint32_t` and are checked.
//! - No panic crosses the boundary: it becomes `OVERLAYNET_RESULT_PANIC`.
//!
//! This module holds the only `unsafe` code of the crate besides syscall boundaries, and it
//! must not contain domain logic: each function converts arguments, calls the Rust API and
//! converts the result.
// Exported functions are `unsafe extern "C"` and share the single contract above (repeated in
// the header's preamble), rather than a `# Safety` section each.
#![allow(clippy::missing_safety_doc)]

mod boundary;
pub mod cluster;
pub mod convert;
pub mod explain;
pub mod gwbridge;
pub mod host;
pub mod ingress;
pub mod ipam;
pub mod ipsec;
pub mod ipsec_esp;
pub mod kernel;
pub mod last_error;
pub mod mtu;
pub mod network_state;
pub mod node;
pub mod options;
pub mod overlay;
pub mod peer;
pub mod plan;
pub mod publish;
pub mod publish_allocator;
pub mod publish_rules;
pub mod result;
pub mod vni;

pub use boundary::OVERLAYNET_MAX_INPUT_LEN;
pub use result::overlaynet_result;
