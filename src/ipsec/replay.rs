//! The anti-replay window of RFC 4303 §3.4.3 over 64-bit sequence numbers, with the
//! bitmap-ring layout of RFC 6479 (O(1) per packet, no shifting) and the ESN high-bit inference
//! of RFC 4303 Appendix A. Checking and marking are separate so that a packet only consumes its
//! sequence number after its ICV verified. No allocation after construction.

use super::IpsecError;

/// Why the window refused a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// Already accepted once.
    Replayed,
    /// Below the window; `window_start` is the lowest number still accepted.
    TooOld {
        /// Lowest acceptable sequence number.
        window_start: u64,
    },
}

/// A sliding anti-replay window of `size` packets (0 = no replay protection, as the kernel
/// behaves for Docker's SAs, which set none).
#[derive(Debug, Clone)]
pub struct ReplayWindow {
    size: u32,
    top: u64,
    bitmap: Box<[u64]>,
}

/// Largest supported window.
pub const MAX_REPLAY_WINDOW: u32 = 4096;

impl ReplayWindow {
    /// A window of `size` packets: 0, or a multiple of 32 up to [`MAX_REPLAY_WINDOW`].
    pub fn new(size: u32) -> Result<ReplayWindow, IpsecError> {
        if size % 32 != 0 || size > MAX_REPLAY_WINDOW {
            return Err(IpsecError::InvalidReplayWindow { window: size });
        }
        // One spare word beyond the window (RFC 6479) so advancing clears whole words.
        let words = if size == 0 {
            0
        } else {
            size.div_ceil(64) as usize + 1
        };
        Ok(ReplayWindow {
            size,
            top: 0,
            bitmap: vec![0; words].into_boxed_slice(),
        })
    }

    /// Window size in packets.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Highest sequence number accepted so far (0 before the first).
    pub fn top(&self) -> u64 {
        self.top
    }

    fn bits(&self) -> u64 {
        self.bitmap.len() as u64 * 64
    }

    fn slot(&self, seq: u64) -> (usize, u64) {
        let idx = seq % self.bits();
        ((idx / 64) as usize, 1u64 << (idx % 64))
    }

    /// The full sequence number for the low 32 bits seen on the wire, per RFC 4303 Appendix A
    /// (needs a window; with none the high half is taken from the highest number seen).
    pub fn infer_esn(&self, seq_low: u32) -> u64 {
        let w = self.size.max(1);
        let tl = self.top as u32;
        let th = self.top >> 32;
        let bottom = tl.wrapping_sub(w - 1);
        let high = if tl >= w - 1 {
            // Window lies within one 2^32 subspace.
            if seq_low >= bottom { th } else { th + 1 }
        } else if seq_low >= bottom {
            // Window spans two subspaces and the number belongs to the lower one; before the
            // first wrap there is no lower subspace, and the packet cannot authenticate anyway.
            th.checked_sub(1).unwrap_or(th)
        } else {
            th
        };
        (high << 32) | u64::from(seq_low)
    }

    /// Whether `seq` may be accepted. Does not change the window.
    pub fn check(&self, seq: u64) -> Result<(), ReplayVerdict> {
        if self.size == 0 {
            return Ok(());
        }
        let window_start = self.top.saturating_sub(u64::from(self.size) - 1).max(1);
        if seq == 0 {
            return Err(ReplayVerdict::TooOld { window_start });
        }
        if seq > self.top {
            return Ok(());
        }
        if self.top - seq >= u64::from(self.size) {
            return Err(ReplayVerdict::TooOld { window_start });
        }
        let (word, bit) = self.slot(seq);
        if self.bitmap[word] & bit != 0 {
            Err(ReplayVerdict::Replayed)
        } else {
            Ok(())
        }
    }

    /// Record `seq` as received. Call only after [`ReplayWindow::check`] passed and the ICV
    /// verified.
    pub fn accept(&mut self, seq: u64) {
        if self.size == 0 {
            self.top = self.top.max(seq);
            return;
        }
        if seq > self.top {
            let words = self.bitmap.len() as u64;
            let cur = self.top / 64;
            let new = seq / 64;
            let advance = (new - cur).min(words);
            for i in 1..=advance {
                self.bitmap[((cur + i) % words) as usize] = 0;
            }
            self.top = seq;
        }
        let (word, bit) = self.slot(seq);
        self.bitmap[word] |= bit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn rejects_bad_sizes() {
        assert!(ReplayWindow::new(33).is_err());
        assert!(ReplayWindow::new(8192).is_err());
        assert!(ReplayWindow::new(0).is_ok());
        assert!(ReplayWindow::new(1024).is_ok());
    }

    #[test]
    fn basic_window() {
        let mut w = ReplayWindow::new(64).unwrap();
        assert_eq!(w.check(0), Err(ReplayVerdict::TooOld { window_start: 1 }));
        for s in [1, 3, 2, 100] {
            assert_eq!(w.check(s), Ok(()));
            w.accept(s);
            assert_eq!(w.check(s), Err(ReplayVerdict::Replayed));
        }
        assert_eq!(w.check(37), Ok(()));
        assert_eq!(w.check(36), Err(ReplayVerdict::TooOld { window_start: 37 }));
    }

    #[test]
    fn esn_inference_appendix_a() {
        let mut w = ReplayWindow::new(64).unwrap();
        w.accept((5 << 32) | 0xffff_fff0);
        assert_eq!(w.infer_esn(0xffff_fff5), (5 << 32) | 0xffff_fff5);
        assert_eq!(w.infer_esn(3), (6 << 32) | 3);
        w.accept((6 << 32) | 10);
        assert_eq!(w.infer_esn(0xffff_fff9), (5 << 32) | 0xffff_fff9);
        assert_eq!(w.infer_esn(11), (6 << 32) | 11);
        let fresh = ReplayWindow::new(64).unwrap();
        assert_eq!(fresh.infer_esn(1), 1);
    }

    proptest! {
        /// Each number is accepted at most once, and a number that is fresh (never accepted)
        /// and inside the window (or above it) is never rejected.
        #[test]
        fn accepts_once_never_rejects_fresh_in_window(
            size in prop::sample::select(vec![32u32, 64, 128, 1024]),
            seqs in prop::collection::vec(1u64..3000, 1..600),
        ) {
            let mut w = ReplayWindow::new(size).unwrap();
            let mut seen = HashSet::new();
            for s in seqs {
                let in_window = s + u64::from(size) > w.top();
                match w.check(s) {
                    Ok(()) => {
                        prop_assert!(seen.insert(s), "accepted {} twice", s);
                        w.accept(s);
                    }
                    Err(ReplayVerdict::Replayed) => prop_assert!(seen.contains(&s)),
                    Err(ReplayVerdict::TooOld { .. }) => prop_assert!(!in_window),
                }
                if !seen.contains(&s) {
                    prop_assert!(!in_window);
                }
            }
        }

        #[test]
        fn esn_inference_recovers_numbers_near_the_top(
            top in 1u64..(1u64 << 40),
            back in 0u64..1024,
            ahead in 1u64..(1 << 31),
        ) {
            let mut w = ReplayWindow::new(1024).unwrap();
            w.accept(top);
            let behind = top.saturating_sub(back).max(1);
            prop_assert_eq!(w.infer_esn(behind as u32), behind);
            prop_assert_eq!(w.infer_esn((top + ahead) as u32), top + ahead);
        }
    }
}
