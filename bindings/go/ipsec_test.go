package overlaynet

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func swarmSet(subsystem string, tags ...uint64) []SwarmKey {
	keys := make([]SwarmKey, len(tags))
	for i, t := range tags {
		keys[i] = SwarmKey{Subsystem: subsystem, Key: bytes.Repeat([]byte{byte(t)}, 16), LamportTime: t}
	}
	return keys
}

func mustRing(t *testing.T, subsystem string, tags ...uint64) *Keyring {
	t.Helper()
	r, err := NewKeyringFromSwarmKeys(swarmSet(subsystem, tags...), subsystem)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var (
	nodeA = netip.MustParseAddr("192.168.1.10")
	nodeB = netip.MustParseAddr("192.168.1.20")
	epA   = Endpoints{Bind: nodeA, Advertise: nodeA, DataPort: 4789}
)

func TestKeyringOrderAndDockerTexts(t *testing.T) {
	r := mustRing(t, SubsystemIPsec, 30, 10, 20)
	tags, err := r.Tags()
	if err != nil || len(tags) != 3 || tags[0] != 20 || tags[1] != 10 || tags[2] != 30 {
		t.Fatalf("tags = %v, %v; want [20 10 30]", tags, err)
	}
	_, err = NewKeyringFromSwarmKeys(swarmSet(SubsystemIPsec, 1, 2), SubsystemIPsec)
	var e *Error
	if !errors.Is(err, ErrInvalidInput) || !errors.As(err, &e) || e.Message != "incorrect number of keys for subsystem networking:ipsec" {
		t.Fatalf("err = %v", err)
	}
	bad := swarmSet(SubsystemIPsec, 1, 2, 3)
	bad[0].Subsystem = "networking:other"
	if _, err := NewKeyringFromSwarmKeys(bad, SubsystemIPsec); err == nil || !strings.Contains(err.Error(), "key received for unrecognized subsystem") {
		t.Fatalf("err = %v", err)
	}
	bad[0].Subsystem, bad[0].Key = SubsystemIPsec, []byte{1, 2, 3}
	if _, err := NewKeyringFromSwarmKeys(bad, SubsystemIPsec); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "invalid key length 3") {
		t.Fatalf("err = %v", err)
	}
}

func TestExposeKeyIsTheOnlyWayOutAndZeroWipes(t *testing.T) {
	r := mustRing(t, SubsystemIPsec, 1, 2, 3)
	k, err := r.ExposeKey(0)
	if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{2}, 16)) {
		t.Fatalf("key = %x, %v", k, err)
	}
	Zero(k)
	if !bytes.Equal(k, make([]byte, 16)) {
		t.Fatalf("Zero left %x", k)
	}
	if _, err := r.ExposeKey(3); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.ExposeKey(-1); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatalf("err = %v", err)
	}
	r.Close()
	r.Close()
	if _, err := r.ExposeKey(0); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("after Close: err = %v", err)
	}
}

