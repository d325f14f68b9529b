//! `overlaynet_peer_table`, `overlaynet_peer_deltas`, `overlaynet_peer_list` and the
//! PeerRecord codec: one network's peer table (which endpoint lives behind which host), fed
//! by join/leave and NetworkDB gossip, with the kernel changes each mutation implies handed
//! out as plain C structs.
//!
//! Mutations append nothing and change nothing on failure; on success they replace the
//! caller's `overlaynet_peer_deltas` with the new batch. Lookups return snapshot lists.

use std::net::IpAddr;

use ipnet::IpNet;

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_array, in_bytes, in_enum,
    in_str, into_handle, out_array, out_buf, out_param,
};
use super::convert::{parse_ip, parse_net};
use super::result::overlaynet_result;
use crate::peer::{
    Added, EventOutcome, PeerDelta, PeerEvent, PeerRecord, PeerRef, PeerTable, PeerTableConfig,
    Removed, VtepInfo,
};
use crate::wire::MacAddr;

/// An opaque peer table of one network.
#[allow(non_camel_case_types)]
pub struct overlaynet_peer_table {
    table: PeerTable,
}

/// An opaque, reusable batch of kernel changes (`overlaynet_peer_delta`), filled by the
/// peer-table mutations.
#[allow(non_camel_case_types)]
pub struct overlaynet_peer_deltas {
    deltas: Vec<PeerDelta>,
}

/// An opaque snapshot of peer-table entries, from `overlaynet_peer_table_entries*`.
#[allow(non_camel_case_types)]
pub struct overlaynet_peer_list {
    entries: Vec<(String, overlaynet_peer_entry)>,
}

/// An IP address: `family` is `overlaynet_family` (4 or 6), or 0 where no address applies;
/// an IPv4 address is in `octets[0..4]` (network byte order) and the rest is zero.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct overlaynet_peer_addr {
    /// 4, 6, or 0 for none.
    pub family: u32,
    /// The address bytes, network byte order.
    pub octets: [u8; 16],
}

/// A PeerRecord (NetworkDB table `overlay_peer_table`), and the (ip, mac, vtep) of a peer.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct overlaynet_peer_record {
    /// The endpoint IP; its host bits are kept.
    pub endpoint_ip: overlaynet_peer_addr,
    /// The prefix length of `endpoint_ip` (its network's subnet).
    pub endpoint_prefix_len: u8,
    /// The endpoint MAC.
    pub endpoint_mac: [u8; 6],
    /// The VTEP (data-path address) of the host that owns the endpoint.
    pub tunnel_endpoint_ip: overlaynet_peer_addr,
}

/// The kind of an `overlaynet_peer_delta` (moby's addNeighbor/deleteNeighbor steps).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_peer_delta_kind {
    /// The first programmed peer behind `vtep` appeared: set up the tunnel (and SAs).
    TunnelUp = 1,
    /// `ip neigh add <ip> lladdr <mac> dev <vxlan of subnet> nud permanent`.
    NeighbourAdd = 2,
    /// `bridge fdb add <mac> dev <vxlan of subnet> dst <vtep> self permanent`.
    FdbAdd = 3,
    /// Removes the FDB entry `FDB_ADD` with the same fields created.
    FdbRemove = 4,
    /// Removes the neighbour entry `NEIGHBOUR_ADD` with the same fields created.
    NeighbourRemove = 5,
    /// The last programmed peer behind `vtep` is gone: tear the tunnel (and SAs) down.
    TunnelDown = 6,
}

/// One kernel change. Fields the kind does not use are zero (address family 0): tunnels use
/// `vtep`; neighbour entries `subnet`, `ip`, `mac`; FDB entries `subnet`, `mac`, `vtep`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_peer_delta {
    /// `overlaynet_peer_delta_kind`.
    pub kind: u32,
    /// The subnet whose VXLAN device holds the entry (network address).
    pub subnet: overlaynet_peer_addr,
    /// The prefix length of `subnet`.
    pub subnet_prefix_len: u8,
    /// The peer's MAC.
    pub mac: [u8; 6],
    /// The peer's IP address.
    pub ip: overlaynet_peer_addr,
    /// The remote host's VTEP.
    pub vtep: overlaynet_peer_addr,
}

/// What an add did (`uint32_t *out_added`); 0 in an event outcome means no add happened.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_peer_added {
    /// A new entry entered the table.
    Inserted = 1,
    /// The identical entry was already there.
    AlreadyPresent = 2,
}

/// What a remove did (`uint32_t *out_removed`); 0 in an event outcome means no remove
/// happened.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_peer_removed {
    /// The entry left the table.
    Removed = 1,
    /// No such entry (gossip delivers deletes out of order, so this is not an error).
    NotFound = 2,
}

/// The kind of an `overlaynet_peer_event_outcome`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_peer_event_kind {
    /// Every record in the event carries this host's VTEP: local endpoints are handled by
    /// join/leave, so the event was ignored.
    Ignored = 0,
    /// An update whose previous and new records are equal.
    Unchanged = 1,
    /// The previous record was removed (if any) and the new one added (if any).
    Applied = 2,
}

/// What applying a gossip event did.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_peer_event_outcome {
    /// `overlaynet_peer_event_kind`.
    pub kind: u32,
    /// `overlaynet_peer_removed` for the previous record, 0 when there was none to remove.
    pub removed: u32,
    /// `overlaynet_peer_added` for the new record, 0 when there was none to add.
    pub added: u32,
}

