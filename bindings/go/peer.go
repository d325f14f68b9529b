package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// PeerRecord is Docker's overlay PeerRecord, the value of NetworkDB table
// overlay_peer_table: an endpoint (IP with its subnet's prefix length, MAC) and the VTEP of
// the host that owns it.
type PeerRecord struct {
	EndpointIP       netip.Prefix
	EndpointMAC      net.HardwareAddr
	TunnelEndpointIP netip.Addr
}

// Marshal encodes the record exactly as moby's proto.Marshal does.
func (r PeerRecord) Marshal() ([]byte, error) {
	c, err := r.toC()
	if err != nil {
		return nil, err
	}
	var stack [96]byte
	var n C.size_t
	err = call(func() C.overlaynet_result {
		return C.overlaynet_peer_record_encode(&c, (*C.uint8_t)(&stack[0]), C.size_t(len(stack)), &n)
	})
	if err == nil {
		return append([]byte(nil), stack[:n]...), nil
	}
	if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
		return nil, err
	}
	buf := make([]byte, n)
	if err := call(func() C.overlaynet_result {
		return C.overlaynet_peer_record_encode(&c, (*C.uint8_t)(&buf[0]), n, &n)
	}); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// UnmarshalPeerRecord decodes and validates PeerRecord bytes with moby's
// UnmarshalPeerRecord rules and error texts.
func UnmarshalPeerRecord(b []byte) (PeerRecord, error) {
	var c C.overlaynet_peer_record
	p, n := cBytes(b)
	if err := call(func() C.overlaynet_result { return C.overlaynet_peer_record_decode(p, n, &c) }); err != nil {
		return PeerRecord{}, err
	}
	return peerRecordFromC(&c), nil
}

// PeerDeltaKind is what a PeerDelta does to the kernel.
type PeerDeltaKind uint32

// The kernel changes, in the order an add (TunnelUp, NeighbourAdd, FDBAdd) or a remove
// (FDBRemove, NeighbourRemove, TunnelDown) applies them.
const (
	// TunnelUp: the first programmed peer behind VTEP appeared; set up the tunnel (and SAs).
	TunnelUp PeerDeltaKind = 1
	// NeighbourAdd: ip neigh add IP lladdr MAC dev <vxlan of Subnet> nud permanent.
	NeighbourAdd PeerDeltaKind = 2
	// FDBAdd: bridge fdb add MAC dev <vxlan of Subnet> dst VTEP self permanent.
	FDBAdd PeerDeltaKind = 3
	// FDBRemove removes the FDB entry FDBAdd with the same fields created.
	FDBRemove PeerDeltaKind = 4
	// NeighbourRemove removes the neighbour entry NeighbourAdd with the same fields created.
	NeighbourRemove PeerDeltaKind = 5
	// TunnelDown: the last programmed peer behind VTEP is gone; tear the tunnel down.
	TunnelDown PeerDeltaKind = 6
)

// String names the kind.
func (k PeerDeltaKind) String() string {
	switch k {
	case TunnelUp:
		return "TunnelUp"
	case NeighbourAdd:
		return "NeighbourAdd"
	case FDBAdd:
		return "FDBAdd"
	case FDBRemove:
		return "FDBRemove"
	case NeighbourRemove:
		return "NeighbourRemove"
	case TunnelDown:
		return "TunnelDown"
	}
	return fmt.Sprintf("PeerDeltaKind(%d)", uint32(k))
}

// PeerDelta is one kernel change. Fields the kind does not use are zero: tunnels use VTEP,
// neighbour entries Subnet, IP and MAC, FDB entries Subnet, MAC and VTEP.
type PeerDelta struct {
	Kind   PeerDeltaKind
	Subnet netip.Prefix
	IP     netip.Addr
	MAC    net.HardwareAddr
	VTEP   netip.Addr
}

// PeerAdded is what an add did; 0 in a PeerEventOutcome means no add happened.
type PeerAdded uint32

// The outcomes of an add.
const (
	PeerInserted       PeerAdded = 1
	PeerAlreadyPresent PeerAdded = 2
)

// PeerRemoved is what a remove did; 0 in a PeerEventOutcome means no remove happened.
type PeerRemoved uint32

// The outcomes of a remove. Removing an absent entry is not an error: gossip delivers
// deletes out of order.
const (
	PeerRemovedEntry PeerRemoved = 1
	PeerNotFound     PeerRemoved = 2
)

