//! Builders for Docker-shaped kernel states, shared by the kernel tests and benchmarks.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use overlaynet::kernel::*;
use overlaynet::wire::MacAddr;

/// Docker's rfc4106(gcm(aes)) AEAD.
pub const AEAD: &str = "rfc4106(gcm(aes))";

pub fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub fn net(s: &str) -> IpNet {
    s.parse().expect("test prefix")
}

pub fn ns(name: &str) -> Netns {
    Netns::named(name)
}

/// A desired state built the way moby's overlay driver lays out a host.
#[derive(Default)]
pub struct HostBuilder {
    pub state: KernelState,
}

impl HostBuilder {
    pub fn new() -> HostBuilder {
        HostBuilder::default()
    }

    /// An overlay sandbox `sandbox` with `br0` (gateway `gw`) and `vxlan0` (VNI `vni`).
    pub fn network(mut self, sandbox: &str, vni: u32, gw: &str, mtu: u32) -> HostBuilder {
        let s = &mut self.state;
        s.namespaces.insert(sandbox.into());
        let br = LinkKey::new(ns(sandbox), "br0");
        s.links.insert(br.clone(), Link::new(LinkKind::Bridge).up());
        s.links.insert(
            LinkKey::new(ns(sandbox), "vxlan0"),
            Link::new(LinkKind::Vxlan(VxlanAttrs::docker(vni, 4789)))
                .with_mtu(mtu)
                .with_master("br0")
                .up(),
        );
        s.addrs.insert(AddrKey::new(ns(sandbox), "br0", net(gw)));
        self
    }

    /// A remote peer: neighbour entry and `self` FDB entry on `vxlan0`, as moby's
    /// `addNeighbor` programs them.
    pub fn peer(mut self, sandbox: &str, ip: Ipv4Addr, vtep: IpAddr) -> HostBuilder {
        let mac = MacAddr::from_ipv4(ip);
        self.state.neighs.insert(
            NeighKey::new(ns(sandbox), "vxlan0", IpAddr::V4(ip)),
            Neigh { lladdr: mac },
        );
        self.state.fdb.insert(FdbEntry {
            netns: ns(sandbox),
            link: "vxlan0".into(),
            mac,
            dst: Some(vtep),
            table: FdbTable::SelfDev,
        });
        self
    }

    /// A local endpoint: veth `vethN` on `br0` in the sandbox, `eth0`-style end in `container`
    /// with the endpoint's MAC, address and a route to `other_subnet` via the gateway.
    #[allow(clippy::too_many_arguments)] // mirrors the fields of a Docker endpoint join
    pub fn endpoint(
        mut self,
        sandbox: &str,
        veth: &str,
        container: &str,
        ifname: &str,
        ip: &str,
        route: Option<(&str, IpAddr)>,
        mtu: u32,
    ) -> HostBuilder {
        let s = &mut self.state;
        s.namespaces.insert(container.into());
        let host_end = LinkKey::new(ns(sandbox), veth);
        let ctr_end = LinkKey::new(ns(container), ifname);
        let addr: IpNet = net(ip);
        let mac = match addr.addr() {
            IpAddr::V4(a) => MacAddr::from_ipv4(a),
            IpAddr::V6(_) => MacAddr([2, 0x42, 0, 0, 0, 1]),
        };
        s.links.insert(
            host_end.clone(),
            Link::new(LinkKind::Veth {
                peer: ctr_end.clone(),
            })
            .with_mtu(mtu)
            .with_master("br0")
            .up(),
        );
        s.links.insert(
            ctr_end.clone(),
            Link::new(LinkKind::Veth { peer: host_end })
                .with_mtu(mtu)
                .with_mac(mac)
                .up(),
        );
        s.addrs.insert(AddrKey::new(ns(container), ifname, addr));
        if let Some((dst, via)) = route {
            s.routes.insert(
                RouteKey::new(ns(container), net(dst)),
                Route {
                    dev: ifname.into(),
                    via: Some(via),
                },
            );
        }
        self
    }

