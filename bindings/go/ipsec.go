package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"net/netip"
	"runtime"
	"unsafe"
)

// Docker's key subsystems (swarm's EncryptionKey.Subsystem).
const (
	SubsystemIPsec  = "networking:ipsec"
	SubsystemGossip = "networking:gossip"
)

// SwarmKey is one key as swarm distributes it. Key is copied into zeroizing native memory
// by the calls that take it; the caller may wipe its slice with Zero afterwards.
type SwarmKey struct {
	Subsystem   string
	Key         []byte
	LamportTime uint64
}

// Zero overwrites b with zeros: use it on key bytes (from ExposeKey, or your own copies) once
// they are no longer needed.
func Zero(b []byte) {
	clear(b)
	runtime.KeepAlive(b)
}

// swarmKeysToC builds the native key array over the callers' slices, pinned for the call.
// The native side copies the keys, so nothing is duplicated in Go memory.
func swarmKeysToC(keys []SwarmKey, pin *runtime.Pinner) []C.overlaynet_swarm_key {
	raw := make([]C.overlaynet_swarm_key, len(keys))
	for i, k := range keys {
		if len(k.Subsystem) > 0 {
			p := unsafe.StringData(k.Subsystem)
			pin.Pin(p)
			raw[i].subsystem = (*C.uint8_t)(unsafe.Pointer(p))
		}
		raw[i].subsystem_len = C.size_t(len(k.Subsystem))
		if len(k.Key) > 0 {
			pin.Pin(&k.Key[0])
			raw[i].key = (*C.uint8_t)(unsafe.Pointer(&k.Key[0]))
		}
		raw[i].key_len = C.size_t(len(k.Key))
		raw[i].lamport_time = C.uint64_t(k.LamportTime)
	}
	return raw
}

func swarmKeysPtr(raw []C.overlaynet_swarm_key) *C.overlaynet_swarm_key {
	if len(raw) == 0 {
		return nil
	}
	return &raw[0]
}

// cBytes passes a byte slice as (ptr, len) for the duration of one call; nil or empty is
// (NULL, 0).
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// Keyring is an ordered set of tagged keys: the first transmits, all receive. Its key bytes
// live in native memory and are wiped by Close (or by the cleanup of a forgotten Keyring).
type Keyring struct {
	h handle[*C.overlaynet_keyring]
}

func newKeyring(p *C.overlaynet_keyring) *Keyring {
	r := &Keyring{}
	own(r, &r.h, p, func(p *C.overlaynet_keyring) { C.overlaynet_keyring_free(p) })
	return r
}

// NewKeyringFromSwarmKeys builds the keyring of subsystem from a full swarm key set as
// moby's agent does (SetKeys + getKeys): exactly three keys per present subsystem, sorted by
// Lamport time with the first two swapped, so the second-oldest key transmits.
func NewKeyringFromSwarmKeys(keys []SwarmKey, subsystem string) (*Keyring, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	raw := swarmKeysToC(keys, &pin)
	sp, sn := cString(subsystem)
	var p *C.overlaynet_keyring
	err := call(func() C.overlaynet_result {
		return C.overlaynet_keyring_from_swarm_keys(swarmKeysPtr(raw), C.size_t(len(raw)), sp, sn, &p)
	})
	if err != nil {
		return nil, err
	}
	return newKeyring(p), nil
}

// Close wipes and frees the keyring; safe to call twice.
func (r *Keyring) Close() error { r.h.close(); return nil }

// Tags returns the keys' Lamport tags, primary (transmit key) first.
func (r *Keyring) Tags() ([]uint64, error) {
	var stack [4]C.uint64_t
	var n C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_keyring_tags(r.h.ptr, &stack[0], C.size_t(len(stack)), &n)
	})
	tags := make([]uint64, 0, len(stack))
	if err == nil {
		for _, t := range stack[:n] {
			tags = append(tags, uint64(t))
		}
		return tags, nil
	}
	if e, ok := err.(*Error); !ok || e.Code != ErrBufferTooSmall {
		return nil, err
	}
	big := make([]C.uint64_t, n)
	if err := call(func() C.overlaynet_result { return C.overlaynet_keyring_tags(r.h.ptr, &big[0], n, &n) }); err != nil {
		return nil, err
	}
	for _, t := range big[:n] {
		tags = append(tags, uint64(t))
	}
	return tags, nil
}

