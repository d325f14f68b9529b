//! One network's peer table: who holds which endpoint IP, which entry is programmed into the
//! kernel, and the exact kernel changes ([`PeerDelta`]) each mutation implies.
//!
//! Docker's rule (moby `peerdb.go`), modelled exactly where it is sound:
//! * Entries are keyed by endpoint IP; several entries may hold one IP while gossip catches up
//!   (IP released on one host and reused on another before the delete arrives).
//! * At most one entry per IP is *programmed* (neighbour + FDB entry on the subnet's VXLAN
//!   device). Local entries (no VTEP) are never programmed: the local endpoint's veth is the
//!   kernel state. A remote entry is programmed when it arrives and no entry of its IP is;
//!   otherwise it waits. When the programmed entry leaves, the **oldest surviving remote
//!   entry** is programmed (Docker takes an arbitrary survivor from a Go map, and may "restore"
//!   a local survivor with an invalid VTEP; we never do).
//! * FDB entries are reference-counted per (subnet, VTEP, MAC) over *programmed* entries, like
//!   moby's `fdbCnt` (which is bumped in `addNeighbor`); the count is derived from the MAC
//!   index, so it cannot drift. A VTEP's tunnel is needed while it has a programmed entry.
//!
//! * Entries are keyed by IP *address*: the kernel holds one neighbour per address, so an
//!   address reachable under two prefix lengths (overlapping subnets) is still one key.
//! * The MAC index holds one item per entry; MAC lookups and FDB refcounts visit the items
//!   with the MAC's hash, normally one (Docker derives MACs from IPs; duplicates are
//!   transient).
//! * Deltas follow moby's addNeighbor/deleteNeighbor: add = tunnel, neighbour, FDB; remove = FDB,
//!   neighbour, tunnel. (Newer moby deletes the neighbour before the FDB entry; both orders
//!   leave the same window of dropped frames, and the tunnel goes last in both.)
//!
//! Layout, sized for a million entries in at most 128 bytes each (see `BENCHMARKS.md`):
//! * a slab of 72-byte entries under stable `u32` indices ([`super::slab`]);
//! * per address family, an open-addressing IP index whose 16-byte buckets hold the address,
//!   the oldest entry's index and MAC, and whether it is the only entry
//!   ([`super::ip_index`]): a lookup by IP in the usual one-entry case touches one index
//!   cache line and no entry;
//! * an open-addressing MAC multimap of 8-byte buckets (slab index and 32 hash bits,
//!   [`super::mac_index`]): a lookup by MAC costs an index miss and a slab read;
//! * interned VTEPs, each with a doubly linked list of its entries ([`super::vtep`]).
//!
//! The index arrays (and the slab as it grows) are advised for transparent huge pages
//! (`crate::sys::hugepages`): at a million entries a random index read otherwise also misses
//! the TLB. Burst lookups ([`PeerTable::get_many`], `table/burst_lookup.rs`) and bulk inserts
//! ([`PeerTable::add_remotes_into`], `table/bulk_insert.rs`) load the index buckets of many
//! keys before using any, so that their cache misses overlap.
//!
//! At a million entries grown one at a time that is 75.5 bytes of slab (72 bytes in a vector
//! of 2²⁰ slots) + 33.5 (2²¹ IP buckets) + 16.8 (2²¹ MAC buckets) ≈ 126 bytes per entry;
//! [`PeerTable::with_capacity`] sizes all three tightly (72 + 21.3 + 10.7 ≈ 104).
//!
//! The table never performs I/O; callers apply the returned deltas.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::wire::MacAddr;

use super::delta::coalesce;
use super::eid::EndpointId;
use super::event::{EventOutcome, PeerEvent};
use super::ip_index::{Found, Head, IpIndex};
use super::mac_index::MacIndex;
use super::slab::{NewSlot, Slab, Slot};
use super::vtep::{NIL, Vteps};
use super::{PeerDelta, PeerError};

mod bulk_insert;
mod burst_lookup;

/// What a peer table needs to know about its network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTableConfig {
    /// The network id (used in error messages and by [`super::PeerDb`]).
    pub network: String,
    /// The network's subnets. An endpoint IP must fall in one of them with the same prefix
    /// length (moby's `getSubnetforIP`).
    pub subnets: Vec<IpNet>,
    /// This host's own VTEP (data-path address). It fixes the underlay address family, and
    /// gossiped records carrying it are our own endpoints and are ignored.
    pub local_vtep: IpAddr,
}

