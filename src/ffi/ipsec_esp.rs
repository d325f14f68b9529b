//! Userspace ESP and gossip encryption over the C ABI: `overlaynet_esp_outbound` and
//! `overlaynet_esp_inbound` SA handles that seal and open in place in the caller's buffer
//! (a rejected packet is a verdict, reported as data with a typed reason and counted, not a
//! call failure), and memberlist-format gossip encryption with a keyring.
//!
//! Keys are copied into the crate's zeroizing types and wiped when the handle is freed; no
//! function here returns key bytes. No domain logic lives here.

use super::boundary::{
    Failure, OVERLAYNET_MAX_INPUT_LEN, free_handle, guard, guard_value, handle_mut, handle_ref,
    in_bytes, in_enum, in_str, into_handle, out_buf, out_param,
};
use super::convert::parse_ip;
use super::ipsec::{overlaynet_keyring, profile};
use super::result::overlaynet_result;
use crate::ipsec::{
    EncryptionVersion, EspReject, InboundSa, Key, OutboundSa, RejectCounters, SaParams,
    decrypt_payload, encrypt_payload, encrypted_length, sealed_len,
};

/// Bytes an ESP packet needs in front of the payload (SPI, sequence number, IV): leave this
/// much room before the payload in the buffer given to `overlaynet_esp_outbound_seal`.
pub const OVERLAYNET_ESP_HEADROOM: usize = 16;
const _: () = assert!(OVERLAYNET_ESP_HEADROOM == crate::ipsec::ESP_HEADROOM);

/// An opaque transmit SA (sequence counter and cipher). Its key is wiped when it is freed.
#[allow(non_camel_case_types)]
pub struct overlaynet_esp_outbound {
    sa: OutboundSa,
}

/// An opaque receive SA (replay window, reject counters and cipher). Its key is wiped when
/// it is freed.
#[allow(non_camel_case_types)]
pub struct overlaynet_esp_inbound {
    sa: InboundSa,
}

/// Why `overlaynet_esp_inbound_open` did not accept a packet (`ACCEPTED` when it did).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_esp_verdict {
    /// Authentic and new: the inner packet was decrypted in place.
    Accepted = 0,
    /// Shorter than the smallest ESP packet of this SA.
    Truncated = 1,
    /// The SPI is not this SA's.
    UnknownSpi = 2,
    /// The sequence number was already accepted.
    Replayed = 3,
    /// The sequence number lies below the replay window.
    TooOld = 4,
    /// The integrity check failed (forged, corrupted or wrong key).
    BadIcv = 5,
    /// The decrypted padding is not RFC 4303's 1, 2, 3, ...
    BadPadding = 6,
}

/// The outcome of opening one ESP packet. On `ACCEPTED` the inner packet is
/// `buf[inner_offset .. inner_offset + inner_len]` of the caller's buffer.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_esp_opened {
    /// Accepted, or why not.
    pub verdict: overlaynet_esp_verdict,
    /// The SPI on the wire (0 for `TRUNCATED`).
    pub spi: u32,
    /// The full (ESN-inferred) sequence number; 0 for `TRUNCATED` and `UNKNOWN_SPI`.
    pub sequence: u64,
    /// Offset of the inner packet in the buffer (accepted only).
    pub inner_offset: usize,
    /// Length of the inner packet (accepted only).
    pub inner_len: usize,
    /// The next-header (protocol) field (accepted only).
    pub next_header: u8,
}

/// Per-reason reject counters of a receive SA, plus accepted packets.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_esp_counters {
    /// Packets accepted.
    pub accepted: u64,
    /// Rejected as truncated.
    pub truncated: u64,
    /// Rejected for an unknown SPI.
    pub unknown_spi: u64,
    /// Rejected as replays.
    pub replayed: u64,
    /// Rejected below the replay window.
    pub too_old: u64,
    /// Rejected for a bad ICV.
    pub bad_icv: u64,
    /// Rejected for bad padding.
    pub bad_padding: u64,
}

