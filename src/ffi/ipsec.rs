//! IPsec keys and rotation plans over the C ABI: `overlaynet_keyring` (moby's agent and driver
//! key handling), `overlaynet_key_update` and `overlaynet_key_transition` (`handleKeyChange` /
//! `updateKeys`), SPI derivation (`buildSPI`) and `overlaynet_xfrm_changes`, the per-remote
//! steady-state and rotation changes as data and as redacted `ip xfrm` text.
//!
//! Key bytes are copied into the crate's zeroizing [`Key`] on the way in and wiped when their
//! handle is freed; the only function that hands key bytes back is
//! `overlaynet_keyring_expose_key_at`. No domain logic lives here.

use std::net::IpAddr;

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_ref, in_array, in_bytes, in_str, into_handle,
    out_array, out_buf, out_param,
};
use super::convert::{overlaynet_family, parse_ip};
use super::result::overlaynet_result;
use crate::ipsec::rotation::{self, Endpoints, RemoteSas};
use crate::ipsec::{
    Key, KeyTransition, KeyUpdate, Keyring, Profile, SaDirection, SwarmKey, TaggedKey, XfrmChange,
    build_spi,
};

/// An opaque IPsec (or gossip) keyring: an ordered list of tagged keys, the first transmits.
/// Its key bytes are wiped when it is freed.
#[allow(non_camel_case_types)]
pub struct overlaynet_keyring {
    pub(crate) ring: Keyring,
}

/// An opaque key update (moby's `DriverEncryptionUpdate`): at most one new key, the tag of the
/// new primary, at most one tag to prune. Its key bytes are wiped when it is freed.
#[allow(non_camel_case_types)]
pub struct overlaynet_key_update {
    pub(crate) update: KeyUpdate,
}

/// An opaque applied key update: the ring during the change, the positions involved and the
/// ring afterwards. Its key bytes are wiped when it is freed.
#[allow(non_camel_case_types)]
pub struct overlaynet_key_transition {
    transition: KeyTransition,
}

/// An opaque, ordered list of XFRM changes (SAs and the outbound policy) for one remote.
#[allow(non_camel_case_types)]
pub struct overlaynet_xfrm_changes {
    changes: Vec<XfrmChange>,
}

/// One key as swarm delivers it (`EncryptionKey`), an input element of
/// `overlaynet_keyring_from_swarm_keys` and `overlaynet_keyring_update_to`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct overlaynet_swarm_key {
    /// Subsystem name, UTF-8: "networking:ipsec" or "networking:gossip".
    pub subsystem: *const u8,
    /// Length of `subsystem` in bytes.
    pub subsystem_len: usize,
    /// Key bytes (16 or 32); copied, never kept.
    pub key: *const u8,
    /// Length of `key` in bytes.
    pub key_len: usize,
    /// The manager's Lamport time of the key (its tag).
    pub lamport_time: u64,
}

/// What a key update says, without its key bytes.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_key_update_summary {
    /// Whether the update adds a key.
    pub has_new: bool,
    /// Tag of the added key (0 when `has_new` is false).
    pub new_tag: u64,
    /// Tag of the key that transmits afterwards.
    pub primary_tag: u64,
    /// Whether the update prunes a key.
    pub has_prune: bool,
    /// Tag of the pruned key (0 when `has_prune` is false).
    pub prune_tag: u64,
}

/// Positions in the ring during a change (moby's `newIdx`, `priIdx`, `delIdx`); -1 is none.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_key_indices {
    /// Index of the new key, or -1.
    pub new_index: i64,
    /// Index of the new primary, or -1.
    pub primary_index: i64,
    /// Index of the pruned key, or -1.
    pub prune_index: i64,
}

/// This node's addresses for SA planning (moby's `bindAddress`, `advertiseAddress` and the
/// VXLAN data-path port).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct overlaynet_ipsec_endpoints {
    /// Local outer address of the SAs, UTF-8 text ("192.168.1.10" or IPv6).
    pub bind: *const u8,
    /// Length of `bind` in bytes.
    pub bind_len: usize,
    /// Address SPIs and hardened keys derive from, UTF-8 text.
    pub advertise: *const u8,
    /// Length of `advertise` in bytes.
    pub advertise_len: usize,
    /// VXLAN data-path UDP port the outbound policy selects (Docker: 4789).
    pub data_port: u16,
}

