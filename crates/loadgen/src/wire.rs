//! The ShareDB wire protocol (1.2, as spoken by the npm `sharedb` 7.0.0
//! client) seen from the client: the messages a simulated client sends,
//! byte-for-byte in the shape `Connection.send` produces them, and a
//! tolerant parser for what the server sends back. The only module that
//! knows the JSON field names.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The URI ShareDB's server announces as its default type, and the type of
/// every document the load generator creates.
pub const JSON0_URI: &str = "http://sharejs.org/types/JSONv0";

/// The protocol major version both sides must agree on.
pub const PROTOCOL_MAJOR: u64 = 1;

/// The protocol minor version the 7.0.0 client announces.
pub const PROTOCOL_MINOR: u64 = 2;

/// `{"a":"hs","id":…,"protocol":1,"protocolMinor":2}`: the client sends
/// this when the socket opens (`id` null) and again when the server's
/// `init` arrives (`id` is then whatever it learned so far, usually null).
pub fn handshake(id: Option<&str>) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Hs<'a> {
        a: &'static str,
        id: Option<&'a str>,
        protocol: u64,
        protocol_minor: u64,
    }
    to_json(&Hs {
        a: "hs",
        id,
        protocol: PROTOCOL_MAJOR,
        protocol_minor: PROTOCOL_MINOR,
    })
}

/// `{"a":"s","c":…,"d":…,"v":null}`: subscribe to a document the client
/// has no version of yet, which asks for the snapshot.
pub fn subscribe(collection: &str, id: &str) -> String {
    doc_request("s", collection, id)
}

/// `{"a":"f","c":…,"d":…,"v":null}`: fetch the snapshot (what the client
/// sends after a hard rollback, when its version is null).
pub fn fetch(collection: &str, id: &str) -> String {
    doc_request("f", collection, id)
}

fn doc_request(action: &'static str, collection: &str, id: &str) -> String {
    #[derive(Serialize)]
    struct Req<'a> {
        a: &'static str,
        c: &'a str,
        d: &'a str,
        v: Option<u64>,
    }
    to_json(&Req {
        a: action,
        c: collection,
        d: id,
        v: None,
    })
}

#[derive(Serialize)]
struct OutOp<'a> {
    a: &'static str,
    c: &'a str,
    d: &'a str,
    v: u64,
    seq: u64,
    // The client always sends an (often empty) `x` of extra data.
    x: Empty,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create: Option<CreateBody<'a>>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct CreateBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: &'a Value,
}

/// A json0 op submitted at base version `v`. Like the npm client on a first
/// attempt, it carries no `src`: the server fills in the connection's id.
pub fn op(collection: &str, id: &str, v: u64, seq: u64, op: &Value) -> String {
    to_json(&OutOp {
        a: "op",
        c: collection,
        d: id,
        v,
        seq,
        x: Empty {},
        op: Some(op),
        create: None,
    })
}

/// A create of a json0 document with `data`, at base version `v` (0 for a
/// document that never existed).
pub fn create(collection: &str, id: &str, v: u64, seq: u64, data: &Value) -> String {
    let create = CreateBody {
        kind: JSON0_URI,
        data,
    };
    to_json(&OutOp {
        a: "op",
        c: collection,
        d: id,
        v,
        seq,
        x: Empty {},
        op: None,
        create: Some(create),
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    // These structs hold only strings, integers and `Value`s, which always
    // serialize.
    serde_json::to_string(value).expect("wire structs always serialize")
}

/// A message from the server, reduced to what the load generator acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming<'a> {
    /// `init`, sent by the server as soon as the socket opens.
    Init(Hello),
    /// The reply to `hs`.
    Handshake(Result<Hello, ServerError>),
    /// The reply to `s`.
    Subscribe(DocReply),
    /// The reply to `f`.
    Fetch(DocReply),
    /// An `op` message: an ack, a broadcast op, or an error about a submit.
    Op(OpMessage<'a>),
    /// Any other action (presence, queries, pong, …), by name.
    Other(String),
}

/// The fields of `init` and `hs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hello {
    /// The connection's id; ops it submits carry it as `src`.
    pub id: Option<String>,
    /// Protocol major version.
    pub protocol: Option<u64>,
    /// The server's default type URI.
    pub default_type: Option<String>,
}

/// The `{code, message}` of a failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// ShareDB's error code, e.g. `ERR_OP_SUBMIT_REJECTED`.
    pub code: String,
    /// Human-readable text.
    pub message: String,
}

