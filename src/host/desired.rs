//! The full desired [`KernelState`] computed from the engine's state: per network with a
//! sandbox its namespace, one bridge + VXLAN device per subnet, the endpoint veths with MTU,
//! MAC, address and static routes, the programmed peers' neighbour and FDB entries; the
//! docker_gwbridge attachments; the XFRM objects per remote VTEP of encrypted networks; and
//! our `overlaynet` nftables table.
//!
//! Pure: the same engine state always gives the same kernel state. The incremental path in
//! [`super::Host::apply_peer_event`] must agree with this build (a property test checks it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::host::{DataPathMode, GwBridge, Host};
use super::keys::xfrm_objects;
use super::network::Network;
use crate::kernel::{
    AddrKey, FdbEntry, FdbTable, KernelState, Link, LinkKey, LinkKind, NFT_TABLE, Neigh, NeighKey,
    Netns, NftFamily, NftTable, NftTableKey, Route, RouteKey, VxlanAttrs,
};
use crate::model::Family;

/// Remote VTEP → number of encrypted networks with a sandbox that have a programmed peer
/// behind it (the SAs to that host exist while this is non-zero; moby's `secMap` count).
pub(crate) type TunnelRefs = BTreeMap<IpAddr, u32>;

/// The complete desired state and the encrypted-tunnel reference counts.
pub(crate) fn build(host: &Host) -> (KernelState, TunnelRefs) {
    let mut state = KernelState::new();
    let mut refs = TunnelRefs::new();
    for net in host.networks.values() {
        let Some(ns) = net.sandbox() else { continue };
        sandbox(host, net, &ns, &mut state);
        programmed_peers(net, &ns, &mut state);
        if net.encrypted() {
            for v in net.peers.vteps().filter(|v| v.programmed > 0) {
                *refs.entry(v.vtep).or_default() += 1;
            }
        }
    }
    gwbridge(host, &mut state);
    if let (Some(profile), Some(ring)) = (host.profile(), &host.keyring) {
        let endpoints = host.ipsec_endpoints();
        for &remote in refs.keys() {
            xfrm_objects(profile, &endpoints, remote, ring).insert_into(&mut state);
        }
    }
    nft_tables(host, &mut state);
    (state, refs)
}

/// The neighbour and FDB entries of every programmed remote peer. Built as sorted runs and
/// appended in bulk: at 10,000 peers this is several times faster than one insert per entry.
fn programmed_peers(net: &Network, ns: &Netns, state: &mut KernelState) {
    let subnets: Vec<(IpNet, String)> = net
        .state
        .subnets()
        .iter()
        .enumerate()
        .map(|(i, s)| (IpNet::V4(s.subnet()), Network::vxlan_name(i)))
        .collect();
    let mut neighs = Vec::with_capacity(net.peers.len());
    let mut fdb = Vec::with_capacity(net.peers.len());
    for p in net.peers.programmed() {
        let subnet = p.subnet();
        let (Some(vtep), Some((_, vx))) = (p.vtep(), subnets.iter().find(|(s, _)| *s == subnet))
        else {
            continue;
        };
        neighs.push((
            NeighKey {
                netns: ns.clone(),
                link: vx.clone(),
                ip: p.ip().addr(),
            },
            Neigh { lladdr: p.mac() },
        ));
        fdb.push(FdbEntry {
            netns: ns.clone(),
            link: vx.clone(),
            mac: p.mac(),
            dst: Some(vtep),
            table: FdbTable::SelfDev,
        });
    }
    let mut neighs: BTreeMap<_, _> = neighs.into_iter().collect();
    state.neighs.append(&mut neighs);
    let mut fdb: BTreeSet<_> = fdb.into_iter().collect();
    state.fdb.append(&mut fdb);
}

