//! `HostError`: why the host engine refused a request. Every refusal leaves the engine
//! unchanged. Texts are Docker's where the reference quotes one.

use ipnet::Ipv4Net;

/// A host-engine request was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The network id is empty (moby `CreateNetwork`).
    #[error("invalid network id")]
    EmptyNetworkId,
    /// The network id is not lowercase ASCII letters and digits, which the sandbox name
    /// `<epoch>-<id[:10]>` needs to stay recognisably ours.
    #[error("invalid network id {id:?}: use lowercase ASCII letters and digits only")]
    InvalidNetworkId {
        /// The rejected id.
        id: String,
    },
    /// The network is already created on this host (moby's text).
    #[error("attempt to create overlay network {id} that already exists")]
    NetworkExists {
        /// The network id.
        id: String,
    },
    /// Two network ids share their first 10 characters, so their sandboxes would share a name.
    #[error("network {id} would share sandbox {sandbox} with network {other}")]
    SandboxNameTaken {
        /// The new network's id.
        id: String,
        /// The sandbox name.
        sandbox: String,
        /// The network that already uses it.
        other: String,
    },
    /// A VNI of the new network is already used by another network on this host.
    #[error("vxlan id {vni} of network {id} is already used by network {other}")]
    VniInUse {
        /// The VNI.
        vni: u32,
        /// The new network's id.
        id: String,
        /// The network that uses it.
        other: String,
    },
    /// Encrypted networks on one host must use one encryption profile: their SAs to a
    /// remote host share SPIs.
    #[error(
        "network {id} is {profile:?}-encrypted but this host's encrypted networks are {host:?}"
    )]
    MixedEncryptionProfiles {
        /// The new network's id.
        id: String,
        /// Its profile.
        profile: crate::ipsec::Profile,
        /// The profile of the encrypted networks already created.
        host: crate::ipsec::Profile,
    },
    /// No network with this id on this host.
    #[error("network {id} not found")]
    NetworkNotFound {
        /// The network id.
        id: String,
    },
    /// A network with joined endpoints cannot be deleted (libnetwork's text).
    #[error("network {name} id {id} has active endpoints")]
    ActiveEndpoints {
        /// The network name.
        name: String,
        /// The network id.
        id: String,
    },
    /// The endpoint is already joined to this network.
    #[error("endpoint {eid} already exists in network {id}")]
    EndpointExists {
        /// The endpoint id.
        eid: String,
        /// The network id.
        id: String,
    },
    /// No such endpoint on this network.
    #[error("endpoint {eid} not found in network {id}")]
    EndpointNotFound {
        /// The endpoint id.
        eid: String,
        /// The network id.
        id: String,
    },
    /// The endpoint address is not in a subnet of the network with the same prefix length
    /// (moby's `getSubnetforIP` text).
    #[error("couldn't find the subnet {:?} in network {:?}", address.to_string(), id)]
    SubnetNotFound {
        /// The endpoint address.
        address: Ipv4Net,
        /// The network id.
        id: String,
    },
    /// The address is the subnet's gateway or already held by a local endpoint.
    #[error("address {address} is already in use on network {id}")]
    AddressInUse {
        /// The address.
        address: Ipv4Net,
        /// The network id.
        id: String,
    },
    /// Joining an encrypted network needs the IPsec keys first (moby's text).
    #[error("cannot join secure network: encryption keys not present")]
    KeysNotPresent,
    /// An interface name must be 1–15 bytes without `/`, whitespace or `:`.
    #[error("invalid interface name {name:?}: use 1-15 characters without '/', ':' or spaces")]
    InvalidInterfaceName {
        /// The rejected name.
        name: String,
    },
    /// A namespace name must be non-empty and without `/`.
    #[error("invalid namespace name {name:?}")]
    InvalidNetnsName {
        /// The rejected name.
        name: String,
    },
    /// The container namespace is one of ours (a sandbox name).
    #[error("namespace {name} is an overlay sandbox, not a container namespace")]
    NetnsIsSandbox {
        /// The rejected name.
        name: String,
    },
    /// Another endpoint already uses this interface name in the container namespace.
    #[error("interface {ifname} already exists in namespace {netns}")]
    InterfaceTaken {
        /// The container namespace.
        netns: String,
        /// The interface name.
        ifname: String,
    },
    /// The container namespace already has an endpoint on this network.
    #[error("namespace {netns} is already connected to network {id}")]
    AlreadyConnected {
        /// The container namespace.
        netns: String,
        /// The network id.
        id: String,
    },
    /// External access was asked for, but no docker_gwbridge network is configured.
    #[error(
        "external access needs a docker_gwbridge network with a subnet: call set_gwbridge first"
    )]
    NoGwBridge,
    /// The docker_gwbridge spec has no subnet or gateway.
    #[error("docker_gwbridge network {name} has no IPv4 subnet and gateway")]
    GwBridgeUnaddressed {
        /// The network name.
        name: String,
    },
    /// The docker_gwbridge spec cannot change while containers are attached to it.
    #[error("docker_gwbridge is in use by {attached} endpoints")]
    GwBridgeInUse {
        /// How many endpoints are attached.
        attached: usize,
    },
    /// The external address is outside the docker_gwbridge subnet or already taken.
    #[error("external address {address} is not a free address of docker_gwbridge subnet {subnet}")]
    BadExternalAddress {
        /// The rejected address.
        address: Ipv4Net,
        /// The docker_gwbridge subnet.
        subnet: Ipv4Net,
    },
    /// The container namespace already has external access through another endpoint.
    #[error("namespace {netns} already has external access")]
    GatewayTaken {
        /// The container namespace.
        netns: String,
    },
    /// Every deterministic veth name for this endpoint is taken (a 28-bit hash collided
    /// repeatedly).
    #[error("no free veth name for endpoint {eid}")]
    VethNamesExhausted {
        /// The endpoint id.
        eid: String,
    },
    /// The peer table refused the change.
    #[error(transparent)]
    Peer(#[from] crate::peer::PeerError),
    /// The keyring or a key update was refused.
    #[error(transparent)]
    Ipsec(#[from] crate::ipsec::IpsecError),
}
