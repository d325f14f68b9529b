package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"unsafe"
)

// DataPathMode says how closely the data path follows Docker where Docker is weak.
type DataPathMode uint32

// The data-path modes.
const (
	// DataPathHardened is the default: no VXLAN learning or miss notifications (every remote
	// MAC has a static FDB entry), MTU counting the real underlay header and the ESP profile.
	DataPathHardened DataPathMode = 0
	// DataPathDockerCompatible makes Docker's choices: learning and miss notifications on,
	// moby's maxMTU.
	DataPathDockerCompatible DataPathMode = 1
)

// Host is the engine of one node: the overlay networks created on it, its local endpoints,
// the peers gossip tells it about, docker_gwbridge and the IPsec keys, and the kernel state
// all of that needs. It never touches a kernel by itself: Plan, Reconcile and Explain take a
// Kernel. Every refused request leaves it unchanged. Close releases it.
type Host struct {
	h handle[*C.overlaynet_host]
}

// NewHost creates the engine of node in mode, with no networks. The node is copied.
func NewHost(node *NodeConfig, mode DataPathMode) (*Host, error) {
	var p *C.overlaynet_host
	err := call(func() C.overlaynet_result { return C.overlaynet_host_new(node.h.ptr, C.uint32_t(mode), &p) })
	runtime.KeepAlive(node)
	if err != nil {
		return nil, err
	}
	h := &Host{}
	own(h, &h.h, p, func(p *C.overlaynet_host) { C.overlaynet_host_free(p) })
	return h, nil
}

// Close releases the engine (nothing happens to any kernel); safe to call twice.
func (h *Host) Close() error { h.h.close(); return nil }

// CreateNetwork creates network id (Docker's network id: lowercase letters and digits) from
// the cluster's network name. Nothing is created in a kernel until the first local endpoint
// joins.
func (h *Host) CreateNetwork(id string, cluster *Cluster, name string) error {
	defer runtime.KeepAlive(h)
	defer runtime.KeepAlive(cluster)
	var s *C.overlaynet_network_state
	np, nn := cString(name)
	if err := call(func() C.overlaynet_result { return C.overlaynet_cluster_network(cluster.h.ptr, np, nn, &s) }); err != nil {
		return err
	}
	defer C.overlaynet_network_state_free(s)
	ip, in := cString(id)
	return call(func() C.overlaynet_result { return C.overlaynet_host_create_network(h.h.ptr, ip, in, s) })
}

// DeleteNetwork deletes network id and, at the next reconcile, everything it has in the
// kernel; refused (ErrRefused) while local endpoints are joined.
func (h *Host) DeleteNetwork(id string) error {
	ip, in := cString(id)
	err := call(func() C.overlaynet_result { return C.overlaynet_host_delete_network(h.h.ptr, ip, in) })
	runtime.KeepAlive(h)
	return err
}

// JoinRequest is a container joining an overlay network on this host. Zero values are
// Docker's defaults.
type JoinRequest struct {
	// EndpointID is the NetworkDB key of the endpoint's PeerRecord (required).
	EndpointID string
	// Address is the endpoint's IPv4 address with its subnet's prefix length (required).
	Address netip.Prefix
	// ContainerNetns names the container's network namespace, which the runtime created
	// (required).
	ContainerNetns string
	// Ifname is the interface name inside the container; "" is eth0.
	Ifname string
	// MAC is the endpoint's MAC; nil derives Docker's 02:42 + the IPv4 octets.
	MAC net.HardwareAddr
	// ExternalAddress asks for docker_gwbridge access at this address (with the bridge
	// subnet's prefix length); the zero Prefix is no external access.
	ExternalAddress netip.Prefix
	// ExternalIfname is the interface name for docker_gwbridge access; "" is eth1.
	ExternalIfname string
}

// toC builds the native request over the request's strings, pinned for the call.
func (r JoinRequest) toC(pin *runtime.Pinner) (C.overlaynet_join_request, error) {
	var c C.overlaynet_join_request
	if r.MAC != nil && len(r.MAC) != 6 {
		return c, fmt.Errorf("overlaynet: MAC %v is not a 6-byte MAC-48 address", r.MAC)
	}
	str := func(s string) (*C.uint8_t, C.size_t) {
		if s == "" {
			return nil, 0
		}
		p := unsafe.StringData(s)
		pin.Pin(p)
		return (*C.uint8_t)(unsafe.Pointer(p)), C.size_t(len(s))
	}
	var address, external string
	if r.Address.IsValid() {
		address = r.Address.String()
	}
	if r.ExternalAddress.IsValid() {
		external = r.ExternalAddress.String()
	}
	c.endpoint_id, c.endpoint_id_len = str(r.EndpointID)
	c.address, c.address_len = str(address)
	c.container_netns, c.container_netns_len = str(r.ContainerNetns)
	c.ifname, c.ifname_len = str(r.Ifname)
	c.external_address, c.external_address_len = str(external)
	c.external_ifname, c.external_ifname_len = str(r.ExternalIfname)
	if r.MAC != nil {
		c.has_mac = true
		for i, b := range r.MAC {
			c.mac[i] = C.uint8_t(b)
		}
	}
	return c, nil
}