/// The result of a mutation: what happened, and the kernel changes it implies, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Changes<O> {
    /// What happened to the table.
    pub outcome: O,
    /// The kernel changes, in the order they must be applied. Empty when nothing changes.
    pub deltas: Vec<PeerDelta>,
}

/// The outcome of an add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new entry entered the table.
    Inserted,
    /// The identical entry was already there (moby: "peerAdd: entry already present in db").
    AlreadyPresent,
}

/// The outcome of a remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// The entry left the table.
    Removed,
    /// No such entry: gossip delivers deletes out of order, so this is not an error
    /// (moby: "Peer entry was not in db").
    NotFound,
}

/// Summary of one VTEP (remote host) in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VtepInfo {
    /// The host's VTEP address.
    pub vtep: IpAddr,
    /// Entries behind it.
    pub entries: u32,
    /// Programmed entries behind it; its tunnel is needed while this is non-zero.
    pub programmed: u32,
}

/// A subnet as integers, for the membership test every add and remove makes: the
/// same answer as `prefix_len == && IpNet::contains`, in a few instructions instead of
/// about fifty.
#[derive(Clone)]
struct SubnetKey {
    v6: bool,
    prefix: u8,
    /// The network address and netmask, IPv4 in the low 32 bits.
    network: u128,
    mask: u128,
}

impl SubnetKey {
    fn new(net: &IpNet) -> Self {
        SubnetKey {
            v6: net.addr().is_ipv6(),
            prefix: net.prefix_len(),
            network: ip_bits(net.network()),
            mask: ip_bits(net.netmask()),
        }
    }

    /// Whether `ip` (address and prefix length) belongs to this subnet.
    #[inline]
    fn matches(&self, ip: IpNet) -> bool {
        let addr = ip.addr();
        self.v6 == addr.is_ipv6()
            && self.prefix == ip.prefix_len()
            && ip_bits(addr) & self.mask == self.network
    }
}

fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

/// What a programmed entry puts into the kernel.
struct Neighbour {
    subnet: IpNet,
    ip: IpAddr,
    mac: MacAddr,
    vtep: IpAddr,
}

/// A validated (eid, ip, mac, vtep) tuple.
struct Valid {
    eid: EndpointId,
    ip: IpNet,
    subnet: u16,
    mac: MacAddr,
    vtep: Option<IpAddr>,
}

/// The peer table of one network.
#[derive(Clone)]
pub struct PeerTable {
    config: PeerTableConfig,
    /// `config.subnets`, in the same order, for fast membership tests.
    subnet_keys: Vec<SubnetKey>,
    slab: Slab,
    /// IPv4 endpoint address → oldest entry with that address.
    by_ip4: IpIndex<Ipv4Addr>,
    /// IPv6 endpoint address → oldest entry with that address.
    by_ip6: IpIndex<Ipv6Addr>,
    /// MAC → its entries.
    by_mac: MacIndex,
    vteps: Vteps,
}

impl std::fmt::Debug for PeerTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerTable")
            .field("network", &self.config.network)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

/// A borrowed view of one entry.
#[derive(Clone, Copy)]
pub struct PeerRef<'a> {
    table: &'a PeerTable,
    idx: u32,
    /// Copied out when the view is made, so that a lookup by IP answered from the IP index
    /// can report the MAC without reading the entry.
    mac: MacAddr,
}

impl<'a> PeerRef<'a> {
    fn slot(&self) -> &'a Slot {
        self.table.slab.get(self.idx)
    }
    /// The endpoint id.
    pub fn eid(&self) -> &'a EndpointId {
        &self.slot().eid
    }
    /// The endpoint IP with its prefix length.
    pub fn ip(&self) -> IpNet {
        self.table.entry_ip(self.slot())
    }
    /// The endpoint MAC.
    #[inline]
    pub fn mac(&self) -> MacAddr {
        self.mac
    }
    /// The remote host's VTEP; `None` for a local endpoint.
    pub fn vtep(&self) -> Option<IpAddr> {
        self.table.vteps.get(self.slot().vtep).map(|v| v.addr)
    }
    /// Whether this is a local endpoint.
    pub fn is_local(&self) -> bool {
        self.slot().is_local()
    }
    /// Whether this entry is the one programmed into the kernel for its IP.
    pub fn is_programmed(&self) -> bool {
        self.slot().is_programmed()
    }
    /// The subnet of the network the IP belongs to.
    pub fn subnet(&self) -> IpNet {
        self.table.config.subnets[self.slot().subnet as usize]
    }
}

