//! Arbitrary bytes through the ESP header view and the trailer parser: no panic, header fields
//! round-trip through `Repr`, and an accepted trailer describes a prefix of its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overlaynet::wire::esp::{Packet, Repr, parse_trailer, write_trailer};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Packet::new_checked(data) {
        let repr = Repr::parse(&p);
        let mut buf = data.to_vec();
        let mut out = Packet::new_checked(&mut buf[..]).expect("same length");
        repr.emit(&mut out);
        assert_eq!(buf, data);
        assert_eq!(p.payload().len(), data.len() - 8);
        assert_eq!(p.is_non_esp_marker(), repr.spi == 0);
    }
    if let Ok((inner, next_header)) = parse_trailer(data) {
        assert!(inner + 2 <= data.len());
        // Our writer reproduces a trailer the parser accepted when the padding is minimal.
        let mut buf = data[..inner].to_vec();
        buf.resize(data.len(), 0);
        if let Ok(n) = write_trailer(&mut buf, inner, next_header) {
            if n == data.len() {
                assert_eq!(buf, data);
            }
        }
    }
});
