//! Interned VTEP addresses: each remote host gets a small index, so entries store 4 bytes
//! instead of an `IpAddr`, and each VTEP keeps its entry list and its count of programmed
//! entries (which decides when its tunnel is needed).
//!
//! Knows nothing about IPs, MACs or deltas.

use std::collections::HashMap;
use std::net::IpAddr;

use foldhash::fast::RandomState;

/// Index of an interned VTEP.
pub(crate) type VtepIdx = u32;

/// Marks "no entry" in the intrusive lists.
pub(crate) const NIL: u32 = u32::MAX;

#[derive(Clone)]
pub(crate) struct Vtep {
    pub(crate) addr: IpAddr,
    /// Entries (programmed or not) behind this VTEP.
    pub(crate) entries: u32,
    /// Entries behind this VTEP that are programmed; its tunnel is up while this is non-zero.
    pub(crate) programmed: u32,
    /// Head of the doubly linked list of this VTEP's entries (slot indices).
    pub(crate) head: u32,
}

#[derive(Clone, Default)]
pub(crate) struct Vteps {
    slots: Vec<Option<Vtep>>,
    free: Vec<VtepIdx>,
    index: HashMap<IpAddr, VtepIdx, RandomState>,
}

impl Vteps {
    pub(crate) fn find(&self, addr: IpAddr) -> Option<VtepIdx> {
        self.index.get(&addr).copied()
    }

    /// The index for `addr`, interning it on first use.
    pub(crate) fn intern(&mut self, addr: IpAddr) -> VtepIdx {
        if let Some(idx) = self.find(addr) {
            return idx;
        }
        let vtep = Vtep {
            addr,
            entries: 0,
            programmed: 0,
            head: NIL,
        };
        let idx = match self.free.pop() {
            Some(idx) => {
                self.slots[idx as usize] = Some(vtep);
                idx
            }
            None => {
                self.slots.push(Some(vtep));
                (self.slots.len() - 1) as VtepIdx
            }
        };
        self.index.insert(addr, idx);
        idx
    }

    /// Forgets `idx` once no entry uses it.
    pub(crate) fn release_if_unused(&mut self, idx: VtepIdx) {
        if let Some(vtep) = self.slots.get(idx as usize).and_then(Option::as_ref) {
            if vtep.entries == 0 {
                self.index.remove(&vtep.addr);
                self.slots[idx as usize] = None;
                self.free.push(idx);
            }
        }
    }

    pub(crate) fn get(&self, idx: VtepIdx) -> Option<&Vtep> {
        self.slots.get(idx as usize).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, idx: VtepIdx) -> Option<&mut Vtep> {
        self.slots.get_mut(idx as usize).and_then(Option::as_mut)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Vtep> {
        self.slots.iter().flatten()
    }
}
