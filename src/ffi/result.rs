//! The C ABI's result codes: one `#[repr(u32)]` enum in its own numeric range (7000+), and the
//! single place that maps the crate's [`Error`](crate::Error) variants onto those codes.
//!
//! It must not format messages or touch the per-thread last error; `boundary` does that.

use std::ffi::c_char;

use super::boundary::guard_value;
use crate::host::HostError;
use crate::ipsec::IpsecError;
use crate::kernel::KernelError;
use crate::model::ModelError;
use crate::publish::PublishError;

/// The errno a failure carries when a kernel (real or simulated) reported it, else 0: what
/// `overlaynet_last_error_errno` returns.
pub(crate) fn kernel_errno(error: &crate::Error) -> i32 {
    match error {
        crate::Error::Kernel(error) => error.errno().0,
        #[cfg(target_os = "linux")]
        crate::Error::Linux(error) => error.errno().0,
        _ => 0,
    }
}

/// What an `overlaynet_*` function returns. `OVERLAYNET_RESULT_OK` is 0, so `if (rc)` means
/// failure; every failure code is in 7001..=7099 and leaves a message for
/// `overlaynet_last_error_message` on the calling thread.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (or NULL with a non-zero length).
    NullParameter = 7001,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 7002,
    /// A length argument was absurd (larger than `OVERLAYNET_MAX_INPUT_LEN` for inputs, or
    /// larger than `PTRDIFF_MAX` for output buffers).
    InvalidLength = 7003,
    /// The caller's output buffer was too small; the `out_n` argument holds the length needed.
    BufferTooSmall = 7004,
    /// A bug inside the library panicked; the panic was caught at the C boundary.
    Panic = 7005,
    /// An enum-valued argument (a `uint32_t`) was not one of the documented values.
    InvalidEnum = 7006,
    /// An index argument was past the end of the list it indexes.
    IndexOutOfRange = 7007,
    /// The input was rejected by validation (bad subnet, gateway outside the subnet, VNI out
    /// of range, bad MTU, bad option value, ...).
    InvalidInput = 7010,
    /// The input conflicts with existing state (overlapping subnets, name or VNI in use, a
    /// second ingress network, ...).
    Conflict = 7011,
    /// The named object does not exist.
    NotFound = 7012,
    /// A pool ran out (no free subnet, address or VNI).
    Exhausted = 7013,
    /// The operation is refused in the current state (e.g. removing the ingress network while
    /// ports are published, encryption with a Windows node).
    Refused = 7014,
    /// A kernel (real or simulated) refused an operation or could not be read: a netlink or
    /// namespace error, a failed dump, an injected fault. `overlaynet_last_error_errno` gives
    /// the errno.
    Kernel = 7015,
    /// The operation is not available here: the Linux backend on another operating system,
    /// or fault and drift injection on a kernel that is not the simulator.
    Unsupported = 7016,
}

/// Every code (private, so cbindgen does not export it).
const ALL_CODES: [overlaynet_result; 15] = {
    use overlaynet_result::*;
    [
        Ok,
        NullParameter,
        InvalidUtf8,
        InvalidLength,
        BufferTooSmall,
        Panic,
        InvalidEnum,
        IndexOutOfRange,
        InvalidInput,
        Conflict,
        NotFound,
        Exhausted,
        Refused,
        Kernel,
        Unsupported,
    ]
};

