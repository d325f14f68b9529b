//! Arithmetic shared by the peer table's two open-addressing indexes: linear probing over
//! any number of buckets, growth at 3/4 load.
//!
//! The home bucket is taken from the high 32 bits of a hash with Lemire's multiply-shift
//! reduction, so the bucket count need not be a power of two and reservations can be tight.
//! 3/4 is where linear probing's expected miss length, ½(1 + 1/(1 − α)²), reaches 8.5
//! buckets (two cache lines of 16-byte buckets).

const LOAD_NUM: usize = 3;
const LOAD_DEN: usize = 4;
const MIN_BUCKETS: usize = 8;

/// The high 32 bits of `hash`: what [`home`] uses, and what an index may store to find a
/// bucket's home again without the key.
#[inline]
pub(crate) fn hash32(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// The first bucket to probe for `hash32` among `buckets` (at most 2³²) buckets.
#[inline]
pub(crate) fn home(hash32: u32, buckets: usize) -> usize {
    ((u64::from(hash32) * buckets as u64) >> 32) as usize
}

/// The bucket after `i`, wrapping around.
#[inline]
pub(crate) fn next(i: usize, buckets: usize) -> usize {
    if i + 1 == buckets { 0 } else { i + 1 }
}

/// Whether a bucket at `pos` whose home is `home` may move back into the hole at `hole`
/// during backward-shift deletion: only if the hole lies on its probe path, i.e. is no
/// nearer its home than `pos` is.
pub(crate) fn may_fill(hole: usize, home: usize, pos: usize, buckets: usize) -> bool {
    distance(home, pos, buckets) >= distance(hole, pos, buckets)
}

/// Probe steps from bucket `from` forward to bucket `to`.
fn distance(from: usize, to: usize, buckets: usize) -> usize {
    if to >= from {
        to - from
    } else {
        to + buckets - from
    }
}

/// Whether `len + additional` entries fit in `buckets` under the load limit. Inlined into
/// every insert, where the answer is nearly always yes.
#[inline]
pub(crate) fn fits(len: usize, additional: usize, buckets: usize) -> bool {
    len.saturating_add(additional).saturating_mul(LOAD_DEN) <= buckets.saturating_mul(LOAD_NUM)
}

/// The bucket count to grow to so that `len + additional` entries fit under the load
/// limit, or `None` if they already do. Doubles at least, so growth one entry at a time is
/// amortised O(1); a large reservation is sized tightly.
pub(crate) fn grown_buckets(len: usize, additional: usize, buckets: usize) -> Option<usize> {
    if fits(len, additional, buckets) {
        return None;
    }
    let needed = len.saturating_add(additional);
    let tight = needed.saturating_mul(LOAD_DEN).div_ceil(LOAD_NUM);
    Some(tight.max(buckets.saturating_mul(2)).max(MIN_BUCKETS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_cover_every_bucket_evenly() {
        assert_eq!(home(0, 10), 0);
        assert_eq!(home(u32::MAX, 10), 9);
        assert_eq!(home(1 << 31, 10), 5);
    }

    #[test]
    fn growth_is_tight_for_reservations_and_doubles_otherwise() {
        assert_eq!(grown_buckets(0, 0, 0), None);
        assert_eq!(grown_buckets(0, 1, 0), Some(8));
        assert_eq!(grown_buckets(0, 1000, 0), Some(1334));
        assert_eq!(grown_buckets(1000, 0, 1334), None);
        assert_eq!(grown_buckets(1000, 1, 1334), Some(2668));
        assert_eq!(grown_buckets(6, 1, 8), Some(16));
    }

    #[test]
    fn a_bucket_moves_back_only_along_its_probe_path() {
        // Bucket at 5, home 3: the hole at 4 or 3 is on its path, the hole at 2 is not.
        assert!(may_fill(4, 3, 5, 8));
        assert!(may_fill(3, 3, 5, 8));
        assert!(!may_fill(2, 3, 5, 8));
        // Wrapped around: bucket at 1, home 6, hole at 7.
        assert!(may_fill(7, 6, 1, 8));
        assert!(!may_fill(7, 0, 1, 8));
    }
}
