//! The raw-pointer boundary of the C ABI, in one place: the panic guard every exported function
//! runs inside, the per-thread last error, checked `(ptr, len)` inputs, handle boxing and
//! caller-allocated output buffers.
//!
//! Exported functions stay a few lines each because every unchecked step lives here. This
//! module must not know the domain types; it deals in bytes, strings, handles and codes.

use std::cell::{Cell, RefCell};
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::result::{kernel_errno, overlaynet_result};

/// The largest input length (bytes) any `(ptr, len)` argument may have: 1 MiB. Larger values
/// are rejected with `OVERLAYNET_RESULT_INVALID_LENGTH` before the pointer is read, so a
/// garbage length cannot make the library read far past the caller's buffer.
pub const OVERLAYNET_MAX_INPUT_LEN: usize = 1 << 20;

/// A failed call: the code returned to C and the message left for
/// `overlaynet_last_error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: overlaynet_result,
    pub(crate) message: String,
    /// The errno when a kernel reported the failure, else 0.
    pub(crate) errno: i32,
}

impl Failure {
    // Failures are the slow path: keeping their construction out of line keeps each exported
    // function's success path short.
    #[cold]
    #[inline(never)]
    pub(crate) fn new(code: overlaynet_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            errno: 0,
        }
    }

    /// A failure with a formatted message, built out of line.
    #[cold]
    #[inline(never)]
    pub(crate) fn with(code: overlaynet_result, message: std::fmt::Arguments<'_>) -> Failure {
        Failure::new(code, message.to_string())
    }
}

impl<E: Into<crate::Error>> From<E> for Failure {
    #[cold]
    fn from(error: E) -> Failure {
        let error = error.into();
        Failure {
            errno: kernel_errno(&error),
            ..Failure::new(overlaynet_result::from_error(&error), error.to_string())
        }
    }
}

/// What exported function bodies return.
pub(crate) type FfiResult = Result<(), Failure>;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
    static LAST_ERRNO: Cell<i32> = const { Cell::new(0) };
}

/// Records `message` as this thread's last error (with no errno).
pub(crate) fn set_last_error(message: String) {
    set_last_failure(message, 0);
}

/// Records `message` and `errno` (0 when no kernel reported the failure) as this thread's
/// last error.
fn set_last_failure(message: String, errno: i32) {
    LAST_ERROR.with(|last| *last.borrow_mut() = message);
    LAST_ERRNO.with(|last| last.set(errno));
}

/// This thread's last error's errno (0 when no kernel reported it).
pub(crate) fn last_errno() -> i32 {
    LAST_ERRNO.with(Cell::get)
}

/// Runs `f` with this thread's last error message.
pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|last| f(&last.borrow()))
}

/// Clears this thread's last error message and errno.
pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|last| last.borrow_mut().clear());
    LAST_ERRNO.with(|last| last.set(0));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(non-string panic payload)"
    }
}

/// The panic boundary every exported function that returns a code runs inside: a failure
/// becomes its code plus this thread's last error, and a panic becomes
/// `OVERLAYNET_RESULT_PANIC` instead of unwinding into C. A success leaves the last error as it
/// was (errno-style), so reading it costs nothing on the fast path.
pub(crate) fn guard(f: impl FnOnce() -> FfiResult) -> overlaynet_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => overlaynet_result::Ok,
        Ok(Err(failure)) => {
            set_last_failure(failure.message, failure.errno);
            failure.code
        }
        Err(payload) => {
            set_last_error(format!("panic: {}", panic_message(payload.as_ref())));
            overlaynet_result::Panic
        }
    }
}

/// The panic boundary for the few exported functions that return a plain value: a panic
/// returns `fallback` (and records the panic message).
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        set_last_error(format!("panic: {}", panic_message(payload.as_ref())));
        fallback
    })
}

#[cold]
#[inline(never)]
fn null(what: &str) -> Failure {
    Failure::new(
        overlaynet_result::NullParameter,
        format!("{what} must not be NULL"),
    )
}

/// Borrows `len` bytes at `ptr`. `(NULL, 0)` is the empty slice; NULL with a non-zero length
/// and lengths above [`OVERLAYNET_MAX_INPUT_LEN`] are failures that name the argument.
///
/// # Safety
/// If `ptr` is non-NULL and `len <= OVERLAYNET_MAX_INPUT_LEN`, `ptr` must be valid for reads of
/// `len` bytes that stay unchanged for `'a`.
pub(crate) unsafe fn in_bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    // SAFETY: forwarded contract.
    unsafe { in_array(ptr, len, what) }
}

