package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"net/netip"
	"runtime"
	"sort"
)

// IPAMConfig is one subnet of a network plus what the user pinned inside it. Zero fields are
// unset: the gateway defaults to the subnet's first address.
type IPAMConfig struct {
	Subnet       netip.Prefix
	IPRange      netip.Prefix
	Gateway      netip.Addr
	AuxAddresses map[string]netip.Addr
}

// toC builds a native IPAM config; the caller frees it.
func (c IPAMConfig) toC() (*C.overlaynet_ipam_config, error) {
	var p *C.overlaynet_ipam_config
	sp, sn := cString(c.Subnet.String())
	if err := call(func() C.overlaynet_result { return C.overlaynet_ipam_config_new(sp, sn, &p) }); err != nil {
		return nil, err
	}
	steps := []func() C.overlaynet_result{}
	if c.IPRange.IsValid() {
		rp, rn := cString(c.IPRange.String())
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_ipam_config_set_ip_range(p, rp, rn) })
	}
	if c.Gateway.IsValid() {
		gp, gn := cString(c.Gateway.String())
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_ipam_config_set_gateway(p, gp, gn) })
	}
	for _, name := range sortedKeys(c.AuxAddresses) {
		np, nn := cString(name)
		ap, an := cString(c.AuxAddresses[name].String())
		steps = append(steps, func() C.overlaynet_result {
			return C.overlaynet_ipam_config_add_aux_address(p, np, nn, ap, an)
		})
	}
	for _, step := range steps {
		if err := call(step); err != nil {
			C.overlaynet_ipam_config_free(p)
			return nil, err
		}
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addIPAM converts each config and hands it to add, freeing the native copy afterwards.
func addIPAM(configs []IPAMConfig, add func(*C.overlaynet_ipam_config) C.overlaynet_result) error {
	for _, c := range configs {
		p, err := c.toC()
		if err != nil {
			return err
		}
		err = call(func() C.overlaynet_result { return add(p) })
		C.overlaynet_ipam_config_free(p)
		if err != nil {
			return err
		}
	}
	return nil
}

// kv adds each entry of m with set, in key order.
func kv(m map[string]string, set func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result) error {
	for _, k := range sortedKeys(m) {
		kp, kn := cString(k)
		vp, vn := cString(m[k])
		if err := call(func() C.overlaynet_result { return set(kp, kn, vp, vn) }); err != nil {
			return err
		}
	}
	return nil
}

// OverlaySpec describes an overlay network (docker network create -d overlay). Subnets and
// VNIs left empty are filled in by a Cluster.
type OverlaySpec struct {
	Name       string
	IPAM       []IPAMConfig
	Attachable bool
	Internal   bool
	Encryption Encryption
	// MTU is com.docker.network.driver.mtu; 0 leaves it unset (1500).
	MTU    uint32
	Labels map[string]string
	// VNIs are explicit VXLAN IDs, one per IPv4 subnet in order.
	VNIs []uint32
	// DriverOptions are passed through uninterpreted (e.g. "dsr").
	DriverOptions map[string]string
}

// OverlayNetwork is a validated overlay network spec. Close releases it.
type OverlayNetwork struct {
	h handle[*C.overlaynet_overlay_network]
}

func newOverlayNetwork(p *C.overlaynet_overlay_network) *OverlayNetwork {
	n := &OverlayNetwork{}
	own(n, &n.h, p, func(p *C.overlaynet_overlay_network) { C.overlaynet_overlay_network_free(p) })
	return n
}

// NewOverlayNetwork validates spec with Docker's rules and texts.
func NewOverlayNetwork(spec OverlaySpec) (*OverlayNetwork, error) {
	var b *C.overlaynet_overlay_builder
	np, nn := cString(spec.Name)
	if err := call(func() C.overlaynet_result { return C.overlaynet_overlay_builder_new(np, nn, &b) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_overlay_builder_free(b)
	return buildOverlay(b, spec)
}

// NewOverlayNetworkFromOptions builds the network name from a Docker driver option map, as a
// worker receives it from a swarm manager: encrypted, com.docker.network.driver.mtu and the
// vxlanid_list are parsed with Docker's rules; other keys pass through.
func NewOverlayNetworkFromOptions(name string, options map[string]string) (*OverlayNetwork, error) {
	o, err := optionsToC(options)
	if err != nil {
		return nil, err
	}
	defer C.overlaynet_options_free(o)
	var b *C.overlaynet_overlay_builder
	np, nn := cString(name)
	if err := call(func() C.overlaynet_result { return C.overlaynet_overlay_builder_from_options(np, nn, o, &b) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_overlay_builder_free(b)
	return buildOverlay(b, OverlaySpec{})
}

func buildOverlay(b *C.overlaynet_overlay_builder, spec OverlaySpec) (*OverlayNetwork, error) {
	if err := addIPAM(spec.IPAM, func(c *C.overlaynet_ipam_config) C.overlaynet_result {
		return C.overlaynet_overlay_builder_add_ipam(b, c)
	}); err != nil {
		return nil, err
	}
	steps := []func() C.overlaynet_result{}
	if spec.Attachable {
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_overlay_builder_set_attachable(b, true) })
	}
	if spec.Internal {
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_overlay_builder_set_internal(b, true) })
	}
	if spec.Encryption != EncryptionOff {
		steps = append(steps, func() C.overlaynet_result {
			return C.overlaynet_overlay_builder_set_encryption(b, C.uint32_t(spec.Encryption))
		})
	}
	if spec.MTU != 0 {
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_overlay_builder_set_mtu(b, C.uint32_t(spec.MTU)) })
	}
	if len(spec.VNIs) > 0 {
		vp, vn := cUint32s(spec.VNIs)
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_overlay_builder_set_vnis(b, vp, vn) })
	}
	for _, step := range steps {
		if err := call(step); err != nil {
			return nil, err
		}
	}
	if err := kv(spec.Labels, func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result {
		return C.overlaynet_overlay_builder_add_label(b, kp, kn, vp, vn)
	}); err != nil {
		return nil, err
	}
	if err := kv(spec.DriverOptions, func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result {
		return C.overlaynet_overlay_builder_add_driver_option(b, kp, kn, vp, vn)
	}); err != nil {
		return nil, err
	}
	var p *C.overlaynet_overlay_network
	if err := call(func() C.overlaynet_result { return C.overlaynet_overlay_builder_build(b, &p) }); err != nil {
		return nil, err
	}
	return newOverlayNetwork(p), nil
}