impl OpMessage<'_> {
    /// The message with its strings owned, to be kept.
    pub fn into_owned(self) -> OpMessage<'static> {
        let own = |s: Option<Cow<'_, str>>| s.map(|s| Cow::Owned(s.into_owned()));
        OpMessage {
            c: own(self.c),
            d: own(self.d),
            v: self.v,
            src: own(self.src),
            seq: self.seq,
            body: self.body.into_owned(),
            error: self.error,
        }
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A subscribe or fetch reply for one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocReply {
    /// Collection.
    pub c: Option<String>,
    /// Document id.
    pub d: Option<String>,
    /// The snapshot, or why there is none.
    pub snapshot: Result<Snapshot, ServerError>,
}

/// A document snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Version: the number of ops committed so far.
    pub v: u64,
    /// The content, or `None` when the document does not exist (ShareDB
    /// sends `"type":null` then, and omits `type` for json0 documents).
    pub data: Option<Value>,
}

/// An `op` message. Its strings borrow from the message text where they
/// can: a client reads ten of these per op it submits, and allocating them
/// was a good part of the load generator's own CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct OpMessage<'a> {
    /// Collection.
    pub c: Option<Cow<'a, str>>,
    /// Document id.
    pub d: Option<Cow<'a, str>>,
    /// The version the op was committed at (its base version).
    pub v: Option<u64>,
    /// Id of the submitting connection.
    pub src: Option<Cow<'a, str>>,
    /// The submitter's sequence number.
    pub seq: Option<u64>,
    /// What the message carries.
    pub body: OpBody<'a>,
    /// Set when the server rejected a submit; the message then echoes it.
    pub error: Option<ServerError>,
}

/// The payload of an `op` message.
#[derive(Debug, Clone, PartialEq)]
pub enum OpBody<'a> {
    /// No payload: the acknowledgement of the receiver's own submit.
    Ack,
    /// A json0 edit, as its JSON text: every peer of a document receives the
    /// same text, and the session parses each distinct one once.
    Edit(RawJson<'a>),
    /// A create, with the document's initial data.
    Create(Value),
    /// A delete.
    Del,
}

impl OpBody<'_> {
    fn into_owned(self) -> OpBody<'static> {
        match self {
            OpBody::Ack => OpBody::Ack,
            OpBody::Edit(raw) => OpBody::Edit(RawJson(Cow::Owned(raw.0.into_owned()))),
            OpBody::Create(data) => OpBody::Create(data),
            OpBody::Del => OpBody::Del,
        }
    }
}

/// The text of one JSON value, borrowed from the message where it can be.
/// Equal when the values are, however they are written: the general parse
/// re-serializes what the fast path keeps verbatim, and tests compare them.
#[derive(Debug, Clone)]
pub struct RawJson<'a>(Cow<'a, str>);

impl RawJson<'_> {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Value> for RawJson<'static> {
    fn from(value: Value) -> Self {
        RawJson(Cow::Owned(value.to_string()))
    }
}

impl PartialEq for RawJson<'_> {
    fn eq(&self, other: &Self) -> bool {
        let parse = |s: &str| serde_json::from_str::<Value>(s).ok();
        self.0 == other.0
            || matches!((parse(&self.0), parse(&other.0)), (Some(a), Some(b)) if a == b)
    }
}

