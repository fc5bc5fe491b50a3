//! One client connection's side of the ShareDB protocol: parsing and
//! checking each message, enforcing the connection's limits and room scope,
//! and routing requests to document tasks and presence channels.
//!
//! The WebSocket itself belongs to the server crate; it hands each text
//! message to [`Session::handle_text`] and writes whatever the connection's
//! queue yields.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::SyncError;
use crate::actor::{DocCommand, Respond};
use crate::conn::ConnTx;
use crate::doc::{Body, ClientOp};
use crate::docs::{DocKey, Docs};
use crate::presence::Presence;
use crate::wire::{self, JSON0_URI};

/// What a token lets a connection reach: documents `room` and `room:…`.
#[derive(Debug, Clone)]
pub struct Access {
    /// The room.
    pub room: String,
    /// The participant; client ids are `<participant>.<random>`.
    pub participant: String,
}

impl Access {
    /// True for the room's own documents: `room` and `room:…`.
    pub fn doc_allowed(&self, id: &str) -> bool {
        id == self.room
            || id
                .strip_prefix(self.room.as_str())
                .is_some_and(|rest| rest.starts_with(':'))
    }

    /// Presence channels: a room document id, or `collection.docId` for one.
    pub fn channel_allowed(&self, channel: &str) -> bool {
        self.doc_allowed(channel)
            || channel
                .match_indices('.')
                .any(|(i, _)| self.doc_allowed(&channel[i + 1..]))
    }
}

/// A token bucket of ops.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The protocol state of one connection.
pub struct Session {
    conn: ConnTx,
    access: Access,
    src: String,
    docs: Docs,
    presence: Presence,
    subscribed: HashSet<DocKey>,
    bucket: Bucket,
    /// Channels joined (`ps`).
    channels: HashSet<String>,
    /// The last presence this connection published, per channel and id,
    /// so that its disappearance can be announced when it disconnects.
    published: HashMap<String, HashMap<String, Map<String, Value>>>,
    /// The document this connection last submitted to, and its task's
    /// queue (see [`Docs::send_command_via`]): clients submit op after op
    /// to one document.
    last_submit: Option<(DocKey, mpsc::WeakSender<DocCommand>)>,
}

const ACTIONS_WITH_DOC: &[&str] = &["s", "f", "u", "op", "nf", "nt"];

impl Session {
    /// A session for `conn`, allowed `access`, named `client_id`.
    pub fn new(
        conn: ConnTx,
        access: Access,
        client_id: String,
        docs: Docs,
        presence: Presence,
    ) -> Session {
        let burst = docs.limits().ops_burst;
        Session {
            conn,
            access,
            src: client_id,
            docs,
            presence,
            subscribed: HashSet::new(),
            bucket: Bucket {
                tokens: burst,
                last: Instant::now(),
            },
            channels: HashSet::new(),
            published: HashMap::new(),
            last_submit: None,
        }
    }

    /// The `init` message to send first.
    pub fn init_message(&self) -> Bytes {
        wire::init("init", &self.src)
    }

    /// The client id this connection submits ops as.
    pub fn client_id(&self) -> &str {
        &self.src
    }

    fn reply(&self, msg: Bytes) {
        self.conn.text(msg);
    }

    fn reply_error(&self, request: &Map<String, Value>, err: SyncError) {
        self.reply(wire::error_reply(request, &err));
    }

