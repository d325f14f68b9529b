//! docker_gwbridge option maps: one `key=value` per line. Parsing must never panic, and a map
//! that builds must round-trip through `driver_options()` to an equal spec.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use overlaynet::model::GwBridgeNetworkBuilder;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let map: BTreeMap<String, String> = text
        .lines()
        .map(|line| line.split_once('=').unwrap_or((line, "")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let Ok(builder) = GwBridgeNetworkBuilder::from_docker_options(&map) else { return };
    let Ok(spec) = builder.build() else { return };
    let again = GwBridgeNetworkBuilder::from_docker_options(&spec.driver_options())
        .and_then(GwBridgeNetworkBuilder::build);
    assert_eq!(again.as_ref(), Ok(&spec), "option map did not round-trip");
});