/// A transmit SA's state.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_esp_outbound_status {
    /// The SPI.
    pub spi: u32,
    /// The highest sequence number sent (0 before the first packet).
    pub last_sequence: u64,
    /// ICV length in bytes (8 or 16).
    pub icv_len: usize,
}

/// Borrows a caller buffer for in-place processing: the rules of `(ptr, len)` inputs (NULL
/// only with length 0, at most `OVERLAYNET_MAX_INPUT_LEN` bytes), writable.
///
/// # Safety
/// If `ptr` is non-NULL and `len` is within the limit, `ptr` must be valid for reads and
/// writes of `len` bytes and not accessed elsewhere for `'a`.
unsafe fn in_out_bytes<'a>(ptr: *mut u8, len: usize, what: &str) -> Result<&'a mut [u8], Failure> {
    // SAFETY: the shared checks (NULL, length limit) without reading the memory.
    unsafe { in_bytes(ptr, len, what) }?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: non-NULL and within the limit (checked above); writability and exclusivity are
    // the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Decodes the SA arguments shared by both directions into [`SaParams`] with the profile's
/// rules (Docker: salt = SPI; hardened: HKDF-derived key and salt).
///
/// # Safety
/// The `(ptr, len)` pairs follow the module contract.
// The arguments mirror the two exported constructors one for one.
#[allow(clippy::too_many_arguments)]
unsafe fn sa_params(
    profile_value: u32,
    key: *const u8,
    key_len: usize,
    tag: u32,
    src: *const u8,
    src_len: usize,
    dst: *const u8,
    dst_len: usize,
    spi: u32,
) -> Result<SaParams, Failure> {
    let profile = profile(profile_value)?;
    // SAFETY: forwarded contract.
    let (key, src, dst) = unsafe {
        (
            in_bytes(key, key_len, "key")?,
            in_str(src, src_len, "src")?,
            in_str(dst, dst_len, "dst")?,
        )
    };
    let key = Key::new(key)?;
    let (src, dst) = (parse_ip(src, "src")?, parse_ip(dst, "dst")?);
    Ok(profile.sa_params(&key, tag, src, dst, spi))
}

/// Creates a transmit SA in `*out_sa` for traffic `src -> dst` (advertise addresses) with the
/// cluster key `key` (16 or 32 bytes, copied), its tag and `spi` (use
/// `overlaynet_ipsec_build_spi(src, dst, tag)` for Docker's), under `profile`
/// (`overlaynet_encryption`: `DOCKER_COMPATIBLE` or `HARDENED`). The first packet gets
/// sequence number 1.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_outbound_new(
    profile: u32,
    key: *const u8,
    key_len: usize,
    tag: u32,
    src: *const u8,
    src_len: usize,
    dst: *const u8,
    dst_len: usize,
    spi: u32,
    out_sa: *mut *mut overlaynet_esp_outbound,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (params, out) = unsafe {
            (
                sa_params(profile, key, key_len, tag, src, src_len, dst, dst_len, spi)?,
                out_param(out_sa, "out_sa")?,
            )
        };
        let sa = OutboundSa::new(&params)?;
        out.write(into_handle(overlaynet_esp_outbound { sa }));
        Ok(())
    })
}

/// Frees a transmit SA and wipes its key. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_outbound_free(sa: *mut overlaynet_esp_outbound) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(sa) });
}

/// Stores the SA's SPI, last sequence number and ICV length in `*out_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_outbound_info(
    sa: *const overlaynet_esp_outbound,
    out_info: *mut overlaynet_esp_outbound_status,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe { (handle_ref(sa, "sa")?, out_param(out_info, "out_info")?) };
        out.write(overlaynet_esp_outbound_status {
            spi: s.sa.spi(),
            last_sequence: s.sa.last_sequence(),
            icv_len: s.sa.icv_len(),
        });
        Ok(())
    })
}

/// Stores in `*out_len` the sealed length of a `payload_len`-byte payload with an
/// `icv_len`-byte ICV (8 or 16): the buffer size `overlaynet_esp_outbound_seal` needs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_sealed_len(
    payload_len: usize,
    icv_len: usize,
    out_len: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_len, "out_len") }?;
        if icv_len != 8 && icv_len != 16 {
            return Err(crate::ipsec::IpsecError::InvalidIcvLength { len: icv_len }.into());
        }
        if payload_len > OVERLAYNET_MAX_INPUT_LEN {
            return Err(too_long("payload_len", payload_len));
        }
        out.write(sealed_len(payload_len, icv_len));
        Ok(())
    })
}

