//! `Scope`: which kernel objects are overlaynet's. The diff deletes an object only when it is
//! not desired *and* [`Scope::owns`] says it is ours; everything else on the host is left
//! alone. This module owns that one rule and nothing else.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::state::{KernelState, LinkKey, Netns, ObjectId};

/// Docker's XFRM mark and request id, `0xD0C4E3` (moby `drivers/overlay/encryption.go`).
pub const DOCKER_XFRM_MARK: u32 = 0xD0C4E3;

/// The nftables table overlaynet keeps in each namespace it programs.
pub const NFT_TABLE: &str = "overlaynet";

/// A pattern for names of namespaces or host-namespace links that are ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePattern {
    /// Exactly this name, e.g. `ingress_sbox`.
    Exact(String),
    /// Any name starting with this prefix.
    Prefix(String),
    /// Docker's overlay sandbox names: `<epoch digits>-<network id prefix>`, at most 12
    /// characters, e.g. `1-k3jd8s0a2b` (moby osl `GenerateKey`).
    DockerSandbox,
    /// Docker's VXLAN staging names in the host namespace: `vx-<vni as 6 hex>-<nid[:5]>`,
    /// e.g. `vx-001001-k3jd8` (moby `createVxlan`).
    DockerVxlan,
}

impl NamePattern {
    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let alnum = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        match self {
            NamePattern::Exact(e) => name == e,
            NamePattern::Prefix(p) => name.starts_with(p.as_str()),
            NamePattern::DockerSandbox => match name.split_once('-') {
                Some((epoch, id)) => {
                    name.len() <= 12
                        && !epoch.is_empty()
                        && epoch.bytes().all(|b| b.is_ascii_digit())
                        && alnum(id)
                }
                None => false,
            },
            NamePattern::DockerVxlan => {
                let Some(rest) = name.strip_prefix("vx-") else {
                    return false;
                };
                match rest.split_once('-') {
                    Some((vni, id)) => {
                        vni.len() == 6
                            && vni.bytes().all(|b| b.is_ascii_hexdigit())
                            && id.len() <= 5
                            && alnum(id)
                    }
                    None => false,
                }
            }
        }
    }
}

/// Which objects are ours: the namespaces we name (everything inside them is ours), the
/// host-namespace links we name, links explicitly claimed (such as the container end of a
/// veth pair, which lives in a namespace the runtime owns) and everything attached to them,
/// our nftables table in any namespace, and XFRM objects carrying our mark / request id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Namespace names that are ours.
    pub netns: Vec<NamePattern>,
    /// Host-namespace link names that are ours.
    pub host_links: Vec<NamePattern>,
    /// Individual links that are ours wherever they live.
    pub claimed_links: BTreeSet<LinkKey>,
    /// Our nftables table name.
    pub nft_table: String,
    /// Our XFRM policy mark value and state request id.
    pub xfrm_mark: u32,
}

impl Scope {
    /// Docker-style names: sandboxes `1-<nid[:10]>` and `ingress_sbox`, host links
    /// `vx-<vni hex6>-<nid[:5]>`, nftables table `overlaynet`, XFRM mark/reqid `0xD0C4E3`.
    pub fn docker() -> Scope {
        Scope {
            netns: vec![
                NamePattern::DockerSandbox,
                NamePattern::Exact("ingress_sbox".into()),
            ],
            host_links: vec![NamePattern::DockerVxlan],
            claimed_links: BTreeSet::new(),
            nft_table: NFT_TABLE.into(),
            xfrm_mark: DOCKER_XFRM_MARK,
        }
    }

    /// Marks one link as ours (for links the engine created outside its own namespaces).
    pub fn claim_link(&mut self, key: LinkKey) {
        self.claimed_links.insert(key);
    }

    /// Whether the named namespace is ours (the host namespace never is).
    pub fn owns_netns(&self, ns: &Netns) -> bool {
        match ns {
            Netns::Host => false,
            Netns::Named(n) => self.netns.iter().any(|p| p.matches(n)),
        }
    }

    /// Whether the link is ours, and with it everything attached to it.
    pub fn owns_link(&self, ns: &Netns, name: &str) -> bool {
        self.owns_netns(ns)
            || (*ns == Netns::Host && self.host_links.iter().any(|p| p.matches(name)))
            || (!self.claimed_links.is_empty()
                && self.claimed_links.contains(&LinkKey::new(ns.clone(), name)))
    }

    /// **The ownership rule.** Whether `object` of `observed` is ours and may therefore be
    /// changed or deleted even though the desired state does not mention it. The diff asks
    /// this, and only this, before deleting anything not desired. Routes are ours
    /// when their namespace or output link is; XFRM states when their request id is our mark.
    /// An object absent from `observed` is ours only if its identity alone says so.
    pub fn owns(&self, object: &ObjectId, observed: &KernelState) -> bool {
        match object {
            ObjectId::Netns(ns) => self.owns_netns(ns),
            ObjectId::Link(k) => self.owns_link(&k.netns, &k.name),
            ObjectId::Addr(a) => self.owns_link(&a.netns, &a.link),
            ObjectId::Route(k) => {
                self.owns_netns(&k.netns)
                    || observed
                        .routes
                        .get(k)
                        .is_some_and(|r| self.owns_link(&k.netns, &r.dev))
            }
            ObjectId::Neigh(k) => self.owns_link(&k.netns, &k.link),
            ObjectId::Fdb(e) => self.owns_link(&e.netns, &e.link),
            ObjectId::XfrmState(k) => observed
                .xfrm_states
                .get(k)
                .is_some_and(|s| s.reqid == self.xfrm_mark),
            ObjectId::XfrmPolicy(k) => k.mark.is_some_and(|m| m.value == self.xfrm_mark),
            ObjectId::NftTable(k) => k.name == self.nft_table || self.owns_netns(&k.netns),
        }
    }
}

impl Default for Scope {
    fn default() -> Scope {
        Scope::docker()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_name_patterns() {
        let sandbox = NamePattern::DockerSandbox;
        assert!(sandbox.matches("1-k3jd8s0a2b"));
        assert!(sandbox.matches("123-abc"));
        assert!(!sandbox.matches("1-K3JD8S0A2B"), "Docker ids are lowercase");
        assert!(!sandbox.matches("-k3jd8s0a2b"));
        assert!(!sandbox.matches("x-k3jd8s0a2b"));
        assert!(!sandbox.matches("1-"));
        assert!(!sandbox.matches("1-k3jd8s0a2b9"), "13 characters");
        let vx = NamePattern::DockerVxlan;
        assert!(vx.matches("vx-001001-k3jd8"));
        assert!(vx.matches("vx-00100A-k3j"));
        assert!(!vx.matches("vx-001001-k3jd8x"), "nid part longer than 5");
        assert!(!vx.matches("vx-0010g1-k3jd8"));
        assert!(!vx.matches("vx-001001-"));
        assert!(!vx.matches("vxlan0"));
        assert!(NamePattern::Prefix("ov".into()).matches("ov-001001-k3jd8"));
        assert!(!NamePattern::Exact("ingress_sbox".into()).matches("ingress_sbox2"));
    }
}