impl std::fmt::Debug for PeerRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerRef")
            .field("eid", self.eid())
            .field("ip", &self.ip())
            .field("mac", &self.mac())
            .field("vtep", &self.vtep())
            .field("programmed", &self.is_programmed())
            .finish()
    }
}

fn is_usable_vtep(ip: IpAddr) -> bool {
    !ip.is_unspecified() && !ip.is_multicast() && !matches!(ip, IpAddr::V4(v4) if v4.is_broadcast())
}

impl PeerTable {
    /// An empty table for one network.
    pub fn new(config: PeerTableConfig) -> Result<Self, PeerError> {
        if config.subnets.is_empty() {
            return Err(PeerError::NoSubnets {
                network: config.network,
            });
        }
        if config.subnets.len() > usize::from(u16::MAX) {
            return Err(PeerError::TooManySubnets {
                network: config.network,
                count: config.subnets.len(),
            });
        }
        if !is_usable_vtep(config.local_vtep) {
            return Err(PeerError::InvalidLocalVtep {
                vtep: config.local_vtep,
                network: config.network,
            });
        }
        Ok(PeerTable {
            subnet_keys: config.subnets.iter().map(SubnetKey::new).collect(),
            config,
            slab: Slab::default(),
            by_ip4: IpIndex::default(),
            by_ip6: IpIndex::default(),
            by_mac: MacIndex::default(),
            vteps: Vteps::default(),
        })
    }

    /// An empty table with room for `capacity` entries, so that filling it never rehashes
    /// or moves the entry storage (see [`PeerTable::reserve`]).
    pub fn with_capacity(config: PeerTableConfig, capacity: usize) -> Result<Self, PeerError> {
        let mut table = PeerTable::new(config)?;
        table.reserve(capacity);
        Ok(table)
    }

    /// The configuration the table was built with.
    pub fn config(&self) -> &PeerTableConfig {
        &self.config
    }

    /// Number of entries (local and remote, programmed or waiting).
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reserves room for `additional` more entries. The IP index of each address family
    /// that the network's subnets use gets room for `additional` more addresses.
    pub fn reserve(&mut self, additional: usize) {
        self.slab.reserve(additional);
        if self.config.subnets.iter().any(|s| s.addr().is_ipv4()) {
            self.by_ip4.reserve(additional);
        }
        if self.config.subnets.iter().any(|s| s.addr().is_ipv6()) {
            self.by_ip6.reserve(additional);
        }
        self.by_mac.reserve(additional);
    }

    // ---- mutations ------------------------------------------------------------------------
    //
    // Each mutation comes in two forms: one returning [`Changes`], and an `_into` form that
    // appends the deltas to a caller-owned buffer (no allocation once the buffer has grown).
    // On error nothing is appended and nothing changes.

    /// A local endpoint joined (moby's `peerAdd` with an invalid VTEP). Never programs
    /// anything, but takes part in duplicate-IP bookkeeping.
    pub fn add_local(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
    ) -> Result<Changes<Added>, PeerError> {
        with_changes(|d| self.add_local_into(eid, ip, mac, d))
    }

    /// [`PeerTable::add_local`], appending the deltas to `deltas`.
    pub fn add_local_into(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        deltas: &mut Vec<PeerDelta>,
    ) -> Result<Added, PeerError> {
        let valid = self.validate(eid, ip, mac, None)?;
        Ok(self.insert_valid(valid, deltas))
    }

    /// A local endpoint left.
    pub fn remove_local(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
    ) -> Result<Changes<Removed>, PeerError> {
        with_changes(|d| self.remove_local_into(eid, ip, mac, d))
    }

    /// [`PeerTable::remove_local`], appending the deltas to `deltas`.
    pub fn remove_local_into(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        deltas: &mut Vec<PeerDelta>,
    ) -> Result<Removed, PeerError> {
        let valid = self.validate(eid, ip, mac, None)?;
        Ok(self.remove_valid(&valid, deltas))
    }

    /// A remote endpoint behind `vtep` appeared. `vtep` must not be our own VTEP.
    pub fn add_remote(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        vtep: IpAddr,
    ) -> Result<Changes<Added>, PeerError> {
        with_changes(|d| self.add_remote_into(eid, ip, mac, vtep, d))
    }

    /// [`PeerTable::add_remote`], appending the deltas to `deltas`.
    pub fn add_remote_into(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        vtep: IpAddr,
        deltas: &mut Vec<PeerDelta>,
    ) -> Result<Added, PeerError> {
        let valid = self.validate(eid, ip, mac, Some(vtep))?;
        Ok(self.insert_valid(valid, deltas))
    }