/// One peer-table entry (its endpoint id comes from `overlaynet_peer_list_eid`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct overlaynet_peer_entry {
    /// The endpoint IP, MAC and VTEP; the VTEP has family 0 for a local endpoint.
    pub peer: overlaynet_peer_record,
    /// The subnet of the network the IP belongs to (network address).
    pub subnet: overlaynet_peer_addr,
    /// The prefix length of `subnet`.
    pub subnet_prefix_len: u8,
    /// Whether this is a local endpoint of this host.
    pub is_local: bool,
    /// Whether this entry is the one programmed into the kernel for its IP.
    pub is_programmed: bool,
}

/// One remote host (VTEP) of a table.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_peer_vtep {
    /// The host's VTEP address.
    pub vtep: overlaynet_peer_addr,
    /// Entries behind it.
    pub entries: u32,
    /// Programmed entries behind it; its tunnel is needed while this is non-zero.
    pub programmed: u32,
}

// ---- conversions --------------------------------------------------------------------------

impl From<IpAddr> for overlaynet_peer_addr {
    fn from(ip: IpAddr) -> Self {
        let mut octets = [0u8; 16];
        match ip {
            IpAddr::V4(v4) => {
                octets[..4].copy_from_slice(&v4.octets());
                overlaynet_peer_addr { family: 4, octets }
            }
            IpAddr::V6(v6) => overlaynet_peer_addr {
                family: 6,
                octets: v6.octets(),
            },
        }
    }
}

fn addr_out(ip: Option<IpAddr>) -> overlaynet_peer_addr {
    ip.map(overlaynet_peer_addr::from).unwrap_or_default()
}

/// Decodes an input address; family 0 is refused (`what` names the argument).
fn addr_in(addr: &overlaynet_peer_addr, what: &str) -> Result<IpAddr, Failure> {
    in_enum(addr.family, what, |family| match family {
        4 => {
            let [a, b, c, d, ..] = addr.octets;
            Some(IpAddr::from([a, b, c, d]))
        }
        6 => Some(IpAddr::from(addr.octets)),
        _ => None,
    })
}

fn prefix_in(addr: &overlaynet_peer_addr, len: u8, what: &str) -> Result<IpNet, Failure> {
    let ip = addr_in(addr, what)?;
    IpNet::new(ip, len).map_err(|_| {
        Failure::with(
            overlaynet_result::InvalidInput,
            format_args!("{what}: prefix length {len} is out of range for {ip}"),
        )
    })
}

impl overlaynet_peer_record {
    fn from_parts(ip: IpNet, mac: MacAddr, vtep: Option<IpAddr>) -> Self {
        overlaynet_peer_record {
            endpoint_ip: ip.addr().into(),
            endpoint_prefix_len: ip.prefix_len(),
            endpoint_mac: mac.0,
            tunnel_endpoint_ip: addr_out(vtep),
        }
    }

    fn ip(&self) -> Result<IpNet, Failure> {
        prefix_in(&self.endpoint_ip, self.endpoint_prefix_len, "endpoint_ip")
    }

    fn vtep(&self) -> Result<IpAddr, Failure> {
        addr_in(&self.tunnel_endpoint_ip, "tunnel_endpoint_ip")
    }

    fn to_record(self) -> Result<PeerRecord, Failure> {
        Ok(PeerRecord {
            endpoint_ip: self.ip()?,
            endpoint_mac: MacAddr(self.endpoint_mac),
            tunnel_endpoint_ip: self.vtep()?,
        })
    }
}

impl From<&PeerRecord> for overlaynet_peer_record {
    fn from(r: &PeerRecord) -> Self {
        Self::from_parts(r.endpoint_ip, r.endpoint_mac, Some(r.tunnel_endpoint_ip))
    }
}

impl From<PeerDelta> for overlaynet_peer_delta {
    fn from(delta: PeerDelta) -> Self {
        use overlaynet_peer_delta_kind as K;
        let (kind, subnet, ip, mac, vtep) = match delta {
            PeerDelta::TunnelUp { vtep } => (K::TunnelUp, None, None, None, Some(vtep)),
            PeerDelta::TunnelDown { vtep } => (K::TunnelDown, None, None, None, Some(vtep)),
            PeerDelta::NeighbourAdd { subnet, ip, mac } => {
                (K::NeighbourAdd, Some(subnet), Some(ip), Some(mac), None)
            }
            PeerDelta::NeighbourRemove { subnet, ip, mac } => {
                (K::NeighbourRemove, Some(subnet), Some(ip), Some(mac), None)
            }
            PeerDelta::FdbAdd { subnet, mac, vtep } => {
                (K::FdbAdd, Some(subnet), None, Some(mac), Some(vtep))
            }
            PeerDelta::FdbRemove { subnet, mac, vtep } => {
                (K::FdbRemove, Some(subnet), None, Some(mac), Some(vtep))
            }
        };
        overlaynet_peer_delta {
            kind: kind as u32,
            subnet: addr_out(subnet.map(|s| s.network())),
            subnet_prefix_len: subnet.map_or(0, |s| s.prefix_len()),
            mac: mac.map_or([0; 6], |m| m.0),
            ip: addr_out(ip),
            vtep: addr_out(vtep),
        }
    }
}

