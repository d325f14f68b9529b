//! Call overhead of the C ABI: each Rust API call next to the same work through its
//! `overlaynet_*` function, called through a `black_box`ed `extern "C"` function pointer so
//! the compiler cannot inline across the boundary. The difference is what the C ABI adds
//! (argument checks, enum decoding, the panic guard). Target: under 20 ns per call.
//!
//! Run: cargo bench --features capi --bench ffi -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use overlaynet::ffi::mtu::{overlaynet_mtu_effective, overlaynet_mtu_parse_option};
use overlaynet::ffi::overlaynet_result;
use overlaynet::ffi::vni::{
    overlaynet_vni_allocator, overlaynet_vni_allocator_allocate, overlaynet_vni_allocator_free,
    overlaynet_vni_allocator_new, overlaynet_vni_allocator_release,
};
use overlaynet::model::options::parse_mtu;
use overlaynet::model::{Encryption, Family, VniAllocator, effective_mtu};

fn effective_mtu_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("ffi/effective_mtu");
    group.bench_function("rust", |b| {
        b.iter(|| {
            effective_mtu(
                black_box(Some(9000)),
                black_box(Encryption::Hardened),
                black_box(Family::V6),
            )
        })
    });
    let f: unsafe extern "C" fn(u32, u32, u32, *mut u32) -> overlaynet_result =
        black_box(overlaynet_mtu_effective);
    group.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut mtu = 0u32;
            // SAFETY: `mtu` is a live local; the other arguments are plain integers.
            let rc = unsafe { f(black_box(9000), black_box(2), black_box(6), &mut mtu) };
            assert_eq!(rc, overlaynet_result::Ok);
            mtu
        })
    });
    group.finish();
}

fn parse_option_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("ffi/parse_mtu_option");
    group.bench_function("rust", |b| b.iter(|| parse_mtu(black_box("9000"))));
    let f: unsafe extern "C" fn(*const u8, usize, *mut u32) -> overlaynet_result =
        black_box(overlaynet_mtu_parse_option);
    let text = "9000";
    group.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut mtu = 0u32;
            // SAFETY: `text` is live for the call and `len` is its length; `mtu` is a live local.
            let rc = unsafe { f(black_box(text.as_ptr()), black_box(text.len()), &mut mtu) };
            assert_eq!(rc, overlaynet_result::Ok);
            mtu
        })
    });
    group.finish();
}

fn vni_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("ffi/vni_allocate_release");
    let mut allocator = VniAllocator::new();
    group.bench_function("rust", |b| {
        b.iter(|| {
            let vni = allocator.allocate().expect("free VNIs");
            allocator.release(black_box(vni))
        })
    });
    let allocate: unsafe extern "C" fn(
        *mut overlaynet_vni_allocator,
        *mut u32,
    ) -> overlaynet_result = black_box(overlaynet_vni_allocator_allocate);
    let release: unsafe extern "C" fn(*mut overlaynet_vni_allocator, u32) -> overlaynet_result =
        black_box(overlaynet_vni_allocator_release);
    let mut handle = std::ptr::null_mut();
    // SAFETY: `handle` is a live local out-parameter.
    assert_eq!(
        unsafe { overlaynet_vni_allocator_new(&mut handle) },
        overlaynet_result::Ok
    );
    group.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut vni = 0u32;
            // SAFETY: `handle` is live until freed below; `vni` is a live local.
            unsafe {
                assert_eq!(allocate(handle, &mut vni), overlaynet_result::Ok);
                release(handle, black_box(vni))
            }
        })
    });
    // SAFETY: `handle` came from `overlaynet_vni_allocator_new` and is not used again.
    unsafe { overlaynet_vni_allocator_free(handle) };
    group.finish();
}

criterion_group!(
    benches,
    effective_mtu_overhead,
    parse_option_overhead,
    vni_overhead
);
criterion_main!(benches);
