//! Entry storage: a slab of 72-byte slots under stable `u32` indices, which the indexes and
//! the intrusive lists (same IP, same VTEP) hold instead of pointers.
//!
//! 72 bytes because the table is sized for a million entries within 128 bytes each, indexes
//! included. An IPv4 address is kept inline as its 32 bits; an IPv6 address would need 12
//! more bytes in every slot, so IPv6 addresses live in a side vector and the slot holds their
//! index there. The prefix length is not stored: it is the prefix of the entry's subnet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::sys::hugepages::advise;
use crate::wire::MacAddr;

use super::eid::EndpointId;
use super::vtep::VtepIdx;

const PROGRAMMED: u8 = 1;
const IPV6: u8 = 2;

/// One entry.
#[derive(Clone)]
pub(crate) struct Slot {
    pub(crate) eid: EndpointId,
    /// IPv4: the address. IPv6: the index of the address in [`Slab`]'s side vector.
    addr: u32,
    pub(crate) mac: MacAddr,
    flags: u8,
    /// Index of the entry's subnet in the network's configuration.
    pub(crate) subnet: u16,
    /// Interned VTEP, or `NIL` for a local entry.
    pub(crate) vtep: VtepIdx,
    /// Next entry with the same IP, in insertion order.
    pub(crate) next_ip: u32,
    pub(crate) vtep_prev: u32,
    pub(crate) vtep_next: u32,
}

impl Slot {
    pub(crate) fn is_programmed(&self) -> bool {
        self.flags & PROGRAMMED != 0
    }

    pub(crate) fn set_programmed(&mut self, programmed: bool) {
        if programmed {
            self.flags |= PROGRAMMED;
        } else {
            self.flags &= !PROGRAMMED;
        }
    }

    pub(crate) fn is_local(&self) -> bool {
        self.vtep == super::vtep::NIL
    }
}

/// The fields of a new entry; [`Slab::insert`] fills in the address encoding.
pub(crate) struct NewSlot {
    pub(crate) eid: EndpointId,
    pub(crate) ip: IpAddr,
    pub(crate) mac: MacAddr,
    pub(crate) subnet: u16,
    pub(crate) vtep: VtepIdx,
    pub(crate) vtep_next: u32,
}

#[derive(Clone, Default)]
pub(crate) struct Slab {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    len: usize,
    /// IPv6 entry addresses; `v6_free` lists the unused positions.
    v6: Vec<Ipv6Addr>,
    v6_free: Vec<u32>,
}