// PeerEventKind says whether a gossip event changed the table.
type PeerEventKind uint32

// The kinds of event outcome.
const (
	// PeerEventIgnored: every record carried this host's VTEP (local endpoints come from
	// join/leave).
	PeerEventIgnored PeerEventKind = 0
	// PeerEventUnchanged: an update whose previous and new records are equal.
	PeerEventUnchanged PeerEventKind = 1
	// PeerEventApplied: the previous record was removed (if any) and the new one added (if
	// any).
	PeerEventApplied PeerEventKind = 2
)

// PeerEventOutcome is what applying a gossip event did.
type PeerEventOutcome struct {
	Kind    PeerEventKind
	Removed PeerRemoved
	Added   PeerAdded
}

// PeerEntry is one peer-table entry. VTEP is the zero Addr for a local endpoint.
type PeerEntry struct {
	EID        string
	IP         netip.Prefix
	MAC        net.HardwareAddr
	VTEP       netip.Addr
	Subnet     netip.Prefix
	Local      bool
	Programmed bool
}

// PeerVTEP summarises one remote host of a table.
type PeerVTEP struct {
	VTEP       netip.Addr
	Entries    uint32
	Programmed uint32
}

// PeerTable is the peer table of one overlay network: which endpoint lives behind which
// host, fed by join/leave and NetworkDB gossip. Each mutation returns the kernel changes it
// implies, in order; a failed mutation changes nothing. Close releases it.
type PeerTable struct {
	h      handle[*C.overlaynet_peer_table]
	deltas handle[*C.overlaynet_peer_deltas]
}

// NewPeerTable creates the empty table of network id network with its subnets (at least one)
// and this host's VTEP (data-path address).
func NewPeerTable(network string, subnets []netip.Prefix, localVTEP netip.Addr) (*PeerTable, error) {
	list := ""
	for i, s := range subnets {
		if i > 0 {
			list += ","
		}
		list += s.String()
	}
	np, nn := cString(network)
	sp, sn := cString(list)
	vp, vn := cString(localVTEP.String())
	var p *C.overlaynet_peer_table
	if err := call(func() C.overlaynet_result {
		return C.overlaynet_peer_table_new(np, nn, sp, sn, vp, vn, &p)
	}); err != nil {
		return nil, err
	}
	var d *C.overlaynet_peer_deltas
	if err := call(func() C.overlaynet_result { return C.overlaynet_peer_deltas_new(&d) }); err != nil {
		C.overlaynet_peer_table_free(p)
		return nil, err
	}
	t := &PeerTable{}
	own(t, &t.h, p, func(p *C.overlaynet_peer_table) { C.overlaynet_peer_table_free(p) })
	own(t, &t.deltas, d, func(d *C.overlaynet_peer_deltas) { C.overlaynet_peer_deltas_free(d) })
	return t, nil
}

// Close releases the table.
func (t *PeerTable) Close() error {
	t.h.close()
	t.deltas.close()
	return nil
}

type peerMutation func(*C.overlaynet_peer_table, *C.uint8_t, C.size_t, *C.overlaynet_peer_record, *C.overlaynet_peer_deltas, *C.uint32_t) C.overlaynet_result

func (t *PeerTable) mutate(f peerMutation, eid string, r PeerRecord) (uint32, []PeerDelta, error) {
	c, err := r.toC()
	if err != nil {
		return 0, nil, err
	}
	ep, en := cString(eid)
	var code C.uint32_t
	err = call(func() C.overlaynet_result { return f(t.h.ptr, ep, en, &c, t.deltas.ptr, &code) })
	if err != nil {
		runtime.KeepAlive(t)
		return 0, nil, err
	}
	deltas, err := t.readDeltas()
	return uint32(code), deltas, err
}

// AddLocal records that a local endpoint joined; it never programs anything but takes part
// in duplicate-IP bookkeeping.
func (t *PeerTable) AddLocal(eid string, ip netip.Prefix, mac net.HardwareAddr) (PeerAdded, []PeerDelta, error) {
	code, deltas, err := t.mutate(func(t *C.overlaynet_peer_table, e *C.uint8_t, n C.size_t, r *C.overlaynet_peer_record, d *C.overlaynet_peer_deltas, out *C.uint32_t) C.overlaynet_result {
		return C.overlaynet_peer_table_add_local(t, e, n, r, d, out)
	}, eid, PeerRecord{EndpointIP: ip, EndpointMAC: mac})
	return PeerAdded(code), deltas, err
}

