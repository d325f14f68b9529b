package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import "runtime"

// ParseVNIList parses a com.docker.network.driver.overlay.vxlanid_list value ("4097,4098").
func ParseVNIList(list string) ([]uint32, error) {
	p, n := cString(list)
	var count C.size_t
	vnis := make([]uint32, 8)
	for {
		vp, vn := cUint32s(vnis)
		err := call(func() C.overlaynet_result { return C.overlaynet_vni_list_parse(p, n, vp, vn, &count) })
		if err == nil {
			return vnis[:count], nil
		}
		if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
			return nil, err
		}
		vnis = make([]uint32, count)
	}
}

// FormatVNIList renders VNIs as a vxlanid_list value.
func FormatVNIList(vnis []uint32) (string, error) {
	vp, vn := cUint32s(vnis)
	return readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_vni_list_format(vp, vn, b, n, out)
	})
}

// VNIAllocator hands out VXLAN network identifiers as a swarm manager does: explicit VNIs are
// reserved exactly, automatic ones come next-fit from 4096. Not safe for concurrent use.
type VNIAllocator struct {
	h handle[*C.overlaynet_vni_allocator]
}

// NewVNIAllocator returns an empty allocator.
func NewVNIAllocator() (*VNIAllocator, error) {
	var p *C.overlaynet_vni_allocator
	if err := call(func() C.overlaynet_result { return C.overlaynet_vni_allocator_new(&p) }); err != nil {
		return nil, err
	}
	a := &VNIAllocator{}
	own(a, &a.h, p, func(p *C.overlaynet_vni_allocator) { C.overlaynet_vni_allocator_free(p) })
	return a, nil
}

// Close frees the allocator.
func (a *VNIAllocator) Close() error { a.h.close(); return nil }

// Allocate returns the next free VNI; ErrExhausted when none is left.
func (a *VNIAllocator) Allocate() (uint32, error) {
	var vni C.uint32_t
	err := call(func() C.overlaynet_result { return C.overlaynet_vni_allocator_allocate(a.h.ptr, &vni) })
	runtime.KeepAlive(a)
	return uint32(vni), err
}

// Reserve takes exactly vni; ErrConflict when it is taken.
func (a *VNIAllocator) Reserve(vni uint32) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_vni_allocator_reserve(a.h.ptr, C.uint32_t(vni)) })
	runtime.KeepAlive(a)
	return err
}

// Release frees vni; ErrNotFound when it was not allocated.
func (a *VNIAllocator) Release(vni uint32) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_vni_allocator_release(a.h.ptr, C.uint32_t(vni)) })
	runtime.KeepAlive(a)
	return err
}

// Count returns how many VNIs are allocated.
func (a *VNIAllocator) Count() (uint64, error) {
	var n C.uint64_t
	err := call(func() C.overlaynet_result { return C.overlaynet_vni_allocator_count(a.h.ptr, &n) })
	runtime.KeepAlive(a)
	return uint64(n), err
}
