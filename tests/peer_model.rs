//! Model-based property test of the peer table. Random add/remove/update sequences (with
//! duplicates, out-of-order deletes, re-adds, our own records and invalid input) run against
//! the table and against a plain reference model of Docker's rule; the returned deltas are
//! applied to a strict in-memory "kernel" that refuses anything the real one would (adding an
//! existing neighbour, an FDB entry without its tunnel, tearing down a tunnel still in use, …).
//! After every step the kernel must hold exactly what the table says is programmed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use overlaynet::peer::{PeerDelta, PeerEvent, PeerRecord, PeerTable, PeerTableConfig};
use overlaynet::wire::MacAddr;
use proptest::prelude::*;

const OWN_VTEP: [u8; 4] = [192, 168, 1, 10];
const EIDS: [&str; 3] = [
    "e0",
    "e1",
    "4f3e9a1c0b2d4e6f8a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
];
const IPS: [&str; 4] = ["10.0.1.1/24", "10.0.1.2/24", "10.0.1.3/24", "10.0.2.1/24"];
/// Index 0 is "local" (no VTEP), the last one is our own VTEP.
const VTEPS: [Option<[u8; 4]>; 4] = [
    None,
    Some([192, 168, 1, 20]),
    Some([192, 168, 1, 30]),
    Some(OWN_VTEP),
];