func TestRotationWorkedExample(t *testing.T) {
	r := mustRing(t, SubsystemIPsec, 1, 2, 3)
	u, err := r.UpdateTo(swarmSet(SubsystemIPsec, 2, 3, 4), SubsystemIPsec)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	info, err := u.Info()
	if err != nil || info != (KeyUpdateInfo{HasNew: true, NewTag: 4, PrimaryTag: 3, HasPrune: true, PruneTag: 1}) {
		t.Fatalf("info = %+v, %v", info, err)
	}
	tr, err := r.Apply(u, EncryptionDockerCompatible)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if idx, _ := tr.Indices(); idx != (KeyIndices{New: 3, Primary: 2, Prune: 1}) {
		t.Fatalf("indices = %+v", idx)
	}
	if during, _ := tr.DuringTags(); len(during) != 4 || during[3] != 4 {
		t.Fatalf("during = %v", during)
	}
	after, err := tr.After()
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if tags, _ := after.Tags(); len(tags) != 3 || tags[0] != 3 || tags[1] != 2 || tags[2] != 4 {
		t.Fatalf("after = %v", tags)
	}

	rx, tx, err := RotationChanges(EncryptionDockerCompatible, epA, nodeB, tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(rx) != 2 || len(tx) != 3 {
		t.Fatalf("phases = %d + %d", len(rx), len(tx))
	}
	if rx[0].Kind != DeleteState || rx[1].Kind != AddState || rx[1].Direction != Reverse || rx[1].Src != nodeB {
		t.Fatalf("receive phase = %+v", rx)
	}
	if tx[0].Kind != AddState || tx[0].Direction != Forward || tx[1].Kind != UpdatePolicy || tx[2].Kind != DeleteState {
		t.Fatalf("transmit phase = %+v", tx)
	}
	if tx[1].DPort != 4789 || tx[1].Mark != 0xD0C4E3 || tx[1].MarkMask != 0xffffffff || tx[1].SPI != tx[0].SPI {
		t.Fatalf("policy = %+v", tx[1])
	}
	spi, _ := BuildSPI(nodeA, nodeB, 3)
	if tx[0].SPI != spi || tx[0].ICVBits != 64 || tx[0].KeyLen != 16 {
		t.Fatalf("fSA = %+v, want SPI %#x", tx[0], spi)
	}
	if !strings.HasSuffix(tx[0].Text, "aead 'rfc4106(gcm(aes))' 0x<redacted> 64") {
		t.Fatalf("text = %q", tx[0].Text)
	}
	for _, c := range append(rx, tx...) {
		if strings.Contains(c.Text, "03030303") {
			t.Fatalf("key bytes in %q", c.Text)
		}
	}
}

func TestApplyErrorsAndHardenedRule(t *testing.T) {
	r := mustRing(t, SubsystemIPsec, 1, 2, 3)
	both, err := NewKeyUpdate(KeyUpdateSpec{PrimaryTag: 1, Prune: true, PruneTag: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer both.Close()
	_, err = r.Apply(both, EncryptionDockerCompatible)
	var e *Error
	if !errors.As(err, &e) || e.Message != "attempting to both make a key (index 1) primary and delete it" {
		t.Fatalf("err = %v", err)
	}
	missing, _ := NewKeyUpdate(KeyUpdateSpec{PrimaryTag: 9})
	defer missing.Close()
	if _, err := r.Apply(missing, EncryptionDockerCompatible); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	early, err := NewKeyUpdate(KeyUpdateSpec{NewKey: bytes.Repeat([]byte{9}, 32), NewTag: 9, PrimaryTag: 9, Prune: true, PruneTag: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if _, err := r.Apply(early, EncryptionHardened); !errors.Is(err, ErrRefused) {
		t.Fatalf("hardened: err = %v", err)
	}
	if _, err := r.Apply(early, EncryptionOff); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("off: err = %v", err)
	}
	if _, err := r.Apply(early, Encryption(9)); !errors.Is(err, ErrInvalidEnum) {
		t.Fatalf("9: err = %v", err)
	}
	tr, err := r.Apply(early, EncryptionDockerCompatible)
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if _, err := NewKeyUpdate(KeyUpdateSpec{NewKey: []byte{1}}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("short key: err = %v", err)
	}
}

func TestSteadyStateAndTeardown(t *testing.T) {
	r := mustRing(t, SubsystemIPsec, 1, 2, 3)
	v6 := Endpoints{Bind: netip.MustParseAddr("2001:db8::1"), Advertise: netip.MustParseAddr("2001:db8::1"), DataPort: 7789}
	remote := netip.MustParseAddr("2001:db8::2")
	setup, err := SetupChanges(EncryptionHardened, v6, remote, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(setup) != 5 || setup[0].Kind != AddState || setup[1].Direction != Forward || setup[2].Kind != UpdatePolicy {
		t.Fatalf("setup = %+v", setup)
	}
	if s := setup[0]; !s.ESN || s.ICVBits != 128 || s.ReplayWindow != 1024 || s.Src != remote || s.Dst != v6.Bind {
		t.Fatalf("rSA = %+v", s)
	}
	if !strings.Contains(setup[2].Text, "src 2001:db8::1/128 dst 2001:db8::2/128 proto udp dport 7789") {
		t.Fatalf("policy text = %q", setup[2].Text)
	}
	down, err := TeardownChanges(EncryptionHardened, v6, remote, r)
	if err != nil || len(down) != 5 || down[2].Kind != DeletePolicy {
		t.Fatalf("teardown = %+v, %v", down, err)
	}
	if _, err := SetupChanges(EncryptionHardened, Endpoints{}, remote, r); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("zero endpoints: err = %v", err)
	}
}

func TestBuildSPIGoldenVectors(t *testing.T) {
	cases := []struct {
		src, dst string
		tag      uint32
		want     uint32
	}{
		{"192.168.1.10", "192.168.1.20", 1, 0xbf836db8},
		{"192.168.1.20", "192.168.1.10", 1, 0xbd9342d8},
		{"2001:db8::1", "2001:db8::2", 7, 0x7e582a31},
		{"10.0.0.1", "2001:db8::1", 5678, 0x8c1ea943},
	}
	for _, c := range cases {
		got, err := BuildSPI(netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst), c.tag)
		if err != nil || got != c.want {
			t.Errorf("BuildSPI(%s, %s, %d) = %#x, %v; want %#x", c.src, c.dst, c.tag, got, err, c.want)
		}
	}
	if _, err := BuildSPI(netip.Addr{}, nodeB, 1); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("invalid addr: err = %v", err)
	}
}

func saPair(t *testing.T, profile Encryption) (*OutboundSA, *InboundSA) {
	t.Helper()
	key := bytes.Repeat([]byte{0x42}, 32)
	spi, _ := BuildSPI(nodeA, nodeB, 5)
	cfg := SAConfig{Key: key, Tag: 5, Src: nodeA, Dst: nodeB, SPI: spi}
	tx, err := NewOutboundSA(profile, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rx, err := NewInboundSA(profile, cfg)
	if err != nil {
		t.Fatal(err)
	}
	Zero(key)
	t.Cleanup(func() { tx.Close(); rx.Close() })
	return tx, rx
}

func TestESPSealOpenRejectsAndCounters(t *testing.T) {
	tx, rx := saPair(t, EncryptionHardened)
	payload := []byte("inner IP packet")
	size, err := SealedLen(len(payload), 16)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, size)
	copy(buf[ESPHeadroom:], payload)
	if _, err := tx.Seal(buf[:size-1], len(payload), 4); !errors.Is(err, ErrBufferTooSmall) {
		t.Fatalf("small: err = %v", err)
	}
	n, err := tx.Seal(buf, len(payload), 4)
	if err != nil || n != size {
		t.Fatalf("seal = %d, %v", n, err)
	}
	if st, _ := tx.Status(); st.LastSequence != 1 || st.ICVLen != 16 {
		t.Fatalf("status = %+v", st)
	}
	replay := bytes.Clone(buf)
	forged := bytes.Clone(buf)
	forged[n-1] ^= 1
	o, err := rx.Open(buf)
	if err != nil || !bytes.Equal(o.Inner, payload) || o.NextHeader != 4 || o.Sequence != 1 {
		t.Fatalf("open = %+v, %v", o, err)
	}
	var rej *ESPRejectError
	if _, err := rx.Open(replay); !errors.Is(err, ESPReplayed) || !errors.As(err, &rej) || rej.Sequence != 1 {
		t.Fatalf("replay: err = %v", err)
	}
	if _, err := rx.Open(forged); !errors.Is(err, ESPReplayed) {
		// The replay check runs before the ICV, as in the kernel.
		t.Fatalf("forged replay: err = %v", err)
	}
	buf2 := make([]byte, size)
	n2, _ := tx.Seal(buf2, len(payload), 4)
	buf2[n2-1] ^= 1
	if _, err := rx.Open(buf2); !errors.Is(err, ESPBadICV) {
		t.Fatalf("forged: err = %v", err)
	}
	if _, err := rx.Open(nil); !errors.Is(err, ESPTruncated) {
		t.Fatalf("empty: err = %v", err)
	}
	c, err := rx.Counters()
	if err != nil || c != (ESPCounters{Accepted: 1, Replayed: 2, BadICV: 1, Truncated: 1}) {
		t.Fatalf("counters = %+v, %v", c, err)
	}
	if _, err := NewOutboundSA(EncryptionDockerCompatible, SAConfig{Key: make([]byte, 16), Src: nodeA, Dst: nodeB, SPI: 7}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("reserved SPI: err = %v", err)
	}
}

func TestGossipRoundTripAcrossRotation(t *testing.T) {
	old := mustRing(t, SubsystemGossip, 1, 2, 3)
	next := mustRing(t, SubsystemGossip, 2, 3, 4)
	msg := []byte("networkdb table event")
	for _, v := range []GossipVersion{GossipV0, GossipV1} {
		sealed, err := old.EncryptGossip(v, msg, []byte("label"))
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := GossipEncryptedLen(v, len(msg)); len(sealed) != want {
			t.Fatalf("len = %d, want %d", len(sealed), want)
		}
		// The primary (tag 2) is still in the next ring, so the message still opens.
		plain, err := next.DecryptGossip(sealed, []byte("label"))
		if err != nil || !bytes.Equal(plain, msg) {
			t.Fatalf("decrypt = %q, %v", plain, err)
		}
		if _, err := next.DecryptGossip(sealed, nil); err == nil || !strings.Contains(err.Error(), "no installed keys could decrypt the message") {
			t.Fatalf("wrong label: err = %v", err)
		}
	}
	if _, err := old.DecryptGossip(nil, nil); err == nil || !strings.Contains(err.Error(), "cannot decrypt empty payload") {
		t.Fatalf("empty: err = %v", err)
	}
	if _, err := old.EncryptGossip(GossipVersion(2), msg, nil); !errors.Is(err, ErrInvalidEnum) {
		t.Fatalf("version 2: err = %v", err)
	}
}
