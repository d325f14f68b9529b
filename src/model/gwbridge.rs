//! `GwBridgeNetwork`: the node-local `docker_gwbridge` bridge network that gives overlay
//! containers external connectivity, with moby's defaults (ICC off, masquerade on) and the
//! round trip with its `com.docker.network.bridge.*` option map.
//!
//! It is local to one node, so it is not registered in the cluster; it creates no devices.

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::error::ModelError;
use super::ipam::{Family, IpamConfig};
use super::options::{
    self, BRIDGE_ENABLE_ICC, BRIDGE_ENABLE_IP_MASQUERADE, BRIDGE_NAME, DRIVER_MTU,
};
use super::overlay::validate_name;

/// The network and bridge name moby uses (`default_gateway_linux.go`).
pub const GWBRIDGE_NAME: &str = "docker_gwbridge";
/// Longest Linux interface name (IFNAMSIZ − 1).
pub const MAX_IFNAME_LEN: usize = 15;

/// A validated docker_gwbridge spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GwBridgeNetwork {
    name: String,
    bridge_name: String,
    enable_icc: bool,
    enable_ip_masquerade: bool,
    ipv4: Option<IpamConfig>,
    mtu: Option<u32>,
    labels: BTreeMap<String, String>,
    extra_options: BTreeMap<String, String>,
}

impl GwBridgeNetwork {
    /// Start a spec with moby's defaults: name and bridge `docker_gwbridge`, ICC off,
    /// masquerade on, subnet left to the local pools.
    pub fn builder() -> GwBridgeNetworkBuilder {
        GwBridgeNetworkBuilder {
            spec: GwBridgeNetwork {
                name: GWBRIDGE_NAME.into(),
                bridge_name: GWBRIDGE_NAME.into(),
                enable_icc: false,
                enable_ip_masquerade: true,
                ipv4: None,
                mtu: None,
                labels: BTreeMap::new(),
                extra_options: BTreeMap::new(),
            },
            raw_mtu: None,
        }
    }

    /// The network name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The Linux bridge device name.
    pub fn bridge_name(&self) -> &str {
        &self.bridge_name
    }
    /// Whether containers on the bridge may talk to each other directly.
    pub fn enable_icc(&self) -> bool {
        self.enable_icc
    }
    /// Whether traffic leaving through the bridge is masqueraded.
    pub fn enable_ip_masquerade(&self) -> bool {
        self.enable_ip_masquerade
    }
    /// The IPv4 config, if one was given (else the local default pools decide).
    pub fn ipv4_config(&self) -> Option<&IpamConfig> {
        self.ipv4.as_ref()
    }
    /// The subnet, if one was given.
    pub fn subnet(&self) -> Option<IpNet> {
        self.ipv4.as_ref().map(IpamConfig::subnet)
    }
    /// The gateway (bridge address), if a subnet was given.
    pub fn gateway(&self) -> Option<std::net::IpAddr> {
        self.ipv4.as_ref().map(IpamConfig::effective_gateway)
    }
    /// The MTU option, if set.
    pub fn mtu(&self) -> Option<u32> {
        self.mtu
    }
    /// Network labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The bridge driver option map, as moby creates it: the three bridge keys (booleans as
    /// `true`/`false`), the MTU when set, and every pass-through option.
    pub fn driver_options(&self) -> BTreeMap<String, String> {
        let mut map = self.extra_options.clone();
        map.insert(BRIDGE_NAME.into(), self.bridge_name.clone());
        map.insert(BRIDGE_ENABLE_ICC.into(), self.enable_icc.to_string());
        map.insert(
            BRIDGE_ENABLE_IP_MASQUERADE.into(),
            self.enable_ip_masquerade.to_string(),
        );
        if let Some(mtu) = self.mtu {
            map.insert(DRIVER_MTU.into(), mtu.to_string());
        }
        map
    }
}

/// Builder for [`GwBridgeNetwork`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GwBridgeNetworkBuilder {
    spec: GwBridgeNetwork,
    raw_mtu: Option<u64>,
}

impl GwBridgeNetworkBuilder {
    /// A builder filled from a bridge driver option map. Booleans follow Go's
    /// `strconv.ParseBool`; keys we do not interpret are kept. Keys that are absent keep
    /// moby's docker_gwbridge defaults.
    pub fn from_docker_options(
        driver_options: &BTreeMap<String, String>,
    ) -> Result<GwBridgeNetworkBuilder, ModelError> {
        let mut builder = GwBridgeNetwork::builder();
        for (key, value) in driver_options {
            match key.as_str() {
                BRIDGE_NAME => builder.spec.bridge_name = value.clone(),
                BRIDGE_ENABLE_ICC => builder.spec.enable_icc = options::parse_go_bool(key, value)?,
                BRIDGE_ENABLE_IP_MASQUERADE => {
                    builder.spec.enable_ip_masquerade = options::parse_go_bool(key, value)?;
                }
                DRIVER_MTU => builder.raw_mtu = Some(u64::from(options::parse_mtu(value)?)),
                _ => {
                    builder
                        .spec
                        .extra_options
                        .insert(key.clone(), value.clone());
                }
            }
        }
        Ok(builder)
    }

