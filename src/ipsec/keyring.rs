//! The IPsec keyring in the order moby's overlay driver keeps it (index 0 = primary = the
//! transmit key, the rest receive-only), built from swarm-style key sets exactly as moby's
//! agent does, and key updates computed as moby's `handleKeyChange` and applied as its
//! driver's `updateKeys`. This module knows nothing of addresses or the kernel.

use super::{IpsecError, Key};

/// Docker's subsystem name for data-path (IPsec) keys.
pub const SUBSYSTEM_IPSEC: &str = "networking:ipsec";
/// Docker's subsystem name for NetworkDB gossip keys.
pub const SUBSYSTEM_GOSSIP: &str = "networking:gossip";
/// Keys per subsystem that swarm distributes (`keyringSize`).
pub const KEYRING_SIZE: usize = 3;

/// One key as swarm's `EncryptionKey` delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmKey {
    /// `networking:ipsec` or `networking:gossip`.
    pub subsystem: String,
    /// The key bytes.
    pub key: Key,
    /// The manager's Lamport time when the key was made; unique, increasing.
    pub lamport_time: u64,
}

/// A key with its Lamport tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedKey {
    /// The key.
    pub key: Key,
    /// The Lamport time. SPIs use its low 32 bits ([`TaggedKey::spi_tag`]) as moby's driver does.
    pub tag: u64,
}

impl TaggedKey {
    /// The tag as moby's driver keeps it (`uint32(LamportTime)`), the input to `buildSPI`.
    pub fn spi_tag(&self) -> u32 {
        self.tag as u32
    }
}

/// The change between two key sets, as moby's agent hands it to the driver
/// (`DriverEncryptionUpdate`): at most one new key, the primary, at most one key to prune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUpdate {
    /// The key added by the manager, if any.
    pub new: Option<TaggedKey>,
    /// Tag of the key that must transmit afterwards (the second-oldest of the new set).
    pub primary_tag: u64,
    /// Tag of the key the manager dropped, if any.
    pub prune_tag: Option<u64>,
}

/// An ordered IPsec keyring: `keys()[0]` transmits, every key receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyring {
    keys: Vec<TaggedKey>,
}

/// Positions moby's `updateKeys` works with, over the ring with the new key appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyIndices {
    /// Index of the new key (always the last), if one was added.
    pub new: Option<usize>,
    /// Index of the new primary, if the update names one present in the ring.
    pub primary: Option<usize>,
    /// Index of the key to prune, if any.
    pub prune: Option<usize>,
}

/// The result of applying a [`KeyUpdate`]: the ring during the change (old keys plus the new
/// one), the positions involved, and the ring afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTransition {
    /// Old ring with the new key appended (moby's `d.keys` while `updateNodeKey` runs).
    pub during: Vec<TaggedKey>,
    /// The positions in `during`.
    pub indices: KeyIndices,
    /// The ring after the swap and prune.
    pub after: Keyring,
}

fn check_unique_tags(keys: &[TaggedKey]) -> Result<(), IpsecError> {
    for (i, a) in keys.iter().enumerate() {
        if keys[..i].iter().any(|b| b.tag == a.tag) {
            return Err(IpsecError::DuplicateTag { tag: a.tag });
        }
    }
    Ok(())
}

/// Validate a full swarm key set as moby's `SetKeys` does: only known subsystems, exactly
/// [`KEYRING_SIZE`] keys for each present one.
pub fn validate_swarm_keys(keys: &[SwarmKey]) -> Result<(), IpsecError> {
    for k in keys {
        if k.subsystem != SUBSYSTEM_IPSEC && k.subsystem != SUBSYSTEM_GOSSIP {
            return Err(IpsecError::UnrecognizedSubsystem {
                subsystem: k.subsystem.clone(),
            });
        }
    }
    for subsystem in [SUBSYSTEM_GOSSIP, SUBSYSTEM_IPSEC] {
        let count = keys.iter().filter(|k| k.subsystem == subsystem).count();
        if count != 0 && count != KEYRING_SIZE {
            return Err(IpsecError::IncorrectKeyCount {
                subsystem: subsystem.to_owned(),
                count,
            });
        }
    }
    Ok(())
}

/// The keys of `subsystem` sorted by Lamport time, oldest first.
fn sorted_subsystem(keys: &[SwarmKey], subsystem: &str) -> Vec<TaggedKey> {
    let mut out: Vec<TaggedKey> = keys
        .iter()
        .filter(|k| k.subsystem == subsystem)
        .map(|k| TaggedKey {
            key: k.key.clone(),
            tag: k.lamport_time,
        })
        .collect();
    out.sort_by_key(|k| k.tag);
    out
}