/// Borrows a UTF-8 string given as `(ptr, len)`; see [`in_bytes`].
///
/// # Safety
/// As [`in_bytes`].
pub(crate) unsafe fn in_str<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { in_bytes(ptr, len, what) }?;
    std::str::from_utf8(bytes).map_err(|error| {
        Failure::with(
            overlaynet_result::InvalidUtf8,
            format_args!("{what} is not valid UTF-8: {error}"),
        )
    })
}

/// Borrows `count` elements at `ptr`, with the rules of [`in_bytes`] (the limit counts
/// elements).
///
/// # Safety
/// If `ptr` is non-NULL and `count <= OVERLAYNET_MAX_INPUT_LEN`, `ptr` must be aligned and
/// valid for reads of `count` elements that stay unchanged for `'a`.
pub(crate) unsafe fn in_array<'a, T>(
    ptr: *const T,
    count: usize,
    what: &str,
) -> Result<&'a [T], Failure> {
    if count > OVERLAYNET_MAX_INPUT_LEN {
        return Err(Failure::with(
            overlaynet_result::InvalidLength,
            format_args!(
                "{what}: length {count} exceeds the maximum input length {OVERLAYNET_MAX_INPUT_LEN}"
            ),
        ));
    }
    if ptr.is_null() {
        return if count == 0 { Ok(&[]) } else { Err(null(what)) };
    }
    // SAFETY: non-NULL, count bounded (1 MiB elements of at most a few bytes stays far below
    // isize::MAX), validity and alignment are the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// Moves `value` to the heap and hands ownership to C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops a handle; NULL is a no-op.
///
/// # Safety
/// `handle` must be NULL or come from [`into_handle`] with the same `T` and not be used again.
pub(crate) unsafe fn free_handle<T>(handle: *mut T) {
    if !handle.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` in `into_handle` (caller's contract).
        drop(unsafe { Box::from_raw(handle) });
    }
}

/// Applies a by-value builder step (`fn(self, ..) -> Self`) to a handle's value in place. The
/// step runs on a clone, so a panic inside it leaves the handle as it was.
pub(crate) fn update<T: Clone>(slot: &mut T, step: impl FnOnce(T) -> T) {
    *slot = step(slot.clone());
}

/// Borrows a handle.
///
/// # Safety
/// `handle` must be NULL or a live handle from [`into_handle`] not mutated elsewhere for `'a`.
pub(crate) unsafe fn handle_ref<'a, T>(handle: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: NULL is checked by `as_ref`; liveness is the caller's contract.
    unsafe { handle.as_ref() }.ok_or_else(|| null(what))
}

/// Borrows a handle mutably.
///
/// # Safety
/// `handle` must be NULL or a live handle from [`into_handle`] not accessed elsewhere for `'a`.
pub(crate) unsafe fn handle_mut<'a, T>(handle: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: NULL is checked by `as_mut`; exclusivity is the caller's contract.
    unsafe { handle.as_mut() }.ok_or_else(|| null(what))
}

/// A checked out-parameter: validated before any work so a NULL out pointer fails the call
/// before state changes, written once at the end.
pub(crate) struct Out<'a, T>(&'a mut MaybeUninit<T>);

impl<T> Out<'_, T> {
    /// Stores the result.
    pub(crate) fn write(self, value: T) {
        self.0.write(value);
    }
}

/// Checks an out-parameter pointer.
///
/// # Safety
/// `ptr` must be NULL or valid for a write of one `T` for `'a`.
pub(crate) unsafe fn out_param<'a, T>(ptr: *mut T, what: &str) -> Result<Out<'a, T>, Failure> {
    // SAFETY: NULL is checked by `as_mut`; writability is the caller's contract, and
    // `MaybeUninit<T>` has the layout of `T` and never reads the old value.
    unsafe { ptr.cast::<MaybeUninit<T>>().as_mut() }
        .map(Out)
        .ok_or_else(|| null(what))
}

/// A caller-allocated output array `(buf, len)` (bytes for text) plus the `out_n` pointer that
/// receives the number of elements written, or needed when the array is too small.
pub(crate) struct OutArray<'a, T> {
    buf: *mut T,
    len: usize,
    needed: Out<'a, usize>,
}

