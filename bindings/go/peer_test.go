package overlaynet_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"overlaynet.dev/go/overlaynet"
)

// moby's gogoproto encoding of {10.0.1.5/24, 02:42:0a:00:01:05, 192.168.1.20}.
const goldenPeerRecord = "0a0b31302e302e312e352f3234121130323a34323a30613a30303a30313a30351a0c3139322e3136382e312e3230"

func newPeerTable(t *testing.T) *overlaynet.PeerTable {
	t.Helper()
	table, err := overlaynet.NewPeerTable("n1",
		[]netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("fd00:1::/64")},
		netip.MustParseAddr("192.168.1.10"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { table.Close() })
	return table
}

func mustMAC(s string) net.HardwareAddr {
	mac, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return mac
}

func kinds(deltas []overlaynet.PeerDelta) []overlaynet.PeerDeltaKind {
	out := make([]overlaynet.PeerDeltaKind, len(deltas))
	for i, d := range deltas {
		out[i] = d.Kind
	}
	return out
}

func TestPeerRecordGoldenVector(t *testing.T) {
	golden, _ := hex.DecodeString(goldenPeerRecord)
	r, err := overlaynet.UnmarshalPeerRecord(golden)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndpointIP != netip.MustParsePrefix("10.0.1.5/24") || r.EndpointMAC.String() != "02:42:0a:00:01:05" ||
		r.TunnelEndpointIP != netip.MustParseAddr("192.168.1.20") {
		t.Fatalf("decoded %+v", r)
	}
	b, err := r.Marshal()
	if err != nil || !bytes.Equal(b, golden) {
		t.Fatalf("Marshal = %x, %v; want %x", b, err, golden)
	}
	// IPv6 on both sides round-trips too.
	v6 := overlaynet.PeerRecord{
		EndpointIP:       netip.MustParsePrefix("fd00:1::5/64"),
		EndpointMAC:      mustMAC("02:42:00:00:00:05"),
		TunnelEndpointIP: netip.MustParseAddr("2001:db8::20"),
	}
	b, err = v6.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := overlaynet.UnmarshalPeerRecord(b)
	if err != nil || back.EndpointIP != v6.EndpointIP || back.TunnelEndpointIP != v6.TunnelEndpointIP ||
		!bytes.Equal(back.EndpointMAC, v6.EndpointMAC) {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
}

func TestPeerRecordErrorsCarryMobyText(t *testing.T) {
	_, err := overlaynet.UnmarshalPeerRecord([]byte{0xff})
	if !errors.Is(err, overlaynet.ErrInvalidInput) || !strings.Contains(err.Error(), "failed to unmarshal peer record") {
		t.Fatalf("err = %v", err)
	}
	// Field 1 = "10.0.1.5" (no prefix length).
	_, err = overlaynet.UnmarshalPeerRecord(append([]byte{0x0a, 8}, "10.0.1.5"...))
	if !errors.Is(err, overlaynet.ErrInvalidInput) || !strings.Contains(err.Error(), `invalid peer IP "10.0.1.5" received`) {
		t.Fatalf("err = %v", err)
	}
	_, err = overlaynet.PeerRecord{EndpointIP: netip.MustParsePrefix("10.0.1.5/24")}.Marshal()
	if !errors.Is(err, overlaynet.ErrInvalidEnum) {
		t.Fatalf("missing VTEP: err = %v", err)
	}
	_, err = overlaynet.PeerRecord{EndpointMAC: net.HardwareAddr{1, 2, 3}}.Marshal()
	if err == nil {
		t.Fatal("a 3-byte MAC was accepted")
	}
}

func TestPeerTableAddRemoveOrdersDeltas(t *testing.T) {
	table := newPeerTable(t)
	ip, mac, vtep := netip.MustParsePrefix("10.0.1.5/24"), mustMAC("02:42:0a:00:01:05"), netip.MustParseAddr("192.168.1.20")
	added, deltas, err := table.AddRemote("ep1", ip, mac, vtep)
	if err != nil || added != overlaynet.PeerInserted {
		t.Fatalf("AddRemote = %v, %v", added, err)
	}
	want := []overlaynet.PeerDelta{
		{Kind: overlaynet.TunnelUp, VTEP: vtep},
		{Kind: overlaynet.NeighbourAdd, Subnet: netip.MustParsePrefix("10.0.1.0/24"), IP: ip.Addr(), MAC: mac},
		{Kind: overlaynet.FDBAdd, Subnet: netip.MustParsePrefix("10.0.1.0/24"), MAC: mac, VTEP: vtep},
	}
	if len(deltas) != len(want) {
		t.Fatalf("deltas = %+v", deltas)
	}
	for i := range want {
		d, w := deltas[i], want[i]
		if d.Kind != w.Kind || d.Subnet != w.Subnet || d.IP != w.IP || d.VTEP != w.VTEP || !bytes.Equal(d.MAC, w.MAC) {
			t.Errorf("delta %d = %+v, want %+v", i, d, w)
		}
	}
	added, deltas, err = table.AddRemote("ep1", ip, mac, vtep)
	if err != nil || added != overlaynet.PeerAlreadyPresent || len(deltas) != 0 {
		t.Fatalf("second AddRemote = %v, %v, %v", added, deltas, err)
	}

	removed, deltas, err := table.RemoveRemote("ep1", ip, mac, vtep)
	if err != nil || removed != overlaynet.PeerRemovedEntry {
		t.Fatalf("RemoveRemote = %v, %v", removed, err)
	}
	got := kinds(deltas)
	if len(got) != 3 || got[0] != overlaynet.FDBRemove || got[1] != overlaynet.NeighbourRemove || got[2] != overlaynet.TunnelDown {
		t.Fatalf("remove deltas = %v", got)
	}
	removed, _, err = table.RemoveRemote("ep1", ip, mac, vtep)
	if err != nil || removed != overlaynet.PeerNotFound {
		t.Fatalf("second RemoveRemote = %v, %v", removed, err)
	}
}

func TestPeerTableFailuresChangeNothing(t *testing.T) {
	table := newPeerTable(t)
	mac := mustMAC("02:42:0a:00:01:05")
	cases := []struct {
		name string
		ip   netip.Prefix
		vtep netip.Addr
		code overlaynet.Code
	}{
		{"outside every subnet", netip.MustParsePrefix("10.9.9.9/24"), netip.MustParseAddr("192.168.1.20"), overlaynet.ErrInvalidInput},
		{"own VTEP", netip.MustParsePrefix("10.0.1.5/24"), netip.MustParseAddr("192.168.1.10"), overlaynet.ErrRefused},
		{"IPv6 VTEP on an IPv4 underlay", netip.MustParsePrefix("10.0.1.5/24"), netip.MustParseAddr("2001:db8::1"), overlaynet.ErrInvalidInput},
		{"no VTEP", netip.MustParsePrefix("10.0.1.5/24"), netip.Addr{}, overlaynet.ErrInvalidEnum},
	}
	for _, c := range cases {
		if _, _, err := table.AddRemote("ep1", c.ip, mac, c.vtep); !errors.Is(err, c.code) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.code)
		}
	}
	_, _, err := table.AddRemote("", netip.MustParsePrefix("10.0.1.5/24"), mac, netip.MustParseAddr("192.168.1.20"))
	var e *overlaynet.Error
	if !errors.As(err, &e) || e.Message != "invalid endpoint id" {
		t.Errorf("empty eid: err = %v", err)
	}
	if n, err := table.Len(); err != nil || n != 0 {
		t.Fatalf("Len = %d, %v", n, err)
	}
}