impl Keyring {
    /// moby's agent `getKeys(subsystem)`: validate the set (`SetKeys`), sort by Lamport time and
    /// swap the first two, so the **second-oldest** key transmits and the newest is installed
    /// receive-only one period before it is used.
    pub fn from_swarm_keys(keys: &[SwarmKey], subsystem: &str) -> Result<Keyring, IpsecError> {
        validate_swarm_keys(keys)?;
        let mut sorted = sorted_subsystem(keys, subsystem);
        if sorted.len() != KEYRING_SIZE {
            return Err(IpsecError::IncorrectKeyCount {
                subsystem: subsystem.to_owned(),
                count: sorted.len(),
            });
        }
        check_unique_tags(&sorted)?;
        sorted.swap(0, 1);
        Ok(Keyring { keys: sorted })
    }

    /// A ring in driver order as given (primary first). Needs at least one key, unique tags.
    pub fn from_driver_order(keys: Vec<TaggedKey>) -> Result<Keyring, IpsecError> {
        if keys.is_empty() {
            return Err(IpsecError::IncorrectKeyCount {
                subsystem: SUBSYSTEM_IPSEC.to_owned(),
                count: 0,
            });
        }
        check_unique_tags(&keys)?;
        Ok(Keyring { keys })
    }

    /// The transmit key.
    pub fn primary(&self) -> &TaggedKey {
        &self.keys[0]
    }

    /// All keys, primary first.
    pub fn keys(&self) -> &[TaggedKey] {
        &self.keys
    }

    /// Whether a key with this tag is in the ring.
    pub fn contains_tag(&self, tag: u64) -> bool {
        self.keys.iter().any(|k| k.tag == tag)
    }

    /// moby's `handleKeyChange`: compare the ring with a new swarm key set of the same
    /// subsystem. A key only in the new set is `new`, a key only in the ring is `prune`, and the
    /// primary is the second-oldest of the new set (`getPrimaryKeyTag`).
    ///
    /// Docker records one added and one removed key; when several changed (a missed rotation)
    /// we report the newest added and the oldest removed, and [`Keyring::apply`] then usually
    /// fails so the caller resets the ring, as moby's agent falls back to `setKeys`.
    pub fn update_to(
        &self,
        new_set: &[SwarmKey],
        subsystem: &str,
    ) -> Result<KeyUpdate, IpsecError> {
        validate_swarm_keys(new_set)?;
        let sorted = sorted_subsystem(new_set, subsystem);
        if sorted.len() != KEYRING_SIZE {
            return Err(IpsecError::IncorrectKeyCount {
                subsystem: subsystem.to_owned(),
                count: sorted.len(),
            });
        }
        check_unique_tags(&sorted)?;
        let new = sorted
            .iter()
            .rev()
            .find(|k| !self.contains_tag(k.tag))
            .cloned();
        let prune_tag = {
            let mut old: Vec<u64> = self.keys.iter().map(|k| k.tag).collect();
            old.sort_unstable();
            old.into_iter()
                .find(|t| !sorted.iter().any(|k| k.tag == *t))
        };
        Ok(KeyUpdate {
            new,
            primary_tag: sorted[1].tag,
            prune_tag,
        })
    }

