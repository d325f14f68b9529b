//! The encryption seam: the engine carries the IPsec keyring and asks the `ipsec` module for
//! the per-remote-VTEP SA/SP objects (moby's `setupEncryption` steady state: one receive SA
//! per key, one transmit SA for the primary, one outbound policy). [`xfrm_objects`] is the one
//! place where `ipsec`'s objects become the kernel vocabulary.
//!
//! Key rotation needs no ordering code here: the desired state holds the steady state of the
//! new ring, and the plan's make-before-break order (receive SAs, transmit SA, policy update,
//! then deletes of retired SAs) performs moby's 3-step rotation, deleting the pruned receive
//! SA last instead of first.

use std::net::IpAddr;

use crate::ipsec::{self, Endpoints, Keyring, Profile, RemoteSas};
use crate::kernel::{
    AeadKey, KernelState, ObjectId, XfrmDir, XfrmMark, XfrmPolicy, XfrmPolicyKey, XfrmProto,
    XfrmSelector, XfrmState, XfrmStateKey, XfrmTemplate,
};
use crate::model::Encryption;

/// The `ipsec` profile of a network's encryption, or `None` for a cleartext network.
pub fn profile_of(encryption: Encryption) -> Option<Profile> {
    match encryption {
        Encryption::Off => None,
        Encryption::DockerCompatible => Some(Profile::DockerCompatible),
        Encryption::Hardened => Some(Profile::Hardened),
    }
}

/// The kernel objects for one remote VTEP: its SAs by key, and its outbound policy.
pub struct RemoteXfrm {
    /// Receive SAs (one per key) and the transmit SA.
    pub states: Vec<(XfrmStateKey, XfrmState)>,
    /// The outbound policy for marked VXLAN traffic to the remote.
    pub policy: (XfrmPolicyKey, XfrmPolicy),
}

impl RemoteXfrm {
    /// The identities of every object, for incremental plans.
    pub fn object_ids(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.states
            .iter()
            .map(|(k, _)| ObjectId::XfrmState(k.clone()))
            .chain(std::iter::once(ObjectId::XfrmPolicy(self.policy.0.clone())))
    }

    /// Adds every object to `state`.
    pub fn insert_into(self, state: &mut KernelState) {
        state.xfrm_states.extend(self.states);
        state
            .xfrm_policies
            .insert(self.policy.0.clone(), self.policy.1);
    }

    /// Removes every object from `state`.
    pub fn remove_from(&self, state: &mut KernelState) {
        for (k, _) in &self.states {
            state.xfrm_states.remove(k);
        }
        state.xfrm_policies.remove(&self.policy.0);
    }
}

/// The steady-state SA/SP objects for `remote` with `ring`, in the kernel vocabulary.
pub fn xfrm_objects(
    profile: Profile,
    endpoints: &Endpoints,
    remote: IpAddr,
    ring: &Keyring,
) -> RemoteXfrm {
    let sas = RemoteSas::steady(profile, endpoints, remote, ring);
    let state = |s: &ipsec::XfrmState| {
        let key = XfrmStateKey {
            src: s.id.src,
            dst: s.id.dst,
            spi: s.id.spi,
            proto: XfrmProto::Esp,
        };
        let value = XfrmState {
            reqid: s.reqid,
            aead_name: ipsec::AEAD_NAME.into(),
            aead_key: AeadKey::new(s.key.expose_kernel_key().to_vec()),
            icv_bits: s.icv_bits,
            replay_window: s.replay_window,
            esn: s.esn,
        };
        (key, value)
    };
    let mut states: Vec<_> = sas.receive.iter().map(state).collect();
    states.push(state(&sas.transmit));
    let p = &sas.policy;
    let policy_key = XfrmPolicyKey {
        selector: XfrmSelector {
            src: p.id.src,
            dst: p.id.dst,
            proto: Some(p.id.proto),
            dport: Some(p.id.dport),
        },
        dir: XfrmDir::Out,
        mark: Some(XfrmMark {
            value: p.id.mark.value,
            mask: p.id.mark.mask,
        }),
    };
    let policy = XfrmPolicy {
        templates: vec![XfrmTemplate {
            src: p.tmpl.src,
            dst: p.tmpl.dst,
            proto: XfrmProto::Esp,
            spi: p.tmpl.spi,
            reqid: p.reqid,
        }],
    };
    RemoteXfrm {
        states,
        policy: (policy_key, policy),
    }
}
