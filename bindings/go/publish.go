package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"fmt"
	"net/netip"
	"runtime"
	"unsafe"
)

// SCTP is a port protocol (published ports only; firewall rules use TCP, UDP and ESP).
const SCTP Protocol = 132

// PublishMode says how a swarm service port is published.
type PublishMode uint32

// The publish modes.
const (
	// PublishIngress publishes through the routing mesh on every node (the default).
	PublishIngress PublishMode = 0
	// PublishHost publishes directly on the node running the task.
	PublishHost PublishMode = 1
)

// EndpointMode says how clients reach a service's tasks.
type EndpointMode uint32

// The endpoint modes.
const (
	// EndpointVIP gives the service a virtual IP, load-balanced to its tasks (the default).
	EndpointVIP EndpointMode = 0
	// EndpointDNSRR resolves the service name to its task addresses (DNS round robin).
	EndpointDNSRR EndpointMode = 1
)

// The dynamic range published port 0 is allocated from (swarmkit's dynamicPortStart/End).
const (
	DynamicPortStart = 30000
	DynamicPortEnd   = 32767
)

// PortConfig is one swarm service port, as docker service create -p produces it.
type PortConfig struct {
	// Name is optional; the CLI never sets it. The allocator keeps a dynamic port across
	// updates for the same name, protocol and target.
	Name     string
	Protocol Protocol // TCP, UDP or SCTP
	Target   uint16   // port inside the task container
	// Published is the published port; 0 asks the PortAllocator for one of the dynamic range.
	Published uint16
	Mode      PublishMode
}

// String returns Docker's PortOpt.String form, published:target/proto/mode (e.g.
// "8080:80/tcp/ingress"), or a %!(...) note for undefined enum values.
func (p PortConfig) String() string {
	c := p.toC()
	s, err := readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_port_config_format(&c, b, n, out)
	})
	if err != nil {
		return fmt.Sprintf("%%!(%v)", err)
	}
	return s
}

// Spec returns a docker service create -p value that parses back to this port (the name
// aside): the short form for ingress ports, the long form for host ports.
func (p PortConfig) Spec() (string, error) {
	c := p.toC()
	return readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_port_config_spec(&c, b, n, out)
	})
}

func (p PortConfig) toC() C.overlaynet_port_config {
	return C.overlaynet_port_config{
		protocol:  C.uint32_t(p.Protocol),
		target:    C.uint16_t(p.Target),
		published: C.uint16_t(p.Published),
		mode:      C.uint32_t(p.Mode),
	}
}

func portConfigFromC(c C.overlaynet_port_config, name string) PortConfig {
	return PortConfig{
		Name:      name,
		Protocol:  Protocol(c.protocol),
		Target:    uint16(c.target),
		Published: uint16(c.published),
		Mode:      PublishMode(c.mode),
	}
}

// PortRange is an inclusive range of ports; a single port has Start == End.
type PortRange struct {
	Start, End uint16
}

// RunPortMapping is one container port of a docker run -p value and where it is bound.
type RunPortMapping struct {
	ContainerPort uint16
	Protocol      Protocol // TCP, UDP or SCTP
	// HostIP is the host address to bind; the zero Addr means all addresses.
	HostIP netip.Addr
	// HostPort is nil for an ephemeral host port. A range of several ports only occurs for a
	// single container port: it is the pool the host port is picked from.
	HostPort *PortRange
}

// String returns go-connections' PortMapping.String form (e.g. "127.0.0.1:8080:80/tcp"),
// which ParseRunPort reads back, or a %!(...) note for undefined values.
func (m RunPortMapping) String() string {
	c := m.toC()
	s, err := readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_run_port_mapping_format(&c, b, n, out)
	})
	if err != nil {
		return fmt.Sprintf("%%!(%v)", err)
	}
	return s
}

func (m RunPortMapping) toC() C.overlaynet_run_port_mapping {
	c := C.overlaynet_run_port_mapping{
		container_port: C.uint16_t(m.ContainerPort),
		protocol:       C.uint32_t(m.Protocol),
	}
	if m.HostIP.IsValid() {
		c.has_host_ip = true
		c.host_ip = ipAddressToC(m.HostIP)
	}
	if m.HostPort != nil {
		c.has_host_port = true
		c.host_port_start = C.uint16_t(m.HostPort.Start)
		c.host_port_end = C.uint16_t(m.HostPort.End)
	}
	return c
}

