//! The kernel layer: the vocabulary of host objects overlaynet owns ([`KernelState`]), the
//! [`Plan`] that turns an observed state into a desired one, the [`Kernel`] trait that
//! observes and applies, [`reconcile`] (observe + diff + apply, which also repairs drift),
//! and [`sim`], an in-memory Linux model for tests without root.
//!
//! This module knows nothing about networks, peers, published ports or keys: the host engine
//! maps those onto this vocabulary. It never touches an object that is neither desired nor
//! ours by [`Scope`], and it performs no I/O itself (backends do).
//!
//! # Example
//!
//! ```
//! use overlaynet::kernel::sim::SimKernel;
//! use overlaynet::kernel::*;
//!
//! let sandbox = Netns::named("1-k3jd8s0a2b");
//! let mut desired = KernelState::new();
//! desired.namespaces.insert("1-k3jd8s0a2b".into());
//! desired.links.insert(LinkKey::new(sandbox.clone(), "br0"), Link::new(LinkKind::Bridge).up());
//! desired.links.insert(
//!     LinkKey::new(sandbox.clone(), "vxlan0"),
//!     Link::new(LinkKind::Vxlan(VxlanAttrs::docker(4097, 4789))).with_mtu(1450).with_master("br0").up(),
//! );
//!
//! let scope = Scope::docker();
//! let mut kernel = SimKernel::new(scope.clone());
//! // A dry run: what would change?
//! let plan = diff(&kernel.observe()?, &desired, &scope);
//! assert!(plan.to_string().contains("ip link add vx-001001-k3jd8 mtu 1450 type vxlan id 4097"));
//! // Apply it, then repair whatever drifts.
//! assert!(reconcile(&desired, &scope, &mut kernel)?.is_success());
//! kernel.drift(42, 1);
//! reconcile(&desired, &scope, &mut kernel)?;
//! assert!(reconcile(&desired, &scope, &mut kernel)?.was_in_sync());
//! # Ok::<(), KernelError>(())
//! ```
//!
//! # Incremental plans
//!
//! [`diff`] merge-joins two full states' key-ordered maps: O(n) in the number of objects
//! (a few milliseconds for a sandbox with 10,000 peers, see `benches/kernel.rs`).
//! A host engine reacting to one peer event should not pay that: it keeps its desired state
//! and the last observed state as these ordered maps, and calls [`Plan::from_delta`] with the
//! identities the event touched (one peer: its neighbour and FDB entries, and its XFRM states
//! and policy when encrypted). That diffs only those keys and the links and namespace they
//! sit on, in O(changes · log n) — microseconds at 10,000 peers — with the same per-object
//! rules, so it emits exactly the operations the full diff would for them. The full diff
//! remains the periodic drift repair.

mod apply;
mod diff;
mod display;
mod error;
mod plan;
mod reconcile;
mod scope;
pub mod sim;
mod state;

pub use apply::{ApplyReport, Kernel, OpOutcome, execute};
pub use diff::diff;
pub use display::PlanDisplay;
pub use error::{Errno, KernelError};
pub use plan::{LinkChange, Op, Plan};
pub use reconcile::{ReconcileReport, conforms, reconcile};
pub use scope::{DOCKER_XFRM_MARK, NFT_TABLE, NamePattern, Scope};
pub use state::*;
