//! [`PublishError`]: every way port publishing can reject its input. Where Docker has a
//! message for the same mistake, `Display` is Docker's exact text.

use std::net::IpAddr;

use ipnet::IpNet;

use super::golang::NumErrorKind;
use super::port::Protocol;

/// Errors of the `publish` module. Nothing that returns one has changed any state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    // ---- docker run -p (go-connections nat.ParsePortSpec, cli convertToStandardNotation)
    /// A long-form `docker run -p` field without `=` or with an empty key.
    #[error("invalid publish opts format (should be name=value but got '{param}')")]
    InvalidPublishOpts {
        /// The offending comma-separated field.
        param: String,
    },
    /// The container port is empty.
    #[error("no port specified: {raw}<empty>")]
    NoPortSpecified {
        /// The whole spec as given.
        raw: String,
    },
    /// The protocol after `/` is not tcp, udp or sctp.
    #[error("invalid proto: {proto}")]
    InvalidProto {
        /// The (lower-cased) protocol text.
        proto: String,
    },
    /// A bracketed host IP that Go's `net.SplitHostPort` rejects.
    #[error("invalid IP address {ip}: {reason}")]
    InvalidBracketedIp {
        /// The host IP part, brackets included.
        ip: String,
        /// Go's `AddrError` text.
        reason: String,
    },
    /// The host IP is not an IPv4 or IPv6 address.
    #[error("invalid IP address: {ip}")]
    InvalidIp {
        /// The host IP part (brackets stripped).
        ip: String,
    },
    /// The container port or range does not parse.
    #[error("invalid containerPort: {port}")]
    InvalidContainerPort {
        /// The container port text (protocol removed).
        port: String,
    },
    /// The host port or range does not parse.
    #[error("invalid hostPort: {port}")]
    InvalidHostPort {
        /// The host port text.
        port: String,
    },
    /// Host and container ranges differ in length and the container side is a range.
    #[error("invalid ranges specified for container and host Ports: {container} and {host}")]
    InvalidRanges {
        /// The container range text.
        container: String,
        /// The host range text.
        host: String,
    },

    // ---- docker service create -p (cli PortOpt.Set)
    /// A short-form service port named a host IP.
    #[error("hostip is not supported")]
    HostIpNotSupported,
    /// The long form is not valid CSV (Go's `csv.ParseError` text).
    #[error("{message}")]
    Csv {
        /// Go's error text, with line and column.
        message: String,
    },
    /// A long-form field without `=` or with an empty key.
    #[error("invalid field: {field}")]
    InvalidField {
        /// The field as given.
        field: String,
    },
    /// A long-form key other than published, target, protocol and mode.
    #[error("invalid field key: {key}")]
    InvalidFieldKey {
        /// The lower-cased key.
        key: String,
    },
    /// `protocol=` is not tcp, udp or sctp.
    #[error("invalid protocol value '{value}'")]
    InvalidProtocolValue {
        /// The lower-cased value.
        value: String,
    },
    /// `mode=` is not ingress or host.
    #[error("invalid publish mode value ({value}): must be either 'ingress' or 'host'")]
    InvalidPublishMode {
        /// The lower-cased value.
        value: String,
    },
    /// `target=` is not a 16-bit unsigned integer.
    #[error("invalid target port ({value}): value must be an integer: {reason}")]
    InvalidTargetPort {
        /// The lower-cased value.
        value: String,
        /// Go's `strconv` reason.
        reason: NumErrorKind,
    },
    /// `published=` is not a 16-bit unsigned integer.
    #[error("invalid published port ({value}): value must be an integer: {reason}")]
    InvalidPublishedPort {
        /// The lower-cased value.
        value: String,
        /// Go's `strconv` reason.
        reason: NumErrorKind,
    },
    /// The long form has no (or a zero) `target`.
    #[error("missing mandatory field 'target'")]
    MissingTarget,

    // ---- endpoint spec validation (swarmkit validateEndpointSpec)
    /// An ingress-mode port on a service using DNS round robin.
    #[error("EndpointSpec: port published with ingress mode can't be used with dnsrr mode")]
    IngressWithDnsrr {
        /// The first offending port.
        port: u16,
    },
    /// The same published port and protocol appear twice in one endpoint spec.
    #[error("EndpointSpec: duplicate published ports provided")]
    DuplicatePublishedPort {
        /// Protocol of the duplicate.
        protocol: Protocol,
        /// The duplicated published port.
        port: u16,
    },

    // ---- ingress port allocation
    /// The published port already belongs to another service.
    #[error("port '{port}/{protocol}' is already in use by service '{service}' as an ingress port")]
    PortInUse {
        /// Protocol of the port.
        protocol: Protocol,
        /// The published port.
        port: u16,
        /// The service holding it.
        service: String,
    },
    /// Every port of the dynamic range is taken for this protocol.
    #[error("no free {protocol} port left in the dynamic range 30000-32767")]
    DynamicPortsExhausted {
        /// The exhausted protocol.
        protocol: Protocol,
    },

    // ---- mesh rules
    /// An interface name the kernel would refuse (1–15 bytes, no `/`, whitespace or quotes).
    #[error(
        "invalid interface name {name:?}: must be 1-15 characters without '/', quotes or whitespace"
    )]
    InvalidInterfaceName {
        /// The name given.
        name: String,
    },
    /// A published port is already routed by something else in this namespace.
    #[error("port {port}/{protocol} is already published by {owner}")]
    RuleConflict {
        /// Protocol of the port.
        protocol: Protocol,
        /// The port.
        port: u16,
        /// What holds it (e.g. `load balancer 256`, `host-mode port`).
        owner: String,
    },
    /// A VIP is already used by another load balancer.
    #[error("VIP {vip} is already used by load balancer {fwmark}")]
    VipConflict {
        /// The VIP.
        vip: IpAddr,
        /// The load balancer holding it.
        fwmark: u32,
    },
    /// No load balancer with this firewall mark exists.
    #[error("no load balancer with fwmark {fwmark}")]
    UnknownLoadBalancer {
        /// The firewall mark asked for.
        fwmark: u32,
    },
    /// An address of one family was paired with a prefix or address of the other.
    #[error("address family mismatch: {subnet} and {address}")]
    FamilyMismatch {
        /// The prefix.
        subnet: IpNet,
        /// The address of the other family.
        address: IpAddr,
    },
    /// Two SNAT subnets overlap.
    #[error("subnet {subnet} overlaps {existing}")]
    SubnetOverlap {
        /// The subnet given.
        subnet: IpNet,
        /// The subnet already present.
        existing: IpNet,
    },
    /// The host role needs the ingress sandbox's docker_gwbridge address in at least one family.
    #[error("the ingress sandbox needs a docker_gwbridge address (IPv4, IPv6 or both)")]
    NoIngressSandboxAddress,
}
