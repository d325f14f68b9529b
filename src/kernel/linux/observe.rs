//! Observation: dumps links, addresses, routes, neighbours, FDB entries, XFRM objects and
//! nftables tables from the namespaces in scope, resolves indexes to names (veth peers across
//! namespaces through namespace ids), and keeps only what the scope says is ours. It never
//! changes the kernel.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;

use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::{LinuxError, LinuxKernel, addr, dump_err, link, neigh, nft, route, xfrm};
use crate::kernel::{
    AddrKey, FdbEntry, KernelState, Link, LinkKey, LinkKind, Neigh, NeighKey, Netns, NftTableKey,
    ObjectId, Route, RouteKey,
};

impl LinuxKernel {
    /// Namespaces to observe: the host, our named namespaces, and namespaces holding claimed
    /// links. Returns (namespace, whether everything inside is ours).
    fn observed_namespaces(&self) -> Result<Vec<(Netns, bool)>, LinuxError> {
        let mut out = vec![(Netns::Host, false)];
        let names = self.config.netns_dir.list().map_err(LinuxError::Io)?;
        for n in &names {
            let ns = Netns::named(n.clone());
            if Some(n) == self.config.host_netns.as_ref() {
                continue;
            }
            if self.config.scope.owns_netns(&ns) {
                out.push((ns, true));
            } else if self
                .config
                .scope
                .claimed_links
                .iter()
                .any(|k| k.netns == ns)
            {
                out.push((ns, false));
            }
        }
        Ok(out)
    }

    /// The id `from` uses for namespace `to` (`RTM_GETNSID`), if any.
    fn nsid(&mut self, from: &Netns, to: &File) -> Result<Option<i32>, LinuxError> {
        let mut m = NsidMessage::default();
        m.header.family = AddressFamily::Unspec;
        m.attributes.push(NsidAttribute::Fd(to.as_raw_fd() as u32));
        let replies = match self.sock(from)?.get(RouteNetlinkMessage::GetNsId(m))? {
            Ok(r) => r,
            Err(_) => return Ok(None),
        };
        Ok(replies.iter().find_map(|r| match r {
            RouteNetlinkMessage::NewNsId(n) => n.attributes.iter().find_map(|a| match a {
                NsidAttribute::Id(id) if *id >= 0 => Some(*id),
                _ => None,
            }),
            _ => None,
        }))
    }