/// The VXLAN attributes of one subnet's device.
pub(crate) fn vxlan_attrs(host: &Host, vni: u32) -> VxlanAttrs {
    let mut attrs = VxlanAttrs::docker(vni, host.node.data_path_port());
    // Pinned to our VTEP so replies leave from the address peers know (moby#53004).
    attrs.local = Some(host.node.vtep());
    attrs.ipv6_underlay = host.node.underlay_family() == Family::V6;
    if host.mode == DataPathMode::Hardened {
        // Every remote MAC has a static FDB entry; learned rows could only mask a missing one
        // (moby#52661), and nothing listens for miss notifications.
        attrs.learning = false;
        attrs.l2miss = false;
        attrs.l3miss = false;
    }
    attrs
}

fn sandbox(host: &Host, net: &Network, ns: &Netns, state: &mut KernelState) {
    let Netns::Named(name) = ns else { return };
    state.namespaces.insert(name.clone());
    let subnets = net.state.subnets();
    for (i, s) in subnets.iter().enumerate() {
        let br = Network::bridge_name(i);
        state.links.insert(
            LinkKey::new(ns.clone(), &br),
            Link::new(LinkKind::Bridge).up(),
        );
        let gw = Ipv4Net::new(s.gateway(), s.subnet().prefix_len()).unwrap_or(s.subnet());
        state
            .addrs
            .insert(AddrKey::new(ns.clone(), &br, IpNet::V4(gw)));
        let vx = Link::new(LinkKind::Vxlan(vxlan_attrs(host, s.vni().get())))
            .with_mtu(net.mtu)
            .with_master(&br)
            .up();
        state
            .links
            .insert(LinkKey::new(ns.clone(), Network::vxlan_name(i)), vx);
    }
    for ep in net.endpoints.values() {
        let inside = LinkKey::new(Netns::named(&ep.container), &ep.ifname);
        let outside = LinkKey::new(ns.clone(), &ep.veth);
        state.namespaces.insert(ep.container.clone());
        state.links.insert(
            outside.clone(),
            Link::new(LinkKind::Veth {
                peer: inside.clone(),
            })
            .with_mtu(net.mtu)
            .with_master(Network::bridge_name(ep.subnet))
            .up(),
        );
        state.links.insert(
            inside.clone(),
            Link::new(LinkKind::Veth { peer: outside })
                .with_mtu(net.mtu)
                .with_mac(ep.mac)
                .up(),
        );
        state.addrs.insert(AddrKey::new(
            inside.netns.clone(),
            &ep.ifname,
            IpNet::V4(ep.address),
        ));
        // Other subnets of the network via this subnet's gateway; no default route.
        let via = subnets[ep.subnet].gateway();
        for (j, other) in subnets.iter().enumerate() {
            if j != ep.subnet {
                state.routes.insert(
                    RouteKey::new(inside.netns.clone(), IpNet::V4(other.subnet())),
                    Route {
                        dev: ep.ifname.clone(),
                        via: Some(IpAddr::V4(via)),
                    },
                );
            }
        }
    }
}

fn gwbridge(host: &Host, state: &mut KernelState) {
    let Some(gw) = &host.gwbridge else { return };
    let attached: Vec<_> = host
        .networks
        .values()
        .flat_map(|n| n.endpoints.values())
        .filter_map(|ep| ep.external.as_ref().map(|x| (ep, x)))
        .collect();
    if attached.is_empty() {
        return;
    }
    let bridge = LinkKey::new(Netns::Host, &gw.bridge);
    let mut link = Link::new(LinkKind::Bridge).up();
    link.mtu = gw.mtu;
    state.links.insert(bridge.clone(), link);
    let gw_addr = Ipv4Net::new(gw.gateway, gw.subnet.prefix_len()).unwrap_or(gw.subnet);
    state
        .addrs
        .insert(AddrKey::new(Netns::Host, &gw.bridge, IpNet::V4(gw_addr)));
    for (ep, x) in attached {
        let inside = LinkKey::new(Netns::named(&ep.container), &x.ifname);
        let outside = LinkKey::new(Netns::Host, &x.veth);
        let mut out_link = Link::new(LinkKind::Veth {
            peer: inside.clone(),
        })
        .with_master(&gw.bridge)
        .up();
        out_link.mtu = gw.mtu;
        let mut in_link = Link::new(LinkKind::Veth { peer: outside }).up();
        in_link.mtu = gw.mtu;
        state.links.insert(outside_key(&x.veth), out_link);
        state.links.insert(inside.clone(), in_link);
        state.addrs.insert(AddrKey::new(
            inside.netns.clone(),
            &x.ifname,
            IpNet::V4(x.address),
        ));
        state.routes.insert(
            RouteKey::new(inside.netns.clone(), IpNet::V4(Ipv4Net::default())),
            Route {
                dev: x.ifname.clone(),
                via: Some(IpAddr::V4(gw.gateway)),
            },
        );
    }
}

