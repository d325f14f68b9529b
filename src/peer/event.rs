//! Gossip events for the `overlay_peer_table` NetworkDB table, with moby's `EventNotify`
//! semantics: a create carries a new record, a delete the previous one, and an update both
//! (an update may be a coalesced delete + create, so it is applied as delete(prev) +
//! add(new)).
//!
//! This module only decodes and describes events; [`super::PeerTable::apply_event`] applies
//! them.

use super::table::Added;
use super::{PeerError, PeerRecord, Removed};

/// One NetworkDB event for a peer record, keyed by endpoint id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// A record appeared.
    Create {
        /// The endpoint id (NetworkDB key).
        eid: String,
        /// The new record.
        record: PeerRecord,
    },
    /// A record was deleted.
    Delete {
        /// The endpoint id (NetworkDB key).
        eid: String,
        /// The record as it was.
        record: PeerRecord,
    },
    /// A record changed (or a delete and a create were coalesced).
    Update {
        /// The endpoint id (NetworkDB key).
        eid: String,
        /// The record as it was.
        prev: PeerRecord,
        /// The record as it is now.
        new: PeerRecord,
    },
}

impl PeerEvent {
    /// Builds an event from NetworkDB's raw form: the key and the previous and new values
    /// (`None` when absent), decoding both records. Any undecodable record fails the whole
    /// event.
    pub fn from_gossip(
        eid: &str,
        prev: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<Self, PeerError> {
        let prev = prev.map(PeerRecord::decode).transpose()?;
        let new = value.map(PeerRecord::decode).transpose()?;
        let eid = eid.to_owned();
        match (prev, new) {
            (None, Some(record)) => Ok(PeerEvent::Create { eid, record }),
            (Some(record), None) => Ok(PeerEvent::Delete { eid, record }),
            (Some(prev), Some(new)) => Ok(PeerEvent::Update { eid, prev, new }),
            (None, None) => Err(PeerError::EmptyEvent { eid }),
        }
    }

    /// The endpoint id.
    pub fn eid(&self) -> &str {
        match self {
            PeerEvent::Create { eid, .. }
            | PeerEvent::Delete { eid, .. }
            | PeerEvent::Update { eid, .. } => eid,
        }
    }

    /// The previous and the new record.
    pub fn records(&self) -> (Option<&PeerRecord>, Option<&PeerRecord>) {
        match self {
            PeerEvent::Create { record, .. } => (None, Some(record)),
            PeerEvent::Delete { record, .. } => (Some(record), None),
            PeerEvent::Update { prev, new, .. } => (Some(prev), Some(new)),
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Every record in the event carries our own VTEP: local endpoints are handled by
    /// join/leave, so the event is ignored.
    Ignored,
    /// An update whose previous and new records are equal.
    Unchanged,
    /// The previous record was removed (if any) and the new one added (if any).
    Applied {
        /// What the delete of the previous record did.
        removed: Option<Removed>,
        /// What the add of the new record did.
        added: Option<Added>,
    },
}
