//! rtnetlink link messages: create bridges, VXLAN devices (with moby `createVxlan`'s
//! attributes), veth pairs and dummies; move and rename; set MTU, MAC, master and up; delete;
//! and read a link dump back into the vocabulary.
//!
//! Pure message building and parsing: no sockets, no namespace switching.

use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::RawFd;

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, InfoVxlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};

use crate::kernel::{Link, LinkChange, LinkKind, VxlanAttrs};
use crate::wire::MacAddr;

/// `RTM_NEWLINK` creating `name` with `link`'s kind, MTU and MAC (down, no master). For a
/// veth, `peer` is the other end's name, attributes and namespace fd.
pub fn create(name: &str, link: &Link, peer: Option<(&str, &Link, RawFd)>) -> RouteNetlinkMessage {
    let mut m = base(name, link);
    let info = match &link.kind {
        LinkKind::Bridge => vec![LinkInfo::Kind(InfoKind::Bridge)],
        LinkKind::Dummy => vec![LinkInfo::Kind(InfoKind::Dummy)],
        LinkKind::Vxlan(v) => vec![
            LinkInfo::Kind(InfoKind::Vxlan),
            LinkInfo::Data(InfoData::Vxlan(vxlan_attrs(v))),
        ],
        LinkKind::Veth { .. } => {
            let mut info = vec![LinkInfo::Kind(InfoKind::Veth)];
            if let Some((pname, plink, fd)) = peer {
                let mut p = base(pname, plink);
                p.attributes.push(LinkAttribute::NetNsFd(fd));
                info.push(LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(p))));
            }
            info
        }
    };
    m.attributes.push(LinkAttribute::LinkInfo(info));
    RouteNetlinkMessage::NewLink(m)
}

fn base(name: &str, link: &Link) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    if let Some(mtu) = link.mtu {
        m.attributes.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = link.mac {
        m.attributes.push(LinkAttribute::Address(mac.0.to_vec()));
    }
    m
}

/// moby `createVxlan` (vishvananda/netlink `addVxlanAttrs`): VNI, port, learning, proxy,
/// l2miss, l3miss, TTL, TOS 0, no RSC, no zero-checksum; `GROUP6 ::` on IPv6 underlays; the
/// local VTEP when pinned.
fn vxlan_attrs(v: &VxlanAttrs) -> Vec<InfoVxlan> {
    let mut a = vec![InfoVxlan::Id(v.vni)];
    if v.ipv6_underlay {
        a.push(InfoVxlan::Group6(Ipv6Addr::UNSPECIFIED));
    }
    match v.local {
        Some(IpAddr::V4(l)) => a.push(InfoVxlan::Local(l)),
        Some(IpAddr::V6(l)) => a.push(InfoVxlan::Local6(l)),
        None => {}
    }
    a.extend([
        InfoVxlan::Ttl(v.ttl),
        InfoVxlan::Tos(0),
        InfoVxlan::Learning(v.learning),
        InfoVxlan::Proxy(v.proxy),
        InfoVxlan::Rsc(false),
        InfoVxlan::L2Miss(v.l2miss),
        InfoVxlan::L3Miss(v.l3miss),
        InfoVxlan::UDPZeroCsumTX(false),
        InfoVxlan::UDPZeroCsumRX(false),
        // netlink-packet-route emits the port in network byte order itself.
        InfoVxlan::Port(v.port),
    ]);
    a
}

/// `ip link set <index> netns <fd> name <new_name>`: one request moves and renames.
pub fn move_to(index: u32, netns_fd: RawFd, new_name: &str) -> RouteNetlinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes.push(LinkAttribute::NetNsFd(netns_fd));
    m.attributes.push(LinkAttribute::IfName(new_name.into()));
    RouteNetlinkMessage::SetLink(m)
}

/// `ip link del <name>`.
pub fn delete(name: &str) -> RouteNetlinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    RouteNetlinkMessage::DelLink(m)
}

/// `ip link set <name> ...` for one change; `master_index` is the bridge's index for
/// [`LinkChange::Master`] (0 = nomaster).
pub fn set(name: &str, change: &LinkChange, master_index: u32) -> RouteNetlinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    match change {
        LinkChange::Mtu(mtu) => m.attributes.push(LinkAttribute::Mtu(*mtu)),
        LinkChange::Mac(mac) => m.attributes.push(LinkAttribute::Address(mac.0.to_vec())),
        LinkChange::Master(_) => m.attributes.push(LinkAttribute::Controller(master_index)),
        LinkChange::Up(up) => {
            m.header.change_mask = LinkFlags::Up;
            if *up {
                m.header.flags = LinkFlags::Up;
            }
        }
    }
    RouteNetlinkMessage::SetLink(m)
}