    /// A remote endpoint went away. Removing an absent entry is not an error.
    pub fn remove_remote(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        vtep: IpAddr,
    ) -> Result<Changes<Removed>, PeerError> {
        with_changes(|d| self.remove_remote_into(eid, ip, mac, vtep, d))
    }

    /// [`PeerTable::remove_remote`], appending the deltas to `deltas`.
    pub fn remove_remote_into(
        &mut self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        vtep: IpAddr,
        deltas: &mut Vec<PeerDelta>,
    ) -> Result<Removed, PeerError> {
        let valid = self.validate(eid, ip, mac, Some(vtep))?;
        Ok(self.remove_valid(&valid, deltas))
    }

    /// Applies a NetworkDB event with moby's `EventNotify` semantics: records carrying our own
    /// VTEP are ignored, an update whose two records are equal is a no-op, otherwise the
    /// previous record is deleted and the new one added. Both records are validated before
    /// anything changes. Kernel changes that cancel out (a tunnel or FDB entry removed and
    /// re-added) are left out.
    pub fn apply_event(&mut self, event: &PeerEvent) -> Result<Changes<EventOutcome>, PeerError> {
        with_changes(|d| self.apply_event_into(event, d))
    }

    /// [`PeerTable::apply_event`], appending the deltas to `deltas`.
    pub fn apply_event_into(
        &mut self,
        event: &PeerEvent,
        deltas: &mut Vec<PeerDelta>,
    ) -> Result<EventOutcome, PeerError> {
        let eid = event.eid();
        let own = self.config.local_vtep;
        let (prev, new) = event.records();
        let prev = prev.filter(|r| r.tunnel_endpoint_ip != own);
        let new = new.filter(|r| r.tunnel_endpoint_ip != own);
        if prev.is_none() && new.is_none() {
            return Ok(EventOutcome::Ignored);
        }
        if prev.is_some() && prev == new {
            return Ok(EventOutcome::Unchanged);
        }
        let validate = |r: &super::PeerRecord| {
            self.validate(
                eid,
                r.endpoint_ip,
                r.endpoint_mac,
                Some(r.tunnel_endpoint_ip),
            )
        };
        let prev = prev.map(validate).transpose()?;
        let new = new.map(validate).transpose()?;

        let start = deltas.len();
        let removed = prev.map(|valid| self.remove_valid(&valid, deltas));
        let added = new.map(|valid| self.insert_valid(valid, deltas));
        coalesce(deltas, start);
        Ok(EventOutcome::Applied { removed, added })
    }

    /// Removes every entry, returning the deltas that undo all programmed state (what leaving
    /// the network implies).
    pub fn clear(&mut self) -> Vec<PeerDelta> {
        let mut deltas = Vec::new();
        let programmed: Vec<u32> = self
            .slab
            .iter()
            .filter(|(_, s)| s.is_programmed())
            .map(|(i, _)| i)
            .collect();
        for i in programmed {
            self.unprogram(i, &mut deltas);
        }
        self.slab.clear();
        self.by_ip4.clear();
        self.by_ip6.clear();
        self.by_mac.clear();
        self.vteps = Vteps::default();
        deltas
    }

    // ---- lookups --------------------------------------------------------------------------

