//! Connection pools and every SQL statement outside migrations.
//!
//! [`Pool`] holds the concrete sqlx pool of one backend, and [`with_pool!`]
//! runs a block with it. The block is written once and type-checked once per
//! backend, so both run the same statements with native drivers (no `Any`
//! driver, no generic bounds). The statements use `$n` placeholders and
//! `ON CONFLICT … DO NOTHING | DO UPDATE … WHERE` and `RETURNING`, which
//! SQLite and PostgreSQL both accept. The one exception is the write batch:
//! PostgreSQL takes it as a transaction of multi-row inserts, SQLite as one
//! multi-statement call (`sqlite_write_batch_sql`, with nameless `?`
//! parameters), since every call to sqlx's SQLite worker thread is a thread
//! round trip.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Executor, Row, Sqlite};

use crate::model::{ChatMessage, OpRow, SnapshotRow, WriteRow};
use crate::{StoreError, StoreOptions, StoredOp, StoredSnapshot};

/// A pool of connections to one backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete sqlx pool inside a [`Pool`].
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// WAL size in pages at which SQLite's writer checkpoints by itself (256
/// MiB of 4 KiB pages). Under steady writes the checkpointer task copies
/// nearly everything but never catches up, so this checkpoint, run inside
/// a commit, is the only one that lets SQLite start the WAL over; it syncs
/// the WAL, the database file and the new WAL header while every ack of
/// that commit waits. At full load (100 clients on 10 documents, about 75
/// MB of WAL a second) 64 MiB brought one every second; a bigger WAL
/// brings them a quarter as often at the same cost each, since the
/// checkpointer leaves only a fifth of a second to copy and flush. Pages
/// already copied are not searched by readers, so reads do not slow down.
/// The WAL file keeps its largest size on disk until the store closes.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 65_536;

/// How long a SQLite connection waits for another process's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Pool {
    pub(crate) fn is_closed(&self) -> bool {
        with_pool!(self, p => p.is_closed())
    }

    pub(crate) fn backend(&self) -> &'static str {
        match self {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Starts a write transaction. SQLite's plain `BEGIN` takes the write
    /// lock only at the first write; a transaction that reads first can then
    /// fail with `SQLITE_BUSY` without waiting, so writes take it up front.
    pub(crate) fn begin_write_sql(&self) -> &'static str {
        match self {
            Pool::Sqlite(_) => "BEGIN IMMEDIATE",
            Pool::Postgres(_) => "BEGIN",
        }
    }

    pub(crate) async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}

/// The two pools of a store: many readers and the writer task's one
/// connection, so reads never queue behind a commit for a connection.
pub(crate) struct Pools {
    pub read: Pool,
    pub write: Pool,
    /// SQLite's database file, for the checkpointer to flush (see
    /// [`DbFile`]); `None` on PostgreSQL and for an in-memory database.
    pub db_file: Option<DbFile>,
}

/// A descriptor of SQLite's database file, opened read-only and used only
/// to flush it to disk. A `PASSIVE` checkpoint that cannot catch up with
/// the writer (under any steady load, new commits land while it runs)
/// copies pages into the database file but leaves them unsynced; SQLite
/// syncs the file only in the checkpoint that finally empties the WAL,
/// which is the writer's own once the WAL reaches its threshold. That one
/// fsync then had seconds of copied pages to write, inside a commit that
/// every ack waited for. Flushing after each background checkpoint leaves
/// it a fraction of a second's worth.
///
/// Closing any descriptor of a file drops the process's POSIX locks on it,
/// SQLite's included; this one lives as long as the store's pools (it is
/// closed with them), never opened and closed on the side.
pub(crate) struct DbFile(std::fs::File);

impl DbFile {
    fn open(path: &Path) -> Option<DbFile> {
        match std::fs::File::open(path) {
            Ok(file) => Some(DbFile(file)),
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "cannot open the database file to flush it");
                None
            }
        }
    }

    /// Writes the file's dirty pages to disk (`fdatasync`), blocking.
    pub(crate) fn sync(&self) -> std::io::Result<()> {
        self.0.sync_data()
    }
}

