//! Quickstart: two hosts in one process, nothing touches the real kernel.
//!
//! Node A (192.0.2.1) and node B (192.0.2.2) share an overlay network; two containers join on
//! each. Their PeerRecords travel as protobuf bytes, as NetworkDB gossip would carry them.
//! Each host prints its plan as `ip`/`bridge` commands (a dry run), applies it to a simulated
//! kernel, loses an FDB entry to drift, explains the broken path and repairs it by reconcile.
//! The cluster's networks are summarised at the end.
//!
//! Run: `cargo run --example quickstart` (add `--json` to print plans as JSON).

use std::error::Error;

use overlaynet::host::{Host, JoinRequest};
use overlaynet::kernel::sim::SimKernel;
use overlaynet::kernel::{Kernel, KernelState, Netns, Op, Plan};
use overlaynet::model::{Cluster, Family, NetworkState, NodeConfig, OverlayNetwork};
use overlaynet::peer::{PeerEvent, PeerRecord};

const NET_ID: &str = "k3jd8s0a2bq9x";

fn main() -> Result<(), Box<dyn Error>> {
    let json = std::env::args().any(|a| a == "--json");
    let mut cluster = Cluster::default();
    let app = OverlayNetwork::builder("app")
        .subnet("10.10.1.0/24".parse()?)
        .attachable(true)
        .build()?;
    let network = cluster.create_overlay(app)?.clone();

    let mut hosts = Vec::new();
    for (name, vtep) in [("node-a", "192.0.2.1"), ("node-b", "192.0.2.2")] {
        let node = NodeConfig::builder(name, vtep.parse()?).build()?;
        let mut host = Host::new(node);
        host.create_network(NET_ID, &network)?;
        hosts.push(host);
    }

    // Two containers per host; each join yields the record this host gossips.
    let mut gossip: Vec<(String, Vec<u8>)> = Vec::new();
    for (h, host) in hosts.iter_mut().enumerate() {
        for c in 0..2 {
            let address = cluster.allocate_endpoint("app")?.address;
            let eid = format!("ep-{}{}", ["a", "b"][h], c + 1);
            let req = JoinRequest::new(&eid, address, format!("ctr-{eid}"));
            let record = host.join(NET_ID, &req)?;
            gossip.push((eid, record.encode()));
        }
    }
    println!(
        "gossip: {} PeerRecords, e.g. {} = {} bytes",
        gossip.len(),
        gossip[0].0,
        gossip[0].1.len()
    );

    // Every host receives every record; its own come back and are ignored, as in moby.
    for host in hosts.iter_mut() {
        for (eid, bytes) in &gossip {
            let event = PeerEvent::from_gossip(eid, None, Some(bytes))?;
            host.apply_peer_event(NET_ID, &event)?;
        }
    }

    let mut kernels = Vec::new();
    for host in &hosts {
        let mut sim = SimKernel::new(host.scope().clone());
        precreate_containers(&mut sim, host)?;
        let plan = host.plan(sim.state());
        println!(
            "\n== {} ({}): {} operations",
            host.node().id(),
            host.node().vtep(),
            plan.len()
        );
        // Host A in full; host B has the same shape.
        let max = if kernels.is_empty() { usize::MAX } else { 6 };
        print_plan(&plan, json, max);
        let report = sim.apply(&plan);
        println!(
            "applied: {} done, {} failed",
            report.done(),
            report.failures().count()
        );
        kernels.push(sim);
    }

    // Explain a working path from A's first container to B's first container.
    let (a, sim_a) = (&hosts[0], &mut kernels[0]);
    let target: PeerRecord = PeerRecord::decode(&gossip[2].1)?;
    let to = target.endpoint_ip.addr();
    println!("\nexplain ep-a1 -> {to}:");
    print!("{}", a.explain(NET_ID, "ep-a1", to, sim_a.state())?);

    // Someone deletes the FDB entry behind the operator's back.
    let lost = sim_a
        .state()
        .fdb
        .iter()
        .find(|e| e.mac == target.endpoint_mac)
        .cloned()
        .ok_or("no FDB entry for the target")?;
    sim_a.apply_op(&Op::DelFdb { entry: lost })?;
    println!(
        "\ndrift: `bridge fdb del {} dev vxlan0` run by hand",
        target.endpoint_mac
    );
    let broken = a.explain(NET_ID, "ep-a1", to, sim_a.state())?;
    if let Some(hop) = broken.first_problem() {
        println!(
            "explain ep-a1 -> {to}: first broken hop '{}': {}",
            hop.step, hop.detail
        );
    }
    let repair = a.reconcile(sim_a)?;
    println!("reconcile repairs it:");
    print_plan(&repair.plan, json, usize::MAX);
    let fixed = a.explain(NET_ID, "ep-a1", to, &sim_a.observe()?)?;
    println!(
        "explain again: {}",
        if fixed.is_ok() {
            "all hops ok"
        } else {
            "still broken"
        }
    );
    let again = a.reconcile(sim_a)?;
    println!("next reconcile: {} operations", again.plan.len());

    println!("\nnetworks:");
    for n in cluster.networks() {
        print_network(n);
    }
    Ok(())
}

/// The runtime creates container namespaces before joining; the simulated host gets them too.
fn precreate_containers(sim: &mut SimKernel, host: &Host) -> Result<(), Box<dyn Error>> {
    let desired: &KernelState = host.desired_state();
    for ns in &desired.namespaces {
        if !host.scope().owns_netns(&Netns::named(ns)) {
            sim.apply_op(&Op::AddNetns { name: ns.clone() })?;
        }
    }
    Ok(())
}

fn print_plan(plan: &Plan, json: bool, max: usize) {
    if json {
        println!("{}", plan.to_json());
        return;
    }
    let text = plan.to_string();
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().take(max) {
        println!("  {line}");
    }
    if lines.len() > max {
        println!("  … {} more (same shape as above)", lines.len() - max);
    }
}

fn print_network(network: &NetworkState) {
    let subnets: Vec<String> = network
        .subnets()
        .iter()
        .map(|s| format!("{} vni {}", s.subnet(), s.vni()))
        .collect();
    println!(
        "  {} ({:?}): {}; mtu {} (Docker {})",
        network.name(),
        network.spec().encryption(),
        subnets.join(", "),
        network.effective_mtu(Family::V4),
        network.docker_mtu()
    );
}
