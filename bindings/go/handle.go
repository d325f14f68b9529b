package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// handle owns one native object. The Go value that embeds it gets a cleanup that frees the
// object if Close is never called; Close frees it at once and is safe to call twice.
// P is the C pointer type (cgo does not allow the incomplete C struct itself as a type
// argument).
type handle[P comparable] struct {
	ptr     P
	free    func(P)
	cleanup runtime.Cleanup
}

// own takes ownership of ptr for owner.
func own[P comparable, O any](owner *O, h *handle[P], ptr P, free func(P)) {
	h.ptr = ptr
	h.free = free
	h.cleanup = runtime.AddCleanup(owner, free, ptr)
}

// close frees the native object once; later calls on the handle pass NULL and fail with
// ErrNullParameter.
func (h *handle[P]) close() {
	var null P
	if h.ptr == null {
		return
	}
	h.cleanup.Stop()
	h.free(h.ptr)
	h.ptr = null
}

// cUint32s passes a slice as (ptr, len) for the duration of one call.
func cUint32s(v []uint32) (*C.uint32_t, C.size_t) {
	return (*C.uint32_t)(unsafe.Pointer(unsafe.SliceData(v))), C.size_t(len(v))
}

// optionsToC builds a native option map; the caller frees it.
func optionsToC(m map[string]string) (*C.overlaynet_options, error) {
	var o *C.overlaynet_options
	if err := call(func() C.overlaynet_result { return C.overlaynet_options_new(&o) }); err != nil {
		return nil, err
	}
	for k, v := range m {
		kp, kn := cString(k)
		vp, vn := cString(v)
		if err := call(func() C.overlaynet_result { return C.overlaynet_options_set(o, kp, kn, vp, vn) }); err != nil {
			C.overlaynet_options_free(o)
			return nil, err
		}
	}
	return o, nil
}

// optionsFromC copies a native option map into Go and frees it.
func optionsFromC(o *C.overlaynet_options) (map[string]string, error) {
	defer C.overlaynet_options_free(o)
	var count C.size_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_options_count(o, &count) }); err != nil {
		return nil, err
	}
	m := make(map[string]string, int(count))
	for i := C.size_t(0); i < count; i++ {
		k, err := readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_options_key_at(o, i, b, n, out)
		})
		if err != nil {
			return nil, err
		}
		v, err := readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_options_value_at(o, i, b, n, out)
		})
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// fetchOptions runs a call that returns a new native option map and copies it into Go.
func fetchOptions(f func(out **C.overlaynet_options) C.overlaynet_result) (map[string]string, error) {
	var o *C.overlaynet_options
	if err := call(func() C.overlaynet_result { return f(&o) }); err != nil {
		return nil, err
	}
	return optionsFromC(o)
}