    pub(super) fn observe_all(&mut self) -> Result<KernelState, LinuxError> {
        let mut st = KernelState::new();
        let namespaces = self.observed_namespaces()?;
        for (ns, _) in &namespaces {
            if let Netns::Named(n) = ns {
                st.namespaces.insert(n.clone());
            }
        }
        // Namespace files, to resolve veth peers' namespace ids.
        let mut files: Vec<(Netns, File)> = Vec::new();
        for (ns, _) in &namespaces {
            match self.ns_file(ns)? {
                Some(f) => files.push((ns.clone(), f)),
                None => files.push((
                    ns.clone(),
                    File::open("/proc/self/ns/net").map_err(LinuxError::Io)?,
                )),
            }
        }
        let mut dumped: Vec<(Netns, Vec<link::Dumped>)> = Vec::new();
        for (ns, _) in &namespaces {
            let links = self.dump_links(ns)?;
            self.index.insert(
                ns.clone(),
                links.iter().map(|l| (l.name.clone(), l.index)).collect(),
            );
            dumped.push((ns.clone(), links));
        }
        // Namespace ids as seen from each namespace that has a veth with a remote peer.
        let mut ids: HashMap<(Netns, i32), Netns> = HashMap::new();
        for (ns, links) in &dumped {
            if links.iter().any(|l| l.peer_nsid.is_some()) {
                for (other, f) in &files {
                    if let Some(id) = self.nsid(ns, f)? {
                        ids.insert((ns.clone(), id), other.clone());
                    }
                }
            }
        }
        let name_of = |ns: &Netns, idx: u32| -> Option<String> {
            dumped
                .iter()
                .find(|(n, _)| n == ns)
                .and_then(|(_, ls)| ls.iter().find(|l| l.index == idx))
                .map(|l| l.name.clone())
        };
        for (ns, links) in &dumped {
            for l in links {
                let Some(mut kind) = l.kind.clone() else {
                    continue;
                };
                if let LinkKind::Veth { peer } = &mut kind {
                    let pns = match l.peer_nsid {
                        None => Some(ns.clone()),
                        Some(id) => ids.get(&(ns.clone(), id)).cloned(),
                    };
                    let pname = match (&pns, l.peer_index) {
                        (Some(p), Some(i)) => name_of(p, i),
                        _ => None,
                    };
                    *peer = match (pns, pname) {
                        (Some(p), Some(n)) => LinkKey::new(p, n),
                        // The peer lives in a namespace we do not observe.
                        _ => LinkKey::new(
                            Netns::named(format!("nsid:{}", l.peer_nsid.unwrap_or(-1))),
                            format!("if{}", l.peer_index.unwrap_or(0)),
                        ),
                    };
                }
                let master = l.master.and_then(|m| name_of(ns, m));
                st.links.insert(
                    LinkKey::new(ns.clone(), l.name.clone()),
                    Link {
                        kind,
                        mtu: l.mtu,
                        mac: l.mac,
                        master,
                        up: l.up,
                    },
                );
            }
        }
        for (ns, links) in &dumped {
            let modeled = |idx: u32| -> Option<String> {
                links
                    .iter()
                    .find(|l| l.index == idx && l.kind.is_some())
                    .map(|l| l.name.clone())
            };
            let own_macs: Vec<_> = links.iter().filter_map(|l| l.mac).collect();
            let sock = self.sock(ns)?;
            for m in sock
                .dump(addr::dump())?
                .map_err(|n| dump_err("addresses", n))?
            {
                if let RouteNetlinkMessage::NewAddress(a) = m {
                    if let Some((idx, prefix)) = addr::parse(&a) {
                        if let Some(dev) = modeled(idx) {
                            st.addrs.insert(AddrKey::new(ns.clone(), dev, prefix));
                        }
                    }
                }
            }
            for v6 in [false, true] {
                for m in sock
                    .dump(route::dump(v6))?
                    .map_err(|n| dump_err("routes", n))?
                {
                    if let RouteNetlinkMessage::NewRoute(r) = m {
                        if let Some((dst, oif, via)) = route::parse(&r) {
                            if let Some(dev) = modeled(oif) {
                                st.routes
                                    .insert(RouteKey::new(ns.clone(), dst), Route { dev, via });
                            }
                        }
                    }
                }
            }
            for fam in [
                AddressFamily::Inet,
                AddressFamily::Inet6,
                AddressFamily::Bridge,
            ] {
                for m in sock
                    .dump(neigh::dump(fam))?
                    .map_err(|n| dump_err("neighbours", n))?
                {
                    let RouteNetlinkMessage::NewNeighbour(n) = m else {
                        continue;
                    };
                    let Some(d) = neigh::parse(&n) else { continue };
                    let Some(dev) = modeled(d.index) else {
                        continue;
                    };
                    match (d.table, d.ip) {
                        (None, Some(ip)) => {
                            st.neighs.insert(
                                NeighKey::new(ns.clone(), dev, ip),
                                Neigh { lladdr: d.mac },
                            );
                        }
                        (Some(table), dst) => {
                            // The kernel's own entries for the links' addresses are not ours.
                            if own_macs.contains(&d.mac) {
                                continue;
                            }
                            st.fdb.insert(FdbEntry {
                                netns: ns.clone(),
                                link: dev,
                                mac: d.mac,
                                dst,
                                table,
                            });
                        }
                        (None, None) => {}
                    }
                }
            }
        }
        for (ns, _) in &namespaces {
            let f = self.ns_file(ns)?;
            let name = self.config.scope.nft_table.clone();
            for (family, body) in nft::list_tables(f.as_ref(), &self.label(ns), &name)? {
                st.nft_tables.insert(
                    NftTableKey::new(ns.clone(), family, name.clone()),
                    crate::kernel::NftTable { body },
                );
            }
        }
        let mark = self.config.scope.xfrm_mark;
        let xs = self.xfrm_sock()?;
        for m in xs
            .dump(xfrm::dump_states())?
            .map_err(|n| dump_err("xfrm states", n))?
        {
            if let netlink_packet_xfrm::XfrmMessage::AddSa(sa) = m {
                if let Some((k, s)) = xfrm::parse_state(&sa) {
                    if s.reqid == mark {
                        st.xfrm_states.insert(k, s);
                    }
                }
            }
        }
        for m in xs
            .dump(xfrm::dump_policies())?
            .map_err(|n| dump_err("xfrm policies", n))?
        {
            if let netlink_packet_xfrm::XfrmMessage::AddPolicy(p) = m {
                if let Some((k, p)) = xfrm::parse_policy(&p) {
                    if k.mark.is_some_and(|m| m.value == mark) {
                        st.xfrm_policies.insert(k, p);
                    }
                }
            }
        }
        // Only what is ours (or in our namespaces) leaves this function.
        let scope = self.config.scope.clone();
        let snapshot = st.clone();
        let ours = |id: ObjectId| scope.owns(&id, &snapshot);
        st.links.retain(|k, _| ours(ObjectId::Link(k.clone())));
        st.addrs.retain(|k| ours(ObjectId::Addr(k.clone())));
        st.routes.retain(|k, _| ours(ObjectId::Route(k.clone())));
        st.neighs.retain(|k, _| ours(ObjectId::Neigh(k.clone())));
        st.fdb.retain(|k| ours(ObjectId::Fdb(k.clone())));
        st.nft_tables
            .retain(|k, _| ours(ObjectId::NftTable(k.clone())));
        Ok(st)
    }
}
