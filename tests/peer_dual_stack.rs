//! IPv6 endpoints take their own paths through the peer table (their own IP index, addresses
//! stored beside the entries), so they are checked against IPv4 ones, which the model test
//! covers: the same random operations on an IPv4 network and on an IPv6 network must give
//! the same outcomes, the same kernel changes (addresses translated) and the same answers;
//! and a dual-stack network must answer for each family as the single-family one does.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use overlaynet::peer::{PeerDelta, PeerTable, PeerTableConfig};
use overlaynet::wire::MacAddr;

const V4_SUBNET: &str = "10.0.1.0/24";
const V6_SUBNET: &str = "fd00:1::/64";
const HOSTS: u8 = 6;
const EIDS: [&str; 3] = [
    "a",
    "b",
    "5f3e9a1c0b2d4e6f8a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
];
const VTEPS: [[u8; 4]; 3] = [[192, 168, 1, 1], [192, 168, 1, 2], [192, 168, 1, 3]];

fn table(subnets: &[&str]) -> PeerTable {
    PeerTable::new(PeerTableConfig {
        network: "n".into(),
        subnets: subnets.iter().map(|s| s.parse().unwrap()).collect(),
        local_vtep: IpAddr::from([192, 168, 1, 100]),
    })
    .unwrap()
}

fn v4(host: u8) -> IpAddr {
    IpAddr::from([10, 0, 1, host])
}

fn v6(host: u8) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, u16::from(host)))
}

/// The IPv6 twin of an IPv4 address or subnet of this test.
fn to_v6(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(a) => v6(a.octets()[3]),
        v6 => v6,
    }
}

fn net_to_v6(net: IpNet) -> IpNet {
    if net == V4_SUBNET.parse().unwrap() {
        V6_SUBNET.parse().unwrap()
    } else {
        IpNet::new(to_v6(net.addr()), 64).unwrap()
    }
}

fn delta_to_v6(d: PeerDelta) -> PeerDelta {
    match d {
        PeerDelta::NeighbourAdd { subnet, ip, mac } => PeerDelta::NeighbourAdd {
            subnet: net_to_v6(subnet),
            ip: to_v6(ip),
            mac,
        },
        PeerDelta::NeighbourRemove { subnet, ip, mac } => PeerDelta::NeighbourRemove {
            subnet: net_to_v6(subnet),
            ip: to_v6(ip),
            mac,
        },
        PeerDelta::FdbAdd { subnet, mac, vtep } => PeerDelta::FdbAdd {
            subnet: net_to_v6(subnet),
            mac,
            vtep,
        },
        PeerDelta::FdbRemove { subnet, mac, vtep } => PeerDelta::FdbRemove {
            subnet: net_to_v6(subnet),
            mac,
            vtep,
        },
        other => other,
    }
}

#[derive(Debug, Clone, Copy)]
struct Op {
    add: bool,
    local: bool,
    eid: usize,
    host: u8,
    mac: u8,
    vtep: usize,
}

impl Op {
    fn random(x: &mut u64) -> Op {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        let r = *x;
        Op {
            add: r % 5 < 3,
            local: (r >> 8) % 6 == 0,
            eid: (r >> 16) as usize % EIDS.len(),
            host: 1 + (r >> 24) as u8 % HOSTS,
            mac: 1 + (r >> 32) as u8 % 3,
            vtep: (r >> 40) as usize % VTEPS.len(),
        }
    }

    /// Applies the op with endpoint address `ip`; returns the outcome and the deltas.
    fn apply(&self, t: &mut PeerTable, ip: IpAddr) -> (String, Vec<PeerDelta>) {
        let prefix = if ip.is_ipv4() { 24 } else { 64 };
        let net = IpNet::new(ip, prefix).unwrap();
        let mac = MacAddr([2, 0x42, 0, 0, 0, self.mac]);
        let vtep = IpAddr::V4(Ipv4Addr::from(VTEPS[self.vtep]));
        let eid = EIDS[self.eid];
        let (outcome, deltas) = match (self.add, self.local) {
            (true, true) => t
                .add_local(eid, net, mac)
                .map(|c| (format!("{:?}", c.outcome), c.deltas)),
            (false, true) => t
                .remove_local(eid, net, mac)
                .map(|c| (format!("{:?}", c.outcome), c.deltas)),
            (true, false) => t
                .add_remote(eid, net, mac, vtep)
                .map(|c| (format!("{:?}", c.outcome), c.deltas)),
            (false, false) => t
                .remove_remote(eid, net, mac, vtep)
                .map(|c| (format!("{:?}", c.outcome), c.deltas)),
        }
        .unwrap();
        (outcome, deltas)
    }
}

