//! MAC → the entries with that MAC: one 8-byte bucket per entry holding the slab index and
//! 32 bits of the MAC's hash. Several entries may share a MAC while gossip catches up, so
//! this is a multimap; callers confirm a candidate by reading the MAC from the slab.
//!
//! Open addressing with linear probing ([`super::probe`]). The stored hash bits give each
//! bucket's home without reading the slab, so growth and backward-shift deletion touch only
//! the index, and they rule out nearly every non-matching bucket before the slab is read
//! (a false candidate needs a 32-bit collision among the few buckets of one probe run).
//! Against hashbrown's `HashTable<u32>` this costs 8 instead of 5 bytes a bucket but one
//! cache miss instead of two per probe, and its growth never reads the slab.
//!
//! Hash: seeded foldhash `quality` (see [`super::ip_index`] for why not `fast`).

use std::hash::BuildHasher;

use foldhash::quality::RandomState;

use crate::sys::hugepages::{copied_vec, filled_vec};
use crate::wire::MacAddr;

use super::probe::{fits, grown_buckets, hash32, home, may_fill, next};
use super::vtep::NIL;

#[derive(Clone, Copy)]
struct Bucket {
    hash: u32,
    /// Slab index; [`NIL`] marks an empty bucket.
    slot: u32,
}

impl Bucket {
    const EMPTY: Self = Bucket { hash: 0, slot: NIL };

    fn is_empty(&self) -> bool {
        self.slot == NIL
    }
}

#[derive(Default)]
pub(crate) struct MacIndex {
    buckets: Vec<Bucket>,
    len: usize,
    hasher: RandomState,
}

impl Clone for MacIndex {
    /// Copies into memory advised for huge pages, as the original's was.
    fn clone(&self) -> Self {
        MacIndex {
            buckets: copied_vec(&self.buckets),
            len: self.len,
            hasher: self.hasher.clone(),
        }
    }
}

impl MacIndex {
    /// Makes room for `additional` more entries without growing on insert.
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

    /// Records that entry `slot` has `mac`. Returns whether another entry may have the
    /// same MAC: every entry with the MAC's hash lies on the probe run walked here, so
    /// `false` means none does, and callers can skip looking for one.
    pub(crate) fn insert(&mut self, mac: MacAddr, slot: u32) -> bool {
        self.reserve(1);
        let hash = self.hash(mac);
        let mut i = home(hash, self.buckets.len());
        let mut shared = false;
        while !self.buckets[i].is_empty() {
            shared |= self.buckets[i].hash == hash;
            i = next(i, self.buckets.len());
        }
        self.buckets[i] = Bucket { hash, slot };
        self.len += 1;
        shared
    }

    /// The bucket where the probe for `mac` starts.
    pub(crate) fn home_of(&self, mac: MacAddr) -> usize {
        home(self.hash(mac), self.buckets.len())
    }

    /// The slab index in bucket `i` ([`NIL`] if empty or absent). Loading it brings the
    /// bucket's cache line in ahead of an insert (`PeerTable::add_remotes_into`).
    pub(crate) fn load(&self, i: usize) -> u32 {
        self.buckets.get(i).map_or(NIL, |b| b.slot)
    }

    /// Forgets entry `slot`, recorded with `mac`. Does not read the slab.
    pub(crate) fn remove(&mut self, mac: MacAddr, slot: u32) {
        let mut run = self.run(mac);
        let mut found = None;
        while let Some(i) = run.next_bucket() {
            if self.buckets[i].slot == slot && self.buckets[i].hash == run.hash {
                found = Some(i);
                break;
            }
        }
        let Some(mut hole) = found else {
            return;
        };
        let mut i = hole;
        loop {
            i = next(i, self.buckets.len());
            let bucket = self.buckets[i];
            if bucket.is_empty() {
                break;
            }
            if may_fill(
                hole,
                home(bucket.hash, self.buckets.len()),
                i,
                self.buckets.len(),
            ) {
                self.buckets[hole] = bucket;
                hole = i;
            }
        }
        self.buckets[hole] = Bucket::EMPTY;
        self.len -= 1;
    }