    /// The entry that answers for `ip`: the programmed one if any, else the oldest.
    // The IPv4 one-entry case is inlined into callers (a few dozen instructions), so that
    // independent lookups in a caller's loop overlap their cache misses: 1.5–1.8× faster
    // than a call in `benches/peer.rs` (10k to 1M entries).
    #[inline(always)]
    pub fn get(&self, ip: IpAddr) -> Option<PeerRef<'_>> {
        let head = match ip {
            IpAddr::V4(v4) => *self.by_ip4.get(v4)?,
            IpAddr::V6(v6) => return self.get_v6(v6),
        };
        self.answer(head)
    }

    #[inline(never)]
    fn get_v6(&self, ip: Ipv6Addr) -> Option<PeerRef<'_>> {
        self.answer(*self.by_ip6.get(ip)?)
    }

    #[inline(always)]
    fn answer(&self, head: Head) -> Option<PeerRef<'_>> {
        if head.single {
            // Answered from the index bucket alone.
            return Some(PeerRef {
                table: self,
                idx: head.slot,
                mac: head.mac,
            });
        }
        self.answer_in_chain(head.slot)
    }

    /// The programmed entry of the IP chain at `head`, else the oldest.
    #[inline(never)]
    fn answer_in_chain(&self, head: u32) -> Option<PeerRef<'_>> {
        let mut first = None;
        for entry in self.chain(head, |s| s.next_ip) {
            if entry.is_programmed() {
                return Some(entry);
            }
            first = first.or(Some(entry));
        }
        first
    }

    /// Every entry holding `ip`, oldest first (more than one only transiently).
    pub fn entries_at(&self, ip: IpAddr) -> impl Iterator<Item = PeerRef<'_>> + '_ {
        let head = self.ip_head(ip).map_or(NIL, |h| h.slot);
        self.chain(head, |s| s.next_ip)
    }

    /// One entry with `mac` (the programmed one if any).
    pub fn get_by_mac(&self, mac: MacAddr) -> Option<PeerRef<'_>> {
        let mut first = None;
        for entry in self.entries_with_mac(mac) {
            if entry.is_programmed() {
                return Some(entry);
            }
            first = first.or(Some(entry));
        }
        first
    }

    /// Every entry with `mac`.
    pub fn entries_with_mac(&self, mac: MacAddr) -> impl Iterator<Item = PeerRef<'_>> + '_ {
        self.by_mac
            .candidates(mac)
            .filter(move |&i| self.slab.get(i).mac == mac)
            .map(move |i| PeerRef {
                table: self,
                idx: i,
                mac,
            })
    }

    /// Every entry, in storage order.
    pub fn iter(&self) -> impl Iterator<Item = PeerRef<'_>> + '_ {
        self.slab.iter().map(move |(i, slot)| PeerRef {
            table: self,
            idx: i,
            mac: slot.mac,
        })
    }

    /// Every programmed entry: exactly the neighbour entries in the kernel.
    pub fn programmed(&self) -> impl Iterator<Item = PeerRef<'_>> + '_ {
        self.iter().filter(PeerRef::is_programmed)
    }

    /// Every entry behind `vtep`.
    pub fn entries_behind(&self, vtep: IpAddr) -> impl Iterator<Item = PeerRef<'_>> + '_ {
        let head = self
            .vteps
            .find(vtep)
            .and_then(|i| self.vteps.get(i))
            .map_or(NIL, |v| v.head);
        self.chain(head, |s| s.vtep_next)
    }

    /// The remote VTEPs that have entries.
    pub fn vteps(&self) -> impl Iterator<Item = VtepInfo> + '_ {
        self.vteps.iter().map(|v| VtepInfo {
            vtep: v.addr,
            entries: v.entries,
            programmed: v.programmed,
        })
    }

    /// The VTEP's summary, if it has entries.
    pub fn vtep(&self, vtep: IpAddr) -> Option<VtepInfo> {
        let v = self.vteps.get(self.vteps.find(vtep)?)?;
        Some(VtepInfo {
            vtep: v.addr,
            entries: v.entries,
            programmed: v.programmed,
        })
    }

    /// How many programmed entries use the FDB entry `mac → vtep` (summed over subnets).
    pub fn fdb_refcount(&self, vtep: IpAddr, mac: MacAddr) -> u32 {
        let Some(v) = self.vteps.find(vtep) else {
            return 0;
        };
        self.entries_with_mac(mac)
            .filter(|e| e.is_programmed() && e.slot().vtep == v)
            .count() as u32
    }

    // ---- internals ------------------------------------------------------------------------

    fn chain(&self, head: u32, next: fn(&Slot) -> u32) -> impl Iterator<Item = PeerRef<'_>> + '_ {
        let mut cur = head;
        std::iter::from_fn(move || {
            let slot = self.slab.try_get(cur)?;
            let entry = PeerRef {
                table: self,
                idx: cur,
                mac: slot.mac,
            };
            cur = next(slot);
            Some(entry)
        })
    }

    fn slot(&self, i: u32) -> &Slot {
        self.slab.get(i)
    }

    fn slot_mut(&mut self, i: u32) -> &mut Slot {
        self.slab.get_mut(i)
    }

    /// The entry's IP with its subnet's prefix length.
    fn entry_ip(&self, slot: &Slot) -> IpNet {
        let prefix = self.config.subnets[slot.subnet as usize].prefix_len();
        // The subnet contains the address (checked on insert), so the prefix length fits.
        IpNet::new_assert(self.slab.ip(slot), prefix)
    }

    #[inline]
    fn ip_head(&self, ip: IpAddr) -> Option<Head> {
        match ip {
            IpAddr::V4(v4) => self.by_ip4.get(v4).copied(),
            IpAddr::V6(v6) => self.by_ip6.get(v6).copied(),
        }
    }

    fn ip_head_mut(&mut self, ip: IpAddr) -> Option<&mut Head> {
        match ip {
            IpAddr::V4(v4) => self.by_ip4.get_mut(v4),
            IpAddr::V6(v6) => self.by_ip6.get_mut(v6),
        }
    }

    fn validate(
        &self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        vtep: Option<IpAddr>,
    ) -> Result<Valid, PeerError> {
        let subnet = self.check(eid, ip, mac, vtep)?;
        Ok(Valid {
            eid: EndpointId::from_checked(eid),
            ip,
            subnet,
            mac,
            vtep,
        })
    }

    /// Every check [`PeerTable::validate`] makes, in the same order, without building the
    /// entry; returns the index of the subnet `ip` belongs to. Depends on the configuration
    /// only, never on the entries.
    fn check(
        &self,
        eid: &str,
        ip: IpNet,
        mac: MacAddr,
        vtep: Option<IpAddr>,
    ) -> Result<u16, PeerError> {
        EndpointId::check(eid)?;
        let subnet = self
            .subnet_keys
            .iter()
            .position(|s| s.matches(ip))
            .ok_or_else(|| PeerError::SubnetNotFound {
                ip,
                network: self.config.network.clone(),
            })?;
        if mac.is_multicast() || mac.0 == [0; 6] {
            return Err(PeerError::InvalidMac { mac });
        }
        if let Some(vtep) = vtep {
            let local = self.config.local_vtep;
            if vtep.is_ipv4() != local.is_ipv4() {
                let expected = if local.is_ipv4() { "IPv4" } else { "IPv6" };
                return Err(PeerError::VtepFamily {
                    vtep,
                    local,
                    expected,
                });
            }
            if !is_usable_vtep(vtep) {
                return Err(PeerError::InvalidVtep { vtep });
            }
            if vtep == local {
                return Err(PeerError::OwnVtep { vtep });
            }
        }
        Ok(subnet as u16)
    }

    /// The entry equal to `v` in the IP chain starting at `head`. Every entry of the chain
    /// has `v`'s address, so the address itself is not compared.
    fn find_valid(&self, v: &Valid, head: u32) -> Option<u32> {
        let vtep = match v.vtep {
            Some(addr) => self.vteps.find(addr)?,
            None => NIL,
        };
        let mut cur = head;
        while cur != NIL {
            let s = self.slot(cur);
            if s.vtep == vtep && s.mac == v.mac && s.subnet == v.subnet && s.eid == v.eid {
                return Some(cur);
            }
            cur = s.next_ip;
        }
        None
    }

    fn insert_valid(&mut self, v: Valid, deltas: &mut Vec<PeerDelta>) -> Added {
        let ip = v.ip.addr();
        // One probe finds the address's chain or the bucket where it will go.
        let found = match ip {
            IpAddr::V4(v4) => self.by_ip4.find_for_insert(v4),
            IpAddr::V6(v6) => self.by_ip6.find_for_insert(v6),
        };
        if let Found::At(_, head) = found {
            if self.find_valid(&v, head.slot).is_some() {
                return Added::AlreadyPresent;
            }
        }
        // Index the MAC before anything else: its probe does not depend on the IP probe
        // above, so the two cache misses overlap instead of following each other.
        let mac = v.mac;
        let idx = self.slab.next_index();
        let mac_maybe_shared = self.by_mac.insert(mac, idx);

        let vtep = v.vtep.map_or(NIL, |addr| self.vteps.intern(addr));
        let vtep_head = self.vteps.get(vtep).map_or(NIL, |x| x.head);
        let stored = self.slab.insert(NewSlot {
            eid: v.eid,
            ip,
            mac,
            subnet: v.subnet,
            vtep,
            vtep_next: vtep_head,
        });
        debug_assert_eq!(stored, idx);

        // Per-VTEP list: push front.
        if let Some(x) = self.vteps.get_mut(vtep) {
            x.head = idx;
            x.entries += 1;
        }
        if vtep_head != NIL {
            self.slot_mut(vtep_head).vtep_prev = idx;
        }

        // Per-IP chain: append, so the chain stays oldest first.
        let mut ip_has_programmed = false;
        match found {
            Found::At(pos, head) => {
                let mut tail = head.slot;
                loop {
                    let s = self.slot(tail);
                    ip_has_programmed |= s.is_programmed();
                    if s.next_ip == NIL {
                        break;
                    }
                    tail = s.next_ip;
                }
                self.slot_mut(tail).next_ip = idx;
                match ip {
                    IpAddr::V4(_) => self.by_ip4.head_at_mut(pos).single = false,
                    IpAddr::V6(_) => self.by_ip6.head_at_mut(pos).single = false,
                }
            }
            Found::Vacant(pos) => {
                let head = Head {
                    slot: idx,
                    mac,
                    single: true,
                };
                match ip {
                    IpAddr::V4(v4) => self.by_ip4.fill(pos, v4, head),
                    IpAddr::V6(v6) => self.by_ip6.fill(pos, v6, head),
                }
            }
        }

        if let (Some(vtep_addr), false) = (v.vtep, ip_has_programmed) {
            // The fields are at hand: no need to read them back from the entry.
            let neighbour = Neighbour {
                subnet: self.config.subnets[usize::from(v.subnet)],
                ip,
                mac,
                vtep: vtep_addr,
            };
            self.program_as(idx, neighbour, mac_maybe_shared, deltas);
        }
        Added::Inserted
    }

    fn remove_valid(&mut self, v: &Valid, deltas: &mut Vec<PeerDelta>) -> Removed {
        let ip = v.ip.addr();
        let Some(idx) = self
            .ip_head(ip)
            .and_then(|head| self.find_valid(v, head.slot))
        else {
            return Removed::NotFound;
        };
        self.unlink_ip(ip, idx);
        self.unlink_mac(idx);
        self.unlink_vtep(idx);

        let start = deltas.len();
        if self.slot(idx).is_programmed() {
            self.unprogram(idx, deltas);
            // The oldest surviving remote entry takes over; local survivors need nothing.
            let mut cur = self.ip_head(ip).map_or(NIL, |h| h.slot);
            while cur != NIL && self.slot(cur).is_local() {
                cur = self.slot(cur).next_ip;
            }
            if cur != NIL {
                self.program(cur, deltas);
            }
        }

        let vtep = self.slot(idx).vtep;
        self.slab.remove(idx);
        if let Some(x) = self.vteps.get_mut(vtep) {
            x.entries -= 1;
            self.vteps.release_if_unused(vtep);
        }
        coalesce(deltas, start);
        Removed::Removed
    }

    /// Unlinks entry `idx` from the chain of `ip`, keeping the index bucket's copy of the
    /// head (index, MAC, only-entry flag) exact.
    fn unlink_ip(&mut self, ip: IpAddr, idx: u32) {
        let successor = std::mem::replace(&mut self.slot_mut(idx).next_ip, NIL);
        let Some(head) = self.ip_head(ip) else {
            return;
        };
        if head.slot == idx {
            if successor == NIL {
                match ip {
                    IpAddr::V4(v4) => self.by_ip4.remove(v4),
                    IpAddr::V6(v6) => self.by_ip6.remove(v6),
                };
                return;
            }
            let s = self.slot(successor);
            let new_head = Head {
                slot: successor,
                mac: s.mac,
                single: s.next_ip == NIL,
            };
            if let Some(head) = self.ip_head_mut(ip) {
                *head = new_head;
            }
            return;
        }
        let mut cur = head.slot;
        while cur != NIL {
            let link = &mut self.slot_mut(cur).next_ip;
            if *link == idx {
                *link = successor;
                break;
            }
            cur = *link;
        }
        let single = self.slot(head.slot).next_ip == NIL;
        if let Some(head) = self.ip_head_mut(ip) {
            head.single = single;
        }
    }

    fn unlink_mac(&mut self, idx: u32) {
        let mac = self.slot(idx).mac;
        self.by_mac.remove(mac, idx);
    }

    fn unlink_vtep(&mut self, idx: u32) {
        let (vtep, prev, next) = {
            let s = self.slot(idx);
            (s.vtep, s.vtep_prev, s.vtep_next)
        };
        if prev == NIL {
            if let Some(x) = self.vteps.get_mut(vtep) {
                x.head = next;
            }
        } else {
            self.slot_mut(prev).vtep_next = next;
        }
        if next != NIL {
            self.slot_mut(next).vtep_prev = prev;
        }
        let s = self.slot_mut(idx);
        s.vtep_prev = NIL;
        s.vtep_next = NIL;
    }

    /// Whether a programmed entry other than `idx` uses the FDB entry (subnet, MAC, VTEP) of
    /// entry `idx`: the FDB entry is added with its first user and removed with its last.
    fn fdb_entry_shared(&self, idx: u32) -> bool {
        let s = self.slot(idx);
        self.by_mac.candidates(s.mac).any(|i| {
            let other = self.slot(i);
            i != idx
                && other.is_programmed()
                && other.mac == s.mac
                && other.vtep == s.vtep
                && other.subnet == s.subnet
        })
    }

    fn neighbour_fields(&self, idx: u32) -> Neighbour {
        let s = self.slot(idx);
        let subnet = self.config.subnets[s.subnet as usize];
        let vtep = self
            .vteps
            .get(s.vtep)
            .map_or(self.config.local_vtep, |v| v.addr);
        Neighbour {
            subnet,
            ip: self.slab.ip(s),
            mac: s.mac,
            vtep,
        }
    }

    /// Programs remote entry `idx`: tunnel (first user), neighbour, FDB (first user).
    fn program(&mut self, idx: u32, deltas: &mut Vec<PeerDelta>) {
        let neighbour = self.neighbour_fields(idx);
        self.program_as(idx, neighbour, true, deltas);
    }

    /// [`PeerTable::program`] with the entry's fields given. `fdb_maybe_shared: false` says
    /// that no other entry has the MAC, so the FDB entry is certainly new.
    fn program_as(
        &mut self,
        idx: u32,
        n: Neighbour,
        fdb_maybe_shared: bool,
        deltas: &mut Vec<PeerDelta>,
    ) {
        let Neighbour {
            subnet,
            ip,
            mac,
            vtep,
        } = n;
        let vtep_idx = self.slot(idx).vtep;
        self.slot_mut(idx).set_programmed(true);
        if let Some(v) = self.vteps.get_mut(vtep_idx) {
            v.programmed += 1;
            if v.programmed == 1 {
                deltas.push(PeerDelta::TunnelUp { vtep });
            }
        }
        deltas.push(PeerDelta::NeighbourAdd { subnet, ip, mac });
        if !(fdb_maybe_shared && self.fdb_entry_shared(idx)) {
            deltas.push(PeerDelta::FdbAdd { subnet, mac, vtep });
        }
    }

    /// Unprograms entry `idx`: FDB (last user), neighbour, tunnel (last user).
    fn unprogram(&mut self, idx: u32, deltas: &mut Vec<PeerDelta>) {
        let Neighbour {
            subnet,
            ip,
            mac,
            vtep,
        } = self.neighbour_fields(idx);
        let vtep_idx = self.slot(idx).vtep;
        self.slot_mut(idx).set_programmed(false);
        if !self.fdb_entry_shared(idx) {
            deltas.push(PeerDelta::FdbRemove { subnet, mac, vtep });
        }
        deltas.push(PeerDelta::NeighbourRemove { subnet, ip, mac });
        if let Some(v) = self.vteps.get_mut(vtep_idx) {
            v.programmed -= 1;
            if v.programmed == 0 {
                deltas.push(PeerDelta::TunnelDown { vtep });
            }
        }
    }
}

