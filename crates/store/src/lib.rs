//! Durable storage of ShareDB-style document operations and snapshots, on
//! SQLite (the default, in WAL mode) or PostgreSQL, with the same code.
//!
//! # Crate map
//!
//! - `lib.rs`: [`Store`], the cloneable handle. Reads go straight to a pool
//!   of reader connections; writes go to the writer task.
//! - `writer.rs`: the writer task, the only code that writes. It batches
//!   whatever appends are queued into one transaction (group commit), sent
//!   as a few multi-row inserts.
//! - `lib.rs` also runs SQLite's checkpointer task: it copies the WAL into
//!   the database file from a reader connection and flushes the file, so
//!   that commits (and the acks waiting for them) do not stall behind a
//!   checkpoint and its fsyncs.
//! - `db.rs`: URL parsing, the two pools (readers, one writer), the
//!   `with_pool!` dispatch to a backend's native sqlx pool, and every SQL
//!   statement outside migrations.
//! - `migrate.rs`: numbered SQL files per backend (`migrations/<backend>/`),
//!   applied in order and recorded in `schema_migrations`.
//! - `model.rs`: [`StoredOp`], [`OpBody`], [`StoredSnapshot`], [`LoadedDoc`]
//!   [`ChatMessage`] and their row form.
//! - `error.rs`: [`StoreError`].
//! - `testing.rs` (feature `testing`): a throwaway PostgreSQL server for
//!   tests of this and other crates.
//!
//! # Invariants
//!
//! - Only this crate knows SQL. Both backends run the same statements; only
//!   the DDL of migrations, the statement that opens a write transaction and
//!   the placeholders of the generated multi-row insert differ. JSON is
//!   stored as text, integers as 64-bit signed.
//! - One task writes. [`Store::append`] returns `Ok` only after the
//!   transaction holding the op has committed.
//! - Ops are never changed or deleted, and a snapshot never moves back to an
//!   older version. Hence [`Store::load`] may read the snapshot and then the
//!   ops without a transaction: a newer snapshot saved in between leaves the
//!   older one with all of its later ops, which is still a consistent view.
//! - Durability is the backend's: on SQLite (`synchronous=NORMAL`) a
//!   committed op survives a crash of the process but may be lost with the
//!   last moments before a power cut; PostgreSQL follows its
//!   `synchronous_commit` setting.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod db;
mod error;
mod migrate;
mod model;
#[cfg(feature = "testing")]
pub mod testing;
mod writer;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

pub use error::StoreError;
pub use model::{ChatMessage, LoadedDoc, OpBody, StoredOp, StoredSnapshot};

use db::Pool;
use model::{ChatRow, OpRow, SnapshotRow, WriteRow};
use writer::{Command, Counters, Write};

/// Tuning of a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most writes committed in one transaction.
    pub max_batch: usize,
    /// Capacity of the writer's queue; a full queue makes
    /// [`Store::append`] wait, which pushes back on the callers.
    pub queue: usize,
    /// Connections for reads ([`Store::load`], [`Store::ops`]); the writer
    /// has one more of its own.
    pub read_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_batch: 256,
            queue: 4096,
            read_connections: 4,
        }
    }
}

/// Counts of what the writer task has committed since [`Store::open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed.
    pub batches: u64,
    /// Writes (appends and snapshots) in those transactions; `writes /
    /// batches` is the mean batch size.
    pub writes: u64,
}

/// A handle to the store; clones share one writer task and one set of pools.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    read: Pool,
    /// Kept as long as the pools: see `db::DbFile`.
    _db_file: Option<Arc<db::DbFile>>,
    commands: mpsc::Sender<Command>,
    /// Its sender lives in the writer task and is dropped when it exits.
    writer_done: watch::Receiver<()>,
    counters: Arc<Counters>,
    backend: &'static str,
}

impl Store {
    /// Opens `sqlite://<path>` (file created if missing, parent directory
    /// too; WAL, `synchronous=NORMAL`, temporary storage in memory, a busy
    /// timeout) or `postgres://…`, runs the migrations and starts the writer
    /// task.
    ///
    /// Must be called inside a Tokio runtime, which then runs the writer.
    pub async fn open(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        let pools = db::connect(url, &options).await?;
        if let Err(e) = migrate::run(&pools.write).await {
            pools.write.close().await;
            pools.read.close().await;
            return Err(e);
        }
        let backend = pools.write.backend();
        let db_file = pools.db_file.map(Arc::new);
        let (commands, queue) = mpsc::channel(options.queue.max(1));
        let (done_tx, writer_done) = watch::channel(());
        let counters = Arc::new(Counters::default());
        tokio::spawn(writer::run(
            pools.write,
            queue,
            options.max_batch.max(1),
            counters.clone(),
            done_tx,
        ));
        if backend == "sqlite" {
            tokio::spawn(checkpointer(
                pools.read.clone(),
                db_file.clone(),
                counters.clone(),
                writer_done.clone(),
            ));
        }
        tracing::info!(backend, "store opened");
        Ok(Store {
            inner: Arc::new(Inner {
                read: pools.read,
                _db_file: db_file,
                commands,
                writer_done,
                counters,
                backend,
            }),
        })
    }

    /// The latest snapshot (if any) plus every op with `v >= snapshot.v`
    /// (all ops without a snapshot), in version order.
    pub async fn load(&self, collection: &str, doc_id: &str) -> Result<LoadedDoc, StoreError> {
        model::check_name(collection)?;
        model::check_name(doc_id)?;
        let snapshot = db::load_snapshot(&self.inner.read, collection, doc_id).await?;
        let from = match &snapshot {
            Some(s) => model::to_i64(s.v)?,
            None => 0,
        };
        let ops = db::load_ops(&self.inner.read, collection, doc_id, from, i64::MAX).await?;
        Ok(LoadedDoc { snapshot, ops })
    }