fn outside_key(veth: &str) -> LinkKey {
    LinkKey::new(Netns::Host, veth)
}

/// Our host-namespace nftables tables: the encryption glue of moby's nftables backend
/// (§ "Firewall glue") for VNIs of encrypted networks with a sandbox, and docker_gwbridge's
/// masquerade and no-ICC rules while containers are attached. Counters are left out so the
/// table body the kernel lists back compares equal.
fn nft_tables(host: &Host, state: &mut KernelState) {
    let mut vnis: Vec<u32> = host
        .networks
        .values()
        .filter(|n| n.encrypted() && n.sandbox().is_some())
        .flat_map(|n| n.vnis())
        .collect();
    vnis.sort_unstable();
    let port = host.node.data_path_port();
    let enc_family = match host.node.underlay_family() {
        Family::V4 => NftFamily::Ip,
        Family::V6 => NftFamily::Ip6,
    };
    let mut bodies: BTreeMap<NftFamily, String> = BTreeMap::new();
    if !vnis.is_empty() {
        let body = bodies.entry(enc_family).or_default();
        let elements: Vec<String> = vnis.iter().map(|v| format!("0x{v:06x}")).collect();
        let _ = write!(
            body,
            "\tset encrypted-vnis {{\n\t\ttypeof @th,96,24\n\t\telements = {{ {} }}\n\t}}\n\
             \tchain enc-out {{\n\t\ttype route hook output priority mangle; policy accept;\n\
             \t\tudp dport {port} @th,96,24 @encrypted-vnis meta mark set 0x{mark:08x}\n\t}}\n\
             \tchain enc-in {{\n\t\ttype filter hook input priority raw; policy accept;\n\
             \t\tmeta secpath missing udp dport {port} @th,96,24 @encrypted-vnis drop\n\t}}\n",
            elements.join(", "),
            mark = crate::kernel::DOCKER_XFRM_MARK,
        );
    }
    if let Some(gw) = gateway_rules(host) {
        bodies.entry(NftFamily::Ip).or_default().push_str(&gw);
    }
    for (family, body) in bodies {
        state.nft_tables.insert(
            NftTableKey::new(Netns::Host, family, NFT_TABLE),
            NftTable { body },
        );
    }
}

fn gateway_rules(host: &Host) -> Option<String> {
    let gw: &GwBridge = host.gwbridge.as_ref()?;
    let attached = host
        .networks
        .values()
        .flat_map(|n| n.endpoints.values())
        .any(|ep| ep.external.is_some());
    if !attached || (gw.icc && !gw.masquerade) {
        return None;
    }
    let mut body = String::new();
    if gw.masquerade {
        let _ = write!(
            body,
            "\tchain gw-nat {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\
             \t\tip saddr {} oifname != \"{}\" masquerade\n\t}}\n",
            gw.subnet, gw.bridge
        );
    }
    if !gw.icc {
        let _ = write!(
            body,
            "\tchain gw-forward {{\n\t\ttype filter hook forward priority filter; policy accept;\n\
             \t\tiifname \"{b}\" oifname \"{b}\" drop\n\t}}\n",
            b = gw.bridge
        );
    }
    Some(body)
}
