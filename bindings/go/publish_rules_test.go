package overlaynet

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// goldenFullLoad is the full load of allRoles, the same golden the Rust tests check.
const goldenFullLoad = `add table inet overlaynet
delete table inet overlaynet
table inet overlaynet {
	set ingress_ports { type inet_proto . inet_service; elements = { tcp . 8080 } }
	map host_ports4 { type inet_proto . inet_service : ipv4_addr . inet_service; elements = { tcp . 9000 : 172.18.0.7 . 80 } }
	map host_ports6 { type inet_proto . inet_service : ipv6_addr . inet_service; }
	set host_backends4 { type ipv4_addr . inet_proto . inet_service; elements = { 172.18.0.7 . tcp . 80 } }
	set host_backends6 { type ipv6_addr . inet_proto . inet_service; }
	map lb_ports { type inet_proto . inet_service : verdict; elements = { tcp . 8443 : goto svc-256, udp . 53 : goto svc-256 } }
	map lb_vips4 { type ipv4_addr : verdict; elements = { 10.0.0.2 : goto svc-256 } }
	map lb_vips6 { type ipv6_addr : verdict; elements = { fd00::2 : goto svc-256 } }
	map snat4 { type ipv4_addr : ipv4_addr; flags interval; elements = { 10.0.0.0/24 : 10.0.0.3 } }
	map snat6 { type ipv6_addr : ipv6_addr; flags interval; }
	map redirects { type inet_proto . inet_service : inet_service; elements = { tcp . 8080 : 80 } }
	set task_targets { type inet_proto . inet_service; elements = { tcp . 80 } }
	set task_addrs4 { type ipv4_addr; elements = { 10.0.0.5 } }
	set task_addrs6 { type ipv6_addr; }
	chain svc-256 {
		meta nfproto ipv4 dnat ip to numgen random mod 2 map { 0 : 10.0.0.5, 1 : 10.0.0.6 }
		meta nfproto ipv6 dnat ip6 to numgen random mod 1 map { 0 : fd00::5 }
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta nfproto ipv4 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip to 172.18.0.2
		meta nfproto ipv6 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip6 to fd18::2
		meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @host_ports4
		meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @host_ports6
		meta l4proto . th dport vmap @lb_ports
		ip daddr vmap @lb_vips4
		ip6 daddr vmap @lb_vips6
		ip daddr @task_addrs4 meta l4proto { tcp, udp, sctp } redirect to :meta l4proto . th dport map @redirects
		ip6 daddr @task_addrs6 meta l4proto { tcp, udp, sctp } redirect to :meta l4proto . th dport map @redirects
	}
	chain output {
		type nat hook output priority -100; policy accept;
		meta nfproto ipv4 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip to 172.18.0.2
		meta nfproto ipv6 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip6 to fd18::2
		meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @host_ports4
		meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @host_ports6
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "docker_gwbridge" fib saddr type local masquerade
		meta nfproto ipv4 ct status dnat snat ip to ip daddr map @snat4
		meta nfproto ipv6 ct status dnat snat ip6 to ip6 daddr map @snat6
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto . th dport @ingress_ports accept
		meta l4proto . th sport @ingress_ports ct state established,related accept
		ip daddr . meta l4proto . th dport @host_backends4 accept
		ip6 daddr . meta l4proto . th dport @host_backends6 accept
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr @task_addrs4 meta l4proto . th dport @task_targets ct state new,established accept
		ip daddr @task_addrs4 meta l4proto { tcp, udp, sctp } drop
		ip6 daddr @task_addrs6 meta l4proto . th dport @task_targets ct state new,established accept
		ip6 daddr @task_addrs6 meta l4proto { tcp, udp, sctp } drop
	}
	chain filter_output {
		type filter hook output priority filter; policy accept;
		ip saddr @task_addrs4 meta l4proto . th sport @task_targets ct state established accept
		ip saddr @task_addrs4 meta l4proto { tcp, udp, sctp } drop
		ip6 saddr @task_addrs6 meta l4proto . th sport @task_targets ct state established accept
		ip6 saddr @task_addrs6 meta l4proto { tcp, udp, sctp } drop
	}
}
`