/// The kind of an XFRM change.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_xfrm_change_kind {
    /// Install an SA (`ip xfrm state add`).
    AddState = 1,
    /// Remove an SA (`ip xfrm state delete`).
    DeleteState = 2,
    /// Install or replace the outbound policy (`ip xfrm policy update`).
    UpdatePolicy = 3,
    /// Remove the outbound policy (`ip xfrm policy delete`).
    DeletePolicy = 4,
}

/// Which way an SA carries traffic, from this node's point of view.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_sa_direction {
    /// Not an SA (policy changes).
    None = 0,
    /// Local to remote (moby's fSA).
    Forward = 1,
    /// Remote to local (moby's rSA).
    Reverse = 2,
}

/// An IP address: `family` is 4 or 6 (`overlaynet_family`); IPv4 uses `octets[0..4]`, the
/// rest is zero.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_xfrm_addr {
    /// The address family.
    pub family: overlaynet_family,
    /// The address in network byte order.
    pub octets: [u8; 16],
}

impl From<IpAddr> for overlaynet_xfrm_addr {
    fn from(addr: IpAddr) -> Self {
        let mut octets = [0u8; 16];
        let family = match addr {
            IpAddr::V4(v4) => {
                octets[..4].copy_from_slice(&v4.octets());
                overlaynet_family::Ipv4
            }
            IpAddr::V6(v6) => {
                octets = v6.octets();
                overlaynet_family::Ipv6
            }
        };
        overlaynet_xfrm_addr { family, octets }
    }
}

/// One XFRM change as data, never with key bytes. For SA changes `src`/`dst`/`spi` identify
/// the SA; for policy changes they are the selector's host addresses and the template's SPI
/// (0 for `DELETE_POLICY`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_xfrm_change {
    /// What the change does.
    pub kind: overlaynet_xfrm_change_kind,
    /// SA direction for `ADD_STATE`; `NONE` otherwise.
    pub direction: overlaynet_sa_direction,
    /// Outer (or selector) source address.
    pub src: overlaynet_xfrm_addr,
    /// Outer (or selector) destination address.
    pub dst: overlaynet_xfrm_addr,
    /// The SA's SPI, or the policy template's SPI.
    pub spi: u32,
    /// reqid (Docker: 0xD0C4E3); 0 for deletions.
    pub reqid: u32,
    /// AES key length in bytes (16 or 32) for `ADD_STATE`, else 0. The key itself is absent.
    pub key_len: u32,
    /// ICV length in bits (64 or 128) for `ADD_STATE`, else 0.
    pub icv_bits: u32,
    /// Replay window in packets for `ADD_STATE` (0 = none, as Docker).
    pub replay_window: u32,
    /// Extended sequence numbers (`flag esn`) for `ADD_STATE`.
    pub esn: bool,
    /// Policy destination port (the VXLAN port); 0 for SA changes.
    pub dport: u16,
    /// Policy mark value; 0 for SA changes.
    pub mark: u32,
    /// Policy mark mask; 0 for SA changes.
    pub mark_mask: u32,
}

fn sa_direction(direction: SaDirection) -> overlaynet_sa_direction {
    match direction {
        SaDirection::Forward => overlaynet_sa_direction::Forward,
        SaDirection::Reverse => overlaynet_sa_direction::Reverse,
    }
}