// RemoveLocal records that a local endpoint left.
func (t *PeerTable) RemoveLocal(eid string, ip netip.Prefix, mac net.HardwareAddr) (PeerRemoved, []PeerDelta, error) {
	code, deltas, err := t.mutate(func(t *C.overlaynet_peer_table, e *C.uint8_t, n C.size_t, r *C.overlaynet_peer_record, d *C.overlaynet_peer_deltas, out *C.uint32_t) C.overlaynet_result {
		return C.overlaynet_peer_table_remove_local(t, e, n, r, d, out)
	}, eid, PeerRecord{EndpointIP: ip, EndpointMAC: mac})
	return PeerRemoved(code), deltas, err
}

// AddRemote records a remote endpoint behind vtep (not this host's VTEP).
func (t *PeerTable) AddRemote(eid string, ip netip.Prefix, mac net.HardwareAddr, vtep netip.Addr) (PeerAdded, []PeerDelta, error) {
	code, deltas, err := t.mutate(func(t *C.overlaynet_peer_table, e *C.uint8_t, n C.size_t, r *C.overlaynet_peer_record, d *C.overlaynet_peer_deltas, out *C.uint32_t) C.overlaynet_result {
		return C.overlaynet_peer_table_add_remote(t, e, n, r, d, out)
	}, eid, PeerRecord{EndpointIP: ip, EndpointMAC: mac, TunnelEndpointIP: vtep})
	return PeerAdded(code), deltas, err
}

// RemoveRemote records that a remote endpoint went away; an absent entry is PeerNotFound, not
// an error.
func (t *PeerTable) RemoveRemote(eid string, ip netip.Prefix, mac net.HardwareAddr, vtep netip.Addr) (PeerRemoved, []PeerDelta, error) {
	code, deltas, err := t.mutate(func(t *C.overlaynet_peer_table, e *C.uint8_t, n C.size_t, r *C.overlaynet_peer_record, d *C.overlaynet_peer_deltas, out *C.uint32_t) C.overlaynet_result {
		return C.overlaynet_peer_table_remove_remote(t, e, n, r, d, out)
	}, eid, PeerRecord{EndpointIP: ip, EndpointMAC: mac, TunnelEndpointIP: vtep})
	return PeerRemoved(code), deltas, err
}

// PeerBulkRecord is one endpoint of a bulk sync: its endpoint id (the NetworkDB key) and
// its record.
type PeerBulkRecord struct {
	EID    string
	Record PeerRecord
}

// AddRemotes adds remote endpoints at once, as a NetworkDB bulk sync delivers them. Every
// record is checked before any is added: if one is refused, the error names its index ("record
// N of the batch") and nothing changes. On success it returns how many were new and exactly the
// deltas that adding them one by one would give. Faster than AddRemote per record for large
// syncs; one call takes at most OVERLAYNET_MAX_INPUT_LEN bytes of ids (about 16,000
// 64-character ids), so a larger sync is several calls, each all-or-nothing.
func (t *PeerTable) AddRemotes(records []PeerBulkRecord) (int, []PeerDelta, error) {
	size := 0
	for _, r := range records {
		size += len(r.EID)
	}
	eids := make([]byte, 0, size)
	lens := make([]C.size_t, len(records))
	peers := make([]C.overlaynet_peer_record, len(records))
	for i, r := range records {
		c, err := r.Record.toC()
		if err != nil {
			return 0, nil, fmt.Errorf("record %d of the batch: %w", i, err)
		}
		peers[i] = c
		lens[i] = C.size_t(len(r.EID))
		eids = append(eids, r.EID...)
	}
	ep, en := cBytes(eids)
	var lp *C.size_t
	var pp *C.overlaynet_peer_record
	if len(records) > 0 {
		lp, pp = &lens[0], &peers[0]
	}
	var inserted C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_peer_table_add_remotes(t.h.ptr, ep, en, lp, pp, C.size_t(len(records)), t.deltas.ptr, &inserted)
	})
	if err != nil {
		runtime.KeepAlive(t)
		return 0, nil, err
	}
	deltas, err := t.readDeltas()
	return int(inserted), deltas, err
}

