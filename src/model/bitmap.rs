//! `SerialBitmap`: a fixed-size set of ordinals with next-fit ("serial") allocation, as moby's
//! `bitmap.Handle.SetAnyInRange(start, end, serial=true)` behaves: the scan starts after the
//! last ordinal handed out and wraps within the requested range, so released ordinals are not
//! reused at once.
//!
//! It owns only bits; it knows nothing about addresses or VNIs. Scans are word-at-a-time
//! (`u64::trailing_zeros`), so a serial allocation is O(1) amortised.

use serde::{Deserialize, Serialize};

/// A bitmap over `0..len` with a next-fit cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialBitmap {
    words: Vec<u64>,
    len: u64,
    set_count: u64,
    /// Where the next serial scan starts: one past the last ordinal handed out.
    cursor: u64,
}

impl SerialBitmap {
    /// An empty bitmap over `0..len`.
    pub fn new(len: u64) -> SerialBitmap {
        let words = len.div_ceil(64) as usize;
        SerialBitmap {
            words: vec![0; words],
            len,
            set_count: 0,
            cursor: 0,
        }
    }

    /// The number of ordinals (`0..len`).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the bitmap covers no ordinals at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many ordinals are set.
    pub fn count(&self) -> u64 {
        self.set_count
    }

    /// Whether `ordinal` is set (ordinals past the end read as unset).
    pub fn is_set(&self, ordinal: u64) -> bool {
        ordinal < self.len && self.words[(ordinal / 64) as usize] & (1 << (ordinal % 64)) != 0
    }

    /// Set `ordinal`. Returns `false` (and changes nothing) if it is out of range or already
    /// set. Does not move the serial cursor, as moby's `Set` does not.
    pub fn set(&mut self, ordinal: u64) -> bool {
        if ordinal >= self.len || self.is_set(ordinal) {
            return false;
        }
        self.words[(ordinal / 64) as usize] |= 1 << (ordinal % 64);
        self.set_count += 1;
        true
    }

    /// Clear `ordinal`. Returns `false` (and changes nothing) if it was not set.
    pub fn unset(&mut self, ordinal: u64) -> bool {
        if !self.is_set(ordinal) {
            return false;
        }
        self.words[(ordinal / 64) as usize] &= !(1 << (ordinal % 64));
        self.set_count -= 1;
        true
    }

    /// Set and return a free ordinal in `start..=end`: with `serial`, the first free one at or
    /// after the cursor (wrapping to `start`), else the lowest free one. `None` when the range
    /// is full or empty.
    pub fn set_any_in_range(&mut self, start: u64, end: u64, serial: bool) -> Option<u64> {
        let end = end.min(self.len.checked_sub(1)?);
        if start > end {
            return None;
        }
        let from = if serial && (start..=end).contains(&self.cursor) {
            self.cursor
        } else {
            start
        };
        let found = self.first_clear(from, end).or_else(|| {
            if from > start {
                self.first_clear(start, from - 1)
            } else {
                None
            }
        })?;
        self.set(found);
        self.cursor = found + 1;
        Some(found)
    }

    /// The lowest clear ordinal in `from..=to` (both within range), scanning a word at a time.
    fn first_clear(&self, from: u64, to: u64) -> Option<u64> {
        let mut word_index = (from / 64) as usize;
        // Treat bits below `from` in the first word as set.
        let mut taken = self.words[word_index] | ((1u64 << (from % 64)) - 1);
        loop {
            if taken != u64::MAX {
                let ordinal = word_index as u64 * 64 + u64::from((!taken).trailing_zeros());
                return (ordinal <= to).then_some(ordinal);
            }
            word_index += 1;
            if word_index as u64 * 64 > to {
                return None;
            }
            taken = self.words[word_index];
        }
    }

    /// How many ordinals in `start..=end` are clear.
    pub fn count_clear_in_range(&self, start: u64, end: u64) -> u64 {
        let Some(last) = self.len.checked_sub(1) else {
            return 0;
        };
        let end = end.min(last);
        if start > end {
            return 0;
        }
        let (first_word, last_word) = ((start / 64) as usize, (end / 64) as usize);
        let mut set = 0u64;
        for (i, word) in self.words[first_word..=last_word].iter().enumerate() {
            let index = first_word + i;
            let mut mask = u64::MAX;
            if index == first_word {
                mask &= u64::MAX << (start % 64);
            }
            if index == last_word {
                mask &= u64::MAX >> (63 - end % 64);
            }
            set += u64::from((word & mask).count_ones());
        }
        (end - start + 1) - set
    }
}

#[cfg(test)]
impl SerialBitmap {
    /// Move the cursor (tests only), to exercise wrap-around without a million allocations.
    pub(crate) fn cursor_for_tests(&mut self, cursor: u64) {
        self.cursor = cursor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_allocation_moves_forward_and_wraps() {
        let mut b = SerialBitmap::new(10);
        assert_eq!(b.set_any_in_range(2, 5, true), Some(2));
        assert_eq!(b.set_any_in_range(2, 5, true), Some(3));
        assert!(b.unset(2));
        // Next-fit: 2 is free again but the scan continues after 3.
        assert_eq!(b.set_any_in_range(2, 5, true), Some(4));
        assert_eq!(b.set_any_in_range(2, 5, true), Some(5));
        // Wraps to the start of the range.
        assert_eq!(b.set_any_in_range(2, 5, true), Some(2));
        assert_eq!(b.set_any_in_range(2, 5, true), None);
        assert_eq!(b.count(), 4);
    }

    #[test]
    fn non_serial_takes_lowest_free() {
        let mut b = SerialBitmap::new(200);
        for want in 0..130 {
            assert_eq!(b.set_any_in_range(0, 199, false), Some(want));
        }
        assert!(b.unset(7));
        assert_eq!(b.set_any_in_range(0, 199, false), Some(7));
    }

    #[test]
    fn set_and_unset_report_changes() {
        let mut b = SerialBitmap::new(65);
        assert!(b.set(64));
        assert!(!b.set(64));
        assert!(!b.set(65));
        assert!(b.is_set(64));
        assert!(b.unset(64));
        assert!(!b.unset(64));
        assert_eq!(b.count(), 0);
    }

    #[test]
    fn scans_cross_word_boundaries() {
        let mut b = SerialBitmap::new(300);
        for i in 0..=255 {
            b.set(i);
        }
        assert_eq!(b.set_any_in_range(10, 299, true), Some(256));
        assert_eq!(b.count_clear_in_range(0, 299), 43);
        assert_eq!(b.count_clear_in_range(250, 260), 4);
        assert_eq!(b.set_any_in_range(0, 255, true), None);
    }

    #[test]
    fn empty_bitmap_and_empty_range_allocate_nothing() {
        let mut b = SerialBitmap::new(0);
        assert_eq!(b.set_any_in_range(0, 0, true), None);
        let mut b = SerialBitmap::new(8);
        assert_eq!(b.set_any_in_range(5, 4, true), None);
        assert_eq!(b.count_clear_in_range(5, 4), 0);
    }
}