impl From<&XfrmChange> for overlaynet_xfrm_change {
    fn from(change: &XfrmChange) -> Self {
        let empty = |kind, src: IpAddr, dst: IpAddr, spi| overlaynet_xfrm_change {
            kind,
            direction: overlaynet_sa_direction::None,
            src: src.into(),
            dst: dst.into(),
            spi,
            reqid: 0,
            key_len: 0,
            icv_bits: 0,
            replay_window: 0,
            esn: false,
            dport: 0,
            mark: 0,
            mark_mask: 0,
        };
        use overlaynet_xfrm_change_kind as K;
        match change {
            XfrmChange::AddState(state) => overlaynet_xfrm_change {
                direction: sa_direction(state.direction),
                reqid: state.reqid,
                key_len: state.key.key().len() as u32,
                icv_bits: state.icv_bits,
                replay_window: state.replay_window,
                esn: state.esn,
                ..empty(K::AddState, state.id.src, state.id.dst, state.id.spi)
            },
            XfrmChange::DeleteState(id) => empty(K::DeleteState, id.src, id.dst, id.spi),
            XfrmChange::UpdatePolicy(policy) => overlaynet_xfrm_change {
                reqid: policy.reqid,
                dport: policy.id.dport,
                mark: policy.id.mark.value,
                mark_mask: policy.id.mark.mask,
                ..empty(
                    K::UpdatePolicy,
                    policy.id.src.addr(),
                    policy.id.dst.addr(),
                    policy.tmpl.spi,
                )
            },
            XfrmChange::DeletePolicy(id) => overlaynet_xfrm_change {
                dport: id.dport,
                mark: id.mark.value,
                mark_mask: id.mark.mask,
                ..empty(K::DeletePolicy, id.src.addr(), id.dst.addr(), 0)
            },
        }
    }
}

/// Decodes a `uint32_t` IPsec profile argument given as `overlaynet_encryption`:
/// `DOCKER_COMPATIBLE` or `HARDENED` (`OFF` has no SAs).
pub(crate) fn profile(value: u32) -> Result<Profile, Failure> {
    match value {
        1 => Ok(Profile::DockerCompatible),
        2 => Ok(Profile::Hardened),
        0 => Err(Failure::new(
            overlaynet_result::InvalidInput,
            "profile: encryption off (0) has no IPsec profile",
        )),
        _ => Err(Failure::with(
            overlaynet_result::InvalidEnum,
            format_args!("profile: {value} is not a defined value"),
        )),
    }
}

/// Copies a C array of swarm keys into owned, zeroizing keys.
///
/// # Safety
/// `keys` must be NULL or valid for `count` elements whose pointers satisfy the module
/// contract for `(ptr, len)` inputs.
unsafe fn swarm_keys(
    keys: *const overlaynet_swarm_key,
    count: usize,
) -> Result<Vec<SwarmKey>, Failure> {
    // SAFETY: forwarded contract.
    let raw = unsafe { in_array(keys, count, "keys") }?;
    raw.iter()
        .map(|k| {
            // SAFETY: forwarded contract for each element's (ptr, len) pairs.
            let (subsystem, bytes) = unsafe {
                (
                    in_str(k.subsystem, k.subsystem_len, "keys[].subsystem")?,
                    in_bytes(k.key, k.key_len, "keys[].key")?,
                )
            };
            Ok(SwarmKey {
                subsystem: subsystem.to_owned(),
                key: Key::new(bytes)?,
                lamport_time: k.lamport_time,
            })
        })
        .collect()
}

/// Reads the endpoints struct.
///
/// # Safety
/// `endpoints` must be NULL or point to a valid struct whose strings follow the contract.
pub(crate) unsafe fn endpoints(
    endpoints: *const overlaynet_ipsec_endpoints,
) -> Result<Endpoints, Failure> {
    // SAFETY: forwarded contract.
    let e = unsafe { handle_ref(endpoints, "endpoints") }?;
    // SAFETY: forwarded contract for the struct's (ptr, len) pairs.
    let (bind, advertise) = unsafe {
        (
            in_str(e.bind, e.bind_len, "endpoints.bind")?,
            in_str(e.advertise, e.advertise_len, "endpoints.advertise")?,
        )
    };
    Ok(Endpoints {
        bind: parse_ip(bind, "bind address")?,
        advertise: parse_ip(advertise, "advertise address")?,
        data_port: e.data_port,
    })
}

