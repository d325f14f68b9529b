// Package overlaynet is the Go binding of overlaynet, Docker-compatible multi-host overlay
// networking (VXLAN overlay, ingress and docker_gwbridge networks, address and VNI
// allocation, MTU) implemented in Rust and linked through its C ABI.
//
// Build the static library first, from the repository root:
//
//	make staticlib   # target/release/liboverlaynet.a
//
// Every handle type has a Close method that releases the native object; a cleanup attached
// with runtime.AddCleanup releases it too if Close is forgotten, but call Close (usually with
// defer) so native memory is returned promptly. Handles are not safe for concurrent use;
// distinct handles may be used from different goroutines.
//
// Failed calls return an *Error that carries the library's full message and wraps the
// result Code, so errors.Is(err, overlaynet.ErrConflict) tells the categories apart.
package overlaynet

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/liboverlaynet.a -lm -ldl -lpthread
#include "overlaynet.h"
*/
import "C"

// Version returns the version of the linked native library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.overlaynet_version())
}
