//! `EndpointAllocator`: endpoint IPv4 addresses of one overlay subnet, allocated serially
//! (next-fit, as swarm asks libnetwork's IPAM with `com.docker.network.ipam.serial=true`),
//! with the network and broadcast addresses, the gateway and the auxiliary addresses reserved
//! and the ip-range honoured. Also the MAC Docker derives from an endpoint address.
//!
//! One bit per address (`SerialBitmap`), so a /8 costs 2 MiB and an allocation is O(1)
//! amortised. It does not know which endpoint holds an address.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

use super::bitmap::SerialBitmap;
use super::error::ModelError;
use super::ipam::{Family, IpamConfig};
use crate::wire::MacAddr;

/// Docker's endpoint MAC for an IPv4 address: `02:42:` + the four octets
/// (moby `netutils.GenerateMACFromIP`), e.g. 10.0.1.5 → `02:42:0a:00:01:05`.
pub fn mac_from_ipv4(ip: Ipv4Addr) -> MacAddr {
    MacAddr::from_ipv4(ip)
}

/// Endpoint addresses of one IPv4 subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointAllocator {
    subnet: Ipv4Net,
    gateway: Ipv4Addr,
    /// First and last ordinal (offset from the network address) endpoints may get.
    range: (u64, u64),
    /// Ordinals that are never handed out or released: network, broadcast, gateway, aux.
    reserved: Vec<u64>,
    bits: SerialBitmap,
}

impl EndpointAllocator {
    /// An allocator for an IPv4 `config` (validated again here so a bad config can never
    /// yield addresses outside the subnet).
    pub fn new(config: &IpamConfig) -> Result<EndpointAllocator, ModelError> {
        config.validate(Family::V4)?;
        let IpNet::V4(subnet) = config.subnet() else {
            return Err(ModelError::SubnetWrongFamily {
                subnet: config.subnet(),
                family: "IPv4",
            });
        };
        let size = 1u64 << (32 - u32::from(subnet.prefix_len()));
        let base = u32::from(subnet.network());
        let ordinal = |ip: Ipv4Addr| u64::from(u32::from(ip).wrapping_sub(base));
        let gateway = match config.effective_gateway() {
            IpAddr::V4(gw) => gw,
            IpAddr::V6(_) => Ipv4Addr::from(base + 1),
        };
        let mut reserved = vec![0, size - 1, ordinal(gateway)];
        reserved.extend(config.aux_addresses().values().filter_map(|a| match a {
            IpAddr::V4(v4) => Some(ordinal(*v4)),
            IpAddr::V6(_) => None,
        }));
        reserved.sort_unstable();
        reserved.dedup();
        let range = match config.range() {
            Some(IpNet::V4(r)) => (
                ordinal(r.network()).max(1),
                ordinal(r.broadcast()).min(size - 2),
            ),
            _ => (1, size - 2),
        };
        let mut bits = SerialBitmap::new(size);
        for &r in &reserved {
            bits.set(r);
        }
        Ok(EndpointAllocator {
            subnet,
            gateway,
            range,
            reserved,
            bits,
        })
    }

    /// The subnet.
    pub fn subnet(&self) -> Ipv4Net {
        self.subnet
    }

    /// The gateway address (reserved, lives on the overlay bridge).
    pub fn gateway(&self) -> Ipv4Addr {
        self.gateway
    }

    /// Hand out the next free address in the ip-range (or subnet), scanning on from the last
    /// one handed out and wrapping.
    pub fn allocate(&mut self) -> Result<Ipv4Addr, ModelError> {
        let ordinal = self
            .bits
            .set_any_in_range(self.range.0, self.range.1, true)
            .ok_or(ModelError::AddressesExhausted {
                subnet: IpNet::V4(self.subnet),
            })?;
        Ok(self.address(ordinal))
    }

    /// Take `address` exactly (Docker's `--ip`); it may lie outside the ip-range but must be
    /// in the subnet and free.
    pub fn allocate_specific(&mut self, address: Ipv4Addr) -> Result<(), ModelError> {
        let ordinal = self.ordinal(address)?;
        if self.bits.set(ordinal) {
            Ok(())
        } else {
            Err(ModelError::AddressInUse {
                address: IpAddr::V4(address),
            })
        }
    }

    /// Give `address` back. Reserved addresses and free ones are refused.
    pub fn release(&mut self, address: Ipv4Addr) -> Result<(), ModelError> {
        let ordinal = self.ordinal(address)?;
        if self.reserved.binary_search(&ordinal).is_err() && self.bits.unset(ordinal) {
            Ok(())
        } else {
            Err(ModelError::AddressNotAllocated {
                address: IpAddr::V4(address),
            })
        }
    }

