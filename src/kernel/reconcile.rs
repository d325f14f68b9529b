//! `reconcile`: observe, diff, apply — how a desired state is reached and how drift is
//! repaired. This module adds no policy of its own beyond validating the desired state.

use serde::{Deserialize, Serialize};

use super::apply::{ApplyReport, Kernel};
use super::diff::diff;
use super::error::KernelError;
use super::plan::Plan;
use super::scope::Scope;
use super::state::{KernelState, ObjectId};

/// What one reconcile round did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    /// The plan that was applied (empty when the kernel already matched).
    pub plan: Plan,
    /// The outcome of each of its operations.
    pub apply: ApplyReport,
}

impl ReconcileReport {
    /// Whether the kernel already matched the desired state.
    pub fn was_in_sync(&self) -> bool {
        self.plan.is_empty()
    }

    /// Whether every operation succeeded (so the kernel now matches, barring concurrent
    /// changes).
    pub fn is_success(&self) -> bool {
        self.apply.is_success()
    }

    /// The objects changed by operations that were done.
    pub fn changed(&self) -> Vec<ObjectId> {
        self.plan
            .ops
            .iter()
            .zip(&self.apply.outcomes)
            .filter(|(_, o)| **o == super::OpOutcome::Done)
            .map(|(op, _)| op.object())
            .collect()
    }
}

/// One round: validates `desired`, observes `kernel`, diffs against `desired` within
/// `scope`, and applies the plan. Failed operations are reported, not returned: the next
/// round re-observes and retries what is still missing.
///
/// Errors only when `desired` is invalid or the kernel cannot be observed; then nothing is
/// applied.
pub fn reconcile(
    desired: &KernelState,
    scope: &Scope,
    kernel: &mut dyn Kernel,
) -> Result<ReconcileReport, KernelError> {
    desired.validate()?;
    let observed = kernel.observe()?;
    let plan = diff(&observed, desired, scope);
    let apply = if plan.is_empty() {
        super::ApplyReport::default()
    } else {
        kernel.apply(&plan)
    };
    Ok(ReconcileReport { plan, apply })
}

/// Whether `observed` holds exactly `desired` within `scope`: the same objects, except for
/// foreign objects (neither desired nor ours), with link MTU and MAC compared only where
/// `desired` manages them.
pub fn conforms(observed: &KernelState, desired: &KernelState, scope: &Scope) -> bool {
    let ours = |id: ObjectId| scope.owns(&id, observed);
    let extra = observed
        .object_ids()
        .any(|id| !contains(desired, &id) && ours(id));
    if extra {
        return false;
    }
    let links = desired.links.iter().all(|(k, want)| {
        observed
            .links
            .get(k)
            .is_some_and(|have| have.satisfies(want))
    });
    links
        && desired.namespaces.is_subset(&observed.namespaces)
        && desired.addrs.is_subset(&observed.addrs)
        && desired.fdb.is_subset(&observed.fdb)
        && desired
            .routes
            .iter()
            .all(|(k, v)| observed.routes.get(k) == Some(v))
        && desired
            .neighs
            .iter()
            .all(|(k, v)| observed.neighs.get(k) == Some(v))
        && desired
            .xfrm_states
            .iter()
            .all(|(k, v)| observed.xfrm_states.get(k) == Some(v))
        && desired
            .xfrm_policies
            .iter()
            .all(|(k, v)| observed.xfrm_policies.get(k) == Some(v))
        && desired
            .nft_tables
            .iter()
            .all(|(k, v)| observed.nft_tables.get(k) == Some(v))
}

fn contains(state: &KernelState, id: &ObjectId) -> bool {
    match id {
        ObjectId::Netns(ns) => state.has_netns(ns),
        ObjectId::Link(k) => state.links.contains_key(k),
        ObjectId::Addr(k) => state.addrs.contains(k),
        ObjectId::Route(k) => state.routes.contains_key(k),
        ObjectId::Neigh(k) => state.neighs.contains_key(k),
        ObjectId::Fdb(k) => state.fdb.contains(k),
        ObjectId::XfrmState(k) => state.xfrm_states.contains_key(k),
        ObjectId::XfrmPolicy(k) => state.xfrm_policies.contains_key(k),
        ObjectId::NftTable(k) => state.nft_tables.contains_key(k),
    }
}
