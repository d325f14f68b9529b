//! Peer tables: which endpoint IP lives behind which host (VTEP), per overlay network, and
//! the kernel neighbour/FDB/tunnel changes each change of that knowledge implies; plus the
//! `PeerRecord` codec that NetworkDB gossip carries.
//!
//! Owns Docker's peerdb rules (moby `drivers/overlay/peerdb.go`, `joinleave.go`). Must not do
//! I/O, read clocks or know the network model: callers pass subnets and VTEPs as plain data
//! and apply the returned [`PeerDelta`]s.

mod db;
mod delta;
mod eid;
mod error;
mod event;
mod ip_index;
mod mac_index;
mod probe;
mod record;
mod slab;
mod table;
mod vtep;

pub use db::PeerDb;
pub use delta::PeerDelta;
pub use eid::EndpointId;
pub use error::PeerError;
pub use event::{EventOutcome, PeerEvent};
pub use record::{
    AddrParseError, PeerRecord, PeerRecordError, PrefixParseError, RawPeerRecord, parse_prefix,
};
pub use table::{Added, Changes, PeerRef, PeerTable, PeerTableConfig, Removed, VtepInfo};
