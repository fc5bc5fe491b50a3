//! What the tests share: reading what a session queued for its connection.

use std::time::Duration;

use serde_json::Value;

/// Every message queued for the connection until `pred` matches one.
pub async fn until(rx: &mut sync::ConnRx, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let out = tokio::time::timeout(Duration::from_secs(10), rx.rx.recv())
            .await
            .expect("a message within 10 s")
            .expect("the queue is open");
        for bytes in out.into_messages() {
            let msg: Value = serde_json::from_slice(&bytes).expect("JSON");
            let done = pred(&msg);
            seen.push(msg);
            if done {
                return seen;
            }
        }
    }
}

/// An ack: an `op` message without a body.
pub fn is_ack(msg: &Value) -> bool {
    msg["a"] == "op" && msg.get("op").is_none() && msg.get("create").is_none()
}