pub(crate) async fn connect(url: &str, options: &StoreOptions) -> Result<Pools, StoreError> {
    let readers = options.read_connections.max(1);
    if url.starts_with("sqlite:") {
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            // The multi-row op inserts keep a statement journal (their NOT
            // NULL and CHECK constraints may abort one mid-way) and collect
            // their `RETURNING` rows in an ephemeral table. With the default
            // temp store both are temporary files; in memory an append is
            // over a third cheaper.
            .pragma("temp_store", "MEMORY");
        create_parent_dir(connect.get_filename())?;
        // The writer connects first: switching to WAL needs a lock that
        // concurrent openers cannot wait for politely.
        // Room for one write-batch text per batch size, besides the rest.
        // The store's checkpointer task copies the WAL into the database
        // from a reader connection (`checkpoint`); the writer checkpoints
        // only if that falls far behind. By default SQLite checkpoints in
        // the committing connection every 1000 pages, fsync included,
        // which held up every ack waiting for that commit: it was most of
        // the submit→ack p99 at light load.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                connect
                    .clone()
                    .statement_cache_capacity(options.max_batch.max(1) + 32)
                    .pragma(
                        "wal_autocheckpoint",
                        WRITER_AUTOCHECKPOINT_PAGES.to_string(),
                    ),
            )
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .connect_with(connect.clone())
            .await?;
        let file = connect.get_filename();
        Ok(Pools {
            read: Pool::Sqlite(read),
            write: Pool::Sqlite(write),
            db_file: if in_memory(file) {
                None
            } else {
                DbFile::open(file)
            },
        })
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let connect =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
        let write = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(connect.clone())
            .await?;
        let read = PgPoolOptions::new()
            .max_connections(readers)
            .connect_with(connect)
            .await?;
        Ok(Pools {
            read: Pool::Postgres(read),
            write: Pool::Postgres(write),
            db_file: None,
        })
    } else {
        Err(StoreError::InvalidUrl(
            "expected sqlite://<path> or postgres://…".into(),
        ))
    }
}

/// Whether sqlx names an in-memory database with `file`: `sqlite::memory:`
/// becomes a shared-cache `file:…` name, which has no file or directory.
fn in_memory(file: &Path) -> bool {
    file.to_str()
        .is_some_and(|name| name.starts_with("file:") || name == ":memory:")
}

fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    if in_memory(file) {
        return Ok(());
    }
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => Ok(std::fs::create_dir_all(dir)?),
        _ => Ok(()),
    }
}

/// Row counts of PostgreSQL's multi-row op inserts. A batch is cut greedily
/// into chunks of these sizes: a few round trips per batch instead of one
/// per op, and only this many statement texts to prepare per connection.
/// SQLite's write batches use the same sizes (`sqlite_write_batch_sql`).
const CHUNK_SIZES: [usize; 4] = [64, 16, 4, 1];

/// `INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING` for each of
/// [`CHUNK_SIZES`]; the returned keys are the rows that were inserted.
static INSERT_OPS_POSTGRES: LazyLock<[String; 4]> = LazyLock::new(|| {
    CHUNK_SIZES
        .map(|rows| insert_ops_sql(rows, Params::Numbered) + " RETURNING collection, doc_id, v")
});

/// How a statement text writes its parameters.
#[derive(Debug, Clone, Copy)]
enum Params {
    /// `$1`, `$2`, …: what PostgreSQL takes.
    Numbered,
    /// `?`, bound in order. SQLite's batch uses these: for each parameter,
    /// sqlx asks SQLite for its name, and SQLite finds a name by scanning
    /// the statement's list of names, so numbered parameters cost time
    /// quadratic in their count (`sqlite3_bind_parameter_name` was the
    /// SQLite thread's busiest function at 64-row chunks). Nameless ones
    /// are not in that list.
    Anonymous,
}

