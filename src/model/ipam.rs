//! `IpamConfig`: one subnet of a network with its optional ip-range, gateway and auxiliary
//! addresses, and the per-config validation of moby's API `ValidateIPAM`.
//!
//! It does not check one config against another (overlaps are the registry's job) and hands
//! out no addresses (see `endpoint_alloc`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::error::ModelError;

/// An address family, as Docker names them in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of `addr`.
    pub fn of(addr: IpAddr) -> Family {
        if addr.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        }
    }

    /// Docker's name: `IPv4` or `IPv6`.
    pub fn docker_name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// One IPAM config: a subnet plus what the user pinned inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpamConfig {
    subnet: IpNet,
    ip_range: Option<IpNet>,
    gateway: Option<IpAddr>,
    aux_addresses: BTreeMap<String, IpAddr>,
}

impl IpamConfig {
    /// A config for `subnet` with nothing pinned. Validation happens when the network is built.
    pub fn new(subnet: IpNet) -> IpamConfig {
        IpamConfig {
            subnet,
            ip_range: None,
            gateway: None,
            aux_addresses: BTreeMap::new(),
        }
    }

    /// Restrict endpoint addresses to `range` (Docker's `--ip-range`).
    pub fn ip_range(mut self, range: IpNet) -> IpamConfig {
        self.ip_range = Some(range);
        self
    }

    /// Use `gateway` instead of the first usable address (Docker's `--gateway`).
    pub fn gateway(mut self, gateway: IpAddr) -> IpamConfig {
        self.gateway = Some(gateway);
        self
    }

    /// Reserve `address` under `name` so it is never handed out (Docker's `--aux-address`).
    pub fn aux_address(mut self, name: impl Into<String>, address: IpAddr) -> IpamConfig {
        self.aux_addresses.insert(name.into(), address);
        self
    }

    /// The subnet.
    pub fn subnet(&self) -> IpNet {
        self.subnet
    }

    /// The ip-range, if one was given.
    pub fn range(&self) -> Option<IpNet> {
        self.ip_range
    }

    /// The gateway as given (see `NetworkState` for the effective one).
    pub fn explicit_gateway(&self) -> Option<IpAddr> {
        self.gateway
    }

    /// The gateway: the one given, else the subnet's first usable address (Docker's default).
    pub fn effective_gateway(&self) -> IpAddr {
        self.gateway.unwrap_or_else(|| first_usable(self.subnet))
    }

    /// The auxiliary addresses, by name.
    pub fn aux_addresses(&self) -> &BTreeMap<String, IpAddr> {
        &self.aux_addresses
    }

    /// The family of the subnet.
    pub fn family(&self) -> Family {
        Family::of(self.subnet.addr())
    }

    /// Check this config on its own, as moby's API `ValidateIPAM` does (first error wins), plus
    /// the rules an overlay subnet needs: the right `family`, IPv4 no longer than /30, and no
    /// gateway/aux address on the network or broadcast address.
    pub fn validate(&self, family: Family) -> Result<(), ModelError> {
        let subnet = self.subnet;
        if self.family() != family {
            return Err(ModelError::SubnetWrongFamily {
                subnet,
                family: family.docker_name(),
            });
        }
        if subnet != subnet.trunc() {
            return Err(ModelError::SubnetNotMasked {
                subnet,
                masked: subnet.trunc(),
            });
        }
        if let IpNet::V4(v4) = subnet {
            if v4.prefix_len() > MAX_IPV4_PREFIX_LEN {
                return Err(ModelError::SubnetTooSmall {
                    subnet,
                    min_prefix_len: MAX_IPV4_PREFIX_LEN,
                });
            }
        }
        if let Some(range) = self.ip_range {
            let family_name = family.docker_name();
            if Family::of(range.addr()) != family {
                return Err(ModelError::IpRangeWrongFamily {
                    range,
                    family: family_name,
                });
            }
            if range.prefix_len() < subnet.prefix_len() {
                return Err(ModelError::IpRangeBiggerThanSubnet { range, subnet });
            }
            if range != range.trunc() {
                return Err(ModelError::IpRangeNotMasked {
                    range,
                    masked: range.trunc(),
                });
            }
            if !subnet.contains(&range) {
                return Err(ModelError::IpRangeOutsideSubnet { range, subnet });
            }
        }
        if let Some(gateway) = self.gateway {
            if Family::of(gateway) != family {
                return Err(ModelError::GatewayWrongFamily {
                    gateway,
                    family: family.docker_name(),
                });
            }
            if !subnet.contains(&gateway) {
                return Err(ModelError::GatewayOutsideSubnet { gateway, subnet });
            }
            check_not_reserved(subnet, gateway, "gateway".to_string())?;
        }
        for (name, &address) in &self.aux_addresses {
            if Family::of(address) != family {
                return Err(ModelError::AuxAddressWrongFamily {
                    name: name.clone(),
                    address,
                    family: family.docker_name(),
                });
            }
            if !subnet.contains(&address) {
                return Err(ModelError::AuxAddressOutsideSubnet {
                    name: name.clone(),
                    address,
                    subnet,
                });
            }
            check_not_reserved(subnet, address, format!("auxiliary address {name}"))?;
        }
        Ok(())
    }
}

