//! The peer module's error type. Texts follow Docker's where moby has one.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::wire::MacAddr;

use super::record::PeerRecordError;

/// Why a peer-table operation was refused. A refused operation changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// No peer table exists for this network id.
    #[error("could not find network with id {network}")]
    UnknownNetwork {
        /// The network id that was asked for.
        network: String,
    },
    /// A peer table for this network id already exists.
    #[error("network {network} exists")]
    NetworkExists {
        /// The network id that was given twice.
        network: String,
    },
    /// A network needs at least one subnet for its peers to live in.
    #[error("network {network} has no subnets")]
    NoSubnets {
        /// The network id.
        network: String,
    },
    /// More subnets than a table can index (65535).
    #[error("network {network} has {count} subnets; at most 65535 are supported")]
    TooManySubnets {
        /// The network id.
        network: String,
        /// How many subnets were given.
        count: usize,
    },
    /// This host's own VTEP address cannot be used (unspecified, multicast or broadcast).
    #[error("invalid local VTEP address {vtep} for network {network}")]
    InvalidLocalVtep {
        /// The network id.
        network: String,
        /// The rejected address.
        vtep: IpAddr,
    },
    /// The endpoint id is empty (moby's peerAdd/peerDelete text).
    #[error("invalid endpoint id")]
    InvalidEndpointId,
    /// The endpoint IP is not inside a subnet of the network with the same prefix length
    /// (moby's `getSubnetforIP`; text from moby's addNeighbor).
    #[error("couldn't find the subnet {:?} in network {:?}", ip.to_string(), network)]
    SubnetNotFound {
        /// The endpoint IP with its prefix length.
        ip: IpNet,
        /// The network id.
        network: String,
    },
    /// A peer MAC must be a unicast, non-zero MAC-48 address: the all-zero MAC is the VXLAN
    /// default-destination FDB entry and a group MAC cannot be a neighbour.
    #[error("invalid peer MAC {mac}: must be a unicast, non-zero MAC-48 address")]
    InvalidMac {
        /// The rejected MAC.
        mac: MacAddr,
    },
    /// The VTEP's address family differs from this network's underlay (our own VTEP's family).
    #[error("VTEP {vtep} is not an {expected} address like this host's VTEP {local}")]
    VtepFamily {
        /// The rejected VTEP.
        vtep: IpAddr,
        /// This host's VTEP, which fixes the underlay family.
        local: IpAddr,
        /// `IPv4` or `IPv6`.
        expected: &'static str,
    },
    /// The VTEP is unspecified, multicast or broadcast.
    #[error("invalid VTEP address {vtep}")]
    InvalidVtep {
        /// The rejected VTEP.
        vtep: IpAddr,
    },
    /// A remote peer was given this host's own VTEP; local endpoints go through `add_local`.
    #[error("VTEP {vtep} is this host's own address; add local endpoints with add_local")]
    OwnVtep {
        /// The VTEP (equal to the local one).
        vtep: IpAddr,
    },
    /// A gossip event had neither a previous nor a new value.
    #[error("peer event for endpoint {eid} carries neither a previous nor a new record")]
    EmptyEvent {
        /// The endpoint id (NetworkDB key).
        eid: String,
    },
    /// A record of a batch ([`super::PeerTable::add_remotes_into`]) was refused; the batch
    /// changed nothing.
    #[error("record {index} of the batch: {source}")]
    InBatch {
        /// The position of the first refused record in the batch.
        index: usize,
        /// Why it was refused: what adding it alone would have returned.
        source: Box<PeerError>,
    },
    /// A gossiped PeerRecord did not decode.
    #[error(transparent)]
    Record(#[from] PeerRecordError),
}
