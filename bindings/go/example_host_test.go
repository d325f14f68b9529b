package overlaynet_test

import (
	"fmt"
	"net/netip"
	"strings"

	"overlaynet.dev/go/overlaynet"
)

// Two hosts share an overlay network, one container each. Their PeerRecords travel as
// protobuf bytes, as NetworkDB gossip carries them. Host A plans against a simulated kernel
// (a dry run), reconciles, explains the path to B's container, loses part of it to drift and
// repairs it.
func ExampleHost() {
	check := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	cluster, err := overlaynet.NewCluster(nil, 0)
	check(err)
	defer cluster.Close()
	app, err := overlaynet.NewOverlayNetwork(overlaynet.OverlaySpec{
		Name: "app",
		IPAM: []overlaynet.IPAMConfig{{Subnet: netip.MustParsePrefix("10.10.1.0/24")}},
	})
	check(err)
	defer app.Close()
	check(cluster.CreateOverlay(app))

	const netID = "k3jd8s0a2bq9x"
	var hosts []*overlaynet.Host
	var records [][]byte
	for i, vtep := range []string{"192.0.2.1", "192.0.2.2"} {
		node, err := overlaynet.NewNodeConfig(overlaynet.NodeSpec{ID: fmt.Sprint("node-", i), AdvertiseAddr: netip.MustParseAddr(vtep)})
		check(err)
		host, err := overlaynet.NewHost(node, overlaynet.DataPathHardened)
		node.Close()
		check(err)
		defer host.Close()
		check(host.CreateNetwork(netID, cluster, "app"))
		ep, err := cluster.AllocateEndpoint("app")
		check(err)
		record, err := host.Join(netID, overlaynet.JoinRequest{
			EndpointID:     fmt.Sprint("ep-", i),
			Address:        ep.Address,
			ContainerNetns: fmt.Sprint("ctr-", i),
		})
		check(err)
		value, err := record.Marshal()
		check(err)
		hosts = append(hosts, host)
		records = append(records, value)
	}
	// Gossip: each host learns the other's endpoint.
	for i, host := range hosts {
		other := 1 - i
		_, err := host.ApplyPeerEvent(netID, fmt.Sprint("ep-", other), overlaynet.PeerEventCreate, records[other], nil)
		check(err)
	}

	a := hosts[0]
	kernel, err := overlaynet.NewSimKernel(a)
	check(err)
	defer kernel.Close()
	plan, err := a.Plan(kernel)
	check(err)
	defer plan.Close()
	text, err := plan.Text()
	check(err)
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, " fdb ") || strings.Contains(line, " neigh ") {
			fmt.Println("plan:", line)
		}
	}
	report, err := a.Reconcile(kernel)
	check(err)
	fmt.Printf("reconcile: %d of %d operations done\n", report.Done, report.Operations)

	peer, err := overlaynet.UnmarshalPeerRecord(records[1])
	check(err)
	explanation, err := a.Explain(kernel, netID, "ep-0", peer.EndpointIP.Addr())
	check(err)
	fmt.Println("explain:", explanation.Verdict, "over", len(explanation.Hops), "hops")

	_, err = kernel.SimDrift(7, 1)
	check(err)
	repair, err := a.Reconcile(kernel)
	check(err)
	again, err := a.Reconcile(kernel)
	check(err)
	fmt.Println("after drift: repaired", repair.Success, "- next round in sync", again.InSync)
	// Output:
	// plan: ip -n 1-k3jd8s0a2b neigh add 10.10.1.3 lladdr 02:42:0a:0a:01:03 dev vxlan0 nud permanent
	// plan: bridge -n 1-k3jd8s0a2b fdb add 02:42:0a:0a:01:03 dev vxlan0 dst 192.0.2.2 self permanent
	// reconcile: 15 of 15 operations done
	// explain: ok over 7 hops
	// after drift: repaired true - next round in sync true
}