/// `INSERT INTO ops … VALUES (…), … ON CONFLICT DO NOTHING` for `rows` ops.
fn insert_ops_sql(rows: usize, params: Params) -> String {
    let mut sql =
        String::from("INSERT INTO ops (collection, doc_id, v, src, seq, body, ts) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..7 {
            if column > 0 {
                sql.push_str(", ");
            }
            match params {
                Params::Numbered => {
                    let _ = write!(sql, "${}", row * 7 + column + 1);
                }
                Params::Anonymous => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (collection, doc_id, v) DO NOTHING");
    sql
}

/// Binds one op's row, in the column order of the multi-row inserts.
fn bind_op<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, DB::Arguments>,
    op: &OpRow,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    for<'t> Arc<str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    query
        .bind(Arc::clone(&op.collection))
        .bind(Arc::clone(&op.doc_id))
        .bind(op.v)
        .bind(Arc::clone(&op.src))
        .bind(op.seq)
        .bind(Arc::clone(&op.body))
        .bind(op.ts)
}

/// The insert statement for the next chunk of `remaining` ops, and its size.
fn next_chunk(remaining: usize) -> (&'static str, usize) {
    let i = chunk_index(remaining);
    (INSERT_OPS_POSTGRES[i].as_str(), CHUNK_SIZES[i])
}

/// The index in [`CHUNK_SIZES`] of the largest chunk not above `remaining`.
fn chunk_index(remaining: usize) -> usize {
    // The last size is 1, so for `remaining >= 1` the search finds one.
    CHUNK_SIZES
        .iter()
        .position(|size| *size <= remaining)
        .unwrap_or(CHUNK_SIZES.len() - 1)
}

const UPSERT_SNAPSHOT: &str = "INSERT INTO snapshots (collection, doc_id, v, doc_type, data) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (collection, doc_id) DO UPDATE \
     SET v = excluded.v, doc_type = excluded.doc_type, data = excluded.data \
     WHERE excluded.v > snapshots.v";

const SELECT_SNAPSHOT: &str =
    "SELECT v, doc_type, data FROM snapshots WHERE collection = $1 AND doc_id = $2";

const SELECT_OPS: &str = "SELECT v, src, seq, body, ts FROM ops \
     WHERE collection = $1 AND doc_id = $2 AND v >= $3 AND v <= $4 \
     ORDER BY v";

const INSERT_CHAT: &str = "INSERT INTO chat_messages (room, at, id, participant, name, body) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// The newest `$2` messages of a room, newest first (the caller reverses).
const SELECT_CHAT: &str = "SELECT at, id, participant, name, body FROM chat_messages \
     WHERE room = $1 ORDER BY at DESC, id DESC LIMIT $2";

/// The last `limit` chat messages of `room`, oldest first.
pub(crate) async fn load_chat(
    pool: &Pool,
    room: &str,
    limit: i64,
) -> Result<Vec<ChatMessage>, StoreError> {
    with_pool!(pool, p => {
        let rows = sqlx::query(SELECT_CHAT)
            .bind(room)
            .bind(limit)
            .fetch_all(p)
            .await?;
        let mut messages = rows
            .iter()
            .map(|row| {
                Ok(ChatMessage {
                    room: room.to_owned(),
                    at: row.try_get(0)?,
                    id: row.try_get(1)?,
                    participant: row.try_get(2)?,
                    name: row.try_get(3)?,
                    text: row.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        messages.reverse();
        Ok(messages)
    })
}

pub(crate) async fn load_snapshot(
    pool: &Pool,
    collection: &str,
    doc_id: &str,
) -> Result<Option<StoredSnapshot>, StoreError> {
    with_pool!(pool, p => {
        let row = sqlx::query(SELECT_SNAPSHOT)
            .bind(collection)
            .bind(doc_id)
            .fetch_optional(p)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => SnapshotRow::into_snapshot(
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get::<Option<&str>, _>(2)?,
            )
            .map(Some),
        }
    })
}

/// Ops with `first <= v <= last`, in version order.
pub(crate) async fn load_ops(
    pool: &Pool,
    collection: &str,
    doc_id: &str,
    first: i64,
    last: i64,
) -> Result<Vec<StoredOp>, StoreError> {
    with_pool!(pool, p => {
        let rows = sqlx::query(SELECT_OPS)
            .bind(collection)
            .bind(doc_id)
            .bind(first)
            .bind(last)
            .fetch_all(p)
            .await?;
        rows.iter()
            .map(|row| {
                OpRow::into_op(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get::<&str, _>(3)?,
                    row.try_get(4)?,
                )
            })
            .collect()
    })
}

/// Copies what it can of SQLite's WAL into the database file without
/// waiting for readers or the writer (`PASSIVE`), on a reader connection,
/// so the writer's commits never wait for it. Nothing to do on PostgreSQL.
pub(crate) async fn checkpoint(pool: &Pool) -> Result<(), sqlx::Error> {
    match pool {
        Pool::Sqlite(p) => {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(p)
                .await?;
            Ok(())
        }
        Pool::Postgres(_) => Ok(()),
    }
}

/// Why a batch did not commit.
#[derive(Debug)]
pub(crate) enum BatchError {
    /// Statement `index` failed; the transaction was rolled back and nothing
    /// of the batch is stored.
    Statement { index: usize, error: sqlx::Error },
    /// The transaction could not start or commit; whether a failed commit
    /// took effect is unknown.
    Transaction(sqlx::Error),
}

/// The writer task's side of the write pool. On SQLite it keeps the one
/// connection between batches (taking it from the pool each time cost a
/// ping round trip to the worker thread and a spawned task to hand it
/// back) and the text of each batch size it has seen.
pub(crate) struct BatchWriter {
    pool: Pool,
    sqlite: Option<PoolConnection<Sqlite>>,
    sqlite_texts: HashMap<usize, Arc<str>>,
}

impl BatchWriter {
    pub(crate) fn new(pool: Pool) -> BatchWriter {
        BatchWriter {
            pool,
            sqlite: None,
            sqlite_texts: HashMap::new(),
        }
    }

    pub(crate) fn backend(&self) -> &'static str {
        self.pool.backend()
    }

    /// Writes `rows` in one transaction: see [`write_batch`].
    pub(crate) async fn write(&mut self, rows: &[&WriteRow]) -> Result<Vec<bool>, BatchError> {
        write_batch(self, rows).await
    }

    pub(crate) async fn close(self) {
        drop(self.sqlite);
        self.pool.close().await;
    }
}

/// Writes `rows` in one transaction. For each row the result says whether it
/// changed the table: `false` is a taken version for an op, and a snapshot
/// that was not newer than the stored one.
async fn write_batch(
    writer: &mut BatchWriter,
    rows: &[&WriteRow],
) -> Result<Vec<bool>, BatchError> {
    let mut changed = vec![false; rows.len()];
    // A version taken earlier in the same batch is taken: only the first op
    // with each key is sent, and the database decides whether it is free.
    let mut keys = HashSet::new();
    let ops: Vec<(usize, &OpRow)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, row)| match row {
            WriteRow::Op(op) => keys
                .insert((&*op.collection, &*op.doc_id, op.v))
                .then_some((i, op)),
            WriteRow::Snapshot(_) | WriteRow::Chat(_) => None,
        })
        .collect();

    let p = match &writer.pool {
        // SQLite: the whole batch in one call to the connection's worker
        // thread (see `sqlite_write_batch_sql`).
        Pool::Sqlite(_) => return write_batch_sqlite(writer, rows, &ops, changed).await,
        Pool::Postgres(p) => p,
    };
    {
        let mut tx = p
            .begin_with(writer.pool.begin_write_sql())
            .await
            .map_err(BatchError::Transaction)?;
        let mut rest = ops.as_slice();
        while !rest.is_empty() {
            let (sql, size) = next_chunk(rest.len());
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let insert = chunk
                .iter()
                .fold(sqlx::query(sql), |insert, (_, op)| bind_op(insert, op));
            let statement_error = |error| BatchError::Statement {
                index: chunk[0].0,
                error,
            };
            let inserted = insert.fetch_all(&mut *tx).await.map_err(statement_error)?;
            mark_stored(&mut changed, chunk, &inserted).map_err(statement_error)?;
        }
        // Snapshots are rare next to ops: one statement each. The upsert's
        // `WHERE` keeps the newest of several saves in any order.
        for (index, row) in rows.iter().enumerate() {
            if let WriteRow::Snapshot(s) = row {
                let done = sqlx::query(UPSERT_SNAPSHOT)
                    .bind(s.collection.as_str())
                    .bind(s.doc_id.as_str())
                    .bind(s.v)
                    .bind(s.doc_type.as_deref())
                    .bind(s.data.as_deref())
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| BatchError::Statement { index, error })?;
                changed[index] = done.rows_affected() > 0;
            }
        }
        for (index, row) in rows.iter().enumerate() {
            if let WriteRow::Chat(c) = row {
                let m = &c.0;
                sqlx::query(INSERT_CHAT)
                    .bind(m.room.as_str())
                    .bind(m.at)
                    .bind(m.id.as_str())
                    .bind(m.participant.as_str())
                    .bind(m.name.as_str())
                    .bind(m.text.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| BatchError::Statement { index, error })?;
                changed[index] = true;
            }
        }
        tx.commit().await.map_err(BatchError::Transaction)?;
        Ok(changed)
    }
}