#[cold]
fn too_long(what: &str, len: usize) -> Failure {
    Failure::with(
        overlaynet_result::InvalidLength,
        format_args!(
            "{what}: length {len} exceeds the maximum input length {OVERLAYNET_MAX_INPUT_LEN}"
        ),
    )
}

/// Seals in place: the `payload_len` payload bytes at `buf[OVERLAYNET_ESP_HEADROOM..]` become
/// the ESP packet `buf[0..*out_n]` (SPI, sequence, IV, ciphertext, trailer, ICV) carrying
/// protocol `next_header`. When `len` is below the sealed length, nothing is written but
/// `*out_n` (the length needed) and the result is `OVERLAYNET_RESULT_BUFFER_TOO_SMALL`. Without
/// ESN the SA refuses to pass sequence number 2^32-1 (`OVERLAYNET_RESULT_EXHAUSTED`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_outbound_seal(
    sa: *mut overlaynet_esp_outbound,
    buf: *mut u8,
    len: usize,
    payload_len: usize,
    next_header: u8,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, buf, out) = unsafe {
            (
                handle_mut(sa, "sa")?,
                in_out_bytes(buf, len, "buf")?,
                out_param(out_n, "out_n")?,
            )
        };
        if payload_len > OVERLAYNET_MAX_INPUT_LEN {
            return Err(too_long("payload_len", payload_len));
        }
        let needed = sealed_len(payload_len, s.sa.icv_len());
        if buf.len() < needed {
            out.write(needed);
            return Err(Failure::with(
                overlaynet_result::BufferTooSmall,
                format_args!(
                    "buffer too small for ESP packet: {needed} bytes needed, {} available",
                    buf.len()
                ),
            ));
        }
        let n = s.sa.seal(buf, payload_len, next_header)?;
        out.write(n);
        Ok(())
    })
}

/// Creates a receive SA in `*out_sa` for traffic `src -> dst` (the remote's advertise address
/// to ours); arguments as `overlaynet_esp_outbound_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_inbound_new(
    profile: u32,
    key: *const u8,
    key_len: usize,
    tag: u32,
    src: *const u8,
    src_len: usize,
    dst: *const u8,
    dst_len: usize,
    spi: u32,
    out_sa: *mut *mut overlaynet_esp_inbound,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (params, out) = unsafe {
            (
                sa_params(profile, key, key_len, tag, src, src_len, dst, dst_len, spi)?,
                out_param(out_sa, "out_sa")?,
            )
        };
        let sa = InboundSa::new(&params)?;
        out.write(into_handle(overlaynet_esp_inbound { sa }));
        Ok(())
    })
}

/// Frees a receive SA and wipes its key. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_inbound_free(sa: *mut overlaynet_esp_inbound) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(sa) });
}

fn opened_from_reject(reject: EspReject) -> overlaynet_esp_opened {
    use overlaynet_esp_verdict as V;
    let (verdict, spi, sequence) = match reject {
        EspReject::Truncated { .. } => (V::Truncated, 0, 0),
        EspReject::UnknownSpi { spi } => (V::UnknownSpi, spi, 0),
        EspReject::Replayed { spi, seq } => (V::Replayed, spi, seq),
        EspReject::TooOld { spi, seq, .. } => (V::TooOld, spi, seq),
        EspReject::BadIcv { spi, seq } => (V::BadIcv, spi, seq),
        EspReject::BadPadding { spi, seq } => (V::BadPadding, spi, seq),
    };
    overlaynet_esp_opened {
        verdict,
        spi,
        sequence,
        inner_offset: 0,
        inner_len: 0,
        next_header: 0,
    }
}