// ApplyGossip applies a NetworkDB event for key eid with moby's EventNotify semantics: prev
// and value are the previous and new PeerRecord bytes, nil (or empty) when absent. Records
// carrying this host's VTEP are ignored; an undecodable record fails the whole event.
func (t *PeerTable) ApplyGossip(eid string, prev, value []byte) (PeerEventOutcome, []PeerDelta, error) {
	ep, en := cString(eid)
	pp, pn := cBytes(prev)
	vp, vn := cBytes(value)
	var out C.overlaynet_peer_event_outcome
	err := call(func() C.overlaynet_result {
		return C.overlaynet_peer_table_apply_gossip(t.h.ptr, ep, en, pp, pn, vp, vn, t.deltas.ptr, &out)
	})
	if err != nil {
		runtime.KeepAlive(t)
		return PeerEventOutcome{}, nil, err
	}
	deltas, err := t.readDeltas()
	outcome := PeerEventOutcome{Kind: PeerEventKind(out.kind), Removed: PeerRemoved(out.removed), Added: PeerAdded(out.added)}
	return outcome, deltas, err
}

// Clear removes every entry (leaving the network) and returns the changes that undo all
// programmed state.
func (t *PeerTable) Clear() ([]PeerDelta, error) {
	if err := call(func() C.overlaynet_result { return C.overlaynet_peer_table_clear(t.h.ptr, t.deltas.ptr) }); err != nil {
		runtime.KeepAlive(t)
		return nil, err
	}
	return t.readDeltas()
}

// Len returns the number of entries (local and remote, programmed or waiting).
func (t *PeerTable) Len() (int, error) {
	var n C.size_t
	err := call(func() C.overlaynet_result { return C.overlaynet_peer_table_len(t.h.ptr, &n) })
	runtime.KeepAlive(t)
	return int(n), err
}

// Entries returns every entry.
func (t *PeerTable) Entries() ([]PeerEntry, error) {
	return t.list(func(out **C.overlaynet_peer_list) C.overlaynet_result {
		return C.overlaynet_peer_table_entries(t.h.ptr, out)
	})
}

// EntriesAt returns the entries holding ip, oldest first (more than one only transiently);
// the one programmed into the kernel has Programmed set.
func (t *PeerTable) EntriesAt(ip netip.Addr) ([]PeerEntry, error) {
	a := addrToC(ip)
	return t.list(func(out **C.overlaynet_peer_list) C.overlaynet_result {
		return C.overlaynet_peer_table_entries_at(t.h.ptr, &a, out)
	})
}

// EntriesWithMAC returns the entries with mac (a 6-byte MAC-48 address).
func (t *PeerTable) EntriesWithMAC(mac net.HardwareAddr) ([]PeerEntry, error) {
	mp, mn := cBytes(mac)
	return t.list(func(out **C.overlaynet_peer_list) C.overlaynet_result {
		return C.overlaynet_peer_table_entries_with_mac(t.h.ptr, mp, mn, out)
	})
}

// EntriesBehind returns the entries behind the remote host vtep.
func (t *PeerTable) EntriesBehind(vtep netip.Addr) ([]PeerEntry, error) {
	a := addrToC(vtep)
	return t.list(func(out **C.overlaynet_peer_list) C.overlaynet_result {
		return C.overlaynet_peer_table_entries_behind(t.h.ptr, &a, out)
	})
}

// VTEPs returns the remote hosts that have entries.
func (t *PeerTable) VTEPs() ([]PeerVTEP, error) {
	defer runtime.KeepAlive(t)
	var n C.size_t
	err := call(func() C.overlaynet_result { return C.overlaynet_peer_table_vteps(t.h.ptr, nil, 0, &n) })
	if err == nil {
		return nil, nil
	}
	if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
		return nil, err
	}
	buf := make([]C.overlaynet_peer_vtep, n)
	if err := call(func() C.overlaynet_result {
		return C.overlaynet_peer_table_vteps(t.h.ptr, &buf[0], C.size_t(len(buf)), &n)
	}); err != nil {
		return nil, err
	}
	out := make([]PeerVTEP, n)
	for i := range out {
		out[i] = PeerVTEP{VTEP: peerAddrFromC(&buf[i].vtep), Entries: uint32(buf[i].entries), Programmed: uint32(buf[i].programmed)}
	}
	return out, nil
}