/// A whole write batch for SQLite as one multi-statement call: begin, the
/// ops, the snapshots, the chat messages, commit. sqlx runs SQLite on a
/// worker thread and every call is a round trip to it (and `BEGIN` and
/// `COMMIT` are rendezvous), so one call instead of three or more shortens
/// each group commit, and with it every ack.
///
/// The ops are bound as parameters of the same multi-row inserts as
/// PostgreSQL's, cut into [`CHUNK_SIZES`], with nameless `?` parameters
/// that sqlx binds in order through the whole text; the text depends only
/// on the number of ops, so there are at most `max_batch` texts, built once
/// by [`BatchWriter`] and prepared once (the write connection's statement
/// cache holds them all). Ops used to travel as one JSON array through `json_each`; extracting every field
/// with `->>` cost more than the inserts themselves. Snapshots and chat
/// messages, rare next to ops, still do (an empty array costs nothing).
/// The `WHERE true` is what SQLite asks of an `INSERT … SELECT` with an
/// `ON CONFLICT` clause.
fn sqlite_write_batch_sql(ops: usize) -> String {
    let mut sql = String::from("BEGIN IMMEDIATE; ");
    let mut rest = ops;
    while rest > 0 {
        let size = CHUNK_SIZES[chunk_index(rest)];
        sql.push_str(&insert_ops_sql(size, Params::Anonymous));
        sql.push_str("; ");
        rest -= size;
    }
    sql.push_str(
        "INSERT INTO snapshots (collection, doc_id, v, doc_type, data) \
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4 \
         FROM json_each(?) WHERE true \
         ON CONFLICT (collection, doc_id) DO UPDATE \
         SET v = excluded.v, doc_type = excluded.doc_type, data = excluded.data \
         WHERE excluded.v > snapshots.v; \
         INSERT INTO chat_messages (room, at, id, participant, name, body) \
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 \
         FROM json_each(?) WHERE true; \
         COMMIT",
    );
    sql
}

