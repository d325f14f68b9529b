//! Quickstart: model a swarm's networks without touching the host.
//!
//! Builds an encrypted overlay with two subnets, the ingress network and docker_gwbridge,
//! allocates endpoint addresses, prints what each network looks like (subnets, gateways,
//! VNIs, MTU, Docker's option map) and shows three inputs the model refuses.
//!
//! Run: `cargo run --example quickstart`

use std::collections::BTreeMap;
use std::error::Error;

use overlaynet::model::{
    Cluster, Family, GwBridgeNetwork, IngressNetwork, NetworkState, NodeConfig, NodeOs,
    OverlayNetwork,
};

fn main() -> Result<(), Box<dyn Error>> {
    let mut cluster = Cluster::default();

    let manager = NodeConfig::builder("manager-1", "192.168.1.10".parse()?)
        .data_path_addr("192.168.2.10".parse()?)
        .build()?;
    println!(
        "node {}: vtep {}, bind {}",
        manager.id(),
        manager.vtep(),
        manager.bind_addr()
    );
    cluster.add_node(manager)?;

    cluster.create_ingress(IngressNetwork::builder().build()?)?;
    let app = OverlayNetwork::builder("app")
        .subnet("10.10.1.0/24".parse()?)
        .subnet("10.10.2.0/24".parse()?)
        .encrypted(true)
        .attachable(true)
        .label("com.example.team", "web")
        .build()?;
    cluster.create_overlay(app)?;

    for _ in 0..3 {
        let endpoint = cluster.allocate_endpoint("app")?;
        println!(
            "endpoint on app: {} mac {} vni {}",
            endpoint.address, endpoint.mac, endpoint.vni
        );
    }
    let ingress_endpoint = cluster.allocate_endpoint("ingress")?;
    println!("ingress-endpoint: {}", ingress_endpoint.address);

    for network in cluster.networks() {
        print_network(network);
    }

    let gwbridge = GwBridgeNetwork::builder()
        .subnet("172.31.0.0/16".parse()?)
        .build()?;
    println!("\nnetwork {} (bridge, local to each node)", gwbridge.name());
    if let (Some(subnet), Some(gateway)) = (gwbridge.subnet(), gwbridge.gateway()) {
        println!("  subnet {subnet} gateway {gateway}");
    }
    print_options(&gwbridge.driver_options());

    println!("\nrefused inputs:");
    let outside = OverlayNetwork::builder("bad-gw")
        .ipam(
            overlaynet::model::IpamConfig::new("10.20.0.0/24".parse()?)
                .gateway("10.21.0.1".parse()?),
        )
        .build();
    report(outside.map(|_| ()));
    let overlapping = OverlayNetwork::builder("clash")
        .subnet("10.10.2.128/25".parse()?)
        .build()?;
    report(cluster.create_overlay(overlapping).map(|_| ()));
    let windows = NodeConfig::builder("win-1", "192.168.1.20".parse()?)
        .os(NodeOs::Windows)
        .build()?;
    report(cluster.add_node(windows));
    Ok(())
}

fn print_network(network: &NetworkState) {
    let spec = network.spec();
    println!(
        "\nnetwork {}{} (overlay, encryption {:?})",
        network.name(),
        if spec.is_ingress() { " [ingress]" } else { "" },
        spec.encryption()
    );
    for subnet in network.subnets() {
        println!(
            "  subnet {} gateway {} vni {}",
            subnet.subnet(),
            subnet.gateway(),
            subnet.vni()
        );
    }
    println!(
        "  mtu: {} over IPv4, {} over IPv6 (Docker would use {})",
        network.effective_mtu(Family::V4),
        network.effective_mtu(Family::V6),
        network.docker_mtu()
    );
    print_options(&network.driver_options());
}

fn print_options(options: &BTreeMap<String, String>) {
    for (key, value) in options {
        println!("  option {key}={value:?}");
    }
}

fn report(result: Result<(), overlaynet::model::ModelError>) {
    match result {
        Ok(()) => println!("  unexpectedly accepted"),
        Err(e) => println!("  error: {e}"),
    }
}