// readDeltas copies the batch of the last successful mutation.
func (t *PeerTable) readDeltas() ([]PeerDelta, error) {
	defer runtime.KeepAlive(t)
	var n C.size_t
	err := call(func() C.overlaynet_result { return C.overlaynet_peer_deltas_get(t.deltas.ptr, nil, 0, &n) })
	if err == nil {
		return nil, nil
	}
	if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
		return nil, err
	}
	buf := make([]C.overlaynet_peer_delta, n)
	if err := call(func() C.overlaynet_result {
		return C.overlaynet_peer_deltas_get(t.deltas.ptr, &buf[0], C.size_t(len(buf)), &n)
	}); err != nil {
		return nil, err
	}
	out := make([]PeerDelta, n)
	for i := range out {
		d := &buf[i]
		out[i] = PeerDelta{
			Kind:   PeerDeltaKind(d.kind),
			Subnet: prefixFromC(&d.subnet, d.subnet_prefix_len),
			IP:     peerAddrFromC(&d.ip),
			VTEP:   peerAddrFromC(&d.vtep),
		}
		if out[i].Kind != TunnelUp && out[i].Kind != TunnelDown {
			out[i].MAC = macFromC(&d.mac)
		}
	}
	return out, nil
}

// list runs a call that returns a new native entry list and copies it into Go.
func (t *PeerTable) list(f func(out **C.overlaynet_peer_list) C.overlaynet_result) ([]PeerEntry, error) {
	var l *C.overlaynet_peer_list
	err := call(func() C.overlaynet_result { return f(&l) })
	runtime.KeepAlive(t)
	if err != nil {
		return nil, err
	}
	defer C.overlaynet_peer_list_free(l)
	var count C.size_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_peer_list_count(l, &count) }); err != nil {
		return nil, err
	}
	out := make([]PeerEntry, count)
	for i := range out {
		var e C.overlaynet_peer_entry
		idx := C.size_t(i)
		if err := call(func() C.overlaynet_result { return C.overlaynet_peer_list_get(l, idx, &e) }); err != nil {
			return nil, err
		}
		eid, err := readString(func(b *C.uint8_t, n C.size_t, o *C.size_t) C.overlaynet_result {
			return C.overlaynet_peer_list_eid(l, idx, b, n, o)
		})
		if err != nil {
			return nil, err
		}
		r := peerRecordFromC(&e.peer)
		out[i] = PeerEntry{
			EID:        eid,
			IP:         r.EndpointIP,
			MAC:        r.EndpointMAC,
			VTEP:       r.TunnelEndpointIP,
			Subnet:     prefixFromC(&e.subnet, e.subnet_prefix_len),
			Local:      bool(e.is_local),
			Programmed: bool(e.is_programmed),
		}
	}
	return out, nil
}

// ---- conversions ----

func (r PeerRecord) toC() (C.overlaynet_peer_record, error) {
	var c C.overlaynet_peer_record
	if r.EndpointMAC != nil && len(r.EndpointMAC) != 6 {
		return c, fmt.Errorf("overlaynet: MAC %v is not a 6-byte MAC-48 address", r.EndpointMAC)
	}
	c.endpoint_ip = addrToC(r.EndpointIP.Addr())
	c.endpoint_prefix_len = C.uint8_t(r.EndpointIP.Bits())
	for i, b := range r.EndpointMAC {
		c.endpoint_mac[i] = C.uint8_t(b)
	}
	c.tunnel_endpoint_ip = addrToC(r.TunnelEndpointIP)
	return c, nil
}

func peerRecordFromC(c *C.overlaynet_peer_record) PeerRecord {
	return PeerRecord{
		EndpointIP:       prefixFromC(&c.endpoint_ip, c.endpoint_prefix_len),
		EndpointMAC:      macFromC(&c.endpoint_mac),
		TunnelEndpointIP: peerAddrFromC(&c.tunnel_endpoint_ip),
	}
}

// addrToC converts an address; the zero Addr becomes family 0, which the library refuses
// where an address is required.
func addrToC(a netip.Addr) C.overlaynet_peer_addr {
	var c C.overlaynet_peer_addr
	switch {
	case a.Is4():
		c.family = C.uint32_t(IPv4)
		b := a.As4()
		for i := range b {
			c.octets[i] = C.uint8_t(b[i])
		}
	case a.Is6():
		c.family = C.uint32_t(IPv6)
		b := a.As16()
		for i := range b {
			c.octets[i] = C.uint8_t(b[i])
		}
	}
	return c
}

