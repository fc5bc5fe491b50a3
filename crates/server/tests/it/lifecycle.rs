//! Graceful shutdown, durability across restarts, and slow consumers.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::harness::{close_code, config, connect, recv, send, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_says_going_away_and_keeps_every_acked_op() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &[])).await.unwrap();
    let mut ws = connect(running.addr, &token("r1", "p1")).await;
    send(&mut ws, json!({"a": "op", "c": "e", "d": "r1", "v": 0, "seq": 1, "create": {"type": "json0", "data": {"n": 0}}})).await;
    assert_eq!(recv(&mut ws).await["v"], 0);
    for i in 0..50u64 {
        send(&mut ws, json!({"a": "op", "c": "e", "d": "r1", "v": i + 1, "seq": i + 2, "op": [{"p": ["n"], "na": 1}]})).await;
        let ack = recv(&mut ws).await;
        assert_eq!(ack["v"], i + 1, "{ack}");
    }
    running.shutdown();
    let closed = tokio::time::timeout(Duration::from_secs(10), close_code(&mut ws))
        .await
        .unwrap();
    assert_eq!(closed, Some(CloseCode::Away));
    running.wait().await.unwrap();

    let again = server::start(config(dir.path(), &[])).await.unwrap();
    let mut ws = connect(again.addr, &token("r1", "p2")).await;
    send(&mut ws, json!({"a": "f", "c": "e", "d": "r1"})).await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["data"]["v"], 51);
    assert_eq!(reply["data"]["data"], json!({"n": 50}));
    drop(ws);
    again.shutdown();
    again.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_and_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(
        dir.path(),
        &["--send-queue", "4", "--ops-per-second", "100000"],
    ))
    .await
    .unwrap();
    let mut writer = connect(running.addr, &token("r1", "w")).await;
    let mut sleeper = connect(running.addr, &token("r1", "s")).await;
    send(&mut writer, json!({"a": "op", "c": "e", "d": "r1", "v": 0, "seq": 1, "create": {"type": "json0", "data": {"blob": ""}}})).await;
    recv(&mut writer).await;
    send(&mut sleeper, json!({"a": "s", "c": "e", "d": "r1"})).await;
    assert_eq!(recv(&mut sleeper).await["a"], "s");
    // The sleeper stops reading. Each op replaces a 64 KB string, so the
    // loopback TCP buffers fill after a few hundred ops.
    let blob = "x".repeat(64 * 1024);
    let mut old = String::new();
    for i in 0..400u64 {
        send(
            &mut writer,
            json!({"a": "op", "c": "e", "d": "r1", "v": i + 1, "seq": i + 2,
            "op": [{"p": ["blob"], "od": old, "oi": blob}]}),
        )
        .await;
        let ack = recv(&mut writer).await;
        assert_eq!(ack["v"], i + 1, "the writer is not held up: {ack}");
        old.clone_from(&blob);
    }
    // Now read: after whatever was buffered, the connection ends.
    let ended = tokio::time::timeout(Duration::from_secs(20), close_code(&mut sleeper)).await;
    assert_eq!(
        ended.expect("the slow consumer was disconnected"),
        Some(CloseCode::Library(4008))
    );
    drop((writer, sleeper));
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_errors_and_the_connection_survives() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &["--max-message-bytes", "2048"]))
        .await
        .unwrap();
    let mut ws = connect(running.addr, &token("r1", "p1")).await;
    use futures_util::SinkExt;
    for (raw, code) in [
        ("{not json".to_string(), "ERR_MESSAGE_BADLY_FORMED"),
        ("[1,2]".to_string(), "ERR_MESSAGE_BADLY_FORMED"),
        (json!({"a": "zz"}).to_string(), "ERR_MESSAGE_BADLY_FORMED"),
        (json!({"a": "s", "c": 5, "d": "r1"}).to_string(), "ERR_MESSAGE_BADLY_FORMED"),
        (json!({"a": "f", "c": "e", "d": "r2"}).to_string(), "ERR_FORBIDDEN"),
        (json!({"a": "f", "c": "e", "d": "r10"}).to_string(), "ERR_FORBIDDEN"),
        (json!({"a": "op", "c": "e", "d": "r1", "v": 0, "seq": 1, "op": [{"p": ["x"], "na": 1}]}).to_string(), "ERR_DOC_DOES_NOT_EXIST"),
        (json!({"a": "op", "c": "e", "d": "r1", "seq": 2, "op": {"p": []}}).to_string(), "ERR_OT_OP_BADLY_FORMED"),
        (json!({"a": "qf", "id": 1, "c": "e", "q": {}}).to_string(), "ERR_QUERIES_NOT_SUPPORTED"),
        (json!({"a": "f", "c": "e", "d": "r1", "pad": "x".repeat(4000)}).to_string(), "ERR_MESSAGE_TOO_LARGE"),
    ] {
        ws.send(Message::Text(raw.clone().into())).await.unwrap();
        let reply = recv(&mut ws).await;
        assert_eq!(reply["error"]["code"], code, "{raw} -> {reply}");
    }
    send(&mut ws, json!({"a": "pp"})).await;
    assert_eq!(recv(&mut ws).await, json!({"a": "pp"}));
    drop(ws);
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_from_postgresql_and_keeps_ops_across_restarts() {
    if store::testing::postgres_skipped() {
        return;
    }
    let pg = store::testing::throwaway_postgres()
        .await
        .expect("a throwaway PostgreSQL server");
    let url = pg.fresh_database().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &["--database-url", &url]))
        .await
        .unwrap();
    let mut ws = connect(running.addr, &token("r1", "p1")).await;
    send(&mut ws, json!({"a": "op", "c": "e", "d": "r1:x", "v": 0, "seq": 1, "create": {"type": "json0", "data": {"l": []}}})).await;
    assert_eq!(recv(&mut ws).await["v"], 0);
    for i in 0..20u64 {
        send(&mut ws, json!({"a": "op", "c": "e", "d": "r1:x", "v": i + 1, "seq": i + 2, "op": [{"p": ["l", 0], "li": i}]})).await;
        assert_eq!(recv(&mut ws).await["v"], i + 1);
    }
    drop(ws);
    running.shutdown();
    running.wait().await.unwrap();
    assert!(
        !dir.path().join("tertulia.db").exists(),
        "nothing went to SQLite"
    );

    let again = server::start(config(dir.path(), &["--database-url", &url]))
        .await
        .unwrap();
    let mut ws = connect(again.addr, &token("r1", "p2")).await;
    send(&mut ws, json!({"a": "f", "c": "e", "d": "r1:x"})).await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["data"]["v"], 21);
    assert_eq!(
        reply["data"]["data"]["l"].as_array().map(Vec::len),
        Some(20)
    );
    drop(ws);
    again.shutdown();
    again.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_in_prometheus_format() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &[])).await.unwrap();
    let mut ws = connect(running.addr, &token("m1", "p1")).await;
    send(&mut ws, json!({"a": "op", "c": "e", "d": "m1", "v": 0, "seq": 1, "create": {"type": "json0", "data": {}}})).await;
    assert_eq!(recv(&mut ws).await["v"], 0);
    let r = crate::harness::http(running.addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    for name in [
        "sync_ops_committed_total",
        "store_commits_total",
        "tertulia_ws_connections",
        "tertulia_rooms_open",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    drop(ws);
    running.shutdown();
    running.wait().await.unwrap();
}
