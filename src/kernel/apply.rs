//! The [`Kernel`] trait (observe / apply) and the shared apply semantics: per-operation
//! results, and which failures stop what. Backends (the in-memory [`sim`](super::sim), the
//! netlink backend) execute single operations; [`execute`] decides the rest, so every backend
//! behaves the same.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::KernelError;
use super::plan::{Op, Plan};
use super::state::{KernelState, ObjectId};

/// A host's kernel, real or simulated.
pub trait Kernel {
    /// Dumps the current state. It must include every object the [`Scope`](super::Scope)
    /// owns and every object sharing an identity with a desired one; it may include more
    /// (the diff ignores what is neither desired nor ours). Objects the kernel creates by
    /// itself (a bridge port's own local FDB entry, connected routes, IPv6 link-local
    /// addresses) are left out.
    fn observe(&mut self) -> Result<KernelState, KernelError>;

    /// Executes `plan` in order with the semantics of [`execute`], returning one outcome per
    /// operation.
    fn apply(&mut self, plan: &Plan) -> ApplyReport;
}

/// What happened to one operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpOutcome {
    /// The kernel accepted it.
    Done,
    /// The kernel refused it; the kernel state is as before this operation.
    Failed(KernelError),
    /// Not attempted because it depends on an operation that failed.
    Skipped {
        /// Index (in the plan) of the failed operation at the root of the dependency chain.
        because: usize,
    },
}

/// The outcome of every operation of a plan, in plan order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// `outcomes[i]` is the outcome of `plan.ops[i]`.
    pub outcomes: Vec<OpOutcome>,
}

impl ApplyReport {
    /// Whether every operation was done.
    pub fn is_success(&self) -> bool {
        self.outcomes.iter().all(|o| *o == OpOutcome::Done)
    }

    /// Number of operations done.
    pub fn done(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| **o == OpOutcome::Done)
            .count()
    }

    /// The failed operations: (index in the plan, error).
    pub fn failures(&self) -> impl Iterator<Item = (usize, &KernelError)> {
        self.outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                OpOutcome::Failed(e) => Some((i, e)),
                _ => None,
            })
    }

    /// Number of operations skipped.
    pub fn skipped(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, OpOutcome::Skipped { .. }))
            .count()
    }
}

