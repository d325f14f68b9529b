package overlaynet

/*
#include "overlaynet.h"

// An empty C function: the cost of a bare cgo call, the baseline of the call-overhead
// benchmark.
static inline void overlaynet_go_bench_noop(void) {}
*/
import "C"

// benchNoop makes a bare cgo call (benchmark baseline).
func benchNoop() { C.overlaynet_go_bench_noop() }

// benchRawEffectiveMTU calls the C ABI directly, without the wrapper's error handling
// (benchmark comparison point).
func benchRawEffectiveMTU(optionMTU uint32) uint32 {
	var mtu C.uint32_t
	C.overlaynet_mtu_effective(C.uint32_t(optionMTU), C.OVERLAYNET_ENCRYPTION_HARDENED, C.OVERLAYNET_FAMILY_IPV6, &mtu)
	return uint32(mtu)
}
