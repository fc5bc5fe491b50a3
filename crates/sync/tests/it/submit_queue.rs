//! A connection keeps the queue of the document it submits to, weakly:
//! the document can still be evicted and shut down under it, and the next
//! submit finds its successor.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sync::{Access, Docs, Limits, Presence, Session};

use crate::support::{is_ack, until};

/// The next ack, after no error.
async fn next_ack(rx: &mut sync::ConnRx) -> Value {
    let mut seen = until(rx, |m| is_ack(m) || m.get("error").is_some()).await;
    let last = seen.pop().expect("one message at least");
    assert!(is_ack(&last), "{last}");
    last
}

async fn docs(dir: &tempfile::TempDir, idle_timeout: Duration) -> Docs {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = store::Store::open(&url, store::StoreOptions::default())
        .await
        .unwrap();
    let limits = Limits {
        idle_timeout,
        ..Limits::default()
    };
    Docs::new(store, Arc::new(limits))
}

/// Ana's session, which has created document `r` (at v0).
async fn session_with_document(docs: &Docs) -> (Session, sync::ConnRx) {
    let (mut ana, mut rx) = session(docs);
    ana.handle_text(&json!({"a": "op", "c": "e", "d": "r", "v": 0, "seq": 1, "create": {"type": "json0", "data": {"n": 0}}}).to_string())
        .await;
    assert_eq!(next_ack(&mut rx).await["v"], 0);
    (ana, rx)
}

fn session(docs: &Docs) -> (Session, sync::ConnRx) {
    let (tx, rx) = sync::conn::channel(1, 256);
    let access = Access {
        room: "r".into(),
        participant: "ana".into(),
    };
    (
        Session::new(
            tx,
            access,
            "ana.1".into(),
            docs.clone(),
            Presence::default(),
        ),
        rx,
    )
}

fn edit(v: u64, seq: u64) -> String {
    json!({"a": "op", "c": "e", "d": "r", "v": v, "seq": seq, "op": [{"p": ["n"], "na": 1}]})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_after_the_document_was_evicted_reaches_its_successor() {
    let dir = tempfile::tempdir().unwrap();
    let docs = docs(&dir, Duration::from_millis(100)).await;
    let (mut ana, mut rx) = session_with_document(&docs).await;
    ana.handle_text(&edit(1, 2)).await;
    assert_eq!(next_ack(&mut rx).await["v"], 1);
    // Nobody subscribed and nothing in flight: the task leaves memory.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while docs.running() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "never evicted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ana.handle_text(&edit(2, 3)).await;
    assert_eq!(
        next_ack(&mut rx).await["v"],
        2,
        "a new task loaded the document"
    );
    ana.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_queue_does_not_hold_up_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let docs = docs(&dir, Duration::from_secs(60)).await;
    let (ana, _rx) = session_with_document(&docs).await;
    assert_eq!(docs.running(), 1);
    // The session is still open and keeps the document's queue.
    assert!(docs.shutdown(Duration::from_secs(5)).await);
    assert_eq!(docs.running(), 0);
    drop(ana);
}