/// Runs `plan` through `run`, one operation at a time, and reports each outcome.
///
/// # Semantics
///
/// * **Failures do not stop the plan.** An operation that fails is reported as
///   [`OpOutcome::Failed`] and must leave the kernel as it was; execution continues, because
///   most operations are independent (one peer's neighbour entry has nothing to do with
///   another's).
/// * **Dependents are skipped.** An operation that [requires](Op::requires) an object a
///   failed (or skipped) operation [provides](Op::provides) is reported as
///   [`OpOutcome::Skipped`] and not attempted: no address on a link that was not created, no
///   policy pointing at a state that was not installed. A create refused with `EEXIST` for
///   its own object does not skip its dependents: the object is there.
/// * **Make-before-break holds under failure.** If any XFRM policy operation failed or was
///   skipped, the plan's XFRM state deletions are skipped too, since a policy may still
///   point at an old state.
/// * **Re-applying is idempotent.** Running the same plan again leaves the kernel in the
///   state the plan aims at: creates of existing objects fail with `EEXIST`, deletes of
///   missing ones with `ENOENT`/`ESRCH`, in-place changes set the same value — none of which
///   changes anything. The one exception is an object the plan re-creates (delete, then add
///   with new attributes): a second run re-creates it again, ending in the same desired state
///   but with fresh kernel-chosen attributes (such as an unmanaged MAC) and a brief outage.
///   The reports differ; [`reconcile`](super::reconcile()) re-observes instead of re-applying,
///   so a second round only does what is still missing.
pub fn execute(plan: &Plan, mut run: impl FnMut(&Op) -> Result<(), KernelError>) -> ApplyReport {
    let mut broken: HashMap<ObjectId, usize> = HashMap::new();
    let mut policy_broken: Option<usize> = None;
    let mut outcomes = Vec::with_capacity(plan.ops.len());
    for (i, op) in plan.ops.iter().enumerate() {
        // Nothing has failed in the common case: skip building the op's requirements.
        let mut cause = if broken.is_empty() {
            None
        } else {
            op.requires().iter().find_map(|r| broken.get(r).copied())
        };
        if cause.is_none() && matches!(op, Op::DelXfrmState { .. }) {
            cause = policy_broken;
        }
        let outcome = match cause {
            Some(root) => OpOutcome::Skipped { because: root },
            None => match run(op) {
                Ok(()) => OpOutcome::Done,
                Err(e) => OpOutcome::Failed(e),
            },
        };
        // A create refused with EEXIST still leaves the object there for its dependents.
        let exists = matches!(outcome, OpOutcome::Failed(KernelError::Exists { ref object }) if *object == op.object());
        if outcome != OpOutcome::Done && !exists {
            let root = cause.unwrap_or(i);
            for p in op.provides() {
                broken.entry(p).or_insert(root);
            }
            if matches!(
                op,
                Op::AddXfrmPolicy { .. } | Op::UpdateXfrmPolicy { .. } | Op::DelXfrmPolicy { .. }
            ) {
                policy_broken.get_or_insert(root);
            }
        }
        outcomes.push(outcome);
    }
    ApplyReport { outcomes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::error::Errno;
    use crate::kernel::plan::LinkChange;
    use crate::kernel::state::{AddrKey, Link, LinkKey, LinkKind, Netns};

    fn plan() -> Plan {
        let ns = Netns::named("1-k3jd8s0a2b");
        let br = LinkKey::new(ns.clone(), "br0");
        Plan {
            ops: vec![
                Op::AddNetns {
                    name: "1-k3jd8s0a2b".into(),
                },
                Op::AddLink {
                    key: br.clone(),
                    link: Link::new(LinkKind::Bridge),
                    staging_name: None,
                    peer: None,
                },
                Op::SetLink {
                    key: br.clone(),
                    change: LinkChange::Up(true),
                },
                Op::AddAddr {
                    addr: AddrKey::new(ns, "br0", "10.0.1.1/24".parse().expect("prefix")),
                },
                Op::AddNetns {
                    name: "other".into(),
                },
            ],
        }
    }

    #[test]
    fn a_failure_skips_its_dependents_transitively_and_nothing_else() {
        let mut ran = Vec::new();
        let report = execute(&plan(), |op| {
            ran.push(op.to_string());
            match op {
                Op::AddNetns { name } if name == "1-k3jd8s0a2b" => {
                    Err(KernelError::from_errno(op.object(), Errno::ENOMEM))
                }
                _ => Ok(()),
            }
        });
        assert!(matches!(report.outcomes[0], OpOutcome::Failed(_)));
        for i in 1..4 {
            assert_eq!(report.outcomes[i], OpOutcome::Skipped { because: 0 });
        }
        assert_eq!(report.outcomes[4], OpOutcome::Done);
        assert_eq!(ran, ["ip netns add 1-k3jd8s0a2b", "ip netns add other"]);
        assert_eq!(
            (report.done(), report.skipped(), report.failures().count()),
            (1, 3, 1)
        );
    }

    #[test]
    fn an_existing_object_satisfies_its_dependents() {
        let report = execute(&plan(), |op| match op {
            Op::AddLink { .. } => Err(KernelError::Exists {
                object: op.object(),
            }),
            _ => Ok(()),
        });
        assert!(matches!(
            report.outcomes[1],
            OpOutcome::Failed(KernelError::Exists { .. })
        ));
        assert!(report.outcomes[2..].iter().all(|o| *o == OpOutcome::Done));
    }
}
