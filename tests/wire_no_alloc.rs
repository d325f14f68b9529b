//! The packet hot paths (encap, decap, header parse/emit) must not allocate. A counting global
//! allocator records allocations made by this thread while they run.

use overlaynet::wire::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::IpAddr;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; the thread-local counter is
// const-initialised and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through `alloc` above with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged; `ptr`/`layout` come from `System` as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn hot_paths_do_not_allocate() {
    let frame_len = 1400;
    let mut frame = vec![0u8; frame_len];
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    frame[14] = 0x45;
    frame[23] = 17;
    let v4 = VxlanEncap::new(
        "192.168.1.10".parse::<IpAddr>().unwrap(),
        "192.168.1.20".parse::<IpAddr>().unwrap(),
        Vni::new(4097).unwrap(),
    )
    .unwrap();
    let v6 = VxlanEncap::new(
        "2001:db8::1".parse::<IpAddr>().unwrap(),
        "2001:db8::2".parse::<IpAddr>().unwrap(),
        Vni::new(4097).unwrap(),
    )
    .unwrap();
    let mut buf4 = vec![0u8; IPV4_OVERHEAD + frame_len];
    buf4[IPV4_OVERHEAD..].copy_from_slice(&frame);
    let mut buf6 = vec![0u8; IPV6_OVERHEAD + frame_len];
    buf6[IPV6_OVERHEAD..].copy_from_slice(&frame);
    let d = Decapsulator::default();
    let mut counters = DecapCounters::default();
    let mut hdr = [0u8; 8];

    let n = allocations_during(|| {
        for _ in 0..100 {
            let p4 = v4
                .encap_in_place(&mut buf4, IPV4_OVERHEAD, frame_len)
                .unwrap();
            let out = counters.observe(d.decap(p4)).unwrap();
            assert_eq!(out.frame.len(), frame_len);
            let p6 = v6
                .encap_in_place(&mut buf6, IPV6_OVERHEAD, frame_len)
                .unwrap();
            assert_eq!(counters.observe(d.decap(p6)).unwrap().vxlan.vni.get(), 4097);
            // A failure path too: errors carry no heap data.
            assert!(counters.observe(d.decap(&buf4[..30])).is_err());

            let ip = Ipv4Packet::new_checked(&buf4[..]).unwrap();
            let r = Ipv4Repr::parse(&ip).unwrap();
            let udp = UdpPacket::new_checked(ip.payload_slice()).unwrap();
            let vx = VxlanPacket::new_checked(udp.payload()).unwrap();
            let v = VxlanRepr::parse(&vx, VxlanExtMode::Gbp).unwrap();
            v.emit(&mut hdr).unwrap();
            let eth = EthernetFrame::new_checked(vx.payload()).unwrap();
            let _ = (
                r.ttl,
                EthernetRepr::parse(&eth).unwrap(),
                flow_hash(&frame, 1),
            );
        }
    });
    assert_eq!(n, 0, "{n} allocations on the encap/decap/parse paths");
    assert_eq!(counters.ok, 200);
    // The counter works: a Vec allocates.
    assert!(allocations_during(|| drop(black_box(vec![1u8; 8]))) >= 1);
}

fn black_box<T>(x: T) -> T {
    std::hint::black_box(x)
}
