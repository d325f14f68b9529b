//! Transparent-huge-page advice for large arrays that are read at random (the peer table's
//! indexes): with 4 KiB pages nearly every random read of a 30 MiB array also misses the
//! TLB, and the page walk adds a second dependent memory access to the cache miss.
//!
//! Advice only: the kernel may ignore it (THP disabled, no free huge pages), and a failed
//! call changes nothing, so failures are ignored. Linux honours it for pages faulted in
//! after the call, which is why [`filled_vec`] advises before it writes the elements. On
//! other systems this is a plain allocation.

use std::mem::MaybeUninit;

/// The x86-64 and aarch64 (4 KiB base page) huge page size.
const HUGE_PAGE: usize = 2 << 20;
/// Below this the arrays fit in few enough pages that the advice is not worth a syscall.
const MIN_ADVISED: usize = 4 << 20;

/// A vector of `len` copies of `value`, whose memory was advised to be backed by huge pages
/// before any element was written.
pub(crate) fn filled_vec<T: Clone>(len: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise(v.spare_capacity_mut());
    v.resize(len, value);
    v
}

/// A copy of `from`, advised like [`filled_vec`] before the copy is written.
pub(crate) fn copied_vec<T: Copy>(from: &[T]) -> Vec<T> {
    let mut v = Vec::with_capacity(from.len());
    advise(v.spare_capacity_mut());
    v.extend_from_slice(from);
    v
}

/// Asks for huge pages under the 2 MiB-aligned part of `region`, if it spans at least
/// [`MIN_ADVISED`] bytes. Returns whether the kernel accepted the advice.
pub(crate) fn advise<T>(region: &mut [MaybeUninit<T>]) -> bool {
    let start = region.as_mut_ptr() as usize;
    let bytes = size_of_val(region);
    if bytes < MIN_ADVISED {
        return false;
    }
    let aligned_start = start.next_multiple_of(HUGE_PAGE);
    let aligned_end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
    if aligned_end <= aligned_start {
        return false;
    }
    advise_range(aligned_start, aligned_end - aligned_start)
}

#[cfg(target_os = "linux")]
fn advise_range(start: usize, len: usize) -> bool {
    // SAFETY: [start, start + len) lies inside `region`, memory this process owns and the
    // caller borrows mutably. MADV_HUGEPAGE changes neither contents nor protection of the
    // range; it only tells the kernel how to back pages faulted in later, so no Rust value
    // can observe it.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: usize, _len: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_regions_are_not_advised() {
        let mut v: Vec<u64> = Vec::with_capacity(1024);
        assert!(!advise(v.spare_capacity_mut()));
        let mut empty: Vec<u64> = Vec::new();
        assert!(!advise(empty.spare_capacity_mut()));
    }

    #[test]
    fn filled_vectors_hold_exactly_the_value() {
        for len in [0, 1, 1000, (MIN_ADVISED / 16) + 3] {
            let v = filled_vec(len, [7u64, u64::MAX]);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == [7, u64::MAX]));
            assert_eq!(copied_vec(&v), v);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_regions_are_advised_where_the_kernel_offers_huge_pages() {
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        // "[never]" still accepts the advice; only a kernel without THP refuses it.
        let mut v: Vec<u8> = Vec::with_capacity(3 * MIN_ADVISED);
        assert_eq!(advise(v.spare_capacity_mut()), thp.is_ok());
    }
}