impl Slab {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        let before = self.slots.capacity();
        self.slots
            .reserve(additional.saturating_sub(self.free.len()));
        if self.slots.capacity() != before {
            // Only new memory: a bulk insert reserves on every call.
            advise(self.slots.spare_capacity_mut());
        }
    }

    /// The index the next [`Slab::insert`] will use.
    pub(crate) fn next_index(&self) -> u32 {
        self.free.last().copied().unwrap_or(self.slots.len() as u32)
    }

    /// Stores a new entry and returns its index.
    pub(crate) fn insert(&mut self, new: NewSlot) -> u32 {
        let (addr, flags) = match new.ip {
            IpAddr::V4(v4) => (v4.to_bits(), 0),
            IpAddr::V6(v6) => (self.store_v6(v6), IPV6),
        };
        let slot = Slot {
            eid: new.eid,
            addr,
            mac: new.mac,
            flags,
            subnet: new.subnet,
            vtep: new.vtep,
            next_ip: super::vtep::NIL,
            vtep_prev: super::vtep::NIL,
            vtep_next: new.vtep_next,
        };
        self.len += 1;
        if self.free.is_empty() && self.slots.len() == self.slots.capacity() {
            // Grow here rather than in `push`, to advise the new, untouched part: entries
            // are written in order, and huge pages take 512 times fewer page faults.
            self.slots.reserve(1);
            advise(self.slots.spare_capacity_mut());
        }
        match self.free.pop() {
            Some(idx) => {
                self.slots[idx as usize] = Some(slot);
                idx
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Frees entry `idx`.
    pub(crate) fn remove(&mut self, idx: u32) {
        if let Some(slot) = self.slots.get_mut(idx as usize).and_then(Option::take) {
            if slot.flags & IPV6 != 0 {
                self.v6_free.push(slot.addr);
            }
            self.free.push(idx);
            self.len -= 1;
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Slab::default();
    }

    /// Entry `idx`, which must be in use.
    pub(crate) fn get(&self, idx: u32) -> &Slot {
        match self.slots.get(idx as usize) {
            Some(Some(slot)) => slot,
            _ => unreachable!("peer table index {idx} points at a free slot"),
        }
    }

    /// Entry `idx`, which must be in use.
    pub(crate) fn get_mut(&mut self, idx: u32) -> &mut Slot {
        match self.slots.get_mut(idx as usize) {
            Some(Some(slot)) => slot,
            _ => unreachable!("peer table index {idx} points at a free slot"),
        }
    }

    /// Entry `idx` if it is in use (for walking lists that end in `NIL`).
    pub(crate) fn try_get(&self, idx: u32) -> Option<&Slot> {
        self.slots.get(idx as usize)?.as_ref()
    }

    /// The entries in use with their indices, in storage order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Slot)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)))
    }

    /// The entry's endpoint address.
    pub(crate) fn ip(&self, slot: &Slot) -> IpAddr {
        if slot.flags & IPV6 != 0 {
            IpAddr::V6(self.v6[slot.addr as usize])
        } else {
            IpAddr::V4(Ipv4Addr::from_bits(slot.addr))
        }
    }

    fn store_v6(&mut self, addr: Ipv6Addr) -> u32 {
        match self.v6_free.pop() {
            Some(i) => {
                self.v6[i as usize] = addr;
                i
            }
            None => {
                self.v6.push(addr);
                (self.v6.len() - 1) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::vtep::NIL;

    fn new_slot(ip: &str) -> NewSlot {
        NewSlot {
            eid: EndpointId::new("ep").unwrap(),
            ip: ip.parse().unwrap(),
            mac: MacAddr([2, 0, 0, 0, 0, 1]),
            subnet: 0,
            vtep: NIL,
            vtep_next: NIL,
        }
    }

    #[test]
    fn entries_stay_compact() {
        // The memory budget (≤ 128 B/entry at 1M entries, indexes included) depends on it.
        assert_eq!(size_of::<Option<Slot>>(), 72);
    }

    #[test]
    fn addresses_of_both_families_round_trip_and_ipv6_positions_are_reused() {
        let mut slab = Slab::default();
        let a = slab.insert(new_slot("10.0.0.1"));
        let b = slab.insert(new_slot("fd00::1"));
        let c = slab.insert(new_slot("fd00::2"));
        assert_eq!(slab.ip(slab.get(a)), "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(slab.ip(slab.get(b)), "fd00::1".parse::<IpAddr>().unwrap());
        assert_eq!(slab.ip(slab.get(c)), "fd00::2".parse::<IpAddr>().unwrap());
        slab.remove(b);
        assert!(slab.try_get(b).is_none());
        let d = slab.insert(new_slot("fd00::3"));
        assert_eq!(d, b, "the freed slot is reused");
        assert_eq!(slab.v6.len(), 2, "and so is the freed IPv6 position");
        assert_eq!(slab.ip(slab.get(d)), "fd00::3".parse::<IpAddr>().unwrap());
        assert_eq!(slab.ip(slab.get(c)), "fd00::2".parse::<IpAddr>().unwrap());
        assert_eq!(slab.len(), 3);
        assert_eq!(slab.iter().map(|(i, _)| i).collect::<Vec<_>>(), [a, b, c]);
    }
}
