//! The Linux kernel's VXLAN driver as the reference implementation.
//!
//! Topology (network namespaces, unique per test run):
//!
//! ```text
//!  peer (us)                 host                                   ctr
//!  vp0 10.99.1.1 ── veth ── vh0 10.99.1.2   vx0 (VNI 42, 4789) ─ br0 ─ hc0 ── veth ── cc0 192.168.1.2
//! ```
//!
//! From `peer` we send ICMP echo requests encapsulated by us — once as the payload of a UDP
//! socket (VXLAN header only) and once as a complete outer IPv4/UDP packet on a raw socket —
//! and the kernel of `ctr` answers through the kernel's VXLAN encapsulation. We capture the
//! answers on a raw socket and decapsulate them, and do the same for a UDP datagram that `ctr`
//! sends to us. A second test repeats the echo exchanges over an IPv6 underlay (fd99::1 ↔
//! fd99::2), where UDP checksums are mandatory in both directions.

mod common;

use common::Netns;
use overlaynet::wire::*;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

const VNI: u32 = 42;
const OUR_MAC: MacAddr = MacAddr([0x02, 0x42, 0xc0, 0xa8, 0x01, 0x01]);
const CTR_MAC: MacAddr = MacAddr([0x02, 0x42, 0xc0, 0xa8, 0x01, 0x02]);
const OUR_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
const CTR_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);
const PEER_VTEP: Ipv4Addr = Ipv4Addr::new(10, 99, 1, 1);
const HOST_VTEP: Ipv4Addr = Ipv4Addr::new(10, 99, 1, 2);
const ECHO_ID: u16 = 0x4f56;

/// Runs `f` on a thread that has joined network namespace `ns`; sockets it creates stay there.
fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    let file = File::open(format!("/var/run/netns/{ns}")).expect("open netns");
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: setns(2) on a namespace file descriptor we own, affecting only this
            // thread (network namespaces are per thread); the return value is checked.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .expect("netns thread panicked")
    })
}

/// A raw IPv4 socket for `protocol`, wrapped as a `UdpSocket` for its send_to/recv/timeouts
/// (which are plain sendto(2)/recv(2) on any datagram-style socket).
fn raw_socket(protocol: i32) -> UdpSocket {
    // SAFETY: socket(2) with constant arguments; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, protocol) };
    assert!(fd >= 0, "raw socket: {}", std::io::Error::last_os_error());
    // SAFETY: `fd` is a freshly created, valid descriptor that nothing else owns.
    UdpSocket::from(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Turns off transmit checksum offload on `ifname` (as `ethtool -K ifname tx off`), so the
/// kernel completes UDP checksums in software. Over veth, offloaded checksums are never
/// completed and a raw socket on the other end would see only the pseudo-header sum.
fn disable_tx_checksum_offload(ifname: &str) {
    const ETHTOOL_STXCSUM: u32 = 0x17;
    #[repr(C)]
    struct EthtoolValue {
        cmd: u32,
        data: u32,
    }
    let mut value = EthtoolValue {
        cmd: ETHTOOL_STXCSUM,
        data: 0,
    };
    // SAFETY: an all-zero `ifreq` is a valid value of this plain C struct.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    assert!(ifname.len() < ifr.ifr_name.len());
    for (dst, src) in ifr.ifr_name.iter_mut().zip(ifname.bytes()) {
        *dst = src as libc::c_char;
    }
    ifr.ifr_ifru.ifru_data = (&raw mut value).cast();
    let sock = UdpSocket::bind("0.0.0.0:0").unwrap();
    // SAFETY: SIOCETHTOOL reads `ifr` (a NUL-terminated name and a pointer to `value`, both
    // alive for the call) and writes at most `value`; the result is checked.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCETHTOOL, &raw mut ifr) };
    assert_eq!(
        rc,
        0,
        "ETHTOOL_STXCSUM on {ifname}: {}",
        std::io::Error::last_os_error()
    );
}

fn icmp_echo_request(seq: u16) -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0];
    icmp.extend_from_slice(&ECHO_ID.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(b"overlaynet wire kernel interop");
    let c = checksum::checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let ip = Ipv4Repr {
        src_addr: OUR_IP,
        dst_addr: CTR_IP,
        protocol: PROTO_ICMP,
        payload_len: icmp.len(),
        ttl: 64,
        tos: 0,
        ident: seq,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
        options: &[],
    };
    let eth = EthernetRepr {
        src_addr: OUR_MAC,
        dst_addr: CTR_MAC,
        vlan: None,
        ethertype: EtherType::IPV4,
    };
    let mut f = vec![0u8; eth.buffer_len() + ip.buffer_len()];
    eth.emit(&mut f).unwrap();
    ip.emit(&mut f[14..]).unwrap();
    f.extend_from_slice(&icmp);
    f
}

/// The inner frame of the first packet on `raw` that decapsulates (IPv4 underlay) and that
/// `want` accepts.
fn receive_vxlan(raw: &UdpSocket, want: impl Fn(&Decapsulated) -> bool) -> Vec<u8> {
    receive_vxlan_from(raw, IpAddr::V4(HOST_VTEP), IpAddr::V4(PEER_VTEP), want)
}

/// As [`receive_vxlan`], for packets from `src` to `dst` (IPv4 or IPv6 underlay).
fn receive_vxlan_from(
    raw: &UdpSocket,
    src: IpAddr,
    dst: IpAddr,
    want: impl Fn(&Decapsulated) -> bool,
) -> Vec<u8> {
    let d = Decapsulator::default();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 2048];
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Ok(n) = raw.recv(&mut buf) else { continue };
        match d.decap(&buf[..n]) {
            Ok(out) if want(&out) && out.src() == src && out.dst() == dst => {
                // This kernel sends VXLAN with UDP checksums (over IPv4 `udpcsum` is the
                // default when the attribute is unset, as Docker leaves it; over IPv6 they are
                // mandatory), so decap verified one.
                let udp_at = if src.is_ipv4() {
                    IPV4_HEADER_LEN
                } else {
                    IPV6_HEADER_LEN
                };
                assert_ne!(
                    &buf[udp_at + 6..udp_at + 8],
                    &[0, 0],
                    "expected a UDP checksum from the kernel"
                );
                assert_eq!(out.vxlan.vni.get(), VNI);
                return out.frame.to_vec();
            }
            other => seen.push(format!("{other:?}")),
        }
    }
    panic!("no matching VXLAN packet from the kernel within 5 s; saw: {seen:#?}");
}

