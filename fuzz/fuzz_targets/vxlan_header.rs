//! Any bytes as a VXLAN header under each receiver mode: no panic, and every header that
//! parses re-emits strictly and parses back to the same repr.
#![no_main]
use libfuzzer_sys::fuzz_target;
use overlaynet::wire::{VxlanExtMode, VxlanPacket, VxlanRepr};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = VxlanPacket::new_checked(data) else { return };
    let _ = (p.flags(), p.vni(), p.gbp_policy_id(), p.gpe_next_protocol(), p.gpe_version(), p.payload());
    for mode in [VxlanExtMode::Plain, VxlanExtMode::Gbp, VxlanExtMode::Gpe] {
        if let Ok(r) = VxlanRepr::parse(&p, mode) {
            let bytes = r.to_bytes().expect("parsed header re-emits");
            let again = VxlanRepr::parse(&VxlanPacket::new_checked(&bytes[..]).unwrap(), mode).unwrap();
            assert_eq!(again, r);
        }
    }
});