    /// Docker's encryption for one remote: reverse SA (remote → local), forward SA and the
    /// outbound policy for UDP/4789 marked 0xD0C4E3.
    pub fn encrypt(
        mut self,
        local: IpAddr,
        remote: IpAddr,
        spi_in: u32,
        spi_out: u32,
        key: u8,
    ) -> HostBuilder {
        let sa = |spi: u32| XfrmState {
            reqid: DOCKER_XFRM_MARK,
            aead_name: AEAD.into(),
            aead_key: AeadKey::new([vec![key; 16], spi.to_be_bytes().to_vec()].concat()),
            icv_bits: 64,
            replay_window: 0,
            esn: false,
        };
        let s = &mut self.state;
        s.xfrm_states.insert(
            XfrmStateKey {
                src: remote,
                dst: local,
                spi: spi_in,
                proto: XfrmProto::Esp,
            },
            sa(spi_in),
        );
        s.xfrm_states.insert(
            XfrmStateKey {
                src: local,
                dst: remote,
                spi: spi_out,
                proto: XfrmProto::Esp,
            },
            sa(spi_out),
        );
        s.xfrm_policies.insert(
            policy_key(local, remote),
            XfrmPolicy {
                templates: vec![template(local, remote, spi_out)],
            },
        );
        self
    }

    /// Our nftables table in `netns`.
    pub fn nft(mut self, netns: Netns, body: &str) -> HostBuilder {
        self.state.nft_tables.insert(
            NftTableKey::new(netns, NftFamily::Ip, NFT_TABLE),
            NftTable { body: body.into() },
        );
        self
    }

    pub fn build(self) -> KernelState {
        self.state.validate().expect("fixture is valid");
        self.state
    }
}

pub fn policy_key(local: IpAddr, remote: IpAddr) -> XfrmPolicyKey {
    XfrmPolicyKey {
        selector: XfrmSelector {
            src: IpNet::from(local),
            dst: IpNet::from(remote),
            proto: Some(17),
            dport: Some(4789),
        },
        dir: XfrmDir::Out,
        mark: Some(XfrmMark {
            value: DOCKER_XFRM_MARK,
            mask: 0xffff_ffff,
        }),
    }
}

pub fn template(local: IpAddr, remote: IpAddr, spi: u32) -> XfrmTemplate {
    XfrmTemplate {
        src: local,
        dst: remote,
        proto: XfrmProto::Esp,
        spi,
        reqid: DOCKER_XFRM_MARK,
    }
}

