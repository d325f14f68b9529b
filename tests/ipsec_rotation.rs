//! Key rotation under continuous traffic between two simulated peers: each peer applies the
//! ordered XFRM changes of every rotation to an in-memory SA database backed by the userspace
//! ESP implementation, while both send packets after every single step and deliver packets
//! that were in flight across the step. Nothing may be lost, and nobody may transmit with a
//! key the receiver has not installed.

use std::collections::HashMap;
use std::net::IpAddr;

use overlaynet::ipsec::{
    ESP_HEADROOM, Endpoints, InboundSa, InboundSaTable, Key, Keyring, OutboundSa, Profile,
    RemoteSas, SUBSYSTEM_IPSEC, SaDirection, SaParams, SwarmKey, XfrmChange, plan_rotation,
    rotation_changes, rotation_phases, sealed_len,
};

/// Deterministic xorshift so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

struct Manager {
    clock: u64,
    keys: Vec<SwarmKey>,
}

impl Manager {
    fn new() -> Manager {
        let mut m = Manager {
            clock: 1000,
            keys: Vec::new(),
        };
        for _ in 0..3 {
            m.add();
        }
        m
    }

    fn add(&mut self) {
        self.clock += 1;
        self.keys.push(SwarmKey {
            subsystem: SUBSYSTEM_IPSEC.into(),
            key: Key::generate(16).unwrap(),
            lamport_time: self.clock,
        });
    }

    /// swarmkit's keymanager rotation: drop the oldest, add a new one.
    fn rotate(&mut self) -> Vec<SwarmKey> {
        self.keys.remove(0);
        self.add();
        self.keys.clone()
    }
}

struct Node {
    ep: Endpoints,
    remote: IpAddr,
    profile: Profile,
    ring: Keyring,
    outbound: HashMap<u32, OutboundSa>,
    policy_spi: Option<u32>,
    inbound: InboundSaTable,
}

impl Node {
    fn new(profile: Profile, local: &str, remote: &str, keys: &[SwarmKey]) -> Node {
        let ip: IpAddr = local.parse().unwrap();
        let mut n = Node {
            ep: Endpoints {
                bind: ip,
                advertise: ip,
                data_port: 4789,
            },
            remote: remote.parse().unwrap(),
            profile,
            ring: Keyring::from_swarm_keys(keys, SUBSYSTEM_IPSEC).unwrap(),
            outbound: HashMap::new(),
            policy_spi: None,
            inbound: InboundSaTable::new(),
        };
        for c in RemoteSas::steady(profile, &n.ep, n.remote, &n.ring).setup_changes() {
            n.apply(&c);
        }
        n
    }

    fn apply(&mut self, change: &XfrmChange) {
        match change {
            XfrmChange::AddState(s) => {
                let params = SaParams {
                    spi: s.id.spi,
                    key: s.key.clone(),
                    icv_len: s.icv_bits as usize / 8,
                    esn: s.esn,
                    replay_window: s.replay_window,
                };
                match s.direction {
                    SaDirection::Forward => {
                        assert_eq!(s.id.src, self.ep.bind);
                        self.outbound
                            .insert(s.id.spi, OutboundSa::new(&params).unwrap());
                    }
                    SaDirection::Reverse => {
                        assert_eq!(s.id.dst, self.ep.bind);
                        self.inbound
                            .insert(InboundSa::new(&params).unwrap())
                            .unwrap();
                    }
                }
            }
            XfrmChange::DeleteState(id) => {
                let removed = if id.src == self.ep.bind {
                    self.outbound.remove(&id.spi).is_some()
                } else {
                    self.inbound.remove(id.spi).is_some()
                };
                assert!(removed, "deleting an SA that is not installed: {id}");
            }
            XfrmChange::UpdatePolicy(p) => {
                assert!(
                    self.outbound.contains_key(&p.tmpl.spi),
                    "policy points at a missing SA"
                );
                self.policy_spi = Some(p.tmpl.spi);
            }
            XfrmChange::DeletePolicy(_) => self.policy_spi = None,
        }
    }

    fn send(&mut self, payload: &[u8], receiver: &Node) -> Vec<u8> {
        let spi = self.policy_spi.expect("a policy");
        let sa = self
            .outbound
            .get_mut(&spi)
            .expect("the policy's SA is installed");
        // The receive side must already hold the matching SA (receive before transmit).
        assert!(
            receiver.inbound.contains(spi),
            "sending with SPI {spi:#x} the receiver lacks"
        );
        let mut buf = vec![0u8; sealed_len(payload.len(), sa.icv_len())];
        buf[ESP_HEADROOM..ESP_HEADROOM + payload.len()].copy_from_slice(payload);
        let n = sa.seal(&mut buf, payload.len(), 17).unwrap();
        buf.truncate(n);
        buf
    }

    fn receive(&mut self, mut packet: Vec<u8>, expected: &[u8]) {
        let opened = self
            .inbound
            .open(&mut packet)
            .unwrap_or_else(|e| panic!("packet lost: {e}"));
        assert_eq!(opened.inner, expected);
    }