    /// Whether `address` is allocated to an endpoint (reserved addresses are not).
    pub fn is_allocated(&self, address: Ipv4Addr) -> bool {
        self.ordinal(address)
            .is_ok_and(|o| self.reserved.binary_search(&o).is_err() && self.bits.is_set(o))
    }

    /// How many endpoint addresses are allocated.
    pub fn allocated(&self) -> u64 {
        self.bits.count() - self.reserved.len() as u64
    }

    fn ordinal(&self, address: Ipv4Addr) -> Result<u64, ModelError> {
        if self.subnet.contains(&address) {
            Ok(u64::from(
                u32::from(address) - u32::from(self.subnet.network()),
            ))
        } else {
            Err(ModelError::AddressOutOfRange {
                address: IpAddr::V4(address),
            })
        }
    }

    fn address(&self, ordinal: u64) -> Ipv4Addr {
        // ordinal < 2^(32-prefix), so the sum stays inside the subnet.
        Ipv4Addr::from(u32::from(self.subnet.network()) + ordinal as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(s: &str) -> IpamConfig {
        IpamConfig::new(s.parse().unwrap_or_else(|_| panic!("bad test prefix {s}")))
    }
    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap_or_else(|_| panic!("bad test address {s}"))
    }
    fn alloc(c: &IpamConfig) -> EndpointAllocator {
        EndpointAllocator::new(c).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn serial_allocation_skips_gateway_and_reuses_late() {
        let mut a = alloc(&config("10.0.1.0/24"));
        assert_eq!(a.gateway(), ip("10.0.1.1"));
        assert_eq!(a.allocate(), Ok(ip("10.0.1.2")));
        assert_eq!(a.allocate(), Ok(ip("10.0.1.3")));
        assert_eq!(a.release(ip("10.0.1.2")), Ok(()));
        assert_eq!(
            a.allocate(),
            Ok(ip("10.0.1.4")),
            "serial: no immediate reuse"
        );
        assert_eq!(a.allocated(), 2);
    }

    #[test]
    fn exhaustion_excludes_network_broadcast_gateway_aux() {
        let c = config("10.0.1.0/29").aux_address("r", IpAddr::V4(ip("10.0.1.6")));
        let mut a = alloc(&c);
        let got: Vec<_> = std::iter::from_fn(|| a.allocate().ok()).collect();
        assert_eq!(
            got,
            vec![
                ip("10.0.1.2"),
                ip("10.0.1.3"),
                ip("10.0.1.4"),
                ip("10.0.1.5")
            ]
        );
        assert_eq!(
            a.allocate().map_err(|e| e.to_string()),
            Err("no available addresses on this pool: 10.0.1.0/29".to_string())
        );
        assert!(matches!(
            a.release(ip("10.0.1.1")),
            Err(ModelError::AddressNotAllocated { .. })
        ));
        assert!(matches!(
            a.release(ip("10.0.1.6")),
            Err(ModelError::AddressNotAllocated { .. })
        ));
        assert!(matches!(
            a.release(ip("10.0.2.6")),
            Err(ModelError::AddressOutOfRange { .. })
        ));
    }

    #[test]
    fn ip_range_and_explicit_gateway_are_honoured() {
        let c = config("10.0.0.0/16")
            .ip_range("10.0.5.0/30".parse().unwrap_or_default())
            .gateway(IpAddr::V4(ip("10.0.5.1")));
        let mut a = alloc(&c);
        let got: Vec<_> = std::iter::from_fn(|| a.allocate().ok()).collect();
        assert_eq!(got, vec![ip("10.0.5.0"), ip("10.0.5.2"), ip("10.0.5.3")]);
        assert_eq!(a.allocate_specific(ip("10.0.9.9")), Ok(()));
        assert!(matches!(
            a.allocate_specific(ip("10.0.9.9")),
            Err(ModelError::AddressInUse { .. })
        ));
        assert!(matches!(
            a.allocate_specific(ip("10.0.5.1")),
            Err(ModelError::AddressInUse { .. })
        ));
        assert!(a.is_allocated(ip("10.0.9.9")));
        assert!(!a.is_allocated(ip("10.0.5.1")));
    }

    #[test]
    fn mac_is_02_42_plus_ipv4() {
        assert_eq!(
            mac_from_ipv4(ip("10.0.1.5")).to_string(),
            "02:42:0a:00:01:05"
        );
    }
}