impl From<PeerRef<'_>> for overlaynet_peer_entry {
    fn from(peer: PeerRef<'_>) -> Self {
        let subnet = peer.subnet();
        overlaynet_peer_entry {
            peer: overlaynet_peer_record::from_parts(peer.ip(), peer.mac(), peer.vtep()),
            subnet: subnet.network().into(),
            subnet_prefix_len: subnet.prefix_len(),
            is_local: peer.is_local(),
            is_programmed: peer.is_programmed(),
        }
    }
}

impl From<VtepInfo> for overlaynet_peer_vtep {
    fn from(info: VtepInfo) -> Self {
        overlaynet_peer_vtep {
            vtep: info.vtep.into(),
            entries: info.entries,
            programmed: info.programmed,
        }
    }
}

fn added_code(added: Added) -> u32 {
    match added {
        Added::Inserted => overlaynet_peer_added::Inserted as u32,
        Added::AlreadyPresent => overlaynet_peer_added::AlreadyPresent as u32,
    }
}

fn removed_code(removed: Removed) -> u32 {
    match removed {
        Removed::Removed => overlaynet_peer_removed::Removed as u32,
        Removed::NotFound => overlaynet_peer_removed::NotFound as u32,
    }
}

impl From<EventOutcome> for overlaynet_peer_event_outcome {
    fn from(outcome: EventOutcome) -> Self {
        use overlaynet_peer_event_kind as K;
        let (kind, removed, added) = match outcome {
            EventOutcome::Ignored => (K::Ignored, 0, 0),
            EventOutcome::Unchanged => (K::Unchanged, 0, 0),
            EventOutcome::Applied { removed, added } => (
                K::Applied,
                removed.map_or(0, removed_code),
                added.map_or(0, added_code),
            ),
        };
        overlaynet_peer_event_outcome {
            kind: kind as u32,
            removed,
            added,
        }
    }
}

/// Runs an `_into` mutation so that `deltas` holds exactly its batch on success and is
/// unchanged on failure (the table's `_into` forms append nothing when they fail, and the
/// argument conversions run before them).
fn replace_deltas<T>(
    deltas: &mut overlaynet_peer_deltas,
    mutation: impl FnOnce(&mut Vec<PeerDelta>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let previous = deltas.deltas.len();
    let outcome = mutation(&mut deltas.deltas)?;
    deltas.deltas.drain(..previous);
    Ok(outcome)
}

/// A gossip value: zero bytes is NetworkDB's "no value".
fn present(bytes: &[u8]) -> Option<&[u8]> {
    (!bytes.is_empty()).then_some(bytes)
}

fn mac_in(mac: &[u8]) -> Result<MacAddr, Failure> {
    <[u8; 6]>::try_from(mac).map(MacAddr).map_err(|_| {
        Failure::with(
            overlaynet_result::InvalidLength,
            format_args!(
                "mac: length {} is not the 6 bytes of a MAC-48 address",
                mac.len()
            ),
        )
    })
}

fn into_list<'a>(entries: impl Iterator<Item = PeerRef<'a>>) -> *mut overlaynet_peer_list {
    into_handle(overlaynet_peer_list {
        entries: entries
            .map(|peer| (peer.eid().to_string(), peer.into()))
            .collect(),
    })
}

// ---- the table ----------------------------------------------------------------------------

/// Creates the empty peer table of network `network` (its id) in `*out_table`: `subnets` is
/// the network's subnets, comma-separated (`10.0.1.0/24,fd00::/64`, at least one), and
/// `local_vtep` this host's data-path address (it fixes the underlay family; gossip carrying
/// it is ignored). Free it with `overlaynet_peer_table_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_new(
    network: *const u8,
    network_len: usize,
    subnets: *const u8,
    subnets_len: usize,
    local_vtep: *const u8,
    local_vtep_len: usize,
    out_table: *mut *mut overlaynet_peer_table,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (network, subnets, local_vtep, out) = unsafe {
            (
                in_str(network, network_len, "network")?,
                in_str(subnets, subnets_len, "subnets")?,
                in_str(local_vtep, local_vtep_len, "local_vtep")?,
                out_param(out_table, "out_table")?,
            )
        };
        let subnets = subnets
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_net(s.trim(), "subnet"))
            .collect::<Result<Vec<_>, _>>()?;
        let table = PeerTable::new(PeerTableConfig {
            network: network.into(),
            subnets,
            local_vtep: parse_ip(local_vtep, "local_vtep")?,
        })?;
        out.write(into_handle(overlaynet_peer_table { table }));
        Ok(())
    })
}

/// Frees a peer table. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_free(table: *mut overlaynet_peer_table) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(table) });
}

/// The shared body of the four join/leave mutations: checks every argument, then runs `op`
/// so that `deltas` holds exactly its batch on success.
///
/// # Safety
/// As the exported functions: each pointer NULL or valid, `(eid, eid_len)` readable.
#[allow(clippy::too_many_arguments)]
unsafe fn mutate(
    table: *mut overlaynet_peer_table,
    eid: *const u8,
    eid_len: usize,
    peer: *const overlaynet_peer_record,
    deltas: *mut overlaynet_peer_deltas,
    out_code: *mut u32,
    out_name: &str,
    op: impl FnOnce(
        &mut PeerTable,
        &str,
        &overlaynet_peer_record,
        &mut Vec<PeerDelta>,
    ) -> Result<u32, Failure>,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, eid, peer, d, out) = unsafe {
            (
                handle_mut(table, "table")?,
                in_str(eid, eid_len, "eid")?,
                handle_ref(peer, "peer")?,
                handle_mut(deltas, "deltas")?,
                out_param(out_code, out_name)?,
            )
        };
        out.write(replace_deltas(d, |d| op(&mut t.table, eid, peer, d))?);
        Ok(())
    })
}

