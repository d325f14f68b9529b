//! Property tests for both port grammars over a spec-shaped alphabet: no panics, and every
//! accepted value round-trips through its canonical form (the fuzz target checks the same on
//! arbitrary bytes).

use overlaynet::publish::{parse_run_port, parse_service_port};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn accepted_specs_round_trip(spec in "[0-9a-zA-Z:=,/\\[\\]+\\-. \"]{0,28}") {
        if let Ok(mappings) = parse_run_port(&spec) {
            for m in &mappings {
                prop_assert_eq!(parse_run_port(&m.to_string()).unwrap(), vec![m.clone()]);
            }
        }
        if let Ok(ports) = parse_service_port(&spec) {
            for p in &ports {
                prop_assert_eq!(parse_service_port(&p.to_spec()).unwrap(), vec![p.clone()]);
            }
        }
    }

    #[test]
    fn short_forms_with_ports_round_trip(
        host in prop::option::of((0u32..70000, 0u32..4)),
        container in (0u32..70000, 0u32..4),
        proto in "(tcp|udp|sctp|TCP|Udp|icmp|)",
    ) {
        let range = |(start, extra): (u32, u32)| {
            if extra == 0 { start.to_string() } else { format!("{start}-{}", start + extra) }
        };
        let spec = match host {
            Some(h) => format!("{}:{}/{proto}", range(h), range(container)),
            None => format!("{}/{proto}", range(container)),
        };
        if let Ok(mappings) = parse_run_port(&spec) {
            for m in &mappings {
                prop_assert_eq!(parse_run_port(&m.to_string()).unwrap(), vec![m.clone()]);
            }
        }
        if let Ok(ports) = parse_service_port(&spec) {
            for p in &ports {
                prop_assert_eq!(parse_service_port(&p.to_spec()).unwrap(), vec![p.clone()]);
            }
        }
    }
}
