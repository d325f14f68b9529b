//! Per-remote-VTEP SA/SP sets and the ordered changes of moby's 3-step key rotation
//! (`setupEncryption`, `removeEncryption`, `updateNodeKey` in drivers/overlay/encryption.go).
//!
//! Steady state per remote with three keys: a receive SA (rSA) per key, one forward SA (fSA) for
//! the primary, and one outbound policy pointing at it. A rotation is
//! `−rSA(prune), +rSA(new), +fSA(primary), policy → new primary, −fSA(old primary)`: the new
//! primary has been installed for receiving on every peer one period earlier (swarm distributes
//! the newest key receive-only first), so no peer ever transmits with a key its remote lacks.
//! This module computes plain data; it never touches the kernel.

use std::net::IpAddr;

use super::{
    IpsecError, KeyTransition, KeyUpdate, Keyring, Profile, SaDirection, SpiPair, TaggedKey,
    XfrmChange, XfrmPolicy, XfrmState,
};

/// This node's addresses as moby's driver uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoints {
    /// Local outer address of the SAs (moby's `bindAddress`).
    pub bind: IpAddr,
    /// Address the SPIs and hardened keys are derived from (moby's `advertiseAddress`).
    pub advertise: IpAddr,
    /// VXLAN data-path UDP port the outbound policy selects (default 4789).
    pub data_port: u16,
}

/// The SA for `key` in direction `dir` between this node and `remote`.
pub fn sa_for(
    profile: Profile,
    ep: &Endpoints,
    remote: IpAddr,
    key: &TaggedKey,
    dir: SaDirection,
) -> XfrmState {
    let tag = key.spi_tag();
    let spis = SpiPair::new(ep.advertise, remote, tag);
    match dir {
        SaDirection::Forward => {
            let params = profile.sa_params(&key.key, tag, ep.advertise, remote, spis.forward);
            XfrmState::new(ep.bind, remote, dir, &params)
        }
        SaDirection::Reverse => {
            let params = profile.sa_params(&key.key, tag, remote, ep.advertise, spis.reverse);
            XfrmState::new(remote, ep.bind, dir, &params)
        }
    }
}

/// The desired XFRM objects for one remote VTEP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSas {
    /// One receive SA per key, in ring order.
    pub receive: Vec<XfrmState>,
    /// The forward SA of the primary key.
    pub transmit: XfrmState,
    /// The outbound policy using `transmit`.
    pub policy: XfrmPolicy,
}

impl RemoteSas {
    /// The steady state for `remote` with `ring`.
    pub fn steady(profile: Profile, ep: &Endpoints, remote: IpAddr, ring: &Keyring) -> RemoteSas {
        let receive = ring
            .keys()
            .iter()
            .map(|k| sa_for(profile, ep, remote, k, SaDirection::Reverse))
            .collect();
        let transmit = sa_for(profile, ep, remote, ring.primary(), SaDirection::Forward);
        let policy = XfrmPolicy::for_forward_sa(&transmit.id, ep.data_port);
        RemoteSas {
            receive,
            transmit,
            policy,
        }
    }

    /// moby's `setupEncryption` order: `+rSA0 +fSA0 +SP`, then `+rSA` of every other key.
    pub fn setup_changes(&self) -> Vec<XfrmChange> {
        let mut out = Vec::with_capacity(self.receive.len() + 2);
        let mut rx = self.receive.iter();
        if let Some(first) = rx.next() {
            out.push(XfrmChange::AddState(first.clone()));
        }
        out.push(XfrmChange::AddState(self.transmit.clone()));
        out.push(XfrmChange::UpdatePolicy(self.policy));
        out.extend(rx.map(|s| XfrmChange::AddState(s.clone())));
        out
    }

    /// moby's `removeEncryption` order: `−rSA0 −fSA0 −SP`, then `−rSA` of the others. SAs go
    /// before the policy, so marked traffic is dropped, never sent in clear, meanwhile.
    pub fn teardown_changes(&self) -> Vec<XfrmChange> {
        let mut out = Vec::with_capacity(self.receive.len() + 2);
        let mut rx = self.receive.iter();
        if let Some(first) = rx.next() {
            out.push(XfrmChange::DeleteState(first.id));
        }
        out.push(XfrmChange::DeleteState(self.transmit.id));
        out.push(XfrmChange::DeletePolicy(self.policy.id));
        out.extend(rx.map(|s| XfrmChange::DeleteState(s.id)));
        out
    }
}