/// A local endpoint `eid` joined with `peer`'s IP and MAC (its VTEP is not read). Never
/// programs anything, but takes part in duplicate-IP bookkeeping. On success `deltas` holds
/// the kernel changes and `*out_added` an `overlaynet_peer_added`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_add_local(
    table: *mut overlaynet_peer_table,
    eid: *const u8,
    eid_len: usize,
    peer: *const overlaynet_peer_record,
    deltas: *mut overlaynet_peer_deltas,
    out_added: *mut u32,
) -> overlaynet_result {
    // SAFETY: forwarded from the module contract.
    unsafe {
        mutate(
            table,
            eid,
            eid_len,
            peer,
            deltas,
            out_added,
            "out_added",
            |t, eid, p, d| {
                let (ip, mac) = (p.ip()?, MacAddr(p.endpoint_mac));
                Ok(added_code(t.add_local_into(eid, ip, mac, d)?))
            },
        )
    }
}

/// A local endpoint `eid` left (`peer`'s VTEP is not read). On success `deltas` holds the
/// kernel changes and `*out_removed` an `overlaynet_peer_removed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_remove_local(
    table: *mut overlaynet_peer_table,
    eid: *const u8,
    eid_len: usize,
    peer: *const overlaynet_peer_record,
    deltas: *mut overlaynet_peer_deltas,
    out_removed: *mut u32,
) -> overlaynet_result {
    // SAFETY: forwarded from the module contract.
    unsafe {
        mutate(
            table,
            eid,
            eid_len,
            peer,
            deltas,
            out_removed,
            "out_removed",
            |t, eid, p, d| {
                let (ip, mac) = (p.ip()?, MacAddr(p.endpoint_mac));
                Ok(removed_code(t.remove_local_into(eid, ip, mac, d)?))
            },
        )
    }
}

/// A remote endpoint `eid` appeared behind `peer->tunnel_endpoint_ip` (not this host's
/// VTEP). On success `deltas` holds the kernel changes (tunnel, neighbour, FDB, in order) and
/// `*out_added` an `overlaynet_peer_added`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_add_remote(
    table: *mut overlaynet_peer_table,
    eid: *const u8,
    eid_len: usize,
    peer: *const overlaynet_peer_record,
    deltas: *mut overlaynet_peer_deltas,
    out_added: *mut u32,
) -> overlaynet_result {
    // SAFETY: forwarded from the module contract.
    unsafe {
        mutate(
            table,
            eid,
            eid_len,
            peer,
            deltas,
            out_added,
            "out_added",
            |t, eid, p, d| {
                let (ip, mac, vtep) = (p.ip()?, MacAddr(p.endpoint_mac), p.vtep()?);
                Ok(added_code(t.add_remote_into(eid, ip, mac, vtep, d)?))
            },
        )
    }
}

/// A remote endpoint `eid` went away; removing an absent entry is not an error. On success
/// `deltas` holds the kernel changes and `*out_removed` an `overlaynet_peer_removed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_remove_remote(
    table: *mut overlaynet_peer_table,
    eid: *const u8,
    eid_len: usize,
    peer: *const overlaynet_peer_record,
    deltas: *mut overlaynet_peer_deltas,
    out_removed: *mut u32,
) -> overlaynet_result {
    // SAFETY: forwarded from the module contract.
    unsafe {
        mutate(
            table,
            eid,
            eid_len,
            peer,
            deltas,
            out_removed,
            "out_removed",
            |t, eid, p, d| {
                let (ip, mac, vtep) = (p.ip()?, MacAddr(p.endpoint_mac), p.vtep()?);
                Ok(removed_code(t.remove_remote_into(eid, ip, mac, vtep, d)?))
            },
        )
    }
}

/// Adds `count` remote endpoints at once, as a NetworkDB bulk sync delivers them: endpoint
/// `i` has the id of `eid_lens[i]` bytes taken in order from `eids` (all ids concatenated)
/// and the record `peers[i]`. Every record is checked before any is added: if one is refused,
/// the error names its index and nothing changes (neither the table nor `deltas`). On success
/// `deltas` holds exactly the changes adding them one by one would give, and
/// `*out_inserted` how many were new. Faster than one call per record for large syncs (the
/// index buckets of the next records are loaded while the current ones are added). `eids`
/// and `count` are each bounded by `OVERLAYNET_MAX_INPUT_LEN` (about 16,000 64-character
/// endpoint ids per call); a larger sync is several calls, each all-or-nothing.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn overlaynet_peer_table_add_remotes(
    table: *mut overlaynet_peer_table,
    eids: *const u8,
    eids_len: usize,
    eid_lens: *const usize,
    peers: *const overlaynet_peer_record,
    count: usize,
    deltas: *mut overlaynet_peer_deltas,
    out_inserted: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, eids, eid_lens, peers, d, out) = unsafe {
            (
                handle_mut(table, "table")?,
                in_str(eids, eids_len, "eids")?,
                in_array(eid_lens, count, "eid_lens")?,
                in_array(peers, count, "peers")?,
                handle_mut(deltas, "deltas")?,
                out_param(out_inserted, "out_inserted")?,
            )
        };
        let records = bulk_records(eids, eid_lens, peers)?;
        out.write(replace_deltas(d, |d| {
            Ok(t.table.add_remotes_into(&records, d)?)
        })?);
        Ok(())
    })
}