/// True for SQLite's errors about a row (a constraint, a wrong type, a value
/// too big), which only a statement raises, never `COMMIT` (no deferred
/// constraints are used).
fn rejected_row(error: &sqlx::Error) -> bool {
    const SQLITE_TOOBIG: i64 = 18;
    const SQLITE_CONSTRAINT: i64 = 19;
    const SQLITE_MISMATCH: i64 = 20;
    let Some(code) = error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|c| c.parse::<i64>().ok())
    else {
        return false;
    };
    // Extended result codes keep the primary code in the low byte.
    matches!(
        code & 0xff,
        SQLITE_TOOBIG | SQLITE_CONSTRAINT | SQLITE_MISMATCH
    )
}

async fn write_batch_sqlite(
    writer: &mut BatchWriter,
    rows: &[&WriteRow],
    ops: &[(usize, &OpRow)],
    mut changed: Vec<bool>,
) -> Result<Vec<bool>, BatchError> {
    let (mut snapshots, mut chats) = (JsonRows::default(), JsonRows::default());
    let (mut first_snapshot, mut first_chat) = (None, None);
    for (index, row) in rows.iter().enumerate() {
        match row {
            WriteRow::Op(_) => {}
            WriteRow::Snapshot(s) => {
                first_snapshot.get_or_insert(index);
                changed[index] = true;
                snapshots.row(|r| {
                    r.str(&s.collection);
                    r.str(&s.doc_id);
                    r.int(s.v);
                    r.opt_str(s.doc_type.as_deref());
                    r.opt_str(s.data.as_deref());
                });
            }
            WriteRow::Chat(c) => {
                first_chat.get_or_insert(index);
                changed[index] = true;
                let m = &c.0;
                chats.row(|r| {
                    r.str(&m.room);
                    r.int(m.at);
                    r.str(&m.id);
                    r.str(&m.participant);
                    r.str(&m.name);
                    r.str(&m.text);
                });
            }
        }
    }

    let Pool::Sqlite(pool) = &writer.pool else {
        unreachable!("called for SQLite pools only")
    };
    let held = &mut writer.sqlite;
    let conn = match held {
        Some(conn) => conn,
        None => held.insert(pool.acquire().await.map_err(BatchError::Transaction)?),
    };
    let text = writer
        .sqlite_texts
        .entry(ops.len())
        .or_insert_with(|| Arc::from(sqlite_write_batch_sql(ops.len())))
        .clone();
    let query = ops
        .iter()
        .fold(sqlx::query(AssertSqlSafe(text)), |query, (_, op)| {
            bind_op(query, op)
        })
        .bind(snapshots.finish())
        .bind(chats.finish());
    // One result per statement, in order: BEGIN, the op chunks, the
    // snapshots, the chat messages, COMMIT. No `RETURNING`: each returned
    // row would be a message from the worker thread, and usually every op
    // is stored.
    let results: Result<Vec<_>, _> = conn
        .fetch_many(query)
        .try_filter_map(|step| async move { Ok(step.left()) })
        .try_collect()
        .await;
    let inserted_ops = match results {
        // Everything between BEGIN and the last three statements.
        Ok(results) => results
            .iter()
            .skip(1)
            .take(results.len().saturating_sub(4))
            .map(|r| r.rows_affected())
            .sum::<u64>(),
        Err(error) => {
            // Leave no transaction open on the connection (a failed
            // statement keeps it open; a failed COMMIT may not).
            if sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
                *held = None;
            }
            return Err(if rejected_row(&error) {
                // A row broke a constraint: nothing was committed, and
                // committing the writes one by one finds it.
                BatchError::Statement {
                    index: ops
                        .first()
                        .map(|(i, _)| *i)
                        .or(first_snapshot)
                        .or(first_chat)
                        .unwrap_or(0),
                    error,
                }
            } else {
                // Anything else may have been the COMMIT, after which the
                // outcome is unknown: not to be retried op by op.
                BatchError::Transaction(error)
            });
        }
    };
    if usize::try_from(inserted_ops).is_ok_and(|n| n == ops.len()) {
        for (i, _) in ops {
            changed[*i] = true;
        }
        return Ok(changed);
    }
    // Some versions were taken (another instance wrote them): an op counts
    // as stored only where the stored row is this very op. Ops are never
    // rewritten, so reading after the commit is as good as inside it.
    for (i, op) in ops {
        let stored: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT src, seq, body FROM ops WHERE collection = $1 AND doc_id = $2 AND v = $3",
        )
        .bind(&*op.collection)
        .bind(&*op.doc_id)
        .bind(op.v)
        .fetch_optional(&mut **conn)
        .await
        // The batch is committed: not a statement to retry.
        .map_err(BatchError::Transaction)?;
        changed[*i] = stored
            .is_some_and(|(src, seq, body)| *src == *op.src && seq == op.seq && *body == *op.body);
    }
    Ok(changed)
}

