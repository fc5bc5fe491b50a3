//! Document presence with a cursor made at an old version reaches the
//! others moved through the ops committed since.

use serde_json::json;

use crate::harness::{config, connect, recv, send, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_cursors_are_moved_through_later_ops() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &[])).await.unwrap();
    let mut a = connect(running.addr, &token("r1", "pa")).await;
    let mut b = connect(running.addr, &token("r1", "pb")).await;
    send(
        &mut a,
        json!({"a": "op", "c": "e", "d": "r1:notes", "v": 0, "seq": 1,
        "create": {"type": "json0", "data": {"text": "hello"}}}),
    )
    .await;
    assert_eq!(recv(&mut a).await["v"], 0);
    send(&mut b, json!({"a": "ps", "ch": "e.r1:notes", "seq": 1})).await;
    assert_eq!(recv(&mut b).await["a"], "ps");
    // B inserts "😀!" at the start (3 UTF-16 units): the doc is at v2.
    send(
        &mut b,
        json!({"a": "op", "c": "e", "d": "r1:notes", "v": 1, "seq": 1,
        "op": [{"p": ["text", 0], "si": "😀!"}]}),
    )
    .await;
    assert_eq!(recv(&mut b).await["v"], 1);
    // A still thinks it is at v1 and puts its caret after "he".
    send(
        &mut a,
        json!({"a": "p", "ch": "e.r1:notes", "id": "caret", "pv": 1,
        "c": "e", "d": "r1:notes", "v": 1, "p": ["text", 2]}),
    )
    .await;
    let seen = loop {
        let m = recv(&mut b).await;
        if m["a"] == "p" {
            break m;
        }
    };
    assert_eq!(seen["p"], json!(["text", 5]), "{seen}");
    assert_eq!(seen["v"], 2);
    // A cursor into a string that an op removed becomes null.
    send(
        &mut b,
        json!({"a": "op", "c": "e", "d": "r1:notes", "v": 2, "seq": 2,
        "op": [{"p": ["text"], "od": "😀!hello"}]}),
    )
    .await;
    assert_eq!(recv(&mut b).await["v"], 2);
    send(
        &mut a,
        json!({"a": "p", "ch": "e.r1:notes", "id": "caret", "pv": 2,
        "c": "e", "d": "r1:notes", "v": 2, "p": ["text", 1]}),
    )
    .await;
    let seen = loop {
        let m = recv(&mut b).await;
        if m["a"] == "p" {
            break m;
        }
    };
    assert_eq!(seen["p"], json!(null), "{seen}");
    drop((a, b));
    running.shutdown();
    running.wait().await.unwrap();
}
