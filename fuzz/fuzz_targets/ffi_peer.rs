//! Arbitrary bytes through the peer-table C ABI: the first bytes become a raw
//! `overlaynet_peer_record` (any family, prefix length, MAC), the rest, split at 0x00, the
//! endpoint id and the previous and new gossip values. Every call must return a defined code
//! other than `OVERLAYNET_RESULT_PANIC`, a failure must leave a message, and a failed
//! mutation must leave the table and the delta batch exactly as they were.
#![no_main]

use std::mem::MaybeUninit;
use std::ptr::null_mut;

use libfuzzer_sys::fuzz_target;
use overlaynet::ffi::last_error::overlaynet_last_error_message;
use overlaynet::ffi::overlaynet_result;
use overlaynet::ffi::peer::*;

fn check(rc: overlaynet_result) -> bool {
    assert_ne!(rc, overlaynet_result::Panic, "a call panicked");
    if rc != overlaynet_result::Ok {
        let mut n = 0usize;
        // SAFETY: (NULL, 0) is a size query; `n` is a live local.
        unsafe { overlaynet_last_error_message(null_mut(), 0, &mut n) };
        assert!(n > 0, "failure {rc:?} without a message");
    }
    rc == overlaynet_result::Ok
}

/// 41 bytes: family (1 byte, low 3 bits), 16 octets and prefix length of the endpoint IP, 6 MAC
/// bytes, family and 16 octets of the VTEP; missing bytes are zero.
fn record(bytes: &[u8]) -> overlaynet_peer_record {
    let mut raw = [0u8; 41];
    let n = bytes.len().min(raw.len());
    raw[..n].copy_from_slice(&bytes[..n]);
    let addr = |b: &[u8]| overlaynet_peer_addr {
        family: u32::from(b[0] & 7),
        octets: b[1..17].try_into().unwrap_or([0; 16]),
    };
    overlaynet_peer_record {
        endpoint_ip: addr(&raw[0..17]),
        endpoint_prefix_len: raw[17],
        endpoint_mac: raw[18..24].try_into().unwrap_or([0; 6]),
        tunnel_endpoint_ip: addr(&raw[24..41]),
    }
}

/// The table's entries and the batch, to compare before and after a failed call.
///
/// # Safety
/// Live handles.
unsafe fn snapshot(
    table: *const overlaynet_peer_table,
    deltas: *const overlaynet_peer_deltas,
) -> (usize, usize) {
    let (mut len, mut batch) = (0, 0);
    // SAFETY: live handles and locals (caller's contract).
    unsafe {
        assert!(check(overlaynet_peer_table_len(table, &mut len)));
        let rc = overlaynet_peer_deltas_get(deltas, null_mut(), 0, &mut batch);
        assert!(rc == overlaynet_result::Ok || rc == overlaynet_result::BufferTooSmall);
    }
    (len, batch)
}

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(41));
    let peer = record(head);
    let mut fields = rest.split(|&b| b == 0);
    let mut next = || fields.next().unwrap_or(&[]);
    let (eid, prev, value) = (next(), next(), next());
    let subnets = b"10.0.1.0/24,fd00:1::/64";
    let local = b"192.168.1.10";

    // SAFETY (whole block): every (ptr, len) comes from a live slice; handles come from the
    // matching `_new` calls and are freed once at the end; out-parameters are live locals.
    unsafe {
        let mut buf = [0u8; 128];
        let mut n = 0usize;
        if check(overlaynet_peer_record_encode(&peer, buf.as_mut_ptr(), buf.len(), &mut n)) {
            let mut back = MaybeUninit::uninit();
            assert!(check(overlaynet_peer_record_decode(buf.as_ptr(), n, back.as_mut_ptr())));
        }
        let mut decoded = MaybeUninit::uninit();
        check(overlaynet_peer_record_decode(value.as_ptr(), value.len(), decoded.as_mut_ptr()));

        let (mut table, mut deltas) = (null_mut(), null_mut());
        assert!(check(overlaynet_peer_table_new(
            b"n1".as_ptr(),
            2,
            subnets.as_ptr(),
            subnets.len(),
            local.as_ptr(),
            local.len(),
            &mut table,
        )));
        assert!(check(overlaynet_peer_deltas_new(&mut deltas)));

        let mut code = 0u32;
        type Mutation = unsafe extern "C" fn(
            *mut overlaynet_peer_table,
            *const u8,
            usize,
            *const overlaynet_peer_record,
            *mut overlaynet_peer_deltas,
            *mut u32,
        ) -> overlaynet_result;
        let mutations: [Mutation; 5] = [
            overlaynet_peer_table_add_remote,
            overlaynet_peer_table_add_local,
            overlaynet_peer_table_add_remote,
            overlaynet_peer_table_remove_local,
            overlaynet_peer_table_remove_remote,
        ];
        for mutation in mutations {
            let before = snapshot(table, deltas);
            if !check(mutation(table, eid.as_ptr(), eid.len(), &peer, deltas, &mut code)) {
                assert_eq!(snapshot(table, deltas), before, "a failed mutation changed state");
            }
        }
        let mut outcome = MaybeUninit::uninit();
        let before = snapshot(table, deltas);
        let rc = overlaynet_peer_table_apply_gossip(
            table,
            eid.as_ptr(),
            eid.len(),
            prev.as_ptr(),
            prev.len(),
            value.as_ptr(),
            value.len(),
            deltas,
            outcome.as_mut_ptr(),
        );
        if !check(rc) {
            assert_eq!(snapshot(table, deltas), before, "a failed event changed state");
        }

        let mut list = null_mut();
        if check(overlaynet_peer_table_entries_at(table, &peer.endpoint_ip, &mut list)) {
            let mut count = 0;
            assert!(check(overlaynet_peer_list_count(list, &mut count)));
            for i in 0..count {
                let mut entry = MaybeUninit::uninit();
                assert!(check(overlaynet_peer_list_get(list, i, entry.as_mut_ptr())));
                assert!(check(overlaynet_peer_list_eid(list, i, buf.as_mut_ptr(), buf.len(), &mut n))
                    || n > buf.len());
            }
            overlaynet_peer_list_free(list);
        }
        assert!(check(overlaynet_peer_table_clear(table, deltas)));
        overlaynet_peer_deltas_free(deltas);
        overlaynet_peer_table_free(table);
    }
});
