//! `VersionTaken`, alone and inside batches.

use std::collections::BTreeMap;

use store::{Store, StoreError};
use tokio::task::JoinSet;

use crate::harness::{Target, edit, versions};

async fn duplicate_version_is_taken(target: &Target) {
    let store = target.open().await;
    store
        .append("c", "d", edit(0, "first"))
        .await
        .expect("append");
    let second = store.append("c", "d", edit(0, "second")).await;
    assert!(
        matches!(second, Err(StoreError::VersionTaken)),
        "{second:?}"
    );
    assert_eq!(
        store.load("c", "d").await.expect("load").ops,
        vec![edit(0, "first")]
    );
    // The version after it is still free.
    store
        .append("c", "d", edit(1, "second"))
        .await
        .expect("append");
    store.close().await;
}

/// Appends from many tasks at once, so they share batches with their
/// duplicates: a duplicate fails alone and its neighbours commit.
async fn duplicates_in_a_concurrent_batch_fail_alone(target: &Target) {
    let store = target.open().await;
    store
        .append("c", "stored", edit(0, "early"))
        .await
        .expect("append");

    let mut tasks = JoinSet::new();
    let spawn = |tasks: &mut JoinSet<_>, doc: String, v: u64, src: String| {
        let store: Store = store.clone();
        tasks.spawn(async move {
            let result = store.append("c", &doc, edit(v, &src)).await;
            (doc, v, src, result)
        });
    };
    for v in 0..100 {
        spawn(&mut tasks, "stored".into(), v, "late".into());
    }
    for racer in 0..5 {
        spawn(&mut tasks, "raced".into(), 0, format!("racer-{racer}"));
    }
    for doc in 0..50 {
        spawn(&mut tasks, format!("free-{doc}"), 0, "solo".into());
    }

    let mut winners = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (doc, v, src, result) = joined.expect("append task");
        match (doc.as_str(), v, result) {
            ("stored", 0, Err(StoreError::VersionTaken)) => {}
            ("stored", _, Ok(())) if v > 0 => {}
            ("raced", _, Err(StoreError::VersionTaken)) => {}
            ("raced", _, Ok(())) => assert!(winners.insert(doc, src).is_none(), "two racers won"),
            (_, _, Ok(())) if doc.starts_with("free-") => {}
            (doc, v, result) => panic!("{doc} v{v}: unexpected {result:?}"),
        }
    }
    let stored = store.load("c", "stored").await.expect("load").ops;
    assert_eq!(versions(&stored), (0..100).collect::<Vec<_>>());
    assert_eq!(stored[0], edit(0, "early"));
    let raced = store.load("c", "raced").await.expect("load").ops;
    assert_eq!(raced, vec![edit(0, &winners["raced"])]);
    for doc in 0..50 {
        assert_eq!(
            store
                .load("c", &format!("free-{doc}"))
                .await
                .expect("load")
                .ops
                .len(),
            1
        );
    }
    store.close().await;
}

/// A write the database itself rejects (here through a trigger) rolls back
/// its batch; the writer then commits the others one by one and only the bad
/// one fails.
async fn a_rejected_write_fails_alone(target: &Target) {
    let store = target.open().await;
    let trigger = match store.backend() {
        "sqlite" => {
            "CREATE TRIGGER reject_poison BEFORE INSERT ON ops WHEN NEW.doc_id = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        }
        _ => {
            "CREATE FUNCTION reject_poison() RETURNS trigger AS $$ BEGIN \
               IF NEW.doc_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; \
             END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER reject_poison BEFORE INSERT ON ops FOR EACH ROW EXECUTE FUNCTION reject_poison()"
        }
    };
    install(&target.url, store.backend(), trigger).await;

    let mut tasks = JoinSet::new();
    for i in 0..60u64 {
        let store = store.clone();
        let doc = if i == 30 {
            "poison".to_owned()
        } else {
            format!("good-{i}")
        };
        tasks.spawn(async move { (doc.clone(), store.append("c", &doc, edit(0, "s")).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("append task") {
            (doc, Err(StoreError::Database(_))) if doc == "poison" => {}
            (doc, Ok(())) if doc != "poison" => {
                assert_eq!(
                    store.load("c", &doc).await.expect("load").ops,
                    vec![edit(0, "s")]
                );
            }
            (doc, result) => panic!("{doc}: unexpected {result:?}"),
        }
    }
    assert!(
        store
            .load("c", "poison")
            .await
            .expect("load")
            .ops
            .is_empty()
    );
    store.close().await;
}

async fn install(url: &str, backend: &str, sql: &'static str) {
    use sqlx::Connection;
    if backend == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .expect("install trigger");
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .expect("install trigger");
    }
}

both_backends!(
    duplicate_version_is_taken,
    duplicates_in_a_concurrent_batch_fail_alone,
    a_rejected_write_fails_alone,
);