/// A dump request for every link.
pub fn dump() -> RouteNetlinkMessage {
    RouteNetlinkMessage::GetLink(LinkMessage::default())
}

/// One link of a dump, before veth peers and masters are resolved to names.
#[derive(Clone, Debug)]
pub struct Dumped {
    /// Interface index in its namespace.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Kind (veth peer still unresolved: see `peer_index`), or `None` for kinds overlaynet
    /// does not manage (loopback, physical devices, ...).
    pub kind: Option<LinkKind>,
    /// MTU.
    pub mtu: Option<u32>,
    /// Hardware address.
    pub mac: Option<MacAddr>,
    /// Master's index.
    pub master: Option<u32>,
    /// Administratively up.
    pub up: bool,
    /// For veths: the peer's index (`IFLA_LINK`).
    pub peer_index: Option<u32>,
    /// For veths whose peer is in another namespace: that namespace's id as seen from here.
    pub peer_nsid: Option<i32>,
}

/// Reads one `RTM_NEWLINK` of a dump.
pub fn parse(m: &LinkMessage) -> Dumped {
    let mut d = Dumped {
        index: m.header.index,
        name: String::new(),
        kind: None,
        mtu: None,
        mac: None,
        master: None,
        up: m.header.flags.contains(LinkFlags::Up),
        peer_index: None,
        peer_nsid: None,
    };
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => d.name = n.clone(),
            LinkAttribute::Mtu(v) => d.mtu = Some(*v),
            LinkAttribute::Address(b) => {
                d.mac = <[u8; 6]>::try_from(b.as_slice()).ok().map(MacAddr)
            }
            LinkAttribute::Controller(i) => d.master = Some(*i),
            LinkAttribute::Link(i) => d.peer_index = Some(*i),
            LinkAttribute::LinkNetNsId(id) => d.peer_nsid = Some(*id),
            LinkAttribute::LinkInfo(infos) => d.kind = kind(infos),
            _ => {}
        }
    }
    d
}

fn kind(infos: &[LinkInfo]) -> Option<LinkKind> {
    let k = infos.iter().find_map(|i| match i {
        LinkInfo::Kind(k) => Some(k),
        _ => None,
    })?;
    Some(match k {
        InfoKind::Bridge => LinkKind::Bridge,
        InfoKind::Dummy => LinkKind::Dummy,
        // Placeholder peer; the caller resolves it from `peer_index` / `peer_nsid`.
        InfoKind::Veth => LinkKind::Veth {
            peer: crate::kernel::LinkKey::new(crate::kernel::Netns::Host, String::new()),
        },
        InfoKind::Vxlan => {
            let data = infos.iter().find_map(|i| match i {
                LinkInfo::Data(InfoData::Vxlan(v)) => Some(v),
                _ => None,
            })?;
            LinkKind::Vxlan(parse_vxlan(data))
        }
        _ => return None,
    })
}

fn parse_vxlan(attrs: &[InfoVxlan]) -> VxlanAttrs {
    let mut v = VxlanAttrs {
        vni: 0,
        port: 0,
        local: None,
        learning: false,
        proxy: false,
        l2miss: false,
        l3miss: false,
        ttl: 0,
        ipv6_underlay: false,
    };
    for a in attrs {
        match a {
            InfoVxlan::Id(x) => v.vni = *x,
            InfoVxlan::Port(p) => v.port = *p,
            InfoVxlan::Local(l) => v.local = Some(IpAddr::V4(*l)),
            InfoVxlan::Local6(l) => {
                v.local = Some(IpAddr::V6(*l));
                v.ipv6_underlay = true;
            }
            InfoVxlan::Group6(_) => v.ipv6_underlay = true,
            InfoVxlan::Learning(b) => v.learning = *b,
            InfoVxlan::Proxy(b) => v.proxy = *b,
            InfoVxlan::L2Miss(b) => v.l2miss = *b,
            InfoVxlan::L3Miss(b) => v.l3miss = *b,
            InfoVxlan::Ttl(t) => v.ttl = *t,
            _ => {}
        }
    }
    v
}
