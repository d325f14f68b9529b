//! Both port grammars (`docker run -p`, `docker service create -p`) on arbitrary input: never
//! panic, and anything accepted parses back from its canonical form to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overlaynet::publish::{parse_run_port, parse_service_port};

fuzz_target!(|data: &[u8]| {
    let Ok(spec) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mappings) = parse_run_port(spec) {
        for m in &mappings {
            let canonical = m.to_string();
            let again = parse_run_port(&canonical)
                .unwrap_or_else(|e| panic!("{spec:?} -> {canonical:?} rejected: {e}"));
            assert_eq!(again, std::slice::from_ref(m), "{spec:?} -> {canonical:?}");
        }
    }
    if let Ok(ports) = parse_service_port(spec) {
        for p in &ports {
            let canonical = p.to_spec();
            let again = parse_service_port(&canonical)
                .unwrap_or_else(|e| panic!("{spec:?} -> {canonical:?} rejected: {e}"));
            assert_eq!(again, std::slice::from_ref(p), "{spec:?} -> {canonical:?}");
        }
    }
});