    /// Slab indices that may have `mac` (every entry that has it, and rarely another).
    pub(crate) fn candidates(&self, mac: MacAddr) -> Candidates<'_> {
        self.run(mac)
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.fill(Bucket::EMPTY);
        self.len = 0;
    }

    /// The probe run of `mac`: its home bucket up to the first empty one.
    fn run(&self, mac: MacAddr) -> Candidates<'_> {
        let hash = self.hash(mac);
        Candidates {
            buckets: &self.buckets,
            hash,
            pos: if self.len == 0 {
                None
            } else {
                Some(home(hash, self.buckets.len()))
            },
        }
    }

    fn hash(&self, mac: MacAddr) -> u32 {
        let [a, b, c, d, e, f] = mac.0;
        hash32(
            self.hasher
                .hash_one(u64::from_be_bytes([0, 0, a, b, c, d, e, f])),
        )
    }

    fn rebuild(&mut self, buckets: usize) {
        let old = std::mem::replace(&mut self.buckets, filled_vec(buckets, Bucket::EMPTY));
        for bucket in old.into_iter().filter(|b| !b.is_empty()) {
            let mut i = home(bucket.hash, buckets);
            while !self.buckets[i].is_empty() {
                i = next(i, buckets);
            }
            self.buckets[i] = bucket;
        }
    }
}

/// Walks one probe run; as an iterator, yields the slab indices whose stored hash matches.
pub(crate) struct Candidates<'a> {
    buckets: &'a [Bucket],
    hash: u32,
    /// The next bucket to visit; `None` once the run has ended.
    pos: Option<usize>,
}

impl Candidates<'_> {
    /// The next occupied bucket of the run, whatever its hash.
    fn next_bucket(&mut self) -> Option<usize> {
        let cur = self.pos?;
        if self.buckets[cur].is_empty() {
            self.pos = None;
            return None;
        }
        self.pos = Some(next(cur, self.buckets.len()));
        Some(cur)
    }
}

impl Iterator for Candidates<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while let Some(i) = self.next_bucket() {
            if self.buckets[i].hash == self.hash {
                return Some(self.buckets[i].slot);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn mac(i: u32) -> MacAddr {
        let [a, b, c, d] = i.to_be_bytes();
        MacAddr([2, 0x42, a, b, c, d])
    }

    #[test]
    fn buckets_are_eight_bytes() {
        assert_eq!(size_of::<Bucket>(), 8);
    }

    #[test]
    fn behaves_like_a_multimap_under_random_churn() {
        // Few MACs and many entries per MAC: long runs, duplicates, wrap-around, shifts.
        let mut index = MacIndex::default();
        let mut model: BTreeSet<(u32, u32)> = BTreeSet::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = (x >> 8) as u32 % 40;
            let present: Vec<u32> = model.range((m, 0)..(m + 1, 0)).map(|e| e.1).collect();
            if x % 2 == 0 && !present.is_empty() {
                let slot = present[(x >> 32) as usize % present.len()];
                index.remove(mac(m), slot);
                model.remove(&(m, slot));
            } else {
                let shared = index.insert(mac(m), step);
                assert_eq!(shared, !present.is_empty(), "step {step}");
                model.insert((m, step));
            }
            assert_eq!(index.len, model.len());
        }
        for m in 0..40 {
            // Another MAC's entry would show up only on a collision of 32 hash bits between
            // two of these 40 MACs (probability about 2e-7 per run).
            let mut got: Vec<u32> = index.candidates(mac(m)).collect();
            got.sort();
            let want: Vec<u32> = model.range((m, 0)..(m + 1, 0)).map(|e| e.1).collect();
            assert_eq!(got, want, "mac {m}");
        }
    }

    #[test]
    fn removing_an_unknown_entry_changes_nothing() {
        let mut index = MacIndex::default();
        index.remove(mac(1), 1);
        assert!(!index.insert(mac(1), 1));
        index.remove(mac(1), 2);
        index.remove(mac(2), 1);
        assert_eq!(index.candidates(mac(1)).collect::<Vec<_>>(), [1]);
        index.clear();
        assert_eq!(index.candidates(mac(1)).count(), 0);
    }
}