func runPortMappingFromC(c C.overlaynet_run_port_mapping) RunPortMapping {
	m := RunPortMapping{ContainerPort: uint16(c.container_port), Protocol: Protocol(c.protocol)}
	if c.has_host_ip {
		m.HostIP = ipAddressFromC(c.host_ip)
	}
	if c.has_host_port {
		m.HostPort = &PortRange{Start: uint16(c.host_port_start), End: uint16(c.host_port_end)}
	}
	return m
}

// ipAddressToC converts an address; an IPv4-mapped IPv6 address stays IPv6. The zero Addr becomes
// family 0, which the library refuses.
func ipAddressToC(ip netip.Addr) C.overlaynet_ip_address {
	var c C.overlaynet_ip_address
	switch {
	case ip.Is4():
		c.family = C.OVERLAYNET_FAMILY_IPV4
		b := ip.As4()
		for i := range b {
			c.bytes[i] = C.uint8_t(b[i])
		}
	case ip.Is6():
		c.family = C.OVERLAYNET_FAMILY_IPV6
		b := ip.As16()
		for i := range b {
			c.bytes[i] = C.uint8_t(b[i])
		}
	}
	return c
}

func ipAddressFromC(c C.overlaynet_ip_address) netip.Addr {
	var b [16]byte
	for i := range b {
		b[i] = byte(c.bytes[i])
	}
	if c.family == C.OVERLAYNET_FAMILY_IPV4 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b)
}

// ipAddressesToC converts a list of addresses for one call.
func ipAddressesToC(ips []netip.Addr) []C.overlaynet_ip_address {
	out := make([]C.overlaynet_ip_address, len(ips))
	for i, ip := range ips {
		out[i] = ipAddressToC(ip)
	}
	return out
}

// cStructs passes a slice of C structs (which hold no Go pointers) as (ptr, len) for one
// call.
func cStructs[T any](v []T) (*T, C.size_t) {
	return unsafe.SliceData(v), C.size_t(len(v))
}

// readGrowing calls fill with a caller array, growing it when the library reports the count
// it needs (a failed call changes nothing, so repeating it is safe).
func readGrowing[T any](initial int, fill func(p *T, size C.size_t, n *C.size_t) C.overlaynet_result) ([]T, error) {
	items := make([]T, initial)
	var n C.size_t
	for {
		err := call(func() C.overlaynet_result { return fill(unsafe.SliceData(items), C.size_t(len(items)), &n) })
		if err == nil {
			return items[:n], nil
		}
		if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
			return nil, err
		}
		items = make([]T, n)
	}
}

// ParseRunPort parses one docker run -p value (short or long form) into one mapping per
// container port, with Docker's error texts.
func ParseRunPort(value string) ([]RunPortMapping, error) {
	p, n := cString(value)
	raw, err := readGrowing(4, func(m *C.overlaynet_run_port_mapping, size C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_run_port_parse(p, n, m, size, out)
	})
	if err != nil {
		return nil, err
	}
	mappings := make([]RunPortMapping, len(raw))
	for i, c := range raw {
		mappings[i] = runPortMappingFromC(c)
	}
	return mappings, nil
}

// ParseServicePort parses one docker service create -p value (short form or the long CSV
// form) into the swarm ports it stands for, with Docker's error texts.
func ParseServicePort(value string) ([]PortConfig, error) {
	p, n := cString(value)
	raw, err := readGrowing(4, func(c *C.overlaynet_port_config, size C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_service_port_parse(p, n, c, size, out)
	})
	if err != nil {
		return nil, err
	}
	ports := make([]PortConfig, len(raw))
	for i, c := range raw {
		ports[i] = portConfigFromC(c, "")
	}
	return ports, nil
}

