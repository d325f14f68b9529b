//! Any bytes as an outer packet (from the IP header, from Ethernet, and as a UDP payload)
//! under each receiver configuration: no panic, a success borrows a frame inside the input, and
//! the fast path agrees with the general path.
#![no_main]
use libfuzzer_sys::fuzz_target;
use overlaynet::wire::{DecapCounters, Decapsulator, VxlanExtMode};

fuzz_target!(|data: &[u8]| {
    let mut counters = DecapCounters::default();
    for ext_mode in [VxlanExtMode::Plain, VxlanExtMode::Gbp, VxlanExtMode::Gpe] {
        for require_udp_checksum_v6 in [true, false] {
            let d = Decapsulator { ext_mode, require_udp_checksum_v6, ..Decapsulator::default() };
            let result = d.decap(data);
            assert_eq!(result, d.decap_general_for_fuzzing(data));
            if let Ok(out) = counters.observe(result) {
                let range = data.as_ptr_range();
                assert!(range.contains(&out.frame.as_ptr()) || out.frame.is_empty());
                assert!(out.frame.len() >= 14 || ext_mode == VxlanExtMode::Gpe);
            }
            let _ = counters.observe(d.decap_ethernet(data));
            let _ = d.decap_udp_payload(data);
        }
    }
    assert_eq!(counters.ok + counters.failures(), 12);
});