/// Pairs each record with its id cut from the concatenated `eids`; a record that is not
/// well formed, or ids that do not add up to `eids`, name the index at fault.
fn bulk_records<'a>(
    eids: &'a str,
    eid_lens: &[usize],
    peers: &[overlaynet_peer_record],
) -> Result<Vec<(&'a str, PeerRecord)>, Failure> {
    let mut rest = eids;
    let mut records = Vec::with_capacity(peers.len());
    for (index, (&len, peer)) in eid_lens.iter().zip(peers).enumerate() {
        let at_index = |failure: Failure| Failure {
            message: format!("record {index} of the batch: {}", failure.message),
            ..failure
        };
        let eid = rest
            .get(..len)
            .ok_or_else(|| {
                Failure::with(
                    overlaynet_result::InvalidLength,
                    format_args!(
                        "eid_lens: {len} bytes do not fit in the {} left of eids, or split a UTF-8 character",
                        rest.len()
                    ),
                )
            })
            .map_err(at_index)?;
        rest = &rest[len..];
        records.push((eid, peer.to_record().map_err(at_index)?));
    }
    if !rest.is_empty() {
        return Err(Failure::with(
            overlaynet_result::InvalidLength,
            format_args!(
                "eids: {} bytes left over after the {} ids of eid_lens",
                rest.len(),
                eid_lens.len()
            ),
        ));
    }
    Ok(records)
}

/// Applies a NetworkDB event for key `eid` with moby's `EventNotify` semantics: `prev` and
/// `value` are the previous and new values (PeerRecord protobuf bytes); a zero length means
/// absent (an empty encoding never validates). Create = value only, delete = prev only,
/// update = both. Records carrying this host's VTEP are ignored. On success `deltas` holds the
/// kernel changes (cancelling pairs left out) and `*out_outcome` what happened.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn overlaynet_peer_table_apply_gossip(
    table: *mut overlaynet_peer_table,
    eid: *const u8,
    eid_len: usize,
    prev: *const u8,
    prev_len: usize,
    value: *const u8,
    value_len: usize,
    deltas: *mut overlaynet_peer_deltas,
    out_outcome: *mut overlaynet_peer_event_outcome,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, eid, prev, value, d, out) = unsafe {
            (
                handle_mut(table, "table")?,
                in_str(eid, eid_len, "eid")?,
                in_bytes(prev, prev_len, "prev")?,
                in_bytes(value, value_len, "value")?,
                handle_mut(deltas, "deltas")?,
                out_param(out_outcome, "out_outcome")?,
            )
        };
        let event = PeerEvent::from_gossip(eid, present(prev), present(value))?;
        let outcome = replace_deltas(d, |d| Ok(t.table.apply_event_into(&event, d)?))?;
        out.write(outcome.into());
        Ok(())
    })
}

/// Removes every entry (leaving the network); `deltas` then holds the changes that undo all
/// programmed state.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_clear(
    table: *mut overlaynet_peer_table,
    deltas: *mut overlaynet_peer_deltas,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, d) = unsafe { (handle_mut(table, "table")?, handle_mut(deltas, "deltas")?) };
        d.deltas = t.table.clear();
        Ok(())
    })
}

/// Stores the number of entries (local and remote, programmed or waiting) in `*out_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_len(
    table: *const overlaynet_peer_table,
    out_len: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe { (handle_ref(table, "table")?, out_param(out_len, "out_len")?) };
        out.write(t.table.len());
        Ok(())
    })
}

/// Stores a snapshot of every entry (storage order) in a new `*out_list`; free it with
/// `overlaynet_peer_list_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_entries(
    table: *const overlaynet_peer_table,
    out_list: *mut *mut overlaynet_peer_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe {
            (
                handle_ref(table, "table")?,
                out_param(out_list, "out_list")?,
            )
        };
        out.write(into_list(t.table.iter()));
        Ok(())
    })
}

/// Looks up `count` addresses at once, answering for each the entry programmed into the
/// kernel for it, else the oldest entry at that address (local endpoints included: the entry
/// `overlaynet_peer_table_entries_at` lists as programmed, else its first). `out_entries[i]`
/// answers `ips[i]`; an address with no entry gets an all-zero
/// entry (`peer.endpoint_ip.family == 0`). `*out_n` receives `count`; if `out_entries_len`
/// is smaller, nothing is written and the result is `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`.
/// For tables larger than the CPU caches this is faster than one lookup at a time: the cache
/// misses of a burst of addresses overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_lookup_many(
    table: *const overlaynet_peer_table,
    ips: *const overlaynet_peer_addr,
    count: usize,
    out_entries: *mut overlaynet_peer_entry,
    out_entries_len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, ips, out) = unsafe {
            (
                handle_ref(table, "table")?,
                in_array(ips, count, "ips")?,
                out_array(out_entries, out_entries_len, out_n)?,
            )
        };
        let ips = ips
            .iter()
            .enumerate()
            .map(|(index, ip)| {
                // The index goes into the message only on failure: no allocation per address.
                addr_in(ip, "family").map_err(|failure| Failure {
                    message: format!("ips[{index}].{}", failure.message),
                    ..failure
                })
            })
            .collect::<Result<Vec<IpAddr>, Failure>>()?;
        let mut found = Vec::with_capacity(ips.len());
        t.table.get_many(&ips, &mut found);
        let entries: Vec<overlaynet_peer_entry> = found
            .into_iter()
            .map(|peer| peer.map(Into::into).unwrap_or_default())
            .collect();
        out.write(&entries)
    })
}

