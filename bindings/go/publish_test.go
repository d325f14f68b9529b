package overlaynet

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// wantError checks a failed call's code and exact message.
func wantError(t *testing.T, err error, code Code, message string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code || e.Message != message {
		t.Fatalf("got %v, want %d %q", err, code, message)
	}
}

func TestParseRunPortGolden(t *testing.T) {
	got, err := ParseRunPort("127.0.0.1:8000-8001:80-81/udp")
	if err != nil {
		t.Fatal(err)
	}
	want := []RunPortMapping{
		{ContainerPort: 80, Protocol: UDP, HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: &PortRange{8000, 8000}},
		{ContainerPort: 81, Protocol: UDP, HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: &PortRange{8001, 8001}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	// More mappings than the first buffer holds.
	many, err := ParseRunPort("1000-1019")
	if err != nil || len(many) != 20 || many[19].ContainerPort != 1019 || many[19].HostPort != nil {
		t.Fatalf("got %v, %v", many, err)
	}
	for _, value := range []string{"[::1]::80/sctp", "8000-8010:80/tcp", ":80/tcp", "10.0.0.1:0:80/udp"} {
		m, err := ParseRunPort(value)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseRunPort(m[0].String())
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("%s -> %s -> %v, %v", value, m[0], back, err)
		}
	}
	if s := (RunPortMapping{ContainerPort: 80, Protocol: TCP, HostIP: netip.MustParseAddr("::1"), HostPort: &PortRange{8080, 8080}}).String(); s != "[::1]:8080:80/tcp" {
		t.Fatalf("String() = %q", s)
	}
	_, err = ParseRunPort("8080:80-82")
	wantError(t, err, ErrInvalidInput, "invalid ranges specified for container and host Ports: 80-82 and 8080")
	_, err = ParseRunPort("published=8080,target")
	wantError(t, err, ErrInvalidInput, "invalid publish opts format (should be name=value but got 'target')")
	_, err = ParseRunPort("80\xff")
	wantError(t, err, ErrInvalidUTF8, "value is not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 2")
	if s := (RunPortMapping{ContainerPort: 1, Protocol: ESP}).String(); !strings.HasPrefix(s, "%!(") {
		t.Fatalf("String() of an ESP mapping = %q", s)
	}
}

func TestParseServicePortGolden(t *testing.T) {
	cases := map[string][]string{
		"8080:80":         {"8080:80/tcp/ingress"},
		"80":              {"0:80/tcp/ingress"},
		"8000-8002:80-82": {"8000:80/tcp/ingress", "8001:81/tcp/ingress", "8002:82/tcp/ingress"},
		"published=8080,target=80,protocol=udp,mode=host": {"8080:80/udp/host"},
		"8080:80/sctp": {"8080:80/sctp/ingress"},
	}
	for value, want := range cases {
		ports, err := ParseServicePort(value)
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		var got []string
		for _, p := range ports {
			got = append(got, p.String())
			spec, err := p.Spec()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseServicePort(spec)
			if err != nil || len(back) != 1 || back[0] != p {
				t.Fatalf("%v -> %q -> %v, %v", p, spec, back, err)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", value, got, want)
		}
	}
	_, err := ParseServicePort("127.0.0.1:8080:80")
	wantError(t, err, ErrInvalidInput, "hostip is not supported")
	_, err = ParseServicePort("target=70000")
	wantError(t, err, ErrInvalidInput, "invalid target port (70000): value must be an integer: value out of range")
	_, err = PortConfig{Protocol: TCP, Target: 80, Mode: 2}.Spec()
	wantError(t, err, ErrInvalidEnum, "mode: 2 is not a defined value")
}

func TestValidateEndpointSpec(t *testing.T) {
	web := PortConfig{Protocol: TCP, Target: 80, Published: 8080}
	if err := ValidateEndpointSpec(EndpointVIP, []PortConfig{web, {Protocol: UDP, Target: 80, Published: 8080}}); err != nil {
		t.Fatal(err)
	}
	err := ValidateEndpointSpec(EndpointVIP, []PortConfig{web, web})
	wantError(t, err, ErrInvalidInput, "EndpointSpec: duplicate published ports provided")
	err = ValidateEndpointSpec(EndpointDNSRR, []PortConfig{web})
	wantError(t, err, ErrInvalidInput, "EndpointSpec: port published with ingress mode can't be used with dnsrr mode")
	if err := ValidateEndpointSpec(EndpointDNSRR, []PortConfig{{Protocol: TCP, Target: 80, Published: 8080, Mode: PublishHost}}); err != nil {
		t.Fatal(err)
	}
	err = ValidateEndpointSpec(EndpointMode(5), nil)
	wantError(t, err, ErrInvalidEnum, "mode: 5 is not a defined value")
	err = ValidateEndpointSpec(EndpointVIP, []PortConfig{{Protocol: ESP, Target: 1}})
	wantError(t, err, ErrInvalidEnum, "protocol: 50 is not a port protocol (TCP 6, UDP 17 or SCTP 132)")
}

func TestPortAllocator(t *testing.T) {
	a, err := NewPortAllocator()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spec := []PortConfig{{Name: "http", Protocol: TCP, Target: 80}, {Protocol: UDP, Target: 53, Published: 5353}}
	ports, err := a.Allocate("web", spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []PortConfig{{Name: "http", Protocol: TCP, Target: 80, Published: DynamicPortStart}, spec[1]}
	if !reflect.DeepEqual(ports, want) {
		t.Fatalf("got %+v", ports)
	}
	// An update keeps the dynamic port.
	if again, err := a.Allocate("web", spec[:1]); err != nil || again[0].Published != DynamicPortStart {
		t.Fatalf("update: %v, %v", again, err)
	}
	if _, err := a.Allocate("web", spec); err != nil {
		t.Fatal(err)
	}
	_, err = a.Allocate("dns", spec[1:])
	wantError(t, err, ErrConflict, "port '5353/udp' is already in use by service 'web' as an ingress port")
	// The failed allocation changed nothing.
	if _, err := a.Ports("dns"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dns has ports: %v", err)
	}
	if owner, err := a.Owner(UDP, 5353); err != nil || owner != "web" {
		t.Fatalf("owner %q, %v", owner, err)
	}
	if _, err := a.Owner(TCP, 5353); !errors.Is(err, ErrNotFound) {
		t.Fatalf("free port: %v", err)
	}
	if got, err := a.Ports("web"); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ports %v, %v", got, err)
	}
	if released, err := a.Release("web"); err != nil || !released {
		t.Fatalf("release: %v, %v", released, err)
	}
	if released, err := a.Release("web"); err != nil || released {
		t.Fatalf("second release: %v, %v", released, err)
	}
	if _, err := a.Allocate("dns", spec[1:]); err != nil {
		t.Fatal(err)
	}
}

func TestPortAllocatorExhaustion(t *testing.T) {
	a, err := NewPortAllocator()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spec := make([]PortConfig, DynamicPortEnd-DynamicPortStart+1)
	for i := range spec {
		spec[i] = PortConfig{Protocol: SCTP, Target: uint16(i + 1)}
	}
	if _, err := a.Allocate("big", spec); err != nil {
		t.Fatal(err)
	}
	_, err = a.Allocate("one", spec[:1])
	wantError(t, err, ErrExhausted, "no free sctp port left in the dynamic range 30000-32767")
}

func TestServiceResolver(t *testing.T) {
	tasks := []netip.Addr{netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("10.0.0.4"), netip.MustParseAddr("fd00::5")}
	resolve := func(seed uint64, n int) [][]netip.Addr {
		r, err := NewServiceResolver(seed)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.SetService("db", EndpointDNSRR, netip.Addr{}); err != nil {
			t.Fatal(err)
		}
		if err := r.SetTasks("db", tasks); err != nil {
			t.Fatal(err)
		}
		var answers [][]netip.Addr
		for i := 0; i < n; i++ {
			a, err := r.Resolve("DB.")
			if err != nil {
				t.Fatal(err)
			}
			answers = append(answers, a)
		}
		return answers
	}
	a, b := resolve(1, 10), resolve(1, 10)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("equal seeds gave different answers")
	}
	orders := map[string]bool{}
	for _, answer := range a {
		if len(answer) != 3 {
			t.Fatalf("answer %v", answer)
		}
		orders[fmt.Sprint(answer)] = true
	}
	if len(orders) < 2 {
		t.Fatal("DNSRR answers never change order")
	}

	r, err := NewServiceResolver(7)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	vip := netip.MustParseAddr("10.0.0.2")
	if err := r.SetService("web", EndpointVIP, vip); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Resolve("web"); err != nil || !reflect.DeepEqual(got, []netip.Addr{vip}) {
		t.Fatalf("web: %v, %v", got, err)
	}
	if got, err := r.Resolve("tasks.web"); err != nil || len(got) != 0 {
		t.Fatalf("tasks.web without tasks: %v, %v", got, err)
	}
	_, err = r.Resolve("nope")
	wantError(t, err, ErrNotFound, `no service answers for "nope" (NXDOMAIN)`)
	err = r.SetTasks("web", []netip.Addr{{}})
	wantError(t, err, ErrInvalidEnum, "tasks: family 0 is not a defined value (4 or 6)")
	if removed, err := r.RemoveService("web"); err != nil || !removed {
		t.Fatalf("remove: %v, %v", removed, err)
	}
	if _, err := r.Resolve("web"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed service resolves: %v", err)
	}
}

func TestUseAfterCloseFailsCleanly(t *testing.T) {
	a, _ := NewPortAllocator()
	a.Close()
	a.Close()
	if _, err := a.Allocate("web", nil); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("allocate after close: %v", err)
	}
	r, _ := NewServiceResolver(0)
	r.Close()
	if _, err := r.Resolve("x"); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("resolve after close: %v", err)
	}
	m, _ := NewMeshRules()
	m.Close()
	if _, err := m.FullLoad(); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("full load after close: %v", err)
	}
}
