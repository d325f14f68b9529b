package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"net/netip"
	"runtime"
)

// NodeOS is a node's operating system.
type NodeOS uint32

// The operating systems.
const (
	Linux   NodeOS = 0
	Windows NodeOS = 1
)

// Protocol is the protocol of a firewall rule (its IP protocol number).
type Protocol uint32

// The protocols a node must accept.
const (
	TCP Protocol = 6
	UDP Protocol = 17
	ESP Protocol = 50
)

// FirewallRule is one inbound opening a node needs. Port is 0 for ESP.
type FirewallRule struct {
	Protocol Protocol
	Port     uint16
}

// NodeSpec describes a swarm node's addresses. Zero values are unset: the data-path address
// defaults to the advertise address, the listen address to 0.0.0.0:2377, the data-path port
// to 4789.
type NodeSpec struct {
	ID            string
	AdvertiseAddr netip.Addr
	DataPathAddr  netip.Addr
	ListenAddr    netip.AddrPort
	DataPathPort  uint16
	OS            NodeOS
}

// NodeConfig is a validated node configuration. Close releases it.
type NodeConfig struct {
	h handle[*C.overlaynet_node_config]
}

// NewNodeConfig validates spec with Docker's rules and texts.
func NewNodeConfig(spec NodeSpec) (*NodeConfig, error) {
	var b *C.overlaynet_node_builder
	ip, in := cString(spec.ID)
	ap, an := cString(spec.AdvertiseAddr.String())
	if err := call(func() C.overlaynet_result { return C.overlaynet_node_builder_new(ip, in, ap, an, &b) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_node_builder_free(b)
	steps := []func() C.overlaynet_result{
		func() C.overlaynet_result { return C.overlaynet_node_builder_set_os(b, C.uint32_t(spec.OS)) },
		func() C.overlaynet_result {
			return C.overlaynet_node_builder_set_data_path_port(b, C.uint16_t(spec.DataPathPort))
		},
	}
	if spec.DataPathAddr.IsValid() {
		dp, dn := cString(spec.DataPathAddr.String())
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_node_builder_set_data_path_addr(b, dp, dn) })
	}
	if spec.ListenAddr.IsValid() {
		lp, ln := cString(spec.ListenAddr.String())
		steps = append(steps, func() C.overlaynet_result { return C.overlaynet_node_builder_set_listen_addr(b, lp, ln) })
	}
	for _, step := range steps {
		if err := call(step); err != nil {
			return nil, err
		}
	}
	var p *C.overlaynet_node_config
	if err := call(func() C.overlaynet_result { return C.overlaynet_node_builder_build(b, &p) }); err != nil {
		return nil, err
	}
	n := &NodeConfig{}
	own(n, &n.h, p, func(p *C.overlaynet_node_config) { C.overlaynet_node_config_free(p) })
	return n, nil
}

// Close releases the node configuration.
func (n *NodeConfig) Close() error { n.h.close(); return nil }

func (n *NodeConfig) addr(f func(*C.overlaynet_node_config, *C.uint8_t, C.size_t, *C.size_t) C.overlaynet_result) (netip.Addr, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result { return f(n.h.ptr, b, l, out) })
	runtime.KeepAlive(n)
	if err != nil {
		return netip.Addr{}, err
	}
	return netip.ParseAddr(s)
}

// ID returns the node id.
func (n *NodeConfig) ID() (string, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_node_config_id(n.h.ptr, b, l, out)
	})
	runtime.KeepAlive(n)
	return s, err
}

// ListenAddr returns the swarm management listen address.
func (n *NodeConfig) ListenAddr() (netip.AddrPort, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_node_config_listen_addr(n.h.ptr, b, l, out)
	})
	runtime.KeepAlive(n)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.ParseAddrPort(s)
}

// OS returns the node's operating system.
func (n *NodeConfig) OS() (NodeOS, error) {
	var os C.uint32_t
	err := call(func() C.overlaynet_result { return C.overlaynet_node_config_os(n.h.ptr, &os) })
	runtime.KeepAlive(n)
	return NodeOS(os), err
}

// VTEP returns the VXLAN tunnel endpoint address (data-path address, else advertise address).
func (n *NodeConfig) VTEP() (netip.Addr, error) {
	return n.addr(func(p *C.overlaynet_node_config, b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_node_config_vtep(p, b, l, out)
	})
}

// BindAddr returns the local address of the node's tunnels and security associations.
func (n *NodeConfig) BindAddr() (netip.Addr, error) {
	return n.addr(func(p *C.overlaynet_node_config, b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_node_config_bind_addr(p, b, l, out)
	})
}

// DataPathPort returns the VXLAN UDP port (4789 unless set).
func (n *NodeConfig) DataPathPort() (uint16, error) {
	var port C.uint16_t
	err := call(func() C.overlaynet_result { return C.overlaynet_node_config_data_path_port(n.h.ptr, &port) })
	runtime.KeepAlive(n)
	return uint16(port), err
}

// UnderlayFamily returns the address family of the VTEP.
func (n *NodeConfig) UnderlayFamily() (Family, error) {
	var f C.uint32_t
	err := call(func() C.overlaynet_result { return C.overlaynet_node_config_underlay_family(n.h.ptr, &f) })
	runtime.KeepAlive(n)
	return Family(f), err
}

// FirewallRules returns the inbound openings the node needs (ESP too when encrypted).
func (n *NodeConfig) FirewallRules(encrypted bool) ([]FirewallRule, error) {
	var rules [8]C.overlaynet_firewall_rule
	var count C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_node_config_firewall_rules(n.h.ptr, C.bool(encrypted), &rules[0], C.size_t(len(rules)), &count)
	})
	runtime.KeepAlive(n)
	if err != nil {
		return nil, err
	}
	out := make([]FirewallRule, count)
	for i := range out {
		out[i] = FirewallRule{Protocol: Protocol(rules[i].protocol), Port: uint16(rules[i].port)}
	}
	return out, nil
}

// FirewallNftables returns the node's firewall needs as an nftables ruleset for `nft -f`.
func (n *NodeConfig) FirewallNftables(encrypted bool) (string, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_node_config_firewall_nftables(n.h.ptr, C.bool(encrypted), b, l, out)
	})
	runtime.KeepAlive(n)
	return s, err
}
