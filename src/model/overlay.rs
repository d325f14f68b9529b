//! `OverlayNetwork`: a validated swarm-scope overlay network spec (Docker's `docker network
//! create -d overlay`), its builder, and the round trip with Docker's driver option map.
//!
//! A spec says what the user asked for; subnets and VNIs that were left to the cluster are
//! filled in by the registry (`cluster`), which also checks rules that span networks.

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::encryption::Encryption;
use super::error::ModelError;
use super::ipam::{Family, IpamConfig};
use super::options::{self, ENCRYPTED, ENCRYPTION_PROFILE, OVERLAY_VXLANID_LIST};
use super::vni::{self, Vni};

/// A validated overlay network spec. Build one with [`OverlayNetwork::builder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayNetwork {
    pub(crate) name: String,
    pub(crate) ipv4: Vec<IpamConfig>,
    pub(crate) ipv6: Vec<IpamConfig>,
    pub(crate) attachable: bool,
    pub(crate) internal: bool,
    pub(crate) ingress: bool,
    pub(crate) encryption: Encryption,
    pub(crate) mtu: Option<u32>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) vnis: Vec<Vni>,
    pub(crate) extra_options: BTreeMap<String, String>,
}

impl OverlayNetwork {
    /// Start a spec for a network called `name`.
    pub fn builder(name: impl Into<String>) -> OverlayNetworkBuilder {
        OverlayNetworkBuilder::new(name.into())
    }

    /// The network name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The IPv4 IPAM configs given (empty: the cluster picks one subnet from its pools).
    pub fn ipv4_configs(&self) -> &[IpamConfig] {
        &self.ipv4
    }
    /// The IPv6 IPAM configs given.
    pub fn ipv6_configs(&self) -> &[IpamConfig] {
        &self.ipv6
    }
    /// Whether standalone containers may attach (`--attachable`).
    pub fn is_attachable(&self) -> bool {
        self.attachable
    }
    /// Whether the network has no external connectivity (`--internal`).
    pub fn is_internal(&self) -> bool {
        self.internal
    }
    /// Whether this is the routing-mesh ingress network.
    pub fn is_ingress(&self) -> bool {
        self.ingress
    }
    /// The encryption profile.
    pub fn encryption(&self) -> Encryption {
        self.encryption
    }
    /// The MTU option (`com.docker.network.driver.mtu`), if set.
    pub fn mtu(&self) -> Option<u32> {
        self.mtu
    }
    /// Network labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }
    /// Explicit VNIs, one per IPv4 subnet in order (empty: the cluster allocates them).
    pub fn explicit_vnis(&self) -> &[Vni] {
        &self.vnis
    }
    /// Driver options we do not interpret, passed through unchanged as Docker does.
    pub fn extra_options(&self) -> &BTreeMap<String, String> {
        &self.extra_options
    }
    /// How many IPv4 subnets the network will have (at least one: the cluster picks it when
    /// none was given).
    pub fn ipv4_subnet_count(&self) -> usize {
        self.ipv4.len().max(1)
    }

    /// The driver option map for `vnis` (in IPv4 subnet order): pass-through options, then
    /// `encrypted` (empty value, as `--opt encrypted` gives) and our profile key for the
    /// hardened profile, the MTU, and `vxlanid_list` when `vnis` is not empty.
    pub fn driver_options_with(&self, vnis: &[Vni]) -> BTreeMap<String, String> {
        let mut map = self.extra_options.clone();
        match self.encryption {
            Encryption::Off => {}
            Encryption::DockerCompatible => {
                map.insert(ENCRYPTED.into(), String::new());
            }
            Encryption::Hardened => {
                map.insert(ENCRYPTED.into(), String::new());
                map.insert(ENCRYPTION_PROFILE.into(), options::PROFILE_HARDENED.into());
            }
        }
        if let Some(mtu) = self.mtu {
            map.insert(options::DRIVER_MTU.into(), mtu.to_string());
        }
        if !vnis.is_empty() {
            map.insert(OVERLAY_VXLANID_LIST.into(), vni::format_vni_list(vnis));
        }
        map
    }

