//! Decodes arbitrary bytes as a NetworkDB PeerRecord. Decoding must never panic, and anything
//! that decodes must re-encode to bytes that decode to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overlaynet::peer::{PeerEvent, PeerRecord};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = PeerRecord::decode(data) {
        let again = PeerRecord::decode(&record.encode()).expect("re-encoded record decodes");
        assert_eq!(again, record);
    }
    let _ = PeerEvent::from_gossip("fuzz", Some(data), Some(data));
});
