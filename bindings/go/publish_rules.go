package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"net/netip"
	"runtime"
)

// IngressGateway is the ingress sandbox as a routing-mesh host sees it: its docker_gwbridge
// address(es), which published ingress ports are DNATed to (at least one), and the host's
// docker_gwbridge interface, whose locally originated traffic is masqueraded.
type IngressGateway struct {
	SandboxV4 netip.Addr // an IPv4 address or the zero Addr
	SandboxV6 netip.Addr // an IPv6 address or the zero Addr
	GWBridge  string     // e.g. "docker_gwbridge"
}

// HostPort is a host-mode published port: HostPort on the host DNATed to Container:Target.
type HostPort struct {
	Protocol  Protocol // TCP, UDP or SCTP
	HostPort  uint16
	Container netip.Addr
	Target    uint16
}

// PublishedPort is one published port of a load balancer.
type PublishedPort struct {
	Protocol Protocol // TCP, UDP or SCTP
	Port     uint16
}

// LoadBalancer spreads traffic to any of its published ports or VIPs over its backends (task
// addresses), in chain svc-<FWMark>.
type LoadBalancer struct {
	FWMark   uint32
	VIPs     []netip.Addr
	Ports    []PublishedPort
	Backends []netip.Addr
}

// PortRedirect sends a task container's published port to its target port.
type PortRedirect struct {
	Protocol  Protocol // TCP, UDP or SCTP
	Published uint16
	Target    uint16
}

// TaskRedirects are a task container's ingress redirects (Docker's addRedirectRules): traffic
// to Addrs on a published port goes to its target port, anything else to Addrs is dropped.
type TaskRedirects struct {
	Addrs []netip.Addr
	Ports []PortRedirect
}

// MeshRules are the routing-mesh rules of one network namespace (host, ingress sandbox, LB
// sandbox or task container), kept as nftables table "inet overlaynet". Every change
// returns the nft script (for nft -f, applied atomically) that moves a kernel holding the
// previous rules to the new ones; "" means nothing to apply. A failed change changes
// nothing. Not safe for concurrent use.
type MeshRules struct {
	h handle[*C.overlaynet_mesh_rules]
}

// NewMeshRules returns empty rules.
func NewMeshRules() (*MeshRules, error) {
	var p *C.overlaynet_mesh_rules
	if err := call(func() C.overlaynet_result { return C.overlaynet_mesh_rules_new(&p) }); err != nil {
		return nil, err
	}
	return wrapMeshRules(p), nil
}

func wrapMeshRules(p *C.overlaynet_mesh_rules) *MeshRules {
	m := &MeshRules{}
	own(m, &m.h, p, func(p *C.overlaynet_mesh_rules) { C.overlaynet_mesh_rules_free(p) })
	return m
}

// Close frees the rules.
func (m *MeshRules) Close() error { m.h.close(); return nil }

// Clone returns an independent copy (e.g. the old state for TransitionFrom).
func (m *MeshRules) Clone() (*MeshRules, error) {
	var p *C.overlaynet_mesh_rules
	err := call(func() C.overlaynet_result { return C.overlaynet_mesh_rules_clone(m.h.ptr, &p) })
	runtime.KeepAlive(m)
	if err != nil {
		return nil, err
	}
	return wrapMeshRules(p), nil
}

// script runs a call that returns a new transaction and returns the transaction's text.
func (m *MeshRules) script(f func(out **C.overlaynet_mesh_transaction) C.overlaynet_result) (string, error) {
	var t *C.overlaynet_mesh_transaction
	err := call(func() C.overlaynet_result { return f(&t) })
	runtime.KeepAlive(m)
	if err != nil {
		return "", err
	}
	defer C.overlaynet_mesh_transaction_free(t)
	return readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_mesh_transaction_text(t, b, n, out)
	})
}

// SetGateway makes the namespace a routing-mesh host. The base chains change, so the script
// is a full load.
func (m *MeshRules) SetGateway(gw IngressGateway) (string, error) {
	gp, gn := cString(gw.GWBridge)
	v4, v6 := ipAddressToC(gw.SandboxV4), ipAddressToC(gw.SandboxV6)
	p4, p6 := &v4, &v6
	if !gw.SandboxV4.IsValid() {
		p4 = nil
	}
	if !gw.SandboxV6.IsValid() {
		p6 = nil
	}
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_set_gateway(m.h.ptr, p4, p6, gp, gn, out)
	})
}

// ClearGateway stops being a routing-mesh host (a full load).
func (m *MeshRules) ClearGateway() (string, error) {
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_clear_gateway(m.h.ptr, out)
	})
}

// AddIngressPort publishes an ingress port on this host; publishing it again only counts a
// reference. A port routed by something else here is ErrConflict.
func (m *MeshRules) AddIngressPort(protocol Protocol, port uint16) (string, error) {
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_add_ingress_port(m.h.ptr, C.uint32_t(protocol), C.uint16_t(port), out)
	})
}