impl<T: Copy> OutArray<'_, T> {
    /// Copies `items` into the array (no NUL is added to text) and reports the count; when
    /// the array is too small, writes nothing but the needed count and fails with
    /// `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`.
    pub(crate) fn write(self, items: &[T]) -> FfiResult {
        let needed = items.len();
        self.needed.write(needed);
        if needed > self.len {
            return Err(Failure::with(
                overlaynet_result::BufferTooSmall,
                format_args!(
                    "output buffer of length {} is too small: {needed} needed",
                    self.len
                ),
            ));
        }
        if needed > 0 {
            // SAFETY: `buf` is non-NULL whenever `len > 0` (checked in `out_array`), valid for
            // `len >= needed` elements (caller's contract), and cannot overlap our own `items`.
            unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), self.buf, needed) };
        }
        Ok(())
    }
}

/// A text output buffer.
pub(crate) type OutBuf<'a> = OutArray<'a, u8>;

/// Checks an output array. `(NULL, 0)` is allowed (a size query); `out_n` must not be NULL.
///
/// # Safety
/// `buf` must be NULL or valid and aligned for writes of `len` elements, and `out_n` NULL or
/// valid for a write of one `size_t`, for `'a`.
pub(crate) unsafe fn out_array<'a, T>(
    buf: *mut T,
    len: usize,
    out_n: *mut usize,
) -> Result<OutArray<'a, T>, Failure> {
    // SAFETY: forwarded contract.
    let needed = unsafe { out_param(out_n, "out_n") }?;
    if len > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Failure::with(
            overlaynet_result::InvalidLength,
            format_args!("output buffer length {len} exceeds PTRDIFF_MAX bytes"),
        ));
    }
    if buf.is_null() && len > 0 {
        return Err(null("buf"));
    }
    Ok(OutArray { buf, len, needed })
}

/// Checks a text output buffer; see [`out_array`].
///
/// # Safety
/// As [`out_array`].
pub(crate) unsafe fn out_buf<'a>(
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> Result<OutBuf<'a>, Failure> {
    // SAFETY: forwarded contract.
    unsafe { out_array(buf, len, out_n) }
}

