//! `IngressNetwork`: the routing-mesh overlay (`docker network create --ingress`). It is an
//! overlay spec with the ingress flag and swarmkit's extra rule (never attachable).
//!
//! "Only one ingress network" and "not removable while ports are published" span the
//! cluster and are enforced by the registry (`cluster`).

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::encryption::Encryption;
use super::error::ModelError;
use super::ipam::IpamConfig;
use super::overlay::{OverlayNetwork, OverlayNetworkBuilder};

/// The name swarm gives the ingress network it creates (swarmkit `newIngressNetwork`).
pub const DEFAULT_INGRESS_NAME: &str = "ingress";

/// A validated ingress network spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressNetwork(OverlayNetwork);

impl IngressNetwork {
    /// Start a spec named `ingress`.
    pub fn builder() -> IngressNetworkBuilder {
        IngressNetworkBuilder(OverlayNetwork::builder(DEFAULT_INGRESS_NAME).set_ingress())
    }

    /// The overlay spec underneath (its `is_ingress()` is true).
    pub fn as_overlay(&self) -> &OverlayNetwork {
        &self.0
    }

    /// The overlay spec underneath, by value.
    pub fn into_overlay(self) -> OverlayNetwork {
        self.0
    }

    /// The driver option map (see [`OverlayNetwork::driver_options`]).
    pub fn driver_options(&self) -> BTreeMap<String, String> {
        self.0.driver_options()
    }
}

/// Builder for [`IngressNetwork`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressNetworkBuilder(OverlayNetworkBuilder);

impl IngressNetworkBuilder {
    /// Use another name than `ingress` (Docker allows any name with `--ingress`).
    pub fn name(self, name: impl Into<String>) -> Self {
        IngressNetworkBuilder(self.0.set_name(name.into()))
    }
    /// Add a subnet.
    pub fn subnet(self, subnet: IpNet) -> Self {
        IngressNetworkBuilder(self.0.subnet(subnet))
    }
    /// Add an IPAM config.
    pub fn ipam(self, config: IpamConfig) -> Self {
        IngressNetworkBuilder(self.0.ipam(config))
    }
    /// Ingress networks cannot be attachable; `true` makes `build` fail as swarmkit does.
    pub fn attachable(self, attachable: bool) -> Self {
        IngressNetworkBuilder(self.0.attachable(attachable))
    }
    /// See [`OverlayNetworkBuilder::encrypted`].
    pub fn encrypted(self, encrypted: bool) -> Self {
        IngressNetworkBuilder(self.0.encrypted(encrypted))
    }
    /// See [`OverlayNetworkBuilder::encryption`].
    pub fn encryption(self, encryption: Encryption) -> Self {
        IngressNetworkBuilder(self.0.encryption(encryption))
    }
    /// See [`OverlayNetworkBuilder::mtu`].
    pub fn mtu(self, mtu: u32) -> Self {
        IngressNetworkBuilder(self.0.mtu(mtu))
    }
    /// See [`OverlayNetworkBuilder::label`].
    pub fn label(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        IngressNetworkBuilder(self.0.label(key, value))
    }
    /// See [`OverlayNetworkBuilder::vnis`].
    pub fn vnis(self, vnis: impl IntoIterator<Item = u32>) -> Self {
        IngressNetworkBuilder(self.0.vnis(vnis))
    }
    /// See [`OverlayNetworkBuilder::driver_option`].
    pub fn driver_option(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        IngressNetworkBuilder(self.0.driver_option(key, value))
    }
    /// Validate and produce the spec.
    pub fn build(self) -> Result<IngressNetwork, ModelError> {
        self.0.build().map(IngressNetwork)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_swarmkit_rule() {
        let i = IngressNetwork::builder()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(i.as_overlay().name(), "ingress");
        assert!(i.as_overlay().is_ingress() && !i.as_overlay().is_attachable());
        let err = IngressNetwork::builder().attachable(true).build();
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("ingress network cannot be attachable".to_string())
        );
        let named = IngressNetwork::builder()
            .name("mesh")
            .subnet("10.255.0.0/16".parse().unwrap_or_default())
            .encryption(Encryption::DockerCompatible)
            .mtu(1400)
            .vnis([4096])
            .label("k", "v")
            .driver_option("dsr", "")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(named.as_overlay().name(), "mesh");
        assert_eq!(
            named.driver_options().get("encrypted").map(String::as_str),
            Some("")
        );
        assert!(named.clone().into_overlay().is_ingress());
    }
}
