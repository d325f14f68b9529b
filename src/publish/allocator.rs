//! Cluster-wide ingress port allocation, as swarmkit's `portallocator`: per protocol a master
//! space 1–65535 and a dynamic space 30000–32767. Published 0 takes the next free dynamic
//! port in serial order and keeps it across updates of the same service; a user-chosen port
//! inside the dynamic range is reserved there too. Host-mode ports are not allocated.
//!
//! Pure bookkeeping: no rules, no I/O.

use std::collections::HashMap;

use super::error::PublishError;
use super::port::{PortConfig, Protocol, PublishMode};

/// First port of the dynamic range (swarmkit `dynamicPortStart`).
pub const DYNAMIC_PORT_START: u16 = 30000;
/// Last port of the dynamic range (swarmkit `dynamicPortEnd`).
pub const DYNAMIC_PORT_END: u16 = 32767;

/// One allocated port of a service: the resolved config and whether its published port came
/// from the dynamic range because the spec asked for 0.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allocated {
    port: PortConfig,
    dynamic: bool,
}

/// Ingress port allocator for a cluster.
#[derive(Debug, Clone, Default)]
pub struct PortAllocator {
    /// Owner (service name) of each taken (protocol, port).
    owners: HashMap<(Protocol, u16), String>,
    /// Per protocol, the dynamic port to try next (serial allocation).
    next_dynamic: [u16; 3],
    services: HashMap<String, Vec<Allocated>>,
}

impl PortAllocator {
    /// An allocator with every port free.
    pub fn new() -> PortAllocator {
        PortAllocator {
            next_dynamic: [DYNAMIC_PORT_START; 3],
            ..PortAllocator::default()
        }
    }

    /// Allocates (or re-allocates on update) the ingress ports of `service` and returns its
    /// ports with published ports filled in, in spec order. A published 0 keeps the dynamic
    /// port the service had for the same name, protocol and target. On error nothing changes.
    pub fn allocate(
        &mut self,
        service: &str,
        spec: &[PortConfig],
    ) -> Result<Vec<PortConfig>, PublishError> {
        let previous = self.services.remove(service);
        let saved_cursors = self.next_dynamic;
        for a in previous.iter().flatten() {
            self.owners.remove(&(a.port.protocol, a.port.published));
        }
        match self.try_allocate(service, spec, previous.as_deref().unwrap_or_default()) {
            Ok(allocated) => {
                let ports = allocated.iter().map(|a| a.port.clone()).collect();
                self.services.insert(service.to_owned(), allocated);
                Ok(ports)
            }
            Err(e) => {
                self.next_dynamic = saved_cursors;
                // A service that had no allocation must stay unknown, not gain an empty one.
                if let Some(previous) = previous {
                    for a in &previous {
                        self.owners
                            .insert((a.port.protocol, a.port.published), service.to_owned());
                    }
                    self.services.insert(service.to_owned(), previous);
                }
                Err(e)
            }
        }
    }

    /// Frees every port of `service`. Returns whether it had any allocation.
    pub fn release(&mut self, service: &str) -> bool {
        let Some(previous) = self.services.remove(service) else {
            return false;
        };
        for a in previous {
            self.owners.remove(&(a.port.protocol, a.port.published));
        }
        true
    }

    /// The service holding a published port, if any.
    pub fn owner(&self, protocol: Protocol, port: u16) -> Option<&str> {
        self.owners.get(&(protocol, port)).map(String::as_str)
    }

    /// The ports last allocated to `service`.
    pub fn ports(&self, service: &str) -> Option<Vec<PortConfig>> {
        self.services
            .get(service)
            .map(|v| v.iter().map(|a| a.port.clone()).collect())
    }

    /// Allocates with the service's previous ports already freed; on error the caller rolls
    /// back, so this may leave partial state behind.
    fn try_allocate(
        &mut self,
        service: &str,
        spec: &[PortConfig],
        previous: &[Allocated],
    ) -> Result<Vec<Allocated>, PublishError> {
        let mut result: Vec<Option<Allocated>> = vec![None; spec.len()];
        let mut taken: Vec<(Protocol, u16)> = Vec::new();
        let undo = |owners: &mut HashMap<(Protocol, u16), String>, taken: &[(Protocol, u16)]| {
            for key in taken {
                owners.remove(key);
            }
        };
        // User-chosen ports first, so a sticky or dynamic port never steals one of them.
        for (i, port) in spec.iter().enumerate() {
            if port.mode == PublishMode::Host {
                result[i] = Some(Allocated {
                    port: port.clone(),
                    dynamic: false,
                });
            } else if port.published != 0 {
                let key = (port.protocol, port.published);
                if let Some(owner) = self.owners.get(&key) {
                    let e = PublishError::PortInUse {
                        protocol: port.protocol,
                        port: port.published,
                        service: owner.clone(),
                    };
                    undo(&mut self.owners, &taken);
                    return Err(e);
                }
                self.owners.insert(key, service.to_owned());
                taken.push(key);
                result[i] = Some(Allocated {
                    port: port.clone(),
                    dynamic: false,
                });
            }
        }
        // Then published 0: reuse the previous dynamic port for the same port, else the next.
        let mut reusable: Vec<&Allocated> = previous.iter().filter(|a| a.dynamic).collect();
        for (i, port) in spec.iter().enumerate() {
            if result[i].is_some() {
                continue;
            }
            let sticky = reusable.iter().position(|a| {
                a.port.name == port.name
                    && a.port.protocol == port.protocol
                    && a.port.target == port.target
                    && !self.owners.contains_key(&(port.protocol, a.port.published))
            });
            let published = match sticky {
                Some(at) => reusable.swap_remove(at).port.published,
                None => match self.next_free_dynamic(port.protocol) {
                    Some(p) => p,
                    None => {
                        undo(&mut self.owners, &taken);
                        return Err(PublishError::DynamicPortsExhausted {
                            protocol: port.protocol,
                        });
                    }
                },
            };
            let key = (port.protocol, published);
            self.owners.insert(key, service.to_owned());
            taken.push(key);
            result[i] = Some(Allocated {
                port: PortConfig {
                    published,
                    ..port.clone()
                },
                dynamic: true,
            });
        }
        Ok(result.into_iter().flatten().collect())
    }

