//! VXLAN network identifiers: the validated `Vni` type and the cluster-wide `VniAllocator`
//! (moby's ovmanager: explicit VNIs reserved exactly, automatic ones handed out serially from
//! 4096 up to 16777215, wrapping).
//!
//! It does not know which network or subnet a VNI belongs to; the cluster registry does.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::bitmap::SerialBitmap;
use super::error::ModelError;

/// A VXLAN network identifier in 1..=16777215.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Vni(u32);

impl Vni {
    /// The largest VNI (24 bits).
    pub const MAX: u32 = (1 << 24) - 1;
    /// The first VNI swarm hands out automatically (moby ovmanager `vxlanIDStart`; below it
    /// Windows cannot use VNIs, which collide with 802.1Q VLAN ids).
    pub const AUTO_START: u32 = 4096;

    /// Validate `value` as a VNI.
    pub fn new(value: u32) -> Result<Vni, ModelError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Vni(value))
        } else {
            Err(ModelError::VniOutOfRange {
                vni: u64::from(value),
            })
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Vni {
    type Error = ModelError;
    fn try_from(value: u32) -> Result<Vni, ModelError> {
        Vni::new(value)
    }
}

impl From<Vni> for u32 {
    fn from(vni: Vni) -> u32 {
        vni.0
    }
}

impl fmt::Display for Vni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parse a `com.docker.network.driver.overlay.vxlanid_list` value: comma-separated decimal
/// VNIs, as moby's `overlayutils.AppendVNIList` (each element must parse as a u32), plus the
/// range check 1..=16777215 that Docker only applies on the manager.
pub fn parse_vni_list(list: &str) -> Result<Vec<Vni>, ModelError> {
    list.split(',')
        .map(|element| {
            let value: u32 = element
                .parse()
                .ok()
                .filter(|_| element.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ModelError::InvalidVni {
                    value: element.to_string(),
                })?;
            Vni::new(value)
        })
        .collect()
}

/// Render VNIs as a `vxlanid_list` value (comma-joined, in subnet order).
pub fn format_vni_list(vnis: &[Vni]) -> String {
    vnis.iter()
        .map(Vni::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The cluster-wide VNI bitmap (2^24 bits, 2 MiB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VniAllocator {
    bits: SerialBitmap,
    /// How many VNIs in the automatic range are taken, so `free_automatic` is O(1).
    taken_automatic: u64,
}

impl Default for VniAllocator {
    fn default() -> Self {
        VniAllocator::new()
    }
}

impl VniAllocator {
    /// An allocator with every VNI free.
    pub fn new() -> VniAllocator {
        VniAllocator {
            bits: SerialBitmap::new(1 << 24),
            taken_automatic: 0,
        }
    }

    /// Whether `vni` is allocated or reserved.
    pub fn is_allocated(&self, vni: Vni) -> bool {
        self.bits.is_set(u64::from(vni.get()))
    }

    /// Reserve `vni` exactly. Returns `false` (and changes nothing) if it is taken.
    pub fn reserve(&mut self, vni: Vni) -> bool {
        let changed = self.bits.set(u64::from(vni.get()));
        if changed && vni.get() >= Vni::AUTO_START {
            self.taken_automatic += 1;
        }
        changed
    }

    /// Hand out the next free VNI in 4096..=16777215, scanning on from the last one handed out
    /// and wrapping. `None` when all are taken.
    pub fn allocate(&mut self) -> Option<Vni> {
        let ordinal =
            self.bits
                .set_any_in_range(u64::from(Vni::AUTO_START), u64::from(Vni::MAX), true)?;
        self.taken_automatic += 1;
        // The range is within 1..=MAX, so this cannot fail.
        Vni::new(ordinal as u32).ok()
    }

    /// How many VNIs `allocate` can still hand out.
    pub fn free_automatic(&self) -> u64 {
        u64::from(Vni::MAX - Vni::AUTO_START + 1) - self.taken_automatic
    }

    /// Free `vni`. Returns `false` if it was not allocated.
    pub fn release(&mut self, vni: Vni) -> bool {
        let changed = self.bits.unset(u64::from(vni.get()));
        if changed && vni.get() >= Vni::AUTO_START {
            self.taken_automatic -= 1;
        }
        changed
    }

    /// How many VNIs are allocated or reserved.
    pub fn allocated(&self) -> u64 {
        self.bits.count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vni_range_is_1_to_2_pow_24_minus_1() {
        assert_eq!(Vni::new(0), Err(ModelError::VniOutOfRange { vni: 0 }));
        assert_eq!(Vni::new(1).map(Vni::get), Ok(1));
        assert_eq!(Vni::new(16_777_215).map(Vni::get), Ok(16_777_215));
        assert_eq!(
            Vni::new(16_777_216),
            Err(ModelError::VniOutOfRange { vni: 16_777_216 })
        );
        assert_eq!(
            Vni::new(16_777_216).map_err(|e| e.to_string()),
            Err("vxlan id 16777216 is out of range (1-16777215)".to_string())
        );
    }

    #[test]
    fn vni_list_parses_like_append_vni_list() {
        let v = parse_vni_list("4097,4098").map(|v| v.iter().map(|v| v.get()).collect::<Vec<_>>());
        assert_eq!(v, Ok(vec![4097, 4098]));
        assert_eq!(
            parse_vni_list("4097,x").map_err(|e| e.to_string()),
            Err("invalid vxlan id value \"x\" passed".to_string())
        );
        assert!(matches!(
            parse_vni_list(""),
            Err(ModelError::InvalidVni { .. })
        ));
        assert!(matches!(
            parse_vni_list("+5"),
            Err(ModelError::InvalidVni { .. })
        ));
        assert!(matches!(
            parse_vni_list("4294967296"),
            Err(ModelError::InvalidVni { .. })
        ));
        assert_eq!(
            parse_vni_list("0"),
            Err(ModelError::VniOutOfRange { vni: 0 })
        );
        let vnis = parse_vni_list("1,16777215").unwrap_or_default();
        assert_eq!(format_vni_list(&vnis), "1,16777215");
    }

    #[test]
    fn automatic_vnis_start_at_4096_and_are_serial() {
        let mut a = VniAllocator::new();
        let first = a.allocate().map(Vni::get);
        let second = a.allocate().map(Vni::get);
        assert_eq!((first, second), (Some(4096), Some(4097)));
        assert!(a.release(Vni(4096)));
        // Next-fit: 4096 is not reused immediately.
        assert_eq!(a.allocate().map(Vni::get), Some(4098));
    }

    #[test]
    fn explicit_vnis_are_reserved_exactly_even_below_4096() {
        let mut a = VniAllocator::new();
        assert!(a.reserve(Vni(100)));
        assert!(!a.reserve(Vni(100)));
        assert!(a.reserve(Vni(4096)));
        assert_eq!(a.allocate().map(Vni::get), Some(4097));
        assert!(a.is_allocated(Vni(100)));
        assert!(a.release(Vni(100)));
        assert!(!a.release(Vni(100)));
    }

    #[test]
    fn automatic_allocation_wraps_at_the_top() {
        let mut a = VniAllocator::new();
        assert!(a.reserve(Vni(Vni::MAX - 1)));
        a.bits.cursor_for_tests(u64::from(Vni::MAX - 1));
        assert_eq!(a.allocate().map(Vni::get), Some(Vni::MAX));
        assert_eq!(a.allocate().map(Vni::get), Some(4096));
        assert_eq!(a.free_automatic(), u64::from(Vni::MAX - 4096 + 1) - 3);
        let counted = a.bits.count_clear_in_range(4096, u64::from(Vni::MAX));
        assert_eq!(a.free_automatic(), counted);
        assert!(a.reserve(Vni(10)));
        assert!(a.release(Vni(Vni::MAX)));
        assert_eq!(
            a.free_automatic(),
            a.bits.count_clear_in_range(4096, u64::from(Vni::MAX))
        );
    }
}
