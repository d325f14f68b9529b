//! Scenario tests for the peer table: Docker's duplicate-IP rule, FDB refcounts, tunnel
//! deltas, gossip semantics and input validation.

use std::net::IpAddr;

use ipnet::IpNet;
use overlaynet::peer::{
    Added, EventOutcome, PeerDb, PeerDelta, PeerError, PeerEvent, PeerRecord, PeerTable,
    PeerTableConfig, Removed,
};
use overlaynet::wire::MacAddr;

const LOCAL_VTEP: &str = "192.168.1.10";

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}
fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn mac(last: u8) -> MacAddr {
    MacAddr([0x02, 0x42, 0x0a, 0x00, 0x01, last])
}
fn subnet() -> IpNet {
    net("10.0.1.0/24")
}

fn table() -> PeerTable {
    PeerTable::new(PeerTableConfig {
        network: "net1".into(),
        subnets: vec![net("10.0.1.0/24"), net("10.0.2.0/24")],
        local_vtep: ip(LOCAL_VTEP),
    })
    .unwrap()
}

fn add_deltas(ipa: &str, m: MacAddr, vtep: &str) -> Vec<PeerDelta> {
    vec![
        PeerDelta::TunnelUp { vtep: ip(vtep) },
        PeerDelta::NeighbourAdd {
            subnet: subnet(),
            ip: ip(ipa),
            mac: m,
        },
        PeerDelta::FdbAdd {
            subnet: subnet(),
            mac: m,
            vtep: ip(vtep),
        },
    ]
}
fn remove_deltas(ipa: &str, m: MacAddr, vtep: &str) -> Vec<PeerDelta> {
    vec![
        PeerDelta::FdbRemove {
            subnet: subnet(),
            mac: m,
            vtep: ip(vtep),
        },
        PeerDelta::NeighbourRemove {
            subnet: subnet(),
            ip: ip(ipa),
            mac: m,
        },
        PeerDelta::TunnelDown { vtep: ip(vtep) },
    ]
}

#[test]
fn remote_add_and_remove_follow_mobys_order_and_are_idempotent() {
    let mut t = table();
    let c = t
        .add_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(c.outcome, Added::Inserted);
    assert_eq!(c.deltas, add_deltas("10.0.1.5", mac(5), "192.168.1.20"));

    let again = t
        .add_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(again.outcome, Added::AlreadyPresent);
    assert!(again.deltas.is_empty());
    assert_eq!(t.len(), 1);

    let c = t
        .remove_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(c.outcome, Removed::Removed);
    assert_eq!(c.deltas, remove_deltas("10.0.1.5", mac(5), "192.168.1.20"));

    let again = t
        .remove_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(again.outcome, Removed::NotFound);
    assert!(again.deltas.is_empty());
    assert!(t.is_empty());
    assert_eq!(t.vteps().count(), 0, "an unused VTEP is forgotten");
}

#[test]
fn fdb_entries_are_refcounted_per_vtep_and_mac() {
    let mut t = table();
    let v = "192.168.1.20";
    let m = mac(9);
    let _ = t.add_remote("a", net("10.0.1.5/24"), m, ip(v)).unwrap();
    let c = t.add_remote("b", net("10.0.1.6/24"), m, ip(v)).unwrap();
    assert_eq!(
        c.deltas,
        vec![PeerDelta::NeighbourAdd {
            subnet: subnet(),
            ip: ip("10.0.1.6"),
            mac: m
        }]
    );
    assert_eq!(t.fdb_refcount(ip(v), m), 2);
    assert_eq!(t.vtep(ip(v)).unwrap().programmed, 2);

    let c = t.remove_remote("a", net("10.0.1.5/24"), m, ip(v)).unwrap();
    assert_eq!(
        c.deltas,
        vec![PeerDelta::NeighbourRemove {
            subnet: subnet(),
            ip: ip("10.0.1.5"),
            mac: m
        }]
    );
    assert_eq!(t.fdb_refcount(ip(v), m), 1);
    let c = t.remove_remote("b", net("10.0.1.6/24"), m, ip(v)).unwrap();
    assert_eq!(c.deltas, remove_deltas("10.0.1.6", m, v));
}

