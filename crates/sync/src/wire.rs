//! ShareDB protocol 1.2 messages as JSON. The only module of the crate that
//! knows the wire's field names.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::SyncError;
use crate::doc::{Body, CommittedOp};

/// The type URI ShareDB clients use for json0.
pub const JSON0_URI: &str = "http://sharejs.org/types/JSONv0";

/// Protocol version spoken.
pub const PROTOCOL_MAJOR: u64 = 1;
/// Protocol minor version spoken.
pub const PROTOCOL_MINOR: u64 = 2;

/// Serializes a message.
pub fn encode(v: &Value) -> Bytes {
    // Serializing a `Value` to a Vec cannot fail: keys are strings and
    // numbers are finite by construction.
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

/// The request echoed back with `error: {code, message}`.
pub fn error_reply(request: &Map<String, Value>, err: &SyncError) -> Bytes {
    let mut reply = request.clone();
    reply.insert("error".into(), err.to_value());
    encode(&Value::Object(reply))
}

/// [`error_reply`] for a request kept as its original text.
pub fn error_reply_raw(request: &str, err: &SyncError) -> Bytes {
    match serde_json::from_str::<Value>(request) {
        Ok(Value::Object(m)) => error_reply(&m, err),
        _ => bare_error(err),
    }
}

/// An error reply to a message that was not even an object.
pub fn bare_error(err: &SyncError) -> Bytes {
    encode(&json!({ "error": err.to_value() }))
}

/// `init` (sent on connect) or `hs` (the handshake reply).
pub fn init(action: &str, client_id: &str) -> Bytes {
    encode(&json!({
        "a": action,
        "protocol": PROTOCOL_MAJOR,
        "protocolMinor": PROTOCOL_MINOR,
        "id": client_id,
        "type": JSON0_URI,
    }))
}

/// An `op` message: the acknowledgement of a client's own op (no body) or
/// a committed op as every other subscriber receives it. Serialized
/// straight from borrowed fields: one goes out per commit and one per
/// submit, and building a `Value` map for each was a visible part of a
/// commit's cost.
#[derive(Serialize)]
struct OpMessage<'a> {
    a: &'static str,
    c: &'a str,
    d: &'a str,
    v: u64,
    src: &'a str,
    seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    create: Option<Create<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<&'a ot::Op>,
    #[serde(skip_serializing_if = "Option::is_none")]
    del: Option<bool>,
}

#[derive(Serialize)]
struct Create<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: &'a Value,
}

impl<'a> OpMessage<'a> {
    /// The head every `op` message has, without a body.
    fn head(c: &'a str, d: &'a str, v: u64, src: &'a str, seq: u64) -> Self {
        OpMessage {
            a: "op",
            c,
            d,
            v,
            src,
            seq,
            create: None,
            op: None,
            del: None,
        }
    }
}

/// A committed op as every other subscriber receives it.
pub fn op_message(collection: &str, doc: &str, op: &CommittedOp) -> Bytes {
    let mut message = OpMessage::head(collection, doc, op.v, &op.src, op.seq);
    match &op.body {
        Body::Create { data } => {
            message.create = Some(Create {
                kind: JSON0_URI,
                data,
            });
        }
        Body::Edit(o) => message.op = Some(o),
        Body::Delete => message.del = Some(true),
    }
    to_bytes(&message)
}

/// The acknowledgement of a client's own op: no body.
pub fn ack(collection: &str, doc: &str, v: u64, src: &str, seq: u64) -> Bytes {
    to_bytes(&OpMessage::head(collection, doc, v, src, seq))
}

fn to_bytes<T: Serialize>(message: &T) -> Bytes {
    // Strings, integers and `Value`s always serialize.
    Bytes::from(serde_json::to_vec(message).unwrap_or_default())
}

/// `{v, data, type}` of a snapshot; `type` is null for a missing document.
pub fn snapshot_data(v: u64, data: Option<&Value>) -> Value {
    match data {
        Some(d) => json!({ "v": v, "data": d, "type": JSON0_URI }),
        None => json!({ "v": v, "type": Value::Null }),
    }
}

/// A reply `{a, c, d, …extra}` to a document request.
pub fn doc_reply(action: &str, collection: &str, doc: &str, extra: Option<(&str, Value)>) -> Bytes {
    let mut m = Map::new();
    m.insert("a".into(), json!(action));
    m.insert("c".into(), json!(collection));
    m.insert("d".into(), json!(doc));
    if let Some((k, v)) = extra {
        m.insert(k.into(), v);
    }
    encode(&Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{ClientOp, DocState};

    #[test]
    fn committed_ops_print_as_sharedb_sends_them() {
        let mut doc = DocState::empty("c", "d", 8);
        let op = |seq, body| ClientOp {
            src: "p.1".into(),
            seq,
            v: None,
            body,
        };
        let data = json!({"l": [], "s": "é"});
        let create = doc
            .commit(op(1, Body::Create { data }), 0, 1 << 20)
            .unwrap();
        let edit = ot::Op::from_value(
            &json!([{"p": ["l", 0], "li": {"b": 1, "a": [2]}}, {"p": ["s", 1], "si": "\"x\""}]),
        )
        .unwrap();
        let edit = doc.commit(op(2, Body::Edit(edit)), 0, 1 << 20).unwrap();
        let delete = doc.commit(op(3, Body::Delete), 0, 1 << 20).unwrap();
        let text = |b: &Bytes| std::str::from_utf8(b).unwrap().to_owned();
        assert_eq!(
            text(&create.wire),
            r#"{"a":"op","c":"c","d":"d","v":0,"src":"p.1","seq":1,"create":{"type":"http://sharejs.org/types/JSONv0","data":{"l":[],"s":"é"}}}"#
        );
        assert_eq!(
            text(&edit.wire),
            r#"{"a":"op","c":"c","d":"d","v":1,"src":"p.1","seq":2,"op":[{"li":{"a":[2],"b":1},"p":["l",0]},{"p":["s",1],"si":"\"x\""}]}"#
        );
        assert_eq!(
            text(&delete.wire),
            r#"{"a":"op","c":"c","d":"d","v":2,"src":"p.1","seq":3,"del":true}"#
        );
        assert_eq!(
            text(&ack("c", "d", 1, "p.1", 2)),
            r#"{"a":"op","c":"c","d":"d","v":1,"src":"p.1","seq":2}"#
        );
    }
}