// ExposeKey returns the secret bytes of the key at index (0 = primary): the only way key
// material comes back out. The slice is the caller's only copy: wipe it with Zero after use.
func (r *Keyring) ExposeKey(index int) ([]byte, error) {
	if index < 0 {
		return nil, &Error{Code: ErrIndexOutOfRange, Message: "index must not be negative"}
	}
	key := make([]byte, 32)
	var n C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_keyring_expose_key_at(r.h.ptr, C.size_t(index), (*C.uint8_t)(&key[0]), C.size_t(len(key)), &n)
	})
	if err != nil {
		return nil, err
	}
	return key[:n:n], nil
}

// UpdateTo compares the ring with a new full swarm key set (moby's handleKeyChange).
func (r *Keyring) UpdateTo(keys []SwarmKey, subsystem string) (*KeyUpdate, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	raw := swarmKeysToC(keys, &pin)
	sp, sn := cString(subsystem)
	var p *C.overlaynet_key_update
	err := call(func() C.overlaynet_result {
		return C.overlaynet_keyring_update_to(r.h.ptr, swarmKeysPtr(raw), C.size_t(len(raw)), sp, sn, &p)
	})
	if err != nil {
		return nil, err
	}
	return newKeyUpdate(p), nil
}

// Apply applies u as moby's driver updateKeys does (Docker's error texts) and returns the
// transition; the ring is unchanged. With EncryptionHardened a key may not transmit in the
// update that adds it (ErrRefused). EncryptionOff is rejected.
func (r *Keyring) Apply(u *KeyUpdate, profile Encryption) (*KeyTransition, error) {
	var p *C.overlaynet_key_transition
	err := call(func() C.overlaynet_result {
		return C.overlaynet_keyring_apply(r.h.ptr, u.h.ptr, C.uint32_t(profile), &p)
	})
	if err != nil {
		return nil, err
	}
	t := &KeyTransition{}
	own(t, &t.h, p, func(p *C.overlaynet_key_transition) { C.overlaynet_key_transition_free(p) })
	return t, nil
}

// KeyUpdate is a change to a keyring (moby's DriverEncryptionUpdate). Close wipes its key.
type KeyUpdate struct {
	h handle[*C.overlaynet_key_update]
}

func newKeyUpdate(p *C.overlaynet_key_update) *KeyUpdate {
	u := &KeyUpdate{}
	own(u, &u.h, p, func(p *C.overlaynet_key_update) { C.overlaynet_key_update_free(p) })
	return u
}

// KeyUpdateSpec describes a key update by hand. NewKey is nil for none (it is copied into
// native memory); PruneTag counts only when Prune is set.
type KeyUpdateSpec struct {
	NewKey     []byte
	NewTag     uint64
	PrimaryTag uint64
	Prune      bool
	PruneTag   uint64
}

// NewKeyUpdate builds a key update from spec.
func NewKeyUpdate(spec KeyUpdateSpec) (*KeyUpdate, error) {
	kp, kn := cBytes(spec.NewKey)
	var p *C.overlaynet_key_update
	err := call(func() C.overlaynet_result {
		return C.overlaynet_key_update_new(kp, kn, C.uint64_t(spec.NewTag), C.uint64_t(spec.PrimaryTag),
			C.bool(spec.Prune), C.uint64_t(spec.PruneTag), &p)
	})
	if err != nil {
		return nil, err
	}
	return newKeyUpdate(p), nil
}