impl overlaynet_result {
    /// A short, static, NUL-terminated description of the code.
    pub const fn description(self) -> &'static std::ffi::CStr {
        match self {
            Self::Ok => c"success",
            Self::NullParameter => c"a required pointer argument was NULL",
            Self::InvalidUtf8 => c"a string argument was not valid UTF-8",
            Self::InvalidLength => c"a length argument was out of range",
            Self::BufferTooSmall => c"the output buffer was too small",
            Self::Panic => c"internal error (a panic was caught at the C boundary)",
            Self::InvalidEnum => c"an enum argument had an undefined value",
            Self::IndexOutOfRange => c"an index argument was out of range",
            Self::InvalidInput => c"invalid input",
            Self::Conflict => c"conflicts with existing state",
            Self::NotFound => c"not found",
            Self::Exhausted => c"pool exhausted",
            Self::Refused => c"operation refused in the current state",
            Self::Kernel => c"the kernel refused the operation",
            Self::Unsupported => c"not supported by this platform or kernel backend",
        }
    }

    /// The code for a crate error. Adding a variant to [`crate::Error`] makes this match
    /// non-exhaustive, so every new module picks its codes here.
    pub fn from_error(error: &crate::Error) -> overlaynet_result {
        match error {
            crate::Error::Model(error) => Self::from_model_error(error),
            crate::Error::Peer(error) => Self::from_peer_error(error),
            crate::Error::Publish(error) => Self::from_publish_error(error),
            crate::Error::Ipsec(error) => Self::from_ipsec_error(error),
            crate::Error::Wire(_) => Self::InvalidInput,
            crate::Error::Kernel(error) => Self::from_kernel_error(error),
            #[cfg(target_os = "linux")]
            crate::Error::Linux(_) => Self::Kernel,
            crate::Error::Host(error) => Self::from_host_error(error),
        }
    }

    fn from_kernel_error(error: &KernelError) -> overlaynet_result {
        use KernelError::*;
        match error {
            Exists { .. } => Self::Conflict,
            NotFound { .. } | NoDevice { .. } => Self::NotFound,
            Invalid { .. } | Decode { .. } => Self::InvalidInput,
            NetDown { .. } | Os { .. } | Refused { .. } | Observe { .. } => Self::Kernel,
        }
    }

    fn from_host_error(error: &HostError) -> overlaynet_result {
        use HostError::*;
        match error {
            EmptyNetworkId
            | InvalidNetworkId { .. }
            | SubnetNotFound { .. }
            | InvalidInterfaceName { .. }
            | InvalidNetnsName { .. }
            | NetnsIsSandbox { .. }
            | GwBridgeUnaddressed { .. }
            | BadExternalAddress { .. } => Self::InvalidInput,
            NetworkExists { .. }
            | SandboxNameTaken { .. }
            | VniInUse { .. }
            | MixedEncryptionProfiles { .. }
            | EndpointExists { .. }
            | AddressInUse { .. }
            | InterfaceTaken { .. }
            | AlreadyConnected { .. }
            | GatewayTaken { .. } => Self::Conflict,
            NetworkNotFound { .. } | EndpointNotFound { .. } => Self::NotFound,
            ActiveEndpoints { .. } | KeysNotPresent | NoGwBridge | GwBridgeInUse { .. } => {
                Self::Refused
            }
            VethNamesExhausted { .. } => Self::Exhausted,
            Peer(error) => Self::from_peer_error(error),
            Ipsec(error) => Self::from_ipsec_error(error),
        }
    }

    fn from_peer_error(error: &crate::peer::PeerError) -> overlaynet_result {
        use crate::peer::PeerError::*;
        match error {
            UnknownNetwork { .. } => Self::NotFound,
            NetworkExists { .. } => Self::Conflict,
            OwnVtep { .. } => Self::Refused,
            InBatch { source, .. } => Self::from_peer_error(source),
            NoSubnets { .. }
            | TooManySubnets { .. }
            | InvalidLocalVtep { .. }
            | InvalidEndpointId
            | SubnetNotFound { .. }
            | InvalidMac { .. }
            | VtepFamily { .. }
            | InvalidVtep { .. }
            | EmptyEvent { .. }
            | Record(_) => Self::InvalidInput,
        }
    }

    fn from_ipsec_error(error: &IpsecError) -> overlaynet_result {
        use IpsecError::*;
        match error {
            DuplicateSpi { .. } | DuplicateTag { .. } => Self::Conflict,
            KeyIndicesNotFound { .. } => Self::NotFound,
            SequenceExhausted { .. } => Self::Exhausted,
            TransmitBeforeReceive { .. } | Random(_) => Self::Refused,
            InvalidKeyLength { .. }
            | UnrecognizedSubsystem { .. }
            | IncorrectKeyCount { .. }
            | PrimaryIsPruned { .. }
            | InvalidInterval { .. }
            | InvalidReplayWindow { .. }
            | InvalidIcvLength { .. }
            | ReservedSpi { .. }
            | BufferTooSmall { .. }
            | Esp(_)
            | Gossip(_) => Self::InvalidInput,
        }
    }

    fn from_model_error(error: &ModelError) -> overlaynet_result {
        use ModelError::*;
        match error {
            InvalidName { .. }
            | SubnetNotMasked { .. }
            | SubnetWrongFamily { .. }
            | SubnetTooSmall { .. }
            | IpRangeBiggerThanSubnet { .. }
            | IpRangeNotMasked { .. }
            | IpRangeOutsideSubnet { .. }
            | IpRangeWrongFamily { .. }
            | GatewayOutsideSubnet { .. }
            | GatewayWrongFamily { .. }
            | AuxAddressOutsideSubnet { .. }
            | AuxAddressWrongFamily { .. }
            | ReservedAddress { .. }
            | VniOutOfRange { .. }
            | InvalidVni { .. }
            | InsufficientVnis { .. }
            | TooManyVnis { .. }
            | DuplicateVni { .. }
            | MtuParse { .. }
            | NegativeMtu { .. }
            | MtuOutOfRange { .. }
            | InvalidBoolOption { .. }
            | InvalidBridgeName { .. }
            | TypedOptionKey { .. }
            | AttachableIngress
            | DataPathPortOutOfRange { .. }
            | UnspecifiedAdvertiseAddr
            | UnspecifiedDataPathAddr
            | PoolSizeOutOfRange { .. }
            | PoolTooSmall { .. }
            | AddressOutOfRange { .. }
            | InvalidEncryptionProfile { .. } => Self::InvalidInput,
            OverlappingSubnets { .. }
            | VniInUse { .. }
            | SecondIngress { .. }
            | NetworkExists { .. }
            | NodeExists { .. }
            | AddressInUse { .. } => Self::Conflict,
            NetworkNotFound { .. }
            | NodeNotFound { .. }
            | VniNotAllocated { .. }
            | AddressNotAllocated { .. } => Self::NotFound,
            VnisExhausted { .. } | PoolsExhausted | AddressesExhausted { .. } => Self::Exhausted,
            IngressInUse { .. } | NoIngressNetwork { .. } | EncryptionOnWindowsNode { .. } => {
                Self::Refused
            }
        }
    }

    fn from_publish_error(error: &PublishError) -> overlaynet_result {
        use PublishError::*;
        match error {
            InvalidPublishOpts { .. }
            | NoPortSpecified { .. }
            | InvalidProto { .. }
            | InvalidBracketedIp { .. }
            | InvalidIp { .. }
            | InvalidContainerPort { .. }
            | InvalidHostPort { .. }
            | InvalidRanges { .. }
            | HostIpNotSupported
            | Csv { .. }
            | InvalidField { .. }
            | InvalidFieldKey { .. }
            | InvalidProtocolValue { .. }
            | InvalidPublishMode { .. }
            | InvalidTargetPort { .. }
            | InvalidPublishedPort { .. }
            | MissingTarget
            | IngressWithDnsrr { .. }
            | DuplicatePublishedPort { .. }
            | InvalidInterfaceName { .. }
            | FamilyMismatch { .. }
            | NoIngressSandboxAddress => Self::InvalidInput,
            PortInUse { .. } | RuleConflict { .. } | VipConflict { .. } | SubnetOverlap { .. } => {
                Self::Conflict
            }
            UnknownLoadBalancer { .. } => Self::NotFound,
            DynamicPortsExhausted { .. } => Self::Exhausted,
        }
    }
}

