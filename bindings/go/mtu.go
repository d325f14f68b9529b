package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

// Encryption is the IPsec profile of an overlay network.
type Encryption uint32

// The encryption profiles.
const (
	// EncryptionOff is cleartext VXLAN.
	EncryptionOff Encryption = 0
	// EncryptionDockerCompatible is exactly Docker's `--opt encrypted` (8-byte ICV, no ESN),
	// interoperable with Docker nodes.
	EncryptionDockerCompatible Encryption = 1
	// EncryptionHardened has a 16-byte ICV, 64-bit ESN and a replay window.
	EncryptionHardened Encryption = 2
)

// Family is an IP address family, numbered by IP version.
type Family uint32

// The address families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// DockerMTU is Docker's overlay MTU (moby maxMTU): optionMTU (0 = unset, i.e. 1500) − 50,
// and when encrypted − 26 rounded down to a multiple of 4.
func DockerMTU(optionMTU uint32, encrypted bool) (uint32, error) {
	var mtu C.uint32_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_mtu_docker(C.uint32_t(optionMTU), C.bool(encrypted), &mtu)
	})
	return uint32(mtu), err
}

// EffectiveMTU is the MTU that really fits the underlay: optionMTU (0 = 1500) minus the
// VXLAN overhead of the underlay family (50 over IPv4, 70 over IPv6) minus the profile's ESP
// overhead, rounded down to a multiple of 4 when encrypted.
func EffectiveMTU(optionMTU uint32, encryption Encryption, underlay Family) (uint32, error) {
	var mtu C.uint32_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_mtu_effective(C.uint32_t(optionMTU), C.uint32_t(encryption), C.uint32_t(underlay), &mtu)
	})
	return uint32(mtu), err
}

// ParseMTUOption parses a com.docker.network.driver.mtu value as Docker does.
func ParseMTUOption(value string) (uint32, error) {
	var mtu C.uint32_t
	p, n := cString(value)
	err := call(func() C.overlaynet_result { return C.overlaynet_mtu_parse_option(p, n, &mtu) })
	return uint32(mtu), err
}
