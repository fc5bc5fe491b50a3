//! Presence channels: who is on a channel, and relaying presence messages
//! to everyone else on it. Presence is ephemeral; nothing is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::conn::ConnTx;

/// All presence channels. Cheap to clone.
#[derive(Clone, Default)]
pub struct Presence {
    channels: Arc<Mutex<HashMap<String, HashMap<u64, ConnTx>>>>,
}

impl Presence {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<u64, ConnTx>>> {
        // Each update is a single insert or remove: poisoning cannot leave
        // the map inconsistent.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `conn` hears what is published on `channel`.
    pub fn join(&self, channel: &str, conn: &ConnTx) {
        self.lock()
            .entry(channel.to_string())
            .or_default()
            .insert(conn.id, conn.clone());
    }

    /// `conn_id` stops hearing `channel`.
    pub fn leave(&self, channel: &str, conn_id: u64) {
        let mut map = self.lock();
        if let Some(members) = map.get_mut(channel) {
            members.remove(&conn_id);
            if members.is_empty() {
                map.remove(channel);
            }
        }
    }

    /// Sends `msg` to everyone on `channel` but `from`.
    pub fn publish(&self, channel: &str, from: u64, msg: Bytes) {
        let members: Vec<ConnTx> = match self.lock().get(channel) {
            Some(m) => m.values().filter(|c| c.id != from).cloned().collect(),
            None => return,
        };
        for member in members {
            member.text(msg.clone());
        }
    }
}