fn echo_reply_seq(frame: &[u8]) -> Option<u16> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EtherType::IPV4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let icmp = ip.payload();
    (ip.protocol() == PROTO_ICMP
        && icmp.len() >= 8
        && icmp[0] == 0
        && icmp[4..6] == ECHO_ID.to_be_bytes())
    .then(|| u16::from_be_bytes([icmp[6], icmp[7]]))
}

fn check_echo_reply(frame: &[u8], seq: u16) {
    let eth = EthernetRepr::parse(&EthernetFrame::new_checked(frame).unwrap()).unwrap();
    assert_eq!((eth.src_addr, eth.dst_addr), (CTR_MAC, OUR_MAC));
    let ipp = Ipv4Packet::new_checked(&frame[14..]).unwrap();
    let ip = Ipv4Repr::parse(&ipp).unwrap();
    assert_eq!((ip.src_addr, ip.dst_addr), (CTR_IP, OUR_IP));
    assert_eq!(echo_reply_seq(frame), Some(seq));
    assert_eq!(
        checksum::checksum(ipp.payload()),
        0,
        "ICMP checksum of the kernel's reply"
    );
}

#[test]
fn kernel_vxlan_answers_what_we_encapsulate_and_we_decap_its_packets() {
    if !common::require_root_and_tools(&["ip", "bridge", "bash"]) {
        return;
    }
    let peer = Netns::new("wkp");
    let host = Netns::new("wkh");
    let ctr = Netns::new("wkc");
    common::sh(&format!(
        "ip -n {} link add vp0 type veth peer name vh0 netns {}",
        peer.name, host.name
    ));
    common::sh(&format!(
        "ip -n {} link add hc0 type veth peer name cc0 netns {}",
        host.name, ctr.name
    ));
    peer.sh(&format!(
        "ip addr add {PEER_VTEP}/24 dev vp0 && ip link set vp0 up"
    ));
    host.sh(&format!(
        "ip addr add {HOST_VTEP}/24 dev vh0 && ip link set vh0 up && \
         ip link add vx0 type vxlan id {VNI} dstport 4789 local {HOST_VTEP} nolearning && \
         ip link add br0 type bridge && ip link set vx0 master br0 && ip link set hc0 master br0 && \
         ip link set vx0 up && ip link set hc0 up && ip link set br0 up && \
         bridge fdb add {OUR_MAC} dev vx0 dst {PEER_VTEP} self permanent"
    ));
    ctr.sh(&format!(
        "ip link set cc0 address {CTR_MAC} && ip addr add {CTR_IP}/24 dev cc0 && ip link set cc0 up && \
         ip neigh add {OUR_IP} lladdr {OUR_MAC} dev cc0 nud permanent"
    ));

    in_netns(&host.name, || disable_tx_checksum_offload("vh0"));

    let encap = VxlanEncap::new(
        IpAddr::V4(PEER_VTEP),
        IpAddr::V4(HOST_VTEP),
        Vni::new(VNI).unwrap(),
    )
    .unwrap();
    let ctr_name = ctr.name.clone();
    in_netns(&peer.name, || {
        let udp = UdpSocket::bind(SocketAddr::from((PEER_VTEP, 4789))).unwrap();
        let capture = raw_socket(libc::IPPROTO_UDP);
        capture
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let sender = raw_socket(libc::IPPROTO_RAW);

        // 1. VXLAN header + frame as the payload of a UDP socket.
        let frame = icmp_echo_request(1);
        let mut buf = vec![0u8; UDP_PAYLOAD_OVERHEAD];
        buf.extend_from_slice(&frame);
        let payload = encap
            .encap_udp_payload_in_place(&mut buf, UDP_PAYLOAD_OVERHEAD, frame.len())
            .unwrap();
        udp.send_to(payload, SocketAddr::from((HOST_VTEP, 4789)))
            .unwrap();
        let reply = receive_vxlan(&capture, |d| echo_reply_seq(d.frame) == Some(1));
        check_echo_reply(&reply, 1);

        // 2. A complete outer IPv4 + UDP (with checksum, which the kernel verifies) packet.
        let frame = icmp_echo_request(2);
        let with_csum = encap.clone().with_udp_checksum(true).with_df(true);
        let mut buf = vec![0u8; IPV4_OVERHEAD];
        buf.extend_from_slice(&frame);
        let pkt = with_csum
            .encap_in_place(&mut buf, IPV4_OVERHEAD, frame.len())
            .unwrap();
        sender
            .send_to(pkt, SocketAddr::from((HOST_VTEP, 0)))
            .unwrap();
        let reply = receive_vxlan(&capture, |d| echo_reply_seq(d.frame) == Some(2));
        check_echo_reply(&reply, 2);

        // 3. The kernel encapsulates a datagram that ctr sends to us; we decapsulate it.
        common::sh(&format!(
            "ip netns exec {ctr_name} bash -c 'echo kernel-to-us >/dev/udp/{OUR_IP}/7777'"
        ));
        let frame = receive_vxlan(&capture, |d| {
            EthernetFrame::new_checked(d.frame).is_ok_and(|e| {
                Ipv4Packet::new_checked(e.payload()).is_ok_and(|ip| {
                    ip.protocol() == PROTO_UDP
                        && UdpPacket::new_checked(ip.payload()).is_ok_and(|u| u.dst_port() == 7777)
                })
            })
        });
        let ip = Ipv4Packet::new_checked(&frame[14..]).unwrap();
        let udp_in = UdpPacket::new_checked(ip.payload()).unwrap();
        let pseudo = PseudoHeader::V4 {
            src: CTR_IP,
            dst: OUR_IP,
        };
        udp_in
            .verify_checksum(&pseudo, ZeroChecksumPolicy { allow_v6: false })
            .unwrap();
        assert_eq!(udp_in.payload(), b"kernel-to-us\n");

        // The UDP socket received the same kernel packets as payloads: decap those too.
        udp.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut got = 0;
        let mut b = [0u8; 2048];
        while let Ok((n, from)) = udp.recv_from(&mut b) {
            assert_eq!(from.ip(), IpAddr::V4(HOST_VTEP));
            let (repr, inner) = Decapsulator::default().decap_udp_payload(&b[..n]).unwrap();
            assert_eq!(repr.vni.get(), VNI);
            assert!(inner.len() >= 14);
            got += 1;
        }
        assert!(
            got >= 3,
            "the UDP socket saw {got} VXLAN payloads, expected 3"
        );
    });
}

