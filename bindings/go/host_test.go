package overlaynet_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"overlaynet.dev/go/overlaynet"
)

// hostNetID is the network id both simulated hosts use.
const hostNetID = "k3jd8s0a2bq9x"

// simHost is one simulated node: its engine and its simulated kernel.
type simHost struct {
	host   *overlaynet.Host
	kernel *overlaynet.Kernel
}

// newSimHosts builds overlay network "app" (10.10.1.0/24) in a cluster and one engine with
// a simulated kernel per VTEP, each with the network created.
func newSimHosts(t *testing.T, vteps ...string) []simHost {
	t.Helper()
	cluster, err := overlaynet.NewCluster(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() })
	app, err := overlaynet.NewOverlayNetwork(overlaynet.OverlaySpec{
		Name: "app",
		IPAM: []overlaynet.IPAMConfig{{Subnet: netip.MustParsePrefix("10.10.1.0/24")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := cluster.CreateOverlay(app); err != nil {
		t.Fatal(err)
	}
	var out []simHost
	for i, vtep := range vteps {
		node, err := overlaynet.NewNodeConfig(overlaynet.NodeSpec{
			ID:            "node-" + string(rune('a'+i)),
			AdvertiseAddr: netip.MustParseAddr(vtep),
		})
		if err != nil {
			t.Fatal(err)
		}
		host, err := overlaynet.NewHost(node, overlaynet.DataPathHardened)
		node.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { host.Close() })
		if err := host.CreateNetwork(hostNetID, cluster, "app"); err != nil {
			t.Fatal(err)
		}
		kernel, err := overlaynet.NewSimKernel(host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kernel.Close() })
		out = append(out, simHost{host, kernel})
	}
	return out
}

// sendRecords delivers every record `from` publishes to `to` as NetworkDB create events, as
// protobuf bytes; it returns how many `to` applied.
func sendRecords(t *testing.T, from, to *overlaynet.Host) int {
	t.Helper()
	records, err := from.LocalRecords(hostNetID)
	if err != nil {
		t.Fatal(err)
	}
	applied := 0
	for _, r := range records {
		u, err := to.ApplyPeerEvent(hostNetID, r.EndpointID, overlaynet.PeerEventCreate, r.Value, nil)
		if err != nil {
			t.Fatal(err)
		}
		if u.Outcome.Kind == overlaynet.PeerEventApplied {
			applied++
		}
	}
	return applied
}

// reconcileOK runs one reconcile round that must succeed.
func reconcileOK(t *testing.T, s simHost) overlaynet.ReconcileReport {
	t.Helper()
	r, err := s.host.Reconcile(s.kernel)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Success {
		t.Fatalf("reconcile failed:\n%s", r.Text)
	}
	return r
}

func joinSim(t *testing.T, h *overlaynet.Host, eid, address, netns string) overlaynet.PeerRecord {
	t.Helper()
	rec, err := h.Join(hostNetID, overlaynet.JoinRequest{
		EndpointID:     eid,
		Address:        netip.MustParsePrefix(address),
		ContainerNetns: netns,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestHostTwoSimulatedHosts(t *testing.T) {
	hs := newSimHosts(t, "192.0.2.1", "192.0.2.2")
	a, b := hs[0], hs[1]
	recA := joinSim(t, a.host, "ep-a1", "10.10.1.2/24", "ctr-a1")
	joinSim(t, b.host, "ep-b1", "10.10.1.3/24", "ctr-b1")
	if recA.TunnelEndpointIP != netip.MustParseAddr("192.0.2.1") || recA.EndpointMAC.String() != "02:42:0a:0a:01:02" {
		t.Fatalf("join record %+v", recA)
	}
	if n := sendRecords(t, a.host, b.host); n != 1 {
		t.Fatalf("b applied %d records", n)
	}
	if n := sendRecords(t, b.host, a.host); n != 1 {
		t.Fatalf("a applied %d records", n)
	}
	if n := sendRecords(t, a.host, a.host); n != 0 {
		t.Fatalf("a applied %d of its own records", n)
	}

	// A dry run: the JSON plan parses and has one entry per operation.
	plan, err := a.host.Plan(a.kernel)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	n, err := plan.Len()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := plan.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Ops []json.RawMessage `json:"ops"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, raw)
	}
	text, err := plan.Text()
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.Ops) != n || n == 0 || !strings.Contains(text, "fdb add 02:42:0a:0a:01:03 dev vxlan0 dst 192.0.2.2") {
		t.Fatalf("%d ops in JSON, Len %d, text:\n%s", len(parsed.Ops), n, text)
	}

	// Reconcile does what the plan said; the next round has nothing to do.
	if r := reconcileOK(t, a); r.Operations != n || r.Done != n || r.InSync {
		t.Fatalf("report %+v", r)
	}
	reconcileOK(t, b)
	if r := reconcileOK(t, a); !r.InSync || r.Text != "" {
		t.Fatalf("second round %+v", r)
	}
	e, err := a.host.Explain(a.kernel, hostNetID, "ep-a1", netip.MustParseAddr("10.10.1.3"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Verdict != overlaynet.VerdictOK || len(e.Hops) < 5 || !strings.Contains(e.Text, "fdb") {
		t.Fatalf("explain %+v", e)
	}

	// Drift behind the engine's back is repaired by one round.
	changed, err := a.kernel.SimDrift(42, 5)
	if err != nil || changed == 0 {
		t.Fatalf("drift: %d changes, %v", changed, err)
	}
	if r := reconcileOK(t, a); r.InSync {
		t.Fatal("drift went unnoticed")
	}
	if r := reconcileOK(t, a); !r.InSync {
		t.Fatalf("drift not repaired in one round:\n%s", r.Text)
	}

	// ep-b1 leaves; b withdraws its record and a applies the delete: the path is broken at
	// the peer table.
	gone, err := b.host.Leave(hostNetID, "ep-b1")
	if err != nil {
		t.Fatal(err)
	}
	value, err := gone.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.host.ApplyPeerEvent(hostNetID, "ep-b1", overlaynet.PeerEventDelete, value, nil)
	if err != nil || u.Outcome.Removed != overlaynet.PeerRemovedEntry || u.Touched != 2 {
		t.Fatalf("delete event: %+v, %v", u, err)
	}
	reconcileOK(t, a)
	e, err = a.host.Explain(a.kernel, hostNetID, "ep-a1", netip.MustParseAddr("10.10.1.3"))
	if err != nil {
		t.Fatal(err)
	}
	hop, broken := e.FirstProblem()
	if !broken || hop.Step != "peer table" || hop.Verdict != overlaynet.VerdictMissing || e.Verdict != overlaynet.VerdictMissing {
		t.Fatalf("explain after leave: %+v", e)
	}

	// Teardown leaves neither simulated host with anything of ours.
	if _, err := a.host.Leave(hostNetID, "ep-a1"); err != nil {
		t.Fatal(err)
	}
	for _, s := range hs {
		if err := s.host.DeleteNetwork(hostNetID); err != nil {
			t.Fatal(err)
		}
		reconcileOK(t, s)
		raw, err := s.kernel.SimStateJSON()
		if err != nil {
			t.Fatal(err)
		}
		var state map[string][]json.RawMessage
		if err := json.Unmarshal(raw, &state); err != nil {
			t.Fatal(err)
		}
		for kind, objects := range state {
			if kind != "namespaces" && len(objects) > 0 {
				t.Errorf("%s left behind: %s", kind, raw)
			}
		}
		if strings.Contains(string(raw), "1-k3jd8s0a2b") {
			t.Errorf("sandbox left behind: %s", raw)
		}
	}
}

func TestHostErrorsCarryCodesAndErrno(t *testing.T) {
	s := newSimHosts(t, "192.0.2.1")[0]
	joinSim(t, s.host, "ep1", "10.10.1.5/24", "ctr1")
	before, err := s.host.DesiredStateJSON()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		req  overlaynet.JoinRequest
		code overlaynet.Code
	}{
		{overlaynet.JoinRequest{EndpointID: "ep1", Address: netip.MustParsePrefix("10.10.1.6/24"), ContainerNetns: "ctr9"}, overlaynet.ErrConflict},
		{overlaynet.JoinRequest{EndpointID: "ep2", Address: netip.MustParsePrefix("10.10.9.6/24"), ContainerNetns: "ctr2"}, overlaynet.ErrInvalidInput},
		{overlaynet.JoinRequest{EndpointID: "ep2", ContainerNetns: "ctr2"}, overlaynet.ErrInvalidInput},
		{overlaynet.JoinRequest{EndpointID: "ep2", Address: netip.MustParsePrefix("10.10.1.6/24"), ContainerNetns: "ctr2",
			ExternalAddress: netip.MustParsePrefix("172.18.0.5/16")}, overlaynet.ErrRefused},
	}
	for _, c := range cases {
		if _, err := s.host.Join(hostNetID, c.req); !errors.Is(err, c.code) {
			t.Errorf("join %+v: %v, want %v", c.req, err, c.code)
		}
	}
	if _, err := s.host.Join("nope", cases[0].req); !errors.Is(err, overlaynet.ErrNotFound) {
		t.Errorf("unknown network: %v", err)
	}
	if err := s.host.DeleteNetwork(hostNetID); !errors.Is(err, overlaynet.ErrRefused) {
		t.Errorf("delete with endpoints: %v", err)
	}
	if _, err := s.host.ApplyPeerEvent(hostNetID, "ep9", overlaynet.PeerEventCreate, []byte("garbage"), nil); !errors.Is(err, overlaynet.ErrInvalidInput) ||
		!strings.Contains(err.Error(), "failed to unmarshal peer record") {
		t.Errorf("garbage record: %v", err)
	}
	if _, err := s.host.ApplyPeerEvent(hostNetID, "ep9", 7, nil, nil); !errors.Is(err, overlaynet.ErrInvalidEnum) {
		t.Errorf("bad event type: %v", err)
	}
	after, err := s.host.DesiredStateJSON()
	if err != nil || string(after) != string(before) {
		t.Fatalf("refused requests changed the engine (%v)", err)
	}

	// A failed observation is ErrKernel with the errno, and uses the fault up: the call is
	// not repeated behind the caller's back.
	if err := s.kernel.SimFailObserve(syscall.EPERM); err != nil {
		t.Fatal(err)
	}
	_, err = s.host.Reconcile(s.kernel)
	var e *overlaynet.Error
	if !errors.Is(err, overlaynet.ErrKernel) || !errors.Is(err, syscall.EPERM) || !errors.As(err, &e) || e.Errno != syscall.EPERM {
		t.Fatalf("reconcile with a failing observe: %v", err)
	}
	// A refused operation is in the report, with its errno; the next round retries it.
	if err := s.kernel.SimFailNth(0, syscall.EBUSY); err != nil {
		t.Fatal(err)
	}
	r, err := s.host.Reconcile(s.kernel)
	if err != nil {
		t.Fatal(err)
	}
	if r.Success || r.Failed != 1 || r.Failures[0] != (overlaynet.OpFailure{Op: 0, Errno: syscall.EBUSY}) ||
		!strings.HasPrefix(r.Text, "0 FAILED  ip netns add ") {
		t.Fatalf("report %+v", r)
	}
	reconcileOK(t, s)

	// Fault injection needs the simulator; bad arguments are refused.
	linux, err := overlaynet.NewLinuxKernel(overlaynet.LinuxKernelConfig{HostNetns: "no-such-netns", NetnsDir: "/nonexistent/overlaynet-go"})
	if runtime.GOOS != "linux" {
		if !errors.Is(err, overlaynet.ErrUnsupported) {
			t.Errorf("the Linux backend on %s: %v", runtime.GOOS, err)
		}
	} else if err != nil {
		t.Fatal(err)
	} else {
		defer linux.Close()
		if err := linux.SimFailNth(0, syscall.EIO); !errors.Is(err, overlaynet.ErrUnsupported) {
			t.Errorf("fail_nth on Linux: %v", err)
		}
		// Its host namespace does not exist: observing fails with the kernel's errno.
		if _, err := s.host.Reconcile(linux); !errors.Is(err, overlaynet.ErrKernel) || !errors.Is(err, syscall.ENOENT) {
			t.Errorf("reconcile without a host namespace: %v", err)
		}
	}
	if _, err := overlaynet.NewLinuxKernel(overlaynet.LinuxKernelConfig{NetnsDir: "relative"}); !errors.Is(err, overlaynet.ErrInvalidInput) {
		t.Errorf("relative netns dir: %v", err)
	}
	if err := s.kernel.SimFailNth(0, 0); !errors.Is(err, overlaynet.ErrInvalidInput) {
		t.Errorf("errno 0: %v", err)
	}
	if _, err := s.kernel.SimDrift(1, -1); !errors.Is(err, overlaynet.ErrInvalidInput) {
		t.Errorf("negative drift: %v", err)
	}
}

func TestHostAndKernelUseAfterClose(t *testing.T) {
	s := newSimHosts(t, "192.0.2.1")[0]
	plan, err := s.host.Plan(s.kernel)
	if err != nil {
		t.Fatal(err)
	}
	plan.Close()
	plan.Close()
	if _, err := plan.Text(); !errors.Is(err, overlaynet.ErrNullParameter) {
		t.Errorf("plan after close: %v", err)
	}
	s.kernel.Close()
	if _, err := s.host.Reconcile(s.kernel); !errors.Is(err, overlaynet.ErrNullParameter) {
		t.Errorf("kernel after close: %v", err)
	}
	s.host.Close()
	if _, err := s.host.LocalRecords(hostNetID); !errors.Is(err, overlaynet.ErrNullParameter) {
		t.Errorf("host after close: %v", err)
	}
}