func peerAddrFromC(c *C.overlaynet_peer_addr) netip.Addr {
	var b [16]byte
	for i := range b {
		b[i] = byte(c.octets[i])
	}
	switch Family(c.family) {
	case IPv4:
		return netip.AddrFrom4([4]byte(b[:4]))
	case IPv6:
		return netip.AddrFrom16(b)
	}
	return netip.Addr{}
}

func prefixFromC(c *C.overlaynet_peer_addr, bits C.uint8_t) netip.Prefix {
	a := peerAddrFromC(c)
	if !a.IsValid() {
		return netip.Prefix{}
	}
	return netip.PrefixFrom(a, int(bits))
}

func macFromC(c *[6]C.uint8_t) net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	for i := range mac {
		mac[i] = byte(c[i])
	}
	return mac
}

// Compile-time checks that the Go constants equal the header's values.
const (
	_ = uint(TunnelUp - C.OVERLAYNET_PEER_DELTA_KIND_TUNNEL_UP)
	_ = uint(C.OVERLAYNET_PEER_DELTA_KIND_TUNNEL_UP - TunnelUp)
	_ = uint(NeighbourAdd - C.OVERLAYNET_PEER_DELTA_KIND_NEIGHBOUR_ADD)
	_ = uint(C.OVERLAYNET_PEER_DELTA_KIND_NEIGHBOUR_ADD - NeighbourAdd)
	_ = uint(FDBAdd - C.OVERLAYNET_PEER_DELTA_KIND_FDB_ADD)
	_ = uint(C.OVERLAYNET_PEER_DELTA_KIND_FDB_ADD - FDBAdd)
	_ = uint(FDBRemove - C.OVERLAYNET_PEER_DELTA_KIND_FDB_REMOVE)
	_ = uint(C.OVERLAYNET_PEER_DELTA_KIND_FDB_REMOVE - FDBRemove)
	_ = uint(NeighbourRemove - C.OVERLAYNET_PEER_DELTA_KIND_NEIGHBOUR_REMOVE)
	_ = uint(C.OVERLAYNET_PEER_DELTA_KIND_NEIGHBOUR_REMOVE - NeighbourRemove)
	_ = uint(TunnelDown - C.OVERLAYNET_PEER_DELTA_KIND_TUNNEL_DOWN)
	_ = uint(C.OVERLAYNET_PEER_DELTA_KIND_TUNNEL_DOWN - TunnelDown)
	_ = uint(PeerInserted - C.OVERLAYNET_PEER_ADDED_INSERTED)
	_ = uint(C.OVERLAYNET_PEER_ADDED_INSERTED - PeerInserted)
	_ = uint(PeerAlreadyPresent - C.OVERLAYNET_PEER_ADDED_ALREADY_PRESENT)
	_ = uint(C.OVERLAYNET_PEER_ADDED_ALREADY_PRESENT - PeerAlreadyPresent)
	_ = uint(PeerRemovedEntry - C.OVERLAYNET_PEER_REMOVED_REMOVED)
	_ = uint(C.OVERLAYNET_PEER_REMOVED_REMOVED - PeerRemovedEntry)
	_ = uint(PeerNotFound - C.OVERLAYNET_PEER_REMOVED_NOT_FOUND)
	_ = uint(C.OVERLAYNET_PEER_REMOVED_NOT_FOUND - PeerNotFound)
	_ = uint(PeerEventIgnored - C.OVERLAYNET_PEER_EVENT_KIND_IGNORED)
	_ = uint(C.OVERLAYNET_PEER_EVENT_KIND_IGNORED - PeerEventIgnored)
	_ = uint(PeerEventUnchanged - C.OVERLAYNET_PEER_EVENT_KIND_UNCHANGED)
	_ = uint(C.OVERLAYNET_PEER_EVENT_KIND_UNCHANGED - PeerEventUnchanged)
	_ = uint(PeerEventApplied - C.OVERLAYNET_PEER_EVENT_KIND_APPLIED)
	_ = uint(C.OVERLAYNET_PEER_EVENT_KIND_APPLIED - PeerEventApplied)
)