/// The longest IPv4 prefix an overlay subnet may have: a /30 holds a gateway and one endpoint.
pub const MAX_IPV4_PREFIX_LEN: u8 = 30;

/// The first address after the network address (`10.0.1.1` for `10.0.1.0/24`).
pub(crate) fn first_usable(subnet: IpNet) -> IpAddr {
    match subnet {
        IpNet::V4(n) => IpAddr::V4((u32::from(n.network()).wrapping_add(1)).into()),
        IpNet::V6(n) => IpAddr::V6((u128::from(n.network()).wrapping_add(1)).into()),
    }
}

fn check_not_reserved(subnet: IpNet, address: IpAddr, what: String) -> Result<(), ModelError> {
    // IPv6 has no broadcast address; Docker still never hands out the subnet-router anycast
    // (network) address.
    let reserved = match subnet {
        IpNet::V4(n) => address == IpAddr::V4(n.network()) || address == IpAddr::V4(n.broadcast()),
        IpNet::V6(n) => address == IpAddr::V6(n.network()),
    };
    if reserved {
        Err(ModelError::ReservedAddress {
            what,
            address,
            subnet,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| panic!("bad test prefix {s}"))
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("bad test address {s}"))
    }
    fn err(c: IpamConfig) -> String {
        c.validate(c.family())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn docker_validate_ipam_texts() {
        let s = net("10.0.1.0/24");
        let cases = [
            (
                IpamConfig::new(net("10.0.1.1/24")),
                "invalid subnet 10.0.1.1/24: it should be 10.0.1.0/24",
            ),
            (
                IpamConfig::new(s).gateway(ip("10.0.2.1")),
                "invalid gateway 10.0.2.1: parent subnet 10.0.1.0/24 doesn't contain this address",
            ),
            (
                IpamConfig::new(s).gateway(ip("fd00::1")),
                "invalid gateway fd00::1: parent subnet is an IPv4 block",
            ),
            (
                IpamConfig::new(s).ip_range(net("10.0.2.0/25")),
                "invalid ip-range 10.0.2.0/25: parent subnet 10.0.1.0/24 doesn't contain ip-range",
            ),
            (
                IpamConfig::new(s).ip_range(net("10.0.0.0/16")),
                "invalid ip-range 10.0.0.0/16: CIDR block is bigger than its parent subnet 10.0.1.0/24",
            ),
            (
                IpamConfig::new(s).ip_range(net("10.0.1.1/25")),
                "invalid ip-range 10.0.1.1/25: it should be 10.0.1.0/25",
            ),
            (
                IpamConfig::new(s).ip_range(net("fd00::/64")),
                "invalid ip-range fd00::/64: parent subnet is an IPv4 block",
            ),
            (
                IpamConfig::new(s).aux_address("router", ip("10.9.9.9")),
                "invalid auxiliary address router: parent subnet 10.0.1.0/24 doesn't contain this address",
            ),
            (
                IpamConfig::new(s).gateway(ip("10.0.1.255")),
                "invalid gateway 10.0.1.255: it is the network or broadcast address of 10.0.1.0/24",
            ),
            (
                IpamConfig::new(net("10.0.1.0/31")),
                "invalid subnet 10.0.1.0/31: an overlay subnet needs at least a /30 (30)",
            ),
        ];
        for (config, want) in cases {
            assert_eq!(err(config), want);
        }
    }

    #[test]
    fn valid_config_passes_and_default_gateway_is_first_usable() {
        let c = IpamConfig::new(net("10.0.1.0/24"))
            .ip_range(net("10.0.1.128/25"))
            .aux_address("host1", ip("10.0.1.2"));
        assert_eq!(c.validate(Family::V4), Ok(()));
        assert_eq!(c.effective_gateway(), ip("10.0.1.1"));
        assert_eq!(
            IpamConfig::new(net("fd00:1::/64")).effective_gateway(),
            ip("fd00:1::1")
        );
        assert!(matches!(
            c.validate(Family::V6),
            Err(ModelError::SubnetWrongFamily { family: "IPv6", .. })
        ));
    }
}