/// Apply `update` to `ring` under `profile`'s rules. The hardened profile refuses an update
/// whose primary is the key being added (peers may not have it yet — the race of cilium#44335);
/// Docker accepts it.
pub fn plan_rotation(
    profile: Profile,
    ring: &Keyring,
    update: &KeyUpdate,
) -> Result<KeyTransition, IpsecError> {
    let t = ring.apply(update)?;
    if !profile.allows_transmit_before_receive()
        && t.indices.new.is_some()
        && t.indices.new == t.indices.primary
    {
        return Err(IpsecError::TransmitBeforeReceive {
            tag: update.primary_tag,
        });
    }
    Ok(t)
}

/// One rotation for one remote, split at the point where a careful caller waits.
///
/// Docker applies both halves back to back on every node independently, relying on swarm
/// having distributed the new primary receive-only one period earlier. The hardened protocol
/// applies `receive` on every node, waits until each peer has acknowledged it (e.g. through the
/// control plane), and only then applies `transmit` — so a key never transmits before every
/// receiver holds it, even if a node was late with the previous update (cilium#44335).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationPhases {
    /// `−rSA(prune)`, `+rSA(new)`: changes only what this node accepts.
    pub receive: Vec<XfrmChange>,
    /// `+fSA(primary)`, policy → primary, `−fSA(old primary)`: switches what this node sends.
    pub transmit: Vec<XfrmChange>,
}

impl RotationPhases {
    /// Both phases in Docker's order (`updateNodeKey`).
    pub fn into_ordered(self) -> Vec<XfrmChange> {
        let mut out = self.receive;
        out.extend(self.transmit);
        out
    }
}

/// The two phases of moby's `updateNodeKey` for one remote.
pub fn rotation_phases(
    profile: Profile,
    ep: &Endpoints,
    remote: IpAddr,
    t: &KeyTransition,
) -> RotationPhases {
    let keys = &t.during;
    let mut receive = Vec::with_capacity(2);
    if let Some(del) = t.indices.prune {
        receive.push(XfrmChange::DeleteState(
            sa_for(profile, ep, remote, &keys[del], SaDirection::Reverse).id,
        ));
    }
    if let Some(new) = t.indices.new {
        receive.push(XfrmChange::AddState(sa_for(
            profile,
            ep,
            remote,
            &keys[new],
            SaDirection::Reverse,
        )));
    }
    let mut transmit = Vec::with_capacity(3);
    if let Some(pri) = t.indices.primary.filter(|&p| p > 0) {
        let fsa = sa_for(profile, ep, remote, &keys[pri], SaDirection::Forward);
        let policy = XfrmPolicy::for_forward_sa(&fsa.id, ep.data_port);
        transmit.push(XfrmChange::AddState(fsa));
        transmit.push(XfrmChange::UpdatePolicy(policy));
        transmit.push(XfrmChange::DeleteState(
            sa_for(profile, ep, remote, &keys[0], SaDirection::Forward).id,
        ));
    }
    RotationPhases { receive, transmit }
}

