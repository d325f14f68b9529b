//! Golden nft text and incremental-update behaviour of [`MeshRules`].

use std::net::IpAddr;

use super::*;
use crate::publish::{Protocol, PublishError};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn gateway() -> IngressGateway {
    IngressGateway {
        sandbox_v4: Some("172.18.0.2".parse().unwrap()),
        sandbox_v6: Some("fd18::2".parse().unwrap()),
        gwbridge: "docker_gwbridge".to_owned(),
    }
}

fn web() -> LoadBalancer {
    LoadBalancer {
        fwmark: 256,
        vips: vec![ip("10.0.0.2"), ip("fd00::2")],
        ports: vec![(Protocol::Tcp, 8443), (Protocol::Udp, 53)],
        backends: vec![ip("10.0.0.6"), ip("10.0.0.5"), ip("fd00::5")],
    }
}

const GOLDEN_FULL: &str = r#"add table inet overlaynet
delete table inet overlaynet
table inet overlaynet {
	set ingress_ports { type inet_proto . inet_service; elements = { tcp . 8080 } }
	map host_ports4 { type inet_proto . inet_service : ipv4_addr . inet_service; elements = { tcp . 9000 : 172.18.0.7 . 80 } }
	map host_ports6 { type inet_proto . inet_service : ipv6_addr . inet_service; }
	set host_backends4 { type ipv4_addr . inet_proto . inet_service; elements = { 172.18.0.7 . tcp . 80 } }
	set host_backends6 { type ipv6_addr . inet_proto . inet_service; }
	map lb_ports { type inet_proto . inet_service : verdict; elements = { tcp . 8443 : goto svc-256, udp . 53 : goto svc-256 } }
	map lb_vips4 { type ipv4_addr : verdict; elements = { 10.0.0.2 : goto svc-256 } }
	map lb_vips6 { type ipv6_addr : verdict; elements = { fd00::2 : goto svc-256 } }
	map snat4 { type ipv4_addr : ipv4_addr; flags interval; elements = { 10.0.0.0/24 : 10.0.0.3 } }
	map snat6 { type ipv6_addr : ipv6_addr; flags interval; }
	map redirects { type inet_proto . inet_service : inet_service; elements = { tcp . 8080 : 80 } }
	set task_targets { type inet_proto . inet_service; elements = { tcp . 80 } }
	set task_addrs4 { type ipv4_addr; elements = { 10.0.0.5 } }
	set task_addrs6 { type ipv6_addr; }
	chain svc-256 {
		meta nfproto ipv4 dnat ip to numgen random mod 2 map { 0 : 10.0.0.5, 1 : 10.0.0.6 }
		meta nfproto ipv6 dnat ip6 to numgen random mod 1 map { 0 : fd00::5 }
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta nfproto ipv4 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip to 172.18.0.2
		meta nfproto ipv6 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip6 to fd18::2
		meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @host_ports4
		meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @host_ports6
		meta l4proto . th dport vmap @lb_ports
		ip daddr vmap @lb_vips4
		ip6 daddr vmap @lb_vips6
		ip daddr @task_addrs4 meta l4proto { tcp, udp, sctp } redirect to :meta l4proto . th dport map @redirects
		ip6 daddr @task_addrs6 meta l4proto { tcp, udp, sctp } redirect to :meta l4proto . th dport map @redirects
	}
	chain output {
		type nat hook output priority -100; policy accept;
		meta nfproto ipv4 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip to 172.18.0.2
		meta nfproto ipv6 fib daddr type local meta l4proto . th dport @ingress_ports dnat ip6 to fd18::2
		meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @host_ports4
		meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @host_ports6
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "docker_gwbridge" fib saddr type local masquerade
		meta nfproto ipv4 ct status dnat snat ip to ip daddr map @snat4
		meta nfproto ipv6 ct status dnat snat ip6 to ip6 daddr map @snat6
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto . th dport @ingress_ports accept
		meta l4proto . th sport @ingress_ports ct state established,related accept
		ip daddr . meta l4proto . th dport @host_backends4 accept
		ip6 daddr . meta l4proto . th dport @host_backends6 accept
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr @task_addrs4 meta l4proto . th dport @task_targets ct state new,established accept
		ip daddr @task_addrs4 meta l4proto { tcp, udp, sctp } drop
		ip6 daddr @task_addrs6 meta l4proto . th dport @task_targets ct state new,established accept
		ip6 daddr @task_addrs6 meta l4proto { tcp, udp, sctp } drop
	}
	chain filter_output {
		type filter hook output priority filter; policy accept;
		ip saddr @task_addrs4 meta l4proto . th sport @task_targets ct state established accept
		ip saddr @task_addrs4 meta l4proto { tcp, udp, sctp } drop
		ip6 saddr @task_addrs6 meta l4proto . th sport @task_targets ct state established accept
		ip6 saddr @task_addrs6 meta l4proto { tcp, udp, sctp } drop
	}
}
"#;