// Join joins a local endpoint to network (moby's Join); the first join creates the network's
// sandbox. It returns the PeerRecord this host must publish (Marshal it for NetworkDB).
func (h *Host) Join(network string, req JoinRequest) (PeerRecord, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	c, err := req.toC(&pin)
	if err != nil {
		return PeerRecord{}, err
	}
	np, nn := cString(network)
	var out C.overlaynet_peer_record
	err = call(func() C.overlaynet_result { return C.overlaynet_host_join(h.h.ptr, np, nn, &c, &out) })
	runtime.KeepAlive(h)
	if err != nil {
		return PeerRecord{}, err
	}
	return peerRecordFromC(&out), nil
}

// Leave removes local endpoint eid from network; the last leave removes the sandbox. It
// returns the PeerRecord this host must withdraw.
func (h *Host) Leave(network, eid string) (PeerRecord, error) {
	np, nn := cString(network)
	ep, en := cString(eid)
	var out C.overlaynet_peer_record
	err := call(func() C.overlaynet_result { return C.overlaynet_host_leave(h.h.ptr, np, nn, ep, en, &out) })
	runtime.KeepAlive(h)
	if err != nil {
		return PeerRecord{}, err
	}
	return peerRecordFromC(&out), nil
}

// PublishedRecord is one entry this host publishes in NetworkDB's overlay_peer_table: the
// key (endpoint id) and the value (PeerRecord protobuf bytes).
type PublishedRecord struct {
	EndpointID string
	Value      []byte
}

// LocalRecords returns the PeerRecords of network's local endpoints as NetworkDB carries
// them, in endpoint id order.
func (h *Host) LocalRecords(network string) ([]PublishedRecord, error) {
	np, nn := cString(network)
	var list *C.overlaynet_host_records
	err := call(func() C.overlaynet_result { return C.overlaynet_host_local_records(h.h.ptr, np, nn, &list) })
	runtime.KeepAlive(h)
	if err != nil {
		return nil, err
	}
	defer C.overlaynet_host_records_free(list)
	var count C.size_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_host_records_count(list, &count) }); err != nil {
		return nil, err
	}
	records := make([]PublishedRecord, 0, int(count))
	for i := C.size_t(0); i < count; i++ {
		eid, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_host_records_eid(list, i, b, l, out)
		})
		if err != nil {
			return nil, err
		}
		value, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
			return C.overlaynet_host_records_bytes(list, i, b, l, out)
		})
		if err != nil {
			return nil, err
		}
		records = append(records, PublishedRecord{EndpointID: eid, Value: []byte(value)})
	}
	return records, nil
}

// PeerEventType is what a NetworkDB event says happened to a PeerRecord.
type PeerEventType uint32

// The event types.
const (
	PeerEventCreate PeerEventType = 1
	PeerEventUpdate PeerEventType = 2
	PeerEventDelete PeerEventType = 3
)

// HostPeerUpdate is what applying a peer event did: the peer table's outcome and how many
// kernel objects' desired state changed (0 while the network has no sandbox).
type HostPeerUpdate struct {
	Outcome PeerEventOutcome
	Touched int
}

// ApplyPeerEvent applies a NetworkDB event of network's overlay_peer_table for key eid
// (moby's EventNotify). record is the PeerRecord bytes of the new record (create, update) or
// of the deleted one (delete); prev is the previous record of an update and must be nil
// otherwise. Records carrying this host's VTEP are ignored (local endpoints come from
// Join/Leave); an undecodable record fails the event with moby's text.
func (h *Host) ApplyPeerEvent(network, eid string, typ PeerEventType, record, prev []byte) (HostPeerUpdate, error) {
	np, nn := cString(network)
	ep, en := cString(eid)
	rp, rn := cBytes(record)
	pp, pn := cBytes(prev)
	var out C.overlaynet_peer_event_outcome
	var touched C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_host_apply_peer_event(h.h.ptr, np, nn, ep, en, C.uint32_t(typ), rp, rn, pp, pn, &out, &touched)
	})
	runtime.KeepAlive(h)
	if err != nil {
		return HostPeerUpdate{}, err
	}
	return HostPeerUpdate{
		Outcome: PeerEventOutcome{Kind: PeerEventKind(out.kind), Removed: PeerRemoved(out.removed), Added: PeerAdded(out.added)},
		Touched: int(touched),
	}, nil
}

// SetGwBridge configures the docker_gwbridge network used for external access (copied);
// refused (ErrRefused) while endpoints are attached to it.
func (h *Host) SetGwBridge(network *GwBridgeNetwork) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_host_set_gwbridge(h.h.ptr, network.h.ptr) })
	runtime.KeepAlive(h)
	runtime.KeepAlive(network)
	return err
}

// SetKeys sets the IPsec keyring (moby's setKeys; the keys are copied into the engine).
func (h *Host) SetKeys(ring *Keyring) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_host_set_keys(h.h.ptr, ring.h.ptr) })
	runtime.KeepAlive(h)
	runtime.KeepAlive(ring)
	return err
}