// ValidateEndpointSpec checks a service's ports as swarmkit does: ingress-mode ports are
// refused with EndpointDNSRR, and a published port may appear once per protocol
// (ErrInvalidInput with Docker's text).
func ValidateEndpointSpec(mode EndpointMode, ports []PortConfig) error {
	list, err := portListToC(ports)
	if err != nil {
		return err
	}
	defer C.overlaynet_port_list_free(list)
	return call(func() C.overlaynet_result { return C.overlaynet_endpoint_spec_validate(C.uint32_t(mode), list) })
}

// portListToC builds a native port list; the caller frees it.
func portListToC(ports []PortConfig) (*C.overlaynet_port_list, error) {
	var list *C.overlaynet_port_list
	if err := call(func() C.overlaynet_result { return C.overlaynet_port_list_new(&list) }); err != nil {
		return nil, err
	}
	for _, port := range ports {
		c := port.toC()
		np, nn := cString(port.Name)
		if err := call(func() C.overlaynet_result { return C.overlaynet_port_list_push(list, &c, np, nn) }); err != nil {
			C.overlaynet_port_list_free(list)
			return nil, err
		}
	}
	return list, nil
}

// portListFromC copies a native port list into Go and frees it.
func portListFromC(list *C.overlaynet_port_list) ([]PortConfig, error) {
	defer C.overlaynet_port_list_free(list)
	var count C.size_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_port_list_count(list, &count) }); err != nil {
		return nil, err
	}
	ports := make([]PortConfig, int(count))
	for i := range ports {
		var c C.overlaynet_port_config
		index := C.size_t(i)
		if err := call(func() C.overlaynet_result { return C.overlaynet_port_list_get(list, index, &c) }); err != nil {
			return nil, err
		}
		name, err := readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_port_list_name(list, index, b, n, out)
		})
		if err != nil {
			return nil, err
		}
		ports[i] = portConfigFromC(c, name)
	}
	return ports, nil
}

// fetchPorts runs a call that returns a new native port list and copies it into Go.
func fetchPorts(f func(out **C.overlaynet_port_list) C.overlaynet_result) ([]PortConfig, error) {
	var list *C.overlaynet_port_list
	if err := call(func() C.overlaynet_result { return f(&list) }); err != nil {
		return nil, err
	}
	return portListFromC(list)
}

// PortAllocator is a cluster's ingress port allocator (swarmkit's): per protocol, published
// ports are owned by one service, and published 0 takes the next free port of the dynamic
// range, kept across updates. Host-mode ports are not allocated. Not safe for concurrent use.
type PortAllocator struct {
	h handle[*C.overlaynet_port_allocator]
}

// NewPortAllocator returns an allocator with every port free.
func NewPortAllocator() (*PortAllocator, error) {
	var p *C.overlaynet_port_allocator
	if err := call(func() C.overlaynet_result { return C.overlaynet_port_allocator_new(&p) }); err != nil {
		return nil, err
	}
	a := &PortAllocator{}
	own(a, &a.h, p, func(p *C.overlaynet_port_allocator) { C.overlaynet_port_allocator_free(p) })
	return a, nil
}

// Close frees the allocator.
func (a *PortAllocator) Close() error { a.h.close(); return nil }

// Allocate allocates (or re-allocates, on an update) the ingress ports of service and returns
// its ports with published ports filled in, in spec order. A port of another service is
// ErrConflict, a full dynamic range ErrExhausted; on error nothing changes.
func (a *PortAllocator) Allocate(service string, spec []PortConfig) ([]PortConfig, error) {
	list, err := portListToC(spec)
	if err != nil {
		return nil, err
	}
	defer C.overlaynet_port_list_free(list)
	sp, sn := cString(service)
	ports, err := fetchPorts(func(out **C.overlaynet_port_list) C.overlaynet_result {
		return C.overlaynet_port_allocator_allocate(a.h.ptr, sp, sn, list, out)
	})
	runtime.KeepAlive(a)
	return ports, err
}

// Release frees every port of service and reports whether it had an allocation.
func (a *PortAllocator) Release(service string) (bool, error) {
	sp, sn := cString(service)
	var released C.bool
	err := call(func() C.overlaynet_result { return C.overlaynet_port_allocator_release(a.h.ptr, sp, sn, &released) })
	runtime.KeepAlive(a)
	return bool(released), err
}