    /// Handles one text message from the client.
    pub async fn handle_text(&mut self, text: &str) {
        let max = self.docs.limits().max_message_bytes;
        if text.len() > max {
            self.reply(wire::bare_error(&SyncError::MessageTooLarge(
                text.len(),
                max,
            )));
            return;
        }
        if let Some((key, submit)) = self.quick_submit(text) {
            self.send_submit(key, submit).await;
            return;
        }
        let request = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                self.reply(wire::bare_error(&SyncError::BadMessage(
                    "message is not a JSON object".into(),
                )));
                return;
            }
            Err(e) => {
                self.reply(wire::bare_error(&SyncError::BadMessage(format!(
                    "message is not JSON: {e}"
                ))));
                return;
            }
        };
        if let Err(e) = self.handle(&request, text).await {
            self.reply_error(&request, e);
        }
    }

    async fn handle(&mut self, request: &Map<String, Value>, raw: &str) -> Result<(), SyncError> {
        check_request(request)?;
        let action = request.get("a").and_then(Value::as_str).unwrap_or_default();
        match action {
            "hs" => {
                if let Some(id) = request.get("id").and_then(Value::as_str) {
                    // A reconnecting client keeps its id, but only one of its
                    // own participant: ids decide which ops are duplicates.
                    if id.len() <= 128
                        && id
                            .strip_prefix(self.access.participant.as_str())
                            .is_some_and(|r| r.starts_with('.'))
                    {
                        self.src = id.to_string();
                    }
                }
                self.reply(wire::init("hs", &self.src));
                Ok(())
            }
            "s" | "f" => self.subscribe(request, action == "f").await,
            "u" => {
                let key = self.doc_key(request)?;
                self.subscribed.remove(&key);
                let cmd = DocCommand::Unsubscribe {
                    conn: self.conn.clone(),
                    request: Some(request.clone()),
                };
                self.docs.send(&key, cmd).await;
                Ok(())
            }
            "bs" | "bf" => self.bulk(request, action == "bf").await,
            "bu" => {
                let collection = string_field(request, "c")?;
                for id in bulk_ids(request)? {
                    let key = DocKey {
                        collection: collection.clone(),
                        id: id.0,
                    };
                    if self.subscribed.remove(&key) {
                        self.docs
                            .send(
                                &key,
                                DocCommand::Unsubscribe {
                                    conn: self.conn.clone(),
                                    request: None,
                                },
                            )
                            .await;
                    }
                }
                let mut reply = Map::new();
                reply.insert("a".into(), json!("bu"));
                reply.insert("c".into(), json!(collection));
                if let Some(b) = request.get("b") {
                    reply.insert("b".into(), b.clone());
                }
                self.reply(wire::encode(&Value::Object(reply)));
                Ok(())
            }
            "op" => self.submit(request, raw).await,
            "nf" => {
                let key = self.doc_key(request)?;
                let version = request.get("v").and_then(Value::as_u64);
                let (tx, rx) = oneshot::channel();
                self.docs
                    .send(&key, DocCommand::SnapshotAt { version, reply: tx })
                    .await;
                let snapshot = rx.await.map_err(|_| SyncError::Unavailable)??;
                let mut reply = Map::new();
                reply.insert("a".into(), json!("nf"));
                if let Some(id) = request.get("id") {
                    reply.insert("id".into(), id.clone());
                }
                if let Value::Object(s) = snapshot {
                    reply.extend(s);
                }
                self.reply(wire::encode(&Value::Object(reply)));
                Ok(())
            }
            "p" => self.publish_presence(request).await,
            "ps" => {
                let channel = self.channel(request)?;
                if !self.channels.contains(&channel)
                    && self.channels.len() >= self.docs.limits().max_presence_channels
                {
                    return Err(SyncError::TooManySubscriptions(
                        self.docs.limits().max_presence_channels,
                    ));
                }
                self.presence.join(&channel, &self.conn);
                self.channels.insert(channel.clone());
                self.reply(wire::encode(
                    &json!({ "a": "ps", "ch": channel, "seq": request.get("seq") }),
                ));
                // Ask the others to send their presence to the newcomer.
                self.presence.publish(
                    &channel,
                    self.conn.id,
                    wire::encode(&json!({ "a": "pr", "ch": channel })),
                );
                Ok(())
            }
            "pu" => {
                let channel = self.channel(request)?;
                self.presence.leave(&channel, self.conn.id);
                self.channels.remove(&channel);
                self.reply(wire::encode(
                    &json!({ "a": "pu", "ch": channel, "seq": request.get("seq") }),
                ));
                Ok(())
            }
            "pr" => {
                let channel = self.channel(request)?;
                self.presence.publish(
                    &channel,
                    self.conn.id,
                    wire::encode(&json!({ "a": "pr", "ch": channel })),
                );
                Ok(())
            }
            "pp" => {
                self.reply(wire::encode(&json!({ "a": "pp" })));
                Ok(())
            }
            "qf" | "qs" | "qu" => Err(SyncError::QueriesNotSupported),
            "nt" => Err(SyncError::BadMessage(
                "snapshots by timestamp are not supported".into(),
            )),
            _ => Err(SyncError::BadMessage("Invalid or unknown message".into())),
        }
    }

    fn doc_key(&self, request: &Map<String, Value>) -> Result<DocKey, SyncError> {
        let collection = string_field(request, "c")?;
        let id = string_field(request, "d")?;
        if !self.access.doc_allowed(&id) {
            return Err(SyncError::Forbidden(format!(
                "document {id:?} is not in room {:?}",
                self.access.room
            )));
        }
        Ok(DocKey { collection, id })
    }

    fn channel(&self, request: &Map<String, Value>) -> Result<String, SyncError> {
        let channel = string_field(request, "ch")?;
        if !self.access.channel_allowed(&channel) {
            return Err(SyncError::Forbidden(format!(
                "presence channel {channel:?} is not in room {:?}",
                self.access.room
            )));
        }
        Ok(channel)
    }

    async fn subscribe(
        &mut self,
        request: &Map<String, Value>,
        fetch_only: bool,
    ) -> Result<(), SyncError> {
        let key = self.doc_key(request)?;
        if !fetch_only && !self.subscribed.contains(&key) {
            let max = self.docs.limits().max_subscriptions;
            if self.subscribed.len() >= max {
                return Err(SyncError::TooManySubscriptions(max));
            }
            self.subscribed.insert(key.clone());
        }
        let cmd = DocCommand::Subscribe {
            conn: self.conn.clone(),
            version: request.get("v").and_then(Value::as_u64),
            fetch_only,
            respond: Respond::Push(request.clone()),
        };
        self.docs.send(&key, cmd).await;
        Ok(())
    }

    async fn bulk(
        &mut self,
        request: &Map<String, Value>,
        fetch_only: bool,
    ) -> Result<(), SyncError> {
        let collection = string_field(request, "c")?;
        let ids = bulk_ids(request)?;
        let max = self.docs.limits().max_subscriptions;
        let mut data = Map::new();
        let mut waiting = Vec::new();
        for (id, version) in ids {
            let key = DocKey {
                collection: collection.clone(),
                id: id.clone(),
            };
            if !self.access.doc_allowed(&id) {
                let e = SyncError::Forbidden(format!(
                    "document {id:?} is not in room {:?}",
                    self.access.room
                ));
                data.insert(id, json!({ "error": e.to_value() }));
                continue;
            }
            if !fetch_only && !self.subscribed.contains(&key) {
                if self.subscribed.len() >= max {
                    data.insert(
                        id,
                        json!({ "error": SyncError::TooManySubscriptions(max).to_value() }),
                    );
                    continue;
                }
                self.subscribed.insert(key.clone());
            }
            let (tx, rx) = oneshot::channel();
            let cmd = DocCommand::Subscribe {
                conn: self.conn.clone(),
                version,
                fetch_only,
                respond: Respond::Oneshot(tx),
            };
            self.docs.send(&key, cmd).await;
            waiting.push((id, rx));
        }
        for (id, rx) in waiting {
            match rx.await {
                Ok(Ok(Some(snapshot))) => {
                    data.insert(id, snapshot);
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    data.insert(id, json!({ "error": e.to_value() }));
                }
                Err(_) => {
                    data.insert(id, json!({ "error": SyncError::Unavailable.to_value() }));
                }
            }
        }
        let mut reply = Map::new();
        reply.insert("a".into(), json!(if fetch_only { "bf" } else { "bs" }));
        reply.insert("c".into(), json!(collection));
        if data.is_empty() {
            if let Some(b) = request.get("b") {
                reply.insert("b".into(), b.clone());
            }
        } else {
            reply.insert("data".into(), Value::Object(data));
        }
        self.reply(wire::encode(&Value::Object(reply)));
        Ok(())
    }

    fn take_token(&mut self) -> Result<(), SyncError> {
        let limits = self.docs.limits();
        let now = Instant::now();
        let elapsed = now.duration_since(self.bucket.last).as_secs_f64();
        self.bucket.last = now;
        self.bucket.tokens =
            (self.bucket.tokens + elapsed * limits.ops_per_second).min(limits.ops_burst);
        if self.bucket.tokens < 1.0 {
            return Err(SyncError::RateLimited);
        }
        self.bucket.tokens -= 1.0;
        Ok(())
    }

    /// An edit `op` in its usual shape, checked by the same rules as
    /// [`Session::submit`] but read straight into typed fields: the `Value`
    /// tree of the envelope (a map, its keys and strings) was most of the
    /// cost of reading a submit. Anything else (other fields, escapes in
    /// the strings, a create or delete, a failed check) returns `None` and
    /// goes the general way, which also writes every error reply, so
    /// both ways accept and refuse the same messages.
    fn quick_submit(&mut self, text: &str) -> Option<(DocKey, DocCommand)> {
        let r: QuickOp<'_> = serde_json::from_str(text).ok()?;
        // `doc_key` also wants the names non-empty.
        let name_ok = |s: &str| !s.is_empty() && name_allowed(s);
        if r.a != "op" || !name_ok(r.c) || !name_ok(r.d) || !self.access.doc_allowed(r.d) {
            return None;
        }
        let src = match r.src {
            None => self.src.clone(),
            Some(s) if s == self.src || self.is_own_client_id(s) => s.to_owned(),
            Some(_) => return None,
        };
        let body = parse_edit(&r.op, self.docs.limits().max_op_components).ok()?;
        self.take_token().ok()?;
        let key = DocKey {
            collection: r.c.to_owned(),
            id: r.d.to_owned(),
        };
        let submit = DocCommand::Submit {
            conn: self.conn.clone(),
            op: ClientOp {
                src,
                seq: r.seq,
                v: r.v,
                body,
            },
            request: text.into(),
        };
        Some((key, submit))
    }

    /// Whether `id` is a client id of this connection's participant.
    fn is_own_client_id(&self, id: &str) -> bool {
        id.strip_prefix(self.access.participant.as_str())
            .is_some_and(|r| r.starts_with('.'))
    }

    async fn submit(&mut self, request: &Map<String, Value>, raw: &str) -> Result<(), SyncError> {
        let (key, cmd) = self.submit_command(request, raw)?;
        self.send_submit(key, cmd).await;
        Ok(())
    }

    /// Hands a submit to its document's task, through the queue kept from
    /// the last submit when it is for the same document.
    async fn send_submit(&mut self, key: DocKey, cmd: DocCommand) {
        let mut queue = match self.last_submit.take() {
            Some((last, queue)) if last == key => Some(queue),
            _ => None,
        };
        if let Err((cmd, e)) = self.docs.send_command_via(&mut queue, &key, cmd).await {
            crate::actor::fail(cmd, e);
        }
        self.last_submit = queue.map(|queue| (key, queue));
    }

    /// The document and command for an `op` request.
    fn submit_command(
        &mut self,
        request: &Map<String, Value>,
        raw: &str,
    ) -> Result<(DocKey, DocCommand), SyncError> {
        let key = self.doc_key(request)?;
        self.take_token()?;
        let src = match request.get("src") {
            None | Some(Value::Null) => self.src.clone(),
            Some(Value::String(s)) if *s == self.src || self.is_own_client_id(s) => s.clone(),
            Some(_) => {
                return Err(SyncError::Forbidden(
                    "ops may only be submitted as this participant".into(),
                ));
            }
        };
        let seq = request
            .get("seq")
            .and_then(Value::as_u64)
            .ok_or_else(|| SyncError::BadMessage("seq must be a non-negative integer".into()))?;
        let v = request.get("v").and_then(Value::as_u64);
        let body = parse_body(request, self.docs.limits().max_op_components)?;
        let op = ClientOp { src, seq, v, body };
        let cmd = DocCommand::Submit {
            conn: self.conn.clone(),
            op,
            request: raw.into(),
        };
        Ok((key, cmd))
    }

    async fn publish_presence(&mut self, request: &Map<String, Value>) -> Result<(), SyncError> {
        let channel = self.channel(request)?;
        let id = string_field(request, "id")?;
        let mut presence = Map::new();
        presence.insert("a".into(), json!("p"));
        presence.insert("ch".into(), json!(channel));
        presence.insert("src".into(), json!(self.src));
        presence.insert("id".into(), json!(id));
        for k in ["p", "pv", "c", "d", "v", "t"] {
            presence.insert(k.into(), request.get(k).cloned().unwrap_or(Value::Null));
        }
        if let (Some(Value::String(_)), Some(Value::String(d))) =
            (request.get("c"), request.get("d"))
            && !self.access.doc_allowed(d)
        {
            return Err(SyncError::Forbidden(format!(
                "document {d:?} is not in room {:?}",
                self.access.room
            )));
        }
        self.transform_doc_presence(&mut presence).await;
        let mine = self.published.entry(channel.clone()).or_default();
        if presence.get("p").is_some_and(Value::is_null) {
            mine.remove(&id);
        } else {
            mine.insert(id, presence.clone());
        }
        let msg = wire::encode(&Value::Object(presence));
        self.presence.publish(&channel, self.conn.id, msg.clone());
        // The sender's copy is its acknowledgement.
        self.reply(msg);
        Ok(())
    }

    /// Document presence whose value is a json0 cursor (a path ending in a
    /// position) made at an older version is moved through the ops
    /// committed since, so everyone sees it where it belongs now; a cursor
    /// whose string or list was removed becomes null.
    async fn transform_doc_presence(&self, presence: &mut Map<String, Value>) {
        let (Some(Value::String(c)), Some(Value::String(d)), Some(v)) = (
            presence.get("c"),
            presence.get("d"),
            presence.get("v").and_then(Value::as_u64),
        ) else {
            return;
        };
        let Some(cursor) = presence.get("p").and_then(|p| ot::path_from_value(p).ok()) else {
            return;
        };
        if !matches!(cursor.last(), Some(ot::PathElem::Index(_))) {
            return;
        }
        let key = DocKey {
            collection: c.clone(),
            id: d.clone(),
        };
        let (tx, rx) = oneshot::channel();
        self.docs
            .send(
                &key,
                DocCommand::TransformCursor {
                    version: v,
                    cursor,
                    reply: tx,
                },
            )
            .await;
        if let Ok(Ok((moved, head))) = rx.await {
            let p = moved.map_or(Value::Null, |path| ot::path_to_value(&path));
            presence.insert("p".into(), p);
            presence.insert("v".into(), json!(head));
        }
    }

    /// The connection is gone: leave every document and channel, and tell
    /// the others that this connection's presence is gone.
    pub async fn close(self) {
        for key in &self.subscribed {
            self.docs
                .send(
                    key,
                    DocCommand::Leave {
                        conn_id: self.conn.id,
                    },
                )
                .await;
        }
        for (channel, mine) in self.published {
            for (_, mut presence) in mine {
                presence.insert("p".into(), Value::Null);
                self.presence.publish(
                    &channel,
                    self.conn.id,
                    wire::encode(&Value::Object(presence)),
                );
            }
        }
        for channel in &self.channels {
            self.presence.leave(channel, self.conn.id);
        }
    }
}

