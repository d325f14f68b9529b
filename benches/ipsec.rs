//! Raw AES-128-GCM seal of a 1,400-byte payload (aes-gcm and, with feature `ring`, ring) next
//! to our ESP seal and open of the same payload with each backend, in one run, so the ESP
//! framing overhead can be read as a ratio.
//!
//! `cargo bench --bench ipsec --features ring -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use overlaynet::ipsec::{
    AeadBackend, AesGcmBackend, InboundSa, Key, OutboundSa, Profile, SaParams, sealed_len,
};

const PAYLOAD: usize = 1400;

fn params() -> SaParams {
    let key = Key::new(&[0x42; 16]).unwrap();
    let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
    let mut p = Profile::Hardened.sa_params(&key, 1, a, b, 0x1234_5678);
    // Benchmarks reopen the same packets, which the replay window would reject.
    p.replay_window = 0;
    p.esn = false;
    p
}

fn bench_backend<A: AeadBackend>(c: &mut Criterion, name: &str) {
    let p = params();
    let mut g = c.benchmark_group(format!("ipsec/{name}"));
    g.throughput(Throughput::Bytes(PAYLOAD as u64));

    raw_seal(&mut g, name, &p);

    let mut tx = OutboundSa::<A>::new(&p).unwrap();
    let mut pkt = vec![0u8; sealed_len(PAYLOAD, 16)];
    g.bench_function("esp_seal_1400", |b| {
        b.iter(|| tx.seal(black_box(&mut pkt), PAYLOAD, 17).unwrap())
    });

    // Open: decrypting in place destroys the packet, so restore it from a copy each time; the
    // same copy is timed on its own so the open cost can be read net of it.
    let mut sealer = OutboundSa::<A>::new(&p).unwrap();
    let mut sealed = vec![0u8; sealed_len(PAYLOAD, 16)];
    let n = sealer.seal(&mut sealed, PAYLOAD, 17).unwrap();
    sealed.truncate(n);
    let mut rx = InboundSa::<A>::new(&p).unwrap();
    let mut work = sealed.clone();
    g.bench_function("copy_only_1400", |b| {
        b.iter(|| {
            work.copy_from_slice(black_box(&sealed));
            black_box(&work);
        })
    });
    g.bench_function("esp_open_1400", |b| {
        b.iter(|| {
            work.copy_from_slice(&sealed);
            black_box(rx.open(&mut work).map(|o| o.inner.len()).unwrap())
        })
    });
    let raw_open = A::new(p.key.key(), 16).unwrap();
    let mut ct = vec![0u8; PAYLOAD];
    let mut tag = [0u8; 16];
    raw_open.seal(&[7; 12], &[1; 8], &mut ct, &mut tag);
    let mut work_raw = ct.clone();
    g.bench_function("raw_aes128gcm_open_1400", |b| {
        b.iter(|| {
            work_raw.copy_from_slice(&ct);
            assert!(raw_open.open(&[7; 12], &[1; 8], &mut work_raw, &tag));
        })
    });
    g.finish();
}

/// The AEAD crate called directly, without our trait: the baseline ESP is compared with.
fn raw_seal(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    p: &SaParams,
) {
    let mut buf = vec![0u8; PAYLOAD];
    let aad = [1u8; 8];
    if name == "aes-gcm" {
        use aes_gcm::aead::AeadInPlace;
        use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
        let cipher = Aes128Gcm::new_from_slice(p.key.key().expose_secret()).unwrap();
        g.bench_function("raw_aes128gcm_seal_1400", |b| {
            b.iter(|| {
                cipher
                    .encrypt_in_place_detached(
                        Nonce::from_slice(black_box(&[7; 12])),
                        &aad,
                        &mut buf,
                    )
                    .unwrap()
            })
        });
    } else {
        #[cfg(feature = "ring")]
        {
            use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
            let key = LessSafeKey::new(
                UnboundKey::new(&AES_128_GCM, p.key.key().expose_secret()).unwrap(),
            );
            g.bench_function("raw_aes128gcm_seal_1400", |b| {
                b.iter(|| {
                    key.seal_in_place_separate_tag(
                        Nonce::assume_unique_for_key(black_box([7; 12])),
                        Aad::from(&aad),
                        &mut buf,
                    )
                    .unwrap()
                })
            });
        }
    }
}

fn benches(c: &mut Criterion) {
    bench_backend::<AesGcmBackend>(c, "aes-gcm");
    #[cfg(feature = "ring")]
    bench_backend::<overlaynet::ipsec::RingGcm>(c, "ring");
}

criterion_group!(ipsec, benches);
criterion_main!(ipsec);