/// moby's `updateNodeKey` for one remote: the ordered 3-step rotation
/// `−rSA(prune), +rSA(new), +fSA(primary), policy → primary, −fSA(old)`.
pub fn rotation_changes(
    profile: Profile,
    ep: &Endpoints,
    remote: IpAddr,
    t: &KeyTransition,
) -> Vec<XfrmChange> {
    rotation_phases(profile, ep, remote, t).into_ordered()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipsec::{Key, SUBSYSTEM_IPSEC, SwarmKey};

    fn swarm(tags: &[u64]) -> Vec<SwarmKey> {
        tags.iter()
            .map(|&t| SwarmKey {
                subsystem: SUBSYSTEM_IPSEC.into(),
                key: Key::new(&[t as u8; 16]).unwrap(),
                lamport_time: t,
            })
            .collect()
    }

    fn ep() -> Endpoints {
        Endpoints {
            bind: "192.168.1.10".parse().unwrap(),
            advertise: "192.168.1.10".parse().unwrap(),
            data_port: 4789,
        }
    }

    #[test]
    fn steady_state_is_three_rsa_one_fsa_one_sp() {
        let ring = Keyring::from_swarm_keys(&swarm(&[1, 2, 3]), SUBSYSTEM_IPSEC).unwrap();
        let remote: IpAddr = "192.168.1.20".parse().unwrap();
        let sas = RemoteSas::steady(Profile::DockerCompatible, &ep(), remote, &ring);
        assert_eq!(sas.receive.len(), 3);
        let setup = sas.setup_changes();
        assert_eq!(setup.len(), 5);
        // Primary is tag 2: rSA 0xbd.. for tag 1 must equal the reference vector only for tag 1.
        let tag1 = ring.keys().iter().find(|k| k.tag == 1).unwrap();
        let rsa1 = sa_for(
            Profile::DockerCompatible,
            &ep(),
            remote,
            tag1,
            SaDirection::Reverse,
        );
        assert_eq!(rsa1.id.spi, 0xbd9342d8);
        assert_eq!(rsa1.id.src, remote);
        let fsa1 = sa_for(
            Profile::DockerCompatible,
            &ep(),
            remote,
            tag1,
            SaDirection::Forward,
        );
        assert_eq!(fsa1.id.spi, 0xbf836db8);
        assert_eq!(sas.teardown_changes().len(), 5);
    }

    #[test]
    fn worked_example_rotation_order() {
        let (a, b, c, d) = (1u64, 2, 3, 4);
        let remote: IpAddr = "192.168.1.20".parse().unwrap();
        let p = Profile::DockerCompatible;
        let ring = Keyring::from_swarm_keys(&swarm(&[a, b, c]), SUBSYSTEM_IPSEC).unwrap();
        let update = ring.update_to(&swarm(&[b, c, d]), SUBSYSTEM_IPSEC).unwrap();
        let t = plan_rotation(p, &ring, &update).unwrap();
        let changes = rotation_changes(p, &ep(), remote, &t);
        let spi = |tag: u64, dir| {
            let k = TaggedKey {
                key: Key::new(&[tag as u8; 16]).unwrap(),
                tag,
            };
            sa_for(p, &ep(), remote, &k, dir)
        };
        use SaDirection::*;
        assert_eq!(
            changes,
            vec![
                XfrmChange::DeleteState(spi(a, Reverse).id),
                XfrmChange::AddState(spi(d, Reverse)),
                XfrmChange::AddState(spi(c, Forward)),
                XfrmChange::UpdatePolicy(XfrmPolicy::for_forward_sa(&spi(c, Forward).id, 4789)),
                XfrmChange::DeleteState(spi(b, Forward).id),
            ]
        );
        let phases = rotation_phases(p, &ep(), remote, &t);
        assert_eq!(phases.receive.len(), 2);
        assert!(phases.receive.iter().all(|c| match c {
            XfrmChange::AddState(s) => s.direction == Reverse,
            XfrmChange::DeleteState(id) => id.dst == ep().bind,
            _ => false,
        }));
        assert_eq!(phases.into_ordered(), changes);
        // The result equals the steady state of the new ring.
        let after = RemoteSas::steady(p, &ep(), remote, &t.after);
        assert_eq!(after.transmit, spi(c, Forward));
    }

    #[test]
    fn hardened_refuses_transmit_before_receive() {
        let ring = Keyring::from_swarm_keys(&swarm(&[1, 2, 3]), SUBSYSTEM_IPSEC).unwrap();
        let update = KeyUpdate {
            new: Some(TaggedKey {
                key: Key::new(&[9; 16]).unwrap(),
                tag: 9,
            }),
            primary_tag: 9,
            prune_tag: Some(1),
        };
        assert_eq!(
            plan_rotation(Profile::Hardened, &ring, &update),
            Err(IpsecError::TransmitBeforeReceive { tag: 9 })
        );
        assert!(plan_rotation(Profile::DockerCompatible, &ring, &update).is_ok());
    }
}
