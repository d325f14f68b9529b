//! Endpoint address → the head (oldest entry) of that address's chain, plus a copy of the
//! head's MAC and whether it is the chain's only entry. With one entry per address — the
//! steady state — a lookup by IP is answered from the index alone.
//!
//! Layout: open addressing with linear probing ([`super::probe`]) over one flat array of
//! buckets that hold the key inline (16 bytes for IPv4, four per cache line). A hit costs one
//! cache miss, where hashbrown's separate control bytes and buckets cost two, and reading the
//! key back from the entry slab a third; at a million entries lookups are bound by those
//! misses. Deletion shifts the following buckets back instead of leaving tombstones, so probe
//! runs stay short under churn.
//!
//! The hash is foldhash with a random seed per index: endpoint addresses come from the
//! cluster's authenticated gossip, and the seed still keeps colliding addresses from being
//! chosen in advance. Linear probing needs the high bits well mixed: foldhash's `fast`
//! variant leaves them correlated for consecutive addresses, and runs grew 3× longer than
//! random hashing gives (mean displacement 1.1–2.0 instead of 0.46 for a million consecutive
//! addresses in 2²¹ buckets), so this uses the `quality` variant (one more multiply), which
//! matches the random-hashing figures.

use std::hash::BuildHasher;
use std::net::{Ipv4Addr, Ipv6Addr};

use foldhash::quality::RandomState;

use crate::sys::hugepages::{copied_vec, filled_vec};
use crate::wire::MacAddr;

use super::probe::{fits, grown_buckets, hash32, home, may_fill, next};
use super::vtep::NIL;

/// An address type the index can hold.
pub(crate) trait IndexKey: Copy + Eq {
    /// Stored in empty buckets; never compared, since empty buckets are recognised by
    /// [`Head::slot`] being [`NIL`].
    const FILLER: Self;
    /// Hashes the address as one integer.
    fn hash_with(self, hasher: &RandomState) -> u64;
}

impl IndexKey for Ipv4Addr {
    const FILLER: Self = Ipv4Addr::UNSPECIFIED;
    #[inline]
    fn hash_with(self, hasher: &RandomState) -> u64 {
        hasher.hash_one(self.to_bits())
    }
}

impl IndexKey for Ipv6Addr {
    const FILLER: Self = Ipv6Addr::UNSPECIFIED;
    #[inline]
    fn hash_with(self, hasher: &RandomState) -> u64 {
        hasher.hash_one(self.to_bits())
    }
}

/// What the index keeps per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Slab index of the oldest entry with the address.
    pub(crate) slot: u32,
    /// That entry's MAC.
    pub(crate) mac: MacAddr,
    /// Whether that entry is the only one with the address.
    pub(crate) single: bool,
}

/// Where [`IpIndex::find_for_insert`] found a key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Found {
    /// In bucket `.0`, with head `.1`.
    At(usize, Head),
    /// Absent; bucket `.0` is where it goes.
    Vacant(usize),
}

#[derive(Clone, Copy)]
struct Bucket<K> {
    key: K,
    head: Head,
}

impl<K: IndexKey> Bucket<K> {
    const EMPTY: Self = Bucket {
        key: K::FILLER,
        head: Head {
            slot: NIL,
            mac: MacAddr([0; 6]),
            single: false,
        },
    };

    #[inline]
    fn is_empty(&self) -> bool {
        self.head.slot == NIL
    }
}

/// Address → [`Head`] (see the module documentation).
pub(crate) struct IpIndex<K> {
    buckets: Vec<Bucket<K>>,
    len: usize,
    hasher: RandomState,
}

impl<K: IndexKey> Clone for IpIndex<K> {
    /// Copies into memory advised for huge pages, as the original's was.
    fn clone(&self) -> Self {
        IpIndex {
            buckets: copied_vec(&self.buckets),
            len: self.len,
            hasher: self.hasher.clone(),
        }
    }
}

impl<K: IndexKey> Default for IpIndex<K> {
    fn default() -> Self {
        IpIndex {
            buckets: Vec::new(),
            len: 0,
            hasher: RandomState::default(),
        }
    }
}

