//! MTU: Docker's computation, the corrected one for IPv6 underlays and the hardened profile,
//! and parsing of the `com.docker.network.driver.mtu` option value.

use super::boundary::{guard, in_str, out_param};
use super::convert;
use super::result::overlaynet_result;
use crate::model::options::{check_mtu, parse_mtu};
use crate::model::{docker_mtu, effective_mtu};

/// `0` means "option unset" (Docker's default 1500 applies), as in moby's `maxMTU`.
fn option_mtu(value: u32) -> Result<Option<u32>, super::boundary::Failure> {
    if value == 0 {
        Ok(None)
    } else {
        Ok(Some(check_mtu(u64::from(value))?))
    }
}

/// Docker's overlay MTU (moby `maxMTU`, exactly): `option_mtu` (0 = unset, i.e. 1500) − 50,
/// and when `encrypted` − 26 rounded down to a multiple of 4. Writes it to `*out_mtu`.
/// A non-zero `option_mtu` outside 576..=65535 is `OVERLAYNET_RESULT_INVALID_INPUT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mtu_docker(
    option_mtu: u32,
    encrypted: bool,
    out_mtu: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_mtu, "out_mtu") }?;
        out.write(docker_mtu(self::option_mtu(option_mtu)?, encrypted));
        Ok(())
    })
}

/// The MTU that really fits: `option_mtu` (0 = unset, i.e. 1500) − VXLAN overhead for the
/// underlay `family` (`overlaynet_family`: 50 over IPv4, 70 over IPv6) − the ESP overhead of
/// `encryption` (`overlaynet_encryption`), rounded down to a multiple of 4 when encrypted.
/// Equals `overlaynet_mtu_docker` for IPv4 with Docker's profile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mtu_effective(
    option_mtu: u32,
    encryption: u32,
    family: u32,
    out_mtu: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let out = unsafe { out_param(out_mtu, "out_mtu") }?;
        let (encryption, family) = (convert::encryption(encryption)?, convert::family(family)?);
        out.write(effective_mtu(
            self::option_mtu(option_mtu)?,
            encryption,
            family,
        ));
        Ok(())
    })
}

/// Parses a `com.docker.network.driver.mtu` option value as Docker does (Go `strconv.Atoi`,
/// negative rejected, with Docker's error texts) and checks 576..=65535.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_mtu_parse_option(
    value: *const u8,
    value_len: usize,
    out_mtu: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (value, out) = unsafe {
            (
                in_str(value, value_len, "value")?,
                out_param(out_mtu, "out_mtu")?,
            )
        };
        out.write(parse_mtu(value)?);
        Ok(())
    })
}