/// Stores the entries holding IP `ip` (oldest first; more than one only transiently; the
/// one answering for the IP has `is_programmed`, or is the first) in a new `*out_list`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_entries_at(
    table: *const overlaynet_peer_table,
    ip: *const overlaynet_peer_addr,
    out_list: *mut *mut overlaynet_peer_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, ip, out) = unsafe {
            (
                handle_ref(table, "table")?,
                handle_ref(ip, "ip")?,
                out_param(out_list, "out_list")?,
            )
        };
        out.write(into_list(t.table.entries_at(addr_in(ip, "ip")?)));
        Ok(())
    })
}

/// Stores the entries with MAC `mac[0..mac_len]` (`mac_len` must be 6) in a new `*out_list`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_entries_with_mac(
    table: *const overlaynet_peer_table,
    mac: *const u8,
    mac_len: usize,
    out_list: *mut *mut overlaynet_peer_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, mac, out) = unsafe {
            (
                handle_ref(table, "table")?,
                in_bytes(mac, mac_len, "mac")?,
                out_param(out_list, "out_list")?,
            )
        };
        out.write(into_list(t.table.entries_with_mac(mac_in(mac)?)));
        Ok(())
    })
}

/// Stores the entries behind VTEP `vtep` in a new `*out_list`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_entries_behind(
    table: *const overlaynet_peer_table,
    vtep: *const overlaynet_peer_addr,
    out_list: *mut *mut overlaynet_peer_list,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, vtep, out) = unsafe {
            (
                handle_ref(table, "table")?,
                handle_ref(vtep, "vtep")?,
                out_param(out_list, "out_list")?,
            )
        };
        out.write(into_list(t.table.entries_behind(addr_in(vtep, "vtep")?)));
        Ok(())
    })
}

/// Copies the remote VTEPs that have entries into `vteps[0..len]`; `*out_n` gets the count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_table_vteps(
    table: *const overlaynet_peer_table,
    vteps: *mut overlaynet_peer_vtep,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (t, out) = unsafe { (handle_ref(table, "table")?, out_array(vteps, len, out_n)?) };
        let vteps: Vec<overlaynet_peer_vtep> = t.table.vteps().map(Into::into).collect();
        out.write(&vteps)
    })
}

// ---- deltas -------------------------------------------------------------------------------

/// Creates an empty delta batch in `*out_deltas`, to pass to the table mutations (reuse it:
/// it keeps its capacity); free it with `overlaynet_peer_deltas_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_deltas_new(
    out_deltas: *mut *mut overlaynet_peer_deltas,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_deltas, "out_deltas") }?;
        out.write(into_handle(overlaynet_peer_deltas { deltas: Vec::new() }));
        Ok(())
    })
}

/// Frees a delta batch. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_deltas_free(deltas: *mut overlaynet_peer_deltas) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(deltas) });
}

/// Copies the batch, in the order it must be applied, into `buf[0..len]`; `*out_n` gets the
/// count (or the count needed, with `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_deltas_get(
    deltas: *const overlaynet_peer_deltas,
    buf: *mut overlaynet_peer_delta,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (d, out) = unsafe { (handle_ref(deltas, "deltas")?, out_array(buf, len, out_n)?) };
        let items: Vec<overlaynet_peer_delta> = d.deltas.iter().map(|&x| x.into()).collect();
        out.write(&items)
    })
}

// ---- entry lists --------------------------------------------------------------------------

/// Frees an entry list. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_list_free(list: *mut overlaynet_peer_list) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(list) });
}

/// Stores the number of entries in the list in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_list_count(
    list: *const overlaynet_peer_list,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (l, out) = unsafe {
            (
                handle_ref(list, "list")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(l.entries.len());
        Ok(())
    })
}

fn list_item(
    list: &overlaynet_peer_list,
    index: usize,
) -> Result<&(String, overlaynet_peer_entry), Failure> {
    list.entries.get(index).ok_or_else(|| {
        Failure::with(
            overlaynet_result::IndexOutOfRange,
            format_args!(
                "entry index {index} is out of range: the list has {} entries",
                list.entries.len()
            ),
        )
    })
}

/// Stores entry `index` (0-based) of the list in `*out_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_list_get(
    list: *const overlaynet_peer_list,
    index: usize,
    out_entry: *mut overlaynet_peer_entry,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (l, out) = unsafe {
            (
                handle_ref(list, "list")?,
                out_param(out_entry, "out_entry")?,
            )
        };
        out.write(list_item(l, index)?.1);
        Ok(())
    })
}

/// Copies the endpoint id of entry `index` into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_list_eid(
    list: *const overlaynet_peer_list,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (l, out) = unsafe { (handle_ref(list, "list")?, out_buf(buf, len, out_n)?) };
        out.write(list_item(l, index)?.0.as_bytes())
    })
}

// ---- the PeerRecord codec -----------------------------------------------------------------

/// Encodes `record` as moby's `proto.Marshal(&PeerRecord{...})` does into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_record_encode(
    record: *const overlaynet_peer_record,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe { (handle_ref(record, "record")?, out_buf(buf, len, out_n)?) };
        out.write(&r.to_record()?.encode())
    })
}

