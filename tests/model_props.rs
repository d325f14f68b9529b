//! Property tests: the allocators never hand out one address, VNI or subnet twice, release
//! makes things reusable, and a refused cluster operation changes nothing.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use overlaynet::model::{
    AddressPools, Cluster, EndpointAllocator, IpamConfig, ModelError, OverlayNetwork, SerialBitmap,
    Vni, VniAllocator,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Allocate,
    /// Release the n-th (mod len) currently held item.
    Release(usize),
    /// Take this ordinal / offset exactly.
    Specific(u32),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            4 => Just(Op::Allocate),
            2 => any::<usize>().prop_map(Op::Release),
            1 => any::<u32>().prop_map(Op::Specific),
        ],
        1..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn bitmap_never_hands_out_a_set_ordinal(len in 1u64..300, a in 0u64..300, b in 0u64..300, serial: bool, ops in ops()) {
        let (start, end) = (a.min(b), a.max(b));
        let mut bits = SerialBitmap::new(len);
        let mut held = BTreeSet::new();
        for op in ops {
            match op {
                Op::Allocate => match bits.set_any_in_range(start, end, serial) {
                    Some(o) => {
                        prop_assert!(o >= start && o <= end && o < len);
                        prop_assert!(held.insert(o), "ordinal {} handed out twice", o);
                    }
                    None => {
                        let free = (start..=end.min(len.saturating_sub(1))).filter(|o| !held.contains(o)).count();
                        prop_assert_eq!(free, 0, "refused although free ordinals exist");
                    }
                },
                Op::Release(i) => if let Some(&o) = held.iter().nth(i % held.len().max(1)) {
                    prop_assert!(bits.unset(o));
                    prop_assert!(!bits.is_set(o));
                    held.remove(&o);
                },
                Op::Specific(o) => {
                    let o = u64::from(o) % (len + 2);
                    let fresh = o < len && !held.contains(&o);
                    prop_assert_eq!(bits.set(o), fresh);
                    if fresh { held.insert(o); }
                }
            }
            prop_assert_eq!(bits.count(), held.len() as u64);
        }
    }

    #[test]
    fn endpoint_addresses_are_unique_and_reusable(prefix in 24u8..=30, range_extra in 0u8..3, aux in 0u32..64, ops in ops()) {
        let subnet = Ipv4Net::new(Ipv4Addr::new(10, 7, 0, 0), prefix).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let size = 1u32 << (32 - prefix);
        let mut config = IpamConfig::new(IpNet::V4(subnet));
        let range_len = (prefix + range_extra).min(30);
        let range = Ipv4Net::new(subnet.network(), range_len).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if range_extra > 0 {
            config = config.ip_range(IpNet::V4(range));
        }
        let aux_ip = Ipv4Addr::from(u32::from(subnet.network()) + 1 + aux % (size - 2));
        if aux_ip != Ipv4Addr::from(u32::from(subnet.network()) + 1) {
            config = config.aux_address("aux", IpAddr::V4(aux_ip));
        }
        let mut a = EndpointAllocator::new(&config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reserved: BTreeSet<Ipv4Addr> = [subnet.network(), subnet.broadcast(), a.gateway(), aux_ip].into();
        let mut held = BTreeSet::new();
        for op in ops {
            match op {
                Op::Allocate => match a.allocate() {
                    Ok(ip) => {
                        prop_assert!(!reserved.contains(&ip), "reserved {} handed out", ip);
                        prop_assert!(config.range().unwrap_or(IpNet::V4(subnet)).contains(&IpAddr::V4(ip)));
                        prop_assert!(held.insert(ip), "{} handed out twice", ip);
                    }
                    Err(e) => {
                        let exhausted = matches!(e, ModelError::AddressesExhausted { .. });
                        prop_assert!(exhausted, "unexpected error {}", e);
                        let r = config.range().unwrap_or(IpNet::V4(subnet));
                        let free = r.hosts().filter(|h| match h {
                            IpAddr::V4(v4) => !reserved.contains(v4) && !held.contains(v4),
                            IpAddr::V6(_) => false,
                        }).count();
                        prop_assert_eq!(free, 0, "exhausted although addresses are free");
                    }
                },
                Op::Release(i) => if let Some(&ip) = held.iter().nth(i % held.len().max(1)) {
                    prop_assert_eq!(a.release(ip), Ok(()));
                    held.remove(&ip);
                    // Reuse after release: the exact address can be taken again.
                    prop_assert_eq!(a.allocate_specific(ip), Ok(()));
                    prop_assert_eq!(a.release(ip), Ok(()));
                },
                Op::Specific(off) => {
                    let ip = Ipv4Addr::from(u32::from(subnet.network()) + off % size);
                    let ok = a.allocate_specific(ip).is_ok();
                    prop_assert_eq!(ok, !reserved.contains(&ip) && !held.contains(&ip));
                    if ok { held.insert(ip); }
                }
            }
            prop_assert_eq!(a.allocated(), held.len() as u64);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn vnis_are_unique_and_reusable(ops in ops()) {
        let mut a = VniAllocator::new();
        let mut held = BTreeSet::new();
        for op in ops {
            match op {
                Op::Allocate => {
                    let v = a.allocate().ok_or_else(|| TestCaseError::fail("no VNI"))?;
                    prop_assert!(v.get() >= Vni::AUTO_START);
                    prop_assert!(held.insert(v), "VNI {} handed out twice", v);
                }
                Op::Release(i) => if let Some(&v) = held.iter().nth(i % held.len().max(1)) {
                    prop_assert!(a.release(v));
                    held.remove(&v);
                    prop_assert!(a.reserve(v), "released VNI {} cannot be reserved again", v);
                    prop_assert!(a.release(v));
                },
                Op::Specific(raw) => {
                    // Near the automatic range so reservations and allocations collide.
                    let v = Vni::new(4096 + raw % 256).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(a.reserve(v), !held.contains(&v));
                    held.insert(v);
                }
            }
            prop_assert_eq!(a.allocated(), held.len() as u64);
            let automatic = held.iter().filter(|v| v.get() >= Vni::AUTO_START).count() as u64;
            prop_assert_eq!(a.free_automatic(), u64::from(Vni::MAX - Vni::AUTO_START + 1) - automatic);
        }
    }
}

#[derive(Debug, Clone)]
enum ClusterOp {
    /// Create a network; `Some(i)` asks for explicit subnet 10.0.0.(8*i)/29 and VNI 4096+i.
    Create(Option<u8>),
    Remove(usize),
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn cluster_subnets_and_vnis_never_collide(ops in prop::collection::vec(
        prop_oneof![
            3 => prop::option::of(0u8..8).prop_map(ClusterOp::Create),
            1 => any::<usize>().prop_map(ClusterOp::Remove),
        ],
        1..40,
    )) {
        // A pool of eight /29s so exhaustion and reuse both happen.
        let pool: Ipv4Net = "10.0.0.0/26".parse().map_err(|_| TestCaseError::fail("pool"))?;
        let mut c = Cluster::new(AddressPools::swarm(&[pool], 29).map_err(|e| TestCaseError::fail(e.to_string()))?);
        let mut counter = 0;
        for op in ops {
            let before = c.clone();
            let result = match op {
                ClusterOp::Create(explicit) => {
                    counter += 1;
                    let mut b = OverlayNetwork::builder(format!("n{counter}"));
                    if let Some(i) = explicit {
                        let subnet: IpNet = format!("10.0.0.{}/29", 8 * u32::from(i)).parse().map_err(|_| TestCaseError::fail("subnet"))?;
                        b = b.subnet(subnet).vnis([4096 + u32::from(i)]);
                    }
                    let spec = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
                    c.create_overlay(spec).map(|_| ())
                }
                ClusterOp::Remove(i) => {
                    let names: Vec<String> = c.networks().map(|n| n.name().to_string()).collect();
                    match names.get(i % names.len().max(1)) {
                        Some(name) => c.remove_network(name).map(|_| ()),
                        None => Ok(()),
                    }
                }
            };
            if result.is_err() {
                prop_assert!(c == before, "refused operation changed the cluster: {:?}", result);
            }
            let subnets: Vec<Ipv4Net> = c.networks().flat_map(|n| n.subnets().iter().map(|s| s.subnet())).collect();
            for (i, a) in subnets.iter().enumerate() {
                for b in &subnets[..i] {
                    prop_assert!(!a.contains(&b.network()) && !b.contains(&a.network()), "{} overlaps {}", a, b);
                }
            }
            let vnis: Vec<Vni> = c.networks().flat_map(|n| n.vnis()).collect();
            let unique: BTreeSet<Vni> = vnis.iter().copied().collect();
            prop_assert_eq!(unique.len(), vnis.len(), "a VNI is used twice");
            prop_assert_eq!(c.vni_allocator().allocated(), vnis.len() as u64, "VNI leak");
            prop_assert_eq!(c.pools().in_use().count(), subnets.len(), "subnet leak");
        }
    }
}