impl std::fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed")]
    a: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    c: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    d: Option<Cow<'a, str>>,
    v: Option<u64>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    src: Option<Cow<'a, str>>,
    seq: Option<u64>,
    // Deliberately `Value`: `id` is a string in `hs`/`init` but a number in
    // query replies.
    id: Option<Value>,
    protocol: Option<u64>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    data: Option<Value>,
    op: Option<Value>,
    create: Option<Value>,
    del: Option<Value>,
    error: Option<Value>,
}

/// An optional string, borrowed from the text unless it has escapes.
/// (serde borrows a `Cow<str>` field only when it is not inside an
/// `Option`; plain `Option<Cow<str>>` always allocates.)
fn borrowed<'de, D>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'de>>::deserialize(deserializer)?.map(|b| b.0))
}

/// Parses one text message. Errors only on JSON that is not an object with
/// fields of the expected types; unknown fields and actions are fine.
pub fn parse(text: &str) -> Result<Incoming<'_>, serde_json::Error> {
    match fast::op_message(text) {
        Some(message) => Ok(message),
        None => parse_general(text),
    }
}

fn parse_general(text: &str) -> Result<Incoming<'_>, serde_json::Error> {
    let raw: Raw = serde_json::from_str(text)?;
    let error = raw.error.as_ref().map(server_error);
    let action = raw.a.unwrap_or_default();
    Ok(match action.as_ref() {
        "init" => Incoming::Init(hello(&raw.id, raw.protocol, &raw.kind)),
        "hs" => Incoming::Handshake(match error {
            Some(e) => Err(e),
            None => Ok(hello(&raw.id, raw.protocol, &raw.kind)),
        }),
        "s" | "f" => {
            let snapshot = match error {
                Some(e) => Err(e),
                None => snapshot(raw.data.as_ref()),
            };
            let reply = DocReply {
                c: raw.c.map(Cow::into_owned),
                d: raw.d.map(Cow::into_owned),
                snapshot,
            };
            if action == "s" {
                Incoming::Subscribe(reply)
            } else {
                Incoming::Fetch(reply)
            }
        }
        "op" => {
            let body = if let Some(op) = raw.op {
                OpBody::Edit(op.into())
            } else if let Some(create) = raw.create {
                OpBody::Create(create.get("data").cloned().unwrap_or(Value::Null))
            } else if raw.del.is_some() {
                OpBody::Del
            } else {
                OpBody::Ack
            };
            Incoming::Op(OpMessage {
                c: raw.c,
                d: raw.d,
                v: raw.v,
                src: raw.src,
                seq: raw.seq,
                body,
                error,
            })
        }
        _ => Incoming::Other(action.into_owned()),
    })
}

/// The common case without serde's machinery: an ack or a broadcast op,
/// ten of which a client reads per op it submits (serde's derived parse of
/// the envelope was a quarter of the load generator's CPU). The op itself
/// is only checked for syntax, where it stands, and kept as text (see
/// [`OpBody::Edit`]). Anything unusual (an escape, whitespace, a
/// non-integer number, a duplicate key, an error, a create or a delete)
/// makes it give up, and [`parse`] takes the general path, so both always
/// agree (tested). It knows only the fields the server sends in these.
mod fast {
    use std::borrow::Cow;

    use super::{Incoming, OpBody, OpMessage, RawJson};