/// An AF_PACKET socket that receives every IPv6 packet of the namespace from the IP header on
/// (IPv6 raw sockets would strip the header we want to check).
fn packet_socket_ipv6() -> UdpSocket {
    let protocol = i32::from((libc::ETH_P_IPV6 as u16).to_be());
    // SAFETY: socket(2) with constant arguments; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM, protocol) };
    assert!(
        fd >= 0,
        "packet socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` is a freshly created, valid descriptor that nothing else owns.
    UdpSocket::from(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A raw IPv6 socket to which we hand complete IPv6 packets (IPPROTO_RAW implies
/// IPV6_HDRINCL on Linux).
fn raw_socket_ipv6() -> UdpSocket {
    // SAFETY: socket(2) with constant arguments; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_RAW, libc::IPPROTO_RAW) };
    assert!(
        fd >= 0,
        "raw IPv6 socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` is a freshly created, valid descriptor that nothing else owns.
    UdpSocket::from(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[test]
fn kernel_vxlan_over_ipv6_underlay() {
    if !common::require_root_and_tools(&["ip", "bridge"]) {
        return;
    }
    let peer_vtep: std::net::Ipv6Addr = "fd99::1".parse().unwrap();
    let host_vtep: std::net::Ipv6Addr = "fd99::2".parse().unwrap();
    let peer = Netns::new("wk6p");
    let host = Netns::new("wk6h");
    let ctr = Netns::new("wk6c");
    common::sh(&format!(
        "ip -n {} link add vp0 type veth peer name vh0 netns {}",
        peer.name, host.name
    ));
    common::sh(&format!(
        "ip -n {} link add hc0 type veth peer name cc0 netns {}",
        host.name, ctr.name
    ));
    peer.sh(&format!(
        "ip addr add {peer_vtep}/64 dev vp0 nodad && ip link set vp0 up"
    ));
    host.sh(&format!(
        "ip addr add {host_vtep}/64 dev vh0 nodad && ip link set vh0 up && \
         ip link add vx0 type vxlan id {VNI} dstport 4789 local {host_vtep} nolearning && \
         ip link add br0 type bridge && ip link set vx0 master br0 && ip link set hc0 master br0 && \
         ip link set vx0 up && ip link set hc0 up && ip link set br0 up && \
         bridge fdb add {OUR_MAC} dev vx0 dst {peer_vtep} self permanent"
    ));
    ctr.sh(&format!(
        "ip link set cc0 address {CTR_MAC} && ip addr add {CTR_IP}/24 dev cc0 && ip link set cc0 up && \
         ip neigh add {OUR_IP} lladdr {OUR_MAC} dev cc0 nud permanent"
    ));
    in_netns(&host.name, || disable_tx_checksum_offload("vh0"));

    let (ours, theirs) = (IpAddr::V6(peer_vtep), IpAddr::V6(host_vtep));
    let encap = VxlanEncap::new(ours, theirs, Vni::new(VNI).unwrap()).unwrap();
    in_netns(&peer.name, || {
        let udp = UdpSocket::bind(SocketAddr::from((peer_vtep, 4789))).unwrap();
        let capture = packet_socket_ipv6();
        capture
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();

        // 1. VXLAN payload on a UDP socket; the kernel's answer comes back over IPv6 with a
        //    mandatory UDP checksum, which decap verifies.
        let frame = icmp_echo_request(11);
        let mut buf = vec![0u8; UDP_PAYLOAD_OVERHEAD];
        buf.extend_from_slice(&frame);
        let payload = encap
            .encap_udp_payload_in_place(&mut buf, UDP_PAYLOAD_OVERHEAD, frame.len())
            .unwrap();
        udp.send_to(payload, SocketAddr::from((host_vtep, 4789)))
            .unwrap();
        let reply = receive_vxlan_from(&capture, theirs, ours, |d| {
            echo_reply_seq(d.frame) == Some(11)
        });
        check_echo_reply(&reply, 11);

        // 2. A complete outer IPv6 + UDP packet with our checksum, which the kernel verifies.
        let frame = icmp_echo_request(12);
        let mut buf = vec![0u8; IPV6_OVERHEAD];
        buf.extend_from_slice(&frame);
        let pkt = encap
            .encap_in_place(&mut buf, IPV6_OVERHEAD, frame.len())
            .unwrap();
        raw_socket_ipv6()
            .send_to(pkt, SocketAddr::from((host_vtep, 0)))
            .unwrap();
        let reply = receive_vxlan_from(&capture, theirs, ours, |d| {
            echo_reply_seq(d.frame) == Some(12)
        });
        check_echo_reply(&reply, 12);
    });
}
