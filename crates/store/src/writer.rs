//! The writer task: the only code that writes, with group commit.
//!
//! Callers send [`Command`]s on a bounded queue. The task takes whatever is
//! queued, up to `max_batch` writes, and commits it in one transaction, so
//! the cost of a commit (an fsync on PostgreSQL, a WAL append on SQLite) is
//! shared by every append waiting at that moment. Each write is answered on
//! its own `oneshot` after the commit, never before.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument;

use crate::StoreError;
use crate::db::{BatchError, BatchWriter, Pool};
use crate::model::WriteRow;

/// What callers send to the writer task.
pub(crate) enum Command {
    Write(Write),
    /// Stop accepting commands; commit what is queued, then exit.
    Close,
}

pub(crate) struct Write {
    pub row: WriteRow,
    pub reply: oneshot::Sender<Result<(), StoreError>>,
}

/// Counters of committed transactions, readable through
/// [`Store::writer_stats`](crate::Store::writer_stats).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub batches: AtomicU64,
    pub writes: AtomicU64,
}

/// Runs until every sender is gone or a [`Command::Close`] has been handled
/// and the queue is drained. Dropping `_done` on return tells
/// [`Store::close`](crate::Store::close) that the queue is drained.
pub(crate) async fn run(
    pool: Pool,
    mut commands: mpsc::Receiver<Command>,
    max_batch: usize,
    counters: Arc<Counters>,
    _done: watch::Sender<()>,
) {
    let mut writer = BatchWriter::new(pool);
    let backend = writer.backend();
    let span = tracing::info_span!("store_writer", backend);
    async move {
        let mut batch: Vec<Write> = Vec::with_capacity(max_batch);
        while let Some(first) = commands.recv().await {
            take(first, &mut batch, &mut commands);
            take_queued(&mut batch, &mut commands, max_batch);
            // Let the tasks that are ready run first, and the runtime look
            // at the sockets: ops that clients sent at the same moment then
            // share this commit and, downstream, one write per connection
            // for the whole group. A pass that brings nothing new ends the
            // wait, so a lone op pays only one pass of the scheduler.
            for _ in 0..GATHER_PASSES {
                if batch.len() >= max_batch || commands.is_closed() {
                    break;
                }
                let before = batch.len();
                tokio::task::yield_now().await;
                take_queued(&mut batch, &mut commands, max_batch);
                if batch.len() == before {
                    break;
                }
            }
            if !batch.is_empty() {
                commit(&mut writer, &mut batch, &counters).await;
            }
        }
        writer.close().await;
        tracing::debug!("writer stopped");
    }
    .instrument(span)
    .await
}

/// How many scheduler passes the writer waits for more writes before it
/// commits, at most. Measured with `tertulia-loadgen` at full speed (100
/// clients on 10 documents, medians of alternating runs):
/// - with two runtime workers: none, 1, 3 and 8 gave 16.3k–17.1k, 17.7k,
///   18.2k–19.2k and 16.3k ops/s;
/// - with one worker (the default on 2 cores since), pairwise: 1 against
///   3 passes 23.1k and 30.0k (3 runs each); 3 against 8, 32.8k and 35.3k
///   (6 runs each); 8 against 16, 36.7k both (6 runs each).
///   Light load does not change: a pass that brings nothing ends the wait
///   (1,000 clients × 2 ops/s: ack p99 2.1 ms with 8, 2.5 ms with 3).
const GATHER_PASSES: usize = 8;

/// A commit that takes this long is logged. Commits usually take well
/// under a millisecond on SQLite and a few on PostgreSQL; a stall of the
/// disk (a checkpoint's fsync on a busy host) shows up here.
const SLOW_COMMIT: Duration = Duration::from_millis(50);

/// Moves whatever is queued into `batch`, up to `max_batch` writes.
fn take_queued(batch: &mut Vec<Write>, commands: &mut mpsc::Receiver<Command>, max_batch: usize) {
    while batch.len() < max_batch {
        match commands.try_recv() {
            Ok(command) => take(command, batch, commands),
            Err(_) => break,
        }
    }
}

