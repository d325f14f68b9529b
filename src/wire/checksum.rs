//! The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers used by UDP and ICMPv6.
//!
//! Only arithmetic lives here: no packet layout. Sums are accumulated as 64-bit integers
//! over 32-bit big-endian words, which is equivalent to the 16-bit one's-complement sum
//! (RFC 1071 §2 (B), byte-order and word-size independence) and about four times fewer
//! additions; the result is folded to 16 bits once at the end.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Adds `data` to a running (unfolded) one's-complement sum. An odd trailing byte is padded
/// with a zero byte, so only the last chunk of a message may have odd length.
///
/// The bulk is summed as native-endian 64-bit loads split into 32-bit halves (no byte swaps,
/// and a loop the compiler can vectorise), folded to 16 bits and byte-swapped once into
/// network order, which RFC 1071 §2 (B) shows is equivalent.
#[inline]
pub fn accumulate(sum: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    let mut native = 0u64;
    for c in &mut chunks {
        let w = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Each term is < 2^33, so no overflow below 2^33 bytes of input.
        native += (w & 0xffff_ffff) + (w >> 32);
    }
    // `to_be` swaps on little-endian targets and is the identity on big-endian ones.
    let bulk = u64::from(fold(native).to_be());
    sum + bulk + accumulate_tail(chunks.remainder())
}

/// Sum of fewer than 8 bytes, in network order.
#[inline]
fn accumulate_tail(rest: &[u8]) -> u64 {
    let (a, b) = match *rest {
        [] => ([0; 4], [0; 4]),
        [x] => ([x, 0, 0, 0], [0; 4]),
        [x, y] => ([x, y, 0, 0], [0; 4]),
        [x, y, z] => ([x, y, z, 0], [0; 4]),
        [x, y, z, w] => ([x, y, z, w], [0; 4]),
        [x, y, z, w, v] => ([x, y, z, w], [v, 0, 0, 0]),
        [x, y, z, w, v, u] => ([x, y, z, w], [v, u, 0, 0]),
        [x, y, z, w, v, u, t, ..] => ([x, y, z, w], [v, u, t, 0]),
    };
    u64::from(u32::from_be_bytes(a)) + u64::from(u32::from_be_bytes(b))
}

/// Adds a fixed-size block (e.g. a 20-byte IPv4 header) to a running sum; the length is a
/// multiple of 4 known at compile time, so the loop unrolls into plain adds.
#[inline]
pub fn accumulate_words<const N: usize>(mut sum: u64, data: &[u8; N]) -> u64 {
    const { assert!(N % 4 == 0) };
    let mut i = 0;
    while i < N {
        sum += u64::from(u32::from_be_bytes([
            data[i],
            data[i + 1],
            data[i + 2],
            data[i + 3],
        ]));
        i += 4;
    }
    sum
}

/// Sum of an IP header: unrolled for the common 20-byte IPv4 header, generic otherwise.
#[inline(always)]
pub fn header_sum(header: &[u8]) -> u64 {
    match <&[u8; 20]>::try_from(header) {
        // Five native-order words, byte-swapped once after folding (RFC 1071 §2(B)).
        Ok(fixed) => {
            let word = |i: usize| {
                u64::from(u32::from_ne_bytes([
                    fixed[i],
                    fixed[i + 1],
                    fixed[i + 2],
                    fixed[i + 3],
                ]))
            };
            let native = word(0) + word(4) + word(8) + word(12) + word(16);
            u64::from(fold(native).to_be())
        }
        Err(_) => accumulate(0, header),
    }
}

/// Removes a 16-bit value that a running sum contains (e.g. a stored checksum) by adding its
/// one's complement, which never underflows.
#[inline]
pub fn remove(sum: u64, value: u16) -> u64 {
    sum + u64::from(!value)
}

/// Folds a running sum into 16 bits (without complementing).
#[inline]
pub fn fold(sum: u64) -> u16 {
    // Three end-around-carry steps bring any u64 below 0x1_0000 + 1, a fourth absorbs the last
    // carry; no loop, no branch.
    let s = (sum & 0xffff_ffff) + (sum >> 32);
    let s = (s & 0xffff) + (s >> 16);
    let s = (s & 0xffff) + (s >> 16);
    let s = (s & 0xffff) + (s >> 16);
    s as u16
}

/// The Internet checksum of `data`: the complement of its folded one's-complement sum.
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    !fold(accumulate(0, data))
}

/// The unfolded sum of the IPv4 pseudo-header (RFC 768) for `protocol` and `length`.
#[inline]
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u32) -> u64 {
    u64::from(src.to_bits()) + u64::from(dst.to_bits()) + u64::from(protocol) + u64::from(length)
}

/// The unfolded sum of the IPv6 pseudo-header (RFC 8200 §8.1) for `next_header` and `length`.
#[inline]
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, length: u32) -> u64 {
    let s = src.to_bits();
    let d = dst.to_bits();
    let words = [
        s >> 64,
        s & u128::from(u64::MAX),
        d >> 64,
        d & u128::from(u64::MAX),
    ];
    let mut sum = u64::from(next_header) + u64::from(length);
    for w in words {
        let w = w as u64;
        sum += (w >> 32) + (w & 0xffff_ffff);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain 16-bit reference implementation, straight from RFC 1071.
    fn reference(data: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for c in data.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0]) << 8
            };
            sum += u32::from(w);
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(accumulate(0, &data)), 0xddf2);
    }

    #[test]
    fn fixed_size_sum_matches() {
        let data: [u8; 20] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(fold(accumulate_words(5, &data)), fold(accumulate(5, &data)));
    }

    #[test]
    fn fold_handles_extremes() {
        assert_eq!(fold(0), 0);
        assert_eq!(fold(0xffff), 0xffff);
        assert_eq!(fold(0x1_0000), 1);
        assert_eq!(fold(u64::MAX), 0xffff);
        assert_eq!(fold(0x0001_fffe_0000_0001), 1);
    }

    #[test]
    fn known_ipv4_header() {
        // A header from a real capture; its checksum field (0xb861) is zeroed here.
        let hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&hdr), 0xb861);
    }

    proptest::proptest! {
        #[test]
        fn remove_takes_a_word_back_out(mut data in proptest::collection::vec(proptest::num::u8::ANY, 2..300)) {
            let with = accumulate(0, &data);
            let word = u16::from_be_bytes([data[0], data[1]]);
            data[0] = 0;
            data[1] = 0;
            let without = accumulate(0, &data);
            // Equal as one's-complement numbers (0 and 0xffff are both zero).
            proptest::prop_assert_eq!(fold(remove(with, word)) % 0xffff, fold(without) % 0xffff);
        }


        #[test]
        fn matches_reference(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(checksum(&data), reference(&data));
        }
    }
}
