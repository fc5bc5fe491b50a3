//! The registry of open documents: one task per document, spawned on first
//! use and gone when idle. The lock guards only the lookup table and is
//! never held across an await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::Store;
use tokio::sync::{Notify, mpsc};

use crate::actor::{DocActor, DocCommand};
use crate::{Limits, SyncError};

/// A document's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocKey {
    /// Collection.
    pub collection: String,
    /// Document id.
    pub id: String,
}

/// How long a command may wait for room in a busy document's queue.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// All open documents. Cheap to clone.
#[derive(Clone)]
pub struct Docs {
    inner: Arc<Inner>,
}

struct Inner {
    map: Mutex<HashMap<DocKey, Entry>>,
    next_generation: AtomicU64,
    store: Store,
    limits: Arc<Limits>,
    running: AtomicUsize,
    stopped: Notify,
}

struct Entry {
    generation: u64,
    tx: mpsc::Sender<DocCommand>,
}

impl Docs {
    /// A registry whose documents live in `store`.
    pub fn new(store: Store, limits: Arc<Limits>) -> Docs {
        Docs {
            inner: Arc::new(Inner {
                map: Mutex::new(HashMap::new()),
                next_generation: AtomicU64::new(1),
                store,
                limits,
                running: AtomicUsize::new(0),
                stopped: Notify::new(),
            }),
        }
    }

    /// The limits documents run with.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// How many document tasks are running (loaded, or finishing).
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DocKey, Entry>> {
        // A panic while holding this lock cannot leave the map inconsistent
        // (every update is a single insert or remove), so poisoning is ignored.
        self.inner.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sender(&self, key: &DocKey) -> mpsc::Sender<DocCommand> {
        let mut map = self.lock();
        if let Some(e) = map.get(key)
            && !e.tx.is_closed()
        {
            return e.tx.clone();
        }
        let generation = self.inner.next_generation.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.inner.limits.doc_queue);
        map.insert(
            key.clone(),
            Entry {
                generation,
                tx: tx.clone(),
            },
        );
        drop(map);
        self.inner.running.fetch_add(1, Ordering::SeqCst);
        let docs = self.clone();
        let (store, limits, key) = (
            self.inner.store.clone(),
            self.inner.limits.clone(),
            key.clone(),
        );
        tokio::spawn(async move {
            DocActor::run(key, generation, docs.clone(), store, limits, rx).await;
            if docs.inner.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                docs.inner.stopped.notify_waiters();
            }
        });
        tx
    }

    /// Removes `key` if it still belongs to the task of `generation`.
    pub(crate) fn forget(&self, key: &DocKey, generation: u64) {
        let mut map = self.lock();
        if map.get(key).is_some_and(|e| e.generation == generation) {
            map.remove(key);
        }
    }

    /// Delivers `cmd` to the document's task, starting one if needed. On
    /// failure the command comes back with the reason.
    pub async fn send_command(
        &self,
        key: &DocKey,
        cmd: DocCommand,
    ) -> Result<(), (DocCommand, SyncError)> {
        self.send_command_through(&mut None, key, cmd).await
    }

    /// [`Docs::send_command`] that tries `queue` first, if it is `key`'s
    /// task's queue and still open, and leaves there the queue that took
    /// the command. A connection keeps the queue of the document it edits:
    /// the next op then skips the registry's lock, the hash of both names
    /// and a timer, all per op otherwise. The queue is kept weak so that
    /// only the registry keeps a document's task alive (shutdown closes
    /// them by dropping its handles).
    pub(crate) async fn send_command_via(
        &self,
        kept: &mut Option<mpsc::WeakSender<DocCommand>>,
        key: &DocKey,
        cmd: DocCommand,
    ) -> Result<(), (DocCommand, SyncError)> {
        let mut queue = kept.take().and_then(|weak| weak.upgrade());
        let result = self.send_command_through(&mut queue, key, cmd).await;
        *kept = queue.map(|tx| tx.downgrade());
        result
    }

    async fn send_command_through(
        &self,
        queue: &mut Option<mpsc::Sender<DocCommand>>,
        key: &DocKey,
        cmd: DocCommand,
    ) -> Result<(), (DocCommand, SyncError)> {
        // A closed queue was an evicted task's: the registry starts its
        // successor.
        if queue.as_ref().is_some_and(mpsc::Sender::is_closed) {
            *queue = None;
        }
        // Room at once (the usual case) needs no deadline; a full queue
        // waits for room below, under one.
        if let Some(tx) = queue.as_ref()
            && let Ok(permit) = tx.try_reserve()
        {
            permit.send(cmd);
            return Ok(());
        }
        for _ in 0..3 {
            let tx = match queue.take() {
                Some(tx) => tx,
                None => self.sender(key),
            };
            match tokio::time::timeout(SEND_TIMEOUT, tx.reserve()).await {
                Ok(Ok(permit)) => permit.send(cmd),
                // The task closed its queue (evicted, or failed to load): retry with a new one.
                Ok(Err(_)) => continue,
                Err(_) => return Err((cmd, SyncError::Unavailable)),
            };
            *queue = Some(tx);
            return Ok(());
        }
        // Three closed queues in a row: the document cannot be loaded.
        Err((cmd, SyncError::Unavailable))
    }

    /// Sends `cmd`; if it cannot be delivered, its sender is told why.
    pub async fn send(&self, key: &DocKey, cmd: DocCommand) {
        if let Err((cmd, e)) = self.send_command(key, cmd).await {
            crate::actor::fail(cmd, e);
        }
    }

    /// Closes every document: each finishes its in-flight commits and
    /// exits. Returns false if some were still running at the deadline.
    pub async fn shutdown(&self, deadline: Duration) -> bool {
        let entries: Vec<_> = self.lock().drain().collect();
        drop(entries);
        let wait = async {
            loop {
                let notified = self.inner.stopped.notified();
                if self.inner.running.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }
}
