//! Service endpoints: swarmkit's endpoint-spec validation and the name resolution data a
//! runtime's embedded DNS serves (VIP mode: name → VIP, `tasks.<name>` → task IPs; DNS round
//! robin: name → task IPs). Multi-address answers are shuffled, as libnetwork's resolver
//! does, by a seedable ChaCha8 generator so tests and replays are deterministic.
//!
//! No DNS wire format and no I/O here: this is the table behind the resolver.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::error::PublishError;
use super::port::{PortConfig, PublishMode};

/// How clients reach a service's tasks (swarm `ResolutionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u32)]
pub enum EndpointMode {
    /// A virtual IP per attached network, load-balanced to the tasks (`vip`, the default).
    #[default]
    Vip = 0,
    /// No VIP: the name resolves to the task IPs (`dnsrr`).
    Dnsrr = 1,
}

/// swarmkit `validateEndpointSpec`: ingress-mode ports cannot be used with DNS round robin
/// (host-mode ports can), and no published port may appear twice for one protocol (published
/// 0 never conflicts).
pub fn validate_endpoint_spec(
    mode: EndpointMode,
    ports: &[PortConfig],
) -> Result<(), PublishError> {
    let mut seen = HashSet::new();
    for port in ports {
        if mode == EndpointMode::Dnsrr && port.mode == PublishMode::Ingress {
            return Err(PublishError::IngressWithDnsrr {
                port: port.published,
            });
        }
        if port.published == 0 {
            continue;
        }
        if !seen.insert((port.published, port.protocol)) {
            return Err(PublishError::DuplicatePublishedPort {
                protocol: port.protocol,
                port: port.published,
            });
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ServiceEntry {
    mode: EndpointMode,
    vip: Option<IpAddr>,
    tasks: Vec<IpAddr>,
}

/// The names one network's embedded DNS answers for its services.
///
/// Names are case-insensitive and a trailing dot is ignored, as in libnetwork.
#[derive(Debug, Clone)]
pub struct ServiceResolver {
    services: BTreeMap<String, ServiceEntry>,
    rng: ChaCha8Rng,
}

impl ServiceResolver {
    /// An empty table whose shuffles are determined by `seed`.
    pub fn with_seed(seed: u64) -> ServiceResolver {
        ServiceResolver {
            services: BTreeMap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Adds or replaces a service on this network: its mode and, in VIP mode, its VIP here.
    /// Existing task addresses are kept. A VIP given for a DNSRR service is ignored, as the
    /// swarm allocator removes it.
    pub fn set_service(&mut self, name: &str, mode: EndpointMode, vip: Option<IpAddr>) {
        let vip = if mode == EndpointMode::Vip { vip } else { None };
        let entry = self
            .services
            .entry(normalise(name))
            .or_insert(ServiceEntry {
                mode,
                vip,
                tasks: Vec::new(),
            });
        entry.mode = mode;
        entry.vip = vip;
    }

    /// Replaces the task addresses of a service (adding the service in VIP mode without a
    /// VIP if it is unknown).
    pub fn set_tasks(&mut self, name: &str, tasks: &[IpAddr]) {
        let entry = self
            .services
            .entry(normalise(name))
            .or_insert(ServiceEntry {
                mode: EndpointMode::Vip,
                vip: None,
                tasks: Vec::new(),
            });
        entry.tasks = tasks.to_vec();
    }

    /// Forgets a service. Returns whether it was known.
    pub fn remove_service(&mut self, name: &str) -> bool {
        self.services.remove(&normalise(name)).is_some()
    }

    /// The addresses for `query`: the VIP for a VIP-mode name, the shuffled task addresses for
    /// a DNSRR name or for `tasks.<name>`. `None` when the name is unknown (NXDOMAIN); an empty
    /// list when the service has no address of that kind yet.
    pub fn resolve(&mut self, query: &str) -> Option<Vec<IpAddr>> {
        Some(match lookup(&self.services, query)? {
            Answer::Vip(vip) => vip.into_iter().collect(),
            Answer::Tasks(tasks) => shuffled(tasks, &mut self.rng),
        })
    }

    /// How many addresses [`resolve`](Self::resolve) would return for `query`, without
    /// drawing from the shuffle generator (so a caller can size a buffer first).
    pub fn answer_len(&self, query: &str) -> Option<usize> {
        Some(match lookup(&self.services, query)? {
            Answer::Vip(vip) => usize::from(vip.is_some()),
            Answer::Tasks(tasks) => tasks.len(),
        })
    }
}

/// What a query resolves to, before shuffling.
enum Answer<'a> {
    Vip(Option<IpAddr>),
    Tasks(&'a [IpAddr]),
}

fn lookup<'a>(services: &'a BTreeMap<String, ServiceEntry>, query: &str) -> Option<Answer<'a>> {
    let query = normalise(query);
    if let Some(entry) = services.get(&query) {
        return Some(match entry.mode {
            EndpointMode::Vip => Answer::Vip(entry.vip),
            EndpointMode::Dnsrr => Answer::Tasks(&entry.tasks),
        });
    }
    let entry = services.get(query.strip_prefix("tasks.")?)?;
    Some(Answer::Tasks(&entry.tasks))
}

fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn shuffled(addrs: &[IpAddr], rng: &mut ChaCha8Rng) -> Vec<IpAddr> {
    let mut out = addrs.to_vec();
    out.shuffle(rng);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::Protocol;

    #[test]
    fn endpoint_spec_rules() {
        let ingress = PortConfig::ingress(Protocol::Tcp, 8080, 80);
        let host = PortConfig::host(Protocol::Tcp, 8080, 80);
        assert_eq!(
            validate_endpoint_spec(EndpointMode::Dnsrr, std::slice::from_ref(&ingress))
                .unwrap_err()
                .to_string(),
            "EndpointSpec: port published with ingress mode can't be used with dnsrr mode"
        );
        assert!(validate_endpoint_spec(EndpointMode::Dnsrr, std::slice::from_ref(&host)).is_ok());
        assert_eq!(
            validate_endpoint_spec(EndpointMode::Vip, &[ingress.clone(), host.clone()])
                .unwrap_err()
                .to_string(),
            "EndpointSpec: duplicate published ports provided"
        );
        let udp = PortConfig::ingress(Protocol::Udp, 8080, 80);
        let zero = PortConfig::ingress(Protocol::Tcp, 0, 80);
        assert!(
            validate_endpoint_spec(EndpointMode::Vip, &[ingress, udp, zero.clone(), zero]).is_ok()
        );
    }

    #[test]
    fn vip_and_dnsrr_resolution() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let tasks = [
            ip("10.0.0.3"),
            ip("10.0.0.4"),
            ip("10.0.0.5"),
            ip("fd00::5"),
        ];
        let mut r = ServiceResolver::with_seed(7);
        r.set_service("Web", EndpointMode::Vip, Some(ip("10.0.0.2")));
        r.set_tasks("web", &tasks);
        r.set_service("db", EndpointMode::Dnsrr, Some(ip("10.0.0.9")));
        r.set_tasks("db", &tasks);

        assert_eq!(r.resolve("web."), Some(vec![ip("10.0.0.2")]));
        let mut t = r.resolve("TASKS.web").unwrap();
        t.sort();
        assert_eq!(t, tasks);
        assert_eq!(r.resolve("nope"), None);
        assert_eq!(r.resolve("tasks.nope"), None);

        // DNSRR answers every task, in an order that changes between queries.
        let orders: HashSet<Vec<IpAddr>> = (0..20).map(|_| r.resolve("db").unwrap()).collect();
        assert!(orders.len() > 1);
        assert!(orders.iter().all(|o| o.len() == 4));
        // Same seed, same answers.
        let mut a = ServiceResolver::with_seed(1);
        let mut b = ServiceResolver::with_seed(1);
        for r in [&mut a, &mut b] {
            r.set_service("db", EndpointMode::Dnsrr, None);
            r.set_tasks("db", &tasks);
        }
        assert_eq!(
            (0..5).map(|_| a.resolve("db")).collect::<Vec<_>>(),
            (0..5).map(|_| b.resolve("db")).collect::<Vec<_>>()
        );
        // answer_len predicts every answer and leaves the shuffle sequence alone.
        let mut c = ServiceResolver::with_seed(1);
        c.set_service("db", EndpointMode::Dnsrr, None);
        c.set_tasks("db", &tasks);
        assert_eq!(c.answer_len("db"), Some(4));
        assert_eq!(c.answer_len("tasks.db"), Some(4));
        assert_eq!(c.answer_len("nope"), None);
        assert_eq!(r.answer_len("web"), Some(1));
        let mut d = ServiceResolver::with_seed(1);
        d.set_service("db", EndpointMode::Dnsrr, None);
        d.set_tasks("db", &tasks);
        assert_eq!(d.resolve("db"), c.resolve("db"));
        c.set_service("novip", EndpointMode::Vip, None);
        assert_eq!(c.answer_len("novip"), Some(0));
        assert_eq!(c.resolve("novip"), Some(vec![]));
        assert!(r.remove_service("db"));
        assert_eq!(r.resolve("db"), None);
    }
}