// Owner returns the service holding a published port; ErrNotFound when it is free.
func (a *PortAllocator) Owner(protocol Protocol, port uint16) (string, error) {
	owner, err := readString(func(b *C.uint8_t, n C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_port_allocator_owner(a.h.ptr, C.uint32_t(protocol), C.uint16_t(port), b, n, out)
	})
	runtime.KeepAlive(a)
	return owner, err
}

// Ports returns the ports last allocated to service; ErrNotFound when it has none.
func (a *PortAllocator) Ports(service string) ([]PortConfig, error) {
	sp, sn := cString(service)
	ports, err := fetchPorts(func(out **C.overlaynet_port_list) C.overlaynet_result {
		return C.overlaynet_port_allocator_ports(a.h.ptr, sp, sn, out)
	})
	runtime.KeepAlive(a)
	return ports, err
}

// ServiceResolver is the name table behind one network's embedded DNS: a VIP-mode name
// resolves to its VIP, a DNSRR name and tasks.<name> to the shuffled task addresses. Names
// are case-insensitive and a trailing dot is ignored. The shuffle is seeded, so equal seeds
// and calls give equal answers. Not safe for concurrent use.
type ServiceResolver struct {
	h handle[*C.overlaynet_service_resolver]
}

// NewServiceResolver returns an empty table whose shuffles are determined by seed.
func NewServiceResolver(seed uint64) (*ServiceResolver, error) {
	var p *C.overlaynet_service_resolver
	if err := call(func() C.overlaynet_result { return C.overlaynet_service_resolver_new(C.uint64_t(seed), &p) }); err != nil {
		return nil, err
	}
	r := &ServiceResolver{}
	own(r, &r.h, p, func(p *C.overlaynet_service_resolver) { C.overlaynet_service_resolver_free(p) })
	return r, nil
}

// Close frees the resolver.
func (r *ServiceResolver) Close() error { r.h.close(); return nil }

// SetService adds or replaces a service with its endpoint mode and, in VIP mode, its VIP on
// this network (the zero Addr for none; a DNSRR service ignores it). Task addresses are kept.
func (r *ServiceResolver) SetService(name string, mode EndpointMode, vip netip.Addr) error {
	np, nn := cString(name)
	var err error
	if vip.IsValid() {
		c := ipAddressToC(vip)
		err = call(func() C.overlaynet_result {
			return C.overlaynet_service_resolver_set_service(r.h.ptr, np, nn, C.uint32_t(mode), &c)
		})
	} else {
		err = call(func() C.overlaynet_result {
			return C.overlaynet_service_resolver_set_service(r.h.ptr, np, nn, C.uint32_t(mode), nil)
		})
	}
	runtime.KeepAlive(r)
	return err
}

// SetTasks replaces a service's task addresses (adding it in VIP mode without a VIP if it
// is unknown).
func (r *ServiceResolver) SetTasks(name string, tasks []netip.Addr) error {
	np, nn := cString(name)
	ips := ipAddressesToC(tasks)
	tp, tn := cStructs(ips)
	err := call(func() C.overlaynet_result { return C.overlaynet_service_resolver_set_tasks(r.h.ptr, np, nn, tp, tn) })
	runtime.KeepAlive(r)
	return err
}

// RemoveService forgets a service and reports whether it was known.
func (r *ServiceResolver) RemoveService(name string) (bool, error) {
	np, nn := cString(name)
	var removed C.bool
	err := call(func() C.overlaynet_result {
		return C.overlaynet_service_resolver_remove_service(r.h.ptr, np, nn, &removed)
	})
	runtime.KeepAlive(r)
	return bool(removed), err
}

// Resolve answers query: ErrNotFound for an unknown name (NXDOMAIN), an empty list for a
// known service without an address of that kind yet.
func (r *ServiceResolver) Resolve(query string) ([]netip.Addr, error) {
	qp, qn := cString(query)
	raw, err := readGrowing(8, func(a *C.overlaynet_ip_address, size C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_service_resolver_resolve(r.h.ptr, qp, qn, a, size, out)
	})
	runtime.KeepAlive(r)
	if err != nil {
		return nil, err
	}
	addrs := make([]netip.Addr, len(raw))
	for i, c := range raw {
		addrs[i] = ipAddressFromC(c)
	}
	return addrs, nil
}
