//! The sending half of a client connection as document tasks see it: a
//! bounded queue of ready-to-send messages. A full queue means the client
//! reads slower than its documents change; it is then kicked (its socket is
//! closed) rather than allowed to grow server memory, and it catches up by
//! version when it reconnects.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

/// What the connection's writer sends next.
#[derive(Debug)]
pub enum Outgoing {
    /// One JSON text message.
    Text(Bytes),
    /// Several messages that must arrive back to back (catch-up ops before
    /// a subscribe reply); one queue slot, so catch-up cannot overflow it.
    Batch(Vec<Bytes>),
    /// Close the connection with this WebSocket close code once everything
    /// queued before it is sent (a participant removed or replaced).
    Close {
        /// The close code (4000–4999 for the application's own).
        code: u16,
        /// A short reason for logs and the client.
        reason: &'static str,
    },
}

impl Outgoing {
    /// The text messages it carries, in order (none for `Close`). Nearly
    /// every item is one `Text`, which this hands over without allocating
    /// (an empty `Vec` allocates nothing).
    pub fn into_messages(self) -> impl Iterator<Item = Bytes> {
        let (one, many) = match self {
            Outgoing::Text(b) => (Some(b), Vec::new()),
            Outgoing::Batch(items) => (None, items),
            Outgoing::Close { .. } => (None, Vec::new()),
        };
        one.into_iter().chain(many)
    }
}

/// A cheap, clonable handle for queueing messages to one connection.
#[derive(Debug, Clone)]
pub struct ConnTx {
    /// Unique per connection for the life of the process.
    pub id: u64,
    tx: mpsc::Sender<Outgoing>,
    kick: Arc<Kick>,
}

#[derive(Debug, Default)]
struct Kick {
    kicked: AtomicBool,
    notify: Notify,
}

/// The receiving side, owned by the connection's writer.
#[derive(Debug)]
pub struct ConnRx {
    /// Messages to send, in order.
    pub rx: mpsc::Receiver<Outgoing>,
    kick: Arc<Kick>,
}

/// A connection's queue with room for `capacity` messages.
pub fn channel(id: u64, capacity: usize) -> (ConnTx, ConnRx) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let kick = Arc::new(Kick::default());
    (
        ConnTx {
            id,
            tx,
            kick: kick.clone(),
        },
        ConnRx { rx, kick },
    )
}

impl ConnTx {
    /// Queues `msg`; if the queue is full the connection is kicked. Returns
    /// false when the message was not queued.
    pub fn send(&self, msg: Outgoing) -> bool {
        match self.tx.try_send(msg) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.kick();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues one text message.
    pub fn text(&self, msg: Bytes) -> bool {
        self.send(Outgoing::Text(msg))
    }

    /// Marks the connection as a slow consumer to be disconnected.
    pub fn kick(&self) {
        if !self.kick.kicked.swap(true, Ordering::SeqCst) {
            metrics::counter!("sync_slow_consumers_total").increment(1);
            tracing::warn!(
                conn = self.id,
                "slow consumer: send queue full, disconnecting"
            );
        }
        self.kick.notify.notify_one();
    }

    /// True once the connection is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Waits for a connection to be kicked, apart from its queue.
#[derive(Debug, Clone)]
pub struct KickSignal(Arc<Kick>);

impl ConnRx {
    /// A handle that resolves when the connection is kicked.
    pub fn kick_signal(&self) -> KickSignal {
        KickSignal(self.kick.clone())
    }
}

impl KickSignal {
    /// Resolves when the connection has been kicked.
    pub async fn kicked(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.0.kicked.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}