#[test]
fn a_duplicate_ip_waits_and_the_survivor_is_programmed() {
    let mut t = table();
    let _ = t
        .add_remote("old", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    let c = t
        .add_remote("new", net("10.0.1.5/24"), mac(2), ip("192.168.1.30"))
        .unwrap();
    assert_eq!(c.outcome, Added::Inserted);
    assert!(
        c.deltas.is_empty(),
        "the active entry stays programmed: {:?}",
        c.deltas
    );
    assert_eq!(t.entries_at(ip("10.0.1.5")).count(), 2);
    assert_eq!(t.get(ip("10.0.1.5")).unwrap().eid().to_string(), "old");

    // Removing the waiting entry changes nothing in the kernel.
    let c = t
        .add_remote("third", net("10.0.1.5/24"), mac(3), ip("192.168.1.40"))
        .unwrap();
    assert!(c.deltas.is_empty());
    let c = t
        .remove_remote("third", net("10.0.1.5/24"), mac(3), ip("192.168.1.40"))
        .unwrap();
    assert_eq!(c.outcome, Removed::Removed);
    assert!(c.deltas.is_empty());

    // Removing the active one programs the survivor.
    let c = t
        .remove_remote("old", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    let mut want = remove_deltas("10.0.1.5", mac(1), "192.168.1.20");
    want.extend(add_deltas("10.0.1.5", mac(2), "192.168.1.30"));
    assert_eq!(c.deltas, want);
    let active = t.get(ip("10.0.1.5")).unwrap();
    assert!(active.is_programmed());
    assert_eq!(active.eid().to_string(), "new");
}

#[test]
fn a_survivor_behind_the_same_vtep_keeps_the_tunnel_up() {
    let mut t = table();
    let _ = t
        .add_remote("old", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    let _ = t
        .add_remote("new", net("10.0.1.5/24"), mac(2), ip("192.168.1.20"))
        .unwrap();
    let c = t
        .remove_remote("old", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    let v = ip("192.168.1.20");
    assert_eq!(
        c.deltas,
        vec![
            PeerDelta::FdbRemove {
                subnet: subnet(),
                mac: mac(1),
                vtep: v
            },
            PeerDelta::NeighbourRemove {
                subnet: subnet(),
                ip: ip("10.0.1.5"),
                mac: mac(1)
            },
            PeerDelta::NeighbourAdd {
                subnet: subnet(),
                ip: ip("10.0.1.5"),
                mac: mac(2)
            },
            PeerDelta::FdbAdd {
                subnet: subnet(),
                mac: mac(2),
                vtep: v
            },
        ]
    );
}

#[test]
fn a_local_survivor_is_never_programmed() {
    // moby restores whatever survives, and for a local survivor calls addNeighbor with an
    // invalid VTEP. Here only the removal happens.
    let mut t = table();
    let _ = t
        .add_remote("remote", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    let c = t.add_local("local", net("10.0.1.5/24"), mac(5)).unwrap();
    assert!(c.deltas.is_empty());
    let c = t
        .remove_remote("remote", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(c.deltas, remove_deltas("10.0.1.5", mac(1), "192.168.1.20"));
    let left = t.get(ip("10.0.1.5")).unwrap();
    assert!(left.is_local() && !left.is_programmed());
    assert_eq!(left.vtep(), None);
    assert_eq!(t.programmed().count(), 0);
}

#[test]
fn a_remote_entry_after_a_local_one_is_programmed_like_moby() {
    // Local entries program nothing, so moby's addNeighbor for the remote one succeeds.
    let mut t = table();
    let c = t.add_local("local", net("10.0.1.5/24"), mac(5)).unwrap();
    assert!(c.deltas.is_empty());
    let c = t
        .add_remote("remote", net("10.0.1.5/24"), mac(1), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(c.deltas, add_deltas("10.0.1.5", mac(1), "192.168.1.20"));
    let c = t.remove_local("local", net("10.0.1.5/24"), mac(5)).unwrap();
    assert_eq!(c.outcome, Removed::Removed);
    assert!(c.deltas.is_empty());
}

#[test]
fn lookups_by_ip_mac_and_vtep() {
    let mut t = table();
    let _ = t
        .add_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();
    let _ = t
        .add_remote("b", net("10.0.2.6/24"), mac(6), ip("192.168.1.20"))
        .unwrap();
    let _ = t
        .add_remote("c", net("10.0.1.7/24"), mac(7), ip("192.168.1.30"))
        .unwrap();
    let _ = t.add_local("d", net("10.0.1.8/24"), mac(8)).unwrap();

    let b = t.get(ip("10.0.2.6")).unwrap();
    assert_eq!(
        (b.ip(), b.mac(), b.vtep()),
        (net("10.0.2.6/24"), mac(6), Some(ip("192.168.1.20")))
    );
    assert_eq!(b.subnet(), net("10.0.2.0/24"));
    assert_eq!(t.get_by_mac(mac(7)).unwrap().eid().to_string(), "c");
    assert!(t.get(ip("10.0.1.99")).is_none());
    assert!(t.get_by_mac(mac(99)).is_none());

    let mut behind: Vec<String> = t
        .entries_behind(ip("192.168.1.20"))
        .map(|e| e.eid().to_string())
        .collect();
    behind.sort();
    assert_eq!(behind, ["a", "b"]);
    assert_eq!(t.entries_behind(ip("192.168.1.99")).count(), 0);
    assert_eq!(t.iter().count(), 4);
    assert_eq!(t.programmed().count(), 3);
    let v = t.vtep(ip("192.168.1.30")).unwrap();
    assert_eq!((v.entries, v.programmed), (1, 1));

    // Removing from the middle of a VTEP's list keeps the rest reachable.
    let _ = t
        .remove_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();
    let behind: Vec<String> = t
        .entries_behind(ip("192.168.1.20"))
        .map(|e| e.eid().to_string())
        .collect();
    assert_eq!(behind, ["b"]);
}

#[test]
fn bad_input_is_a_typed_error_and_changes_nothing() {
    let mut t = table();
    let _ = t
        .add_remote("a", net("10.0.1.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap();

    let e = t
        .add_remote("b", net("10.0.3.5/24"), mac(6), ip("192.168.1.20"))
        .unwrap_err();
    assert_eq!(
        e,
        PeerError::SubnetNotFound {
            ip: net("10.0.3.5/24"),
            network: "net1".into()
        }
    );
    assert_eq!(
        e.to_string(),
        r#"couldn't find the subnet "10.0.3.5/24" in network "net1""#
    );
    // Same address, different prefix length: moby requires the subnet's own length.
    let e = t
        .add_remote("b", net("10.0.1.6/16"), mac(6), ip("192.168.1.20"))
        .unwrap_err();
    assert!(matches!(e, PeerError::SubnetNotFound { .. }));
    let e = t
        .add_remote(
            "b",
            net("10.0.1.6/24"),
            MacAddr::BROADCAST,
            ip("192.168.1.20"),
        )
        .unwrap_err();
    assert_eq!(
        e,
        PeerError::InvalidMac {
            mac: MacAddr::BROADCAST
        }
    );
    let e = t
        .add_remote("b", net("10.0.1.6/24"), MacAddr([0; 6]), ip("192.168.1.20"))
        .unwrap_err();
    assert!(matches!(e, PeerError::InvalidMac { .. }));
    let e = t
        .add_remote("b", net("10.0.1.6/24"), mac(6), ip("2001:db8::1"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "VTEP 2001:db8::1 is not an IPv4 address like this host's VTEP 192.168.1.10"
    );
    let e = t
        .add_remote("b", net("10.0.1.6/24"), mac(6), ip(LOCAL_VTEP))
        .unwrap_err();
    assert!(matches!(e, PeerError::OwnVtep { .. }));
    let e = t
        .add_remote("b", net("10.0.1.6/24"), mac(6), ip("0.0.0.0"))
        .unwrap_err();
    assert!(matches!(e, PeerError::InvalidVtep { .. }));
    let e = t
        .add_remote("", net("10.0.1.6/24"), mac(6), ip("192.168.1.20"))
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid endpoint id");
    let e = t
        .remove_remote("a", net("10.0.9.5/24"), mac(5), ip("192.168.1.20"))
        .unwrap_err();
    assert!(matches!(e, PeerError::SubnetNotFound { .. }));

    assert_eq!(t.len(), 1);
    assert_eq!(t.programmed().count(), 1);
    assert_eq!(t.vteps().count(), 1);

    assert!(matches!(
        PeerTable::new(PeerTableConfig {
            network: "n".into(),
            subnets: vec![],
            local_vtep: ip(LOCAL_VTEP)
        }),
        Err(PeerError::NoSubnets { .. })
    ));
    assert!(matches!(
        PeerTable::new(PeerTableConfig {
            network: "n".into(),
            subnets: vec![subnet()],
            local_vtep: ip("0.0.0.0")
        }),
        Err(PeerError::InvalidLocalVtep { .. })
    ));
}

fn record(ipa: &str, m: MacAddr, vtep: &str) -> PeerRecord {
    PeerRecord {
        endpoint_ip: net(ipa),
        endpoint_mac: m,
        tunnel_endpoint_ip: ip(vtep),
    }
}

#[test]
fn gossip_events_follow_networkdb_semantics() {
    let mut t = table();
    let r1 = record("10.0.1.5/24", mac(5), "192.168.1.20");
    let create = PeerEvent::Create {
        eid: "a".into(),
        record: r1,
    };
    let c = t.apply_event(&create).unwrap();
    assert_eq!(
        c.outcome,
        EventOutcome::Applied {
            removed: None,
            added: Some(Added::Inserted)
        }
    );
    assert_eq!(c.deltas, add_deltas("10.0.1.5", mac(5), "192.168.1.20"));
    assert!(
        t.apply_event(&create).unwrap().deltas.is_empty(),
        "same event twice"
    );

    // Our own records are ignored.
    let own = PeerEvent::Create {
        eid: "o".into(),
        record: record("10.0.1.9/24", mac(9), LOCAL_VTEP),
    };
    assert_eq!(t.apply_event(&own).unwrap().outcome, EventOutcome::Ignored);
    assert_eq!(t.len(), 1);

    // An update with equal records is a no-op.
    let same = PeerEvent::Update {
        eid: "a".into(),
        prev: r1,
        new: r1,
    };
    let c = t.apply_event(&same).unwrap();
    assert_eq!((c.outcome, c.deltas.len()), (EventOutcome::Unchanged, 0));

    // An update that changes the MAC behind the same VTEP keeps the tunnel.
    let r2 = record("10.0.1.5/24", mac(6), "192.168.1.20");
    let update = PeerEvent::Update {
        eid: "a".into(),
        prev: r1,
        new: r2,
    };
    let c = t.apply_event(&update).unwrap();
    let v = ip("192.168.1.20");
    assert_eq!(
        c.deltas,
        vec![
            PeerDelta::FdbRemove {
                subnet: subnet(),
                mac: mac(5),
                vtep: v
            },
            PeerDelta::NeighbourRemove {
                subnet: subnet(),
                ip: ip("10.0.1.5"),
                mac: mac(5)
            },
            PeerDelta::NeighbourAdd {
                subnet: subnet(),
                ip: ip("10.0.1.5"),
                mac: mac(6)
            },
            PeerDelta::FdbAdd {
                subnet: subnet(),
                mac: mac(6),
                vtep: v
            },
        ]
    );
    let c = t.apply_event(&update).unwrap();
    assert_eq!(
        c.outcome,
        EventOutcome::Applied {
            removed: Some(Removed::NotFound),
            added: Some(Added::AlreadyPresent)
        }
    );
    assert!(c.deltas.is_empty());

    // An update whose new record is bad changes nothing, not even the delete half.
    let bad = PeerEvent::Update {
        eid: "a".into(),
        prev: r2,
        new: record("10.9.0.1/24", mac(7), "192.168.1.20"),
    };
    assert!(matches!(
        t.apply_event(&bad),
        Err(PeerError::SubnetNotFound { .. })
    ));
    assert_eq!(t.get(ip("10.0.1.5")).unwrap().mac(), mac(6));

    // Out-of-order delete: counted, not an error.
    let stale = PeerEvent::Delete {
        eid: "zz".into(),
        record: r1,
    };
    let c = t.apply_event(&stale).unwrap();
    assert_eq!(
        c.outcome,
        EventOutcome::Applied {
            removed: Some(Removed::NotFound),
            added: None
        }
    );

    let delete = PeerEvent::Delete {
        eid: "a".into(),
        record: r2,
    };
    assert_eq!(
        t.apply_event(&delete).unwrap().deltas,
        remove_deltas("10.0.1.5", mac(6), "192.168.1.20")
    );
    assert!(t.is_empty());
}

#[test]
fn gossip_bytes_decode_into_events() {
    let r = record("10.0.1.5/24", mac(5), "192.168.1.20");
    let bytes = r.encode();
    assert_eq!(
        PeerEvent::from_gossip("a", None, Some(&bytes)).unwrap(),
        PeerEvent::Create {
            eid: "a".into(),
            record: r
        }
    );
    assert_eq!(
        PeerEvent::from_gossip("a", Some(&bytes), None).unwrap(),
        PeerEvent::Delete {
            eid: "a".into(),
            record: r
        }
    );
    assert!(matches!(
        PeerEvent::from_gossip("a", Some(&bytes), Some(&bytes)),
        Ok(PeerEvent::Update { .. })
    ));
    assert!(matches!(
        PeerEvent::from_gossip("a", None, None),
        Err(PeerError::EmptyEvent { .. })
    ));
    assert!(matches!(
        PeerEvent::from_gossip("a", Some(&bytes), Some(b"\x0a\x03abc")),
        Err(PeerError::Record(_))
    ));
}

#[test]
fn peer_db_routes_by_network_and_tears_down() {
    let mut db = PeerDb::new();
    let config = PeerTableConfig {
        network: "n1".into(),
        subnets: vec![subnet()],
        local_vtep: ip(LOCAL_VTEP),
    };
    db.add_network(config.clone()).unwrap();
    assert!(matches!(
        db.add_network(config),
        Err(PeerError::NetworkExists { .. })
    ));

    let ev = PeerEvent::Create {
        eid: "a".into(),
        record: record("10.0.1.5/24", mac(5), "192.168.1.20"),
    };
    let e = db.apply_event("nope", &ev).unwrap_err();
    assert_eq!(e.to_string(), "could not find network with id nope");
    let _ = db.apply_event("n1", &ev).unwrap();
    let ev = PeerEvent::Create {
        eid: "b".into(),
        record: record("10.0.1.6/24", mac(5), "192.168.1.20"),
    };
    let _ = db.apply_event("n1", &ev).unwrap();
    let _ = db
        .table_mut("n1")
        .unwrap()
        .add_local("c", net("10.0.1.7/24"), mac(7))
        .unwrap();
    assert_eq!(db.table("n1").unwrap().len(), 3);
    assert_eq!(db.networks().collect::<Vec<_>>(), ["n1"]);

    let v = ip("192.168.1.20");
    let deltas = db.remove_network("n1").unwrap();
    assert_eq!(
        deltas,
        vec![
            PeerDelta::NeighbourRemove {
                subnet: subnet(),
                ip: ip("10.0.1.5"),
                mac: mac(5)
            },
            PeerDelta::FdbRemove {
                subnet: subnet(),
                mac: mac(5),
                vtep: v
            },
            PeerDelta::NeighbourRemove {
                subnet: subnet(),
                ip: ip("10.0.1.6"),
                mac: mac(5)
            },
            PeerDelta::TunnelDown { vtep: v },
        ]
    );
    assert!(matches!(
        db.table("n1"),
        Err(PeerError::UnknownNetwork { .. })
    ));
    assert!(matches!(
        db.remove_network("n1"),
        Err(PeerError::UnknownNetwork { .. })
    ));
}

#[test]
fn into_forms_append_and_leave_the_buffer_alone_on_error() {
    let mut t = table();
    let mut buf = vec![PeerDelta::TunnelUp {
        vtep: ip("10.9.9.9"),
    }];
    let added = t
        .add_remote_into(
            "a",
            net("10.0.1.5/24"),
            mac(5),
            ip("192.168.1.20"),
            &mut buf,
        )
        .unwrap();
    assert_eq!(added, Added::Inserted);
    assert_eq!(buf.len(), 4, "appended after the caller's content: {buf:?}");
    assert_eq!(
        &buf[1..],
        &add_deltas("10.0.1.5", mac(5), "192.168.1.20")[..]
    );

    let before = buf.clone();
    assert!(
        t.add_remote_into(
            "b",
            net("10.7.0.1/24"),
            mac(6),
            ip("192.168.1.20"),
            &mut buf
        )
        .is_err()
    );
    assert_eq!(buf, before);

    buf.clear();
    let removed = t
        .remove_remote_into(
            "a",
            net("10.0.1.5/24"),
            mac(5),
            ip("192.168.1.20"),
            &mut buf,
        )
        .unwrap();
    assert_eq!(removed, Removed::Removed);
    assert_eq!(buf, remove_deltas("10.0.1.5", mac(5), "192.168.1.20"));
}

#[test]
fn overlapping_subnets_share_one_neighbour_per_address() {
    let mut t = PeerTable::new(PeerTableConfig {
        network: "overlap".into(),
        subnets: vec![net("10.0.0.0/16"), net("10.0.1.0/24")],
        local_vtep: ip(LOCAL_VTEP),
    })
    .unwrap();
    let c = t
        .add_remote("a", net("10.0.1.5/16"), mac(1), ip("192.168.1.20"))
        .unwrap();
    assert_eq!(c.deltas.len(), 3);
    // The same address under the other prefix waits: the kernel holds one neighbour per IP.
    let c = t
        .add_remote("b", net("10.0.1.5/24"), mac(2), ip("192.168.1.30"))
        .unwrap();
    assert!(c.deltas.is_empty());
    let c = t
        .remove_remote("a", net("10.0.1.5/16"), mac(1), ip("192.168.1.20"))
        .unwrap();
    let (s16, s24) = (net("10.0.0.0/16"), net("10.0.1.0/24"));
    assert_eq!(
        c.deltas,
        vec![
            PeerDelta::FdbRemove {
                subnet: s16,
                mac: mac(1),
                vtep: ip("192.168.1.20")
            },
            PeerDelta::NeighbourRemove {
                subnet: s16,
                ip: ip("10.0.1.5"),
                mac: mac(1)
            },
            PeerDelta::TunnelDown {
                vtep: ip("192.168.1.20")
            },
            PeerDelta::TunnelUp {
                vtep: ip("192.168.1.30")
            },
            PeerDelta::NeighbourAdd {
                subnet: s24,
                ip: ip("10.0.1.5"),
                mac: mac(2)
            },
            PeerDelta::FdbAdd {
                subnet: s24,
                mac: mac(2),
                vtep: ip("192.168.1.30")
            },
        ]
    );
}