/// Other programs' objects on the host: a physical-looking link with a route and neighbour,
/// docker0, a flannel-style VXLAN device with an FDB entry, a CNI namespace with a veth,
/// another IPsec stack's state and policy, and an iptables-nft table.
pub fn foreign() -> KernelState {
    let mut s = KernelState::default();
    let host = Netns::Host;
    s.links.insert(
        LinkKey::new(host.clone(), "eth0"),
        Link::new(LinkKind::Dummy).with_mtu(1500).up(),
    );
    s.links.insert(
        LinkKey::new(host.clone(), "docker0"),
        Link::new(LinkKind::Bridge).up(),
    );
    s.links.insert(
        LinkKey::new(host.clone(), "flannel.1"),
        Link::new(LinkKind::Vxlan(VxlanAttrs {
            learning: false,
            proxy: false,
            l2miss: false,
            l3miss: false,
            ..VxlanAttrs::docker(1, 8472)
        }))
        .with_mtu(1450)
        .up(),
    );
    s.addrs
        .insert(AddrKey::new(host.clone(), "eth0", net("192.0.2.1/24")));
    s.routes.insert(
        RouteKey::new(host.clone(), net("198.51.100.0/24")),
        Route {
            dev: "eth0".into(),
            via: Some(v4(192, 0, 2, 254)),
        },
    );
    s.neighs.insert(
        NeighKey::new(host.clone(), "eth0", v4(192, 0, 2, 254)),
        Neigh {
            lladdr: MacAddr([2, 0, 0, 0, 0, 0xfe]),
        },
    );
    s.fdb.insert(FdbEntry {
        netns: host.clone(),
        link: "flannel.1".into(),
        mac: MacAddr([0x0a, 0, 0, 0, 0, 1]),
        dst: Some(v4(192, 0, 2, 77)),
        table: FdbTable::SelfDev,
    });
    s.namespaces.insert("cni-7f3a".into());
    let a = LinkKey::new(host.clone(), "veth5f1e2d3");
    let b = LinkKey::new(ns("cni-7f3a"), "eth0");
    s.links.insert(
        a.clone(),
        Link::new(LinkKind::Veth { peer: b.clone() })
            .with_master("docker0")
            .up(),
    );
    s.links
        .insert(b.clone(), Link::new(LinkKind::Veth { peer: a }).up());
    s.addrs
        .insert(AddrKey::new(ns("cni-7f3a"), "eth0", net("172.17.0.2/16")));
    s.namespaces.insert("ctr1".into());
    s.links.insert(
        LinkKey::new(ns("ctr1"), "lo0"),
        Link::new(LinkKind::Dummy).up(),
    );
    s.xfrm_states.insert(
        XfrmStateKey {
            src: v4(192, 0, 2, 1),
            dst: v4(203, 0, 113, 9),
            spi: 0x1000,
            proto: XfrmProto::Esp,
        },
        XfrmState {
            reqid: 5,
            aead_name: AEAD.into(),
            aead_key: AeadKey::new(vec![9; 20]),
            icv_bits: 128,
            replay_window: 32,
            esn: true,
        },
    );
    s.xfrm_policies.insert(
        XfrmPolicyKey {
            selector: XfrmSelector {
                src: net("192.0.2.1/32"),
                dst: net("203.0.113.9/32"),
                proto: None,
                dport: None,
            },
            dir: XfrmDir::Out,
            mark: Some(XfrmMark {
                value: 1,
                mask: 0xff,
            }),
        },
        XfrmPolicy {
            templates: vec![XfrmTemplate {
                src: v4(192, 0, 2, 1),
                dst: v4(203, 0, 113, 9),
                proto: XfrmProto::Esp,
                spi: 0x1000,
                reqid: 5,
            }],
        },
    );
    s.nft_tables.insert(
        NftTableKey::new(host, NftFamily::Inet, "filter"),
        NftTable {
            body: "chain input {\n}".into(),
        },
    );
    s.validate().expect("foreign fixture is valid");
    s
}

/// Whether every object of `before` is still in `after`, unchanged (links by value).
pub fn all_untouched(before: &KernelState, after: &KernelState) -> Result<(), String> {
    let missing = |what: String| Err(format!("foreign object changed or removed: {what}"));
    for n in &before.namespaces {
        if !after.namespaces.contains(n) {
            return missing(n.clone());
        }
    }
    for (k, v) in &before.links {
        if after.links.get(k) != Some(v) {
            return missing(format!("link {k}"));
        }
    }
    for a in &before.addrs {
        if !after.addrs.contains(a) {
            return missing(format!("addr {a}"));
        }
    }
    for (k, v) in &before.routes {
        if after.routes.get(k) != Some(v) {
            return missing(format!("route {k}"));
        }
    }
    for (k, v) in &before.neighs {
        if after.neighs.get(k) != Some(v) {
            return missing(format!("neigh {k}"));
        }
    }
    for e in &before.fdb {
        if !after.fdb.contains(e) {
            return missing(format!("fdb {e}"));
        }
    }
    for (k, v) in &before.xfrm_states {
        if after.xfrm_states.get(k) != Some(v) {
            return missing(format!("xfrm state {k}"));
        }
    }
    for (k, v) in &before.xfrm_policies {
        if after.xfrm_policies.get(k) != Some(v) {
            return missing(format!("xfrm policy {k}"));
        }
    }
    for (k, v) in &before.nft_tables {
        if after.nft_tables.get(k) != Some(v) {
            return missing(format!("nft table {k}"));
        }
    }
    Ok(())
}