/// A namespace playing every role at once, so one golden covers every rule.
pub(crate) fn all_roles() -> MeshRules {
    let mut m = MeshRules::new();
    m.set_gateway(Some(gateway())).unwrap();
    m.add_ingress_port(Protocol::Tcp, 8080).unwrap();
    m.add_host_port(HostPort {
        protocol: Protocol::Tcp,
        host_port: 9000,
        container: ip("172.18.0.7"),
        target: 80,
    })
    .unwrap();
    m.upsert_load_balancer(web()).unwrap();
    m.add_snat("10.0.0.0/24".parse().unwrap(), ip("10.0.0.3"))
        .unwrap();
    m.set_task_redirects(TaskRedirects {
        addrs: vec![ip("10.0.0.5")],
        ports: vec![(Protocol::Tcp, 8080, 80)],
    })
    .unwrap();
    m
}

#[test]
fn golden_full_load() {
    assert_eq!(all_roles().full_load().to_string(), GOLDEN_FULL);
}

#[test]
fn backend_change_is_one_chain_refill() {
    let mut m = all_roles();
    let t = m
        .set_backends(
            256,
            &[
                ip("10.0.0.5"),
                ip("10.0.0.6"),
                ip("10.0.0.7"),
                ip("fd00::5"),
            ],
        )
        .unwrap();
    assert_eq!(
        t.to_string(),
        "flush chain inet overlaynet svc-256\n\
         add rule inet overlaynet svc-256 meta nfproto ipv4 dnat ip to numgen random mod 3 map { 0 : 10.0.0.5, 1 : 10.0.0.6, 2 : 10.0.0.7 }\n\
         add rule inet overlaynet svc-256 meta nfproto ipv6 dnat ip6 to numgen random mod 1 map { 0 : fd00::5 }\n"
    );
    // Same backends in another order: nothing to do.
    let t = m
        .set_backends(
            256,
            &[
                ip("fd00::5"),
                ip("10.0.0.7"),
                ip("10.0.0.6"),
                ip("10.0.0.5"),
            ],
        )
        .unwrap();
    assert!(t.is_empty());
    assert_eq!(
        m.set_backends(9, &[]),
        Err(PublishError::UnknownLoadBalancer { fwmark: 9 })
    );
}

#[test]
fn load_balancer_lifecycle_is_element_operations() {
    let mut m = MeshRules::new();
    let add = m
        .upsert_load_balancer(LoadBalancer {
            fwmark: 300,
            vips: vec![ip("10.1.0.2")],
            ports: vec![(Protocol::Tcp, 80)],
            backends: vec![ip("10.1.0.5")],
        })
        .unwrap();
    assert_eq!(
        add.to_string(),
        "add chain inet overlaynet svc-300\n\
         add rule inet overlaynet svc-300 meta nfproto ipv4 dnat ip to numgen random mod 1 map { 0 : 10.1.0.5 }\n\
         add element inet overlaynet lb_ports { tcp . 80 : goto svc-300 }\n\
         add element inet overlaynet lb_vips4 { 10.1.0.2 : goto svc-300 }\n"
    );
    let update = m
        .upsert_load_balancer(LoadBalancer {
            fwmark: 300,
            vips: vec![ip("10.1.0.2")],
            ports: vec![(Protocol::Tcp, 81)],
            backends: vec![ip("10.1.0.5")],
        })
        .unwrap();
    assert_eq!(
        update.to_string(),
        "delete element inet overlaynet lb_ports { tcp . 80 }\n\
         add element inet overlaynet lb_ports { tcp . 81 : goto svc-300 }\n"
    );
    let remove = m.remove_load_balancer(300);
    assert_eq!(
        remove.to_string(),
        "delete element inet overlaynet lb_ports { tcp . 81 }\n\
         delete element inet overlaynet lb_vips4 { 10.1.0.2 }\n\
         delete chain inet overlaynet svc-300\n"
    );
    assert!(m.remove_load_balancer(300).is_empty());
}