/// Builds a keyring from a full swarm key set (moby's agent `SetKeys` + `getKeys`): only the
/// keys of `subsystem` are used, sorted by Lamport time with the first two swapped, so the
/// second-oldest key transmits. Docker's texts for an unknown subsystem or a wrong key count.
/// The key bytes are copied; the caller may wipe its copies after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_keyring_from_swarm_keys(
    keys: *const overlaynet_swarm_key,
    count: usize,
    subsystem: *const u8,
    subsystem_len: usize,
    out_ring: *mut *mut overlaynet_keyring,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (keys, subsystem, out) = unsafe {
            (
                swarm_keys(keys, count)?,
                in_str(subsystem, subsystem_len, "subsystem")?,
                out_param(out_ring, "out_ring")?,
            )
        };
        let ring = Keyring::from_swarm_keys(&keys, subsystem)?;
        out.write(into_handle(overlaynet_keyring { ring }));
        Ok(())
    })
}

/// Frees a keyring and wipes its key bytes. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_keyring_free(ring: *mut overlaynet_keyring) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(ring) });
}

/// Copies the keys' tags, primary (transmit key) first, into `tags[0..len]`; `*out_n` gets
/// the count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_keyring_tags(
    ring: *const overlaynet_keyring,
    tags: *mut u64,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe { (handle_ref(ring, "ring")?, out_array(tags, len, out_n)?) };
        let tags: Vec<u64> = r.ring.keys().iter().map(|k| k.tag).collect();
        out.write(&tags)
    })
}

/// Copies the **secret key bytes** of the key at `index` (0 = primary) into `buf`; `*out_n`
/// gets 16 or 32. The only function that returns key material: wipe the buffer after use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_keyring_expose_key_at(
    ring: *const overlaynet_keyring,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe { (handle_ref(ring, "ring")?, out_buf(buf, len, out_n)?) };
        let keys = r.ring.keys();
        let key = keys.get(index).ok_or_else(|| {
            Failure::with(
                overlaynet_result::IndexOutOfRange,
                format_args!(
                    "index {index} is out of range: the keyring has {} keys",
                    keys.len()
                ),
            )
        })?;
        out.write(key.key.expose_secret())
    })
}

/// Compares the ring with a new full swarm key set (moby's `handleKeyChange`) and stores the
/// update in `*out_update`: the key only in the new set, the new primary (the second-oldest
/// of the set) and the key only in the ring.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_keyring_update_to(
    ring: *const overlaynet_keyring,
    keys: *const overlaynet_swarm_key,
    count: usize,
    subsystem: *const u8,
    subsystem_len: usize,
    out_update: *mut *mut overlaynet_key_update,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, keys, subsystem, out) = unsafe {
            (
                handle_ref(ring, "ring")?,
                swarm_keys(keys, count)?,
                in_str(subsystem, subsystem_len, "subsystem")?,
                out_param(out_update, "out_update")?,
            )
        };
        let update = r.ring.update_to(&keys, subsystem)?;
        out.write(into_handle(overlaynet_key_update { update }));
        Ok(())
    })
}

/// Builds a key update by hand (as moby's agent hands one to the driver): `new_key` of 16 or
/// 32 bytes tagged `new_tag`, or `(NULL, 0)` for none; `primary_tag`; `prune_tag` when
/// `has_prune`. The key bytes are copied.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_update_new(
    new_key: *const u8,
    new_key_len: usize,
    new_tag: u64,
    primary_tag: u64,
    has_prune: bool,
    prune_tag: u64,
    out_update: *mut *mut overlaynet_key_update,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (bytes, out) = unsafe {
            (
                in_bytes(new_key, new_key_len, "new_key")?,
                out_param(out_update, "out_update")?,
            )
        };
        let new = if bytes.is_empty() {
            None
        } else {
            Some(TaggedKey {
                key: Key::new(bytes)?,
                tag: new_tag,
            })
        };
        out.write(into_handle(overlaynet_key_update {
            update: KeyUpdate {
                new,
                primary_tag,
                prune_tag: has_prune.then_some(prune_tag),
            },
        }));
        Ok(())
    })
}

/// Frees a key update and wipes its key bytes. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_update_free(update: *mut overlaynet_key_update) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(update) });
}

