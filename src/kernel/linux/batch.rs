//! Batching: a run of consecutive address, route, neighbour and FDB operations becomes one
//! netlink batch per namespace, and each reply is mapped back to its operation. This module
//! builds requests and maps results; it never decides which operations run.

use std::collections::BTreeMap;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::RouteNetlinkMessage;

use super::error::nack_error;
use super::{LinuxKernel, addr, neigh, route};
use crate::kernel::{KernelError, Netns, Op};

/// Requests of one namespace in a batch: (message, flags, operation index, best effort).
type NsBatch = Vec<(RouteNetlinkMessage, u16, usize, bool)>;

/// Whether `op` is sent in batches (it provides nothing later operations depend on).
pub(super) fn batchable(op: &Op) -> bool {
    matches!(
        op,
        Op::AddAddr { .. }
            | Op::DelAddr { .. }
            | Op::AddRoute { .. }
            | Op::ReplaceRoute { .. }
            | Op::DelRoute { .. }
            | Op::AddNeigh { .. }
            | Op::ReplaceNeigh { .. }
            | Op::DelNeigh { .. }
            | Op::AddFdb { .. }
            | Op::DelFdb { .. }
    )
}

impl LinuxKernel {
    /// Builds and sends a run of batchable operations, namespace by namespace; returns one
    /// result per operation.
    pub(super) fn run_batch(&mut self, ops: &[&Op]) -> Vec<Result<(), KernelError>> {
        let mut results: Vec<Option<Result<(), KernelError>>> = vec![None; ops.len()];
        let mut by_ns: BTreeMap<Netns, NsBatch> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            match self.request_for(op) {
                Ok((ns, reqs)) => {
                    let b = by_ns.entry(ns).or_default();
                    for (msg, flags, best_effort) in reqs {
                        b.push((msg, flags, i, best_effort));
                    }
                }
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        for (ns, batch) in by_ns {
            let (msgs, meta): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|(m, f, i, b)| ((m, f), (i, b)))
                .unzip();
            let sent = self.sock(&ns).and_then(|s| s.batch(&msgs));
            match sent {
                Ok(acks) => {
                    for ((i, best_effort), ack) in meta.into_iter().zip(acks) {
                        if results[i].is_some() {
                            continue;
                        }
                        match ack {
                            Err(_) if best_effort => {}
                            Err(n) => results[i] = Some(Err(nack_error(ops[i].object(), n))),
                            Ok(()) => {}
                        }
                    }
                }
                Err(e) => {
                    for (i, _) in meta {
                        results[i].get_or_insert_with(|| Err(e.for_object(ops[i].object())));
                    }
                }
            }
        }
        results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
    }

    /// The namespace and requests of one batchable operation: (message, flags, best effort).
    #[allow(clippy::type_complexity)]
    fn request_for(
        &mut self,
        op: &Op,
    ) -> Result<(Netns, Vec<(RouteNetlinkMessage, u16, bool)>), KernelError> {
        // The object is only needed for an error; building it clones its key.
        let object = || op.object();
        let add = NLM_F_CREATE | NLM_F_EXCL;
        let replace = NLM_F_CREATE | NLM_F_REPLACE;
        let one = |ns: &Netns, m, f| Ok((ns.clone(), vec![(m, f, false)]));
        match op {
            Op::AddAddr { addr: a } | Op::DelAddr { addr: a } => {
                let i = self.require_index(&a.netns, &a.link, object)?;
                if matches!(op, Op::AddAddr { .. }) {
                    one(&a.netns, addr::add(i, &a.prefix), add)
                } else {
                    one(&a.netns, addr::del(i, &a.prefix), 0)
                }
            }
            Op::AddRoute { key, route: r } | Op::ReplaceRoute { key, route: r } => {
                let i = self.require_index(&key.netns, &r.dev, object)?;
                let f = if matches!(op, Op::AddRoute { .. }) {
                    add
                } else {
                    replace
                };
                one(&key.netns, route::add(&key.dst, i, r.via), f)
            }
            Op::DelRoute { key } => one(&key.netns, route::del(&key.dst), 0),
            Op::AddNeigh { key, neigh: n } | Op::ReplaceNeigh { key, neigh: n } => {
                let i = self.require_index(&key.netns, &key.link, object)?;
                let f = if matches!(op, Op::AddNeigh { .. }) {
                    add
                } else {
                    replace
                };
                one(&key.netns, neigh::add_neigh(i, key.ip, n.lladdr), f)
            }
            Op::DelNeigh { key } => {
                let i = self.require_index(&key.netns, &key.link, object)?;
                one(&key.netns, neigh::del_neigh(i, key.ip), 0)
            }
            Op::AddFdb { entry: e } => {
                let i = self.require_index(&e.netns, &e.link, object)?;
                one(&e.netns, neigh::add_fdb(i, e.mac, e.dst, e.table), add)
            }
            Op::DelFdb { entry: e } => {
                let i = self.require_index(&e.netns, &e.link, object)?;
                let mut reqs = vec![(neigh::del_fdb(i, e.mac, e.dst, e.table), 0, false)];
                if e.table == crate::kernel::FdbTable::SelfDev {
                    // moby deleteNeighbor: also drop the bridge's dynamic entry for the MAC
                    // (NTF_MASTER); its absence is not an error.
                    reqs.push((
                        neigh::del_fdb(i, e.mac, None, crate::kernel::FdbTable::Master),
                        0,
                        true,
                    ));
                }
                Ok((e.netns.clone(), reqs))
            }
            _ => Err(KernelError::Invalid {
                object: object(),
                reason: "not a batchable operation".into(),
            }),
        }
    }
}
