//! The host engine: the sans-IO state machine for one host. It takes networks from the
//! model, endpoint joins from the runtime, peer events from gossip and keys from the key
//! manager, and keeps the complete desired [`KernelState`](crate::kernel::KernelState): what
//! Docker's overlay driver would create on this host, keyed so that removing a thing removes
//! exactly what adding it added. Plans and reconcile go through the `kernel` module.
//!
//! It must not write to a kernel, read a clock or start threads, and nothing outside its
//! [`Host::scope`] ever appears in its plans.

mod desired;
mod endpoint;
mod error;
mod explain;
#[allow(clippy::module_inception)]
mod host;
mod keys;
mod network;
mod peers;

pub use endpoint::{DEFAULT_GW_IFNAME, DEFAULT_IFNAME, ExternalAccess, JoinRequest};
pub use error::HostError;
pub use explain::{Explanation, Hop, Verdict};
pub use host::{DataPathMode, GW_VETH_PREFIX, Host, PeerUpdate, VETH_PREFIX};
pub use keys::{RemoteXfrm, profile_of, xfrm_objects};
pub use network::SANDBOX_EPOCH;

#[cfg(test)]
mod tests;