/// Decodes and validates PeerRecord protobuf bytes `bytes[0..len]` (moby's
/// `UnmarshalPeerRecord` rules and texts) into `*out_record`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_peer_record_decode(
    bytes: *const u8,
    len: usize,
    out_record: *mut overlaynet_peer_record,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (bytes, out) = unsafe {
            (
                in_bytes(bytes, len, "bytes")?,
                out_param(out_record, "out_record")?,
            )
        };
        let record = PeerRecord::decode(bytes).map_err(crate::peer::PeerError::from)?;
        out.write((&record).into());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    const NET: &str = "n1";
    const SUBNETS: &str = "10.0.1.0/24,fd00:1::/64";
    const LOCAL: &str = "192.168.1.10";
    /// moby's gogoproto encoding of {10.0.1.5/24, 02:42:0a:00:01:05, 192.168.1.20}.
    const GOLDEN: &[u8] = b"\x0a\x0b10.0.1.5/24\x12\x1102:42:0a:00:01:05\x1a\x0c192.168.1.20";

    fn addr(text: &str) -> overlaynet_peer_addr {
        text.parse::<IpAddr>().unwrap().into()
    }

    fn record(ip: &str, mac_last: u8, vtep: &str) -> overlaynet_peer_record {
        let ip: IpNet = ip.parse().unwrap();
        overlaynet_peer_record {
            endpoint_ip: ip.addr().into(),
            endpoint_prefix_len: ip.prefix_len(),
            endpoint_mac: [2, 0x42, 10, 0, 1, mac_last],
            tunnel_endpoint_ip: addr(vtep),
        }
    }

    fn new_table() -> *mut overlaynet_peer_table {
        let mut table = null_mut();
        // SAFETY: live locals and static strings.
        let rc = unsafe {
            overlaynet_peer_table_new(
                NET.as_ptr(),
                NET.len(),
                SUBNETS.as_ptr(),
                SUBNETS.len(),
                LOCAL.as_ptr(),
                LOCAL.len(),
                &mut table,
            )
        };
        assert_eq!(rc, overlaynet_result::Ok);
        table
    }

    fn new_deltas() -> *mut overlaynet_peer_deltas {
        let mut deltas = null_mut();
        // SAFETY: live local.
        assert_eq!(
            unsafe { overlaynet_peer_deltas_new(&mut deltas) },
            overlaynet_result::Ok
        );
        deltas
    }

    fn kinds(deltas: *const overlaynet_peer_deltas) -> Vec<u32> {
        let mut out = [overlaynet_peer_delta::from(PeerDelta::TunnelUp {
            vtep: IpAddr::from([0, 0, 0, 0]),
        }); 8];
        let mut n = 0;
        // SAFETY: live handle and buffer.
        let rc = unsafe { overlaynet_peer_deltas_get(deltas, out.as_mut_ptr(), out.len(), &mut n) };
        assert_eq!(rc, overlaynet_result::Ok);
        out[..n].iter().map(|d| d.kind).collect()
    }

    #[test]
    fn add_remote_fills_the_batch_in_order_and_a_failure_keeps_it() {
        let (table, deltas) = (new_table(), new_deltas());
        let peer = record("10.0.1.5/24", 5, "192.168.1.20");
        let mut added = 0;
        // SAFETY: live handles and locals.
        let rc = unsafe {
            overlaynet_peer_table_add_remote(table, b"ep1".as_ptr(), 3, &peer, deltas, &mut added)
        };
        assert_eq!(rc, overlaynet_result::Ok);
        assert_eq!(added, overlaynet_peer_added::Inserted as u32);
        use overlaynet_peer_delta_kind as K;
        assert_eq!(
            kinds(deltas),
            [K::TunnelUp as u32, K::NeighbourAdd as u32, K::FdbAdd as u32]
        );

        // Outside every subnet: refused, batch and table unchanged, out_added not written.
        let stray = record("10.9.9.9/24", 6, "192.168.1.20");
        added = 77;
        // SAFETY: as above.
        let rc = unsafe {
            overlaynet_peer_table_add_remote(table, b"ep2".as_ptr(), 3, &stray, deltas, &mut added)
        };
        assert_eq!(rc, overlaynet_result::InvalidInput);
        assert_eq!(added, 77);
        assert_eq!(kinds(deltas).len(), 3);
        let mut len = 0;
        // SAFETY: as above.
        unsafe { overlaynet_peer_table_len(table, &mut len) };
        assert_eq!(len, 1);

        // Our own VTEP as a remote one is refused.
        let own = record("10.0.1.6/24", 6, LOCAL);
        // SAFETY: as above.
        let rc = unsafe {
            overlaynet_peer_table_add_remote(table, b"ep3".as_ptr(), 3, &own, deltas, &mut added)
        };
        assert_eq!(rc, overlaynet_result::Refused);

        let mut removed = 0;
        // SAFETY: as above.
        let rc = unsafe {
            overlaynet_peer_table_remove_remote(
                table,
                b"ep1".as_ptr(),
                3,
                &peer,
                deltas,
                &mut removed,
            )
        };
        assert_eq!(rc, overlaynet_result::Ok);
        assert_eq!(removed, overlaynet_peer_removed::Removed as u32);
        assert_eq!(
            kinds(deltas),
            [
                K::FdbRemove as u32,
                K::NeighbourRemove as u32,
                K::TunnelDown as u32
            ]
        );
        // SAFETY: handles given up.
        unsafe {
            overlaynet_peer_table_free(table);
            overlaynet_peer_deltas_free(deltas);
        }
    }

    #[test]
    fn gossip_applies_and_lists_show_the_entry() {
        let (table, deltas) = (new_table(), new_deltas());
        let mut outcome = overlaynet_peer_event_outcome {
            kind: 99,
            removed: 99,
            added: 99,
        };
        // SAFETY: live handles and locals.
        let rc = unsafe {
            overlaynet_peer_table_apply_gossip(
                table,
                b"ep1".as_ptr(),
                3,
                null(),
                0,
                GOLDEN.as_ptr(),
                GOLDEN.len(),
                deltas,
                &mut outcome,
            )
        };
        assert_eq!(rc, overlaynet_result::Ok);
        assert_eq!(
            outcome,
            overlaynet_peer_event_outcome {
                kind: overlaynet_peer_event_kind::Applied as u32,
                removed: 0,
                added: overlaynet_peer_added::Inserted as u32,
            }
        );
        assert_eq!(kinds(deltas).len(), 3);

        let mut list = null_mut();
        let ip = addr("10.0.1.5");
        // SAFETY: live handles and locals.
        assert_eq!(
            unsafe { overlaynet_peer_table_entries_at(table, &ip, &mut list) },
            overlaynet_result::Ok
        );
        let mut count = 0;
        let mut entry = std::mem::MaybeUninit::uninit();
        let mut eid = [0u8; 8];
        let mut n = 0;
        // SAFETY: live handles and locals.
        unsafe {
            overlaynet_peer_list_count(list, &mut count);
            assert_eq!(count, 1);
            assert_eq!(
                overlaynet_peer_list_get(list, 0, entry.as_mut_ptr()),
                overlaynet_result::Ok
            );
            assert_eq!(
                overlaynet_peer_list_eid(list, 0, eid.as_mut_ptr(), eid.len(), &mut n),
                overlaynet_result::Ok
            );
            assert_eq!(
                overlaynet_peer_list_get(list, 1, entry.as_mut_ptr()),
                overlaynet_result::IndexOutOfRange
            );
            overlaynet_peer_list_free(list);
        }
        // SAFETY: written by the successful call above.
        let entry = unsafe { entry.assume_init() };
        assert_eq!(&eid[..n], b"ep1");
        assert_eq!(entry.peer, record("10.0.1.5/24", 5, "192.168.1.20"));
        assert_eq!(entry.subnet, addr("10.0.1.0"));
        assert_eq!(entry.subnet_prefix_len, 24);
        assert!(entry.is_programmed && !entry.is_local);

        // A garbage value fails the event with moby's text and changes nothing.
        // SAFETY: live handles and locals.
        let rc = unsafe {
            overlaynet_peer_table_apply_gossip(
                table,
                b"ep2".as_ptr(),
                3,
                null(),
                0,
                b"\xff".as_ptr(),
                1,
                deltas,
                &mut outcome,
            )
        };
        assert_eq!(rc, overlaynet_result::InvalidInput);
        assert!(crate::ffi::boundary::with_last_error(
            |m| m.starts_with("failed to unmarshal peer record")
        ));
        assert_eq!(kinds(deltas).len(), 3);

        // SAFETY: live handles; then given up.
        unsafe {
            assert_eq!(
                overlaynet_peer_table_clear(table, deltas),
                overlaynet_result::Ok
            );
            overlaynet_peer_table_free(table);
        }
        use overlaynet_peer_delta_kind as K;
        assert_eq!(
            kinds(deltas),
            [
                K::FdbRemove as u32,
                K::NeighbourRemove as u32,
                K::TunnelDown as u32
            ]
        );
        // SAFETY: given up.
        unsafe { overlaynet_peer_deltas_free(deltas) };
    }

    #[test]
    fn record_codec_matches_the_golden_vector() {
        let mut out = std::mem::MaybeUninit::uninit();
        // SAFETY: live locals.
        let rc = unsafe {
            overlaynet_peer_record_decode(GOLDEN.as_ptr(), GOLDEN.len(), out.as_mut_ptr())
        };
        assert_eq!(rc, overlaynet_result::Ok);
        // SAFETY: written on success.
        let decoded = unsafe { out.assume_init() };
        assert_eq!(decoded, record("10.0.1.5/24", 5, "192.168.1.20"));
        let mut buf = [0u8; 64];
        let mut n = 0;
        // SAFETY: live locals.
        let rc =
            unsafe { overlaynet_peer_record_encode(&decoded, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(rc, overlaynet_result::Ok);
        assert_eq!(&buf[..n], GOLDEN);

        let mut bad = decoded;
        bad.endpoint_prefix_len = 33;
        // SAFETY: live locals.
        let rc =
            unsafe { overlaynet_peer_record_encode(&bad, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(rc, overlaynet_result::InvalidInput);
        bad = decoded;
        bad.tunnel_endpoint_ip.family = 5;
        // SAFETY: live locals.
        let rc =
            unsafe { overlaynet_peer_record_encode(&bad, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(rc, overlaynet_result::InvalidEnum);
    }

    #[test]
    fn peer_errors_map_to_their_category() {
        use crate::peer::PeerError;
        let cases = [
            (
                PeerError::UnknownNetwork {
                    network: "n".into(),
                },
                overlaynet_result::NotFound,
            ),
            (
                PeerError::NetworkExists {
                    network: "n".into(),
                },
                overlaynet_result::Conflict,
            ),
            (
                PeerError::InvalidEndpointId,
                overlaynet_result::InvalidInput,
            ),
            (
                PeerError::OwnVtep {
                    vtep: IpAddr::from([1, 2, 3, 4]),
                },
                overlaynet_result::Refused,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(overlaynet_result::from_error(&error.into()), code);
        }
    }
}
