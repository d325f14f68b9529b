//! Drift injection for [`SimKernel`](super::SimKernel): delete or alter random objects behind
//! the engine's back, reproducibly from a seed.

use serde::{Deserialize, Serialize};

use super::SimKernel;
use crate::kernel::plan::LinkChange;
use crate::kernel::state::{LinkKey, ObjectId};

/// One change made behind the engine's back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftEvent {
    /// The object was deleted (with whatever Linux deletes along with it).
    Deleted(ObjectId),
    /// An attribute of the object was changed.
    Altered {
        /// The object.
        object: ObjectId,
        /// What changed, in words.
        what: String,
    },
}

/// SplitMix64: a tiny PRNG whose sequence for a given seed never changes, so a drift seed in
/// a bug report reproduces the same drift on any version of the crate.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

impl SimKernel {
    /// Deletes or alters `count` random objects that are ours by the sim's scope (fewer if
    /// there are not enough), as an operator or another program might. Reproducible: the same
    /// seed on the same state makes the same changes.
    pub fn drift(&mut self, seed: u64, count: usize) -> Vec<DriftEvent> {
        self.drift_where(seed, count, true)
    }

    /// Like [`drift`](SimKernel::drift), but on objects that are *not* ours (the host
    /// namespace itself is never deleted).
    pub fn drift_foreign(&mut self, seed: u64, count: usize) -> Vec<DriftEvent> {
        self.drift_where(seed, count, false)
    }

    fn drift_where(&mut self, seed: u64, count: usize, ours: bool) -> Vec<DriftEvent> {
        let mut rng = SplitMix64::new(seed);
        let mut events = Vec::new();
        for _ in 0..count {
            let world = &self.world;
            let candidates: Vec<ObjectId> = world
                .object_ids()
                .filter(|id| self.scope.owns(id, world) == ours)
                .collect();
            if candidates.is_empty() {
                break;
            }
            let id = candidates[rng.below(candidates.len())].clone();
            let alter = rng.below(2) == 1;
            events.push(self.drift_one(id, alter, &mut rng));
        }
        events
    }

    fn drift_one(&mut self, id: ObjectId, alter: bool, rng: &mut SplitMix64) -> DriftEvent {
        let altered = |object: ObjectId, what: String| DriftEvent::Altered { object, what };
        if alter {
            match &id {
                ObjectId::Link(k) => return self.drift_link(k.clone(), rng),
                ObjectId::Neigh(k) => {
                    if let Some(n) = self.world.neighs.get_mut(k) {
                        n.lladdr.0[5] ^= 0xff;
                        return altered(id.clone(), format!("lladdr now {}", n.lladdr));
                    }
                }
                ObjectId::XfrmPolicy(k) => {
                    if let Some(t) = self
                        .world
                        .xfrm_policies
                        .get_mut(k)
                        .and_then(|p| p.templates.first_mut())
                    {
                        t.spi ^= 1;
                        return altered(id.clone(), format!("template spi now 0x{:08x}", t.spi));
                    }
                }
                ObjectId::NftTable(k) => {
                    if let Some(t) = self.world.nft_tables.get_mut(k) {
                        t.body.push_str("\n# edited by hand");
                        return altered(id.clone(), "rules edited".into());
                    }
                }
                _ => {}
            }
        }
        self.remove_object(&id);
        DriftEvent::Deleted(id)
    }

    fn drift_link(&mut self, key: LinkKey, rng: &mut SplitMix64) -> DriftEvent {
        let object = ObjectId::Link(key.clone());
        let Some(link) = self.world.links.get(&key) else {
            return DriftEvent::Deleted(object);
        };
        let change = match rng.below(3) {
            0 => LinkChange::Up(!link.up),
            1 => LinkChange::Mtu(
                link.mtu
                    .map_or(1400, |m| if m == 1400 { 1300 } else { 1400 }),
            ),
            _ if link.master.is_some() => LinkChange::Master(None),
            _ => LinkChange::Up(!link.up),
        };
        let what = format!("{change:?}");
        // Drift changes go through the same Linux rules as operations; one that Linux would
        // refuse simply does not happen.
        match self.set_link(&key, &change) {
            Ok(()) => DriftEvent::Altered { object, what },
            Err(_) => {
                self.remove_object(&object);
                DriftEvent::Deleted(object)
            }
        }
    }
}