/// A static, NUL-terminated English description of `result` (any `uint32_t`; unknown values
/// give "unknown result code"). The returned pointer is never NULL and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn overlaynet_result_description(result: u32) -> *const c_char {
    guard_value(c"unknown result code".as_ptr(), || {
        ALL_CODES
            .iter()
            .find(|code| **code as u32 == result)
            .map_or(c"unknown result code", |code| code.description())
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description_of(code: u32) -> String {
        // SAFETY: the function returns a static NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(overlaynet_result_description(code)) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn codes_are_unique_and_described() {
        let mut seen = std::collections::HashSet::new();
        for code in ALL_CODES {
            assert!(seen.insert(code as u32), "duplicate {code:?}");
            assert!(code == overlaynet_result::Ok || (7001..=7099).contains(&(code as u32)));
            assert_eq!(
                description_of(code as u32),
                code.description().to_str().unwrap()
            );
        }
        assert_eq!(description_of(7003), "a length argument was out of range");
        assert_eq!(description_of(12345), "unknown result code");
    }

    #[test]
    fn model_errors_map_to_their_category() {
        let cases = [
            (
                ModelError::VniOutOfRange { vni: 0 },
                overlaynet_result::InvalidInput,
            ),
            (
                ModelError::AttachableIngress,
                overlaynet_result::InvalidInput,
            ),
            (
                ModelError::NetworkExists { name: "a".into() },
                overlaynet_result::Conflict,
            ),
            (
                ModelError::SecondIngress {
                    existing: "ingress".into(),
                },
                overlaynet_result::Conflict,
            ),
            (
                ModelError::NetworkNotFound { name: "a".into() },
                overlaynet_result::NotFound,
            ),
            (ModelError::PoolsExhausted, overlaynet_result::Exhausted),
            (
                ModelError::IngressInUse {
                    service: "web".into(),
                },
                overlaynet_result::Refused,
            ),
            (
                ModelError::EncryptionOnWindowsNode {
                    network: "n".into(),
                    node: "w".into(),
                },
                overlaynet_result::Refused,
            ),
        ];
        for (error, code) in cases {
            let text = error.to_string();
            let failure = super::super::boundary::Failure::from(error);
            assert_eq!((failure.code, failure.message), (code, text));
        }
    }

    #[test]
    fn publish_errors_map_to_their_category() {
        use crate::publish::Protocol;
        let cases = [
            (PublishError::MissingTarget, overlaynet_result::InvalidInput),
            (
                PublishError::IngressWithDnsrr { port: 80 },
                overlaynet_result::InvalidInput,
            ),
            (
                PublishError::PortInUse {
                    protocol: Protocol::Tcp,
                    port: 8080,
                    service: "web".into(),
                },
                overlaynet_result::Conflict,
            ),
            (
                PublishError::VipConflict {
                    vip: [10, 0, 0, 2].into(),
                    fwmark: 256,
                },
                overlaynet_result::Conflict,
            ),
            (
                PublishError::UnknownLoadBalancer { fwmark: 7 },
                overlaynet_result::NotFound,
            ),
            (
                PublishError::DynamicPortsExhausted {
                    protocol: Protocol::Udp,
                },
                overlaynet_result::Exhausted,
            ),
        ];
        for (error, code) in cases {
            let text = error.to_string();
            let failure = super::super::boundary::Failure::from(error);
            assert_eq!((failure.code, failure.message), (code, text));
        }
    }

    #[test]
    fn kernel_errors_map_to_their_category_and_keep_the_errno() {
        use crate::kernel::{Errno, Netns, ObjectId};
        let object = ObjectId::Netns(Netns::named("1-k3jd8s0a2b"));
        let cases = [
            (
                KernelError::Exists {
                    object: object.clone(),
                },
                overlaynet_result::Conflict,
                17,
            ),
            (
                KernelError::from_errno(object.clone(), Errno::ESRCH),
                overlaynet_result::NotFound,
                3,
            ),
            (
                KernelError::Invalid {
                    object: object.clone(),
                    reason: "name too long".into(),
                },
                overlaynet_result::InvalidInput,
                22,
            ),
            (
                KernelError::Observe {
                    errno: Errno::EPERM,
                },
                overlaynet_result::Kernel,
                1,
            ),
            (
                KernelError::Refused {
                    object,
                    errno: Errno(95),
                    message: "Unknown device type".into(),
                },
                overlaynet_result::Kernel,
                95,
            ),
        ];
        for (error, code, errno) in cases {
            let text = error.to_string();
            let failure = super::super::boundary::Failure::from(error);
            assert_eq!(
                (failure.code, failure.message, failure.errno),
                (code, text, errno)
            );
        }
        let model = super::super::boundary::Failure::from(ModelError::PoolsExhausted);
        assert_eq!(model.errno, 0, "only kernel failures carry an errno");
    }

    #[test]
    fn host_errors_map_to_their_category() {
        let cases = [
            (HostError::EmptyNetworkId, overlaynet_result::InvalidInput),
            (
                HostError::NetworkExists { id: "n".into() },
                overlaynet_result::Conflict,
            ),
            (
                HostError::EndpointNotFound {
                    eid: "e".into(),
                    id: "n".into(),
                },
                overlaynet_result::NotFound,
            ),
            (HostError::KeysNotPresent, overlaynet_result::Refused),
            (
                HostError::VethNamesExhausted { eid: "e".into() },
                overlaynet_result::Exhausted,
            ),
            (
                HostError::Peer(crate::peer::PeerError::InvalidEndpointId),
                overlaynet_result::InvalidInput,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(overlaynet_result::from_error(&error.into()), code);
        }
    }
}
