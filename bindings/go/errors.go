package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"
)

// Code is a result code of the C ABI (overlaynet_result). It implements error, so the
// constants below work as sentinels with errors.Is.
type Code uint32

// The result codes. Each failed call returns an *Error wrapping one of them.
const (
	ErrNullParameter   Code = 7001
	ErrInvalidUTF8     Code = 7002
	ErrInvalidLength   Code = 7003
	ErrBufferTooSmall  Code = 7004
	ErrPanic           Code = 7005
	ErrInvalidEnum     Code = 7006
	ErrIndexOutOfRange Code = 7007
	ErrInvalidInput    Code = 7010
	ErrConflict        Code = 7011
	ErrNotFound        Code = 7012
	ErrExhausted       Code = 7013
	ErrRefused         Code = 7014
	// ErrKernel: a kernel (real or simulated) refused an operation or could not be read; the
	// *Error's Errno says why.
	ErrKernel Code = 7015
	// ErrUnsupported: not available here (the Linux backend on another OS, fault injection
	// on a real kernel).
	ErrUnsupported Code = 7016
)

// Error returns the library's short description of the code.
func (c Code) Error() string {
	return "overlaynet: " + C.GoString(C.overlaynet_result_description(C.uint32_t(c)))
}

// Error is a failed call: the result code, the library's full error message, and the
// kernel's errno when a kernel reported the failure.
type Error struct {
	Code    Code
	Message string
	// Errno is the kernel's error number when a kernel (real or simulated) reported the
	// failure (always with ErrKernel; EEXIST with ErrConflict, ...), else 0.
	Errno syscall.Errno
}

// Error returns the library's message.
func (e *Error) Error() string { return "overlaynet: " + e.Message }

// Unwrap returns the Code and, when set, the Errno, so errors.Is(err, ErrConflict) and
// errors.Is(err, syscall.EEXIST) both work.
func (e *Error) Unwrap() []error {
	if e.Errno != 0 {
		return []error{e.Code, e.Errno}
	}
	return []error{e.Code}
}

// call runs one C ABI call and turns a failure into an *Error.
//
// The failure's message is per OS thread, and a goroutine may move to another thread between
// two cgo calls. Rather than pinning the goroutine on every call, call relies on the C ABI's
// contract that a failed call changes nothing: on failure it repeats the call with the
// goroutine locked to its thread and reads the message there. The success path costs one
// cgo call and nothing else.
func call(f func() C.overlaynet_result) error {
	if f() == C.OVERLAYNET_RESULT_OK {
		return nil
	}
	return callLocked(f)
}

// callLocked runs f and, if it fails, reads its message on the same OS thread. If f succeeds
// this time (its handle changed in between, which the single-goroutine rule forbids), the
// operation has happened exactly once and the result is success.
func callLocked(f func() C.overlaynet_result) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := f()
	if rc == C.OVERLAYNET_RESULT_OK {
		return nil
	}
	return lastError(rc)
}

// callOnce runs a call that must not be repeated after a failure, because the failure may
// not leave everything as it was: calls that observe a kernel (the real one may change
// between two tries; an injected simulator fault is used up by the first). It runs f once
// with the goroutine locked to its OS thread, so a failure's message is read there.
func callOnce(f func() C.overlaynet_result) error {
	return callLocked(f)
}

// lastError builds the *Error for result rc from this thread's last error; the caller holds
// the OS thread.
func lastError(rc C.overlaynet_result) *Error {
	return &Error{
		Code:    Code(rc),
		Message: lastErrorMessage(),
		Errno:   syscall.Errno(C.overlaynet_last_error_errno()),
	}
}

// lastErrorMessage reads this thread's last error; the caller holds the OS thread.
func lastErrorMessage() string {
	var stack [256]byte
	var n C.size_t
	if C.overlaynet_last_error_message((*C.uint8_t)(&stack[0]), C.size_t(len(stack)), &n) == C.OVERLAYNET_RESULT_OK {
		return string(stack[:n])
	}
	buf := make([]byte, n)
	if C.overlaynet_last_error_message((*C.uint8_t)(&buf[0]), n, &n) == C.OVERLAYNET_RESULT_OK {
		return string(buf[:n])
	}
	return "(error message unavailable)"
}

// cString passes a Go string as (ptr, len). C only reads it during the call and never keeps
// it, which is what cgo's pointer rules require.
func cString(s string) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// readString calls fill with a caller buffer, growing it once when the library reports the
// length it needs.
func readString(fill func(buf *C.uint8_t, size C.size_t, n *C.size_t) C.overlaynet_result) (string, error) {
	var stack [128]byte
	var n C.size_t
	err := call(func() C.overlaynet_result { return fill((*C.uint8_t)(&stack[0]), C.size_t(len(stack)), &n) })
	if err == nil {
		return string(stack[:n]), nil
	}
	if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
		return "", err
	}
	buf := make([]byte, n)
	err = call(func() C.overlaynet_result { return fill((*C.uint8_t)(&buf[0]), n, &n) })
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