    /// The first free dynamic port at or after the protocol's cursor, wrapping once; advances
    /// the cursor past it (libnetwork idm `GetID(serial=true)`).
    fn next_free_dynamic(&mut self, protocol: Protocol) -> Option<u16> {
        let span = DYNAMIC_PORT_END - DYNAMIC_PORT_START + 1;
        let cursor = self.next_dynamic[protocol.index()];
        (0..span)
            .map(|k| DYNAMIC_PORT_START + (cursor - DYNAMIC_PORT_START + k) % span)
            .find(|p| !self.owners.contains_key(&(protocol, *p)))
            .inspect(|p| {
                self.next_dynamic[protocol.index()] = if *p == DYNAMIC_PORT_END {
                    DYNAMIC_PORT_START
                } else {
                    p + 1
                };
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(published: u16, target: u16) -> PortConfig {
        PortConfig::ingress(Protocol::Tcp, published, target)
    }

    #[test]
    fn dynamic_ports_are_serial_and_sticky() {
        let mut a = PortAllocator::new();
        let web = a.allocate("web", &[tcp(0, 80), tcp(0, 443)]).unwrap();
        assert_eq!((web[0].published, web[1].published), (30000, 30001));
        let db = a.allocate("db", &[tcp(0, 5432)]).unwrap();
        assert_eq!(db[0].published, 30002);
        // Updating web keeps its dynamic ports, even in another order.
        let web2 = a
            .allocate("web", &[tcp(0, 443), tcp(0, 80), tcp(0, 81)])
            .unwrap();
        assert_eq!(
            web2.iter().map(|p| p.published).collect::<Vec<_>>(),
            [30001, 30000, 30003]
        );
        // Release frees; serial allocation continues after the last one handed out.
        assert!(a.release("db"));
        assert!(!a.release("db"));
        assert_eq!(a.allocate("x", &[tcp(0, 1)]).unwrap()[0].published, 30004);
        assert_eq!(a.owner(Protocol::Tcp, 30002), None);
    }

    #[test]
    fn user_ports_conflict_per_protocol_and_reserve_dynamic_space() {
        let mut a = PortAllocator::new();
        a.allocate("web", &[tcp(30000, 80), tcp(8080, 80)]).unwrap();
        assert_eq!(a.allocate("x", &[tcp(0, 1)]).unwrap()[0].published, 30001);
        let err = a.allocate("other", &[tcp(8080, 81)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "port '8080/tcp' is already in use by service 'web' as an ingress port"
        );
        // Same number, other protocol: fine.
        a.allocate("other", &[PortConfig::ingress(Protocol::Udp, 8080, 81)])
            .unwrap();
        // Host mode is not allocated.
        a.allocate("h", &[PortConfig::host(Protocol::Tcp, 8080, 80)])
            .unwrap();
    }

    #[test]
    fn failed_update_leaves_state_unchanged() {
        let mut a = PortAllocator::new();
        a.allocate("web", &[tcp(0, 80), tcp(9000, 90)]).unwrap();
        a.allocate("db", &[tcp(5432, 5432)]).unwrap();
        let before = format!("{:?}", (a.ports("web"), a.ports("db"), a.next_dynamic));
        assert!(a.allocate("web", &[tcp(0, 81), tcp(5432, 1)]).is_err());
        let after = format!("{:?}", (a.ports("web"), a.ports("db"), a.next_dynamic));
        assert_eq!(before, after);
        assert_eq!(a.owner(Protocol::Tcp, 9000), Some("web"));
        assert_eq!(a.owner(Protocol::Tcp, 30000), Some("web"));
        // A failed first allocation leaves the service unknown.
        assert!(a.allocate("new", &[tcp(5432, 1)]).is_err());
        assert_eq!(a.ports("new"), None);
        assert!(!a.release("new"));
        // A service may move its own port around in an update.
        a.allocate("web", &[tcp(9000, 91)]).unwrap();
    }

    #[test]
    fn exhaustion_is_an_error_and_release_recovers() {
        let mut a = PortAllocator::new();
        let span = usize::from(DYNAMIC_PORT_END - DYNAMIC_PORT_START + 1);
        let spec: Vec<PortConfig> = (0..span).map(|i| tcp(0, i as u16 + 1)).collect();
        a.allocate("big", &spec).unwrap();
        assert_eq!(
            a.allocate("one", &[tcp(0, 1)]),
            Err(PublishError::DynamicPortsExhausted {
                protocol: Protocol::Tcp
            })
        );
        assert!(
            a.allocate("udp", &[PortConfig::ingress(Protocol::Udp, 0, 1)])
                .is_ok()
        );
        a.release("big");
        assert!(a.allocate("one", &[tcp(0, 1)]).is_ok());
    }
}