fn take(command: Command, batch: &mut Vec<Write>, commands: &mut mpsc::Receiver<Command>) {
    match command {
        Command::Write(write) => batch.push(write),
        // Closing the receiver refuses new sends but keeps what is queued, so
        // every append that got into the queue is still committed.
        Command::Close => commands.close(),
    }
}

/// Commits `batch` and answers every write in it.
async fn commit(writer: &mut BatchWriter, batch: &mut Vec<Write>, counters: &Counters) {
    let backend = writer.backend();
    let started = Instant::now();
    let rows: Vec<&WriteRow> = batch.iter().map(|w| &w.row).collect();
    let result = writer.write(&rows).await;
    drop(rows);
    match result {
        Ok(changed) => {
            record(backend, counters, batch.len(), started);
            for (write, changed) in batch.drain(..).zip(changed) {
                answer(write, changed);
            }
        }
        // One bad write must not fail its neighbours: it rolled the whole
        // transaction back, so commit each write alone to find it. Only a
        // statement error is retried; after a failed COMMIT the outcome is
        // unknown and a retry could report a stored op as `VersionTaken`.
        Err(BatchError::Statement { index, error }) if batch.len() > 1 => {
            tracing::warn!(
                error = %error,
                index,
                size = batch.len(),
                "batch failed; committing its writes one by one"
            );
            for write in batch.drain(..) {
                let started = Instant::now();
                match writer.write(&[&write.row]).await {
                    Ok(changed) => {
                        record(backend, counters, 1, started);
                        answer(write, changed.first().copied().unwrap_or(false));
                    }
                    Err(BatchError::Statement { error, .. } | BatchError::Transaction(error)) => {
                        fail(write, StoreError::from(error));
                    }
                }
            }
        }
        Err(BatchError::Statement { error, .. } | BatchError::Transaction(error)) => {
            let error = StoreError::from(error);
            tracing::warn!(error = %error, size = batch.len(), "batch failed");
            for write in batch.drain(..) {
                fail(write, error.clone());
            }
        }
    }
}

fn record(backend: &'static str, counters: &Counters, size: usize, started: Instant) {
    let size = u64::try_from(size).unwrap_or(u64::MAX);
    counters.batches.fetch_add(1, Ordering::Relaxed);
    counters.writes.fetch_add(size, Ordering::Relaxed);
    metrics::counter!("store_commits_total", "backend" => backend).increment(1);
    metrics::counter!("store_writes_total", "backend" => backend).increment(size);
    let took = started.elapsed();
    metrics::histogram!("store_commit_seconds", "backend" => backend).record(took.as_secs_f64());
    // Every ack of the batch waited this long: worth a line in the log, as
    // the histogram alone does not say when.
    if took >= SLOW_COMMIT {
        tracing::warn!(
            ms = took.as_millis(),
            size,
            "slow commit: every write in it waited"
        );
    }
    metrics::histogram!("store_batch_size", "backend" => backend).record(size as f64);
}

fn answer(write: Write, changed: bool) {
    let result = match write.row {
        WriteRow::Op(ref op) if !changed => {
            tracing::debug!(
                collection = %op.collection,
                doc_id = %op.doc_id,
                v = op.v,
                "version taken"
            );
            Err(StoreError::VersionTaken)
        }
        // A snapshot that is not newer than the stored one is ignored, not
        // an error: snapshots only ever move forward.
        _ => Ok(()),
    };
    // The caller may have stopped waiting (its task was cancelled); the
    // write is committed either way.
    let _ = write.reply.send(result);
}

fn fail(write: Write, error: StoreError) {
    if let WriteRow::Op(op) = &write.row {
        tracing::warn!(
            collection = %op.collection,
            doc_id = %op.doc_id,
            v = op.v,
            error = %error,
            "append failed"
        );
    }
    let _ = write.reply.send(Err(error));
}