func TestPeerTableGossipAndLookups(t *testing.T) {
	table := newPeerTable(t)
	golden, _ := hex.DecodeString(goldenPeerRecord)
	outcome, deltas, err := table.ApplyGossip("ep1", nil, golden)
	if err != nil || outcome != (overlaynet.PeerEventOutcome{Kind: overlaynet.PeerEventApplied, Added: overlaynet.PeerInserted}) || len(deltas) != 3 {
		t.Fatalf("create = %+v, %v, %v", outcome, deltas, err)
	}
	outcome, deltas, err = table.ApplyGossip("ep1", golden, golden)
	if err != nil || outcome.Kind != overlaynet.PeerEventUnchanged || len(deltas) != 0 {
		t.Fatalf("same update = %+v, %v, %v", outcome, deltas, err)
	}
	// Our own endpoints arrive by gossip too and are ignored.
	own, _ := overlaynet.PeerRecord{
		EndpointIP:       netip.MustParsePrefix("10.0.1.2/24"),
		EndpointMAC:      mustMAC("02:42:0a:00:01:02"),
		TunnelEndpointIP: netip.MustParseAddr("192.168.1.10"),
	}.Marshal()
	if outcome, _, err = table.ApplyGossip("me", nil, own); err != nil || outcome.Kind != overlaynet.PeerEventIgnored {
		t.Fatalf("own record = %+v, %v", outcome, err)
	}
	if _, _, err = table.ApplyGossip("ep2", nil, []byte{0xff}); !errors.Is(err, overlaynet.ErrInvalidInput) {
		t.Fatalf("garbage = %v", err)
	}
	if _, _, err = table.ApplyGossip("ep2", nil, nil); !errors.Is(err, overlaynet.ErrInvalidInput) {
		t.Fatalf("empty event = %v", err)
	}

	if _, _, err := table.AddLocal("me", netip.MustParsePrefix("10.0.1.2/24"), mustMAC("02:42:0a:00:01:02")); err != nil {
		t.Fatal(err)
	}
	all, err := table.Entries()
	if err != nil || len(all) != 2 {
		t.Fatalf("Entries = %+v, %v", all, err)
	}
	at, err := table.EntriesAt(netip.MustParseAddr("10.0.1.5"))
	if err != nil || len(at) != 1 {
		t.Fatalf("EntriesAt = %+v, %v", at, err)
	}
	e := at[0]
	if e.EID != "ep1" || e.IP != netip.MustParsePrefix("10.0.1.5/24") || e.VTEP != netip.MustParseAddr("192.168.1.20") ||
		e.Subnet != netip.MustParsePrefix("10.0.1.0/24") || e.Local || !e.Programmed {
		t.Fatalf("entry = %+v", e)
	}
	local, err := table.EntriesWithMAC(mustMAC("02:42:0a:00:01:02"))
	if err != nil || len(local) != 1 || !local[0].Local || local[0].VTEP.IsValid() || local[0].EID != "me" {
		t.Fatalf("EntriesWithMAC = %+v, %v", local, err)
	}
	if _, err := table.EntriesWithMAC(net.HardwareAddr{1, 2}); !errors.Is(err, overlaynet.ErrInvalidLength) {
		t.Fatalf("short MAC: %v", err)
	}
	behind, err := table.EntriesBehind(netip.MustParseAddr("192.168.1.20"))
	if err != nil || len(behind) != 1 {
		t.Fatalf("EntriesBehind = %+v, %v", behind, err)
	}
	vteps, err := table.VTEPs()
	if err != nil || len(vteps) != 1 || vteps[0] != (overlaynet.PeerVTEP{VTEP: netip.MustParseAddr("192.168.1.20"), Entries: 1, Programmed: 1}) {
		t.Fatalf("VTEPs = %+v, %v", vteps, err)
	}

	outcome, deltas, err = table.ApplyGossip("ep1", golden, nil)
	if err != nil || outcome.Removed != overlaynet.PeerRemovedEntry || len(deltas) != 3 {
		t.Fatalf("delete = %+v, %v, %v", outcome, deltas, err)
	}
	if _, err := table.Clear(); err != nil {
		t.Fatal(err)
	}
	if n, _ := table.Len(); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
}

