//! `reconcile`: observe, diff, apply — how a desired state is reached and how drift is
//! repaired. This module adds no policy of its own beyond validating the desired state.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::apply::{ApplyReport, Kernel, OpOutcome};
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
            .filter(|(_, o)| **o == OpOutcome::Done)
            .map(|(op, _)| op.object())
            .collect()
    }
}

/// One entry per operation, in plan order: its index, its outcome and the command (AEAD keys
/// redacted; the further commands of a multi-command operation on indented lines); a failure
/// ends with the kernel's answer, a skip names the failed operation it depended on. An
/// in-sync round prints nothing.
impl fmt::Display for ReconcileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (op, outcome)) in self.plan.ops.iter().zip(&self.apply.outcomes).enumerate() {
            let op = op.to_string().replace('\n', "\n    ");
            match outcome {
                OpOutcome::Done => writeln!(f, "{i} done    {op}")?,
                OpOutcome::Failed(e) => writeln!(f, "{i} FAILED  {op}: {e}")?,
                OpOutcome::Skipped { because } => {
                    writeln!(f, "{i} skipped {op} (operation {because} failed)")?
                }
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::sim::SimKernel;
    use crate::kernel::{Errno, Link, LinkKey, LinkKind, Netns};

    #[test]
    fn the_report_prints_each_outcome_with_its_command() {
        let scope = Scope::docker();
        let mut desired = KernelState::new();
        desired.namespaces.insert("1-k3jd8s0a2b".into());
        desired.links.insert(
            LinkKey::new(Netns::named("1-k3jd8s0a2b"), "br0"),
            Link::new(LinkKind::Bridge).up(),
        );
        let mut sim = SimKernel::new(scope.clone());
        sim.fail_nth(0, Errno::ENOMEM);
        let failed = reconcile(&desired, &scope, &mut sim).expect("reconcile");
        let text = failed.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "0 FAILED  ip netns add 1-k3jd8s0a2b: netns 1-k3jd8s0a2b: ENOMEM"
        );
        assert!(lines.len() > 1, "{text}");
        for (i, line) in lines.iter().enumerate().skip(1) {
            assert!(
                line.starts_with(&format!("{i} skipped ip -n 1-k3jd8s0a2b "))
                    && line.ends_with("(operation 0 failed)"),
                "{text}"
            );
        }
        let done = reconcile(&desired, &scope, &mut sim).expect("reconcile");
        assert!(done.is_success());
        let text = done.to_string();
        assert!(
            text.lines()
                .all(|l| l.contains(" done    ") || l.starts_with("    ip ")),
            "{text}"
        );
        let in_sync = reconcile(&desired, &scope, &mut sim).expect("reconcile");
        assert_eq!(in_sync.to_string(), "");
    }
}
