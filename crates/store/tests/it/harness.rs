//! Where a case's store lives, and op builders.

use serde_json::json;
use store::testing::{postgres_skipped, shared_postgres, sqlite_url};
use store::{OpBody, Store, StoreOptions, StoredOp};

/// A database for one case; the store can be opened on it again and again.
pub struct Target {
    pub url: String,
    /// The temporary directory or the server handle, kept alive until the
    /// case ends.
    _keep: Box<dyn std::any::Any + Send>,
}

impl Target {
    pub async fn open(&self) -> Store {
        Store::open(&self.url, StoreOptions::default())
            .await
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.url))
    }
}

/// A fresh SQLite file in a directory that does not exist yet, so opening
/// also checks that the parent directories are created.
pub fn sqlite() -> Target {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(&dir.path().join("nested").join("dir").join("store.db"));
    Target {
        url,
        _keep: Box::new(dir),
    }
}

/// A fresh database on the shared throwaway PostgreSQL server, or `None`
/// when `TERTULIA_SKIP_PG=1`.
pub async fn postgres() -> Option<Target> {
    if postgres_skipped() {
        eprintln!("PostgreSQL test skipped: TERTULIA_SKIP_PG=1");
        return None;
    }
    let server = shared_postgres().await.unwrap_or_else(|e| panic!("{e:#}"));
    let url = server
        .fresh_database()
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    Some(Target {
        url,
        _keep: Box::new(server),
    })
}

pub fn op(v: u64, src: &str, seq: u64, body: OpBody) -> StoredOp {
    StoredOp {
        v,
        src: src.to_owned(),
        seq,
        body,
        ts: 1_700_000_000_000,
    }
}

/// A json0 edit at version `v` from `src`, numbered `v + 1`.
pub fn edit(v: u64, src: &str) -> StoredOp {
    op(v, src, v + 1, OpBody::Edit(json!([{"p": ["n"], "na": v}])))
}

pub fn versions(ops: &[StoredOp]) -> Vec<u64> {
    ops.iter().map(|o| o.v).collect()
}
