//! Every limit the sync layer enforces, with its default. The server maps
//! each to a command-line flag and an environment variable.

use std::time::Duration;

/// Limits on what one connection and one document may use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Largest document, as serialized JSON, in bytes.
    pub max_document_bytes: usize,
    /// Most components in one op.
    pub max_op_components: usize,
    /// Sustained ops per second per connection (token bucket rate).
    pub ops_per_second: f64,
    /// Token bucket size: how many ops a connection may burst.
    pub ops_burst: f64,
    /// Most documents one connection may subscribe to.
    pub max_subscriptions: usize,
    /// Outgoing messages queued per connection before it counts as a slow
    /// consumer and is disconnected.
    pub send_queue: usize,
    /// Save a snapshot every this many versions.
    pub snapshot_every: u64,
    /// Ops kept in memory per document for transforms and catch-up; a
    /// client further behind is served from the store.
    pub history_in_memory: usize,
    /// Commands queued per document task.
    pub doc_queue: usize,
    /// Commits in flight per document (pipelined to storage).
    pub max_in_flight: usize,
    /// A document with no subscribers is dropped from memory after this.
    pub idle_timeout: Duration,
    /// Presence channels one connection may join.
    pub max_presence_channels: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 1 << 20,
            max_document_bytes: 16 << 20,
            max_op_components: 1000,
            ops_per_second: 200.0,
            ops_burst: 400.0,
            max_subscriptions: 1000,
            send_queue: 1024,
            snapshot_every: 100,
            // A client is rarely more than a few ops behind, and the
            // history is the bulk of an open document's memory. With 1000
            // the oldest op dropped at each commit was cold in the cache:
            // 128 took 10% more ops/s at full load (7 pairs, 6 better).
            history_in_memory: 128,
            doc_queue: 1024,
            max_in_flight: 512,
            idle_timeout: Duration::from_secs(60),
            max_presence_channels: 100,
        }
    }
}
