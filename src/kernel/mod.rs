//! The kernel layer: the vocabulary of host objects overlaynet owns ([`KernelState`]), the
//! [`Plan`] that turns an observed state into a desired one, the [`Kernel`] trait that
//! observes and applies, [`reconcile`] (observe + diff + apply, which also repairs drift),
//! and [`sim`], an in-memory Linux model for tests without root.
//!
//! This module knows nothing about networks, peers, published ports or keys: the host engine
//! maps those onto this vocabulary. It never touches an object that is neither desired nor
//! ours by [`Scope`], and it performs no I/O itself (backends do).
//!
//! # Incremental plans
//!
//! [`diff`] merge-joins two full states: O(n log n) in the number of objects. For a host
//! engine reacting to one peer event, [`Plan::from_delta`] diffs only the keys the event
//! touched, in O(changes · log n), using the same per-object rules.

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
pub use diff::{diff, vxlan_staging_name};
pub use display::PlanDisplay;
pub use error::{Errno, KernelError};
pub use plan::{LinkChange, Op, Plan};
pub use reconcile::{ReconcileReport, conforms, reconcile};
pub use scope::{DOCKER_XFRM_MARK, NFT_TABLE, NamePattern, Scope};
pub use state::*;