/// ShareDB's `_checkRequest`: field types before anything else.
/// ShareDB's rule for collection, document and channel names.
fn name_allowed(s: &str) -> bool {
    s != "__proto__" && s != "constructor" && s.len() <= 256
}

fn check_request(r: &Map<String, Value>) -> Result<(), SyncError> {
    let bad = |m: &str| Err(SyncError::BadMessage(m.to_string()));
    let Some(Value::String(action)) = r.get("a") else {
        return bad("Invalid or unknown message");
    };
    let name_ok = |k: &str| match r.get(k) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => name_allowed(s),
        Some(_) => false,
    };
    if !name_ok("c") {
        return bad("Invalid collection");
    }
    if ACTIONS_WITH_DOC.contains(&action.as_str()) || action == "p" {
        if !name_ok("d") {
            return bad("Invalid id");
        }
        match r.get("v") {
            None | Some(Value::Null) => {}
            Some(v) if v.as_u64().is_some() => {}
            Some(_) => return bad("Invalid version"),
        }
    }
    if !name_ok("ch") {
        return bad("Invalid presence channel");
    }
    match r.get("seq") {
        None | Some(Value::Null) => {}
        Some(Value::Number(_)) => {}
        Some(_) => return bad("Invalid seq"),
    }
    Ok(())
}