    /// Ops with `from <= v < to` (`to: None` = to the end), in version order.
    pub async fn ops(
        &self,
        collection: &str,
        doc_id: &str,
        from: u64,
        to: Option<u64>,
    ) -> Result<Vec<StoredOp>, StoreError> {
        model::check_name(collection)?;
        model::check_name(doc_id)?;
        // Stored versions are at most `i64::MAX`, so larger bounds clamp.
        let Ok(first) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let last = match to {
            None => i64::MAX,
            Some(to) if to <= from => return Ok(Vec::new()),
            Some(to) => i64::try_from(to - 1).unwrap_or(i64::MAX),
        };
        db::load_ops(&self.inner.read, collection, doc_id, first, last).await
    }

    /// Durably appends `op`; `op.v` is the version it applies to. Returns
    /// only after the transaction holding it has committed.
    ///
    /// Concurrent appends, from any number of documents, are committed
    /// together (group commit). If an op with the same (collection, doc_id,
    /// v) is already stored, or an earlier write of the same batch took it,
    /// this returns [`StoreError::VersionTaken`] and the rest of the batch
    /// still commits.
    pub async fn append(
        &self,
        collection: &str,
        doc_id: &str,
        op: StoredOp,
    ) -> Result<(), StoreError> {
        let row = OpRow::new(collection, doc_id, &op)?;
        self.write(WriteRow::Op(row)).await
    }

    /// Replaces the document's snapshot if `snapshot.v` is newer than the
    /// stored one; an older or equal one is ignored, so snapshots never go
    /// backwards. Goes through the writer, so it is ordered after the
    /// appends this caller made before it.
    pub async fn save_snapshot(
        &self,
        collection: &str,
        doc_id: &str,
        snapshot: &StoredSnapshot,
    ) -> Result<(), StoreError> {
        let row = SnapshotRow::new(collection, doc_id, snapshot)?;
        self.write(WriteRow::Snapshot(row)).await
    }

    /// Durably stores a chat message; returns once committed. A message
    /// whose (room, at, id) is already stored is an error.
    pub async fn append_chat(&self, message: &ChatMessage) -> Result<(), StoreError> {
        let row = ChatRow::new(message)?;
        self.write(WriteRow::Chat(row)).await
    }

    /// The last `limit` chat messages of `room`, oldest first.
    pub async fn chat_history(
        &self,
        room: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        model::check_name(room)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        db::load_chat(&self.inner.read, room, limit).await
    }

    async fn write(&self, row: WriteRow) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Write(Write { row, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        // A dropped reply means the writer task is gone (its runtime shut
        // down): the write may or may not have committed.
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Commits every write already queued, stops the writer and closes the
    /// pools. Later calls fail with [`StoreError::Closed`]. Wrap it in a
    /// timeout to bound a shutdown.
    pub async fn close(&self) {
        // Queued behind the writes already sent, so those commit first; if
        // the writer is already closing, the send fails and we just wait.
        let _ = self.inner.commands.send(Command::Close).await;
        let mut done = self.inner.writer_done.clone();
        // The writer never sends; `changed` fails once it has exited.
        while done.changed().await.is_ok() {}
        self.inner.read.close().await;
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.inner.backend
    }

    /// What the writer task has committed so far.
    pub fn writer_stats(&self) -> WriterStats {
        WriterStats {
            batches: self.inner.counters.batches.load(Ordering::Relaxed),
            writes: self.inner.counters.writes.load(Ordering::Relaxed),
        }
    }
}

/// How often the checkpointer looks for new commits to copy from SQLite's
/// WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Runs SQLite's checkpoints away from the writer (see `db::checkpoint`):
/// every [`CHECKPOINT_EVERY`] when something was committed since the last
/// one, until the writer has stopped. After each it flushes the pages it
/// copied (see `db::DbFile`), so that the checkpoint the writer still runs
/// when the WAL reaches its threshold has little left to sync.
async fn checkpointer(
    read: Pool,
    db_file: Option<Arc<db::DbFile>>,
    counters: Arc<Counters>,
    mut writer_done: watch::Receiver<()>,
) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut checkpointed = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // The writer never sends; this fails once it has exited.
            changed = writer_done.changed() => if changed.is_err() { return },
        }
        let batches = counters.batches.load(Ordering::Relaxed);
        if batches == checkpointed {
            continue;
        }
        match db::checkpoint(&read).await {
            Ok(()) => {
                checkpointed = batches;
                if let Some(file) = db_file.clone() {
                    let flushed = tokio::task::spawn_blocking(move || file.sync())
                        .await
                        .map_err(std::io::Error::other)
                        .and_then(|synced| synced);
                    if let Err(e) = flushed {
                        tracing::warn!(error = %e, "flushing the database file failed");
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "checkpoint failed");
                if read.is_closed() {
                    return;
                }
            }
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_schemes_are_invalid_urls() {
        for url in ["mysql://x/y", "", "store.db"] {
            let err = Store::open(url, StoreOptions::default()).await.err();
            assert!(
                matches!(err, Some(StoreError::InvalidUrl(_))),
                "{url}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn sqlite_url_with_bad_parameter_is_invalid() {
        let err = Store::open("sqlite:///tmp/x.db?nonsense=1", StoreOptions::default())
            .await
            .err();
        assert!(matches!(err, Some(StoreError::InvalidUrl(_))), "{err:?}");
    }
}