/// Everything the table says about one address, with the address itself translated away.
fn view(t: &PeerTable, ip: IpAddr) -> String {
    let show = |e: overlaynet::peer::PeerRef<'_>| {
        format!(
            "{} host {} in-subnet={} {} {:?} programmed={} local={}",
            e.eid(),
            match e.ip().addr() {
                IpAddr::V4(a) => u16::from(a.octets()[3]),
                IpAddr::V6(a) => a.segments()[7],
            },
            e.ip().trunc() == e.subnet(),
            e.mac(),
            e.vtep(),
            e.is_programmed(),
            e.is_local(),
        )
    };
    let all: Vec<String> = t.entries_at(ip).map(show).collect();
    format!("get: {:?}; all: {all:?}", t.get(ip).map(show))
}

fn summary(t: &PeerTable) -> String {
    let mut vteps: Vec<String> = t.vteps().map(|v| format!("{v:?}")).collect();
    vteps.sort();
    let macs: Vec<(usize, usize)> = (1..=3)
        .map(|m| {
            let mac = MacAddr([2, 0x42, 0, 0, 0, m]);
            let programmed = t.entries_with_mac(mac).filter(|e| e.is_programmed());
            (t.entries_with_mac(mac).count(), programmed.count())
        })
        .collect();
    format!("len {} vteps {vteps:?} macs {macs:?}", t.len())
}

#[test]
fn ipv6_endpoints_behave_exactly_like_ipv4_ones() {
    for seed in 1..=40u64 {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let (mut t4, mut t6) = (table(&[V4_SUBNET]), table(&[V6_SUBNET]));
        for step in 0..400 {
            let op = Op::random(&mut x);
            let (out4, deltas4) = op.apply(&mut t4, v4(op.host));
            let (out6, deltas6) = op.apply(&mut t6, v6(op.host));
            let ctx = format!("seed {seed} step {step} {op:?}");
            assert_eq!(out4, out6, "{ctx}");
            let translated: Vec<PeerDelta> = deltas4.into_iter().map(delta_to_v6).collect();
            assert_eq!(translated, deltas6, "{ctx}");
            assert_eq!(summary(&t4), summary(&t6), "{ctx}");
            for host in 1..=HOSTS {
                assert_eq!(
                    view(&t4, v4(host)),
                    view(&t6, v6(host)),
                    "{ctx} host {host}"
                );
            }
        }
        let undo4: Vec<PeerDelta> = t4.clear().into_iter().map(delta_to_v6).collect();
        let mut undo6 = t6.clear();
        let mut undo4 = undo4;
        undo4.sort_by_key(|d| format!("{d:?}"));
        undo6.sort_by_key(|d| format!("{d:?}"));
        assert_eq!(undo4, undo6, "seed {seed}: clear");
    }
}

#[test]
fn a_dual_stack_network_answers_for_each_family_like_a_single_family_one() {
    for seed in 1..=20u64 {
        let mut x = seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1;
        let mut dual = table(&[V4_SUBNET, V6_SUBNET]);
        let (mut t4, mut t6) = (table(&[V4_SUBNET]), table(&[V6_SUBNET]));
        for step in 0..400 {
            let op = Op::random(&mut x);
            let v6_op = step % 2 == 1;
            let ip = if v6_op { v6(op.host) } else { v4(op.host) };
            let single = if v6_op { &mut t6 } else { &mut t4 };
            assert_eq!(
                op.apply(&mut dual, ip).0,
                op.apply(single, ip).0,
                "seed {seed} step {step}"
            );
            for host in 1..=HOSTS {
                assert_eq!(view(&dual, v4(host)), view(&t4, v4(host)));
                assert_eq!(view(&dual, v6(host)), view(&t6, v6(host)));
            }
            assert_eq!(dual.len(), t4.len() + t6.len());
        }
    }
}