// Close releases the network spec.
func (n *OverlayNetwork) Close() error { n.h.close(); return nil }

// Name returns the network name.
func (n *OverlayNetwork) Name() (string, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_overlay_network_name(n.h.ptr, b, l, out)
	})
	runtime.KeepAlive(n)
	return s, err
}

// Encryption returns the encryption profile.
func (n *OverlayNetwork) Encryption() (Encryption, error) {
	var e C.uint32_t
	err := call(func() C.overlaynet_result { return C.overlaynet_overlay_network_encryption(n.h.ptr, &e) })
	runtime.KeepAlive(n)
	return Encryption(e), err
}

// Attachable reports whether standalone containers may attach.
func (n *OverlayNetwork) Attachable() (bool, error) {
	var v C.bool
	err := call(func() C.overlaynet_result { return C.overlaynet_overlay_network_attachable(n.h.ptr, &v) })
	runtime.KeepAlive(n)
	return bool(v), err
}

// Ingress reports whether this is the ingress (routing mesh) network.
func (n *OverlayNetwork) Ingress() (bool, error) {
	var v C.bool
	err := call(func() C.overlaynet_result { return C.overlaynet_overlay_network_ingress(n.h.ptr, &v) })
	runtime.KeepAlive(n)
	return bool(v), err
}

// Internal reports whether the network has no external connectivity.
func (n *OverlayNetwork) Internal() (bool, error) {
	var v C.bool
	err := call(func() C.overlaynet_result { return C.overlaynet_overlay_network_internal(n.h.ptr, &v) })
	runtime.KeepAlive(n)
	return bool(v), err
}

// MTU returns the MTU option (0 when unset, i.e. Docker's 1500).
func (n *OverlayNetwork) MTU() (uint32, error) {
	var v C.uint32_t
	err := call(func() C.overlaynet_result { return C.overlaynet_overlay_network_mtu(n.h.ptr, &v) })
	runtime.KeepAlive(n)
	return uint32(v), err
}

// Labels returns the network labels.
func (n *OverlayNetwork) Labels() (map[string]string, error) {
	m, err := fetchOptions(func(out **C.overlaynet_options) C.overlaynet_result {
		return C.overlaynet_overlay_network_labels(n.h.ptr, out)
	})
	runtime.KeepAlive(n)
	return m, err
}

// DriverOptions returns the spec's Docker driver option map.
func (n *OverlayNetwork) DriverOptions() (map[string]string, error) {
	m, err := fetchOptions(func(out **C.overlaynet_options) C.overlaynet_result {
		return C.overlaynet_overlay_network_driver_options(n.h.ptr, out)
	})
	runtime.KeepAlive(n)
	return m, err
}