/// Stores what the update says (tags only, no key bytes) in `*out_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_update_info(
    update: *const overlaynet_key_update,
    out_info: *mut overlaynet_key_update_summary,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (u, out) = unsafe {
            (
                handle_ref(update, "update")?,
                out_param(out_info, "out_info")?,
            )
        };
        let u = &u.update;
        out.write(overlaynet_key_update_summary {
            has_new: u.new.is_some(),
            new_tag: u.new.as_ref().map_or(0, |k| k.tag),
            primary_tag: u.primary_tag,
            has_prune: u.prune_tag.is_some(),
            prune_tag: u.prune_tag.unwrap_or(0),
        });
        Ok(())
    })
}

/// Applies `update` to the ring as moby's driver `updateKeys` does (Docker's error texts) and
/// stores the transition in `*out_transition`; the ring itself is unchanged. `profile`
/// (`overlaynet_encryption`: `DOCKER_COMPATIBLE` or `HARDENED`) adds the hardened rule: a key
/// may not transmit in the update that adds it (`OVERLAYNET_RESULT_REFUSED`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_keyring_apply(
    ring: *const overlaynet_keyring,
    update: *const overlaynet_key_update,
    profile: u32,
    out_transition: *mut *mut overlaynet_key_transition,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, u, out) = unsafe {
            (
                handle_ref(ring, "ring")?,
                handle_ref(update, "update")?,
                out_param(out_transition, "out_transition")?,
            )
        };
        let transition = rotation::plan_rotation(self::profile(profile)?, &r.ring, &u.update)?;
        out.write(into_handle(overlaynet_key_transition { transition }));
        Ok(())
    })
}

/// Frees a transition and wipes its key bytes. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_transition_free(
    transition: *mut overlaynet_key_transition,
) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(transition) });
}

/// Stores the positions of the new key, the new primary and the pruned key in the ring during
/// the change in `*out_indices`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_transition_indices(
    transition: *const overlaynet_key_transition,
    out_indices: *mut overlaynet_key_indices,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transition, "transition")?,
                out_param(out_indices, "out_indices")?,
            )
        };
        let idx = |i: Option<usize>| i.map_or(-1, |i| i as i64);
        let i = t.transition.indices;
        out.write(overlaynet_key_indices {
            new_index: idx(i.new),
            primary_index: idx(i.primary),
            prune_index: idx(i.prune),
        });
        Ok(())
    })
}

/// Copies the tags of the ring during the change (old ring plus the new key) into
/// `tags[0..len]`; `*out_n` gets the count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_transition_during_tags(
    transition: *const overlaynet_key_transition,
    tags: *mut u64,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transition, "transition")?,
                out_array(tags, len, out_n)?,
            )
        };
        let tags: Vec<u64> = t.transition.during.iter().map(|k| k.tag).collect();
        out.write(&tags)
    })
}

/// Stores a new keyring handle holding the ring after the change in `*out_ring`; free it with
/// `overlaynet_keyring_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_key_transition_after(
    transition: *const overlaynet_key_transition,
    out_ring: *mut *mut overlaynet_keyring,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(transition, "transition")?,
                out_param(out_ring, "out_ring")?,
            )
        };
        out.write(into_handle(overlaynet_keyring {
            ring: t.transition.after.clone(),
        }));
        Ok(())
    })
}

/// moby's `buildSPI(src, dst, tag)`: FNV-1a over the 16-byte addresses and the big-endian tag,
/// stored in `*out_spi`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipsec_build_spi(
    src: *const u8,
    src_len: usize,
    dst: *const u8,
    dst_len: usize,
    tag: u32,
    out_spi: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (src, dst, out) = unsafe {
            (
                in_str(src, src_len, "src")?,
                in_str(dst, dst_len, "dst")?,
                out_param(out_spi, "out_spi")?,
            )
        };
        let spi = build_spi(parse_ip(src, "src")?, parse_ip(dst, "dst")?, tag);
        out.write(spi);
        Ok(())
    })
}

fn changes_out(changes: Vec<XfrmChange>) -> *mut overlaynet_xfrm_changes {
    into_handle(overlaynet_xfrm_changes { changes })
}