fn string_field(r: &Map<String, Value>, k: &str) -> Result<String, SyncError> {
    match r.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(SyncError::BadMessage(format!("missing or invalid {k:?}"))),
    }
}

/// The ids of a bulk request: `b` is a list of ids or a map id → version.
fn bulk_ids(r: &Map<String, Value>) -> Result<Vec<(String, Option<u64>)>, SyncError> {
    let bad = || SyncError::BadMessage("Invalid bulk subscribe data".into());
    match r.get("b") {
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().map(|s| (s.to_string(), None)).ok_or_else(bad))
            .collect(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(id, v)| match v {
                Value::Null => Ok((id.clone(), None)),
                v => v.as_u64().map(|v| (id.clone(), Some(v))).ok_or_else(bad),
            })
            .collect(),
        _ => Err(bad()),
    }
}

/// The shape of nearly every submit, for [`Session::quick_submit`]. The
/// strings are borrowed, so one with an escape fails here and takes the
/// general path; so do a duplicate or unknown field, a missing `seq` and a
/// `v` or `seq` that is not a non-negative integer.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct QuickOp<'a> {
    a: &'a str,
    c: &'a str,
    d: &'a str,
    v: Option<u64>,
    src: Option<&'a str>,
    seq: u64,
    op: Value,
    /// The npm client's `x: {}` (extra data); nothing reads it.
    #[serde(default, rename = "x")]
    _x: Option<serde::de::IgnoredAny>,
}