// Close wipes and frees the update; safe to call twice.
func (u *KeyUpdate) Close() error { u.h.close(); return nil }

// KeyUpdateInfo is what an update says, without key bytes.
type KeyUpdateInfo struct {
	HasNew     bool
	NewTag     uint64
	PrimaryTag uint64
	HasPrune   bool
	PruneTag   uint64
}

// Info returns the update's tags.
func (u *KeyUpdate) Info() (KeyUpdateInfo, error) {
	var s C.overlaynet_key_update_summary
	if err := call(func() C.overlaynet_result { return C.overlaynet_key_update_info(u.h.ptr, &s) }); err != nil {
		return KeyUpdateInfo{}, err
	}
	return KeyUpdateInfo{
		HasNew: bool(s.has_new), NewTag: uint64(s.new_tag), PrimaryTag: uint64(s.primary_tag),
		HasPrune: bool(s.has_prune), PruneTag: uint64(s.prune_tag),
	}, nil
}

// KeyTransition is an applied key update. Close wipes its keys.
type KeyTransition struct {
	h handle[*C.overlaynet_key_transition]
}

// Close wipes and frees the transition; safe to call twice.
func (t *KeyTransition) Close() error { t.h.close(); return nil }

// KeyIndices are positions in the ring during a change (moby's newIdx, priIdx, delIdx);
// -1 means none.
type KeyIndices struct {
	New, Primary, Prune int
}

// Indices returns the positions of the new key, the new primary and the pruned key.
func (t *KeyTransition) Indices() (KeyIndices, error) {
	var i C.overlaynet_key_indices
	if err := call(func() C.overlaynet_result { return C.overlaynet_key_transition_indices(t.h.ptr, &i) }); err != nil {
		return KeyIndices{}, err
	}
	return KeyIndices{New: int(i.new_index), Primary: int(i.primary_index), Prune: int(i.prune_index)}, nil
}

// DuringTags returns the tags of the ring during the change (old ring plus the new key).
func (t *KeyTransition) DuringTags() ([]uint64, error) {
	var stack [8]C.uint64_t
	var n C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_key_transition_during_tags(t.h.ptr, &stack[0], C.size_t(len(stack)), &n)
	})
	if err != nil {
		return nil, err
	}
	tags := make([]uint64, n)
	for i := range tags {
		tags[i] = uint64(stack[i])
	}
	return tags, nil
}

// After returns the ring after the change as a new Keyring.
func (t *KeyTransition) After() (*Keyring, error) {
	var p *C.overlaynet_keyring
	if err := call(func() C.overlaynet_result { return C.overlaynet_key_transition_after(t.h.ptr, &p) }); err != nil {
		return nil, err
	}
	return newKeyring(p), nil
}

// BuildSPI is moby's buildSPI(src, dst, tag).
func BuildSPI(src, dst netip.Addr, tag uint32) (uint32, error) {
	sp, sn := cString(src.String())
	dp, dn := cString(dst.String())
	var spi C.uint32_t
	err := call(func() C.overlaynet_result { return C.overlaynet_ipsec_build_spi(sp, sn, dp, dn, C.uint32_t(tag), &spi) })
	return uint32(spi), err
}

// Endpoints are this node's addresses for SA planning: moby's bindAddress and
// advertiseAddress, and the VXLAN data-path port (Docker: 4789).
type Endpoints struct {
	Bind, Advertise netip.Addr
	DataPort        uint16
}

// withEndpoints runs f with a native endpoints struct whose strings are pinned for the call.
func withEndpoints(ep Endpoints, f func(*C.overlaynet_ipsec_endpoints) C.overlaynet_result) error {
	bind, adv := ep.Bind.String(), ep.Advertise.String()
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(unsafe.StringData(bind))
	pin.Pin(unsafe.StringData(adv))
	var c C.overlaynet_ipsec_endpoints
	c.bind, c.bind_len = cString(bind)
	c.advertise, c.advertise_len = cString(adv)
	c.data_port = C.uint16_t(ep.DataPort)
	return call(func() C.overlaynet_result { return f(&c) })
}