/// Stores in `*out_changes` the steady state toward `remote` with `ring`, as moby's
/// `setupEncryption` installs it: `+rSA(primary) +fSA(primary) +SP`, then `+rSA` of every
/// other key. `profile` is an `overlaynet_encryption` (`DOCKER_COMPATIBLE` or `HARDENED`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipsec_setup_changes(
    profile: u32,
    endpoints: *const overlaynet_ipsec_endpoints,
    remote: *const u8,
    remote_len: usize,
    ring: *const overlaynet_keyring,
    out_changes: *mut *mut overlaynet_xfrm_changes,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (ep, remote, r, out) = unsafe {
            (
                self::endpoints(endpoints)?,
                in_str(remote, remote_len, "remote")?,
                handle_ref(ring, "ring")?,
                out_param(out_changes, "out_changes")?,
            )
        };
        let remote = parse_ip(remote, "remote")?;
        let sas = RemoteSas::steady(self::profile(profile)?, &ep, remote, &r.ring);
        out.write(changes_out(sas.setup_changes()));
        Ok(())
    })
}

/// Stores in `*out_changes` the removal of the steady state toward `remote` (moby's
/// `removeEncryption`): `-rSA(primary) -fSA -SP`, then `-rSA` of the others.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipsec_teardown_changes(
    profile: u32,
    endpoints: *const overlaynet_ipsec_endpoints,
    remote: *const u8,
    remote_len: usize,
    ring: *const overlaynet_keyring,
    out_changes: *mut *mut overlaynet_xfrm_changes,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (ep, remote, r, out) = unsafe {
            (
                self::endpoints(endpoints)?,
                in_str(remote, remote_len, "remote")?,
                handle_ref(ring, "ring")?,
                out_param(out_changes, "out_changes")?,
            )
        };
        let remote = parse_ip(remote, "remote")?;
        let sas = RemoteSas::steady(self::profile(profile)?, &ep, remote, &r.ring);
        out.write(changes_out(sas.teardown_changes()));
        Ok(())
    })
}

/// Stores in `*out_changes` moby's 3-step rotation (`updateNodeKey`) toward `remote` for a
/// transition from `overlaynet_keyring_apply`: `-rSA(prune) +rSA(new)` (the receive phase,
/// `*out_receive_len` changes), then `+fSA(primary)`, policy to the primary, `-fSA(old)`.
/// A careful caller applies the receive phase on every node before any transmit phase.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_ipsec_rotation_changes(
    profile: u32,
    endpoints: *const overlaynet_ipsec_endpoints,
    remote: *const u8,
    remote_len: usize,
    transition: *const overlaynet_key_transition,
    out_changes: *mut *mut overlaynet_xfrm_changes,
    out_receive_len: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (ep, remote, t, out, out_rx) = unsafe {
            (
                self::endpoints(endpoints)?,
                in_str(remote, remote_len, "remote")?,
                handle_ref(transition, "transition")?,
                out_param(out_changes, "out_changes")?,
                out_param(out_receive_len, "out_receive_len")?,
            )
        };
        let remote = parse_ip(remote, "remote")?;
        let phases = rotation::rotation_phases(self::profile(profile)?, &ep, remote, &t.transition);
        out_rx.write(phases.receive.len());
        out.write(changes_out(phases.into_ordered()));
        Ok(())
    })
}

/// Frees a change list (and the SA keys it holds, wiped). NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_xfrm_changes_free(changes: *mut overlaynet_xfrm_changes) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(changes) });
}

/// Stores the number of changes in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_xfrm_changes_count(
    changes: *const overlaynet_xfrm_changes,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, out) = unsafe {
            (
                handle_ref(changes, "changes")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(c.changes.len());
        Ok(())
    })
}

fn change_at(c: &overlaynet_xfrm_changes, index: usize) -> Result<&XfrmChange, Failure> {
    c.changes.get(index).ok_or_else(|| {
        Failure::with(
            overlaynet_result::IndexOutOfRange,
            format_args!(
                "index {index} is out of range: the list has {} changes",
                c.changes.len()
            ),
        )
    })
}