/// Verifies and decrypts the ESP packet `buf[0..len]` in place and stores the verdict in
/// `*out_opened`. A rejected packet is a successful call with a non-`ACCEPTED` verdict: it is
/// counted (`overlaynet_esp_inbound_counters`), and the replay window only advances for
/// authentic packets. The buffer is modified only for authentic packets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_inbound_open(
    sa: *mut overlaynet_esp_inbound,
    buf: *mut u8,
    len: usize,
    out_opened: *mut overlaynet_esp_opened,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, packet, out) = unsafe {
            (
                handle_mut(sa, "sa")?,
                in_out_bytes(buf, len, "buf")?,
                out_param(out_opened, "out_opened")?,
            )
        };
        let base = packet.as_ptr() as usize;
        out.write(match s.sa.open(packet) {
            Ok(opened) => overlaynet_esp_opened {
                verdict: overlaynet_esp_verdict::Accepted,
                spi: opened.spi,
                sequence: opened.sequence,
                inner_offset: opened.inner.as_ptr() as usize - base,
                inner_len: opened.inner.len(),
                next_header: opened.next_header,
            },
            Err(reject) => opened_from_reject(reject),
        });
        Ok(())
    })
}

/// Stores the SA's accepted count and per-reason reject counters in `*out_counters`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_esp_inbound_counters(
    sa: *const overlaynet_esp_inbound,
    out_counters: *mut overlaynet_esp_counters,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (s, out) = unsafe {
            (
                handle_ref(sa, "sa")?,
                out_param(out_counters, "out_counters")?,
            )
        };
        let RejectCounters {
            truncated,
            unknown_spi,
            replayed,
            too_old,
            bad_icv,
            bad_padding,
        } = s.sa.counters();
        out.write(overlaynet_esp_counters {
            accepted: s.sa.accepted(),
            truncated,
            unknown_spi,
            replayed,
            too_old,
            bad_icv,
            bad_padding,
        });
        Ok(())
    })
}

fn version(value: u32) -> Result<EncryptionVersion, Failure> {
    in_enum(value, "version", |v| match v {
        0 => Some(EncryptionVersion::V0),
        1 => Some(EncryptionVersion::V1),
        _ => None,
    })
}

/// Stores in `*out_len` memberlist's `encryptedLength`: the size of the encrypted form of
/// `len` plaintext bytes with encryption `version` (0: PKCS#7-padded, 1: Docker's).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gossip_encrypted_len(
    version: u32,
    len: usize,
    out_len: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_len, "out_len") }?;
        let version = self::version(version)?;
        if len > OVERLAYNET_MAX_INPUT_LEN {
            return Err(too_long("len", len));
        }
        out.write(encrypted_length(version, len));
        Ok(())
    })
}

/// memberlist's `encryptPayload` with the ring's primary key and a fresh random nonce:
/// `[version][nonce][ciphertext ‖ tag]` into `buf`, `aad` authenticated (memberlist's label;
/// `(NULL, 0)` as Docker). A too-small buffer is detected before encrypting.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gossip_encrypt(
    ring: *const overlaynet_keyring,
    version: u32,
    msg: *const u8,
    msg_len: usize,
    aad: *const u8,
    aad_len: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, msg, aad, out) = unsafe {
            (
                handle_ref(ring, "ring")?,
                in_bytes(msg, msg_len, "msg")?,
                in_bytes(aad, aad_len, "aad")?,
                out_buf(buf, len, out_n)?,
            )
        };
        let version = self::version(version)?;
        let needed = encrypted_length(version, msg.len());
        if needed > len {
            // Reports the needed length without spending a nonce.
            return out.write(&vec![0; needed]);
        }
        let sealed = encrypt_payload(version, &r.ring.primary().key, msg, aad)?;
        out.write(&sealed)
    })
}