    /// The driver option map of this spec (explicit VNIs only; see `NetworkState` for the
    /// allocated ones).
    pub fn driver_options(&self) -> BTreeMap<String, String> {
        self.driver_options_with(&self.vnis)
    }
}

/// Builder for [`OverlayNetwork`]; every check runs in [`build`](Self::build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayNetworkBuilder {
    spec: OverlayNetwork,
    raw_vnis: Vec<u32>,
    raw_mtu: Option<u64>,
}

impl OverlayNetworkBuilder {
    fn new(name: String) -> OverlayNetworkBuilder {
        OverlayNetworkBuilder {
            spec: OverlayNetwork {
                name,
                ipv4: Vec::new(),
                ipv6: Vec::new(),
                attachable: false,
                internal: false,
                ingress: false,
                encryption: Encryption::Off,
                mtu: None,
                labels: BTreeMap::new(),
                vnis: Vec::new(),
                extra_options: BTreeMap::new(),
            },
            raw_vnis: Vec::new(),
            raw_mtu: None,
        }
    }

    /// A builder filled from a Docker driver option map (`docker network create --opt`, or
    /// what a swarm manager hands a worker). Known keys are parsed with Docker's rules and
    /// texts; `encrypted` gives [`Encryption::DockerCompatible`] unless our profile key says
    /// `hardened`; every other key is kept and passed through.
    pub fn from_docker_options(
        name: impl Into<String>,
        driver_options: &BTreeMap<String, String>,
    ) -> Result<OverlayNetworkBuilder, ModelError> {
        let mut builder = OverlayNetworkBuilder::new(name.into());
        let profile = driver_options.get(ENCRYPTION_PROFILE);
        builder.spec.encryption = match (driver_options.contains_key(ENCRYPTED), profile) {
            (false, None) => Encryption::Off,
            (true, None) => Encryption::DockerCompatible,
            (true, Some(p)) if p == options::PROFILE_DOCKER => Encryption::DockerCompatible,
            (true, Some(p)) if p == options::PROFILE_HARDENED => Encryption::Hardened,
            (_, Some(p)) => {
                return Err(ModelError::InvalidEncryptionProfile {
                    key: ENCRYPTION_PROFILE,
                    value: p.clone(),
                });
            }
        };
        if let Some(mtu) = driver_options.get(options::DRIVER_MTU) {
            builder.raw_mtu = Some(u64::from(options::parse_mtu(mtu)?));
        }
        if let Some(list) = driver_options.get(OVERLAY_VXLANID_LIST) {
            builder.raw_vnis = vni::parse_vni_list(list)?
                .into_iter()
                .map(Vni::get)
                .collect();
        }
        for (key, value) in driver_options {
            if !is_typed_key(key) {
                builder
                    .spec
                    .extra_options
                    .insert(key.clone(), value.clone());
            }
        }
        Ok(builder)
    }

    /// Add a subnet (IPv4 or IPv6) with nothing pinned.
    pub fn subnet(self, subnet: IpNet) -> Self {
        self.ipam(IpamConfig::new(subnet))
    }

    /// Add an IPAM config; its subnet's family decides whether it is an IPv4 or IPv6 config.
    pub fn ipam(mut self, config: IpamConfig) -> Self {
        match config.family() {
            Family::V4 => self.spec.ipv4.push(config),
            Family::V6 => self.spec.ipv6.push(config),
        }
        self
    }

    /// Allow standalone containers to attach (`--attachable`).
    pub fn attachable(mut self, attachable: bool) -> Self {
        self.spec.attachable = attachable;
        self
    }

    /// No external connectivity (`--internal`).
    pub fn internal(mut self, internal: bool) -> Self {
        self.spec.internal = internal;
        self
    }

