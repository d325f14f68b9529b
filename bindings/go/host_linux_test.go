//go:build linux

package overlaynet_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"overlaynet.dev/go/overlaynet"
)

// requireRootAndTools skips (or, with CI set, fails) a test that needs root and tools.
func requireRootAndTools(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (network namespaces)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, "the `"+tool+"` tool")
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("this test needs %s, and CI is set, so it may not skip", strings.Join(missing, " and "))
	}
	t.Skipf("SKIPPED: this test needs %s (set CI=1 to make this a failure)", strings.Join(missing, " and "))
}

// runIP runs `ip args...` and fails the test with its output when it fails.
func runIP(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// addNetns creates namespace name with `ip netns add` (the runtime's job) and deletes it
// when the test ends.
func addNetns(t *testing.T, name string) {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // a leftover of a killed run
	runIP(t, "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	runIP(t, "-n", name, "link", "set", "lo", "up")
}

// privateNetnsDir makes a namespace directory for one host's backend, holding bind mounts
// of the given /run/netns namespaces. Each backend creates its sandbox there and treats
// every Docker-style sandbox name there as its own, so the two hosts (which share the
// network id, hence the sandbox name) and other tests on this machine stay apart.
func privateNetnsDir(t *testing.T, names ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "overlaynet-go-netns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			_ = syscall.Unmount(path, syscall.MNT_DETACH)
			_ = os.Remove(path)
		}
		_ = os.Remove(dir)
	})
	for _, name := range names {
		target := filepath.Join(dir, name)
		if err := os.WriteFile(target, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mount(filepath.Join("/run/netns", name), target, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("bind-mount namespace %s: %v", name, err)
		}
	}
	return dir
}

// icmpEcho sends echo requests from inside namespace netns to dst until `want` replies came
// back or the deadline passes (`ping -c want`, without needing a ping binary).
func icmpEcho(netns string, dst netip.Addr, want int, deadline time.Time) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine instead of going back to the
		// scheduler inside another namespace.
		runtime.LockOSThread()
		errc <- icmpEchoHere(netns, dst, want, deadline)
	}()
	return <-errc
}

// setnsNumbers is setns(2)'s syscall number per architecture (the frozen syscall package
// has no SYS_SETNS, and the test may use no module outside the standard library).
var setnsNumbers = map[string]uintptr{
	"amd64": 308, "arm64": 268, "riscv64": 268, "loong64": 268, "386": 346, "arm": 375,
	"ppc64": 350, "ppc64le": 350, "s390x": 339,
}

func icmpEchoHere(netns string, dst netip.Addr, want int, deadline time.Time) error {
	f, err := os.Open(filepath.Join("/run/netns", netns))
	if err != nil {
		return err
	}
	defer f.Close()
	nr, ok := setnsNumbers[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("no setns(2) number known for GOARCH %s", runtime.GOARCH)
	}
	if _, _, errno := syscall.RawSyscall(nr, f.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
		return fmt.Errorf("setns %s: %w", netns, errno)
	}
	conn, err := net.ListenPacket("ip4:icmp", "0.0.0.0") // created in netns: this thread is there
	if err != nil {
		return err
	}
	defer conn.Close()
	id := uint16(os.Getpid())
	replies := 0
	buf := make([]byte, 1500)
	for seq := uint16(1); replies < want; seq++ {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d echo replies from %s", replies, want, dst)
		}
		msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'o', 'v', 'l'}
		binary.BigEndian.PutUint16(msg[2:], icmpChecksum(msg))
		if _, err := conn.WriteTo(msg, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				break // timed out: send the next request
			}
			r := buf[:n]
			if n >= 8 && r[0] == 0 && binary.BigEndian.Uint16(r[4:]) == id && binary.BigEndian.Uint16(r[6:]) == seq &&
				from.(*net.IPAddr).IP.Equal(dst.AsSlice()) {
				replies++
				break
			}
		}
	}
	return nil
}

func icmpChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// TestLinuxTwoHostPing is issue #9's proof through the Go API: two "hosts" (namespaces
// joined by a veth underlay), each driven by a Host with the Linux backend, carry ICMP
// between containers across hosts through the kernel's VXLAN.
func TestLinuxTwoHostPing(t *testing.T) {
	requireRootAndTools(t, "ip", "nft")
	pid := os.Getpid()
	name := func(role string) string { return fmt.Sprintf("ovgo%d%s", pid, role) }
	type side struct {
		hostNs, ctrNs, eid, vtep, address string
		host                              *overlaynet.Host
		kernel                            *overlaynet.Kernel
		dir                               string
	}
	sides := []*side{
		{hostNs: name("h1"), ctrNs: name("c1"), eid: "ep1", vtep: "192.168.77.1", address: "10.10.1.2/24"},
		{hostNs: name("h2"), ctrNs: name("c2"), eid: "ep2", vtep: "192.168.77.2", address: "10.10.1.3/24"},
	}
	for _, s := range sides {
		addNetns(t, s.hostNs)
		addNetns(t, s.ctrNs)
	}
	runIP(t, "link", "add", "u1", "netns", sides[0].hostNs, "type", "veth", "peer", "name", "u2", "netns", sides[1].hostNs)
	for i, s := range sides {
		dev := fmt.Sprint("u", i+1)
		runIP(t, "-n", s.hostNs, "addr", "add", s.vtep+"/24", "dev", dev)
		runIP(t, "-n", s.hostNs, "link", "set", dev, "up")
	}

	cluster, err := overlaynet.NewCluster(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
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
	const netID = "g0test4n3tw0rk"
	for _, s := range sides {
		node, err := overlaynet.NewNodeConfig(overlaynet.NodeSpec{ID: s.hostNs, AdvertiseAddr: netip.MustParseAddr(s.vtep)})
		if err != nil {
			t.Fatal(err)
		}
		s.host, err = overlaynet.NewHost(node, overlaynet.DataPathHardened)
		node.Close()
		if err != nil {
			t.Fatal(err)
		}
		defer s.host.Close()
		if err := s.host.CreateNetwork(netID, cluster, "app"); err != nil {
			t.Fatal(err)
		}
		s.dir = privateNetnsDir(t, s.hostNs, s.ctrNs)
		s.kernel, err = overlaynet.NewLinuxKernel(overlaynet.LinuxKernelConfig{HostNetns: s.hostNs, NetnsDir: s.dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.kernel.Close()
		_, err = s.host.Join(netID, overlaynet.JoinRequest{
			EndpointID:     s.eid,
			Address:        netip.MustParsePrefix(s.address),
			ContainerNetns: s.ctrNs,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Gossip: each host's records reach the other as PeerRecord bytes.
	for i, s := range sides {
		records, err := s.host.LocalRecords(netID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if _, err := sides[1-i].host.ApplyPeerEvent(netID, r.EndpointID, overlaynet.PeerEventCreate, r.Value, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	reconcile := func(s *side) overlaynet.ReconcileReport {
		t.Helper()
		r, err := s.host.Reconcile(s.kernel)
		if err != nil {
			t.Fatalf("%s: %v", s.hostNs, err)
		}
		if !r.Success {
			t.Fatalf("%s: reconcile failed:\n%s", s.hostNs, r.Text)
		}
		return r
	}
	for _, s := range sides {
		reconcile(s)
		// The backend observes what it created as ours: nothing is left to do.
		if r := reconcile(s); !r.InSync {
			t.Fatalf("%s: second round not in sync:\n%s", s.hostNs, r.Text)
		}
	}
	e, err := sides[0].host.Explain(sides[0].kernel, netID, "ep1", netip.MustParseAddr("10.10.1.3"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Verdict != overlaynet.VerdictOK {
		t.Fatalf("explain on the real kernel:\n%s", e.Text)
	}

	if err := icmpEcho(sides[0].ctrNs, netip.MustParseAddr("10.10.1.3"), 2, time.Now().Add(10*time.Second)); err != nil {
		t.Fatalf("ping %s -> 10.10.1.3: %v", sides[0].ctrNs, err)
	}
	if err := icmpEcho(sides[1].ctrNs, netip.MustParseAddr("10.10.1.2"), 2, time.Now().Add(10*time.Second)); err != nil {
		t.Fatalf("ping %s -> 10.10.1.2: %v", sides[1].ctrNs, err)
	}
	// The probe itself cannot pass without an answer: nobody has 10.10.1.99.
	if err := icmpEcho(sides[0].ctrNs, netip.MustParseAddr("10.10.1.99"), 1, time.Now().Add(time.Second)); err == nil {
		t.Fatal("an echo reply from an address nobody holds")
	}

	// Teardown through the API: the last leave takes the sandbox away.
	for _, s := range sides {
		if _, err := s.host.Leave(netID, s.eid); err != nil {
			t.Fatal(err)
		}
		if err := s.host.DeleteNetwork(netID); err != nil {
			t.Fatal(err)
		}
		reconcile(s)
		if _, err := os.Stat(filepath.Join(s.dir, "1-g0test4n3t")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: sandbox namespace still there (%v)", s.hostNs, err)
		}
	}
}
