//! `overlaynet_options`: a Docker driver option map (`--opt key=value`, what a swarm manager
//! hands a worker), in and out of the builders and networks. Keys are kept sorted.

use std::collections::BTreeMap;

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_buf,
    out_param,
};
use super::result::overlaynet_result;

/// An opaque Docker driver option map (string keys and values, sorted by key).
#[allow(non_camel_case_types)]
pub struct overlaynet_options {
    pub(crate) map: BTreeMap<String, String>,
}

impl overlaynet_options {
    /// Hands `map` to C as a new handle.
    pub(crate) fn new_handle(map: BTreeMap<String, String>) -> *mut overlaynet_options {
        into_handle(overlaynet_options { map })
    }

    fn entry(&self, index: usize) -> Result<(&String, &String), Failure> {
        self.map.iter().nth(index).ok_or_else(|| {
            Failure::new(
                overlaynet_result::IndexOutOfRange,
                format!(
                    "option index {index} is out of range: the map has {} entries",
                    self.map.len()
                ),
            )
        })
    }
}

/// Creates an empty option map in `*out_options`; free it with `overlaynet_options_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_new(
    out_options: *mut *mut overlaynet_options,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_options, "out_options") }?;
        out.write(overlaynet_options::new_handle(BTreeMap::new()));
        Ok(())
    })
}

/// Frees an option map. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_free(options: *mut overlaynet_options) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(options) });
}

/// Sets `key` to `value`, replacing an existing value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_set(
    options: *mut overlaynet_options,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, key, value) = unsafe {
            (
                handle_mut(options, "options")?,
                in_str(key, key_len, "key")?,
                in_str(value, value_len, "value")?,
            )
        };
        options.map.insert(key.to_owned(), value.to_owned());
        Ok(())
    })
}

/// Copies the value of `key` into `buf`; `OVERLAYNET_RESULT_NOT_FOUND` when the key is absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_get(
    options: *const overlaynet_options,
    key: *const u8,
    key_len: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, key, out) = unsafe {
            (
                handle_ref(options, "options")?,
                in_str(key, key_len, "key")?,
                out_buf(buf, len, out_n)?,
            )
        };
        let value = options.map.get(key).ok_or_else(|| {
            Failure::new(
                overlaynet_result::NotFound,
                format!("option {key:?} is not set"),
            )
        })?;
        out.write(value.as_bytes())
    })
}

/// Removes `key`; `*out_removed` says whether it was present. `out_removed` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_remove(
    options: *mut overlaynet_options,
    key: *const u8,
    key_len: usize,
    out_removed: *mut bool,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, key) = unsafe {
            (
                handle_mut(options, "options")?,
                in_str(key, key_len, "key")?,
            )
        };
        let removed = options.map.remove(key).is_some();
        // SAFETY: NULL or writable (module contract).
        if let Some(out) = unsafe { out_removed.as_mut() } {
            *out = removed;
        }
        Ok(())
    })
}

/// Stores the number of entries in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_count(
    options: *const overlaynet_options,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, out) = unsafe {
            (
                handle_ref(options, "options")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(options.map.len());
        Ok(())
    })
}

/// Copies the key of entry `index` (0-based, in key order) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_key_at(
    options: *const overlaynet_options,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, out) =
            unsafe { (handle_ref(options, "options")?, out_buf(buf, len, out_n)?) };
        out.write(options.entry(index)?.0.as_bytes())
    })
}

/// Copies the value of entry `index` (0-based, in key order) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_options_value_at(
    options: *const overlaynet_options,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (options, out) =
            unsafe { (handle_ref(options, "options")?, out_buf(buf, len, out_n)?) };
        out.write(options.entry(index)?.1.as_bytes())
    })
}