// allRoles builds a namespace playing every mesh role, as the Rust golden test does.
func allRoles(t *testing.T) *MeshRules {
	t.Helper()
	m, err := NewMeshRules()
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() (string, error){
		func() (string, error) {
			return m.SetGateway(IngressGateway{
				SandboxV4: netip.MustParseAddr("172.18.0.2"),
				SandboxV6: netip.MustParseAddr("fd18::2"),
				GWBridge:  "docker_gwbridge",
			})
		},
		func() (string, error) { return m.AddIngressPort(TCP, 8080) },
		func() (string, error) {
			return m.AddHostPort(HostPort{Protocol: TCP, HostPort: 9000, Container: netip.MustParseAddr("172.18.0.7"), Target: 80})
		},
		func() (string, error) {
			return m.UpsertLoadBalancer(LoadBalancer{
				FWMark:   256,
				VIPs:     []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00::2")},
				Ports:    []PublishedPort{{TCP, 8443}, {UDP, 53}},
				Backends: []netip.Addr{netip.MustParseAddr("10.0.0.6"), netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")},
			})
		},
		func() (string, error) {
			return m.AddSNAT(netip.MustParsePrefix("10.0.0.0/24"), netip.MustParseAddr("10.0.0.3"))
		},
		func() (string, error) {
			return m.SetTaskRedirects(TaskRedirects{
				Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5")},
				Ports: []PortRedirect{{TCP, 8080, 80}},
			})
		},
	}
	for i, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return m
}

func TestMeshRulesGoldenFullLoad(t *testing.T) {
	m := allRoles(t)
	defer m.Close()
	got, err := m.FullLoad()
	if err != nil {
		t.Fatal(err)
	}
	if got != goldenFullLoad {
		t.Fatalf("full load differs from the golden:\n%s", got)
	}
	if n, err := m.LoadBalancerCount(); err != nil || n != 1 {
		t.Fatalf("load balancers: %d, %v", n, err)
	}
}

func TestMeshRulesIncrementalMatchesTransition(t *testing.T) {
	old := allRoles(t)
	defer old.Close()
	m, err := old.Clone()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	refill, err := m.SetBackends(256, []netip.Addr{netip.MustParseAddr("10.0.0.9")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(refill, "flush chain inet overlaynet svc-256\n") {
		t.Fatalf("backend change: %q", refill)
	}
	unsnat, err := m.RemoveSNAT(netip.MustParsePrefix("10.0.0.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := m.TransitionFrom(old)
	if err != nil || whole != refill+unsnat {
		t.Fatalf("transition %q (%v), incremental %q", whole, err, refill+unsnat)
	}
	// A gateway change is a full load.
	full, err := m.ClearGateway()
	if err != nil || !strings.HasPrefix(full, "add table inet overlaynet\ndelete table inet overlaynet\n") {
		t.Fatalf("clear gateway: %q, %v", full, err)
	}
}

func TestMeshRulesReferenceCountsAndRemovals(t *testing.T) {
	m, err := NewMeshRules()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	script := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := script(m.AddIngressPort(UDP, 53)); s != "add element inet overlaynet ingress_ports { udp . 53 }\n" {
		t.Fatalf("add: %q", s)
	}
	if s := script(m.AddIngressPort(UDP, 53)); s != "" {
		t.Fatalf("second add: %q", s)
	}
	if s := script(m.RemoveIngressPort(UDP, 53)); s != "" {
		t.Fatalf("first remove: %q", s)
	}
	if s := script(m.RemoveIngressPort(UDP, 53)); s != "delete element inet overlaynet ingress_ports { udp . 53 }\n" {
		t.Fatalf("last remove: %q", s)
	}
	hp := HostPort{Protocol: SCTP, HostPort: 9000, Container: netip.MustParseAddr("fd00::7"), Target: 80}
	if s := script(m.AddHostPort(hp)); !strings.Contains(s, "host_ports6 { sctp . 9000 : fd00::7 . 80 }") {
		t.Fatalf("host port: %q", s)
	}
	if s := script(m.RemoveHostPort(SCTP, 9000)); !strings.HasPrefix(s, "delete element") {
		t.Fatalf("remove host port: %q", s)
	}
	lb := LoadBalancer{FWMark: 300, VIPs: []netip.Addr{netip.MustParseAddr("10.9.0.2")}, Ports: []PublishedPort{{TCP, 80}}}
	script(m.UpsertLoadBalancer(lb))
	if s := script(m.RemoveLoadBalancer(300)); !strings.Contains(s, "delete chain inet overlaynet svc-300") {
		t.Fatalf("remove lb: %q", s)
	}
	if s := script(m.RemoveLoadBalancer(300)); s != "" {
		t.Fatalf("second remove lb: %q", s)
	}
}

func TestMeshRulesFailuresChangeNothing(t *testing.T) {
	m := allRoles(t)
	defer m.Close()
	before, err := m.FullLoad()
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.AddHostPort(HostPort{Protocol: TCP, HostPort: 8080, Container: netip.MustParseAddr("172.18.0.9"), Target: 80})
	wantError(t, err, ErrConflict, "port 8080/tcp is already published by an ingress port")
	_, err = m.UpsertLoadBalancer(LoadBalancer{FWMark: 257, VIPs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}})
	wantError(t, err, ErrConflict, "VIP 10.0.0.2 is already used by load balancer 256")
	_, err = m.SetBackends(999, nil)
	wantError(t, err, ErrNotFound, "no load balancer with fwmark 999")
	_, err = m.AddSNAT(netip.MustParsePrefix("10.0.0.128/25"), netip.MustParseAddr("10.0.0.3"))
	wantError(t, err, ErrConflict, "subnet 10.0.0.128/25 overlaps 10.0.0.0/24")
	_, err = m.AddSNAT(netip.MustParsePrefix("fd00::/64"), netip.MustParseAddr("10.0.0.3"))
	wantError(t, err, ErrInvalidInput, "address family mismatch: fd00::/64 and 10.0.0.3")
	_, err = m.SetGateway(IngressGateway{GWBridge: "docker_gwbridge"})
	wantError(t, err, ErrInvalidInput, "the ingress sandbox needs a docker_gwbridge address (IPv4, IPv6 or both)")
	_, err = m.SetGateway(IngressGateway{SandboxV4: netip.MustParseAddr("fd00::1"), GWBridge: "gw"})
	wantError(t, err, ErrInvalidInput, "sandbox_v4 must be an IPv4 address")
	_, err = m.SetTaskRedirects(TaskRedirects{Ports: []PortRedirect{{TCP, 1, 2}, {TCP, 1, 3}}})
	wantError(t, err, ErrConflict, "port 1/tcp is already published by a redirect to port 2")
	_, err = m.AddIngressPort(ESP, 1)
	if !errors.Is(err, ErrInvalidEnum) {
		t.Fatalf("ESP port: %v", err)
	}
	after, err := m.FullLoad()
	if err != nil || after != before {
		t.Fatalf("state changed after failures (%v)", err)
	}
}
