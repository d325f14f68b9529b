//! Reading and clearing the per-thread last error message, and the library version.
//!
//! These functions never record their own failures as the last error, so asking for the
//! message (even with a too-small buffer) never replaces it.

use std::ffi::c_char;

use super::boundary::{clear_last_error, guard_value, last_errno, out_buf, with_last_error};
use super::result::overlaynet_result;

/// Copies the calling thread's last error message (UTF-8, no NUL terminator) into
/// `buf[0..len]` and stores its length in `*out_n`.
///
/// The message is the full text of the most recent failure of an `overlaynet_*` call on this
/// thread; successful calls leave it unchanged (errno-style), and it is empty when no call has
/// failed or after `overlaynet_last_error_clear`. Pass `(NULL, 0)` to learn the length. When
/// the buffer is too small nothing is copied, `*out_n` is the length needed and the result is
/// `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`; the stored message itself is never replaced by this
/// call's own failures.
///
/// # Safety
/// `buf` must be NULL or writable for `len` bytes; `out_n` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_last_error_message(
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    // Not `guard`: this call's own failures must not replace the message being read.
    guard_value(overlaynet_result::Panic, || {
        with_last_error(|message| {
            // SAFETY: forwarded from this function's contract.
            let written =
                unsafe { out_buf(buf, len, out_n) }.and_then(|out| out.write(message.as_bytes()));
            written.map_or_else(|failure| failure.code, |()| overlaynet_result::Ok)
        })
    })
}

/// Empties the calling thread's last error message and sets its errno to 0.
#[unsafe(no_mangle)]
pub extern "C" fn overlaynet_last_error_clear() {
    guard_value((), clear_last_error);
}

/// The errno of the calling thread's last failure when a kernel (real or simulated) reported
/// it: always with `OVERLAYNET_RESULT_KERNEL`, and with `OVERLAYNET_RESULT_CONFLICT` (EEXIST),
/// `OVERLAYNET_RESULT_NOT_FOUND` (ENOENT, ESRCH, ENODEV, ...) or
/// `OVERLAYNET_RESULT_INVALID_INPUT` (EINVAL) when a kernel said so. 0 when the last failure
/// came from elsewhere, or no call has failed, or after `overlaynet_last_error_clear`. Like
/// the message, successful calls leave it unchanged. Per-operation errnos of an applied plan
/// are in its report (`overlaynet_reconcile_report_failure`).
#[unsafe(no_mangle)]
pub extern "C" fn overlaynet_last_error_errno() -> i32 {
    guard_value(0, last_errno)
}

/// The library version as a static NUL-terminated string, e.g. "0.1.0". Never NULL; do not
/// free it.
#[unsafe(no_mangle)]
pub extern "C" fn overlaynet_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(version) => version,
        Err(_) => c"unknown",
    };
    guard_value(c"unknown".as_ptr(), || VERSION.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::set_last_error;

    fn read_message() -> (overlaynet_result, String) {
        let mut buf = [0u8; 64];
        let mut n = 0;
        // SAFETY: live local buffer and length.
        let code = unsafe { overlaynet_last_error_message(buf.as_mut_ptr(), buf.len(), &mut n) };
        (
            code,
            String::from_utf8_lossy(&buf[..n.min(64)]).into_owned(),
        )
    }

    #[test]
    fn message_round_trips_and_query_does_not_replace_it() {
        set_last_error("subnet 10.0.0.0/33 is invalid".into());
        let mut n = 0;
        // SAFETY: (NULL, 0) is a size query; `n` is a live local.
        let code = unsafe { overlaynet_last_error_message(std::ptr::null_mut(), 0, &mut n) };
        assert_eq!((code, n), (overlaynet_result::BufferTooSmall, 29));
        // SAFETY: NULL out_n is checked, not written.
        let code =
            unsafe { overlaynet_last_error_message(std::ptr::null_mut(), 0, std::ptr::null_mut()) };
        assert_eq!(code, overlaynet_result::NullParameter);
        assert_eq!(
            read_message(),
            (
                overlaynet_result::Ok,
                "subnet 10.0.0.0/33 is invalid".into()
            )
        );
        overlaynet_last_error_clear();
        assert_eq!(read_message(), (overlaynet_result::Ok, String::new()));
    }

    #[test]
    fn errno_follows_the_last_failure() {
        use crate::ffi::boundary::{Failure, guard};
        use crate::kernel::{Errno, KernelError};
        let code = guard(|| {
            Err(Failure::from(KernelError::Observe {
                errno: Errno::EPERM,
            }))
        });
        assert_eq!(code, overlaynet_result::Kernel);
        assert_eq!(overlaynet_last_error_errno(), 1);
        assert_eq!(guard(|| Ok(())), overlaynet_result::Ok);
        assert_eq!(overlaynet_last_error_errno(), 1, "success keeps it");
        guard(|| Err(Failure::new(overlaynet_result::NotFound, "no network")));
        assert_eq!(
            overlaynet_last_error_errno(),
            0,
            "a failure without errno resets it"
        );
        guard(|| Err(Failure::from(KernelError::Observe { errno: Errno(5) })));
        overlaynet_last_error_clear();
        assert_eq!(overlaynet_last_error_errno(), 0);
    }

    #[test]
    fn last_error_is_per_thread() {
        set_last_error("main thread".into());
        std::thread::spawn(|| assert_eq!(read_message().1, ""))
            .join()
            .unwrap();
        assert_eq!(read_message().1, "main thread");
    }

    #[test]
    fn version_matches_cargo() {
        // SAFETY: a static NUL-terminated string.
        let version = unsafe { std::ffi::CStr::from_ptr(overlaynet_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
