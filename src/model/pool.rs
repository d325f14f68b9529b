//! `AddressPools`: the address pools subnets are cut from (swarm's `--default-addr-pool` /
//! `--default-addr-pool-mask-length`, default 10.0.0.0/8 in /24s) and the set of subnets in
//! use cluster-wide, which is also where overlapping subnets are detected.
//!
//! Subnets are handed out lowest-free-first in pool order, as libnetwork's default IPAM does,
//! so released subnets are reused. It knows subnets and their owners, not endpoints.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

use super::error::ModelError;

/// One pool: a base prefix cut into subnets of `size` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSpec {
    /// The prefix subnets are cut from.
    pub base: Ipv4Net,
    /// The prefix length of each subnet.
    pub size: u8,
}

/// The default swarm pool size when none is given (`--default-addr-pool-mask-length`).
pub const DEFAULT_POOL_MASK_LEN: u32 = 24;
/// Longest pool mask length: Docker keeps 4 addresses per network for itself.
pub const MAX_POOL_MASK_LEN: u32 = 29;

/// The pools plus every subnet in use, keyed by (family, first address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressPools {
    pools: Vec<PoolSpec>,
    in_use: BTreeMap<(u8, u128), (IpNet, String)>,
}

impl Default for AddressPools {
    fn default() -> Self {
        AddressPools::swarm_default()
    }
}

impl AddressPools {
    /// Swarm's global default: 10.0.0.0/8 split into /24s.
    pub fn swarm_default() -> AddressPools {
        AddressPools::from_specs(vec![PoolSpec {
            base: v4net([10, 0, 0, 0], 8),
            size: 24,
        }])
    }

    /// libnetwork's local default pools (used for docker_gwbridge): 172.17–172.19/16,
    /// 172.20/14, 172.24/14, 172.28/14 in /16s, and 192.168/16 in /20s.
    pub fn local_default() -> AddressPools {
        let p = |o: [u8; 4], len, size| PoolSpec {
            base: v4net(o, len),
            size,
        };
        AddressPools::from_specs(vec![
            p([172, 17, 0, 0], 16, 16),
            p([172, 18, 0, 0], 16, 16),
            p([172, 19, 0, 0], 16, 16),
            p([172, 20, 0, 0], 14, 16),
            p([172, 24, 0, 0], 14, 16),
            p([172, 28, 0, 0], 14, 16),
            p([192, 168, 0, 0], 16, 20),
        ])
    }

    /// Pools from `swarm init --default-addr-pool … --default-addr-pool-mask-length …`, with
    /// moby's `validateDefaultAddrPool`: no pools → the default; mask length 0 → 24; above
    /// 29 → `subnet size is out of range`; a pool longer than the mask length → `invalid
    /// CIDR … Subnet size is too small for pool`.
    pub fn swarm(pools: &[Ipv4Net], mask_len: u32) -> Result<AddressPools, ModelError> {
        if pools.is_empty() {
            return Ok(AddressPools::swarm_default());
        }
        let size = if mask_len == 0 {
            DEFAULT_POOL_MASK_LEN
        } else {
            mask_len
        };
        if size > MAX_POOL_MASK_LEN {
            return Err(ModelError::PoolSizeOutOfRange { size });
        }
        let mut specs = Vec::with_capacity(pools.len());
        for pool in pools {
            if size < u32::from(pool.prefix_len()) {
                return Err(ModelError::PoolTooSmall {
                    pool: pool.to_string(),
                    size,
                });
            }
            if *pool != pool.trunc() {
                return Err(ModelError::SubnetNotMasked {
                    subnet: IpNet::V4(*pool),
                    masked: IpNet::V4(pool.trunc()),
                });
            }
            specs.push(PoolSpec {
                base: *pool,
                size: size as u8,
            });
        }
        Ok(AddressPools::from_specs(specs))
    }

    fn from_specs(pools: Vec<PoolSpec>) -> AddressPools {
        AddressPools {
            pools,
            in_use: BTreeMap::new(),
        }
    }