fn subnets() -> Vec<IpNet> {
    vec![
        "10.0.1.0/24".parse().unwrap(),
        "10.0.2.0/24".parse().unwrap(),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    eid: usize,
    ip: usize,
    mac: u8,
    vtep: usize,
}

impl Entry {
    fn ip(&self) -> IpNet {
        IPS[self.ip].parse().unwrap()
    }
    fn mac(&self) -> MacAddr {
        MacAddr([0x02, 0x42, 0, 0, 0, self.mac])
    }
    fn vtep(&self) -> Option<IpAddr> {
        VTEPS[self.vtep].map(IpAddr::from)
    }
    fn record(&self) -> PeerRecord {
        PeerRecord {
            endpoint_ip: self.ip(),
            endpoint_mac: self.mac(),
            tunnel_endpoint_ip: self.vtep().unwrap_or(IpAddr::from(OWN_VTEP)),
        }
    }
    fn is_own(&self) -> bool {
        VTEPS[self.vtep] == Some(OWN_VTEP)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Add(Entry),
    Remove(Entry),
    Create(Entry),
    Delete(Entry),
    Update(Entry, Entry),
    /// An endpoint IP outside every subnet: must fail and change nothing.
    AddOutside(Entry),
}

fn entry() -> impl Strategy<Value = Entry> {
    (0..EIDS.len(), 0..IPS.len(), 1u8..4, 0..VTEPS.len()).prop_map(|(eid, ip, mac, vtep)| Entry {
        eid,
        ip,
        mac,
        vtep,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => entry().prop_map(Op::Add),
        2 => entry().prop_map(Op::Remove),
        3 => entry().prop_map(Op::Create),
        2 => entry().prop_map(Op::Delete),
        2 => (entry(), entry()).prop_map(|(a, b)| Op::Update(a, b)),
        1 => entry().prop_map(Op::AddOutside),
    ]
}

/// Docker's rule in its plainest form.
#[derive(Default)]
struct Model {
    /// Insertion order.
    entries: Vec<Entry>,
    /// Endpoint IP index → the programmed entry.
    programmed: BTreeMap<usize, Entry>,
}

impl Model {
    fn add(&mut self, e: Entry) {
        if self.entries.contains(&e) {
            return;
        }
        self.entries.push(e);
        if e.vtep != 0 && !self.programmed.contains_key(&e.ip) {
            self.programmed.insert(e.ip, e);
        }
    }
    fn remove(&mut self, e: Entry) {
        let Some(pos) = self.entries.iter().position(|x| *x == e) else {
            return;
        };
        self.entries.remove(pos);
        if self.programmed.get(&e.ip) == Some(&e) {
            self.programmed.remove(&e.ip);
            if let Some(next) = self.entries.iter().find(|x| x.ip == e.ip && x.vtep != 0) {
                self.programmed.insert(e.ip, *next);
            }
        }
    }
    fn event(&mut self, prev: Option<Entry>, new: Option<Entry>) {
        let prev = prev.filter(|e| !e.is_own());
        let new = new.filter(|e| !e.is_own());
        if prev.is_some() && prev == new {
            return;
        }
        if let Some(p) = prev {
            self.remove(p);
        }
        if let Some(n) = new {
            self.add(n);
        }
    }
}

/// A kernel that refuses what Linux would refuse, plus our ordering rules.
#[derive(Default, Debug, PartialEq)]
struct Kernel {
    neighbours: BTreeMap<(IpNet, IpAddr), MacAddr>,
    fdb: BTreeSet<(IpNet, MacAddr, IpAddr)>,
    tunnels: BTreeSet<IpAddr>,
}

impl Kernel {
    fn apply(&mut self, d: &PeerDelta) -> Result<(), String> {
        match *d {
            PeerDelta::TunnelUp { vtep } => {
                if !self.tunnels.insert(vtep) {
                    return Err(format!("tunnel {vtep} already up"));
                }
            }
            PeerDelta::TunnelDown { vtep } => {
                if self.fdb.iter().any(|f| f.2 == vtep) {
                    return Err(format!("tunnel {vtep} torn down while FDB entries use it"));
                }
                if !self.tunnels.remove(&vtep) {
                    return Err(format!("tunnel {vtep} was not up"));
                }
            }
            PeerDelta::NeighbourAdd { subnet, ip, mac } => {
                if self.neighbours.keys().any(|k| k.1 == ip) {
                    return Err(format!("neighbour {ip} exists (EEXIST)"));
                }
                self.neighbours.insert((subnet, ip), mac);
            }
            PeerDelta::NeighbourRemove { subnet, ip, mac } => {
                if self.neighbours.remove(&(subnet, ip)) != Some(mac) {
                    return Err(format!("neighbour {ip} {mac} not present (ENOENT)"));
                }
            }
            PeerDelta::FdbAdd { subnet, mac, vtep } => {
                if !self.tunnels.contains(&vtep) {
                    return Err(format!("FDB {mac}->{vtep} added before its tunnel"));
                }
                if !self.fdb.insert((subnet, mac, vtep)) {
                    return Err(format!("FDB {mac}->{vtep} exists"));
                }
            }
            PeerDelta::FdbRemove { subnet, mac, vtep } => {
                if !self.fdb.remove(&(subnet, mac, vtep)) {
                    return Err(format!("FDB {mac}->{vtep} not present"));
                }
            }
        }
        Ok(())
    }
}

fn table() -> PeerTable {
    PeerTable::new(PeerTableConfig {
        network: "model".into(),
        subnets: subnets(),
        local_vtep: IpAddr::from(OWN_VTEP),
    })
    .unwrap()
}

/// Runs `op` on the table, returning its deltas (or None for an expected error).
fn run(t: &mut PeerTable, op: &Op) -> Option<Vec<PeerDelta>> {
    let eid = |e: &Entry| EIDS[e.eid];
    match op {
        Op::Add(e) if e.is_own() => None,
        Op::Remove(e) if e.is_own() => None,
        Op::Add(e) => Some(match e.vtep() {
            None => t.add_local(eid(e), e.ip(), e.mac()).unwrap().deltas,
            Some(v) => t.add_remote(eid(e), e.ip(), e.mac(), v).unwrap().deltas,
        }),
        Op::Remove(e) => Some(match e.vtep() {
            None => t.remove_local(eid(e), e.ip(), e.mac()).unwrap().deltas,
            Some(v) => t.remove_remote(eid(e), e.ip(), e.mac(), v).unwrap().deltas,
        }),
        Op::Create(e) if e.vtep == 0 => None,
        Op::Delete(e) if e.vtep == 0 => None,
        Op::Create(e) => Some(
            t.apply_event(&PeerEvent::Create {
                eid: eid(e).into(),
                record: e.record(),
            })
            .unwrap()
            .deltas,
        ),
        Op::Delete(e) => Some(
            t.apply_event(&PeerEvent::Delete {
                eid: eid(e).into(),
                record: e.record(),
            })
            .unwrap()
            .deltas,
        ),
        // NetworkDB updates keep the key: the eid of the new record is the previous one's.
        Op::Update(p, n) if p.vtep == 0 || n.vtep == 0 => None,
        Op::Update(p, n) => {
            let ev = PeerEvent::Update {
                eid: eid(p).into(),
                prev: p.record(),
                new: n.record(),
            };
            Some(t.apply_event(&ev).unwrap().deltas)
        }
        Op::AddOutside(e) => {
            let outside: IpNet = "10.0.3.1/24".parse().unwrap();
            let r = match e.vtep() {
                None => t.add_local(eid(e), outside, e.mac()).map(|c| c.deltas),
                Some(v) => t.add_remote(eid(e), outside, e.mac(), v).map(|c| c.deltas),
            };
            assert!(r.is_err(), "{op:?} must be refused");
            None
        }
    }
}

fn apply_model(m: &mut Model, op: &Op) {
    match op {
        Op::Add(e) if !e.is_own() => m.add(*e),
        Op::Remove(e) if !e.is_own() => m.remove(*e),
        Op::Create(e) if e.vtep != 0 => m.event(None, Some(*e)),
        Op::Delete(e) if e.vtep != 0 => m.event(Some(*e), None),
        Op::Update(p, n) if p.vtep != 0 && n.vtep != 0 => {
            m.event(Some(*p), Some(Entry { eid: p.eid, ..*n }))
        }
        _ => {}
    }
}

fn check(t: &PeerTable, m: &Model, k: &Kernel) -> Result<(), TestCaseError> {
    // The table's contents equal the model's.
    let mut got: Vec<String> = t
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {:?} {}",
                e.eid(),
                e.ip(),
                e.mac(),
                e.vtep(),
                e.is_programmed()
            )
        })
        .collect();
    let mut want: Vec<String> = m
        .entries
        .iter()
        .map(|e| {
            let programmed = m.programmed.get(&e.ip) == Some(e);
            format!(
                "{} {} {} {:?} {}",
                EIDS[e.eid],
                e.ip(),
                e.mac(),
                e.vtep(),
                programmed
            )
        })
        .collect();
    got.sort();
    want.sort();
    prop_assert_eq!(got, want);
    prop_assert_eq!(t.len(), m.entries.len());

    // The kernel holds exactly the programmed entries: one neighbour per IP, one FDB entry
    // per (subnet, MAC, VTEP) in use, one tunnel per VTEP in use.
    let mut want_kernel = Kernel::default();
    for e in m.programmed.values() {
        let subnet = subnets()
            .into_iter()
            .find(|s| s.contains(&e.ip().addr()))
            .unwrap();
        let vtep = e.vtep().unwrap();
        want_kernel
            .neighbours
            .insert((subnet, e.ip().addr()), e.mac());
        want_kernel.fdb.insert((subnet, e.mac(), vtep));
        want_kernel.tunnels.insert(vtep);
    }
    prop_assert_eq!(k, &want_kernel);

    // Refcounts and per-VTEP counts equal the programmed entries that use them.
    for (vi, v) in VTEPS.iter().enumerate().skip(1) {
        let v = IpAddr::from(v.unwrap());
        let programmed = m.programmed.values().filter(|e| e.vtep == vi).count() as u32;
        let entries = m.entries.iter().filter(|e| e.vtep == vi).count() as u32;
        prop_assert_eq!(t.vtep(v).map_or(0, |i| i.programmed), programmed);
        prop_assert_eq!(t.vtep(v).map_or(0, |i| i.entries), entries);
        prop_assert_eq!(t.entries_behind(v).count() as u32, entries);
        for mac in 1u8..4 {
            let users = m
                .programmed
                .values()
                .filter(|e| e.vtep == vi && e.mac == mac)
                .count() as u32;
            prop_assert_eq!(
                t.fdb_refcount(v, MacAddr([0x02, 0x42, 0, 0, 0, mac])),
                users
            );
        }
    }
    for mac in 1u8..4 {
        let n = m.entries.iter().filter(|e| e.mac == mac).count();
        prop_assert_eq!(
            t.entries_with_mac(MacAddr([0x02, 0x42, 0, 0, 0, mac]))
                .count(),
            n
        );
    }
    for (i, ip) in IPS.iter().enumerate() {
        let addr = ip.parse::<IpNet>().unwrap().addr();
        let got = t.get(addr).map(|e| (e.eid().to_string(), e.mac()));
        let want = m
            .programmed
            .get(&i)
            .or_else(|| m.entries.iter().find(|e| e.ip == i))
            .map(|e| (EIDS[e.eid].to_string(), e.mac()));
        prop_assert_eq!(got, want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn deltas_keep_the_kernel_equal_to_the_table(ops in prop::collection::vec(op(), 1..60)) {
        let mut t = table();
        let mut m = Model::default();
        let mut k = Kernel::default();
        for op in &ops {
            let deltas = run(&mut t, op);
            apply_model(&mut m, op);
            for d in deltas.iter().flatten() {
                k.apply(d).map_err(|e| TestCaseError::fail(format!("{op:?}: {e}; deltas {deltas:?}")))?;
            }
            check(&t, &m, &k)?;
            // The same operation again changes nothing.
            if let Some(again) = run(&mut t, op) {
                prop_assert!(again.is_empty(), "{:?} repeated gave {:?}", op, again);
            }
        }
        // Removing everything, in any order, leaves nothing behind.
        let mut left = m.entries.clone();
        left.reverse();
        for e in left {
            let op = Op::Remove(e);
            let deltas = run(&mut t, &op).unwrap();
            apply_model(&mut m, &op);
            for d in &deltas {
                k.apply(d).map_err(|err| TestCaseError::fail(format!("{op:?}: {err}")))?;
            }
            check(&t, &m, &k)?;
        }
        prop_assert!(t.is_empty());
        prop_assert_eq!(k, Kernel::default());
        prop_assert_eq!(t.vteps().count(), 0);
    }

    #[test]
    fn clear_undoes_all_programming(ops in prop::collection::vec(op(), 1..40)) {
        let mut t = table();
        let mut k = Kernel::default();
        for op in &ops {
            for d in run(&mut t, op).iter().flatten() {
                k.apply(d).map_err(TestCaseError::fail)?;
            }
        }
        for d in &t.clear() {
            k.apply(d).map_err(TestCaseError::fail)?;
        }
        prop_assert_eq!(k, Kernel::default());
        prop_assert!(t.is_empty());
    }
}