/// Stores change `index` as data (no key bytes) in `*out_change`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_xfrm_changes_get(
    changes: *const overlaynet_xfrm_changes,
    index: usize,
    out_change: *mut overlaynet_xfrm_change,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, out) = unsafe {
            (
                handle_ref(changes, "changes")?,
                out_param(out_change, "out_change")?,
            )
        };
        out.write(change_at(c, index)?.into());
        Ok(())
    })
}

/// Copies change `index` as the equivalent `ip xfrm` command into `buf`, with the key shown as
/// `0x<redacted>`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_xfrm_changes_text_at(
    changes: *const overlaynet_xfrm_changes,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (c, out) = unsafe { (handle_ref(changes, "changes")?, out_buf(buf, len, out_n)?) };
        out.write(change_at(c, index)?.to_string().as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipsec::{SUBSYSTEM_IPSEC, XfrmState};

    fn raw(keys: &[(Vec<u8>, u64)]) -> Vec<overlaynet_swarm_key> {
        keys.iter()
            .map(|(k, t)| overlaynet_swarm_key {
                subsystem: SUBSYSTEM_IPSEC.as_ptr(),
                subsystem_len: SUBSYSTEM_IPSEC.len(),
                key: k.as_ptr(),
                key_len: k.len(),
                lamport_time: *t,
            })
            .collect()
    }

    fn ring_of(tags: &[u64]) -> *mut overlaynet_keyring {
        let keys: Vec<(Vec<u8>, u64)> = tags.iter().map(|&t| (vec![t as u8; 16], t)).collect();
        let raw = raw(&keys);
        let mut ring = std::ptr::null_mut();
        // SAFETY: live local arrays and out pointer.
        let rc = unsafe {
            overlaynet_keyring_from_swarm_keys(
                raw.as_ptr(),
                raw.len(),
                SUBSYSTEM_IPSEC.as_ptr(),
                SUBSYSTEM_IPSEC.len(),
                &mut ring,
            )
        };
        assert_eq!(rc, overlaynet_result::Ok);
        ring
    }

    #[test]
    fn worked_example_through_the_c_abi() {
        let ring = ring_of(&[1, 2, 3]);
        let next: Vec<(Vec<u8>, u64)> = [2u64, 3, 4]
            .iter()
            .map(|&t| (vec![t as u8; 16], t))
            .collect();
        let next = raw(&next);
        let (mut update, mut t, mut after) = (
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        let mut tags = [0u64; 4];
        let mut n = 0;
        let ep_text = ("192.168.1.10", "192.168.1.20");
        let ep = overlaynet_ipsec_endpoints {
            bind: ep_text.0.as_ptr(),
            bind_len: ep_text.0.len(),
            advertise: ep_text.0.as_ptr(),
            advertise_len: ep_text.0.len(),
            data_port: 4789,
        };
        // SAFETY (whole test): handles are live until freed; pointers point into live locals.
        unsafe {
            assert_eq!(
                overlaynet_keyring_tags(ring, tags.as_mut_ptr(), 4, &mut n),
                overlaynet_result::Ok
            );
            assert_eq!(&tags[..n], [2, 1, 3]);
            let rc = overlaynet_keyring_update_to(
                ring,
                next.as_ptr(),
                next.len(),
                SUBSYSTEM_IPSEC.as_ptr(),
                SUBSYSTEM_IPSEC.len(),
                &mut update,
            );
            assert_eq!(rc, overlaynet_result::Ok);
            let mut info = std::mem::zeroed();
            overlaynet_key_update_info(update, &mut info);
            assert_eq!(
                info,
                overlaynet_key_update_summary {
                    has_new: true,
                    new_tag: 4,
                    primary_tag: 3,
                    has_prune: true,
                    prune_tag: 1
                }
            );
            assert_eq!(
                overlaynet_keyring_apply(ring, update, 1, &mut t),
                overlaynet_result::Ok
            );
            let mut idx = std::mem::zeroed();
            overlaynet_key_transition_indices(t, &mut idx);
            assert_eq!(
                (idx.new_index, idx.primary_index, idx.prune_index),
                (3, 2, 1)
            );
            overlaynet_key_transition_after(t, &mut after);
            overlaynet_keyring_tags(after, tags.as_mut_ptr(), 4, &mut n);
            assert_eq!(&tags[..n], [3, 2, 4]);

            let mut changes = std::ptr::null_mut();
            let mut rx = 0;
            let rc = overlaynet_ipsec_rotation_changes(
                1,
                &ep,
                ep_text.1.as_ptr(),
                ep_text.1.len(),
                t,
                &mut changes,
                &mut rx,
            );
            assert_eq!(rc, overlaynet_result::Ok);
            let mut count = 0;
            overlaynet_xfrm_changes_count(changes, &mut count);
            assert_eq!((count, rx), (5, 2));
            let mut c = std::mem::MaybeUninit::<overlaynet_xfrm_change>::uninit();
            assert_eq!(
                overlaynet_xfrm_changes_get(changes, 2, c.as_mut_ptr()),
                overlaynet_result::Ok
            );
            let c = c.assume_init();
            assert_eq!(c.kind, overlaynet_xfrm_change_kind::AddState);
            assert_eq!(c.direction, overlaynet_sa_direction::Forward);
            assert_eq!((c.key_len, c.icv_bits), (16, 64));
            assert_eq!(c.src.octets[..4], [192, 168, 1, 10]);
            let mut text = [0u8; 256];
            overlaynet_xfrm_changes_text_at(changes, 2, text.as_mut_ptr(), text.len(), &mut n);
            let text = std::str::from_utf8(&text[..n]).unwrap();
            assert!(
                text.starts_with("ip xfrm state add src 192.168.1.10 dst 192.168.1.20"),
                "{text}"
            );
            assert!(text.contains("0x<redacted> 64"), "{text}");
            assert_eq!(
                overlaynet_xfrm_changes_get(changes, 5, std::ptr::null_mut()),
                overlaynet_result::NullParameter
            );
            let mut spare = c;
            assert_eq!(
                overlaynet_xfrm_changes_get(changes, 5, &mut spare),
                overlaynet_result::IndexOutOfRange
            );
            overlaynet_xfrm_changes_free(changes);
            overlaynet_keyring_free(after);
            overlaynet_key_transition_free(t);
            overlaynet_key_update_free(update);
            overlaynet_keyring_free(ring);
        }
    }

    #[test]
    fn docker_texts_cross_the_boundary() {
        let ring = ring_of(&[1, 2, 3]);
        let mut update = std::ptr::null_mut();
        let mut t = std::ptr::null_mut();
        // SAFETY: live handles and locals.
        unsafe {
            overlaynet_key_update_new(std::ptr::null(), 0, 0, 1, true, 1, &mut update);
            assert_eq!(
                overlaynet_keyring_apply(ring, update, 1, &mut t),
                overlaynet_result::InvalidInput
            );
            assert!(t.is_null());
            assert_eq!(
                super::super::boundary::with_last_error(str::to_owned),
                "attempting to both make a key (index 1) primary and delete it"
            );
            assert_eq!(
                overlaynet_keyring_apply(ring, update, 0, &mut t),
                overlaynet_result::InvalidInput
            );
            assert_eq!(
                overlaynet_keyring_apply(ring, update, 3, &mut t),
                overlaynet_result::InvalidEnum
            );
            overlaynet_key_update_free(update);
            overlaynet_keyring_free(ring);
        }
    }

    #[test]
    fn change_data_matches_the_state() {
        let key = Key::new(&[7; 32]).unwrap();
        let (l, r): (IpAddr, IpAddr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        let params = Profile::Hardened.sa_params(&key, 7, r, l, 0xc8da8b91);
        let state = XfrmState::new(r, l, SaDirection::Reverse, &params);
        let c = overlaynet_xfrm_change::from(&XfrmChange::AddState(state));
        assert_eq!(c.src.family, overlaynet_family::Ipv6);
        assert_eq!(
            (c.key_len, c.icv_bits, c.replay_window, c.esn),
            (32, 128, 1024, true)
        );
        assert_eq!(c.direction, overlaynet_sa_direction::Reverse);
    }
}