    /// The pools, in allocation order.
    pub fn pools(&self) -> &[PoolSpec] {
        &self.pools
    }

    /// Every subnet in use with the network that owns it.
    pub fn in_use(&self) -> impl Iterator<Item = (IpNet, &str)> {
        self.in_use
            .values()
            .map(|(net, owner)| (*net, owner.as_str()))
    }

    /// The subnet in use that overlaps `subnet`, with its owner.
    pub fn find_overlap(&self, subnet: IpNet) -> Option<(IpNet, &str)> {
        let (start, end) = bounds(subnet);
        let family = family_key(subnet);
        // Prefixes are nested or disjoint, so an overlapping one either starts inside
        // `subnet` or is the closest one starting before it.
        let before = self.in_use.range(..(family, start)).next_back();
        let inside = self.in_use.range((family, start)..=(family, end)).next();
        [before, inside]
            .into_iter()
            .flatten()
            .find(|((f, _), (net, _))| {
                *f == family && bounds(*net).1 >= start && bounds(*net).0 <= end
            })
            .map(|(_, (net, owner))| (*net, owner.as_str()))
    }

    /// Mark `subnet` as used by `owner`, or report the subnet it overlaps.
    pub fn reserve(&mut self, subnet: IpNet, owner: &str) -> Result<(), ModelError> {
        if let Some((existing, network)) = self.find_overlap(subnet) {
            return Err(ModelError::OverlappingSubnets {
                subnet,
                existing,
                network: network.to_string(),
            });
        }
        self.in_use.insert(
            (family_key(subnet), bounds(subnet).0),
            (subnet, owner.to_string()),
        );
        Ok(())
    }

    /// The lowest free pool subnet that overlaps neither a subnet in use nor any of
    /// `also_taken` (subnets planned but not yet reserved). Changes nothing.
    pub fn next_free(&self, also_taken: &[IpNet]) -> Option<Ipv4Net> {
        self.pools
            .iter()
            .find_map(|pool| self.next_free_in(pool, also_taken))
    }

    fn next_free_in(&self, pool: &PoolSpec, also_taken: &[IpNet]) -> Option<Ipv4Net> {
        let block = 1u128 << (32 - u32::from(pool.size));
        let (pool_start, pool_end) = bounds(IpNet::V4(pool.base));
        let mut candidate = pool_start;
        while candidate + block - 1 <= pool_end {
            let net = v4_from(candidate, pool.size)?;
            let clash = self
                .find_overlap(IpNet::V4(net))
                .map(|(n, _)| n)
                .or_else(|| {
                    also_taken
                        .iter()
                        .copied()
                        .find(|t| super::overlay::overlaps(t, &IpNet::V4(net)))
                });
            match clash {
                None => return Some(net),
                Some(taken) => {
                    let next = bounds(taken).1.max(candidate + block - 1) + 1;
                    candidate = next.div_ceil(block) * block;
                }
            }
        }
        None
    }

    /// Take the lowest free pool subnet for `owner`.
    pub fn allocate(&mut self, owner: &str) -> Result<Ipv4Net, ModelError> {
        let net = self.next_free(&[]).ok_or(ModelError::PoolsExhausted)?;
        self.reserve(IpNet::V4(net), owner)?;
        Ok(net)
    }

    /// Free `subnet` (exactly as reserved). Returns `false` if it was not in use.
    pub fn release(&mut self, subnet: IpNet) -> bool {
        let key = (family_key(subnet), bounds(subnet).0);
        match self.in_use.get(&key) {
            Some((net, _)) if *net == subnet => self.in_use.remove(&key).is_some(),
            _ => false,
        }
    }
}

fn v4net(o: [u8; 4], len: u8) -> Ipv4Net {
    // Constant inputs with len <= 32: cannot fail; fall back to the default route shape.
    Ipv4Net::new(Ipv4Addr::from(o), len).unwrap_or_default()
}

fn v4_from(start: u128, len: u8) -> Option<Ipv4Net> {
    let addr = Ipv4Addr::from(u32::try_from(start).ok()?);
    Ipv4Net::new(addr, len).ok()
}

