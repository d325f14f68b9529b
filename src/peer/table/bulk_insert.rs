//! Adding many remote records at once: what NetworkDB delivers when this host joins a
//! network (the whole peer table of that network, possibly a million records).
//!
//! Same result and same deltas as adding the records one by one with
//! [`PeerTable::add_remote_into`], with two differences that make it faster and safer:
//! * all records are checked before any is added, so a bad record is a typed error
//!   ([`PeerError::InBatch`]) and the table is left as it was, where one-by-one adds would
//!   stop half way;
//! * the table reserves room once, and while it adds one group of records it has already
//!   loaded the IP-index and MAC-index buckets that the next group will probe, so that their
//!   cache misses overlap each other and the work on the current group.

use std::hint::black_box;
use std::net::IpAddr;

use super::super::eid::EndpointId;
use super::super::record::PeerRecord;
use super::super::vtep::NIL;
use super::{Added, Changes, PeerDelta, PeerError, PeerTable, Valid, with_changes};

/// Records whose index buckets are loaded together before they are added.
const GROUP: usize = 16;

impl PeerTable {
    /// Adds remote endpoints given as NetworkDB (key, value) pairs: endpoint id and
    /// PeerRecord. Returns how many were inserted; the others were already present.
    /// Records carrying this host's own VTEP are refused like in
    /// [`PeerTable::add_remote`]; leave them out (NetworkDB's own entries are ours).
    pub fn add_remotes<S: AsRef<str>>(
        &mut self,
        records: &[(S, PeerRecord)],
    ) -> Result<Changes<usize>, PeerError> {
        with_changes(|d| self.add_remotes_into(records, d))
    }

    /// [`PeerTable::add_remotes`], appending the deltas to `deltas`: exactly what calling
    /// [`PeerTable::add_remote_into`] for each record in order would append. If a record is
    /// refused, the error is [`PeerError::InBatch`] with its position and the error adding it
    /// alone would give, and nothing changes: neither the table nor `deltas`.
    pub fn add_remotes_into<S: AsRef<str>>(
        &mut self,
        records: &[(S, PeerRecord)],
        deltas: &mut Vec<PeerDelta>,
    ) -> Result<usize, PeerError> {
        let mut subnets = Vec::with_capacity(records.len());
        for (index, (eid, r)) in records.iter().enumerate() {
            let vtep = Some(r.tunnel_endpoint_ip);
            let subnet = self
                .check(eid.as_ref(), r.endpoint_ip, r.endpoint_mac, vtep)
                .map_err(|source| PeerError::InBatch {
                    index,
                    source: Box::new(source),
                })?;
            subnets.push(subnet);
        }

        self.reserve(records.len());
        let mut inserted = 0;
        // Software-pipelined: group k + 1's buckets are loaded before group k is added, so
        // they have arrived by the time they are probed.
        let mut groups = records.chunks(GROUP).zip(subnets.chunks(GROUP)).peekable();
        if let Some((first, _)) = groups.peek() {
            self.load_buckets(first);
        }
        while let Some((group, subnets)) = groups.next() {
            if let Some((next, _)) = groups.peek() {
                self.load_buckets(next);
            }
            for ((eid, r), &subnet) in group.iter().zip(subnets) {
                let valid = Valid {
                    eid: EndpointId::from_checked(eid.as_ref()),
                    ip: r.endpoint_ip,
                    subnet,
                    mac: r.endpoint_mac,
                    vtep: Some(r.tunnel_endpoint_ip),
                };
                if self.insert_valid(valid, deltas) == Added::Inserted {
                    inserted += 1;
                }
            }
        }
        Ok(inserted)
    }