// RemoveIngressPort drops one reference to an ingress port; the rules go with the last one.
func (m *MeshRules) RemoveIngressPort(protocol Protocol, port uint16) (string, error) {
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_remove_ingress_port(m.h.ptr, C.uint32_t(protocol), C.uint16_t(port), out)
	})
}

// AddHostPort publishes a host-mode port.
func (m *MeshRules) AddHostPort(p HostPort) (string, error) {
	container := ipAddressToC(p.Container)
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_add_host_port(m.h.ptr, C.uint32_t(p.Protocol), C.uint16_t(p.HostPort),
			&container, C.uint16_t(p.Target), out)
	})
}

// RemoveHostPort removes a host-mode port.
func (m *MeshRules) RemoveHostPort(protocol Protocol, hostPort uint16) (string, error) {
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_remove_host_port(m.h.ptr, C.uint32_t(protocol), C.uint16_t(hostPort), out)
	})
}

// UpsertLoadBalancer adds or replaces a load balancer. A port or VIP of another load
// balancer is ErrConflict.
func (m *MeshRules) UpsertLoadBalancer(lb LoadBalancer) (string, error) {
	vips, backends := ipAddressesToC(lb.VIPs), ipAddressesToC(lb.Backends)
	ports := make([]C.overlaynet_published_port, len(lb.Ports))
	for i, p := range lb.Ports {
		ports[i] = C.overlaynet_published_port{protocol: C.uint32_t(p.Protocol), port: C.uint16_t(p.Port)}
	}
	vp, vn := cStructs(vips)
	bp, bn := cStructs(backends)
	pp, pn := cStructs(ports)
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_upsert_load_balancer(m.h.ptr, C.uint32_t(lb.FWMark), vp, vn, pp, pn, bp, bn, out)
	})
}

// SetBackends replaces a load balancer's backends (one chain flush and refill); an unknown
// fwmark is ErrNotFound.
func (m *MeshRules) SetBackends(fwmark uint32, backends []netip.Addr) (string, error) {
	ips := ipAddressesToC(backends)
	bp, bn := cStructs(ips)
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_set_backends(m.h.ptr, C.uint32_t(fwmark), bp, bn, out)
	})
}

// RemoveLoadBalancer removes a load balancer and its chain.
func (m *MeshRules) RemoveLoadBalancer(fwmark uint32) (string, error) {
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_remove_load_balancer(m.h.ptr, C.uint32_t(fwmark), out)
	})
}

// AddSNAT source-NATs load-balanced traffic towards subnet to source (the sandbox's address
// on that overlay). Overlapping subnets are ErrConflict.
func (m *MeshRules) AddSNAT(subnet netip.Prefix, source netip.Addr) (string, error) {
	sp, sn := cString(subnet.String())
	src := ipAddressToC(source)
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_add_snat(m.h.ptr, sp, sn, &src, out)
	})
}

// RemoveSNAT stops source-NATing towards subnet.
func (m *MeshRules) RemoveSNAT(subnet netip.Prefix) (string, error) {
	sp, sn := cString(subnet.String())
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_remove_snat(m.h.ptr, sp, sn, out)
	})
}

// SetTaskRedirects replaces the namespace's task-container redirects. A published port
// redirected to two targets is ErrConflict.
func (m *MeshRules) SetTaskRedirects(task TaskRedirects) (string, error) {
	addrs := ipAddressesToC(task.Addrs)
	redirects := make([]C.overlaynet_port_redirect, len(task.Ports))
	for i, p := range task.Ports {
		redirects[i] = C.overlaynet_port_redirect{
			protocol:  C.uint32_t(p.Protocol),
			published: C.uint16_t(p.Published),
			target:    C.uint16_t(p.Target),
		}
	}
	ap, an := cStructs(addrs)
	rp, rn := cStructs(redirects)
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_set_task_redirects(m.h.ptr, ap, an, rp, rn, out)
	})
}

// FullLoad returns the whole table as one idempotent script: add table, delete table, then
// table inet overlaynet with every set, map and chain.
func (m *MeshRules) FullLoad() (string, error) {
	return m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_full_load(m.h.ptr, out)
	})
}

// TransitionFrom returns the script that turns a kernel holding old's rules into one holding
// m's: element and chain changes, or a full load when the gateways differ.
func (m *MeshRules) TransitionFrom(old *MeshRules) (string, error) {
	s, err := m.script(func(out **C.overlaynet_mesh_transaction) C.overlaynet_result {
		return C.overlaynet_mesh_rules_transition_from(m.h.ptr, old.h.ptr, out)
	})
	runtime.KeepAlive(old)
	return s, err
}

// LoadBalancerCount returns the number of load balancers.
func (m *MeshRules) LoadBalancerCount() (int, error) {
	var n C.size_t
	err := call(func() C.overlaynet_result { return C.overlaynet_mesh_rules_load_balancer_count(m.h.ptr, &n) })
	runtime.KeepAlive(m)
	return int(n), err
}
