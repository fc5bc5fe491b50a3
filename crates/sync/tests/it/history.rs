//! A document keeps only its latest ops in memory (`history_in_memory`);
//! clients further behind are served from the store, with the same result.

use std::sync::Arc;

use serde_json::json;
use sync::{Access, Docs, Limits, Presence, Session};

use crate::support::{is_ack, until};

fn session(docs: &Docs, conn: u64, participant: &str) -> (Session, sync::ConnRx) {
    let (tx, rx) = sync::conn::channel(conn, 256);
    let access = Access {
        room: "r".into(),
        participant: participant.into(),
    };
    let id = format!("{participant}.1");
    (
        Session::new(tx, access, id, docs.clone(), Presence::default()),
        rx,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_behind_the_history_in_memory_gets_what_it_missed_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = store::Store::open(&url, store::StoreOptions::default())
        .await
        .unwrap();
    let limits = Limits {
        history_in_memory: 2,
        ..Limits::default()
    };
    let docs = Docs::new(store, Arc::new(limits));
    let (mut ana, mut ana_rx) = session(&docs, 1, "ana");
    let (mut bruno, mut bruno_rx) = session(&docs, 2, "bruno");

    ana.handle_text(&json!({"a": "op", "c": "e", "d": "r", "v": 0, "seq": 1, "create": {"type": "json0", "data": {"l": []}}}).to_string())
        .await;
    until(&mut ana_rx, is_ack).await;
    // Bruno only fetched the document at v1 (no subscription), then Ana
    // made six more ops: more than the two the document keeps in memory.
    bruno
        .handle_text(&json!({"a": "f", "c": "e", "d": "r"}).to_string())
        .await;
    let fetched = until(&mut bruno_rx, |m| m["a"] == "f").await;
    assert_eq!(fetched.last().unwrap()["data"]["v"], 1);
    for i in 0..6u64 {
        let op = json!({"a": "op", "c": "e", "d": "r", "v": 1 + i, "seq": 2 + i, "op": [{"p": ["l", 0], "li": format!("a{i}")}]});
        ana.handle_text(&op.to_string()).await;
        until(&mut ana_rx, is_ack).await;
    }

    // Bruno's op, made at v1, is transformed against the six from the
    // store, and before its ack he receives them, as ShareDB sends a
    // client that is not subscribed the ops its op was transformed against.
    bruno
        .handle_text(&json!({"a": "op", "c": "e", "d": "r", "v": 1, "seq": 1, "op": [{"p": ["l", 0], "li": "b"}]}).to_string())
        .await;
    let got = until(&mut bruno_rx, is_ack).await;
    let versions: Vec<_> = got.iter().map(|m| m["v"].as_u64().unwrap()).collect();
    assert_eq!(
        versions,
        [1, 2, 3, 4, 5, 6, 7],
        "six missed ops, then the ack at v7: {got:?}"
    );
    assert_eq!(got[0]["op"], json!([{"p": ["l", 0], "li": "a0"}]));

    ana.handle_text(&json!({"a": "f", "c": "e", "d": "r"}).to_string())
        .await;
    let snapshot = until(&mut ana_rx, |m| m["a"] == "f").await;
    assert_eq!(
        snapshot.last().unwrap()["data"]["data"]["l"],
        json!(["b", "a5", "a4", "a3", "a2", "a1", "a0"]),
        "Bruno's insert at 0 was transformed, ties going to the earlier op"
    );
    ana.close().await;
    bruno.close().await;
}
