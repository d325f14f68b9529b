package overlaynet_test

import (
	"fmt"
	"net/netip"

	"overlaynet.dev/go/overlaynet"
)

// The quickstart: an encrypted overlay with two subnets and the ingress network registered in
// a cluster, endpoint addresses allocated, and a rejected input.
func Example() {
	cluster, err := overlaynet.NewCluster(nil, 0)
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	app, err := overlaynet.NewOverlayNetwork(overlaynet.OverlaySpec{
		Name: "app",
		IPAM: []overlaynet.IPAMConfig{
			{Subnet: netip.MustParsePrefix("10.10.1.0/24"), Gateway: netip.MustParseAddr("10.10.1.254")},
			{Subnet: netip.MustParsePrefix("10.10.2.0/24")},
		},
		Encryption: overlaynet.EncryptionHardened,
		Attachable: true,
	})
	if err != nil {
		panic(err)
	}
	defer app.Close()
	if err := cluster.CreateOverlay(app); err != nil {
		panic(err)
	}

	ingress, err := overlaynet.NewIngressNetwork(overlaynet.IngressSpec{})
	if err != nil {
		panic(err)
	}
	defer ingress.Close()
	if err := cluster.CreateIngress(ingress); err != nil {
		panic(err)
	}

	for i := 0; i < 2; i++ {
		ep, err := cluster.AllocateEndpoint("app")
		if err != nil {
			panic(err)
		}
		fmt.Println("endpoint", ep.Address, ep.MAC, "vni", ep.VNI)
	}

	info, err := cluster.Network("app")
	if err != nil {
		panic(err)
	}
	fmt.Println("mtu", info.MTU, "docker would use", info.DockerMTU)
	for _, s := range info.Subnets {
		fmt.Println("subnet", s.Prefix, "gateway", s.Gateway, "vni", s.VNI)
	}
	fmt.Println("vxlanid_list", info.DriverOptions["com.docker.network.driver.overlay.vxlanid_list"])

	second, err := overlaynet.NewIngressNetwork(overlaynet.IngressSpec{Name: "ingress2"})
	if err != nil {
		panic(err)
	}
	defer second.Close()
	fmt.Println(cluster.CreateIngress(second))
	// Output:
	// endpoint 10.10.1.1/24 02:42:0a:0a:01:01 vni 4096
	// endpoint 10.10.1.2/24 02:42:0a:0a:01:02 vni 4096
	// mtu 1416 docker would use 1424
	// subnet 10.10.1.0/24 gateway 10.10.1.254 vni 4096
	// subnet 10.10.2.0/24 gateway 10.10.2.1 vni 4097
	// vxlanid_list 4096,4097
	// overlaynet: ingress network (ingress) is already present
}

// Docker's MTU table and the corrected value for an IPv6 underlay.
func ExampleDockerMTU() {
	docker, _ := overlaynet.DockerMTU(0, true)
	ipv6, _ := overlaynet.EffectiveMTU(0, overlaynet.EncryptionDockerCompatible, overlaynet.IPv6)
	fmt.Println(docker, ipv6)
	// Output: 1424 1404
}

// A worker receives a network as Docker's option map.
func ExampleNewOverlayNetworkFromOptions() {
	network, err := overlaynet.NewOverlayNetworkFromOptions("web", map[string]string{
		"encrypted": "",
		"com.docker.network.driver.overlay.vxlanid_list": "4097",
	})
	if err != nil {
		panic(err)
	}
	defer network.Close()
	encryption, _ := network.Encryption()
	fmt.Println(encryption == overlaynet.EncryptionDockerCompatible)
	// Output: true
}

// The ports a node must open.
func ExampleNodeConfig_FirewallRules() {
	node, err := overlaynet.NewNodeConfig(overlaynet.NodeSpec{ID: "n1", AdvertiseAddr: netip.MustParseAddr("192.168.1.10")})
	if err != nil {
		panic(err)
	}
	defer node.Close()
	rules, _ := node.FirewallRules(true)
	for _, r := range rules {
		fmt.Println(r.Protocol, r.Port)
	}
	// Output:
	// 6 2377
	// 6 7946
	// 17 7946
	// 17 4789
	// 50 0
}