/// Sets `changed` for each of `ops` that the insert stored, from the keys it
/// returned (`RETURNING collection, doc_id, v`); in the usual case every
/// version was free and all were.
fn mark_stored<R>(
    changed: &mut [bool],
    ops: &[(usize, &OpRow)],
    inserted: &[R],
) -> Result<(), sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    if inserted.len() == ops.len() {
        for (i, _) in ops {
            changed[*i] = true;
        }
        return Ok(());
    }
    let mut stored = HashSet::with_capacity(inserted.len());
    for row in inserted {
        let key: (&str, &str, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        stored.insert(key);
    }
    for (i, op) in ops {
        changed[*i] = stored.contains(&(&*op.collection, &*op.doc_id, op.v));
    }
    Ok(())
}

/// Rows as a JSON array of arrays, for `json_each`.
#[derive(Default)]
struct JsonRows {
    out: Vec<u8>,
}

struct JsonRow<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl JsonRows {
    fn row(&mut self, fill: impl FnOnce(&mut JsonRow<'_>)) {
        self.out.push(if self.out.is_empty() { b'[' } else { b',' });
        self.out.push(b'[');
        fill(&mut JsonRow {
            out: &mut self.out,
            first: true,
        });
        self.out.push(b']');
    }

    fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push(b'[');
        }
        self.out.push(b']');
        // Only JSON punctuation, numbers and serde_json-escaped `&str`s.
        String::from_utf8(self.out).unwrap_or_else(|_| unreachable!("JSON text is UTF-8"))
    }
}

