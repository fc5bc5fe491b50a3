//! When the store refuses a commit, the op is refused (never acknowledged),
//! the document reloads what is durable, and editing goes on.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;
use sync::{Access, Docs, Limits, Presence, Session};

async fn next_json(rx: &mut sync::ConnRx) -> Value {
    let out = tokio::time::timeout(Duration::from_secs(10), rx.rx.recv())
        .await
        .expect("a reply within 10 s")
        .expect("the queue is open");
    let bytes = out.into_messages().last().expect("a text message");
    serde_json::from_slice(&bytes).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_commit_is_never_acknowledged_and_the_document_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let url = format!("sqlite://{}", path.display());
    let store = store::Store::open(&url, store::StoreOptions::default())
        .await
        .unwrap();
    let docs = Docs::new(store, Arc::new(Limits::default()));
    let (tx, mut rx) = sync::conn::channel(1, 64);
    let access = Access {
        room: "r".into(),
        participant: "p".into(),
    };
    let mut session = Session::new(tx, access, "p.1".into(), docs.clone(), Presence::default());

    let op = |v: u64, seq: u64| {
        json!({"a": "op", "c": "e", "d": "r", "v": v, "seq": seq, "op": [{"p": ["n"], "na": 1}]})
            .to_string()
    };
    session
        .handle_text(&json!({"a": "op", "c": "e", "d": "r", "v": 0, "seq": 1, "create": {"type": "json0", "data": {"n": 0}}}).to_string())
        .await;
    assert_eq!(next_json(&mut rx).await["v"], 0);
    session.handle_text(&op(1, 2)).await;
    assert_eq!(next_json(&mut rx).await["v"], 1);

    // The database refuses version 2 from now on.
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TRIGGER refuse BEFORE INSERT ON ops WHEN NEW.v = 2 BEGIN SELECT RAISE(ABORT, 'injected'); END")
        .execute(&mut db)
        .await
        .unwrap();
    session.handle_text(&op(2, 3)).await;
    let refused = next_json(&mut rx).await;
    assert_eq!(refused["error"]["code"], "ERR_COMMIT_FAILED", "{refused}");

    // The database accepts again: the same op, resubmitted, commits at v2.
    sqlx::query("DROP TRIGGER refuse")
        .execute(&mut db)
        .await
        .unwrap();
    session.handle_text(&op(2, 3)).await;
    let ack = next_json(&mut rx).await;
    assert_eq!(ack["v"], 2, "{ack}");
    assert!(ack.get("error").is_none(), "{ack}");
    session
        .handle_text(&json!({"a": "f", "c": "e", "d": "r"}).to_string())
        .await;
    let snapshot = next_json(&mut rx).await;
    assert_eq!(snapshot["data"]["v"], 3, "{snapshot}");
    assert_eq!(
        snapshot["data"]["data"],
        json!({"n": 2}),
        "the refused op left no trace"
    );
    session.close().await;
}
