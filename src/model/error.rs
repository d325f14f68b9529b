//! `ModelError`: everything the network model can refuse. Texts quote Docker (moby, swarmkit,
//! the moby API types) where Docker has one, so messages look familiar to Docker users; each
//! variant carries the values needed to fix the input.

use std::net::IpAddr;

use ipnet::IpNet;

/// Why a network, node, pool or allocation request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A network or node name is empty or contains characters we cannot use.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A subnet has host bits set (moby API `ValidateIPAM`).
    #[error("invalid subnet {subnet}: it should be {masked}")]
    SubnetNotMasked {
        /// The subnet as given.
        subnet: IpNet,
        /// The subnet with host bits cleared.
        masked: IpNet,
    },
    /// A subnet of the wrong address family was given for an IPv4 or IPv6 IPAM config.
    #[error("invalid subnet {subnet}: expected an {family} block")]
    SubnetWrongFamily {
        /// The subnet as given.
        subnet: IpNet,
        /// The family the config needs (`IPv4` or `IPv6`).
        family: &'static str,
    },
    /// An IPv4 subnet too small to hold a gateway and an endpoint.
    #[error("invalid subnet {subnet}: an overlay subnet needs at least a /30 ({min_prefix_len})")]
    SubnetTooSmall {
        /// The subnet as given.
        subnet: IpNet,
        /// The longest accepted prefix length.
        min_prefix_len: u8,
    },
    /// The ip-range is bigger than its subnet (moby API `ValidateIPAM`).
    #[error("invalid ip-range {range}: CIDR block is bigger than its parent subnet {subnet}")]
    IpRangeBiggerThanSubnet {
        /// The ip-range as given.
        range: IpNet,
        /// Its subnet.
        subnet: IpNet,
    },
    /// The ip-range has host bits set (moby API `ValidateIPAM`).
    #[error("invalid ip-range {range}: it should be {masked}")]
    IpRangeNotMasked {
        /// The ip-range as given.
        range: IpNet,
        /// The range with host bits cleared.
        masked: IpNet,
    },
    /// The ip-range lies outside its subnet (moby API `ValidateIPAM`).
    #[error("invalid ip-range {range}: parent subnet {subnet} doesn't contain ip-range")]
    IpRangeOutsideSubnet {
        /// The ip-range as given.
        range: IpNet,
        /// Its subnet.
        subnet: IpNet,
    },
    /// The ip-range is of the other address family (moby API `ValidateIPAM`).
    #[error("invalid ip-range {range}: parent subnet is an {family} block")]
    IpRangeWrongFamily {
        /// The ip-range as given.
        range: IpNet,
        /// The subnet's family (`IPv4` or `IPv6`).
        family: &'static str,
    },
    /// The gateway lies outside its subnet (moby API `ValidateIPAM`).
    #[error("invalid gateway {gateway}: parent subnet {subnet} doesn't contain this address")]
    GatewayOutsideSubnet {
        /// The gateway as given.
        gateway: IpAddr,
        /// Its subnet.
        subnet: IpNet,
    },
    /// The gateway is of the other address family (moby API `ValidateIPAM`).
    #[error("invalid gateway {gateway}: parent subnet is an {family} block")]
    GatewayWrongFamily {
        /// The gateway as given.
        gateway: IpAddr,
        /// The subnet's family.
        family: &'static str,
    },
    /// An auxiliary address lies outside its subnet (moby API `ValidateIPAM`).
    #[error(
        "invalid auxiliary address {name}: parent subnet {subnet} doesn't contain this address"
    )]
    AuxAddressOutsideSubnet {
        /// The auxiliary address's name.
        name: String,
        /// The address.
        address: IpAddr,
        /// Its subnet.
        subnet: IpNet,
    },
    /// An auxiliary address is of the other address family (moby API `ValidateIPAM`).
    #[error("invalid auxiliary address {name}: parent subnet is an {family} block")]
    AuxAddressWrongFamily {
        /// The auxiliary address's name.
        name: String,
        /// The address.
        address: IpAddr,
        /// The subnet's family.
        family: &'static str,
    },
    /// A gateway or auxiliary address is the subnet's network or broadcast address.
    #[error("invalid {what} {address}: it is the network or broadcast address of {subnet}")]
    ReservedAddress {
        /// `gateway` or `auxiliary address <name>`.
        what: String,
        /// The address.
        address: IpAddr,
        /// Its subnet.
        subnet: IpNet,
    },
    /// Two IPAM configs overlap (libnetwork ipam `ErrPoolOverlap`), within one network or
    /// across networks.
    #[error(
        "invalid pool request: Pool overlaps with other one on this address space ({subnet} overlaps {existing} of network {network})"
    )]
    OverlappingSubnets {
        /// The subnet requested.
        subnet: IpNet,
        /// The subnet already in use.
        existing: IpNet,
        /// The network that holds `existing` (the same network for an intra-network overlap).
        network: String,
    },
    /// A VNI outside 1..=16777215.
    #[error("vxlan id {vni} is out of range (1-16777215)")]
    VniOutOfRange {
        /// The rejected value.
        vni: u64,
    },
    /// A `vxlanid_list` element that is not a decimal u32 (moby `overlayutils.AppendVNIList`).
    #[error("invalid vxlan id value {value:?} passed")]
    InvalidVni {
        /// The rejected element.
        value: String,
    },
    /// Fewer VNIs than IPv4 subnets (moby overlay `CreateNetwork`).
    #[error("insufficient vnis({vnis}) passed to overlay")]
    InsufficientVnis {
        /// How many VNIs were given.
        vnis: usize,
        /// How many IPv4 subnets need one.
        subnets: usize,
    },
    /// More VNIs than IPv4 subnets: VNIs pair with subnets by position, so the extra ones
    /// would be silently dropped.
    #[error(
        "too many vnis({vnis}) for {subnets} subnet(s): vnis pair with IPv4 subnets by position"
    )]
    TooManyVnis {
        /// How many VNIs were given.
        vnis: usize,
        /// How many IPv4 subnets there are.
        subnets: usize,
    },
    /// The same VNI appears twice in one network.
    #[error("vxlan id {vni} is listed twice")]
    DuplicateVni {
        /// The repeated VNI.
        vni: u32,
    },
    /// The VNI is already in use (moby ovmanager, bitmap `ErrBitAllocated`).
    #[error("could not assign vxlan id {vni} to pool {pool}: requested bit is already allocated")]
    VniInUse {
        /// The VNI requested.
        vni: u32,
        /// The subnet it was meant for.
        pool: IpNet,
    },
    /// No automatic VNI is left (moby ovmanager, bitmap `ErrNoBitAvailable`).
    #[error("could not obtain vxlan id for pool {pool}: no available bit")]
    VnisExhausted {
        /// The subnet that needed one.
        pool: IpNet,
    },
    /// A VNI was released that is not allocated.
    #[error("vxlan id {vni} is not allocated")]
    VniNotAllocated {
        /// The VNI.
        vni: u32,
    },
    /// `com.docker.network.driver.mtu` is not an integer (moby overlay `CreateNetwork`, Go's
    /// `strconv.Atoi` error text).
    #[error("failed to parse {value}: strconv.Atoi: parsing {value:?}: {reason}")]
    MtuParse {
        /// The rejected value.
        value: String,
        /// Go's reason: `invalid syntax` or `value out of range`.
        reason: &'static str,
    },
    /// A negative MTU (moby overlay `CreateNetwork`).
    #[error("invalid MTU value: {value}")]
    NegativeMtu {
        /// The rejected value.
        value: i64,
    },
    /// An MTU outside what we can build a working overlay with.
    #[error("invalid MTU value: {mtu} (must be between {min} and {max})")]
    MtuOutOfRange {
        /// The rejected value.
        mtu: u64,
        /// Smallest accepted MTU.
        min: u32,
        /// Largest accepted MTU.
        max: u32,
    },
    /// A boolean driver option that Go's `strconv.ParseBool` would reject (moby bridge driver
    /// `parseErr`).
    #[error(
        "failed to parse {key} value: {value} (strconv.ParseBool: parsing {value:?}: invalid syntax)"
    )]
    InvalidBoolOption {
        /// The option key.
        key: String,
        /// The rejected value.
        value: String,
    },
    /// Our encryption-profile option has a value we do not know, or is set without
    /// `encrypted`.
    #[error(
        "invalid value {value:?} for option {key}: expected \"hardened\" or \"docker\" together with the \"encrypted\" option"
    )]
    InvalidEncryptionProfile {
        /// The option key.
        key: &'static str,
        /// The rejected value.
        value: String,
    },
    /// A bridge name the kernel would refuse.
    #[error("invalid bridge name {name:?}: {reason}")]
    InvalidBridgeName {
        /// The rejected name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A typed setting was passed as a raw driver option; use the typed builder method.
    #[error("driver option {key} has a typed builder method; use it instead of a raw option")]
    TypedOptionKey {
        /// The key.
        key: String,
    },
    /// A second ingress network (swarmkit controlapi `CreateNetwork`).
    #[error("ingress network ({existing}) is already present")]
    SecondIngress {
        /// The name of the existing ingress network.
        existing: String,
    },
    /// An attachable ingress network (swarmkit controlapi `validateNetworkSpec`).
    #[error("ingress network cannot be attachable")]
    AttachableIngress,
    /// Removing the ingress network while a service publishes ports through it (swarmkit
    /// controlapi `removeIngressNetwork`).
    #[error("ingress network cannot be removed because service {service} depends on it")]
    IngressInUse {
        /// A service that publishes ports in ingress mode.
        service: String,
    },
    /// A service publishes ingress-mode ports but there is no ingress network.
    #[error("service {service} publishes ports in ingress mode, but no ingress network is present")]
    NoIngressNetwork {
        /// The service.
        service: String,
    },
    /// `--data-path-port` outside 1024–49151 (moby daemon text).
    #[error("Datapath port number is not in valid range (1024-49151) : {port}")]
    DataPathPortOutOfRange {
        /// The rejected port.
        port: u16,
    },
    /// `--advertise-addr` is the unspecified address (docker CLI text).
    #[error(
        "advertise address must be a non-zero IP address or network interface (with optional port number)"
    )]
    UnspecifiedAdvertiseAddr,
    /// `--data-path-addr` is the unspecified address (docker CLI text).
    #[error(
        "data path address must be a non-zero IP address or network interface (without a port number)"
    )]
    UnspecifiedDataPathAddr,
    /// Encryption on a network while a Windows node is in the cluster. Docker's Windows overlay
    /// driver ignores `encrypted` and sends cleartext; we refuse instead.
    #[error(
        "network {network} is encrypted but node {node} runs Windows, where overlay encryption is not supported (Docker would send its traffic unencrypted)"
    )]
    EncryptionOnWindowsNode {
        /// The encrypted network.
        network: String,
        /// The Windows node.
        node: String,
    },
    /// A network of that name exists (moby daemon text).
    #[error("network with name {name} already exists")]
    NetworkExists {
        /// The name.
        name: String,
    },
    /// No network of that name (moby daemon text).
    #[error("network {name} not found")]
    NetworkNotFound {
        /// The name.
        name: String,
    },
    /// A node with that id exists.
    #[error("node {id} already exists")]
    NodeExists {
        /// The id.
        id: String,
    },
    /// No node with that id.
    #[error("node {id} not found")]
    NodeNotFound {
        /// The id.
        id: String,
    },
    /// `--default-addr-pool-mask-length` above 29 (moby daemon `validateDefaultAddrPool`).
    #[error("subnet size is out of range: {size}")]
    PoolSizeOutOfRange {
        /// The rejected mask length.
        size: u32,
    },
    /// A pool smaller than the subnets cut from it (moby daemon `validateDefaultAddrPool`).
    #[error("invalid CIDR: {pool:?}. Subnet size is too small for pool: {size}")]
    PoolTooSmall {
        /// The pool, as text.
        pool: String,
        /// The mask length of the subnets to cut.
        size: u32,
    },
    /// No pool subnet is free (libnetwork ipam `ErrNoAvailablePool` text).
    #[error(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    )]
    PoolsExhausted,
    /// Every address of the subnet (or its ip-range) is taken (libnetwork ipam
    /// `ErrNoAvailableIPs`).
    #[error("no available addresses on this pool: {subnet}")]
    AddressesExhausted {
        /// The subnet.
        subnet: IpNet,
    },
    /// The address is already allocated or reserved (libnetwork ipam `ErrIPAlreadyAllocated`).
    #[error("Address already in use: {address}")]
    AddressInUse {
        /// The address.
        address: IpAddr,
    },
    /// The address is not in any subnet of the network (libnetwork ipam `ErrIPOutOfRange`).
    #[error("requested address {address} is out of range")]
    AddressOutOfRange {
        /// The address.
        address: IpAddr,
    },
    /// Releasing an address that was never allocated (or is the gateway / an aux address).
    #[error("address {address} is not allocated")]
    AddressNotAllocated {
        /// The address.
        address: IpAddr,
    },
}
