//! VNIs: Docker's `vxlanid_list` text in and out, and a standalone VNI allocator with swarm's
//! rules (explicit VNIs reserved exactly, automatic ones next-fit from 4096).

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_array, in_str,
    into_handle, out_array, out_buf, out_param,
};
use super::result::overlaynet_result;
use crate::model::{ModelError, Vni, VniAllocator, format_vni_list, parse_vni_list};

/// An opaque VNI allocator (a 2 MiB bitmap of all 2^24 VNIs).
#[allow(non_camel_case_types)]
pub struct overlaynet_vni_allocator {
    allocator: VniAllocator,
}

/// Parses a `com.docker.network.driver.overlay.vxlanid_list` value ("4097,4098") into
/// `vnis[0..len]`, with Docker's error text and the range check 1..=16777215; `*out_n` gets
/// the count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_list_parse(
    list: *const u8,
    list_len: usize,
    vnis: *mut u32,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (list, out) = unsafe {
            (
                in_str(list, list_len, "list")?,
                out_array(vnis, len, out_n)?,
            )
        };
        let parsed: Vec<u32> = parse_vni_list(list)?.into_iter().map(Vni::get).collect();
        out.write(&parsed)
    })
}

/// Formats `vnis[0..count]` as a `vxlanid_list` value into `buf`; each must be in
/// 1..=16777215.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_list_format(
    vnis: *const u32,
    count: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (vnis, out) = unsafe { (in_array(vnis, count, "vnis")?, out_buf(buf, len, out_n)?) };
        let vnis = vnis
            .iter()
            .map(|&v| Vni::new(v))
            .collect::<Result<Vec<_>, _>>()?;
        out.write(format_vni_list(&vnis).as_bytes())
    })
}

/// Creates an empty VNI allocator in `*out_allocator`; free it with
/// `overlaynet_vni_allocator_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_allocator_new(
    out_allocator: *mut *mut overlaynet_vni_allocator,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_allocator, "out_allocator") }?;
        out.write(into_handle(overlaynet_vni_allocator {
            allocator: VniAllocator::new(),
        }));
        Ok(())
    })
}

/// Frees a VNI allocator. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_allocator_free(allocator: *mut overlaynet_vni_allocator) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(allocator) });
}

/// Allocates the next free VNI (next-fit from 4096, wrapping) into `*out_vni`;
/// `OVERLAYNET_RESULT_EXHAUSTED` when none is left.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_allocator_allocate(
    allocator: *mut overlaynet_vni_allocator,
    out_vni: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (a, out) = unsafe {
            (
                handle_mut(allocator, "allocator")?,
                out_param(out_vni, "out_vni")?,
            )
        };
        let vni = a.allocator.allocate().ok_or_else(|| {
            Failure::new(
                overlaynet_result::Exhausted,
                "could not obtain vxlan id: no available bit",
            )
        })?;
        out.write(vni.get());
        Ok(())
    })
}

/// Reserves exactly `vni` (1..=16777215); `OVERLAYNET_RESULT_CONFLICT` when it is taken.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_allocator_reserve(
    allocator: *mut overlaynet_vni_allocator,
    vni: u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let a = unsafe { handle_mut(allocator, "allocator") }?;
        if !a.allocator.reserve(Vni::new(vni)?) {
            return Err(Failure::new(
                overlaynet_result::Conflict,
                format!("could not assign vxlan id {vni}: requested bit is already allocated"),
            ));
        }
        Ok(())
    })
}

/// Releases `vni`; `OVERLAYNET_RESULT_NOT_FOUND` when it was not allocated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_allocator_release(
    allocator: *mut overlaynet_vni_allocator,
    vni: u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let a = unsafe { handle_mut(allocator, "allocator") }?;
        if !a.allocator.release(Vni::new(vni)?) {
            return Err(ModelError::VniNotAllocated { vni }.into());
        }
        Ok(())
    })
}

/// Stores the number of allocated VNIs in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_vni_allocator_count(
    allocator: *const overlaynet_vni_allocator,
    out_count: *mut u64,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (a, out) = unsafe {
            (
                handle_ref(allocator, "allocator")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(a.allocator.allocated());
        Ok(())
    })
}
