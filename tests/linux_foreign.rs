//! Nothing foreign is touched (this kernel has no `dummy` driver, so foreign links are veths): links, addresses, neighbours, FDB entries, XFRM policies and
//! nftables tables that exist before overlaynet runs, in the host namespace and in a
//! container namespace, are exactly as they were after create, change and full removal.

mod common;

use common::{Netns, require_root_and_tools, sh};
use overlaynet::kernel::linux::{LinuxConfig, LinuxKernel};
use overlaynet::kernel::{
    AddrKey, DOCKER_XFRM_MARK, FdbEntry, FdbTable, Kernel, KernelState, Link, LinkKey, LinkKind,
    NFT_TABLE, NamePattern, Neigh, NeighKey, Netns as Ns, NftFamily, NftTable, NftTableKey, Scope,
    VxlanAttrs, XfrmDir, XfrmMark, XfrmPolicy, XfrmPolicyKey, XfrmProto, XfrmSelector,
    XfrmTemplate, conforms, reconcile,
};
use overlaynet::wire::MacAddr;

fn foreign_snapshot(h: &Netns, c: &Netns) -> String {
    let mut s = String::new();
    for cmd in [
        format!(
            "ip -n {0} -o link show keep0; ip -n {0} -o link show kbr0; ip -n {0} -o link show vxforeign",
            h.name
        ),
        format!("ip -n {} -o addr show dev keep0", h.name),
        format!("ip -n {} neigh show dev keep0", h.name),
        format!(
            "bridge -n {0} fdb show dev vxforeign; bridge -n {0} fdb show dev keep0",
            h.name
        ),
        format!(
            "ip -n {0} xfrm policy get src 10.50.0.1/32 dst 10.50.0.2/32 dir out; ip -n {0} xfrm policy get src 10.50.0.1/32 dst 10.50.0.3/32 dir out mark 0x1234 mask 0xffffffff",
            h.name
        ),
        format!("ip netns exec {} nft list table inet keepme", h.name),
        format!("ip netns exec {} nft list table ip theirs", c.name),
        format!(
            "ip -n {0} -o link show cdummy; ip -n {0} -o addr show dev cdummy",
            c.name
        ),
    ] {
        s.push_str(&sh(&cmd));
        s.push('\n');
    }
    // Per-link counters and the kernel-chosen `qdisc`/`state` words do not change, but
    // `ip -o link` may print `link-netns` ids once namespaces get ids; strip those. IPv6
    // duplicate-address detection clears `tentative` on its own about a second after a link
    // comes up; strip that word too.
    s.lines()
        .filter(|l| !l.contains("link-netnsid"))
        .map(|l| l.replace(" tentative", ""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn desired(h: &str, ov: &str, c: &str, body: &str, neigh_mac: u8) -> KernelState {
    let o = Ns::named(ov);
    let cn = Ns::named(c);
    let mut st = KernelState::new();
    st.namespaces.insert(ov.into());
    st.namespaces.insert(c.into());
    st.links.insert(
        LinkKey::new(o.clone(), "br0"),
        Link::new(LinkKind::Bridge).up(),
    );
    st.addrs.insert(AddrKey::new(
        o.clone(),
        "br0",
        "10.0.9.1/24".parse().unwrap(),
    ));
    let mut vx = VxlanAttrs::docker(4200, 4789);
    vx.local = Some("192.168.99.1".parse().unwrap());
    st.links.insert(
        LinkKey::new(o.clone(), "vxlan0"),
        Link::new(LinkKind::Vxlan(vx))
            .with_mtu(1450)
            .with_master("br0")
            .up(),
    );
    let inside = LinkKey::new(cn.clone(), "eth0");
    let outside = LinkKey::new(o.clone(), "veth0");
    st.links.insert(
        outside.clone(),
        Link::new(LinkKind::Veth {
            peer: inside.clone(),
        })
        .with_master("br0")
        .up(),
    );
    st.links
        .insert(inside, Link::new(LinkKind::Veth { peer: outside }).up());
    st.addrs
        .insert(AddrKey::new(cn, "eth0", "10.0.9.2/24".parse().unwrap()));
    let mac = MacAddr([0x02, 0x42, 10, 0, 9, neigh_mac]);
    st.neighs.insert(
        NeighKey::new(o.clone(), "vxlan0", "10.0.9.3".parse().unwrap()),
        Neigh { lladdr: mac },
    );
    st.fdb.insert(FdbEntry {
        netns: o.clone(),
        link: "vxlan0".into(),
        mac,
        dst: Some("192.168.99.2".parse().unwrap()),
        table: FdbTable::SelfDev,
    });
    st.nft_tables.insert(
        NftTableKey::new(Ns::Host, NftFamily::Inet, NFT_TABLE),
        NftTable { body: body.into() },
    );
    st.xfrm_policies.insert(
        XfrmPolicyKey {
            selector: XfrmSelector {
                src: "192.168.99.1/32".parse().unwrap(),
                dst: "192.168.99.2/32".parse().unwrap(),
                proto: Some(17),
                dport: Some(4789),
            },
            dir: XfrmDir::Out,
            mark: Some(XfrmMark {
                value: DOCKER_XFRM_MARK,
                mask: u32::MAX,
            }),
        },
        XfrmPolicy {
            templates: vec![XfrmTemplate {
                src: "192.168.99.1".parse().unwrap(),
                dst: "192.168.99.2".parse().unwrap(),
                proto: XfrmProto::Esp,
                spi: 0x100,
                reqid: DOCKER_XFRM_MARK,
            }],
        },
    );
    let _ = h;
    st
}

#[test]
fn foreign_objects_survive_create_change_and_removal() {
    if !require_root_and_tools(&["ip", "bridge", "nft"]) {
        return;
    }
    let h = Netns::new("fh");
    let c = Netns::new("fc");
    let ov = format!("1-f{}", std::process::id());
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &self.0])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    let _cleanup = Cleanup(ov.clone());
    h.sh("ip link add kbr0 type bridge && ip link add keep0 type veth peer name keep1 && ip link set keep0 master kbr0 up && ip link set kbr0 up");
    h.sh("ip addr add 10.50.0.1/24 dev keep0 && ip addr add 192.168.99.1/24 dev keep0");
    h.sh("ip neigh add 10.50.0.9 lladdr 02:00:00:00:00:09 dev keep0 nud permanent");
    h.sh("bridge fdb add 02:00:00:00:00:0a dev keep0 master permanent");
    h.sh("ip link add vxforeign type vxlan id 77 dstport 4789 local 192.168.99.1 && bridge fdb add 02:00:00:00:00:0b dev vxforeign dst 192.168.99.7 self permanent");
    h.sh("ip xfrm policy add src 10.50.0.1/32 dst 10.50.0.2/32 dir out");
    h.sh(
        "ip xfrm policy add src 10.50.0.1/32 dst 10.50.0.3/32 dir out mark 0x1234 mask 0xffffffff",
    );
    h.sh("nft add table inet keepme && nft add chain inet keepme c && nft add rule inet keepme c counter");
    c.sh("nft add table ip theirs && nft add chain ip theirs c");
    c.sh("ip link add cdummy type veth peer name cdummy1 && ip addr add 10.60.0.1/24 dev cdummy");
    let before = foreign_snapshot(&h, &c);

    let mut scope = Scope::docker();
    scope.netns = vec![NamePattern::Exact(ov.clone())];
    scope.claim_link(LinkKey::new(Ns::named(c.name.clone()), "eth0"));
    let cfg = LinuxConfig::new(scope.clone()).with_host_netns(h.name.clone());
    let mut k = LinuxKernel::new(cfg);
    let body1 = "\tchain out {\n\t\ttype filter hook output priority filter; policy accept;\n\t\tudp dport 4789 counter packets 0 bytes 0\n\t}";
    let body2 = "\tchain out {\n\t\ttype filter hook output priority filter; policy accept;\n\t}";

    let want1 = desired(&h.name, &ov, &c.name, body1, 3);
    let r = reconcile(&want1, &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}\n{}", r.apply, r.plan);
    assert!(
        conforms(&k.observe().unwrap(), &want1, &scope),
        "{}",
        overlaynet::kernel::diff(&k.observe().unwrap(), &want1, &scope)
    );
    assert_eq!(foreign_snapshot(&h, &c), before, "after create");

    let want2 = desired(&h.name, &ov, &c.name, body2, 4);
    let r = reconcile(&want2, &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}\n{}", r.apply, r.plan);
    assert!(conforms(&k.observe().unwrap(), &want2, &scope));
    assert_eq!(foreign_snapshot(&h, &c), before, "after change");

    let r = reconcile(&KernelState::new(), &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}\n{}", r.apply, r.plan);
    let left = k.observe().unwrap();
    assert!(
        left.links.is_empty() && left.xfrm_policies.is_empty() && left.nft_tables.is_empty(),
        "{left:#?}"
    );
    assert!(!sh("ip netns list").contains(&ov));
    assert!(!sh(&format!("ip -n {} link", c.name)).contains("eth0"));
    assert_eq!(foreign_snapshot(&h, &c), before, "after removal");
}
