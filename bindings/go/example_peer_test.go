package overlaynet_test

import (
	"fmt"
	"net/netip"

	"overlaynet.dev/go/overlaynet"
)

// A peer table fed by NetworkDB gossip: a remote endpoint appears, then moves to another
// host; each event yields the kernel changes to apply, in order. The move keeps the
// neighbour entry (same IP and MAC), so only the FDB entry and the tunnels change.
func ExamplePeerTable_ApplyGossip() {
	table, err := overlaynet.NewPeerTable("net1",
		[]netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, netip.MustParseAddr("192.168.1.10"))
	if err != nil {
		panic(err)
	}
	defer table.Close()

	record := func(vtep string) []byte {
		b, err := overlaynet.PeerRecord{
			EndpointIP:       netip.MustParsePrefix("10.0.1.5/24"),
			EndpointMAC:      []byte{0x02, 0x42, 0x0a, 0x00, 0x01, 0x05},
			TunnelEndpointIP: netip.MustParseAddr(vtep),
		}.Marshal()
		if err != nil {
			panic(err)
		}
		return b
	}
	show := func(outcome overlaynet.PeerEventOutcome, deltas []overlaynet.PeerDelta, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("outcome %d removed %d added %d\n", outcome.Kind, outcome.Removed, outcome.Added)
		for _, d := range deltas {
			switch d.Kind {
			case overlaynet.TunnelUp, overlaynet.TunnelDown:
				fmt.Println(" ", d.Kind, d.VTEP)
			case overlaynet.NeighbourAdd, overlaynet.NeighbourRemove:
				fmt.Println(" ", d.Kind, d.Subnet, d.IP, d.MAC)
			default:
				fmt.Println(" ", d.Kind, d.Subnet, d.MAC, d.VTEP)
			}
		}
	}

	first, moved := record("192.168.1.20"), record("192.168.1.30")
	show(table.ApplyGossip("ep1", nil, first))
	show(table.ApplyGossip("ep1", first, moved))
	show(table.ApplyGossip("ep2", nil, []byte("garbage")))
	// Output:
	// outcome 2 removed 0 added 1
	//   TunnelUp 192.168.1.20
	//   NeighbourAdd 10.0.1.0/24 10.0.1.5 02:42:0a:00:01:05
	//   FDBAdd 10.0.1.0/24 02:42:0a:00:01:05 192.168.1.20
	// outcome 2 removed 1 added 1
	//   FDBRemove 10.0.1.0/24 02:42:0a:00:01:05 192.168.1.20
	//   TunnelDown 192.168.1.20
	//   TunnelUp 192.168.1.30
	//   FDBAdd 10.0.1.0/24 02:42:0a:00:01:05 192.168.1.30
	// overlaynet: failed to unmarshal peer record: failed to decode Protobuf message: invalid wire type value: 7
}