/// memberlist's `decryptPayload`: tries every key of the ring and copies the plaintext into
/// `buf`. memberlist's texts on failure ("no installed keys could decrypt the message", ...).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_gossip_decrypt(
    ring: *const overlaynet_keyring,
    msg: *const u8,
    msg_len: usize,
    aad: *const u8,
    aad_len: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, msg, aad, out) = unsafe {
            (
                handle_ref(ring, "ring")?,
                in_bytes(msg, msg_len, "msg")?,
                in_bytes(aad, aad_len, "aad")?,
                out_buf(buf, len, out_n)?,
            )
        };
        let plain = zeroize::Zeroizing::new(
            decrypt_payload(r.ring.keys().iter().map(|k| &k.key), msg, aad)
                .map_err(crate::ipsec::IpsecError::from)?,
        );
        out.write(&plain)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipsec::build_spi;

    const A: &str = "192.168.1.10";
    const B: &str = "192.168.1.20";

    fn pair(profile: u32) -> (*mut overlaynet_esp_outbound, *mut overlaynet_esp_inbound) {
        let key = [0x42u8; 16];
        let spi = build_spi(A.parse().unwrap(), B.parse().unwrap(), 1);
        let (mut tx, mut rx) = (std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: live locals.
        unsafe {
            let rc = overlaynet_esp_outbound_new(
                profile,
                key.as_ptr(),
                16,
                1,
                A.as_ptr(),
                A.len(),
                B.as_ptr(),
                B.len(),
                spi,
                &mut tx,
            );
            assert_eq!(rc, overlaynet_result::Ok);
            let rc = overlaynet_esp_inbound_new(
                profile,
                key.as_ptr(),
                16,
                1,
                A.as_ptr(),
                A.len(),
                B.as_ptr(),
                B.len(),
                spi,
                &mut rx,
            );
            assert_eq!(rc, overlaynet_result::Ok);
        }
        (tx, rx)
    }

    fn open(rx: *mut overlaynet_esp_inbound, packet: &mut [u8]) -> overlaynet_esp_opened {
        let mut opened = std::mem::MaybeUninit::uninit();
        // SAFETY: live handle and buffer.
        unsafe {
            let rc = overlaynet_esp_inbound_open(
                rx,
                packet.as_mut_ptr(),
                packet.len(),
                opened.as_mut_ptr(),
            );
            assert_eq!(rc, overlaynet_result::Ok);
            opened.assume_init()
        }
    }

    #[test]
    fn seal_open_replay_and_counters() {
        for profile in [1, 2] {
            let (tx, rx) = pair(profile);
            let mut buf = [0u8; 128];
            buf[OVERLAYNET_ESP_HEADROOM..OVERLAYNET_ESP_HEADROOM + 5].copy_from_slice(b"hello");
            let mut n = 0;
            // SAFETY (whole block): live handles and locals.
            unsafe {
                let rc = overlaynet_esp_outbound_seal(tx, buf.as_mut_ptr(), 20, 5, 17, &mut n);
                assert_eq!(rc, overlaynet_result::BufferTooSmall);
                let mut expected = 0;
                let icv = if profile == 1 { 8 } else { 16 };
                overlaynet_esp_sealed_len(5, icv, &mut expected);
                assert_eq!(n, expected);
                let rc =
                    overlaynet_esp_outbound_seal(tx, buf.as_mut_ptr(), buf.len(), 5, 17, &mut n);
                assert_eq!((rc, n), (overlaynet_result::Ok, expected));
                let mut info = std::mem::MaybeUninit::uninit();
                overlaynet_esp_outbound_info(tx, info.as_mut_ptr());
                assert_eq!(info.assume_init().last_sequence, 1);
            }
            let mut copy = buf;
            let o = open(rx, &mut buf[..n]);
            assert_eq!(o.verdict, overlaynet_esp_verdict::Accepted);
            assert_eq!((o.next_header, o.sequence), (17, 1));
            assert_eq!(&buf[o.inner_offset..o.inner_offset + o.inner_len], b"hello");
            if profile == 2 {
                assert_eq!(
                    open(rx, &mut copy[..n]).verdict,
                    overlaynet_esp_verdict::Replayed
                );
            }
            copy[n - 1] ^= 1;
            let bad = open(rx, &mut copy[..n]);
            assert_ne!(bad.verdict, overlaynet_esp_verdict::Accepted);
            assert_eq!(
                open(rx, &mut copy[..3]).verdict,
                overlaynet_esp_verdict::Truncated
            );
            let mut counters = std::mem::MaybeUninit::uninit();
            // SAFETY: live handles.
            let c = unsafe {
                overlaynet_esp_inbound_counters(rx, counters.as_mut_ptr());
                overlaynet_esp_outbound_free(tx);
                overlaynet_esp_inbound_free(rx);
                counters.assume_init()
            };
            assert_eq!((c.accepted, c.truncated), (1, 1));
            assert_eq!(c.replayed + c.bad_icv, if profile == 2 { 2 } else { 1 });
        }
    }

    #[test]
    fn bad_profile_and_reserved_spi_fail() {
        let key = [1u8; 16];
        let mut tx = std::ptr::null_mut();
        // SAFETY: live locals.
        unsafe {
            let rc = overlaynet_esp_outbound_new(
                1,
                key.as_ptr(),
                16,
                1,
                A.as_ptr(),
                A.len(),
                B.as_ptr(),
                B.len(),
                255,
                &mut tx,
            );
            assert_eq!(rc, overlaynet_result::InvalidInput);
            let rc = overlaynet_esp_outbound_new(
                9,
                key.as_ptr(),
                16,
                1,
                A.as_ptr(),
                A.len(),
                B.as_ptr(),
                B.len(),
                999,
                &mut tx,
            );
            assert_eq!(rc, overlaynet_result::InvalidEnum);
            assert!(tx.is_null());
        }
    }

    #[test]
    fn gossip_round_trip_and_memberlist_texts() {
        use super::super::ipsec::{
            overlaynet_keyring_free, overlaynet_keyring_from_swarm_keys, overlaynet_swarm_key,
        };
        let gossip = crate::ipsec::SUBSYSTEM_GOSSIP;
        let keys: Vec<[u8; 16]> = (1..=3u8).map(|b| [b; 16]).collect();
        let raw: Vec<overlaynet_swarm_key> = keys
            .iter()
            .zip(1u64..)
            .map(|(k, t)| overlaynet_swarm_key {
                subsystem: gossip.as_ptr(),
                subsystem_len: gossip.len(),
                key: k.as_ptr(),
                key_len: k.len(),
                lamport_time: t,
            })
            .collect();
        let mut ring = std::ptr::null_mut();
        let mut sealed = [0u8; 64];
        let mut plain = [0u8; 64];
        let (mut n, mut m) = (0, 0);
        // SAFETY (whole block): live handles and locals.
        unsafe {
            let rc = overlaynet_keyring_from_swarm_keys(
                raw.as_ptr(),
                3,
                gossip.as_ptr(),
                gossip.len(),
                &mut ring,
            );
            assert_eq!(rc, overlaynet_result::Ok);
            let rc = overlaynet_gossip_encrypt(
                ring,
                1,
                b"hi".as_ptr(),
                2,
                std::ptr::null(),
                0,
                sealed.as_mut_ptr(),
                4,
                &mut n,
            );
            assert_eq!((rc, n), (overlaynet_result::BufferTooSmall, 31));
            let rc = overlaynet_gossip_encrypt(
                ring,
                1,
                b"hi".as_ptr(),
                2,
                std::ptr::null(),
                0,
                sealed.as_mut_ptr(),
                64,
                &mut n,
            );
            assert_eq!((rc, n), (overlaynet_result::Ok, 31));
            let rc = overlaynet_gossip_decrypt(
                ring,
                sealed.as_ptr(),
                n,
                std::ptr::null(),
                0,
                plain.as_mut_ptr(),
                64,
                &mut m,
            );
            assert_eq!((rc, &plain[..m]), (overlaynet_result::Ok, &b"hi"[..]));
            sealed[20] ^= 1;
            let rc = overlaynet_gossip_decrypt(
                ring,
                sealed.as_ptr(),
                n,
                std::ptr::null(),
                0,
                plain.as_mut_ptr(),
                64,
                &mut m,
            );
            assert_eq!(rc, overlaynet_result::InvalidInput);
            assert_eq!(
                super::super::boundary::with_last_error(str::to_owned),
                "no installed keys could decrypt the message"
            );
            overlaynet_keyring_free(ring);
        }
    }
}
