package overlaynet_test

import (
	"bytes"
	"fmt"
	"net/netip"

	"overlaynet.dev/go/overlaynet"
)

// A key rotation as swarm drives it: the keyring from the manager's key set, the update when
// the manager adds a key, and the changes this node makes toward one remote, printed as
// ip xfrm commands with the keys redacted.
func ExampleKeyring_UpdateTo() {
	set := func(tags ...uint64) []overlaynet.SwarmKey {
		var keys []overlaynet.SwarmKey
		for _, t := range tags {
			keys = append(keys, overlaynet.SwarmKey{Subsystem: overlaynet.SubsystemIPsec, Key: bytes.Repeat([]byte{byte(t)}, 16), LamportTime: t})
		}
		return keys
	}
	ring, err := overlaynet.NewKeyringFromSwarmKeys(set(1, 2, 3), overlaynet.SubsystemIPsec)
	if err != nil {
		panic(err)
	}
	defer ring.Close()
	update, err := ring.UpdateTo(set(2, 3, 4), overlaynet.SubsystemIPsec)
	if err != nil {
		panic(err)
	}
	defer update.Close()
	transition, err := ring.Apply(update, overlaynet.EncryptionDockerCompatible)
	if err != nil {
		panic(err)
	}
	defer transition.Close()

	local := netip.MustParseAddr("192.168.1.10")
	ep := overlaynet.Endpoints{Bind: local, Advertise: local, DataPort: 4789}
	receive, transmit, err := overlaynet.RotationChanges(overlaynet.EncryptionDockerCompatible, ep, netip.MustParseAddr("192.168.1.20"), transition)
	if err != nil {
		panic(err)
	}
	for _, c := range receive {
		fmt.Println("receive: ", c.Text)
	}
	for _, c := range transmit {
		fmt.Println("transmit:", c.Text)
	}
	// Output:
	// receive:  ip xfrm state delete src 192.168.1.20 dst 192.168.1.10 proto esp spi 0xbd9342d8
	// receive:  ip xfrm state add src 192.168.1.20 dst 192.168.1.10 proto esp spi 0xb1642673 reqid 0xd0c4e3 mode transport aead 'rfc4106(gcm(aes))' 0x<redacted> 64
	// transmit: ip xfrm state add src 192.168.1.10 dst 192.168.1.20 proto esp spi 0x657861ee reqid 0xd0c4e3 mode transport aead 'rfc4106(gcm(aes))' 0x<redacted> 64
	// transmit: ip xfrm policy update src 192.168.1.10/32 dst 192.168.1.20/32 proto udp dport 4789 dir out mark 0xd0c4e3 mask 0xffffffff tmpl src 192.168.1.10 dst 192.168.1.20 proto esp spi 0x657861ee reqid 0xd0c4e3 mode transport
	// transmit: ip xfrm state delete src 192.168.1.10 dst 192.168.1.20 proto esp spi 0xc409ff15
}

// Userspace ESP between two nodes: seal in place on one side, open in place on the other; a
// replayed packet is rejected with a typed verdict and counted.
func ExampleInboundSA_Open() {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	key := bytes.Repeat([]byte{7}, 16)
	spi, _ := overlaynet.BuildSPI(a, b, 1)
	cfg := overlaynet.SAConfig{Key: key, Tag: 1, Src: a, Dst: b, SPI: spi}
	tx, err := overlaynet.NewOutboundSA(overlaynet.EncryptionHardened, cfg)
	if err != nil {
		panic(err)
	}
	defer tx.Close()
	rx, err := overlaynet.NewInboundSA(overlaynet.EncryptionHardened, cfg)
	if err != nil {
		panic(err)
	}
	defer rx.Close()
	overlaynet.Zero(key) // the SAs hold their own zeroizing copies

	payload := []byte("hello")
	size, _ := overlaynet.SealedLen(len(payload), 16)
	packet := make([]byte, size)
	copy(packet[overlaynet.ESPHeadroom:], payload)
	n, err := tx.Seal(packet, len(payload), 17)
	if err != nil {
		panic(err)
	}
	replay := bytes.Clone(packet[:n])

	opened, err := rx.Open(packet[:n])
	fmt.Printf("%q next header %d sequence %d err %v\n", opened.Inner, opened.NextHeader, opened.Sequence, err)
	_, err = rx.Open(replay)
	fmt.Println(err)
	counters, _ := rx.Counters()
	fmt.Printf("accepted %d replayed %d\n", counters.Accepted, counters.Replayed)
	// Output:
	// "hello" next header 17 sequence 1 err <nil>
	// ESP packet replayed
	// accepted 1 replayed 1
}