    /// `true` selects the hardened profile (our default for new networks), `false` turns
    /// encryption off. Use [`encryption`](Self::encryption) for Docker's profile.
    pub fn encrypted(self, encrypted: bool) -> Self {
        self.encryption(if encrypted {
            Encryption::Hardened
        } else {
            Encryption::Off
        })
    }

    /// Choose the encryption profile.
    pub fn encryption(mut self, encryption: Encryption) -> Self {
        self.spec.encryption = encryption;
        self
    }

    /// Set the MTU option (`com.docker.network.driver.mtu`), 576..=65535.
    pub fn mtu(mut self, mtu: u32) -> Self {
        self.raw_mtu = Some(u64::from(mtu));
        self
    }

    /// Add a network label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.labels.insert(key.into(), value.into());
        self
    }

    /// Set explicit VNIs, one per IPv4 subnet in order (or exactly one when no subnet is given).
    pub fn vnis(mut self, vnis: impl IntoIterator<Item = u32>) -> Self {
        self.raw_vnis = vnis.into_iter().collect();
        self
    }

    /// Add a driver option we pass through uninterpreted (e.g. `dsr`). Keys with a typed
    /// builder method are refused in `build`.
    pub fn driver_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        // A typed key is kept too, so build() can refuse it naming the key.
        self.spec.extra_options.insert(key.into(), value.into());
        self
    }

    pub(crate) fn set_ingress(mut self) -> Self {
        self.spec.ingress = true;
        self
    }

    pub(crate) fn set_name(mut self, name: String) -> Self {
        self.spec.name = name;
        self
    }

    /// Validate and produce the spec.
    pub fn build(self) -> Result<OverlayNetwork, ModelError> {
        let OverlayNetworkBuilder {
            mut spec,
            raw_vnis,
            raw_mtu,
        } = self;
        spec.mtu = raw_mtu.map(options::check_mtu).transpose()?;
        spec.vnis = raw_vnis
            .iter()
            .map(|&v| Vni::new(v))
            .collect::<Result<_, _>>()?;
        spec.validate()?;
        Ok(spec)
    }
}

impl OverlayNetwork {
    /// Every rule a single spec must satisfy. `build` runs it; the cluster runs it again so a
    /// spec that arrived through deserialisation is held to the same rules.
    pub(crate) fn validate(&self) -> Result<(), ModelError> {
        validate_name(&self.name)?;
        if let Some(key) = self.extra_options.keys().find(|k| is_typed_key(k)) {
            return Err(ModelError::TypedOptionKey { key: key.clone() });
        }
        if self.ingress && self.attachable {
            return Err(ModelError::AttachableIngress);
        }
        for config in &self.ipv4 {
            config.validate(Family::V4)?;
        }
        for config in &self.ipv6 {
            config.validate(Family::V6)?;
        }
        check_no_overlap(
            &self.name,
            self.ipv4.iter().chain(&self.ipv6).map(IpamConfig::subnet),
        )?;
        if let Some(mtu) = self.mtu {
            options::check_mtu(u64::from(mtu))?;
        }
        validate_vnis(&self.vnis, self.ipv4_subnet_count())
    }
}

fn is_typed_key(key: &str) -> bool {
    [
        ENCRYPTED,
        ENCRYPTION_PROFILE,
        options::DRIVER_MTU,
        OVERLAY_VXLANID_LIST,
    ]
    .contains(&key)
}