fn family_key(net: IpNet) -> u8 {
    match net {
        IpNet::V4(_) => 4,
        IpNet::V6(_) => 6,
    }
}

/// First and last address of `net` as integers.
fn bounds(net: IpNet) -> (u128, u128) {
    let as_int = |a: IpAddr| match a {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    };
    (as_int(net.network()), as_int(net.broadcast()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Net {
        s.parse().unwrap_or_else(|_| panic!("bad test prefix {s}"))
    }
    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| panic!("bad test prefix {s}"))
    }

    #[test]
    fn default_pool_hands_out_24s_in_order_and_reuses_released() {
        let mut p = AddressPools::swarm_default();
        assert_eq!(p.allocate("a"), Ok(v4("10.0.0.0/24")));
        assert_eq!(p.allocate("b"), Ok(v4("10.0.1.0/24")));
        assert_eq!(p.allocate("c"), Ok(v4("10.0.2.0/24")));
        assert!(p.release(net("10.0.1.0/24")));
        assert!(!p.release(net("10.0.1.0/24")));
        assert_eq!(p.allocate("d"), Ok(v4("10.0.1.0/24")));
        assert_eq!(p.allocate("e"), Ok(v4("10.0.3.0/24")));
    }

    #[test]
    fn explicit_subnets_are_skipped_and_overlaps_refused() {
        let mut p = AddressPools::swarm_default();
        assert_eq!(p.reserve(net("10.0.0.0/23"), "big"), Ok(()));
        assert_eq!(p.allocate("a"), Ok(v4("10.0.2.0/24")));
        let err = p.reserve(net("10.0.2.128/25"), "x");
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("invalid pool request: Pool overlaps with other one on this address space (10.0.2.128/25 overlaps 10.0.2.0/24 of network a)".to_string())
        );
        assert!(matches!(
            p.reserve(net("10.0.0.0/8"), "x"),
            Err(ModelError::OverlappingSubnets { .. })
        ));
        assert_eq!(p.reserve(net("fd00::/64"), "v6"), Ok(()));
        assert!(p.reserve(net("fd00::/48"), "v6b").is_err());
        assert_eq!(p.reserve(net("10.1.0.0/16"), "c"), Ok(()));
        assert_eq!(p.next_free(&[net("10.0.3.0/24")]), Some(v4("10.0.4.0/24")));
    }

    #[test]
    fn swarm_pool_validation_matches_moby() {
        assert_eq!(
            AddressPools::swarm(&[], 0),
            Ok(AddressPools::swarm_default())
        );
        let pools = AddressPools::swarm(&[v4("192.168.0.0/16")], 0).map(|p| p.pools().to_vec());
        assert_eq!(
            pools,
            Ok(vec![PoolSpec {
                base: v4("192.168.0.0/16"),
                size: 24
            }])
        );
        let text = |pools: &[Ipv4Net], size| {
            AddressPools::swarm(pools, size)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            text(&[v4("10.0.0.0/8")], 30),
            "subnet size is out of range: 30"
        );
        assert_eq!(
            text(&[v4("10.10.0.0/16")], 8),
            "invalid CIDR: \"10.10.0.0/16\". Subnet size is too small for pool: 8"
        );
        assert!(AddressPools::swarm(&[v4("10.0.0.0/8")], 29).is_ok());
    }

    #[test]
    fn small_pool_exhausts() {
        let mut p = AddressPools::swarm(&[v4("10.9.0.0/28")], 29).unwrap_or_default();
        assert_eq!(p.allocate("a"), Ok(v4("10.9.0.0/29")));
        assert_eq!(p.allocate("b"), Ok(v4("10.9.0.8/29")));
        assert_eq!(p.allocate("c"), Err(ModelError::PoolsExhausted));
    }

    #[test]
    fn local_default_starts_at_172_17() {
        let mut p = AddressPools::local_default();
        assert_eq!(p.allocate("docker0"), Ok(v4("172.17.0.0/16")));
        assert_eq!(p.allocate("docker_gwbridge"), Ok(v4("172.18.0.0/16")));
    }
}