impl<K: IndexKey> IpIndex<K> {
    /// Number of addresses.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes room for `additional` more addresses without growing on insert.
    #[inline]
    pub(crate) fn reserve(&mut self, additional: usize) {
        if !fits(self.len, additional, self.buckets.len()) {
            self.grow(additional);
        }
    }

    #[inline(never)]
    fn grow(&mut self, additional: usize) {
        if let Some(buckets) = grown_buckets(self.len, additional, self.buckets.len()) {
            self.rebuild(buckets);
        }
    }

    #[inline(always)]
    pub(crate) fn get(&self, key: K) -> Option<&Head> {
        self.position(key).map(|i| &self.buckets[i].head)
    }

    pub(crate) fn get_mut(&mut self, key: K) -> Option<&mut Head> {
        self.position(key).map(|i| &mut self.buckets[i].head)
    }

    /// Adds `key`, which the caller has checked is absent.
    #[cfg(test)]
    pub(crate) fn insert_new(&mut self, key: K, head: Head) {
        match self.find_for_insert(key) {
            Found::Vacant(i) => self.fill(i, key, head),
            Found::At(..) => unreachable!("insert_new of a present key"),
        }
    }

    /// Makes room for one more address, then finds `key`: its bucket, or the empty bucket
    /// where it would go. One hash and one probe serve both the duplicate check and the
    /// insert; the answer stays valid until this index changes.
    #[inline]
    pub(crate) fn find_for_insert(&mut self, key: K) -> Found {
        self.reserve(1);
        let mut i = self.home(key);
        loop {
            let bucket = &self.buckets[i];
            if bucket.is_empty() {
                return Found::Vacant(i);
            }
            if bucket.key == key {
                return Found::At(i, bucket.head);
            }
            i = next(i, self.buckets.len());
        }
    }

    /// Stores `key` in the empty bucket `i` that [`IpIndex::find_for_insert`] returned.
    #[inline]
    pub(crate) fn fill(&mut self, i: usize, key: K, head: Head) {
        debug_assert!(self.buckets[i].is_empty());
        self.buckets[i] = Bucket { key, head };
        self.len += 1;
    }

    /// The head in bucket `i`, which [`IpIndex::find_for_insert`] returned as occupied.
    pub(crate) fn head_at_mut(&mut self, i: usize) -> &mut Head {
        &mut self.buckets[i].head
    }

    /// Removes `key`, returning what it mapped to.
    pub(crate) fn remove(&mut self, key: K) -> Option<Head> {
        let mut hole = self.position(key)?;
        let removed = self.buckets[hole].head;
        // Backward shift: each following bucket of the run moves into the hole unless the
        // hole lies before its home (it would then be unreachable from its home).
        let mut i = hole;
        loop {
            i = next(i, self.buckets.len());
            let bucket = self.buckets[i];
            if bucket.is_empty() {
                break;
            }
            if may_fill(hole, self.home(bucket.key), i, self.buckets.len()) {
                self.buckets[hole] = bucket;
                hole = i;
            }
        }
        self.buckets[hole] = Bucket::EMPTY;
        self.len -= 1;
        Some(removed)
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.fill(Bucket::EMPTY);
        self.len = 0;
    }

    // A burst lookup splits `get` into three steps, each run over every key of the burst
    // before the next, so that the home-bucket misses of all its keys are in flight at once
    // (see `PeerTable::get_many`): `home_of` (hashing, no memory access), `load` (one
    // load per key whose result nothing waits for yet), `resolve` (the comparisons).

    /// The bucket where the probe for `key` starts.
    #[inline(always)]
    pub(crate) fn home_of(&self, key: K) -> usize {
        self.home(key)
    }

    /// The slab index held by bucket `i` ([`NIL`] if it is empty or there is none). Only
    /// this 32-bit field is loaded: a later integer load of the same width reads it straight
    /// from the store buffer, where a copy of the whole bucket would be read back in pieces
    /// and stall.
    #[inline(always)]
    pub(crate) fn load(&self, i: usize) -> u32 {
        self.buckets.get(i).map_or(NIL, |b| b.head.slot)
    }

