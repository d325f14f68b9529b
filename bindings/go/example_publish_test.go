package overlaynet_test

import (
	"errors"
	"fmt"
	"net/netip"

	"overlaynet.dev/go/overlaynet"
)

// Parsing docker service create -p values, validating the endpoint spec and allocating the
// ingress ports cluster-wide: published 0 gets a port of the dynamic range.
func ExamplePortAllocator() {
	var spec []overlaynet.PortConfig
	for _, value := range []string{"8080:80", "published=0,target=443", "53/udp"} {
		ports, err := overlaynet.ParseServicePort(value)
		if err != nil {
			panic(err)
		}
		spec = append(spec, ports...)
	}
	if err := overlaynet.ValidateEndpointSpec(overlaynet.EndpointVIP, spec); err != nil {
		panic(err)
	}

	allocator, err := overlaynet.NewPortAllocator()
	if err != nil {
		panic(err)
	}
	defer allocator.Close()
	ports, err := allocator.Allocate("web", spec)
	if err != nil {
		panic(err)
	}
	for _, p := range ports {
		fmt.Println(p)
	}
	_, err = allocator.Allocate("other", spec[:1])
	fmt.Println(errors.Is(err, overlaynet.ErrConflict), err)
	// Output:
	// 8080:80/tcp/ingress
	// 30000:443/tcp/ingress
	// 30000:53/udp/ingress
	// true overlaynet: port '8080/tcp' is already in use by service 'web' as an ingress port
}

// docker run -p values, one mapping per container port.
func ExampleParseRunPort() {
	mappings, err := overlaynet.ParseRunPort("127.0.0.1:8000-8001:80-81/udp")
	if err != nil {
		panic(err)
	}
	for _, m := range mappings {
		fmt.Println(m.ContainerPort, m.HostIP, *m.HostPort, m)
	}
	_, err = overlaynet.ParseRunPort("8080:80/icmp")
	fmt.Println(err)
	// Output:
	// 80 127.0.0.1 {8000 8000} 127.0.0.1:8000:80/udp
	// 81 127.0.0.1 {8001 8001} 127.0.0.1:8001:81/udp
	// overlaynet: invalid proto: icmp
}

// A network's service names: the VIP for a VIP-mode service, the task addresses for
// tasks.<name>, NXDOMAIN for unknown names.
func ExampleServiceResolver() {
	resolver, err := overlaynet.NewServiceResolver(42)
	if err != nil {
		panic(err)
	}
	defer resolver.Close()
	if err := resolver.SetService("web", overlaynet.EndpointVIP, netip.MustParseAddr("10.0.0.2")); err != nil {
		panic(err)
	}
	if err := resolver.SetTasks("web", []netip.Addr{netip.MustParseAddr("10.0.0.3")}); err != nil {
		panic(err)
	}
	for _, name := range []string{"web", "tasks.web", "db"} {
		addrs, err := resolver.Resolve(name)
		fmt.Println(name, addrs, errors.Is(err, overlaynet.ErrNotFound))
	}
	// Output:
	// web [10.0.0.2] false
	// tasks.web [10.0.0.3] false
	// db [] true
}

// The routing mesh as nftables scripts: a host publishing an ingress port, then the
// incremental change when a second port is published.
func ExampleMeshRules() {
	rules, err := overlaynet.NewMeshRules()
	if err != nil {
		panic(err)
	}
	defer rules.Close()
	if _, err := rules.SetGateway(overlaynet.IngressGateway{
		SandboxV4: netip.MustParseAddr("172.18.0.2"),
		GWBridge:  "docker_gwbridge",
	}); err != nil {
		panic(err)
	}
	script, err := rules.AddIngressPort(overlaynet.TCP, 8080)
	if err != nil {
		panic(err)
	}
	fmt.Print(script) // apply with nft -f
	_, err = rules.AddHostPort(overlaynet.HostPort{
		Protocol: overlaynet.TCP, HostPort: 8080, Container: netip.MustParseAddr("172.18.0.7"), Target: 80,
	})
	fmt.Println(err)
	// Output:
	// add element inet overlaynet ingress_ports { tcp . 8080 }
	// overlaynet: port 8080/tcp is already published by an ingress port
}
