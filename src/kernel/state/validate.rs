//! `KernelState::validate`: whether a desired state is one Linux will accept in full, so
//! that reconciling towards it can converge. Checks only; never changes the state.

use std::collections::HashSet;

use super::{FdbTable, KernelState, LinkKey, LinkKind, Netns, ObjectId, vxlan_staging_name};
use crate::kernel::error::KernelError;

/// Linux's `IFNAMSIZ - 1`.
pub(crate) const MAX_LINK_NAME: usize = 15;

/// Whether Linux accepts `name` as an interface name (`dev_valid_name`, plus `:` which
/// `ip` reserves for aliases).
pub(crate) fn valid_link_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LINK_NAME
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
}

/// Whether `name` can name a namespace (a file under the netns directory).
pub(crate) fn valid_netns_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// The MTUs Linux accepts for the links we create.
pub(crate) const MTU_RANGE: std::ops::RangeInclusive<u32> = 68..=65535;

/// Key lengths (bytes) and ICV lengths (bits) Linux accepts for `rfc4106(gcm(aes))`.
pub(crate) const RFC4106_KEY_BYTES: [usize; 3] = [20, 28, 36];
/// ICV lengths (bits) Linux accepts for `rfc4106(gcm(aes))`.
pub(crate) const RFC4106_ICV_BITS: [u32; 3] = [64, 96, 128];

fn invalid(object: ObjectId, reason: String) -> Result<(), KernelError> {
    Err(KernelError::Invalid { object, reason })
}

impl KernelState {
    /// Checks that a desired state is one Linux will accept in full: valid names, MTUs and
    /// MACs; veth ends that name each other; masters that are bridges in the same namespace;
    /// VXLAN VNIs of 24 bits, unique per UDP port (all our devices are created in the host
    /// namespace, so their staging names must not be wanted host links either); every
    /// address, route, neighbour and FDB entry on a link of this state; routes on links that
    /// are up, with a gateway of the destination's family; master-FDB entries on bridge
    /// ports and `dst` only on VXLAN devices; XFRM states unique by (dst, SPI, protocol)
    /// with one address family and valid `rfc4106(gcm(aes))` parameters; policies with one
    /// address family; and every named namespace an object lives in listed.
    ///
    /// The error names the first offending object and says what is wrong.
    pub fn validate(&self) -> Result<(), KernelError> {
        self.validate_links()?;
        self.validate_attached()?;
        self.validate_xfrm()?;
        for n in &self.namespaces {
            if !valid_netns_name(n) {
                return invalid(
                    ObjectId::Netns(Netns::named(n.clone())),
                    "not a valid namespace name".into(),
                );
            }
        }
        for k in self.nft_tables.keys() {
            if !self.has_netns(&k.netns) {
                return invalid(
                    ObjectId::NftTable(k.clone()),
                    format!("namespace {} is not in the state", k.netns),
                );
            }
            if k.name.is_empty() {
                return invalid(ObjectId::NftTable(k.clone()), "empty table name".into());
            }
        }
        Ok(())
    }

    fn validate_links(&self) -> Result<(), KernelError> {
        let mut vnis = HashSet::new();
        for (key, link) in &self.links {
            let object = || ObjectId::Link(key.clone());
            if !self.has_netns(&key.netns) {
                return invalid(
                    object(),
                    format!("namespace {} is not in the state", key.netns),
                );
            }
            if !valid_link_name(&key.name) {
                return invalid(
                    object(),
                    format!("{:?} is not a valid interface name", key.name),
                );
            }
            if let Some(mtu) = link.mtu.filter(|m| !MTU_RANGE.contains(m)) {
                return invalid(object(), format!("MTU {mtu} is outside 68..=65535"));
            }
            if let Some(mac) = link
                .mac
                .filter(|m| !m.is_unicast() || *m == Default::default())
            {
                return invalid(object(), format!("{mac} is not a unicast address"));
            }
            match &link.kind {
                LinkKind::Veth { peer } => {
                    let back = self.links.get(peer).map(|p| &p.kind);
                    if peer == key || back != Some(&LinkKind::Veth { peer: key.clone() }) {
                        return invalid(
                            object(),
                            format!(
                                "veth peer {peer} must be in the state and name this link as its peer"
                            ),
                        );
                    }
                }
                LinkKind::Vxlan(v) => {
                    if v.vni > 0x00FF_FFFF {
                        return invalid(object(), format!("VNI {} does not fit in 24 bits", v.vni));
                    }
                    if !vnis.insert((v.vni, v.port)) {
                        return invalid(
                            object(),
                            format!("another VXLAN device has VNI {} on port {}", v.vni, v.port),
                        );
                    }
                    if let Netns::Named(ns) = &key.netns {
                        let staging = vxlan_staging_name(v.vni, ns);
                        if self
                            .links
                            .contains_key(&LinkKey::new(Netns::Host, staging.clone()))
                        {
                            return invalid(
                                object(),
                                format!(
                                    "it is created as {staging} in the host namespace, where a link of that name is wanted"
                                ),
                            );
                        }
                    }
                }
                LinkKind::Bridge | LinkKind::Dummy => {}
            }
            if let Some(master) = &link.master {
                let mkey = LinkKey::new(key.netns.clone(), master.clone());
                if link.kind == LinkKind::Bridge
                    || self.links.get(&mkey).map(|m| &m.kind) != Some(&LinkKind::Bridge)
                {
                    return invalid(
                        object(),
                        format!("master {master} must be a bridge in the same namespace"),
                    );
                }
            }
        }
        Ok(())
    }