// UpdateKeys applies a key rotation (moby's updateKeys); refused (ErrRefused) before
// SetKeys.
func (h *Host) UpdateKeys(update *KeyUpdate) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_host_update_keys(h.h.ptr, update.h.ptr) })
	runtime.KeepAlive(h)
	runtime.KeepAlive(update)
	return err
}

// DesiredStateJSON returns everything this host should have in the kernel, as JSON (maps as
// lists of [key, value] pairs, AEAD keys redacted).
func (h *Host) DesiredStateJSON() ([]byte, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_host_desired_state_json(h.h.ptr, b, l, out)
	})
	runtime.KeepAlive(h)
	return []byte(s), err
}

// Plan observes kernel within this host's scope and returns what would bring it to the
// desired state, without applying anything.
func (h *Host) Plan(kernel *Kernel) (*Plan, error) {
	var p *C.overlaynet_plan
	err := callOnce(func() C.overlaynet_result { return C.overlaynet_host_plan(h.h.ptr, kernel.h.ptr, &p) })
	runtime.KeepAlive(h)
	runtime.KeepAlive(kernel)
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	own(plan, &plan.h, p, func(p *C.overlaynet_plan) { C.overlaynet_plan_free(p) })
	return plan, nil
}

// Reconcile runs one round against kernel: observe within this host's scope, plan, apply.
// Operations the kernel refuses are in the report, not the error; run it again to retry them
// and to repair drift. It fails, applying nothing, only when the kernel cannot be observed
// (ErrKernel, with Errno) or the desired state is one Linux cannot hold.
func (h *Host) Reconcile(kernel *Kernel) (ReconcileReport, error) {
	var p *C.overlaynet_reconcile_report
	err := callOnce(func() C.overlaynet_result { return C.overlaynet_host_reconcile(h.h.ptr, kernel.h.ptr, &p) })
	runtime.KeepAlive(h)
	runtime.KeepAlive(kernel)
	if err != nil {
		return ReconcileReport{}, err
	}
	return reportFromC(p)
}

// Verdict is the verdict on a path or one hop of it.
type Verdict uint32

// The verdicts.
const (
	VerdictOK           Verdict = 0
	VerdictMissing      Verdict = 1
	VerdictInconsistent Verdict = 2
)

var verdictNames = [...]string{"ok", "missing", "inconsistent"}

// String returns "ok", "missing" or "inconsistent".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint32(v))
}

// UnmarshalText reads the library's JSON form ("ok", "missing", "inconsistent").
func (v *Verdict) UnmarshalText(text []byte) error {
	for i, name := range verdictNames {
		if string(text) == name {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("overlaynet: unknown verdict %q", text)
}

// Hop is one hop of an explained path: endpoint, peer table, neighbour, fdb, vtep, ipsec or
// mtu, its verdict, and what was found.
type Hop struct {
	Step    string  `json:"step"`
	Verdict Verdict `json:"verdict"`
	Detail  string  `json:"detail"`
}

// Explanation is the walk along a path, ending at the first problem if there is one.
type Explanation struct {
	// Verdict is VerdictOK when every hop is in place, else the first broken hop's verdict.
	Verdict Verdict
	Hops    []Hop
	// Text is the walk as the library prints it, one hop per line.
	Text string
}

// FirstProblem returns the first hop that is missing or inconsistent.
func (e Explanation) FirstProblem() (Hop, bool) {
	for _, hop := range e.Hops {
		if hop.Verdict != VerdictOK {
			return hop, true
		}
	}
	return Hop{}, false
}

// Explain observes kernel within this host's scope and walks the path a frame from local
// endpoint from of network to address to would take (endpoint, peer table, neighbour, FDB,
// VTEP, IPsec, MTU), stopping at the first hop that is missing or inconsistent. A remote
// endpoint is known here by the address in its PeerRecord. Read-only.
func (h *Host) Explain(kernel *Kernel, network, from string, to netip.Addr) (Explanation, error) {
	np, nn := cString(network)
	fp, fn := cString(from)
	tp, tn := cString(to.String())
	var p *C.overlaynet_explanation
	err := callOnce(func() C.overlaynet_result {
		return C.overlaynet_host_explain(h.h.ptr, kernel.h.ptr, np, nn, fp, fn, tp, tn, &p)
	})
	runtime.KeepAlive(h)
	runtime.KeepAlive(kernel)
	if err != nil {
		return Explanation{}, err
	}
	defer C.overlaynet_explanation_free(p)
	var verdict C.uint32_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_explanation_verdict(p, &verdict) }); err != nil {
		return Explanation{}, err
	}
	text, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_explanation_text(p, b, l, out)
	})
	if err != nil {
		return Explanation{}, err
	}
	raw, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_explanation_json(p, b, l, out)
	})
	if err != nil {
		return Explanation{}, err
	}
	var walk struct {
		Hops []Hop `json:"hops"`
	}
	if err := json.Unmarshal([]byte(raw), &walk); err != nil {
		return Explanation{}, fmt.Errorf("overlaynet: reading the explanation: %w", err)
	}
	return Explanation{Verdict: Verdict(verdict), Hops: walk.Hops, Text: text}, nil
}