    /// Loads the home buckets that adding `group` (at most [`GROUP`] records) will probe in
    /// the IP and MAC indexes. The loads do not depend on each other, so their misses are in
    /// flight together; the values only have to be kept from being optimised away.
    fn load_buckets<S>(&self, group: &[(S, PeerRecord)]) {
        let mut loaded = [NIL; GROUP];
        for (sink, (_, r)) in loaded.iter_mut().zip(group) {
            let ip = match r.endpoint_ip.addr() {
                IpAddr::V4(v4) => self.by_ip4.load(self.by_ip4.home_of(v4)),
                IpAddr::V6(v6) => self.by_ip6.load(self.by_ip6.home_of(v6)),
            };
            let mac = self.by_mac.load(self.by_mac.home_of(r.endpoint_mac));
            *sink = ip ^ mac;
        }
        black_box(&loaded);
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use ipnet::IpNet;

    use crate::peer::{PeerDelta, PeerError, PeerRecord, PeerTable, PeerTableConfig};
    use crate::wire::MacAddr;

    const OWN_VTEP: [u8; 4] = [192, 0, 2, 1];

    fn table() -> PeerTable {
        PeerTable::new(PeerTableConfig {
            network: "n".into(),
            subnets: vec!["10.0.0.0/24".parse().unwrap(), "fd00::/64".parse().unwrap()],
            local_vtep: IpAddr::from(OWN_VTEP),
        })
        .unwrap()
    }

    /// Everything observable about a table: entries, each address's chain in order, VTEPs.
    fn dump(t: &PeerTable) -> Vec<String> {
        let mut entries: Vec<String> = t.iter().map(|e| format!("{e:?}")).collect();
        entries.sort();
        let mut ips: Vec<IpAddr> = t.iter().map(|e| e.ip().addr()).collect();
        ips.sort();
        ips.dedup();
        for ip in ips {
            let chain: Vec<String> = t.entries_at(ip).map(|e| format!("{e:?}")).collect();
            entries.push(format!("{ip}: {chain:?}"));
        }
        let mut vteps: Vec<String> = t.vteps().map(|v| format!("{v:?}")).collect();
        vteps.sort();
        entries.extend(vteps);
        entries
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A record from small pools, so that batches repeat records (already present), share
    /// IPs (duplicate chains) and MACs (shared FDB entries); now and then a bad one.
    fn record(rng: &mut Rng, bad_rate: u64) -> (String, PeerRecord) {
        // Ids "a", "b", "c", a Docker id, and (bad) the empty id.
        let pool = if rng.below(bad_rate) == 0 { 5 } else { 4 };
        let hex = "0123456789abcdef".repeat(4);
        let eid = ["a", "b", "c", hex.as_str(), ""][rng.below(pool) as usize];
        let eid = if eid.is_empty() && rng.below(2) == 0 {
            "d"
        } else {
            eid
        };
        let host = rng.below(12) as u8;
        let ip: IpNet = match rng.below(10) {
            0..=6 => format!("10.0.0.{host}/24").parse().unwrap(),
            7 | 8 => format!("fd00::{host}/64").parse().unwrap(),
            _ if rng.below(bad_rate) == 0 => "10.0.1.1/24".parse().unwrap(),
            _ => "10.0.0.1/24".parse().unwrap(),
        };
        let mac = match rng.below(bad_rate.saturating_mul(4)) {
            0 => MacAddr([0; 6]),
            _ => MacAddr([2, 0, 0, 0, 0, rng.below(8) as u8 + 1]),
        };
        let vtep = match rng.below(bad_rate.saturating_mul(4)) {
            0 => IpAddr::from(OWN_VTEP),
            1 => "2001:db8::1".parse().unwrap(),
            2 => IpAddr::from([0, 0, 0, 0]),
            _ => IpAddr::from([198, 51, 100, rng.below(4) as u8 + 1]),
        };
        let record = PeerRecord {
            endpoint_ip: ip,
            endpoint_mac: mac,
            tunnel_endpoint_ip: vtep,
        };
        (eid.to_owned(), record)
    }

    #[test]
    fn a_batch_equals_adding_its_records_one_by_one() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut applied, mut refused) = (0, 0);
        for round in 0..400 {
            let bad_rate = [2, 10, 1000][round % 3];
            // A table that already holds a few entries, local and remote.
            let mut start = table();
            for _ in 0..rng.below(6) {
                let (eid, r) = record(&mut rng, u64::MAX);
                let _ = start.add_remote(&eid, r.endpoint_ip, r.endpoint_mac, r.tunnel_endpoint_ip);
            }
            let _ = start.add_local(
                "local",
                "10.0.0.3/24".parse().unwrap(),
                MacAddr([2, 0, 0, 0, 0, 3]),
            );
            let batch: Vec<(String, PeerRecord)> = (0..rng.below(40))
                .map(|_| record(&mut rng, bad_rate))
                .collect();

            let mut one_by_one = start.clone();
            let mut want_deltas = vec![PeerDelta::TunnelUp {
                vtep: IpAddr::from([1, 1, 1, 1]),
            }];
            let mut want = Ok(0);
            for (index, (eid, r)) in batch.iter().enumerate() {
                let added = one_by_one.add_remote_into(
                    eid,
                    r.endpoint_ip,
                    r.endpoint_mac,
                    r.tunnel_endpoint_ip,
                    &mut want_deltas,
                );
                match added {
                    Ok(crate::peer::Added::Inserted) => want = want.map(|n| n + 1),
                    Ok(crate::peer::Added::AlreadyPresent) => {}
                    Err(source) => {
                        want = Err(PeerError::InBatch {
                            index,
                            source: Box::new(source),
                        });
                        break;
                    }
                }
            }

            let mut batched = start.clone();
            let mut deltas = vec![PeerDelta::TunnelUp {
                vtep: IpAddr::from([1, 1, 1, 1]),
            }];
            let got = batched.add_remotes_into(&batch, &mut deltas);
            assert_eq!(got, want, "round {round}");
            if got.is_ok() {
                applied += 1;
                assert_eq!(deltas, want_deltas, "round {round}");
                assert_eq!(dump(&batched), dump(&one_by_one), "round {round}");
            } else {
                refused += 1;
                assert_eq!(deltas.len(), 1, "round {round}: deltas untouched");
                assert_eq!(
                    dump(&batched),
                    dump(&start),
                    "round {round}: table untouched"
                );
            }
        }
        assert!(
            applied > 100 && refused > 100,
            "{applied} applied, {refused} refused"
        );
    }

    #[test]
    fn empty_batches_change_nothing_and_errors_name_the_record() {
        let mut t = table();
        let none: [(&str, PeerRecord); 0] = [];
        assert_eq!(t.add_remotes(&none).unwrap().outcome, 0);
        assert!(t.is_empty());
        let good = PeerRecord {
            endpoint_ip: "10.0.0.5/24".parse().unwrap(),
            endpoint_mac: MacAddr([2, 0, 0, 0, 0, 5]),
            tunnel_endpoint_ip: IpAddr::from([198, 51, 100, 1]),
        };
        let own = PeerRecord {
            tunnel_endpoint_ip: IpAddr::from(OWN_VTEP),
            ..good
        };
        let err = t.add_remotes(&[("a", good), ("b", own)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "record 1 of the batch: VTEP 192.0.2.1 is this host's own address; \
             add local endpoints with add_local"
        );
        assert!(t.is_empty());
        let changes = t.add_remotes(&[("a", good), ("a", good)]).unwrap();
        assert_eq!(changes.outcome, 1, "the repeat is already present");
        assert_eq!(changes.deltas.len(), 3, "tunnel, neighbour, FDB");
    }
}
