//! Shared by the `linux_*` tests: Docker's overlay layout for one "host" built by hand as a
//! `KernelState` (moby §2.4–2.7, §3.3), and traffic probes run with python3 in namespaces.
#![allow(dead_code)]

use std::net::IpAddr;
use std::process::{Child, Command, Stdio};

use overlaynet::kernel::linux::{LinuxConfig, LinuxKernel};
use overlaynet::kernel::{
    AddrKey, FdbEntry, FdbTable, KernelState, Link, LinkKey, LinkKind, NamePattern, Neigh,
    NeighKey, Netns, Scope, VxlanAttrs,
};
use overlaynet::wire::MacAddr;

/// One container attached to the overlay.
#[derive(Clone, Debug)]
pub struct Container {
    /// Its namespace (made by the "runtime", i.e. the test).
    pub netns: String,
    /// Its overlay address.
    pub ip: IpAddr,
    /// The host-side veth name in the overlay namespace.
    pub veth: String,
}

impl Container {
    /// moby `GenerateMACFromIP`: `02:42:` and the four IPv4 octets.
    pub fn mac(&self) -> MacAddr {
        match self.ip {
            IpAddr::V4(v) => {
                let o = v.octets();
                MacAddr([0x02, 0x42, o[0], o[1], o[2], o[3]])
            }
            IpAddr::V6(_) => unreachable!("overlay endpoints are IPv4"),
        }
    }
}

/// One simulated host: its namespace (playing the host), the overlay namespace it owns, its
/// VTEP address and its containers.
pub struct HostLayout {
    /// The namespace playing the host.
    pub host_netns: String,
    /// The overlay sandbox namespace (Docker: `1-<nid>`).
    pub overlay: String,
    /// The underlay address (VXLAN local).
    pub vtep: IpAddr,
    /// Local containers.
    pub containers: Vec<Container>,
    /// VNI.
    pub vni: u32,
    /// MTU of vxlan and veths.
    pub mtu: u32,
}

impl HostLayout {
    /// The scope of this host's backend: exactly its overlay namespace, Docker VXLAN staging
    /// names in its host namespace, the containers' ends claimed.
    pub fn scope(&self) -> Scope {
        let mut s = Scope::docker();
        s.netns = vec![NamePattern::Exact(self.overlay.clone())];
        for c in &self.containers {
            s.claim_link(LinkKey::new(Netns::named(c.netns.clone()), "eth0"));
        }
        s
    }

    /// A backend for this host.
    pub fn kernel(&self) -> LinuxKernel {
        LinuxKernel::new(LinuxConfig::new(self.scope()).with_host_netns(self.host_netns.clone()))
    }

    /// The desired state: bridge `br0` with the gateway, `vxlan0` (created as
    /// `vx-<vni>-<id>` in the host and moved), one veth per container (`vethN` on the bridge,
    /// `eth0` in the container with the endpoint MAC), and for every remote container a
    /// permanent neighbour and a `self` FDB entry on `vxlan0`.
    pub fn desired(&self, remotes: &[(Container, IpAddr)]) -> KernelState {
        let ov = Netns::named(self.overlay.clone());
        let mut st = KernelState::new();
        st.namespaces.insert(self.overlay.clone());
        let br = LinkKey::new(ov.clone(), "br0");
        st.links
            .insert(br.clone(), Link::new(LinkKind::Bridge).up());
        let gw = match self.containers.first().map(|c| c.ip) {
            Some(IpAddr::V4(v)) => {
                let o = v.octets();
                IpAddr::from([o[0], o[1], o[2], 1])
            }
            _ => IpAddr::from([10, 0, 1, 1]),
        };
        st.addrs.insert(AddrKey::new(
            ov.clone(),
            "br0",
            format!("{gw}/24").parse().unwrap(),
        ));
        let mut vx = VxlanAttrs::docker(self.vni, 4789);
        vx.local = Some(self.vtep);
        vx.ipv6_underlay = self.vtep.is_ipv6();
        st.links.insert(
            LinkKey::new(ov.clone(), "vxlan0"),
            Link::new(LinkKind::Vxlan(vx))
                .with_mtu(self.mtu)
                .with_master("br0")
                .up(),
        );
        for c in &self.containers {
            let cns = Netns::named(c.netns.clone());
            st.namespaces.insert(c.netns.clone());
            let inside = LinkKey::new(cns.clone(), "eth0");
            let outside = LinkKey::new(ov.clone(), c.veth.clone());
            st.links.insert(
                outside.clone(),
                Link::new(LinkKind::Veth {
                    peer: inside.clone(),
                })
                .with_mtu(self.mtu)
                .with_master("br0")
                .up(),
            );
            st.links.insert(
                inside,
                Link::new(LinkKind::Veth { peer: outside })
                    .with_mtu(self.mtu)
                    .with_mac(c.mac())
                    .up(),
            );
            st.addrs.insert(AddrKey::new(
                cns,
                "eth0",
                format!("{}/24", c.ip).parse().unwrap(),
            ));
        }
        for (c, vtep) in remotes {
            st.neighs.insert(
                NeighKey::new(ov.clone(), "vxlan0", c.ip),
                Neigh { lladdr: c.mac() },
            );
            st.fdb.insert(FdbEntry {
                netns: ov.clone(),
                link: "vxlan0".into(),
                mac: c.mac(),
                dst: Some(*vtep),
                table: FdbTable::SelfDev,
            });
        }
        st
    }
}

/// A TCP server in a namespace that answers every connection with its name; killed (by its
/// own pid) on drop.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const SERVER: &str = r#"
import socket, sys
name, port = sys.argv[1].encode(), int(sys.argv[2])
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", port))
t.listen(16)
while True:
    c, _ = t.accept()
    c.sendall(name)
    c.close()
"#;

/// ICMP echo (raw socket; there is no `ping` binary here) then a TCP connection, each retried
/// for a few seconds; prints `icmp ok|FAIL` and `tcp <answer>|FAIL`.
const PROBE: &str = r#"
import os, socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ping():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.5)
    ident = os.getpid() & 0xffff
    for seq in range(20):
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"overlaynet"
        pkt = struct.pack("!BBHHH", 8, 0, csum(body), ident, seq) + b"overlaynet"
        s.sendto(pkt, (host, 0))
        end = time.time() + 0.5
        while time.time() < end:
            try:
                data, addr = s.recvfrom(1500)
            except OSError:
                break
            ihl = (data[0] & 15) * 4
            t, _, _, i, q = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if addr[0] == host and t == 0 and i == ident:
                return "ok"
    return "FAIL"
def tcp():
    for _ in range(30):
        try:
            c = socket.create_connection((host, port), timeout=1)
            d = c.recv(100); c.close()
            if d: return d.decode()
        except OSError:
            time.sleep(0.2)
    return "FAIL"
print("icmp", ping()); print("tcp", tcp())
"#;

/// Starts the TCP server in `netns`.
pub fn server(netns: &str, name: &str, port: u16) -> Server {
    let child = Command::new("ip")
        .args([
            "netns",
            "exec",
            netns,
            "python3",
            "-c",
            SERVER,
            name,
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn server");
    Server(child)
}

/// Pings and connects from `netns` to `host`; returns the probe's two output lines.
pub fn reach(netns: &str, host: IpAddr, port: u16) -> String {
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            netns,
            "python3",
            "-c",
            PROBE,
            &host.to_string(),
            &port.to_string(),
        ])
        .output()
        .expect("run probe");
    assert!(
        out.status.success(),
        "probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
