//! Docker's option-map keys and the parsers for their values (Go `strconv` semantics), shared
//! by the overlay, ingress and docker_gwbridge models.
//!
//! It owns no network state; each network type decides which keys it reads and writes.

use super::error::ModelError;
use super::mtu::{MAX_OPTION_MTU, MIN_OPTION_MTU};

/// Driver MTU (moby netlabel `DriverMTU`).
pub const DRIVER_MTU: &str = "com.docker.network.driver.mtu";
/// Comma-separated VNIs, one per IPv4 subnet (moby netlabel `OverlayVxlanIDList`).
pub const OVERLAY_VXLANID_LIST: &str = "com.docker.network.driver.overlay.vxlanid_list";
/// Presence enables IPsec; the value is ignored (moby overlay `secureOption`).
pub const ENCRYPTED: &str = "encrypted";
/// Our own key: which encryption profile an `encrypted` network uses, `hardened` or `docker`.
/// Absent means `docker`, so option maps written by Docker keep Docker's behaviour.
pub const ENCRYPTION_PROFILE: &str = "com.overlaynet.encryption";
/// Value of [`ENCRYPTION_PROFILE`] for the hardened profile.
pub const PROFILE_HARDENED: &str = "hardened";
/// Value of [`ENCRYPTION_PROFILE`] for Docker's profile.
pub const PROFILE_DOCKER: &str = "docker";
/// Bridge device name (moby bridge driver `BridgeName`).
pub const BRIDGE_NAME: &str = "com.docker.network.bridge.name";
/// Inter-container communication on the bridge (moby bridge driver `EnableICC`).
pub const BRIDGE_ENABLE_ICC: &str = "com.docker.network.bridge.enable_icc";
/// Masquerade traffic leaving the bridge (moby bridge driver `EnableIPMasquerade`).
pub const BRIDGE_ENABLE_IP_MASQUERADE: &str = "com.docker.network.bridge.enable_ip_masquerade";

/// Parse a [`DRIVER_MTU`] value as moby does (`strconv.Atoi`, negative rejected), then require
/// [`MIN_OPTION_MTU`]..=[`MAX_OPTION_MTU`] so the overlay can carry traffic at all.
pub fn parse_mtu(value: &str) -> Result<u32, ModelError> {
    let parsed = go_atoi(value)?;
    if parsed < 0 {
        return Err(ModelError::NegativeMtu { value: parsed });
    }
    check_mtu(parsed as u64)
}

/// Check a typed MTU against [`MIN_OPTION_MTU`]..=[`MAX_OPTION_MTU`].
pub fn check_mtu(mtu: u64) -> Result<u32, ModelError> {
    if (u64::from(MIN_OPTION_MTU)..=u64::from(MAX_OPTION_MTU)).contains(&mtu) {
        Ok(mtu as u32)
    } else {
        Err(ModelError::MtuOutOfRange {
            mtu,
            min: MIN_OPTION_MTU,
            max: MAX_OPTION_MTU,
        })
    }
}

/// Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits, i64 range.
fn go_atoi(value: &str) -> Result<i64, ModelError> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ModelError::MtuParse {
            value: value.to_string(),
            reason: "invalid syntax",
        });
    }
    value.parse::<i64>().map_err(|_| ModelError::MtuParse {
        value: value.to_string(),
        reason: "value out of range",
    })
}

/// Go's `strconv.ParseBool`, as the bridge driver uses for its boolean options.
pub fn parse_go_bool(key: &str, value: &str) -> Result<bool, ModelError> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(ModelError::InvalidBoolOption {
            key: key.to_string(),
            value: value.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_keys_are_dockers() {
        assert_eq!(DRIVER_MTU, "com.docker.network.driver.mtu");
        assert_eq!(
            OVERLAY_VXLANID_LIST,
            "com.docker.network.driver.overlay.vxlanid_list"
        );
        assert_eq!(ENCRYPTED, "encrypted");
        assert_eq!(BRIDGE_NAME, "com.docker.network.bridge.name");
        assert_eq!(BRIDGE_ENABLE_ICC, "com.docker.network.bridge.enable_icc");
        assert_eq!(
            BRIDGE_ENABLE_IP_MASQUERADE,
            "com.docker.network.bridge.enable_ip_masquerade"
        );
    }

    #[test]
    fn mtu_parse_errors_use_moby_texts() {
        assert_eq!(parse_mtu("1400"), Ok(1400));
        assert_eq!(parse_mtu("+1400"), Ok(1400));
        let text = |v: &str| {
            parse_mtu(v)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            text("abc"),
            "failed to parse abc: strconv.Atoi: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            text(""),
            "failed to parse : strconv.Atoi: parsing \"\": invalid syntax"
        );
        assert_eq!(
            text("99999999999999999999"),
            "failed to parse 99999999999999999999: strconv.Atoi: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(text("-1"), "invalid MTU value: -1");
        assert_eq!(
            text("100"),
            "invalid MTU value: 100 (must be between 576 and 65535)"
        );
        assert_eq!(
            text("65536"),
            "invalid MTU value: 65536 (must be between 576 and 65535)"
        );
        assert_eq!(parse_mtu("576"), Ok(576));
        assert_eq!(parse_mtu("65535"), Ok(65535));
    }

    #[test]
    fn go_bool_forms() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool("k", t), Ok(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool("k", f), Ok(false));
        }
        assert_eq!(
            parse_go_bool(BRIDGE_ENABLE_ICC, "yes").map_err(|e| e.to_string()),
            Err("failed to parse com.docker.network.bridge.enable_icc value: yes (strconv.ParseBool: parsing \"yes\": invalid syntax)".to_string())
        );
    }
}