    /// What `get(key)` returns, given `key`'s home bucket `home` and what `load(home)`
    /// returned. The index must not have changed in between. By now the home bucket's cache
    /// line has arrived, so probing it again costs no miss.
    #[inline(always)]
    pub(crate) fn resolve(&self, key: K, home: usize, loaded: u32) -> Option<Head> {
        if loaded == NIL {
            return None;
        }
        self.probe_from(key, home).map(|i| self.buckets[i].head)
    }

    #[inline(always)]
    fn position(&self, key: K) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        self.probe_from(key, self.home(key))
    }

    /// Linear probe for `key` from bucket `i` (on `key`'s probe path) to the first empty
    /// bucket. The index must have buckets.
    #[inline(always)]
    fn probe_from(&self, key: K, mut i: usize) -> Option<usize> {
        // The load limit guarantees an empty bucket, so this ends.
        loop {
            let bucket = &self.buckets[i];
            if bucket.is_empty() {
                return None;
            }
            if bucket.key == key {
                return Some(i);
            }
            i = next(i, self.buckets.len());
        }
    }

    #[inline]
    fn home(&self, key: K) -> usize {
        home(hash32(key.hash_with(&self.hasher)), self.buckets.len())
    }

    fn rebuild(&mut self, buckets: usize) {
        let old = std::mem::replace(&mut self.buckets, filled_vec(buckets, Bucket::EMPTY));
        for bucket in old.into_iter().filter(|b| !b.is_empty()) {
            let mut i = self.home(bucket.key);
            while !self.buckets[i].is_empty() {
                i = next(i, buckets);
            }
            self.buckets[i] = bucket;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn head(slot: u32) -> Head {
        Head {
            slot,
            mac: MacAddr([2, 0, 0, 0, 0, slot as u8]),
            single: slot % 2 == 0,
        }
    }

    #[test]
    fn ipv4_buckets_fill_a_cache_line_four_at_a_time() {
        assert_eq!(size_of::<Bucket<Ipv4Addr>>(), 16);
    }

    #[test]
    fn behaves_like_a_map_under_random_churn() {
        // A small key space forces long runs, wrap-around and backward shifts.
        let mut index = IpIndex::<Ipv4Addr>::default();
        let mut model = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = Ipv4Addr::from(x as u32 % 300);
            if x % 3 == 0 {
                assert_eq!(index.remove(key), model.remove(&key), "step {step}");
            } else if let Some(h) = index.get_mut(key) {
                h.slot = step;
                model.insert(key, *h);
            } else {
                index.insert_new(key, head(step));
                model.insert(key, head(step));
            }
            assert_eq!(index.len(), model.len());
        }
        for k in 0..300u32 {
            let key = Ipv4Addr::from(k);
            assert_eq!(index.get(key), model.get(&key), "{key}");
        }
    }

    #[test]
    fn reserve_sizes_tightly_and_keeps_entries() {
        let mut index = IpIndex::<Ipv6Addr>::default();
        index.reserve(1000);
        assert_eq!(index.buckets.len(), 1334);
        for k in 0..1000u32 {
            index.insert_new(Ipv6Addr::from(u128::from(k) << 64), head(k));
        }
        assert_eq!(
            index.buckets.len(),
            1334,
            "no growth within the reservation"
        );
        index.insert_new(Ipv6Addr::LOCALHOST, head(7));
        assert_eq!(index.buckets.len(), 2668);
        for k in 0..1000u32 {
            assert_eq!(
                index.get(Ipv6Addr::from(u128::from(k) << 64)),
                Some(&head(k))
            );
        }
        index.clear();
        assert_eq!(index.get(Ipv6Addr::LOCALHOST), None);
        assert_eq!(index.len(), 0);
    }

    #[test]
    fn the_unspecified_address_is_a_key_like_any_other() {
        let mut index = IpIndex::<Ipv4Addr>::default();
        index.insert_new(Ipv4Addr::from(1), head(1));
        assert_eq!(index.get(Ipv4Addr::UNSPECIFIED), None);
        index.insert_new(Ipv4Addr::UNSPECIFIED, head(2));
        assert_eq!(index.get(Ipv4Addr::UNSPECIFIED), Some(&head(2)));
        assert_eq!(index.remove(Ipv4Addr::UNSPECIFIED), Some(head(2)));
        assert_eq!(index.get(Ipv4Addr::UNSPECIFIED), None);
    }
}