/// Converts a `uint32_t` enum argument with `convert`, failing with
/// `OVERLAYNET_RESULT_INVALID_ENUM` and the argument's name for undefined values.
pub(crate) fn in_enum<T>(
    value: u32,
    what: &str,
    convert: impl FnOnce(u32) -> Option<T>,
) -> Result<T, Failure> {
    convert(value).ok_or_else(|| {
        Failure::with(
            overlaynet_result::InvalidEnum,
            format_args!("{what}: {value} is not a defined value"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_sets_last_error_and_success_keeps_it() {
        clear_last_error();
        let code = guard(|| {
            Err(Failure::new(
                overlaynet_result::NotFound,
                "no network \"x\"",
            ))
        });
        assert_eq!(code, overlaynet_result::NotFound);
        assert_eq!(with_last_error(str::to_owned), "no network \"x\"");
        assert_eq!(guard(|| Ok(())), overlaynet_result::Ok);
        assert_eq!(with_last_error(str::to_owned), "no network \"x\"");
    }

    #[test]
    fn panic_becomes_a_code_with_its_message() {
        let code = guard(|| panic!("boom {}", 42));
        assert_eq!(code, overlaynet_result::Panic);
        assert_eq!(with_last_error(str::to_owned), "panic: boom 42");
        assert_eq!(guard_value(7, || panic!("static")), 7);
        assert_eq!(with_last_error(str::to_owned), "panic: static");
    }

    /// An exported-style function whose body panics, called through a C function pointer.
    extern "C" fn panics_inside(out: *mut u32) -> overlaynet_result {
        guard(|| {
            // SAFETY: the test passes a live local.
            let out = unsafe { out_param(out, "out") }?;
            let values: Vec<u32> = Vec::new();
            out.write(values[3]); // index out of bounds: a bug, not bad input
            Ok(())
        })
    }

    #[test]
    fn a_panic_never_unwinds_through_the_c_abi() {
        let f: extern "C" fn(*mut u32) -> overlaynet_result = std::hint::black_box(panics_inside);
        let mut out = 7;
        assert_eq!(f(&mut out), overlaynet_result::Panic);
        assert_eq!(out, 7, "no out-parameter is written");
        let message = with_last_error(str::to_owned);
        assert!(
            message.starts_with("panic: index out of bounds"),
            "{message}"
        );
    }

    #[test]
    fn inputs_check_null_length_and_utf8() {
        // SAFETY (whole test): pointers are NULL or point into live local arrays of the given length.
        unsafe {
            assert_eq!(in_bytes(std::ptr::null(), 0, "x"), Ok(&[][..]));
            let err = in_bytes(std::ptr::null(), 1, "name").unwrap_err();
            assert_eq!(
                (err.code, err.message.as_str()),
                (overlaynet_result::NullParameter, "name must not be NULL")
            );
            let data = b"abc";
            let err = in_bytes(data.as_ptr(), usize::MAX, "name").unwrap_err();
            assert_eq!(err.code, overlaynet_result::InvalidLength);
            assert!(
                err.message.contains("18446744073709551615"),
                "{}",
                err.message
            );
            assert_eq!(in_str(data.as_ptr(), 3, "name"), Ok("abc"));
            let bad = [b'a', 0xff];
            let err = in_str(bad.as_ptr(), 2, "name").unwrap_err();
            assert_eq!(err.code, overlaynet_result::InvalidUtf8);
            assert_eq!(
                err.message,
                "name is not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 1"
            );
        }
    }

    #[test]
    fn output_buffer_reports_needed_length() {
        let mut n = 0usize;
        let mut small = [0u8; 2];
        // SAFETY (whole test): buffers are live locals of the stated length.
        unsafe {
            let err = out_buf(small.as_mut_ptr(), small.len(), &mut n)
                .unwrap()
                .write(b"hello")
                .unwrap_err();
            assert_eq!((err.code, n), (overlaynet_result::BufferTooSmall, 5));
            assert_eq!(small, [0, 0], "nothing is written to a too-small buffer");
            let err = out_buf(std::ptr::null_mut(), 0, &mut n)
                .unwrap()
                .write(b"hey")
                .unwrap_err();
            assert_eq!((err.code, n), (overlaynet_result::BufferTooSmall, 3));
            let mut big = [0u8; 8];
            out_buf(big.as_mut_ptr(), big.len(), &mut n)
                .unwrap()
                .write(b"hello")
                .unwrap();
            assert_eq!((&big[..n], n), (&b"hello"[..], 5));
            out_buf(std::ptr::null_mut(), 0, &mut n)
                .unwrap()
                .write(b"")
                .unwrap();
            assert_eq!(n, 0);
            let err = out_buf(std::ptr::null_mut(), 4, &mut n).err().unwrap();
            assert_eq!(err.code, overlaynet_result::NullParameter);
            let err = out_buf(big.as_mut_ptr(), 4, std::ptr::null_mut())
                .err()
                .unwrap();
            assert_eq!(
                (err.code, err.message.as_str()),
                (overlaynet_result::NullParameter, "out_n must not be NULL")
            );
            let err = out_buf(big.as_mut_ptr(), usize::MAX, &mut n).err().unwrap();
            assert_eq!(err.code, overlaynet_result::InvalidLength);
        }
    }

    #[test]
    fn handles_round_trip_and_null_is_checked() {
        let handle = into_handle(String::from("net"));
        // SAFETY: `handle` is live until `free_handle`; NULL handles are only checked, never read.
        unsafe {
            assert_eq!(handle_ref(handle, "h").unwrap(), "net");
            handle_mut(handle, "h").unwrap().push('1');
            assert_eq!(handle_ref(handle, "h").unwrap(), "net1");
            assert_eq!(
                handle_ref::<String>(std::ptr::null(), "network")
                    .unwrap_err()
                    .message,
                "network must not be NULL"
            );
            free_handle(handle);
            free_handle::<String>(std::ptr::null_mut());
        }
    }

    #[test]
    fn update_applies_a_by_value_step() {
        let mut value = String::from("a");
        update(&mut value, |v| v + "b");
        assert_eq!(value, "ab");
        let caught = catch_unwind(AssertUnwindSafe(|| update(&mut value, |_| panic!("step"))));
        assert!(caught.is_err());
        assert_eq!(value, "ab", "a panicking step leaves the value unchanged");
    }

    #[test]
    fn enums_are_checked() {
        let conv = |v| (v < 3).then_some(v);
        assert_eq!(in_enum(2, "mode", conv), Ok(2));
        let err = in_enum(9, "mode", conv).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (
                overlaynet_result::InvalidEnum,
                "mode: 9 is not a defined value"
            )
        );
    }
}