    pub(super) fn op_message(text: &str) -> Option<Incoming<'_>> {
        let mut p = Scanner { text, at: 0 };
        p.eat(b'{')?;
        let (mut a, mut c, mut d, mut v, mut src, mut seq, mut op) =
            (None, None, None, None, None, None, None);
        if !p.peek_is(b'}') {
            loop {
                let key = p.string()?;
                p.eat(b':')?;
                match key {
                    "a" => set(&mut a, p.string()?)?,
                    "c" => set(&mut c, p.string()?)?,
                    "d" => set(&mut d, p.string()?)?,
                    "src" => set(&mut src, p.string()?)?,
                    "v" => set(&mut v, p.integer()?)?,
                    "seq" => set(&mut seq, p.integer()?)?,
                    "op" => set(&mut op, p.value()?)?,
                    _ => return None,
                }
                if p.peek_is(b',') {
                    p.at += 1;
                } else {
                    break;
                }
            }
        }
        p.eat(b'}')?;
        if p.at != text.len() || a != Some("op") {
            return None;
        }
        let body = op.map_or(OpBody::Ack, |raw| OpBody::Edit(RawJson(Cow::Borrowed(raw))));
        Some(Incoming::Op(OpMessage {
            c: c.map(Cow::Borrowed),
            d: d.map(Cow::Borrowed),
            v: v.flatten(),
            src: src.map(Cow::Borrowed),
            seq: seq.flatten(),
            body,
            error: None,
        }))
    }

    /// A duplicate key is an error for serde: leave it to the general path.
    fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
        slot.is_none().then(|| *slot = Some(value))
    }

    struct Scanner<'a> {
        text: &'a str,
        at: usize,
    }

    impl<'a> Scanner<'a> {
        fn peek_is(&self, byte: u8) -> bool {
            self.text.as_bytes().get(self.at) == Some(&byte)
        }

        fn eat(&mut self, byte: u8) -> Option<()> {
            self.peek_is(byte).then(|| self.at += 1)
        }

        /// A string without escapes, borrowed. One pass: it stops at the
        /// closing quote, or gives up at an escape or a control character
        /// (which JSON does not allow unescaped).
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let rest = &self.text.as_bytes()[self.at..];
            let len = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            if rest[len] != b'"' {
                return None;
            }
            // Both ends are ASCII quotes, so both are char boundaries.
            let s = self.text.get(self.at..self.at + len)?;
            self.at += len + 1;
            Some(s)
        }

        /// A non-negative integer that fits a u64 (serde's `u64`), or null.
        fn integer(&mut self) -> Option<Option<u64>> {
            if self.text[self.at..].starts_with("null") {
                self.at += 4;
                return Some(None);
            }
            let digits = self.text.as_bytes()[self.at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let after = self.text.as_bytes().get(self.at + digits);
            // A fraction or an exponent is not an integer; a leading zero
            // is not JSON.
            if digits == 0
                || matches!(after, Some(b'.' | b'e' | b'E'))
                || (digits > 1 && self.text.as_bytes()[self.at] == b'0')
            {
                return None;
            }
            let n = self.text[self.at..self.at + digits].parse().ok()?;
            self.at += digits;
            Some(Some(n))
        }

        /// The text of any JSON value but null (which serde reads as an
        /// absent field), its syntax checked where it stands without
        /// building it.
        fn value(&mut self) -> Option<&'a str> {
            let mut values = serde_json::Deserializer::from_str(&self.text[self.at..])
                .into_iter::<serde::de::IgnoredAny>();
            values.next()?.ok()?;
            let raw = &self.text[self.at..self.at + values.byte_offset()];
            self.at += raw.len();
            (raw.trim_start() != "null").then_some(raw)
        }
    }
}

fn hello(id: &Option<Value>, protocol: Option<u64>, kind: &Option<Value>) -> Hello {
    Hello {
        id: id.as_ref().and_then(Value::as_str).map(str::to_owned),
        protocol,
        default_type: kind.as_ref().and_then(Value::as_str).map(str::to_owned),
    }
}

fn server_error(error: &Value) -> ServerError {
    let text = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    ServerError {
        code: text("code"),
        message: text("message"),
    }
}

