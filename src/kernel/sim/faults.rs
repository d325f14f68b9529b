//! Fault injection for [`SimKernel`](super::SimKernel): make chosen operations or dumps fail
//! with an errno, without changing the simulated kernel.

use std::collections::BTreeMap;

use crate::kernel::error::Errno;

/// Pending injected failures.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults {
    /// Operation sequence number (counted over every operation the sim executes) → errno.
    ops: BTreeMap<u64, Errno>,
    /// The next `observe` fails with this errno.
    observe: Option<Errno>,
    /// Operations executed so far.
    executed: u64,
}

impl Faults {
    /// Arms a failure for the `n`-th operation executed from now (0 = the next one).
    pub(crate) fn fail_nth(&mut self, n: u64, errno: Errno) {
        self.ops.insert(self.executed.saturating_add(n), errno);
    }

    /// Arms a failure for the next dump.
    pub(crate) fn fail_observe(&mut self, errno: Errno) {
        self.observe = Some(errno);
    }

    /// Counts one operation; returns the injected errno if it must fail.
    pub(crate) fn next_op(&mut self) -> Option<Errno> {
        let seq = self.executed;
        self.executed += 1;
        self.ops.remove(&seq)
    }

    /// Takes the injected dump failure, if any.
    pub(crate) fn take_observe(&mut self) -> Option<Errno> {
        self.observe.take()
    }

    /// Disarms everything.
    pub(crate) fn clear(&mut self) {
        self.ops.clear();
        self.observe = None;
    }

    /// Whether failures are still armed.
    pub(crate) fn pending(&self) -> bool {
        !self.ops.is_empty() || self.observe.is_some()
    }
}