    fn validate_attached(&self) -> Result<(), KernelError> {
        let on_link = |netns: &Netns, link: &str| {
            self.links
                .get(&LinkKey::new(netns.clone(), link.to_owned()))
        };
        let missing = |object: ObjectId, link: &str| {
            invalid(object, format!("link {link} is not in the state"))
        };
        for a in &self.addrs {
            if on_link(&a.netns, &a.link).is_none() {
                return missing(ObjectId::Addr(a.clone()), &a.link);
            }
        }
        for (k, r) in &self.routes {
            let object = || ObjectId::Route(k.clone());
            match on_link(&k.netns, &r.dev) {
                None => return missing(object(), &r.dev),
                Some(l) if !l.up => {
                    return invalid(
                        object(),
                        format!("link {} must be up to carry a route", r.dev),
                    );
                }
                Some(_) => {}
            }
            if r.via
                .is_some_and(|via| via.is_ipv4() != k.dst.addr().is_ipv4())
            {
                return invalid(object(), "gateway and destination families differ".into());
            }
        }
        for k in self.neighs.keys() {
            if on_link(&k.netns, &k.link).is_none() {
                return missing(ObjectId::Neigh(k.clone()), &k.link);
            }
        }
        for e in &self.fdb {
            let object = || ObjectId::Fdb(e.clone());
            match on_link(&e.netns, &e.link) {
                None => return missing(object(), &e.link),
                Some(l) if e.table == FdbTable::Master && l.master.is_none() => {
                    return invalid(object(), format!("link {} is not a bridge port", e.link));
                }
                Some(l)
                    if e.table == FdbTable::SelfDev
                        && e.dst.is_some()
                        && !matches!(l.kind, LinkKind::Vxlan(_)) =>
                {
                    return invalid(object(), "only VXLAN devices take a dst".into());
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn validate_xfrm(&self) -> Result<(), KernelError> {
        // Linux finds a state by (dst, SPI, protocol), so two states may not share them.
        let mut ids = HashSet::new();
        for (k, s) in &self.xfrm_states {
            let object = || ObjectId::XfrmState(k.clone());
            if !ids.insert((k.dst, k.spi, k.proto)) {
                return invalid(
                    object(),
                    format!(
                        "another state has destination {} and SPI 0x{:08x}",
                        k.dst, k.spi
                    ),
                );
            }
            if k.src.is_ipv4() != k.dst.is_ipv4() {
                return invalid(object(), "source and destination families differ".into());
            }
            if s.aead_name == "rfc4106(gcm(aes))" {
                let len = s.aead_key.bytes().len();
                if !RFC4106_KEY_BYTES.contains(&len) {
                    return invalid(
                        object(),
                        format!("rfc4106(gcm(aes)) takes a 20, 28 or 36 byte key, not {len}"),
                    );
                }
                if !RFC4106_ICV_BITS.contains(&s.icv_bits) {
                    return invalid(
                        object(),
                        format!("ICV length {} bits is not 64, 96 or 128", s.icv_bits),
                    );
                }
            }
        }
        for k in self.xfrm_policies.keys() {
            if k.selector.src.addr().is_ipv4() != k.selector.dst.addr().is_ipv4() {
                return invalid(
                    ObjectId::XfrmPolicy(k.clone()),
                    "selector families differ".into(),
                );
            }
        }
        Ok(())
    }
}
