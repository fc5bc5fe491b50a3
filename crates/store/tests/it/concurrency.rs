//! Group commit under concurrent appends, with a throughput measurement.

use std::time::Instant;

use store::Store;
use tokio::task::JoinSet;

use crate::harness::{Target, edit, versions};

const DOCS: u64 = 50;
const OPS_PER_DOC: u64 = 40;

/// 2,000 appends over 50 documents, each from its own task and all in
/// flight at once.
async fn concurrent_appends_are_group_committed(target: &Target) {
    let store = target.open().await;
    let before = store.writer_stats();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for doc in 0..DOCS {
        for v in 0..OPS_PER_DOC {
            let store = store.clone();
            tasks.spawn(async move {
                store
                    .append(
                        "load",
                        &format!("doc-{doc}"),
                        edit(v, &format!("src-{doc}")),
                    )
                    .await
            });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("append task").expect("append");
    }
    report(&store, "2000 tasks at once", started, before);
    check_every_document(&store).await;
    store.close().await;
}

/// One task per document appending in turn, each waiting for its commit, as
/// a document's owner task does: batches are at most one op per document.
async fn document_tasks_appending_in_turn(target: &Target) {
    let store = target.open().await;
    let before = store.writer_stats();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for doc in 0..DOCS {
        let store = store.clone();
        tasks.spawn(async move {
            for v in 0..OPS_PER_DOC {
                store
                    .append(
                        "load",
                        &format!("doc-{doc}"),
                        edit(v, &format!("src-{doc}")),
                    )
                    .await
                    .expect("append");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("append task");
    }
    report(&store, "50 document tasks", started, before);
    check_every_document(&store).await;
    store.close().await;
}

fn report(store: &Store, how: &str, started: Instant, before: store::WriterStats) {
    let elapsed = started.elapsed();
    let after = store.writer_stats();
    let (batches, writes) = (after.batches - before.batches, after.writes - before.writes);
    println!(
        "{} ({how}): {writes} appends in {elapsed:.2?} = {:.0} ops/s; {batches} commits, mean batch {:.1}",
        store.backend(),
        writes as f64 / elapsed.as_secs_f64(),
        writes as f64 / batches as f64,
    );
    assert_eq!(writes, DOCS * OPS_PER_DOC);
    assert!(
        batches < writes,
        "every append had a commit of its own: no group commit"
    );
}

async fn check_every_document(store: &Store) {
    for doc in 0..DOCS {
        let ops = store
            .load("load", &format!("doc-{doc}"))
            .await
            .expect("load")
            .ops;
        assert_eq!(
            versions(&ops),
            (0..OPS_PER_DOC).collect::<Vec<_>>(),
            "doc-{doc}"
        );
        assert!(
            ops.iter()
                .all(|o| o.src == format!("src-{doc}") && o.seq == o.v + 1),
            "doc-{doc}"
        );
    }
}

both_backends!(
    concurrent_appends_are_group_committed,
    document_tasks_appending_in_turn
);