// XfrmChangeKind is what an XfrmChange does.
type XfrmChangeKind uint32

// The change kinds.
const (
	AddState     XfrmChangeKind = 1
	DeleteState  XfrmChangeKind = 2
	UpdatePolicy XfrmChangeKind = 3
	DeletePolicy XfrmChangeKind = 4
)

// SADirection is which way an SA carries traffic, from this node's view.
type SADirection uint32

// The directions; policies have NoDirection.
const (
	NoDirection SADirection = 0
	Forward     SADirection = 1
	Reverse     SADirection = 2
)

// XfrmChange is one ordered change to the kernel's XFRM tables, never with key bytes. For
// SA changes Src/Dst/SPI identify the SA; for policies they are the selector's host addresses
// and the template's SPI. Text is the equivalent ip xfrm command with the key redacted.
type XfrmChange struct {
	Kind         XfrmChangeKind
	Direction    SADirection
	Src, Dst     netip.Addr
	SPI          uint32
	ReqID        uint32
	KeyLen       uint32
	ICVBits      uint32
	ReplayWindow uint32
	ESN          bool
	DPort        uint16
	Mark         uint32
	MarkMask     uint32
	Text         string
}

func addrFromC(a C.overlaynet_xfrm_addr) netip.Addr {
	var b [16]byte
	for i := range b {
		b[i] = byte(a.octets[i])
	}
	if Family(a.family) == IPv4 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b)
}

// changesFromC copies a native change list into Go and frees it.
func changesFromC(p *C.overlaynet_xfrm_changes) ([]XfrmChange, error) {
	defer C.overlaynet_xfrm_changes_free(p)
	var count C.size_t
	if err := call(func() C.overlaynet_result { return C.overlaynet_xfrm_changes_count(p, &count) }); err != nil {
		return nil, err
	}
	out := make([]XfrmChange, count)
	for i := range out {
		var c C.overlaynet_xfrm_change
		if err := call(func() C.overlaynet_result { return C.overlaynet_xfrm_changes_get(p, C.size_t(i), &c) }); err != nil {
			return nil, err
		}
		text, err := readString(func(b *C.uint8_t, n C.size_t, o *C.size_t) C.overlaynet_result {
			return C.overlaynet_xfrm_changes_text_at(p, C.size_t(i), b, n, o)
		})
		if err != nil {
			return nil, err
		}
		out[i] = XfrmChange{
			Kind: XfrmChangeKind(c.kind), Direction: SADirection(c.direction),
			Src: addrFromC(c.src), Dst: addrFromC(c.dst), SPI: uint32(c.spi), ReqID: uint32(c.reqid),
			KeyLen: uint32(c.key_len), ICVBits: uint32(c.icv_bits), ReplayWindow: uint32(c.replay_window),
			ESN: bool(c.esn), DPort: uint16(c.dport), Mark: uint32(c.mark), MarkMask: uint32(c.mark_mask),
			Text: text,
		}
	}
	return out, nil
}

type remoteChangesFn func(C.uint32_t, *C.overlaynet_ipsec_endpoints, *C.uint8_t, C.size_t,
	*C.overlaynet_keyring, **C.overlaynet_xfrm_changes) C.overlaynet_result

func remoteChanges(f remoteChangesFn, profile Encryption, ep Endpoints, remote netip.Addr, ring *Keyring) ([]XfrmChange, error) {
	rp, rn := cString(remote.String())
	var p *C.overlaynet_xfrm_changes
	err := withEndpoints(ep, func(c *C.overlaynet_ipsec_endpoints) C.overlaynet_result {
		return f(C.uint32_t(profile), c, rp, rn, ring.h.ptr, &p)
	})
	if err != nil {
		return nil, err
	}
	return changesFromC(p)
}