#[test]
fn conflicts_are_rejected_without_change() {
    let mut m = all_roles();
    let before = m.clone();
    let other = LoadBalancer {
        fwmark: 257,
        vips: vec![ip("10.0.0.2")],
        ports: vec![],
        backends: vec![],
    };
    assert_eq!(
        m.upsert_load_balancer(other).unwrap_err().to_string(),
        "VIP 10.0.0.2 is already used by load balancer 256"
    );
    let other = LoadBalancer {
        fwmark: 257,
        vips: vec![],
        ports: vec![(Protocol::Udp, 53)],
        backends: vec![],
    };
    assert_eq!(
        m.upsert_load_balancer(other).unwrap_err().to_string(),
        "port 53/udp is already published by load balancer 256"
    );
    let host = HostPort {
        protocol: Protocol::Tcp,
        host_port: 8080,
        container: ip("1.2.3.4"),
        target: 1,
    };
    assert_eq!(
        m.add_host_port(host).unwrap_err().to_string(),
        "port 8080/tcp is already published by an ingress port"
    );
    assert!(m.add_ingress_port(Protocol::Tcp, 8443).is_err());
    assert!(
        m.add_snat("10.0.0.128/25".parse().unwrap(), ip("10.0.0.3"))
            .is_err()
    );
    assert!(
        m.add_snat("10.9.0.0/24".parse().unwrap(), ip("fd00::1"))
            .is_err()
    );
    let bad = IngressGateway {
        gwbridge: "bad\"name".to_owned(),
        ..gateway()
    };
    assert!(matches!(
        m.set_gateway(Some(bad)),
        Err(PublishError::InvalidInterfaceName { .. })
    ));
    let none = IngressGateway {
        sandbox_v4: None,
        sandbox_v6: None,
        ..gateway()
    };
    assert_eq!(
        m.set_gateway(Some(none)),
        Err(PublishError::NoIngressSandboxAddress)
    );
    let clash = TaskRedirects {
        addrs: vec![ip("10.0.0.5")],
        ports: vec![(Protocol::Tcp, 1, 2), (Protocol::Tcp, 1, 3)],
    };
    assert!(m.set_task_redirects(clash).is_err());
    assert_eq!(m, before);
}

#[test]
fn ingress_ports_are_refcounted() {
    let mut m = MeshRules::new();
    assert_eq!(
        m.add_ingress_port(Protocol::Udp, 53).unwrap().to_string(),
        "add element inet overlaynet ingress_ports { udp . 53 }\n"
    );
    assert!(m.add_ingress_port(Protocol::Udp, 53).unwrap().is_empty());
    assert!(m.remove_ingress_port(Protocol::Udp, 53).is_empty());
    assert_eq!(
        m.remove_ingress_port(Protocol::Udp, 53).to_string(),
        "delete element inet overlaynet ingress_ports { udp . 53 }\n"
    );
}

#[test]
fn transition_matches_incremental_updates() {
    let old = all_roles();
    let mut new = old.clone();
    let mut incremental = String::new();
    incremental += &new
        .set_backends(256, &[ip("10.0.0.9")])
        .unwrap()
        .to_string();
    incremental += &new.remove_snat("10.0.0.0/24".parse().unwrap()).to_string();
    let whole = new.transition_from(&old).to_string();
    assert_eq!(whole, incremental);
    // A gateway change rewrites the base chains: full load.
    let mut moved = new.clone();
    moved.set_gateway(None).unwrap();
    assert!(
        moved
            .transition_from(&new)
            .to_string()
            .starts_with("add table inet overlaynet\n")
    );
}

#[test]
fn backend_change_transaction_does_not_grow_with_services() {
    let lb = |i: u32| LoadBalancer {
        fwmark: 1000 + i,
        vips: vec![IpAddr::from([10, 1, (i >> 8) as u8, i as u8])],
        ports: vec![(Protocol::Tcp, 1000 + i as u16)],
        backends: vec![IpAddr::from([10, 2, (i >> 8) as u8, i as u8])],
    };
    let change = |services: u32| {
        let mut m = MeshRules::new();
        for i in 0..services {
            m.upsert_load_balancer(lb(i)).unwrap();
        }
        m.set_backends(1000, &[ip("10.3.0.1"), ip("10.3.0.2")])
            .unwrap()
    };
    let small = change(2);
    let large = change(2000);
    assert_eq!(small, large);
    assert_eq!(small.commands().len(), 2);
}
