//! The peer tables of all networks this host has joined, by network id. A thin map: every
//! rule lives in [`PeerTable`].

use std::collections::HashMap;

use super::{Changes, EventOutcome, PeerDelta, PeerError, PeerEvent, PeerTable, PeerTableConfig};

/// Peer tables by network id.
#[derive(Debug, Default)]
pub struct PeerDb {
    networks: HashMap<String, PeerTable>,
}

impl PeerDb {
    /// No networks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the (empty) table of a network.
    pub fn add_network(&mut self, config: PeerTableConfig) -> Result<(), PeerError> {
        if self.networks.contains_key(&config.network) {
            return Err(PeerError::NetworkExists {
                network: config.network,
            });
        }
        let table = PeerTable::new(config)?;
        self.networks.insert(table.config().network.clone(), table);
        Ok(())
    }

    /// Drops a network's table, returning the deltas that undo its programmed state.
    pub fn remove_network(&mut self, network: &str) -> Result<Vec<PeerDelta>, PeerError> {
        let mut table = self
            .networks
            .remove(network)
            .ok_or_else(|| PeerError::UnknownNetwork {
                network: network.into(),
            })?;
        Ok(table.clear())
    }

    /// A network's table.
    pub fn table(&self, network: &str) -> Result<&PeerTable, PeerError> {
        self.networks
            .get(network)
            .ok_or_else(|| PeerError::UnknownNetwork {
                network: network.into(),
            })
    }

    /// A network's table, for mutation.
    pub fn table_mut(&mut self, network: &str) -> Result<&mut PeerTable, PeerError> {
        self.networks
            .get_mut(network)
            .ok_or_else(|| PeerError::UnknownNetwork {
                network: network.into(),
            })
    }

    /// Applies a gossip event to a network's table (see [`PeerTable::apply_event`]).
    pub fn apply_event(
        &mut self,
        network: &str,
        event: &PeerEvent,
    ) -> Result<Changes<EventOutcome>, PeerError> {
        self.table_mut(network)?.apply_event(event)
    }

    /// The ids of the networks with a table.
    pub fn networks(&self) -> impl Iterator<Item = &str> {
        self.networks.keys().map(String::as_str)
    }
}