    /// moby's driver `updateKeys`: append the new key, locate primary and prune, then swap the
    /// primary to the front and drop the pruned key. Errors carry Docker's texts and, unlike
    /// Docker (which has already appended the new key when it fails), leave `self` unchanged.
    pub fn apply(&self, update: &KeyUpdate) -> Result<KeyTransition, IpsecError> {
        let mut during = self.keys.clone();
        let mut new = None;
        if let Some(k) = &update.new {
            if self.contains_tag(k.tag) {
                return Err(IpsecError::DuplicateTag { tag: k.tag });
            }
            during.push(k.clone());
            new = Some(during.len() - 1);
        }
        let primary = during.iter().position(|k| k.tag == update.primary_tag);
        let prune = update
            .prune_tag
            .and_then(|t| during.iter().position(|k| k.tag == t));
        if primary.is_none() || (update.prune_tag.is_some() && prune.is_none()) {
            let idx = |i: Option<usize>| i.map_or(-1, |i| i as i64);
            return Err(IpsecError::KeyIndicesNotFound {
                new_idx: idx(new),
                primary_idx: idx(primary),
                prune_idx: idx(prune),
            });
        }
        let primary_idx = primary.unwrap_or(0);
        if prune == Some(primary_idx) {
            return Err(IpsecError::PrimaryIsPruned { index: primary_idx });
        }
        let mut after = during.clone();
        after.swap(0, primary_idx);
        if let Some(mut del) = prune {
            // After the swap the old primary sits where the new primary was.
            if del == 0 {
                del = primary_idx;
            }
            after.remove(del);
        }
        Ok(KeyTransition {
            during,
            indices: KeyIndices {
                new,
                primary,
                prune,
            },
            after: Keyring { keys: after },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key::new(&[b; 16]).unwrap()
    }

    fn swarm(tags: &[u64]) -> Vec<SwarmKey> {
        tags.iter()
            .map(|&t| SwarmKey {
                subsystem: SUBSYSTEM_IPSEC.into(),
                key: key(t as u8),
                lamport_time: t,
            })
            .collect()
    }

    fn tags(r: &Keyring) -> Vec<u64> {
        r.keys().iter().map(|k| k.tag).collect()
    }

    #[test]
    fn second_oldest_key_is_primary() {
        let ring = Keyring::from_swarm_keys(&swarm(&[30, 10, 20]), SUBSYSTEM_IPSEC).unwrap();
        assert_eq!(tags(&ring), [20, 10, 30]);
        assert_eq!(ring.primary().tag, 20);
    }

    #[test]
    fn docker_set_keys_errors() {
        let mut keys = swarm(&[1, 2, 3]);
        keys[0].subsystem = "networking:other".into();
        let err = Keyring::from_swarm_keys(&keys, SUBSYSTEM_IPSEC).unwrap_err();
        assert_eq!(err.to_string(), "key received for unrecognized subsystem");
        let err = Keyring::from_swarm_keys(&swarm(&[1, 2]), SUBSYSTEM_IPSEC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "incorrect number of keys for subsystem networking:ipsec"
        );
        let err = Keyring::from_swarm_keys(&swarm(&[1, 2, 2]), SUBSYSTEM_IPSEC).unwrap_err();
        assert_eq!(err, IpsecError::DuplicateTag { tag: 2 });
    }

    #[test]
    fn reference_worked_example() {
        // before: keys [b(primary), a, c]; manager rotates to {b, c, d}.
        let (a, b, c, d) = (1, 2, 3, 4);
        let ring = Keyring::from_swarm_keys(&swarm(&[a, b, c]), SUBSYSTEM_IPSEC).unwrap();
        assert_eq!(tags(&ring), [b, a, c]);
        let update = ring.update_to(&swarm(&[b, c, d]), SUBSYSTEM_IPSEC).unwrap();
        assert_eq!(update.new.as_ref().map(|k| k.tag), Some(d));
        assert_eq!((update.primary_tag, update.prune_tag), (c, Some(a)));
        let t = ring.apply(&update).unwrap();
        assert_eq!(
            t.during.iter().map(|k| k.tag).collect::<Vec<_>>(),
            [b, a, c, d]
        );
        assert_eq!(
            t.indices,
            KeyIndices {
                new: Some(3),
                primary: Some(2),
                prune: Some(1)
            }
        );
        assert_eq!(tags(&t.after), [c, b, d]);
    }

    #[test]
    fn docker_update_keys_errors_leave_ring_unchanged() {
        let ring = Keyring::from_swarm_keys(&swarm(&[1, 2, 3]), SUBSYSTEM_IPSEC).unwrap();
        let before = ring.clone();
        let bad = KeyUpdate {
            new: None,
            primary_tag: 9,
            prune_tag: Some(1),
        };
        assert_eq!(
            ring.apply(&bad).unwrap_err().to_string(),
            "cannot find proper key indices while processing key update:(newIdx,priIdx,delIdx):(-1, -1, 1)"
        );
        let bad = KeyUpdate {
            new: None,
            primary_tag: 1,
            prune_tag: Some(1),
        };
        assert_eq!(
            ring.apply(&bad).unwrap_err().to_string(),
            "attempting to both make a key (index 1) primary and delete it"
        );
        assert_eq!(ring, before);
    }

    #[test]
    fn pruning_the_primary_moves_prune_to_the_swapped_slot() {
        let ring = Keyring::from_driver_order(vec![
            TaggedKey {
                key: key(1),
                tag: 1,
            },
            TaggedKey {
                key: key(2),
                tag: 2,
            },
        ])
        .unwrap();
        let update = KeyUpdate {
            new: None,
            primary_tag: 2,
            prune_tag: Some(1),
        };
        let t = ring.apply(&update).unwrap();
        assert_eq!(tags(&t.after), [2]);
    }
}