    /// Name the network (default `docker_gwbridge`; Docker only uses a network of that name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.spec.name = name.into();
        self
    }
    /// Name the bridge device (default `docker_gwbridge`).
    pub fn bridge_name(mut self, name: impl Into<String>) -> Self {
        self.spec.bridge_name = name.into();
        self
    }
    /// Allow inter-container communication (default off).
    pub fn enable_icc(mut self, enable: bool) -> Self {
        self.spec.enable_icc = enable;
        self
    }
    /// Masquerade outgoing traffic (default on).
    pub fn enable_ip_masquerade(mut self, enable: bool) -> Self {
        self.spec.enable_ip_masquerade = enable;
        self
    }
    /// Use `subnet` (pre-creating docker_gwbridge is how Docker users avoid 172.18/16 clashes).
    pub fn subnet(self, subnet: IpNet) -> Self {
        self.ipam(IpamConfig::new(subnet))
    }
    /// Use an IPv4 IPAM config.
    pub fn ipam(mut self, config: IpamConfig) -> Self {
        self.spec.ipv4 = Some(config);
        self
    }
    /// Set the MTU option.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.raw_mtu = Some(u64::from(mtu));
        self
    }
    /// Add a network label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.labels.insert(key.into(), value.into());
        self
    }
    /// Add a driver option passed through uninterpreted.
    pub fn driver_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.extra_options.insert(key.into(), value.into());
        self
    }

    /// Validate and produce the spec.
    pub fn build(self) -> Result<GwBridgeNetwork, ModelError> {
        let GwBridgeNetworkBuilder { mut spec, raw_mtu } = self;
        validate_name(&spec.name)?;
        if let Some(key) = spec.extra_options.keys().find(|k| {
            [
                BRIDGE_NAME,
                BRIDGE_ENABLE_ICC,
                BRIDGE_ENABLE_IP_MASQUERADE,
                DRIVER_MTU,
            ]
            .contains(&k.as_str())
        }) {
            return Err(ModelError::TypedOptionKey { key: key.clone() });
        }
        validate_bridge_name(&spec.bridge_name)?;
        if let Some(config) = &spec.ipv4 {
            config.validate(Family::V4)?;
        }
        spec.mtu = raw_mtu.map(options::check_mtu).transpose()?;
        Ok(spec)
    }
}

fn validate_bridge_name(name: &str) -> Result<(), ModelError> {
    let reason = if name.is_empty() {
        Some("must not be empty")
    } else if name.len() > MAX_IFNAME_LEN {
        Some("longer than 15 bytes (IFNAMSIZ)")
    } else if name == "."
        || name == ".."
        || name.contains(['/', ':'])
        || name.contains(char::is_whitespace)
    {
        Some("the kernel refuses '/', ':', whitespace, '.' and '..' in interface names")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ModelError::InvalidBridgeName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_mobys() {
        let g = GwBridgeNetwork::builder()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(g.name(), "docker_gwbridge");
        assert_eq!(
            g.driver_options(),
            map(&[
                ("com.docker.network.bridge.enable_icc", "false"),
                ("com.docker.network.bridge.enable_ip_masquerade", "true"),
                ("com.docker.network.bridge.name", "docker_gwbridge"),
            ])
        );
        assert_eq!(g.subnet(), None);
    }

    #[test]
    fn option_map_round_trip_and_go_bools() {
        let docker = map(&[
            ("com.docker.network.bridge.enable_icc", "true"),
            ("com.docker.network.bridge.enable_ip_masquerade", "false"),
            ("com.docker.network.bridge.name", "gwbr0"),
            ("com.docker.network.driver.mtu", "1400"),
            ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"),
        ]);
        let g = GwBridgeNetworkBuilder::from_docker_options(&docker)
            .and_then(GwBridgeNetworkBuilder::build)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(g.enable_icc() && !g.enable_ip_masquerade());
        assert_eq!((g.bridge_name(), g.mtu()), ("gwbr0", Some(1400)));
        assert_eq!(g.driver_options(), docker);
        let short = map(&[("com.docker.network.bridge.enable_icc", "T")]);
        let g = GwBridgeNetworkBuilder::from_docker_options(&short)
            .and_then(GwBridgeNetworkBuilder::build);
        assert_eq!(g.map(|g| g.enable_icc()), Ok(true));
        let bad = map(&[("com.docker.network.bridge.enable_icc", "yes")]);
        assert!(matches!(
            GwBridgeNetworkBuilder::from_docker_options(&bad),
            Err(ModelError::InvalidBoolOption { .. })
        ));
    }

    #[test]
    fn subnet_gateway_and_name_rules() {
        let g = GwBridgeNetwork::builder()
            .subnet("172.30.0.0/16".parse().unwrap_or_default())
            .enable_icc(true)
            .enable_ip_masquerade(false)
            .bridge_name("gw0")
            .label("a", "b")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(g.gateway(), "172.30.0.1".parse().ok());
        let err = |b: GwBridgeNetworkBuilder| b.build().err();
        assert!(matches!(
            err(GwBridgeNetwork::builder().bridge_name("a-very-long-bridge")),
            Some(ModelError::InvalidBridgeName { .. })
        ));
        assert!(matches!(
            err(GwBridgeNetwork::builder().bridge_name("a/b")),
            Some(ModelError::InvalidBridgeName { .. })
        ));
        assert!(matches!(
            err(GwBridgeNetwork::builder().bridge_name("")),
            Some(ModelError::InvalidBridgeName { .. })
        ));
        assert!(matches!(
            err(GwBridgeNetwork::builder().subnet("172.30.0.1/16".parse().unwrap_or_default())),
            Some(ModelError::SubnetNotMasked { .. })
        ));
        assert!(matches!(
            err(GwBridgeNetwork::builder().mtu(10)),
            Some(ModelError::MtuOutOfRange { .. })
        ));
        assert!(matches!(
            err(GwBridgeNetwork::builder().driver_option("com.docker.network.bridge.name", "x")),
            Some(ModelError::TypedOptionKey { .. })
        ));
    }
}