func TestPeerTableUseAfterClose(t *testing.T) {
	table := newPeerTable(t)
	table.Close()
	table.Close()
	if _, err := table.Len(); !errors.Is(err, overlaynet.ErrNullParameter) {
		t.Fatalf("Len after Close = %v", err)
	}
	if _, _, err := table.ApplyGossip("ep", nil, []byte{1}); !errors.Is(err, overlaynet.ErrNullParameter) {
		t.Fatalf("ApplyGossip after Close = %v", err)
	}
}

func TestNewPeerTableValidates(t *testing.T) {
	_, err := overlaynet.NewPeerTable("n1", nil, netip.MustParseAddr("192.168.1.10"))
	if !errors.Is(err, overlaynet.ErrInvalidInput) || !strings.Contains(err.Error(), "has no subnets") {
		t.Fatalf("no subnets: %v", err)
	}
	_, err = overlaynet.NewPeerTable("n1", []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, netip.Addr{})
	if !errors.Is(err, overlaynet.ErrInvalidInput) {
		t.Fatalf("no VTEP: %v", err)
	}
}

// bulkRecords is a NetworkDB-sized slice of a sync: 200 endpoints behind 7 hosts in both
// families, with every tenth one a transient duplicate of the one before (same record,
// another endpoint id).
func bulkRecords() []overlaynet.PeerBulkRecord {
	var records []overlaynet.PeerBulkRecord
	for i := 0; i < 200; i++ {
		eid := fmt.Sprintf("ep%d", i)
		if i%10 == 9 {
			records = append(records, overlaynet.PeerBulkRecord{EID: eid, Record: records[i-1].Record})
			continue
		}
		ip := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 1, byte(i + 2)}), 24)
		vtep := netip.AddrFrom4([4]byte{192, 168, 1, byte(20 + i%7)})
		if i%3 == 0 {
			ip = netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0, 0, 1, 15: byte(i + 2)}), 64)
		}
		mac := net.HardwareAddr{0x02, 0x42, 0, 0, byte(i % 3), byte(i + 2)}
		records = append(records, overlaynet.PeerBulkRecord{
			EID:    eid,
			Record: overlaynet.PeerRecord{EndpointIP: ip, EndpointMAC: mac, TunnelEndpointIP: vtep},
		})
	}
	return records
}