/// Runs an `_into` mutation with a fresh buffer.
fn with_changes<O>(
    f: impl FnOnce(&mut Vec<PeerDelta>) -> Result<O, PeerError>,
) -> Result<Changes<O>, PeerError> {
    let mut deltas = Vec::new();
    let outcome = f(&mut deltas)?;
    Ok(Changes { outcome, deltas })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_keys_agree_with_ipnet_contains() {
        let subnets: Vec<IpNet> = [
            "10.0.0.0/8",
            "10.1.2.0/24",
            "0.0.0.0/0",
            "192.168.1.7/32",
            "fd00::/64",
            "::/0",
            "fd00::1/128",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut members = 0;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ip: IpNet = if x & 1 == 0 {
                // Addresses near the IPv4 subnets, any prefix length.
                let bits = [0x0a00_0000, 0x0a01_0200, 0xc0a8_0107, 0][(x >> 1) as usize % 4]
                    ^ (x >> 8) as u32 & [0, 0xff, 0xffff, u32::MAX][(x >> 3) as usize % 4];
                IpNet::new(IpAddr::from(bits.to_be_bytes()), (x >> 40) as u8 % 33).unwrap()
            } else {
                let bits = 0xfd00_u128 << 112
                    | u128::from(x >> 8) & [0, 1, u128::from(u64::MAX)][(x >> 3) as usize % 3];
                let bits = if x & 2 == 0 { bits } else { bits | 1 << 70 };
                let addr = IpAddr::V6(Ipv6Addr::from(bits));
                IpNet::new(addr, [64, 128, 0, 48][(x >> 40) as usize % 4]).unwrap()
            };
            for s in &subnets {
                let want = s.prefix_len() == ip.prefix_len() && s.contains(&ip.addr());
                assert_eq!(SubnetKey::new(s).matches(ip), want, "{ip} in {s}");
                members += usize::from(want);
            }
        }
        assert!(
            members > 500,
            "both answers are exercised ({members} members)"
        );
    }
}