impl JsonRow<'_> {
    fn sep(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
    }

    fn str(&mut self, s: &str) {
        self.sep();
        // Writing a `&str` to a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *self.out, s);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => {
                self.sep();
                self.out.extend_from_slice(b"null");
            }
        }
    }

    fn int(&mut self, n: i64) {
        self.sep();
        let _ = write!(JsonWrite(self.out), "{n}");
    }
}

/// `fmt::Write` into a byte buffer.
struct JsonWrite<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for JsonWrite<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sqlite_file_is_kept_open_for_flushing() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let pools = connect(&url, &StoreOptions::default()).await.expect("open");
        let file = pools
            .db_file
            .as_ref()
            .expect("a file database has a descriptor");
        file.sync().expect("flushing succeeds");
        pools.read.close().await;
        pools.write.close().await;
    }

    #[tokio::test]
    async fn an_in_memory_database_has_no_file_to_flush() {
        let pools = connect("sqlite::memory:", &StoreOptions::default())
            .await
            .expect("open");
        assert!(pools.db_file.is_none());
        pools.read.close().await;
        pools.write.close().await;
    }

    #[test]
    fn chunks_cover_any_batch() {
        for len in 1..600 {
            let (mut rest, mut statements) = (len, 0);
            while rest > 0 {
                let size = CHUNK_SIZES[chunk_index(rest)];
                assert!(size <= rest);
                rest -= size;
                statements += 1;
            }
            assert!(
                statements <= len / 64 + 3 * 3,
                "{len} ops took {statements} statements"
            );
        }
    }

    #[test]
    fn numbered_placeholders() {
        assert!(insert_ops_sql(2, Params::Numbered).contains(
            "VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14) ON CONFLICT"
        ));
    }

    /// SQLite's batch has one nameless parameter per bound value, in bind
    /// order: 5 ops are a chunk of 4 and one of 1 (35 values), then the
    /// snapshots and the chat messages; and none is named.
    #[test]
    fn sqlite_batch_has_a_nameless_parameter_per_value() {
        let sql = sqlite_write_batch_sql(5);
        assert!(sql.starts_with("BEGIN IMMEDIATE; INSERT INTO ops"));
        assert!(sql.contains("VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT"));
        assert!(sql.contains("json_each(?)") && sql.ends_with("COMMIT"));
        assert_eq!(sql.matches('?').count(), 5 * 7 + 2);
        assert!(!sql.contains('$'));
    }

    #[test]
    fn json_rows_escape_every_string() {
        let mut rows = JsonRows::default();
        rows.row(|r| {
            r.str("a\"b\\c\n\u{0}é");
            r.int(-7);
            r.opt_str(None);
        });
        rows.row(|r| r.int(i64::MAX));
        let text = rows.finish();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back,
            serde_json::json!([["a\"b\\c\n\u{0}é", -7, null], [i64::MAX]])
        );
        assert_eq!(JsonRows::default().finish(), "[]");
    }
}