    fn assert_steady(&self) {
        let want = RemoteSas::steady(self.profile, &self.ep, self.remote, &self.ring);
        assert_eq!(self.inbound.len(), 3);
        for rx in &want.receive {
            assert!(self.inbound.contains(rx.id.spi));
        }
        assert_eq!(self.outbound.len(), 1);
        assert_eq!(self.policy_spi, Some(want.transmit.id.spi));
    }
}

/// Run `rotations` rotations. With `two_phase`, no node starts its transmit phase before both
/// finished their receive phase (the hardened protocol's acknowledgement barrier).
fn run(profile: Profile, rotations: usize, seed: u64, two_phase: bool) -> usize {
    let mut rng = Rng(seed);
    let mut manager = Manager::new();
    let mut nodes = [
        Node::new(profile, "192.168.1.10", "192.168.1.20", &manager.keys),
        Node::new(profile, "192.168.1.20", "192.168.1.10", &manager.keys),
    ];
    // Packets in flight: (to node index, bytes, expected payload).
    let mut in_flight: Vec<(usize, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut delivered = 0;
    for r in 0..rotations {
        let set = manager.rotate();
        let mut plans: Vec<(usize, Vec<XfrmChange>)> = Vec::new();
        let mut afters = Vec::new();
        let mut barriers = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            let update = n.ring.update_to(&set, SUBSYSTEM_IPSEC).unwrap();
            let t = plan_rotation(profile, &n.ring, &update).unwrap();
            let phases = rotation_phases(profile, &n.ep, n.remote, &t);
            assert_eq!(
                phases.clone().into_ordered(),
                rotation_changes(profile, &n.ep, n.remote, &t)
            );
            barriers.push(if two_phase { phases.receive.len() } else { 0 });
            let changes = phases.into_ordered();
            assert_eq!(changes.len(), 5);
            plans.push((i, changes));
            afters.push(t.after);
        }
        // Random interleaving of the two nodes' steps, each node's own order kept.
        let mut cursors = [0usize, 0];
        while cursors[0] < 5 || cursors[1] < 5 {
            // A node at its barrier waits until the other has passed its own.
            let blocked = |i: usize| {
                cursors[i] == 5 || (cursors[i] == barriers[i] && cursors[1 - i] < barriers[1 - i])
            };
            let who = if blocked(0) {
                1
            } else if blocked(1) {
                0
            } else {
                (rng.next() % 2) as usize
            };
            let change = plans[who].1[cursors[who]].clone();
            nodes[who].apply(&change);
            cursors[who] += 1;
            // Deliver what was in flight across this step, sometimes reordered.
            if rng.next() % 3 == 0 {
                in_flight.reverse();
            }
            for (to, pkt, expected) in in_flight.drain(..) {
                nodes[to].receive(pkt, &expected);
                delivered += 1;
            }
            // Both peers send after every step; the packets cross the next step.
            for from in 0..2 {
                let payload = format!("rotation {r} from {from}").into_bytes();
                let (a, b) = nodes.split_at_mut(1);
                let (sender, receiver) = if from == 0 {
                    (&mut a[0], &b[0])
                } else {
                    (&mut b[0], &a[0])
                };
                let pkt = sender.send(&payload, receiver);
                in_flight.push((1 - from, pkt, payload));
            }
        }
        for (n, after) in nodes.iter_mut().zip(afters) {
            n.ring = after;
            n.assert_steady();
        }
    }
    for (to, pkt, expected) in in_flight.drain(..) {
        nodes[to].receive(pkt, &expected);
        delivered += 1;
    }
    for n in &nodes {
        assert_eq!(n.inbound.counters().total(), 0, "no packet may be rejected");
    }
    delivered
}

#[test]
fn docker_compatible_rotation_loses_nothing() {
    let delivered = run(
        Profile::DockerCompatible,
        1000,
        0x9e37_79b9_7f4a_7c15,
        false,
    );
    assert_eq!(delivered, 1000 * 10 * 2);
}

#[test]
fn hardened_rotation_loses_nothing() {
    let delivered = run(Profile::Hardened, 1000, 0x2545_f491_4f6c_dd1d, false);
    assert_eq!(delivered, 1000 * 10 * 2);
}

#[test]
fn hardened_two_phase_rotation_loses_nothing() {
    let delivered = run(Profile::Hardened, 1000, 0x1234_5678_9abc_def1, true);
    assert_eq!(delivered, 1000 * 10 * 2);
}

#[test]
fn a_missed_rotation_is_refused_so_the_caller_resets() {
    // A node that missed an update sees two changed keys at once; the primary of the new set
    // is not in its ring, so the update fails (Docker's text) and the caller resets the ring
    // from the full set, as moby's agent falls back to `setKeys`.
    let mut manager = Manager::new();
    let ring = Keyring::from_swarm_keys(&manager.keys, SUBSYSTEM_IPSEC).unwrap();
    manager.rotate();
    let set = manager.rotate();
    let update = ring.update_to(&set, SUBSYSTEM_IPSEC).unwrap();
    for profile in [Profile::DockerCompatible, Profile::Hardened] {
        let err = plan_rotation(profile, &ring, &update).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot find proper key indices"),
            "{err}"
        );
    }
    let reset = Keyring::from_swarm_keys(&set, SUBSYSTEM_IPSEC).unwrap();
    assert_eq!(reset.primary().tag, set[1].lamport_time);
}
