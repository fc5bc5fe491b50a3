//! Durability across reopening, and draining on close.

use serde_json::json;
use store::{StoreError, StoredSnapshot};
use tokio::task::JoinSet;

use crate::harness::{Target, edit, versions};

async fn data_survives_reopening(target: &Target) {
    let snapshot = StoredSnapshot {
        v: 2,
        doc_type: Some("json0".into()),
        data: Some(json!({"ok": "✓"})),
    };
    {
        let store = target.open().await;
        for v in 0..4 {
            store.append("c", "d", edit(v, "s")).await.expect("append");
        }
        store
            .save_snapshot("c", "d", &snapshot)
            .await
            .expect("save");
        // Dropped without `close`: every `Ok` above was already committed.
    }
    let store = target.open().await;
    let loaded = store.load("c", "d").await.expect("load after reopen");
    assert_eq!(loaded.snapshot, Some(snapshot.clone()));
    assert_eq!(loaded.ops, vec![edit(2, "s"), edit(3, "s")]);
    store
        .append("c", "d", edit(4, "s"))
        .await
        .expect("append after reopen");
    store.close().await;

    // Opening runs the migrations again, which must find nothing to do.
    let store = target.open().await;
    assert_eq!(
        versions(&store.load("c", "d").await.expect("load").ops),
        vec![2, 3, 4]
    );
    store.close().await;
}

/// Runs on a single-threaded runtime: the spawned appends all reach the
/// queue before the test task resumes, so `close` is queued behind them and
/// must commit every one.
async fn close_drains_the_queue(target: &Target) {
    let store = target.open().await;
    let mut tasks = JoinSet::new();
    for v in 0..600 {
        let store = store.clone();
        tasks.spawn(async move { store.append("c", "d", edit(v, "s")).await });
    }
    tokio::task::yield_now().await;
    store.close().await;
    while let Some(joined) = tasks.join_next().await {
        joined
            .expect("append task")
            .expect("queued before close, so committed");
    }

    assert!(matches!(
        store.append("c", "d", edit(600, "s")).await,
        Err(StoreError::Closed)
    ));
    assert!(matches!(
        store.load("c", "d").await,
        Err(StoreError::Closed)
    ));
    store.close().await; // closing twice is harmless

    let store = target.open().await;
    assert_eq!(
        versions(&store.load("c", "d").await.expect("load").ops),
        (0..600).collect::<Vec<_>>()
    );
    store.close().await;
}

both_backends!(data_survives_reopening);

mod drain {
    use super::close_drains_the_queue;
    both_backends!(current_thread; close_drains_the_queue);
}

/// SQLite's WAL is copied into the database file by the store's own
/// checkpointer, not by the committing writer: with no other connection
/// writing and far fewer pages than the writer's own threshold, the file
/// still grows within a second of the commits.
#[tokio::test]
async fn sqlite_wal_is_checkpointed_in_the_background() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("store.db");
    let store = store::Store::open(
        &store::testing::sqlite_url(&path),
        store::StoreOptions::default(),
    )
    .await
    .expect("open");
    let size = || std::fs::metadata(&path).expect("database file").len();
    let before = size();
    let body = "x".repeat(2_000);
    for v in 0..200 {
        store
            .append("c", "d", edit(v, &body))
            .await
            .expect("append");
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while size() < before + 200 * 2_000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the database file stayed at {} bytes (started at {before})",
            size()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    store.close().await;
}
