package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"net"
	"net/netip"
	"runtime"
	"strings"
)

// Endpoint is an endpoint address handed out by a Cluster.
type Endpoint struct {
	Address netip.Prefix // the address with its subnet's prefix length
	MAC     net.HardwareAddr
	VNI     uint32
}

func endpointFromC(e *C.overlaynet_endpoint) Endpoint {
	var a [4]byte
	for i := range a {
		a[i] = byte(e.address[i])
	}
	mac := make(net.HardwareAddr, 6)
	for i := range mac {
		mac[i] = byte(e.mac[i])
	}
	return Endpoint{
		Address: netip.PrefixFrom(netip.AddrFrom4(a), int(e.prefix_len)),
		MAC:     mac,
		VNI:     uint32(e.vni),
	}
}

// Subnet is one IPv4 subnet of a registered network.
type Subnet struct {
	Prefix  netip.Prefix
	Gateway netip.Addr
	VNI     uint32
}

// NetworkInfo is a snapshot of a network registered in a Cluster.
type NetworkInfo struct {
	Name    string
	Subnets []Subnet
	// MTU is the MTU over an IPv4 underlay; MTUIPv6 over an IPv6 underlay; DockerMTU what
	// Docker would use.
	MTU, MTUIPv6, DockerMTU uint32
	// DriverOptions is the option map swarm hands the workers (with vxlanid_list).
	DriverOptions map[string]string
}

// Cluster is the swarm registry of overlay networks and nodes: it hands out subnets, VNIs
// and endpoint addresses and enforces the rules that span networks. Every failed call leaves
// it unchanged. Not safe for concurrent use.
type Cluster struct {
	h handle[*C.overlaynet_cluster]
}

// NewCluster returns an empty cluster cutting subnets of maskLen bits (0 = 24) from pools
// (swarm init --default-addr-pool; none = Docker's default 10.0.0.0/8).
func NewCluster(pools []netip.Prefix, maskLen uint32) (*Cluster, error) {
	texts := make([]string, len(pools))
	for i, p := range pools {
		texts[i] = p.String()
	}
	pp, pn := cString(strings.Join(texts, ","))
	var ap *C.overlaynet_address_pools
	if err := call(func() C.overlaynet_result { return C.overlaynet_address_pools_new(pp, pn, C.uint32_t(maskLen), &ap) }); err != nil {
		return nil, err
	}
	defer C.overlaynet_address_pools_free(ap)
	var p *C.overlaynet_cluster
	if err := call(func() C.overlaynet_result { return C.overlaynet_cluster_new(ap, &p) }); err != nil {
		return nil, err
	}
	c := &Cluster{}
	own(c, &c.h, p, func(p *C.overlaynet_cluster) { C.overlaynet_cluster_free(p) })
	return c, nil
}

// Close releases the cluster.
func (c *Cluster) Close() error { c.h.close(); return nil }

// byName runs a call that takes the cluster and a name.
func (c *Cluster) byName(name string, f func(*C.overlaynet_cluster, *C.uint8_t, C.size_t) C.overlaynet_result) error {
	np, nn := cString(name)
	err := call(func() C.overlaynet_result { return f(c.h.ptr, np, nn) })
	runtime.KeepAlive(c)
	return err
}

// CreateOverlay registers a copy of network, filling in subnets and VNIs it left open.
func (c *Cluster) CreateOverlay(network *OverlayNetwork) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_cluster_create_overlay(c.h.ptr, network.h.ptr) })
	runtime.KeepAlive(c)
	runtime.KeepAlive(network)
	return err
}

// CreateIngress registers a copy of the ingress network; a second one is ErrConflict.
func (c *Cluster) CreateIngress(network *IngressNetwork) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_cluster_create_ingress(c.h.ptr, network.h.ptr) })
	runtime.KeepAlive(c)
	runtime.KeepAlive(network)
	return err
}

// RemoveNetwork removes a network and frees its subnets and VNIs. The ingress network cannot
// go while a service publishes ports through it (ErrRefused).
func (c *Cluster) RemoveNetwork(name string) error {
	return c.byName(name, func(p *C.overlaynet_cluster, s *C.uint8_t, n C.size_t) C.overlaynet_result {
		return C.overlaynet_cluster_remove_network(p, s, n)
	})
}

// AddNode adds a copy of node; a Windows node is refused while a network is encrypted.
func (c *Cluster) AddNode(node *NodeConfig) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_cluster_add_node(c.h.ptr, node.h.ptr) })
	runtime.KeepAlive(c)
	runtime.KeepAlive(node)
	return err
}

// RemoveNode removes node id.
func (c *Cluster) RemoveNode(id string) error {
	return c.byName(id, func(p *C.overlaynet_cluster, s *C.uint8_t, n C.size_t) C.overlaynet_result {
		return C.overlaynet_cluster_remove_node(p, s, n)
	})
}

// AddIngressPublisher records that service publishes ports in ingress mode.
func (c *Cluster) AddIngressPublisher(service string) error {
	return c.byName(service, func(p *C.overlaynet_cluster, s *C.uint8_t, n C.size_t) C.overlaynet_result {
		return C.overlaynet_cluster_add_ingress_publisher(p, s, n)
	})
}