func TestPeerTableAddRemotesEqualsOneByOne(t *testing.T) {
	bulk, oneByOne := newPeerTable(t), newPeerTable(t)
	records := bulkRecords()
	inserted, got, err := bulk.AddRemotes(records)
	if err != nil || inserted != len(records) {
		t.Fatalf("AddRemotes = %d, %v", inserted, err)
	}
	var want []overlaynet.PeerDelta
	for _, r := range records {
		_, deltas, err := oneByOne.AddRemote(r.EID, r.Record.EndpointIP, r.Record.EndpointMAC, r.Record.TunnelEndpointIP)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, deltas...)
	}
	if len(got) != len(want) || len(want) < 2*180 {
		t.Fatalf("%d deltas from the batch, %d one by one", len(got), len(want))
	}
	for i := range want {
		d, w := got[i], want[i]
		if d.Kind != w.Kind || d.Subnet != w.Subnet || d.IP != w.IP || d.VTEP != w.VTEP || !bytes.Equal(d.MAC, w.MAC) {
			t.Fatalf("delta %d = %+v, want %+v", i, d, w)
		}
	}
	if n, _ := bulk.Len(); n != len(records) {
		t.Fatalf("Len = %d", n)
	}
	// The same sync again changes nothing.
	inserted, got, err = bulk.AddRemotes(records)
	if err != nil || inserted != 0 || len(got) != 0 {
		t.Fatalf("repeated AddRemotes = %d, %d deltas, %v", inserted, len(got), err)
	}
	// An empty sync is fine.
	if inserted, got, err = bulk.AddRemotes(nil); err != nil || inserted != 0 || len(got) != 0 {
		t.Fatalf("empty AddRemotes = %d, %v, %v", inserted, got, err)
	}
}

func TestPeerTableAddRemotesIsAllOrNothing(t *testing.T) {
	table := newPeerTable(t)
	records := bulkRecords()
	records[7].Record.TunnelEndpointIP = netip.MustParseAddr("192.168.1.10") // our own VTEP
	_, _, err := table.AddRemotes(records)
	if !errors.Is(err, overlaynet.ErrRefused) || !strings.Contains(err.Error(), "record 7 of the batch") {
		t.Fatalf("own VTEP at 7: err = %v", err)
	}
	records = bulkRecords()
	records[150].Record.EndpointIP = netip.MustParsePrefix("10.9.0.1/24") // outside every subnet
	if _, _, err = table.AddRemotes(records); !strings.Contains(fmt.Sprint(err), "record 150 of the batch") {
		t.Fatalf("foreign subnet at 150: err = %v", err)
	}
	records = bulkRecords()
	records[3].Record.EndpointMAC = net.HardwareAddr{1, 2, 3}
	if _, _, err = table.AddRemotes(records); !strings.Contains(fmt.Sprint(err), "record 3 of the batch") {
		t.Fatalf("short MAC at 3: err = %v", err)
	}
	if n, _ := table.Len(); n != 0 {
		t.Fatalf("a refused batch left %d entries", n)
	}
}