// IngressSpec describes the ingress (routing mesh) network. Name defaults to "ingress".
type IngressSpec struct {
	Name          string
	IPAM          []IPAMConfig
	Attachable    bool // refused, as swarmkit does; present so the rule can be exercised
	Encryption    Encryption
	MTU           uint32
	VNIs          []uint32
	Labels        map[string]string
	DriverOptions map[string]string
}

// IngressNetwork is a validated ingress network spec. Close releases it.
type IngressNetwork struct {
	h handle[*C.overlaynet_ingress_network]
}

// NewIngressNetwork validates spec.
func NewIngressNetwork(spec IngressSpec) (*IngressNetwork, error) {
	var b *C.overlaynet_ingress_builder
	if err := call(func() C.overlaynet_result { return C.overlaynet_ingress_builder_new(&b) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_ingress_builder_free(b)
	steps := []func() C.overlaynet_result{}
	if spec.Name != "" {
		np, nn := cString(spec.Name)
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_ingress_builder_set_name(b, np, nn) })
	}
	if spec.Attachable {
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_ingress_builder_set_attachable(b, true) })
	}
	if spec.Encryption != EncryptionOff {
		steps = append(steps, func() C.overlaynet_result {
			return C.overlaynet_ingress_builder_set_encryption(b, C.uint32_t(spec.Encryption))
		})
	}
	if spec.MTU != 0 {
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_ingress_builder_set_mtu(b, C.uint32_t(spec.MTU)) })
	}
	if len(spec.VNIs) > 0 {
		vp, vn := cUint32s(spec.VNIs)
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_ingress_builder_set_vnis(b, vp, vn) })
	}
	for _, step := range steps {
		if err := call(step); err != nil {
			return nil, err
		}
	}
	if err := addIPAM(spec.IPAM, func(c *C.overlaynet_ipam_config) C.overlaynet_result {
		return C.overlaynet_ingress_builder_add_ipam(b, c)
	}); err != nil {
		return nil, err
	}
	if err := kv(spec.DriverOptions, func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result {
		return C.overlaynet_ingress_builder_add_driver_option(b, kp, kn, vp, vn)
	}); err != nil {
		return nil, err
	}
	if err := kv(spec.Labels, func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result {
		return C.overlaynet_ingress_builder_add_label(b, kp, kn, vp, vn)
	}); err != nil {
		return nil, err
	}
	var p *C.overlaynet_ingress_network
	if err := call(func() C.overlaynet_result { return C.overlaynet_ingress_builder_build(b, &p) }); err != nil {
		return nil, err
	}
	n := &IngressNetwork{}
	own(n, &n.h, p, func(p *C.overlaynet_ingress_network) { C.overlaynet_ingress_network_free(p) })
	return n, nil
}

// Close releases the network spec.
func (n *IngressNetwork) Close() error { n.h.close(); return nil }

// Overlay returns a copy of the ingress network as an overlay network spec.
func (n *IngressNetwork) Overlay() (*OverlayNetwork, error) {
	var p *C.overlaynet_overlay_network
	err := call(func() C.overlaynet_result { return C.overlaynet_ingress_network_overlay(n.h.ptr, &p) })
	runtime.KeepAlive(n)
	if err != nil {
		return nil, err
	}
	return newOverlayNetwork(p), nil
}

// DriverOptions returns the ingress network's Docker driver option map.
func (n *IngressNetwork) DriverOptions() (map[string]string, error) {
	m, err := fetchOptions(func(out **C.overlaynet_options) C.overlaynet_result {
		return C.overlaynet_ingress_network_driver_options(n.h.ptr, out)
	})
	runtime.KeepAlive(n)
	return m, err
}

// GwBridgeSpec describes docker_gwbridge. Nil booleans keep Docker's defaults (icc off,
// masquerade on); empty strings keep the default names.
type GwBridgeSpec struct {
	Name               string
	BridgeName         string
	EnableICC          *bool
	EnableIPMasquerade *bool
	IPAM               *IPAMConfig
	MTU                uint32
	Labels             map[string]string
	DriverOptions      map[string]string
}

// GwBridgeNetwork is a validated docker_gwbridge network. Close releases it.
type GwBridgeNetwork struct {
	h handle[*C.overlaynet_gwbridge_network]
}

