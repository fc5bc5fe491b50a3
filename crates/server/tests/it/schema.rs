//! Element documents keep their schema: an op that would break it is
//! refused with ERR_SCHEMA_VIOLATION, the document stays as it was, and the
//! connection goes on.

use serde_json::json;

use crate::harness::{config, connect, recv, send, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slides_page_cannot_leave_the_deck() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &[])).await.unwrap();
    let mut ws = connect(running.addr, &token("r1", "p1")).await;
    let deck = json!({"kind": "slides", "title": "Deck", "blob": "b".repeat(64), "pages": 5, "page": 1, "zoom": 1, "pan": [0.5, 0.5]});
    send(&mut ws, json!({"a": "op", "c": "elements", "d": "r1:deck", "v": 0, "seq": 1, "create": {"type": "json0", "data": deck}})).await;
    assert_eq!(recv(&mut ws).await["v"], 0);

    // Not a slides document at all: refused at create.
    send(&mut ws, json!({"a": "op", "c": "elements", "d": "r1:bad", "v": 0, "seq": 2, "create": {"type": "json0", "data": {"kind": "slides", "page": -1}}})).await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "ERR_SCHEMA_VIOLATION");

    // Past the end, and negative: refused.
    send(&mut ws, json!({"a": "op", "c": "elements", "d": "r1:deck", "v": 1, "seq": 3, "op": [{"p": ["page"], "na": 5}]})).await;
    let e = recv(&mut ws).await;
    assert_eq!(e["error"]["code"], "ERR_SCHEMA_VIOLATION", "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("page"));
    send(&mut ws, json!({"a": "op", "c": "elements", "d": "r1:deck", "v": 1, "seq": 4, "op": [{"p": ["page"], "od": 1, "oi": -2}]})).await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "ERR_SCHEMA_VIOLATION");

    // A good op still works, at the same version: nothing was committed.
    send(&mut ws, json!({"a": "op", "c": "elements", "d": "r1:deck", "v": 1, "seq": 5, "op": [{"p": ["page"], "na": 2}]})).await;
    assert_eq!(recv(&mut ws).await["v"], 1);
    send(&mut ws, json!({"a": "f", "c": "elements", "d": "r1:deck"})).await;
    let snap = recv(&mut ws).await;
    assert_eq!(snap["data"]["v"], 2);
    assert_eq!(snap["data"]["data"]["page"], 3);

    // Other collections are free-form.
    send(&mut ws, json!({"a": "op", "c": "scratch", "d": "r1:x", "v": 0, "seq": 6, "create": {"type": "json0", "data": {"page": -1}}})).await;
    assert_eq!(recv(&mut ws).await["v"], 0);
    drop(ws);
    running.shutdown();
    running.wait().await.unwrap();
}