fn snapshot(data: Option<&Value>) -> Result<Snapshot, ServerError> {
    let bad = |message: &str| ServerError {
        code: "LOADGEN_BAD_REPLY".into(),
        message: message.into(),
    };
    let data = data.ok_or_else(|| bad("reply without data"))?;
    let v = data
        .get("v")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("snapshot without version"))?;
    // ShareDB omits `type` for documents of the default type and sends
    // `null` for documents that do not exist.
    let exists = match data.get("type") {
        None => data.get("data").is_some(),
        Some(kind) => !kind.is_null(),
    };
    let content = if exists {
        Some(data.get("data").cloned().unwrap_or(Value::Null))
    } else {
        None
    };
    Ok(Snapshot { v, data: content })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outgoing_messages_match_the_npm_client() {
        assert_eq!(
            handshake(None),
            r#"{"a":"hs","id":null,"protocol":1,"protocolMinor":2}"#
        );
        assert_eq!(
            subscribe("elements", "load0"),
            r#"{"a":"s","c":"elements","d":"load0","v":null}"#
        );
        assert_eq!(
            op("elements", "load0", 3, 7, &json!([{"p": ["n"], "na": 1}])),
            r#"{"a":"op","c":"elements","d":"load0","v":3,"seq":7,"x":{},"op":[{"na":1,"p":["n"]}]}"#
        );
        assert_eq!(
            create("elements", "load0", 0, 1, &json!({"n": 0})),
            r#"{"a":"op","c":"elements","d":"load0","v":0,"seq":1,"x":{},"create":{"type":"http://sharejs.org/types/JSONv0","data":{"n":0}}}"#
        );
    }

    // Messages as ShareDB 7.0.0 sent them in a recorded session.
    #[test]
    fn parses_what_sharedb_sends() {
        let init = parse(
            r#"{"a":"init","protocol":1,"protocolMinor":2,"id":"8d51","type":"http://sharejs.org/types/JSONv0"}"#,
        );
        let hello = Hello {
            id: Some("8d51".into()),
            protocol: Some(1),
            default_type: Some(JSON0_URI.into()),
        };
        assert_eq!(init.unwrap(), Incoming::Init(hello));

        let missing =
            parse(r#"{"data":{"v":0,"type":null},"a":"s","c":"elements","d":"load0"}"#).unwrap();
        let Incoming::Subscribe(reply) = missing else {
            panic!("{missing:?}")
        };
        assert_eq!(reply.snapshot, Ok(Snapshot { v: 0, data: None }));

        let fetched = parse(
            r#"{"data":{"v":4,"data":{"n":1,"log":["x"]}},"a":"f","c":"elements","d":"load0"}"#,
        )
        .unwrap();
        let Incoming::Fetch(reply) = fetched else {
            panic!("{fetched:?}")
        };
        assert_eq!(
            reply.snapshot,
            Ok(Snapshot {
                v: 4,
                data: Some(json!({"n": 1, "log": ["x"]}))
            })
        );

        let ack =
            parse(r#"{"src":"8d51","seq":2,"v":1,"a":"op","c":"elements","d":"load0"}"#).unwrap();
        let Incoming::Op(ack) = ack else {
            panic!("{ack:?}")
        };
        assert_eq!(
            (ack.v, ack.seq, ack.src.as_deref(), &ack.body),
            (Some(1), Some(2), Some("8d51"), &OpBody::Ack)
        );

        let op = parse(
            r#"{"a":"op","c":"elements","d":"load0","v":3,"src":"2f0c","seq":2,"op":[{"p":["log",1],"ld":"x"}]}"#,
        );
        let Incoming::Op(op) = op.unwrap() else {
            panic!()
        };
        assert_eq!(
            op.body,
            OpBody::Edit(json!([{"p": ["log", 1], "ld": "x"}]).into())
        );
        assert!(
            matches!(
                (&op.c, &op.d, &op.src),
                (
                    Some(Cow::Borrowed("elements")),
                    Some(Cow::Borrowed("load0")),
                    Some(Cow::Borrowed("2f0c"))
                )
            ),
            "strings without escapes are borrowed: {op:?}"
        );
        let escaped = parse(r#"{"a":"op","c":"el\u0065ments","d":"load0","v":3}"#).unwrap();
        let Incoming::Op(escaped) = escaped else {
            panic!()
        };
        assert_eq!(escaped.c.as_deref(), Some("elements"));

        let create = parse(
            r#"{"a":"op","c":"elements","d":"load0","v":0,"src":"8d51","seq":1,"create":{"type":"http://sharejs.org/types/JSONv0","data":{"n":0,"log":[]}}}"#,
        );
        let Incoming::Op(create) = create.unwrap() else {
            panic!()
        };
        assert_eq!(create.body, OpBody::Create(json!({"n": 0, "log": []})));

        let rejected = parse(
            r#"{"a":"op","c":"elements","d":"load0","v":9,"seq":3,"x":{},"op":[],"error":{"code":"ERR_X","message":"no"}}"#,
        );
        let Incoming::Op(rejected) = rejected.unwrap() else {
            panic!()
        };
        assert_eq!(
            rejected.error,
            Some(ServerError {
                code: "ERR_X".into(),
                message: "no".into()
            })
        );
    }

    /// The fast path takes the usual acks and ops, gives up on anything
    /// else, and whatever it takes, the general parse reads the same way.
    #[test]
    fn the_fast_path_agrees_with_the_general_parse() {
        let taken = [
            r#"{"a":"op","c":"elements","d":"load0","v":3,"src":"2f0c","seq":2,"op":[{"p":["log",1],"ld":"x"}]}"#,
            r#"{"a":"op","c":"elements","d":"load0","v":7,"src":"p-1.ab","seq":9}"#,
            r#"{"src":"8d51","seq":2,"v":1,"a":"op","c":"elements","d":"load0"}"#,
            r#"{"a":"op","c":"e","d":"ñandú","v":0,"src":"s","seq":0,"op":[{"p":["t",0],"si":"a\"]}[b"}]}"#,
            r#"{"a":"op","v":null,"seq":18446744073709551615}"#,
            r#"{"a":"op"}"#,
        ];
        for text in taken {
            let fast = fast::op_message(text).unwrap_or_else(|| panic!("not taken: {text}"));
            assert_eq!(fast, parse_general(text).unwrap(), "{text}");
        }
        let left = [
            r#"{"a":"op","c":"el\u0065ments","d":"load0","v":3}"#,
            r#"{"a":"op","v":3,"v":4}"#,
            r#"{"a":"op","v":-1}"#,
            r#"{"a":"op","v":1.0}"#,
            r#"{"a":"op","v":1e3}"#,
            r#"{"a":"op","v":01}"#,
            r#"{"a":"op","v":18446744073709551616}"#,
            r#"{"a":"op", "v":1}"#,
            r#"{"a":"op","v":1} "#,
            r#"{"a":"op","x":{},"op":[]}"#,
            r#"{"a":"op","op":[],"error":{"code":"E","message":"m"}}"#,
            r#"{"a":"op","create":{"data":{}}}"#,
            r#"{"a":"op","del":true}"#,
            r#"{"a":"op","op":[}"#,
            r#"{"a":"op","op":[1,]}"#,
            r#"{"a":"op","op":null}"#,
            r#"{"a":"op","op":[],"op":[]}"#,
            r#"{"a":"op","op":[] }"#,
            r#"{"a":"s","c":"elements","d":"load0"}"#,
            r#"{"a":"op","c":"a	b"}"#,
            r#"{}"#,
            "[1]",
            "",
        ];
        for text in left {
            assert_eq!(fast::op_message(text), None, "taken: {text}");
        }
    }

    #[test]
    fn tolerates_unknown_actions_and_rejects_non_objects() {
        assert_eq!(
            parse(r#"{"a":"pp"}"#).unwrap(),
            Incoming::Other("pp".into())
        );
        assert_eq!(
            parse(r#"{"a":"qs","id":3}"#).unwrap(),
            Incoming::Other("qs".into())
        );
        assert!(parse("[1]").is_err());
        assert!(parse(r#"{"a":"op","v":"one"}"#).is_err());
    }
}