// RemoveIngressPublisher records that service no longer publishes ingress ports.
func (c *Cluster) RemoveIngressPublisher(service string) error {
	return c.byName(service, func(p *C.overlaynet_cluster, s *C.uint8_t, n C.size_t) C.overlaynet_result {
		return C.overlaynet_cluster_remove_ingress_publisher(p, s, n)
	})
}

// AllocateEndpoint hands out the next endpoint address on network name.
func (c *Cluster) AllocateEndpoint(name string) (Endpoint, error) {
	var e C.overlaynet_endpoint
	np, nn := cString(name)
	err := call(func() C.overlaynet_result { return C.overlaynet_cluster_allocate_endpoint(c.h.ptr, np, nn, &e) })
	runtime.KeepAlive(c)
	if err != nil {
		return Endpoint{}, err
	}
	return endpointFromC(&e), nil
}

// AllocateEndpointAddress hands out exactly address (Docker's --ip) on network name.
func (c *Cluster) AllocateEndpointAddress(name string, address netip.Addr) (Endpoint, error) {
	var e C.overlaynet_endpoint
	np, nn := cString(name)
	ap, an := cString(address.String())
	err := call(func() C.overlaynet_result {
		return C.overlaynet_cluster_allocate_endpoint_address(c.h.ptr, np, nn, ap, an, &e)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return Endpoint{}, err
	}
	return endpointFromC(&e), nil
}

// ReleaseEndpoint returns address on network name to its subnet.
func (c *Cluster) ReleaseEndpoint(name string, address netip.Addr) error {
	np, nn := cString(name)
	ap, an := cString(address.String())
	err := call(func() C.overlaynet_result { return C.overlaynet_cluster_release_endpoint(c.h.ptr, np, nn, ap, an) })
	runtime.KeepAlive(c)
	return err
}

// Networks returns the names of the registered networks, in name order.
func (c *Cluster) Networks() ([]string, error) {
	defer runtime.KeepAlive(c)
	var count C.size_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_cluster_network_count(c.h.ptr, &count) }); err != nil {
		return nil, err
	}
	names := make([]string, 0, int(count))
	for i := C.size_t(0); i < count; i++ {
		name, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_cluster_network_name_at(c.h.ptr, i, b, l, out)
		})
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

// Network returns a snapshot of network name.
func (c *Cluster) Network(name string) (NetworkInfo, error) {
	var s *C.overlaynet_network_state
	np, nn := cString(name)
	err := call(func() C.overlaynet_result { return C.overlaynet_cluster_network(c.h.ptr, np, nn, &s) })
	runtime.KeepAlive(c)
	if err != nil {
		return NetworkInfo{}, err
	}
	defer C.overlaynet_network_state_free(s)
	return networkInfo(s)
}

func networkInfo(s *C.overlaynet_network_state) (NetworkInfo, error) {
	var info NetworkInfo
	var err error
	text := func(f func(*C.uint8_t, C.size_t, *C.size_t) C.overlaynet_result) string {
		if err != nil {
			return ""
		}
		var t string
		t, err = readString(f)
		return t
	}
	info.Name = text(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_network_state_name(s, b, l, out)
	})
	var count C.size_t
	var mtu, mtu6, dmtu C.uint32_t
	for _, step := range []func() C.overlaynet_result{
		func() C.overlaynet_result { return C.overlaynet_network_state_subnet_count(s, &count) },
		func() C.overlaynet_result {
			return C.overlaynet_network_state_effective_mtu(s, C.OVERLAYNET_FAMILY_IPV4, &mtu)
		},
		func() C.overlaynet_result {
			return C.overlaynet_network_state_effective_mtu(s, C.OVERLAYNET_FAMILY_IPV6, &mtu6)
		},
		func() C.overlaynet_result { return C.overlaynet_network_state_docker_mtu(s, &dmtu) },
	} {
		if err == nil {
			err = call(step)
		}
	}
	info.MTU, info.MTUIPv6, info.DockerMTU = uint32(mtu), uint32(mtu6), uint32(dmtu)
	for i := C.size_t(0); i < count && err == nil; i++ {
		var sub Subnet
		prefix := text(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_network_state_subnet(s, i, b, l, out)
		})
		gateway := text(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_network_state_gateway(s, i, b, l, out)
		})
		var vni C.uint32_t
		if err == nil {
			err = call(func() C.overlaynet_result { return C.overlaynet_network_state_vni(s, i, &vni) })
		}
		if err == nil {
			sub.Prefix, err = netip.ParsePrefix(prefix)
		}
		if err == nil {
			sub.Gateway, err = netip.ParseAddr(gateway)
		}
		sub.VNI = uint32(vni)
		info.Subnets = append(info.Subnets, sub)
	}
	if err == nil {
		info.DriverOptions, err = fetchOptions(func(out **C.overlaynet_options) C.overlaynet_result {
			return C.overlaynet_network_state_driver_options(s, out)
		})
	}
	if err != nil {
		return NetworkInfo{}, err
	}
	return info, nil
}
