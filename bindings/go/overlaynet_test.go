package overlaynet

import (
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func mustCluster(t *testing.T) *Cluster {
	t.Helper()
	c, err := NewCluster(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestValidationErrorsCarryCodeAndDockerText(t *testing.T) {
	_, err := NewOverlayNetwork(OverlaySpec{
		Name: "bad",
		IPAM: []IPAMConfig{{Subnet: netip.MustParsePrefix("10.20.0.0/24"), Gateway: netip.MustParseAddr("10.30.0.1")}},
	})
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("err = %v, want ErrInvalidInput", err)
	}
	want := "invalid gateway 10.30.0.1: parent subnet 10.20.0.0/24 doesn't contain this address"
	var e *Error
	if !errors.As(err, &e) || e.Message != want {
		t.Fatalf("message = %q, want %q", e.Message, want)
	}
}

func TestInvalidUTF8FromGoStrings(t *testing.T) {
	_, err := NewOverlayNetwork(OverlaySpec{Name: "bad\xff"})
	if !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "name is not valid UTF-8") {
		t.Fatalf("err = %v", err)
	}
}

func TestOverlaySpecReadsBack(t *testing.T) {
	n, err := NewOverlayNetwork(OverlaySpec{Name: "web", Attachable: true, MTU: 1400, Labels: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	attachable, _ := n.Attachable()
	internal, _ := n.Internal()
	mtu, _ := n.MTU()
	labels, err := n.Labels()
	if !attachable || internal || mtu != 1400 || err != nil || labels["team"] != "a" || len(labels) != 1 {
		t.Fatalf("read back: %v %v %v %v %v", attachable, internal, mtu, labels, err)
	}
}

func TestUseAfterCloseIsAnErrorNotACrash(t *testing.T) {
	n, err := NewOverlayNetwork(OverlaySpec{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if name, err := n.Name(); err != nil || name != "web" {
		t.Fatalf("Name() = %q, %v", name, err)
	}
	n.Close()
	n.Close() // twice is fine
	if _, err := n.Name(); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("after Close: %v", err)
	}
	c := mustCluster(t)
	if err := c.CreateOverlay(n); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("CreateOverlay(closed) = %v", err)
	}
}

func TestClusterRulesMapToCodes(t *testing.T) {
	c := mustCluster(t)
	app, err := NewOverlayNetwork(OverlaySpec{
		Name:       "app",
		IPAM:       []IPAMConfig{{Subnet: netip.MustParsePrefix("10.10.1.0/24")}},
		Encryption: EncryptionHardened,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := c.CreateOverlay(app); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateOverlay(app); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	win, err := NewNodeConfig(NodeSpec{ID: "w1", AdvertiseAddr: netip.MustParseAddr("192.168.0.5"), OS: Windows})
	if err != nil {
		t.Fatal(err)
	}
	defer win.Close()
	if err := c.AddNode(win); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "node w1 runs Windows") {
		t.Fatalf("windows node: %v", err)
	}
	if _, err := c.AllocateEndpoint("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing network: %v", err)
	}
	ep, err := c.AllocateEndpoint("app")
	if err != nil {
		t.Fatal(err)
	}
	if ep.Address.String() != "10.10.1.2/24" || ep.MAC.String() != "02:42:0a:0a:01:02" || ep.VNI != 4096 {
		t.Fatalf("endpoint = %+v", ep)
	}
	if err := c.ReleaseEndpoint("app", ep.Address.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := c.ReleaseEndpoint("app", ep.Address.Addr()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("double release: %v", err)
	}
	if names, err := c.Networks(); err != nil || len(names) != 1 || names[0] != "app" {
		t.Fatalf("Networks() = %v, %v", names, err)
	}
	info, err := c.Network("app")
	if err != nil {
		t.Fatal(err)
	}
	if info.MTU != 1416 || info.DockerMTU != 1424 || len(info.Subnets) != 1 ||
		info.DriverOptions["com.docker.network.driver.overlay.vxlanid_list"] != "4096" {
		t.Fatalf("info = %+v", info)
	}
}

func TestOptionMapRoundTrip(t *testing.T) {
	in := map[string]string{
		"encrypted":                     "",
		"com.docker.network.driver.mtu": "1400",
		"com.docker.network.driver.overlay.vxlanid_list": "4100",
		"dsr": "true",
	}
	n, err := NewOverlayNetworkFromOptions("mesh", in)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if enc, _ := n.Encryption(); enc != EncryptionDockerCompatible {
		t.Fatalf("encryption = %v", enc)
	}
	out, err := n.DriverOptions()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if out[k] != v {
			t.Errorf("option %s = %q, want %q (all: %v)", k, out[k], v, out)
		}
	}
	if _, err := NewOverlayNetworkFromOptions("mesh", map[string]string{"com.docker.network.driver.mtu": "x"}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad mtu: %v", err)
	}
}

func TestGwBridgeAndIngress(t *testing.T) {
	gw, err := NewGwBridgeNetwork(GwBridgeSpec{IPAM: &IPAMConfig{Subnet: netip.MustParsePrefix("172.18.0.0/16")}})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	if name, _ := gw.BridgeName(); name != "docker_gwbridge" {
		t.Fatalf("bridge = %q", name)
	}
	if s, err := gw.Subnet(); err != nil || s.String() != "172.18.0.0/16" {
		t.Fatalf("subnet = %v, %v", s, err)
	}
	if g, err := gw.Gateway(); err != nil || g.String() != "172.18.0.1" {
		t.Fatalf("gateway = %v, %v", g, err)
	}
	opts, _ := gw.DriverOptions()
	if opts["com.docker.network.bridge.enable_icc"] != "false" || opts["com.docker.network.bridge.enable_ip_masquerade"] != "true" {
		t.Fatalf("options = %v", opts)
	}
	again, err := NewGwBridgeNetworkFromOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	if _, err := NewIngressNetwork(IngressSpec{Attachable: true}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("attachable ingress: %v", err)
	}
	in, err := NewIngressNetwork(IngressSpec{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ov, err := in.Overlay()
	if err != nil {
		t.Fatal(err)
	}
	defer ov.Close()
	if is, _ := ov.Ingress(); !is {
		t.Fatal("ingress network's overlay view is not marked ingress")
	}
	if name, _ := ov.Name(); name != "ingress" {
		t.Fatalf("ingress name = %q", name)
	}
}

func TestVNIsAndMTU(t *testing.T) {
	vnis, err := ParseVNIList("1,2,3,4,5,6,7,8,9,10")
	if err != nil || len(vnis) != 10 || vnis[9] != 10 {
		t.Fatalf("ParseVNIList = %v, %v", vnis, err)
	}
	if _, err := ParseVNIList("4097,x"); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), `invalid vxlan id value "x" passed`) {
		t.Fatalf("bad list: %v", err)
	}
	if s, err := FormatVNIList([]uint32{4097, 4098}); err != nil || s != "4097,4098" {
		t.Fatalf("FormatVNIList = %q, %v", s, err)
	}
	a, err := NewVNIAllocator()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if v, _ := a.Allocate(); v != 4096 {
		t.Fatalf("first VNI = %d", v)
	}
	if err := a.Reserve(4096); !errors.Is(err, ErrConflict) {
		t.Fatalf("reserve taken: %v", err)
	}
	for _, tc := range []struct {
		option    uint32
		encrypted bool
		want      uint32
	}{{0, false, 1450}, {0, true, 1424}, {1400, true, 1324}, {9000, false, 8950}} {
		if got, err := DockerMTU(tc.option, tc.encrypted); err != nil || got != tc.want {
			t.Errorf("DockerMTU(%d, %v) = %d, %v; want %d", tc.option, tc.encrypted, got, err, tc.want)
		}
	}
	if _, err := EffectiveMTU(1500, Encryption(9), IPv4); !errors.Is(err, ErrInvalidEnum) {
		t.Fatalf("bad enum: %v", err)
	}
	if _, err := ParseMTUOption("-5"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("negative mtu: %v", err)
	}
}

func TestNodeConfig(t *testing.T) {
	n, err := NewNodeConfig(NodeSpec{
		ID:            "n1",
		AdvertiseAddr: netip.MustParseAddr("192.168.1.10"),
		DataPathAddr:  netip.MustParseAddr("10.99.0.10"),
		ListenAddr:    netip.MustParseAddrPort("0.0.0.0:2377"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if v, _ := n.VTEP(); v.String() != "10.99.0.10" {
		t.Fatalf("VTEP = %v", v)
	}
	id, _ := n.ID()
	listen, _ := n.ListenAddr()
	os, _ := n.OS()
	if id != "n1" || listen.String() != "0.0.0.0:2377" || os != Linux {
		t.Fatalf("id %q listen %v os %v", id, listen, os)
	}
	if p, _ := n.DataPathPort(); p != 4789 {
		t.Fatalf("port = %d", p)
	}
	rules, err := n.FirewallRules(true)
	if err != nil || len(rules) != 5 || rules[4] != (FirewallRule{Protocol: ESP}) {
		t.Fatalf("rules = %v, %v", rules, err)
	}
	text, err := n.FirewallNftables(true)
	if err != nil || !strings.Contains(text, "table inet overlaynet") {
		t.Fatalf("nftables = %q, %v", text, err)
	}
	if _, err := NewNodeConfig(NodeSpec{ID: "n2", AdvertiseAddr: netip.MustParseAddr("192.168.1.11"), DataPathPort: 80}); !errors.Is(err, ErrInvalidInput) ||
		!strings.Contains(err.Error(), "Datapath port number is not in valid range (1024-49151) : 80") {
		t.Fatalf("bad port: %v", err)
	}
}

// Handles used from many goroutines (one handle each) and abandoned without Close: the race
// detector sees no Go-side race and the cleanups free the native objects.
func TestConcurrentUseAndCleanups(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				c, err := NewCluster(nil, 0)
				if err != nil {
					t.Error(err)
					return
				}
				n, err := NewOverlayNetwork(OverlaySpec{Name: "net"})
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.CreateOverlay(n); err != nil {
					t.Error(err)
					return
				}
				// Failures on this goroutine must report their own message.
				if err := c.CreateOverlay(n); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "network with name net already exists") {
					t.Errorf("duplicate: %v", err)
					return
				}
				if i%2 == 0 {
					c.Close()
					n.Close()
				} // the rest are left to the cleanups
			}
		}()
	}
	wg.Wait()
	runtime.GC()
	runtime.GC()
}
