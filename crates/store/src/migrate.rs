//! Schema migrations: numbered SQL files per backend, embedded at compile
//! time, applied in order and recorded in `schema_migrations`.
//!
//! Each backend has its own files because the best DDL differs (SQLite's
//! `STRICT`); the tables and columns they create must stay the same, since
//! every other statement is shared. A migration is never edited once
//! released: a change is a new, higher-numbered file for both backends.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::StoreError;
use crate::db::{Pool, with_pool};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "chat",
        sql: include_str!("../migrations/sqlite/0002_chat.sql"),
    },
    Migration {
        version: 3,
        name: "ops_rowid",
        sql: include_str!("../migrations/sqlite/0003_ops_rowid.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "chat",
        sql: include_str!("../migrations/postgres/0002_chat.sql"),
    },
    Migration {
        version: 3,
        name: "ops_rowid",
        sql: include_str!("../migrations/postgres/0003_ops_rowid.sql"),
    },
];

const CREATE_SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

const SELECT_APPLIED: &str = "SELECT version FROM schema_migrations ORDER BY version";

const RECORD_APPLIED: &str =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

/// Serializes concurrent openers of one PostgreSQL database (SQLite's
/// `BEGIN IMMEDIATE` already does). The number is arbitrary but fixed.
const PG_MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(7261647165)";

/// Brings the schema up to date in one transaction: either every pending
/// migration is applied or none is.
pub(crate) async fn run(pool: &Pool) -> Result<(), StoreError> {
    let (migrations, lock) = match pool {
        Pool::Sqlite(_) => (SQLITE, None),
        Pool::Postgres(_) => (POSTGRES, Some(PG_MIGRATION_LOCK)),
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    with_pool!(pool, p => {
        let mut tx = p.begin_with(pool.begin_write_sql()).await?;
        if let Some(lock) = lock {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        sqlx::raw_sql(CREATE_SCHEMA_MIGRATIONS).execute(&mut *tx).await?;
        let applied: Vec<i64> = sqlx::query_scalar(SELECT_APPLIED)
            .fetch_all(&mut *tx)
            .await?;
        let pending = pending(migrations, &applied)?;
        for m in pending {
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    StoreError::Migration(format!("{:04}_{}: {e}", m.version, m.name))
                })?;
            sqlx::query(RECORD_APPLIED)
                .bind(m.version)
                .bind(m.name)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            tracing::info!(
                backend = pool.backend(),
                version = m.version,
                name = m.name,
                "applied migration"
            );
        }
        tx.commit().await?;
        Ok(())
    })
}

/// The migrations not yet applied, after checking that the applied ones are
/// exactly a prefix of the known ones.
fn pending<'m>(known: &'m [Migration], applied: &[i64]) -> Result<&'m [Migration], StoreError> {
    for (i, version) in applied.iter().enumerate() {
        match known.get(i) {
            Some(m) if m.version == *version => {}
            Some(m) => {
                return Err(StoreError::Migration(format!(
                    "applied migration {version} where {} was expected",
                    m.version
                )));
            }
            None => {
                return Err(StoreError::Migration(format!(
                    "the database has migration {version}, newer than this build knows"
                )));
            }
        }
    }
    Ok(known.get(applied.len()..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for list in [SQLITE, POSTGRES] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1);
            }
        }
        assert_eq!(SQLITE.len(), POSTGRES.len());
    }

    #[test]
    fn pending_checks_the_applied_prefix() {
        assert_eq!(
            pending(SQLITE, &[]).map(<[_]>::len).ok(),
            Some(SQLITE.len())
        );
        assert_eq!(
            pending(SQLITE, &[1]).map(<[_]>::len).ok(),
            Some(SQLITE.len() - 1)
        );
        assert!(matches!(
            pending(SQLITE, &[2]),
            Err(StoreError::Migration(_))
        ));
        let one_too_many: Vec<i64> = (1..=SQLITE.len() as i64 + 1).collect();
        assert!(matches!(
            pending(SQLITE, &one_too_many),
            Err(StoreError::Migration(_))
        ));
    }

    /// 0003 rebuilds SQLite's ops table: what was stored before must come
    /// through it, and the key must still refuse a taken version.
    #[tokio::test]
    async fn ops_stored_before_0003_survive_it() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        let dir = tempfile::tempdir().expect("temporary directory");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("old.db"))
            .create_if_missing(true);
        let p = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("sqlite opens");
        // The schema as a build before 0003 left it.
        sqlx::raw_sql(CREATE_SCHEMA_MIGRATIONS)
            .execute(&p)
            .await
            .expect("schema_migrations");
        for m in &SQLITE[..2] {
            sqlx::raw_sql(m.sql)
                .execute(&p)
                .await
                .expect("old migration");
            sqlx::query(RECORD_APPLIED)
                .bind(m.version)
                .bind(m.name)
                .bind(0_i64)
                .execute(&p)
                .await
                .expect("recorded");
        }
        const INSERT: &str = "INSERT INTO ops (collection, doc_id, v, src, seq, body, ts) \
             VALUES ($1, $2, $3, 's', $3, '{\"op\":[]}', 0) ON CONFLICT (collection, doc_id, v) DO NOTHING";
        for (doc, v) in [("b", 0), ("a", 1), ("a", 0), ("b", 1), ("a", 2)] {
            sqlx::query(INSERT)
                .bind("c")
                .bind(doc)
                .bind(v)
                .execute(&p)
                .await
                .expect("old insert");
        }

        let pool = Pool::Sqlite(p.clone());
        run(&pool).await.expect("0003 applies");

        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT doc_id, v FROM ops ORDER BY collection, doc_id, v")
                .fetch_all(&p)
                .await
                .expect("select");
        let expected = [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1)];
        assert_eq!(
            rows,
            expected.map(|(d, v)| (d.to_owned(), v)).to_vec(),
            "every op survives"
        );
        let taken = sqlx::query(INSERT)
            .bind("c")
            .bind("a")
            .bind(1_i64)
            .execute(&p)
            .await
            .expect("insert of a taken version");
        assert_eq!(taken.rows_affected(), 0, "a taken version stays taken");
        let table: String = sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE name = 'ops'")
            .fetch_one(&p)
            .await
            .expect("ops table");
        assert!(!table.contains("WITHOUT ROWID"), "{table}");
        pool.close().await;
    }
}