// SetupChanges returns the steady state toward remote as moby's setupEncryption installs it:
// +rSA(primary) +fSA(primary) +SP, then +rSA of every other key.
func SetupChanges(profile Encryption, ep Endpoints, remote netip.Addr, ring *Keyring) ([]XfrmChange, error) {
	return remoteChanges(func(p C.uint32_t, e *C.overlaynet_ipsec_endpoints, r *C.uint8_t, rn C.size_t,
		k *C.overlaynet_keyring, o **C.overlaynet_xfrm_changes) C.overlaynet_result {
		return C.overlaynet_ipsec_setup_changes(p, e, r, rn, k, o)
	}, profile, ep, remote, ring)
}

// TeardownChanges returns the removal of the steady state toward remote (moby's
// removeEncryption).
func TeardownChanges(profile Encryption, ep Endpoints, remote netip.Addr, ring *Keyring) ([]XfrmChange, error) {
	return remoteChanges(func(p C.uint32_t, e *C.overlaynet_ipsec_endpoints, r *C.uint8_t, rn C.size_t,
		k *C.overlaynet_keyring, o **C.overlaynet_xfrm_changes) C.overlaynet_result {
		return C.overlaynet_ipsec_teardown_changes(p, e, r, rn, k, o)
	}, profile, ep, remote, ring)
}

// RotationChanges returns moby's 3-step rotation (updateNodeKey) toward remote, split where a
// careful caller waits: receive (-rSA(prune) +rSA(new)) is applied on every node before any
// node applies transmit (+fSA(primary), policy to the primary, -fSA(old)).
func RotationChanges(profile Encryption, ep Endpoints, remote netip.Addr, t *KeyTransition) (receive, transmit []XfrmChange, err error) {
	rp, rn := cString(remote.String())
	var p *C.overlaynet_xfrm_changes
	var rx C.size_t
	err = withEndpoints(ep, func(c *C.overlaynet_ipsec_endpoints) C.overlaynet_result {
		return C.overlaynet_ipsec_rotation_changes(C.uint32_t(profile), c, rp, rn, t.h.ptr, &p, &rx)
	})
	if err != nil {
		return nil, nil, err
	}
	all, err := changesFromC(p)
	if err != nil {
		return nil, nil, err
	}
	return all[:rx:rx], all[rx:], nil
}

// Compile-time checks that the Go constants equal the header's values.
const (
	_ = uint(AddState - C.OVERLAYNET_XFRM_CHANGE_KIND_ADD_STATE)
	_ = uint(C.OVERLAYNET_XFRM_CHANGE_KIND_ADD_STATE - AddState)
	_ = uint(DeleteState - C.OVERLAYNET_XFRM_CHANGE_KIND_DELETE_STATE)
	_ = uint(C.OVERLAYNET_XFRM_CHANGE_KIND_DELETE_STATE - DeleteState)
	_ = uint(UpdatePolicy - C.OVERLAYNET_XFRM_CHANGE_KIND_UPDATE_POLICY)
	_ = uint(C.OVERLAYNET_XFRM_CHANGE_KIND_UPDATE_POLICY - UpdatePolicy)
	_ = uint(DeletePolicy - C.OVERLAYNET_XFRM_CHANGE_KIND_DELETE_POLICY)
	_ = uint(C.OVERLAYNET_XFRM_CHANGE_KIND_DELETE_POLICY - DeletePolicy)
	_ = uint(NoDirection - C.OVERLAYNET_SA_DIRECTION_NONE)
	_ = uint(C.OVERLAYNET_SA_DIRECTION_NONE - NoDirection)
	_ = uint(Forward - C.OVERLAYNET_SA_DIRECTION_FORWARD)
	_ = uint(C.OVERLAYNET_SA_DIRECTION_FORWARD - Forward)
	_ = uint(Reverse - C.OVERLAYNET_SA_DIRECTION_REVERSE)
	_ = uint(C.OVERLAYNET_SA_DIRECTION_REVERSE - Reverse)
)
