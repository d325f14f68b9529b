//! The netlink reply parser of the Linux backend on arbitrary datagrams: never panics, and
//! every reply it returns lies inside the input with a length of at least a header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overlaynet::kernel::linux::{Reply, parse_replies};

fuzz_target!(|data: &[u8]| {
    if let Ok(replies) = parse_replies(data) {
        for r in replies {
            if let Reply::Data { bytes, .. } = r {
                assert!(bytes.len() >= 16 && bytes.len() <= data.len());
            }
        }
    }
});