/// The body of an `op` message: `create`, `op` or `del` (ShareDB's checkOp).
fn parse_body(r: &Map<String, Value>, max_components: usize) -> Result<Body, SyncError> {
    if let Some(create) = r.get("create").filter(|c| !c.is_null()) {
        let Value::Object(create) = create else {
            return Err(SyncError::OpBadlyFormed(
                "create data must be an object".into(),
            ));
        };
        let ty = create
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| SyncError::OpBadlyFormed("missing create type".into()))?;
        if ty != JSON0_URI && ty != "json0" {
            return Err(SyncError::TypeNotRecognized(ty.to_string()));
        }
        return Ok(Body::Create {
            data: create.get("data").cloned().unwrap_or(Value::Null),
        });
    }
    if let Some(del) = r.get("del").filter(|d| !d.is_null()) {
        return match del {
            Value::Bool(true) => Ok(Body::Delete),
            _ => Err(SyncError::OpBadlyFormed("del value must be true".into())),
        };
    }
    let Some(op) = r.get("op") else {
        return Err(SyncError::OpBadlyFormed(
            "missing op, create, or del".into(),
        ));
    };
    parse_edit(op, max_components)
}

/// A json0 edit (the `op` field) of at most `max_components` components.
fn parse_edit(op: &Value, max_components: usize) -> Result<Body, SyncError> {
    let Value::Array(components) = op else {
        return Err(SyncError::OpBadlyFormed("json0 op must be an array".into()));
    };
    if components.len() > max_components {
        return Err(SyncError::OpTooLarge(components.len(), max_components));
    }
    ot::Op::from_value(op)
        .map(Body::Edit)
        .map_err(|e| SyncError::OpBadlyFormed(format!("{e} ({})", e.code())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_scope_documents_and_channels() {
        let a = Access {
            room: "A".into(),
            participant: "p1".into(),
        };
        assert!(a.doc_allowed("A"));
        assert!(a.doc_allowed("A:slides"));
        assert!(!a.doc_allowed("A2"));
        assert!(!a.doc_allowed("B:A"));
        assert!(a.channel_allowed("elements.A:x"));
        assert!(a.channel_allowed("A:cursors"));
        assert!(!a.channel_allowed("elements.B"));
    }

    /// The document and op a submit command carries.
    fn submitted(cmd: (DocKey, DocCommand)) -> (DocKey, ClientOp) {
        match cmd {
            (key, DocCommand::Submit { op, .. }) => (key, op),
            (_, other) => panic!("not a submit: {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_quick_submit_takes_only_what_the_general_one_takes_alike() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = store::Store::open(&url, store::StoreOptions::default())
            .await
            .unwrap();
        let limits = crate::Limits {
            max_op_components: 2,
            ..crate::Limits::default()
        };
        let docs = Docs::new(store, std::sync::Arc::new(limits));
        let (tx, _rx) = crate::conn::channel(1, 16);
        let access = Access {
            room: "r".into(),
            participant: "p".into(),
        };
        let mut session = Session::new(tx, access, "p.1".into(), docs, Presence::default());
        let edit = r#""op":[{"p":["l",0],"li":"x"}]"#;
        let taken = [
            format!(r#"{{"a":"op","c":"e","d":"r","v":3,"seq":1,{edit}}}"#),
            format!(r#"{{"seq":9,{edit},"d":"r:notes","c":"e","a":"op","src":"p.1"}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","v":null,"seq":1,"src":"p.old",{edit}}}"#),
            r#"{"a":"op","c":"e","d":"r","seq":2,"op":[]}"#.to_string(),
            // as the npm client sends it
            format!(r#"{{"a":"op","c":"e","d":"r","v":7,"seq":3,"x":{{}},{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","seq":4,"x":[1,{{"y":null}}],{edit}}}"#),
        ];
        let refused_or_general = [
            // other actions, bodies and fields
            r#"{"a":"s","c":"e","d":"r"}"#.to_string(),
            r#"{"a":"op","c":"e","d":"r","v":0,"seq":1,"create":{"type":"json0","data":{}}}"#
                .to_string(),
            r#"{"a":"op","c":"e","d":"r","v":1,"seq":1,"del":true}"#.to_string(),
            format!(r#"{{"a":"op","c":"e","d":"r","seq":1,"xx":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","seq":1,"create":null,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","seq":1,"seq":2,{edit}}}"#),
            // escapes, and values the checks refuse
            format!(r#"{{"a":"op","c":"e","d":"\u0072","seq":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","v":-1,"seq":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","v":1.5,"seq":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","seq":null,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r",{edit}}}"#),
            format!(r#"{{"a":"op","c":"","d":"r","seq":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"__proto__","d":"r","seq":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"other","seq":1,{edit}}}"#),
            format!(r#"{{"a":"op","c":"e","d":"r","seq":1,"src":"q.1",{edit}}}"#),
            r#"{"a":"op","c":"e","d":"r","seq":1,"op":{"p":[]}}"#.to_string(),
            r#"{"a":"op","c":"e","d":"r","seq":1,"op":[{"p":["l"],"zz":1}]}"#.to_string(),
            r#"{"a":"op","c":"e","d":"r","seq":1,"op":[{"p":["a"],"na":1},{"p":["b"],"na":1},{"p":["c"],"na":1}]}"#.to_string(),
        ];
        for text in &taken {
            let quick = session.quick_submit(text).map(submitted);
            let request = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(m)) => m,
                other => panic!("{other:?}"),
            };
            check_request(&request).unwrap();
            let general = session.submit_command(&request, text).map(submitted);
            let ((qk, qop), (gk, gop)) = (quick.expect(text), general.expect(text));
            assert_eq!(qk, gk, "{text}");
            assert_eq!(
                (qop.src, qop.seq, qop.v, qop.body),
                (gop.src, gop.seq, gop.v, gop.body),
                "{text}"
            );
        }
        for text in &refused_or_general {
            assert!(session.quick_submit(text).is_none(), "{text:?}");
        }
    }
}