/// Network names: a letter or digit, then letters, digits, `_`, `.` or `-` (what Docker's CLI
/// users write; no whitespace or `/`, which would break names derived from it).
pub(crate) fn validate_name(name: &str) -> Result<(), ModelError> {
    let reason = if name.is_empty() {
        Some("must not be empty")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("must start with a letter or digit")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        Some("may contain only letters, digits, '_', '.' and '-'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ModelError::InvalidName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

fn check_no_overlap(network: &str, subnets: impl Iterator<Item = IpNet>) -> Result<(), ModelError> {
    let subnets: Vec<IpNet> = subnets.collect();
    for (i, a) in subnets.iter().enumerate() {
        if let Some(b) = subnets[..i].iter().find(|b| overlaps(a, b)) {
            return Err(ModelError::OverlappingSubnets {
                subnet: *a,
                existing: *b,
                network: network.to_string(),
            });
        }
    }
    Ok(())
}

/// Whether two prefixes share any address.
pub(crate) fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

fn validate_vnis(vnis: &[Vni], subnets: usize) -> Result<(), ModelError> {
    if vnis.is_empty() {
        return Ok(());
    }
    for (i, v) in vnis.iter().enumerate() {
        if vnis[..i].contains(v) {
            return Err(ModelError::DuplicateVni { vni: v.get() });
        }
    }
    if vnis.len() < subnets {
        return Err(ModelError::InsufficientVnis {
            vnis: vnis.len(),
            subnets,
        });
    }
    if vnis.len() > subnets {
        return Err(ModelError::TooManyVnis {
            vnis: vnis.len(),
            subnets,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| panic!("bad test prefix {s}"))
    }
    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn build_err(b: OverlayNetworkBuilder) -> ModelError {
        match b.build() {
            Ok(n) => panic!("expected an error, built {n:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn builder_sets_every_field() {
        let n = OverlayNetwork::builder("app")
            .subnet(net("10.0.1.0/24"))
            .subnet(net("fd00:1::/64"))
            .attachable(true)
            .internal(true)
            .encrypted(true)
            .mtu(1400)
            .label("team", "web")
            .vnis([4200])
            .driver_option("dsr", "")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.name(), "app");
        assert_eq!(n.ipv4_configs().len(), 1);
        assert_eq!(n.ipv6_configs().len(), 1);
        assert!(n.is_attachable() && n.is_internal() && !n.is_ingress());
        assert_eq!(n.encryption(), Encryption::Hardened);
        assert_eq!(n.mtu(), Some(1400));
        assert_eq!(n.labels().get("team").map(String::as_str), Some("web"));
        assert_eq!(
            n.explicit_vnis()
                .iter()
                .map(|v| v.get())
                .collect::<Vec<_>>(),
            vec![4200]
        );
        assert_eq!(
            n.driver_options(),
            map(&[
                ("com.docker.network.driver.mtu", "1400"),
                ("com.docker.network.driver.overlay.vxlanid_list", "4200"),
                ("com.overlaynet.encryption", "hardened"),
                ("dsr", ""),
                ("encrypted", ""),
            ])
        );
    }

    #[test]
    fn docker_option_map_round_trips_exactly() {
        let docker = map(&[
            ("com.docker.network.driver.mtu", "1450"),
            (
                "com.docker.network.driver.overlay.vxlanid_list",
                "4097,4098",
            ),
            ("encrypted", ""),
            ("dsr", "true"),
            ("com.example.unknown", "kept"),
        ]);
        let n = OverlayNetworkBuilder::from_docker_options("web", &docker)
            .map(|b| b.subnet(net("10.0.1.0/24")).subnet(net("10.0.2.0/24")))
            .and_then(OverlayNetworkBuilder::build)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            n.encryption(),
            Encryption::DockerCompatible,
            "Docker maps stay Docker-exact"
        );
        assert_eq!(n.mtu(), Some(1450));
        assert_eq!(
            n.extra_options(),
            &map(&[("com.example.unknown", "kept"), ("dsr", "true")])
        );
        assert_eq!(n.driver_options(), docker);
    }

    #[test]
    fn hardened_and_off_round_trip() {
        for enc in [
            Encryption::Off,
            Encryption::DockerCompatible,
            Encryption::Hardened,
        ] {
            let n = OverlayNetwork::builder("n").encryption(enc).build();
            let n = n.unwrap_or_else(|e| panic!("{e}"));
            let back = OverlayNetworkBuilder::from_docker_options("n", &n.driver_options())
                .and_then(OverlayNetworkBuilder::build);
            assert_eq!(back, Ok(n));
        }
        let bad = map(&[("encrypted", ""), ("com.overlaynet.encryption", "chacha")]);
        assert!(matches!(
            OverlayNetworkBuilder::from_docker_options("n", &bad),
            Err(ModelError::InvalidEncryptionProfile { .. })
        ));
        let orphan = map(&[("com.overlaynet.encryption", "hardened")]);
        assert!(OverlayNetworkBuilder::from_docker_options("n", &orphan).is_err());
    }

    #[test]
    fn option_map_parse_errors() {
        let parse = |pairs: &[(&str, &str)]| {
            OverlayNetworkBuilder::from_docker_options("n", &map(pairs))
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            parse(&[("com.docker.network.driver.overlay.vxlanid_list", "12,abc")]),
            Some("invalid vxlan id value \"abc\" passed".into())
        );
        assert_eq!(
            parse(&[("com.docker.network.driver.mtu", "x")]),
            Some("failed to parse x: strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(
            parse(&[("com.docker.network.driver.mtu", "-5")]),
            Some("invalid MTU value: -5".into())
        );
    }

    #[test]
    fn vni_count_and_range_rules() {
        let two = || {
            OverlayNetwork::builder("n")
                .subnet(net("10.0.1.0/24"))
                .subnet(net("10.0.2.0/24"))
        };
        assert_eq!(
            build_err(two().vnis([5000])).to_string(),
            "insufficient vnis(1) passed to overlay"
        );
        assert_eq!(
            build_err(two().vnis([5000, 5001, 5002])),
            ModelError::TooManyVnis {
                vnis: 3,
                subnets: 2
            }
        );
        assert_eq!(
            build_err(two().vnis([5000, 5000])),
            ModelError::DuplicateVni { vni: 5000 }
        );
        assert_eq!(
            build_err(two().vnis([0, 1])),
            ModelError::VniOutOfRange { vni: 0 }
        );
        assert_eq!(
            build_err(two().vnis([1, 1 << 24])),
            ModelError::VniOutOfRange { vni: 1 << 24 }
        );
        assert!(two().vnis([1, 16_777_215]).build().is_ok());
        // No subnet given: the cluster picks one, so exactly one VNI may be given.
        assert!(OverlayNetwork::builder("n").vnis([4097]).build().is_ok());
        assert!(
            OverlayNetwork::builder("n")
                .vnis([4097, 4098])
                .build()
                .is_err()
        );
    }

    #[test]
    fn ipam_overlap_mtu_name_and_typed_key_rules() {
        let b = OverlayNetwork::builder("n")
            .subnet(net("10.0.0.0/16"))
            .subnet(net("10.0.3.0/24"));
        assert_eq!(
            build_err(b),
            ModelError::OverlappingSubnets {
                subnet: net("10.0.3.0/24"),
                existing: net("10.0.0.0/16"),
                network: "n".into()
            }
        );
        let gw = IpamConfig::new(net("10.0.1.0/24")).gateway(
            "10.0.2.1"
                .parse()
                .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
        );
        assert!(matches!(
            build_err(OverlayNetwork::builder("n").ipam(gw)),
            ModelError::GatewayOutsideSubnet { .. }
        ));
        assert!(matches!(
            build_err(OverlayNetwork::builder("n").mtu(100)),
            ModelError::MtuOutOfRange { mtu: 100, .. }
        ));
        assert!(matches!(
            build_err(OverlayNetwork::builder("n").mtu(70000)),
            ModelError::MtuOutOfRange { .. }
        ));
        assert!(matches!(
            build_err(OverlayNetwork::builder("")),
            ModelError::InvalidName { .. }
        ));
        assert!(matches!(
            build_err(OverlayNetwork::builder("a b")),
            ModelError::InvalidName { .. }
        ));
        assert!(matches!(
            build_err(OverlayNetwork::builder("-a")),
            ModelError::InvalidName { .. }
        ));
        assert_eq!(
            build_err(OverlayNetwork::builder("n").driver_option("encrypted", "")).to_string(),
            "driver option encrypted has a typed builder method; use it instead of a raw option"
        );
    }
}