// NewGwBridgeNetwork validates spec.
func NewGwBridgeNetwork(spec GwBridgeSpec) (*GwBridgeNetwork, error) {
	var b *C.overlaynet_gwbridge_builder
	if err := call(func() C.overlaynet_result { return C.overlaynet_gwbridge_builder_new(&b) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_gwbridge_builder_free(b)
	return buildGwBridge(b, spec)
}

// NewGwBridgeNetworkFromOptions builds docker_gwbridge from a Docker driver option map (the
// com.docker.network.bridge.* keys, parsed as Docker's bridge driver does).
func NewGwBridgeNetworkFromOptions(options map[string]string) (*GwBridgeNetwork, error) {
	o, err := optionsToC(options)
	if err != nil {
		return nil, err
	}
	defer C.overlaynet_options_free(o)
	var b *C.overlaynet_gwbridge_builder
	if err := call(func() C.overlaynet_result { return C.overlaynet_gwbridge_builder_from_options(o, &b) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_gwbridge_builder_free(b)
	return buildGwBridge(b, GwBridgeSpec{})
}

func buildGwBridge(b *C.overlaynet_gwbridge_builder, spec GwBridgeSpec) (*GwBridgeNetwork, error) {
	steps := []func() C.overlaynet_result{}
	if spec.Name != "" {
		np, nn := cString(spec.Name)
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_gwbridge_builder_set_name(b, np, nn) })
	}
	if spec.BridgeName != "" {
		np, nn := cString(spec.BridgeName)
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_gwbridge_builder_set_bridge_name(b, np, nn) })
	}
	if spec.EnableICC != nil {
		steps = append(steps, func() C.overlaynet_result {
			return C.overlaynet_gwbridge_builder_set_enable_icc(b, C.bool(*spec.EnableICC))
		})
	}
	if spec.EnableIPMasquerade != nil {
		steps = append(steps, func() C.overlaynet_result {
			return C.overlaynet_gwbridge_builder_set_enable_ip_masquerade(b, C.bool(*spec.EnableIPMasquerade))
		})
	}
	if spec.MTU != 0 {
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_gwbridge_builder_set_mtu(b, C.uint32_t(spec.MTU)) })
	}
	for _, step := range steps {
		if err := call(step); err != nil {
			return nil, err
		}
	}
	if spec.IPAM != nil {
		if err := addIPAM([]IPAMConfig{*spec.IPAM}, func(c *C.overlaynet_ipam_config) C.overlaynet_result {
			return C.overlaynet_gwbridge_builder_set_ipam(b, c)
		}); err != nil {
			return nil, err
		}
	}
	if err := kv(spec.DriverOptions, func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result {
		return C.overlaynet_gwbridge_builder_add_driver_option(b, kp, kn, vp, vn)
	}); err != nil {
		return nil, err
	}
	if err := kv(spec.Labels, func(kp *C.uint8_t, kn C.size_t, vp *C.uint8_t, vn C.size_t) C.overlaynet_result {
		return C.overlaynet_gwbridge_builder_add_label(b, kp, kn, vp, vn)
	}); err != nil {
		return nil, err
	}
	var p *C.overlaynet_gwbridge_network
	if err := call(func() C.overlaynet_result { return C.overlaynet_gwbridge_builder_build(b, &p) }); err != nil {
		return nil, err
	}
	n := &GwBridgeNetwork{}
	own(n, &n.h, p, func(p *C.overlaynet_gwbridge_network) { C.overlaynet_gwbridge_network_free(p) })
	return n, nil
}

// Close releases the network.
func (n *GwBridgeNetwork) Close() error { n.h.close(); return nil }

// BridgeName returns the Linux bridge device name.
func (n *GwBridgeNetwork) BridgeName() (string, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_gwbridge_network_bridge_name(n.h.ptr, b, l, out)
	})
	runtime.KeepAlive(n)
	return s, err
}

// Subnet returns the explicit IPv4 subnet; ErrNotFound when the local pools decide.
func (n *GwBridgeNetwork) Subnet() (netip.Prefix, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_gwbridge_network_subnet(n.h.ptr, b, l, out)
	})
	runtime.KeepAlive(n)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.ParsePrefix(s)
}

// Gateway returns the IPv4 gateway; ErrNotFound when the local pools decide the subnet.
func (n *GwBridgeNetwork) Gateway() (netip.Addr, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_gwbridge_network_gateway(n.h.ptr, b, l, out)
	})
	runtime.KeepAlive(n)
	if err != nil {
		return netip.Addr{}, err
	}
	return netip.ParseAddr(s)
}

// DriverOptions returns the network's Docker driver option map.
func (n *GwBridgeNetwork) DriverOptions() (map[string]string, error) {
	m, err := fetchOptions(func(out **C.overlaynet_options) C.overlaynet_result {
		return C.overlaynet_gwbridge_network_driver_options(n.h.ptr, out)
	})
	runtime.KeepAlive(n)
	return m, err
}
