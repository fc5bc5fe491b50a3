//! One simulated ShareDB client editing one document, without IO: messages
//! go in through [`Session::handle_text`], ops are started with
//! [`Session::submit`], and what to send comes out of
//! [`Session::poll_transmit`]. Times are microseconds since the run's epoch,
//! passed in by the caller.
//!
//! It behaves like the npm client's `Connection` + `Doc`: handshake, then
//! subscribe, then at most one op in flight, submitted at the version the
//! client has reached; incoming ops are transformed against the op in
//! flight and applied to a local copy of the document, so the ops it
//! generates are always valid against the server's document (the list
//! deletes name an element that exists, with its value).

use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use ot::{Op, Side};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};

use crate::errors::{ErrorKind, ErrorTally};
use crate::stats::ChunkedLog;
use crate::wire::{self, DocReply, Hello, Incoming, OpBody, OpMessage};

/// The list in the document is trimmed with `ld` once it is this long, so
/// documents stay small however long the run.
pub const LOG_LIMIT: usize = 16;

/// Ops kept while waiting for a snapshot, beyond which they are dropped
/// (and the resulting gap repaired by a fetch).
const MAX_HELD: usize = 10_000;

/// Maps a connection id (`src`) to the index of the simulated client.
/// FxHash, not SipHash: the keys come from the server under test, not an
/// attacker, and hashing them for every receipt with SipHash (and every op
/// text for [`PARSED_OPS`]) was a twentieth of the load generator's CPU.
pub type PeerMap = FxHashMap<String, u32>;

/// An op this client submitted while recording. Indexed by `seq - seq_base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// When it was queued, right before the write to the socket.
    pub sent_us: u32,
    /// When the ack arrived, if it did.
    pub ack_us: Option<u32>,
}

/// A peer's op as received (first receipt only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recv {
    /// Index of the submitting client.
    pub from: u32,
    /// The submitter's `seq`.
    pub seq: u64,
    /// When it arrived.
    pub at_us: u32,
}

/// Where the session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the reply to `hs`.
    Handshaking,
    /// Waiting for the reply to `s`.
    Subscribing,
    /// This client is creating the document and waits for the ack.
    Creating,
    /// The document does not exist yet; another client creates it.
    WaitingForDoc,
    /// Subscribed to an existing document: ops can be submitted.
    Ready,
    /// Setup failed; the reason was recorded in the error tally.
    Failed,
}

#[derive(Debug)]
struct Inflight {
    seq: u64,
    /// `None` for a create.
    op: Option<Op>,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Session {
    collection: String,
    doc_id: String,
    creator: bool,
    phase: Phase,
    src: Option<String>,
    version: Option<u64>,
    doc: Option<Value>,
    inflight: Option<Inflight>,
    next_seq: u64,
    generated: u64,
    /// A fetch is needed (`true`) to recover from a divergence.
    resync_wanted: bool,
    fetch_pending: bool,
    /// Ops that arrived while no snapshot was in hand (before the subscribe
    /// reply, or during a fetch), with their arrival time; replayed once
    /// the snapshot is in, as ShareDB may deliver them in either order.
    held: Vec<(u32, OpMessage<'static>)>,
    peers: Option<Arc<PeerMap>>,
    seq_base: u64,
    sent: Vec<Sent>,
    recv: ChunkedLog<Recv>,
    errors: ErrorTally,
    transmit: VecDeque<String>,
}

impl Session {
    /// A client of document `doc_id`; `creator` creates it if missing.
    /// Queues the handshake the npm client sends when its socket opens.
    pub fn new(collection: &str, doc_id: &str, creator: bool) -> Session {
        let mut session = Session {
            collection: collection.to_owned(),
            doc_id: doc_id.to_owned(),
            creator,
            phase: Phase::Handshaking,
            src: None,
            version: None,
            doc: None,
            inflight: None,
            next_seq: 1,
            generated: 0,
            resync_wanted: false,
            fetch_pending: false,
            held: Vec::new(),
            peers: None,
            seq_base: 1,
            sent: Vec::new(),
            recv: ChunkedLog::default(),
            errors: ErrorTally::default(),
            transmit: VecDeque::new(),
        };
        session.transmit.push_back(wire::handshake(None));
        session
    }

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<String> {
        self.transmit.pop_front()
    }

    /// Whether [`Session::poll_transmit`] has something.
    pub fn has_transmit(&self) -> bool {
        !self.transmit.is_empty()
    }

    /// Where setup stands.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The connection id the server assigned, once the handshake is done.
    pub fn src(&self) -> Option<&str> {
        self.src.as_deref()
    }

    /// The version reached and the local document.
    pub fn state(&self) -> (Option<u64>, Option<&Value>) {
        (self.version, self.doc.as_ref())
    }

    /// The version reached and the document, if they are the server's
    /// document at that version: ready, nothing in flight (whose effect
    /// the local copy would already show), no resynchronisation under way.
    pub fn settled_state(&self) -> Option<(u64, &Value)> {
        Some((self.version?, self.doc.as_ref()?)).filter(|_| self.can_submit())
    }

    /// Errors seen so far.
    pub fn errors_mut(&mut self) -> &mut ErrorTally {
        &mut self.errors
    }

    /// Starts recording sent and received ops; `peers` resolves the `src`
    /// of received ops. Ops submitted from now on get `seq_base` onwards.
    pub fn start_recording(&mut self, peers: Arc<PeerMap>) {
        self.peers = Some(peers);
        self.seq_base = self.next_seq;
    }

    /// Gives up the records: ops sent (indexed by `seq - seq_base`), the
    /// seq of the first, ops received, and the error tally.
    pub fn into_records(self) -> Records {
        Records {
            seq_base: self.seq_base,
            sent: self.sent,
            recv: self.recv,
            errors: self.errors,
        }
    }

    /// Whether an op can be submitted now: ready, nothing in flight, not
    /// recovering from a divergence.
    pub fn can_submit(&self) -> bool {
        self.phase == Phase::Ready
            && self.inflight.is_none()
            && !self.resync_wanted
            && !self.fetch_pending
    }

    /// Submits the next op of the pattern (`na` on `n`, then a list insert
    /// or, once the list is long, a delete) if [`Session::can_submit`].
    /// Returns whether it did.
    pub fn submit(&mut self, now_us: u32) -> bool {
        if !self.can_submit() {
            return false;
        }
        let (Some(version), Some(doc)) = (self.version, self.doc.as_mut()) else {
            return false;
        };
        let log_len = doc.get("log").and_then(Value::as_array).map(Vec::len);
        let value = match (self.generated % 2, log_len) {
            (0, _) | (_, None) => json!([{"p": ["n"], "na": 1}]),
            (_, Some(len)) if len >= LOG_LIMIT => {
                let first = doc["log"][0].clone();
                json!([{"p": ["log", 0], "ld": first}])
            }
            _ => json!([{"p": ["log", 0], "li": "x"}]),
        };
        // The pattern only builds valid ops, and the document has the
        // shape it was created with unless another tool wrote to it.
        let op = match Op::from_value(&value).and_then(|op| ot::apply(doc, &op).map(|()| op)) {
            Ok(op) => op,
            Err(e) => {
                self.errors.record(ErrorKind::Ot, || {
                    format!("local op {value} on document: {e}")
                });
                self.phase = Phase::Failed;
                return false;
            }
        };
        self.generated += 1;
        let seq = self.take_seq();
        self.transmit.push_back(wire::op(
            &self.collection,
            &self.doc_id,
            version,
            seq,
            &value,
        ));
        if self.peers.is_some() {
            self.sent.push(Sent {
                sent_us: now_us,
                ack_us: None,
            });
        }
        self.inflight = Some(Inflight { seq, op: Some(op) });
        true
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// While the document does not exist yet, asks for the snapshot again,
    /// in case the create was committed without reaching this client.
    pub fn refetch(&mut self) {
        if self.phase == Phase::WaitingForDoc && !self.fetch_pending {
            self.fetch_pending = true;
            self.transmit
                .push_back(wire::fetch(&self.collection, &self.doc_id));
        }
    }

    /// Handles one text message from the server.
    pub fn handle_text(&mut self, now_us: u32, text: &str) {
        match wire::parse(text) {
            Ok(message) => self.handle(now_us, message),
            Err(e) => self.errors.record(ErrorKind::Protocol, || {
                format!("unparsable message ({e}): {text:.200}")
            }),
        }
        if self.resync_wanted
            && self.inflight.is_none()
            && !self.fetch_pending
            && self.phase != Phase::Failed
        {
            self.resync_wanted = false;
            self.fetch_pending = true;
            self.transmit
                .push_back(wire::fetch(&self.collection, &self.doc_id));
        }
    }

    fn handle(&mut self, now_us: u32, message: Incoming) {
        match message {
            Incoming::Init(hello) => {
                if hello.protocol != Some(wire::PROTOCOL_MAJOR) {
                    self.fail(
                        ErrorKind::Handshake,
                        format!("init announces protocol {:?}", hello.protocol),
                    );
                    return;
                }
                // The npm client answers `init` from a 1.1+ server with a
                // second handshake, carrying whatever id it has by then.
                let id = self.src.clone();
                self.transmit.push_back(wire::handshake(id.as_deref()));
            }
            Incoming::Handshake(reply) => self.on_handshake(reply),
            Incoming::Subscribe(reply) => self.on_subscribe(reply),
            Incoming::Fetch(reply) => self.on_fetch(reply),
            Incoming::Op(op) => self.on_op(now_us, op),
            Incoming::Other(action) => {
                self.errors.record(ErrorKind::Protocol, || {
                    format!("unexpected action {action:?}")
                });
            }
        }
    }

    fn fail(&mut self, kind: ErrorKind, detail: String) {
        self.errors.record(kind, || detail);
        self.phase = Phase::Failed;
    }

    fn on_handshake(&mut self, reply: Result<Hello, wire::ServerError>) {
        // Only the first reply counts, as in the npm client.
        if self.phase != Phase::Handshaking {
            return;
        }
        let hello = match reply {
            Ok(hello) => hello,
            Err(e) => return self.fail(ErrorKind::Handshake, format!("hs refused: {e}")),
        };
        if hello.protocol != Some(wire::PROTOCOL_MAJOR) {
            return self.fail(
                ErrorKind::Handshake,
                format!("hs announces protocol {:?}", hello.protocol),
            );
        }
        if hello.default_type.as_deref() != Some(wire::JSON0_URI) {
            return self.fail(
                ErrorKind::Handshake,
                format!("hs announces default type {:?}", hello.default_type),
            );
        }
        let Some(id) = hello.id else {
            return self.fail(ErrorKind::Handshake, "hs without a string id".into());
        };
        self.src = Some(id);
        self.phase = Phase::Subscribing;
        self.transmit
            .push_back(wire::subscribe(&self.collection, &self.doc_id));
    }

    fn is_my_doc(&self, c: Option<&str>, d: Option<&str>) -> bool {
        c == Some(self.collection.as_str()) && d == Some(self.doc_id.as_str())
    }

    fn on_subscribe(&mut self, reply: DocReply) {
        if self.phase != Phase::Subscribing
            || !self.is_my_doc(reply.c.as_deref(), reply.d.as_deref())
        {
            self.errors.record(ErrorKind::Protocol, || {
                format!("unexpected subscribe reply {reply:?}")
            });
            return;
        }
        let snapshot = match reply.snapshot {
            Ok(snapshot) => snapshot,
            Err(e) => return self.fail(ErrorKind::Subscribe, format!("subscribe refused: {e}")),
        };
        self.version = Some(snapshot.v);
        match snapshot.data {
            Some(data) => {
                self.doc = Some(data);
                self.phase = Phase::Ready;
            }
            None if self.creator => {
                let seq = self.take_seq();
                let data = json!({"n": 0, "log": []});
                self.transmit.push_back(wire::create(
                    &self.collection,
                    &self.doc_id,
                    snapshot.v,
                    seq,
                    &data,
                ));
                self.inflight = Some(Inflight { seq, op: None });
                self.doc = Some(data);
                self.phase = Phase::Creating;
            }
            None => self.phase = Phase::WaitingForDoc,
        }
        self.replay_held();
    }

    fn on_fetch(&mut self, reply: DocReply) {
        if !self.fetch_pending || !self.is_my_doc(reply.c.as_deref(), reply.d.as_deref()) {
            self.errors.record(ErrorKind::Protocol, || {
                format!("unexpected fetch reply {reply:?}")
            });
            return;
        }
        self.fetch_pending = false;
        let snapshot = match reply.snapshot {
            Ok(snapshot) => snapshot,
            Err(e) => return self.fail(ErrorKind::Subscribe, format!("fetch refused: {e}")),
        };
        // Never move the version backwards (the npm client's rule).
        if self.version.is_none_or(|v| v <= snapshot.v) {
            self.version = Some(snapshot.v);
            if let Some(data) = snapshot.data {
                self.doc = Some(data);
                if matches!(self.phase, Phase::WaitingForDoc | Phase::Creating) {
                    self.phase = Phase::Ready;
                }
            }
        }
        self.replay_held();
    }

    fn replay_held(&mut self) {
        for (at_us, message) in std::mem::take(&mut self.held) {
            self.on_op(at_us, message);
        }
    }

    fn on_op(&mut self, now_us: u32, message: OpMessage<'_>) {
        if !self.is_my_doc(message.c.as_deref(), message.d.as_deref()) {
            self.errors.record(ErrorKind::Protocol, || {
                format!("op for another document: {message:?}")
            });
            return;
        }
        let mine = self.src.is_some() && message.src.as_deref() == self.src.as_deref();
        let inflight_seq = self.inflight.as_ref().map(|i| i.seq);
        if let Some(error) = message.error {
            // Error replies echo the request, which the npm client sends
            // without `src`.
            if message.seq.is_some() && message.seq == inflight_seq {
                let was_create = self.inflight.take().is_some_and(|i| i.op.is_none());
                if was_create && error.code == "ERR_DOC_ALREADY_CREATED" {
                    // Someone else created it first: just load it.
                    self.resync_wanted = true;
                    return;
                }
                self.errors
                    .record(ErrorKind::Rejected, || format!("op rejected: {error}"));
                if was_create {
                    self.phase = Phase::Failed;
                }
            } else {
                self.errors.record(ErrorKind::Rejected, || {
                    format!("error about an op not in flight: {error}")
                });
            }
            self.resync_wanted = true;
            return;
        }
        if mine && message.seq.is_some() && message.seq == inflight_seq {
            return self.on_ack(now_us, message);
        }
        let Some(v) = message.v else {
            self.errors.record(ErrorKind::Protocol, || {
                format!("op without version: {message:?}")
            });
            return;
        };
        let version = match self.version {
            Some(version) if !self.fetch_pending => version,
            _ if self.held.len() < MAX_HELD => {
                self.held.push((now_us, message.into_owned()));
                return;
            }
            _ => {
                self.errors.record(ErrorKind::Protocol, || {
                    format!("more than {MAX_HELD} ops while waiting for a snapshot")
                });
                return;
            }
        };
        if v < version {
            // A duplicate: ShareDB sends the ops a submit was transformed
            // against to the submitter, and the subscription sends them too.
            return;
        }
        if v > version {
            self.errors.record(ErrorKind::VersionGap, || {
                format!("op at v{v} while at v{version}")
            });
            self.resync_wanted = true;
            return;
        }
        let edit = matches!(message.body, OpBody::Edit(_));
        match message.body {
            OpBody::Edit(raw) => {
                if let Err(detail) = self.apply_remote(raw.as_str()) {
                    self.errors.record(ErrorKind::Ot, || {
                        format!("remote op {raw} at v{v}: {detail}")
                    });
                    self.resync_wanted = true;
                    return;
                }
            }
            OpBody::Create(data) => {
                if self.doc.is_some() && self.phase != Phase::Creating {
                    self.errors.record(ErrorKind::Protocol, || {
                        format!("create of an existing document at v{v}")
                    });
                    self.resync_wanted = true;
                    return;
                }
                if self.phase == Phase::Creating {
                    // Our create lost the race; the server will reject it.
                    return;
                }
                self.doc = Some(data);
                self.phase = Phase::Ready;
            }
            OpBody::Del => {
                self.errors
                    .record(ErrorKind::Protocol, || "the document was deleted".into());
                self.doc = None;
                self.phase = Phase::Failed;
            }
            OpBody::Ack => {
                self.errors.record(ErrorKind::Protocol, || {
                    format!("ack for an op not in flight: {message:?}")
                });
                return;
            }
        }
        self.version = Some(version + 1);
        if edit && !mine {
            self.record_receipt(now_us, message.src.as_deref(), message.seq);
        }
    }

    fn on_ack(&mut self, now_us: u32, message: OpMessage<'_>) {
        // The caller checked that an op is in flight with this seq.
        let Some(inflight) = self.inflight.take() else {
            return;
        };
        let v = message.v.unwrap_or(u64::MAX);
        match inflight.op {
            None => {
                // A create: the ack says which version it got.
                self.version = Some(v.saturating_add(1));
                self.phase = Phase::Ready;
            }
            Some(_) => {
                if Some(v) != self.version {
                    self.errors.record(ErrorKind::AckVersion, || {
                        format!("ack at v{v}, client at {:?}", self.version)
                    });
                    self.resync_wanted = true;
                }
                self.version = Some(v.saturating_add(1));
            }
        }
        if self.peers.is_some()
            && let Some(sent) = inflight
                .seq
                .checked_sub(self.seq_base)
                .and_then(|i| self.sent.get_mut(i as usize))
        {
            sent.ack_us = Some(now_us);
        }
    }

    /// Transforms a remote op against the op in flight (and that op
    /// against it, as the npm client's `transformX` does) and applies it.
    fn apply_remote(&mut self, text: &str) -> Result<(), String> {
        let theirs = parse_op(text)?;
        let transformed;
        let theirs = match self.inflight.as_mut().and_then(|i| i.op.as_mut()) {
            Some(mine) => {
                // Usually neither changes (ops on other parts of the
                // document): then nothing is copied.
                transformed = ot::transform_if_changed(&theirs, mine, Side::Right)
                    .map_err(|e| e.to_string())?;
                ot::transform_in_place(mine, &theirs, Side::Left).map_err(|e| e.to_string())?;
                transformed.as_ref().unwrap_or(&theirs)
            }
            None => &*theirs,
        };
        let doc = self
            .doc
            .as_mut()
            .ok_or("op on a document that does not exist")?;
        ot::apply(doc, theirs).map_err(|e| e.to_string())
    }

    fn record_receipt(&mut self, now_us: u32, src: Option<&str>, seq: Option<u64>) {
        let Some(peers) = &self.peers else { return };
        match (src.and_then(|s| peers.get(s)), seq) {
            (Some(&from), Some(seq)) => self.recv.push(Recv {
                from,
                seq,
                at_us: now_us,
            }),
            _ => self.errors.record(ErrorKind::Protocol, || {
                format!("op from unknown src {src:?} seq {seq:?}")
            }),
        }
    }
}

thread_local! {
    /// json0 ops parsed from their text, by that text. Every peer of a
    /// document receives the same op message and all of them run in this
    /// process, on the cores the server under test needs: parsing each
    /// distinct text once instead of once per receiving client took the
    /// `Value` parse and the conversion to an [`Op`] (a seventh of the load
    /// generator's CPU) nearly out. The load produces a handful of distinct
    /// texts; the bound is for anything else.
    static PARSED_OPS: std::cell::RefCell<FxHashMap<Box<str>, Rc<Op>>> =
        std::cell::RefCell::new(FxHashMap::default());
}

/// How many op texts [`PARSED_OPS`] keeps before it starts over.
const PARSED_OPS_MAX: usize = 4096;

/// The op in `text`, parsed at most once per distinct text (see
/// [`PARSED_OPS`]); errors are not kept.
fn parse_op(text: &str) -> Result<Rc<Op>, String> {
    PARSED_OPS.with_borrow_mut(|parsed| {
        if let Some(op) = parsed.get(text) {
            return Ok(Rc::clone(op));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let op = Rc::new(Op::from_value(&value).map_err(|e| e.to_string())?);
        if parsed.len() >= PARSED_OPS_MAX {
            parsed.clear();
        }
        parsed.insert(text.into(), Rc::clone(&op));
        Ok(op)
    })
}

/// What a session recorded, for the report.
#[derive(Debug, Default)]
pub struct Records {
    /// The seq of `sent[0]`.
    pub seq_base: u64,
    /// Ops submitted while recording, by `seq - seq_base`.
    pub sent: Vec<Sent>,
    /// Peers' ops received while recording.
    pub recv: ChunkedLog<Recv>,
    /// Errors counted by the session.
    pub errors: ErrorTally,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_distinct_op_text_is_parsed_once() {
        let text = r#"[{"p":["log",0],"li":"parsed once"}]"#;
        let first = parse_op(text).expect("a valid op");
        let again = parse_op(text).expect("the same op");
        assert!(
            Rc::ptr_eq(&first, &again),
            "the second receipt reuses the parse"
        );
        let expected = Op::from_value(&json!([{"p": ["log", 0], "li": "parsed once"}])).unwrap();
        assert_eq!(*first, expected);
        let other = parse_op(r#"[{"p":["n"],"na":2}]"#).expect("another op");
        assert!(!Rc::ptr_eq(&first, &other));
        for bad in [r#"[{"p":["n"],"na":"x"}]"#, "[", r#"{"not":"an op"}"#] {
            assert!(parse_op(bad).is_err(), "{bad}");
            assert!(
                parse_op(bad).is_err(),
                "an error is not remembered as an op: {bad}"
            );
        }
    }

    fn drain(session: &mut Session) -> Vec<Value> {
        std::iter::from_fn(|| session.poll_transmit())
            .map(|m| serde_json::from_str(&m).unwrap())
            .collect()
    }

    fn connected(creator: bool, id: &str) -> Session {
        let mut s = Session::new("scratch", "load0", creator);
        s.handle_text(0, r#"{"a":"init","protocol":1,"protocolMinor":2,"id":"tmp","type":"http://sharejs.org/types/JSONv0"}"#);
        let hs = format!(
            r#"{{"a":"hs","protocol":1,"protocolMinor":2,"id":"{id}","type":"http://sharejs.org/types/JSONv0"}}"#
        );
        s.handle_text(0, &hs);
        s
    }

    fn peers() -> Arc<PeerMap> {
        Arc::new(
            [("A".to_owned(), 0), ("B".to_owned(), 1)]
                .into_iter()
                .collect(),
        )
    }

    #[test]
    fn creator_handshakes_twice_subscribes_and_creates() {
        let mut s = connected(true, "A");
        let out = drain(&mut s);
        assert_eq!(out[0]["a"], "hs");
        assert_eq!(out[1]["a"], "hs", "second hs in answer to init");
        assert_eq!(
            out[2],
            json!({"a": "s", "c": "scratch", "d": "load0", "v": null})
        );
        s.handle_text(
            1,
            r#"{"data":{"v":0,"type":null},"a":"s","c":"scratch","d":"load0"}"#,
        );
        let create = drain(&mut s).pop().unwrap();
        assert_eq!(create["create"]["data"], json!({"n": 0, "log": []}));
        assert_eq!(
            (create["v"].as_u64(), create["seq"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(s.phase(), &Phase::Creating);
        s.handle_text(
            2,
            r#"{"src":"A","seq":1,"v":0,"a":"op","c":"scratch","d":"load0"}"#,
        );
        assert_eq!(s.phase(), &Phase::Ready);
        assert_eq!(s.state().0, Some(1));
        assert_eq!(s.errors_mut().total(), 0);
    }

    #[test]
    fn follower_waits_for_the_create_then_tracks_versions_and_receipts() {
        let mut s = connected(false, "B");
        s.handle_text(
            1,
            r#"{"data":{"v":0,"type":null},"a":"s","c":"scratch","d":"load0"}"#,
        );
        assert_eq!(s.phase(), &Phase::WaitingForDoc);
        s.start_recording(peers());
        s.handle_text(2, r#"{"a":"op","c":"scratch","d":"load0","v":0,"src":"A","seq":1,"create":{"type":"http://sharejs.org/types/JSONv0","data":{"n":0,"log":[]}}}"#);
        assert_eq!(s.phase(), &Phase::Ready);
        drain(&mut s);

        // Submit na at v1; meanwhile A's list insert is committed at v1.
        assert!(s.submit(10));
        let op = drain(&mut s).pop().unwrap();
        assert_eq!((op["v"].as_u64(), op["seq"].as_u64()), (Some(1), Some(1)));
        assert!(
            op.get("src").is_none(),
            "the npm client omits src on first send"
        );
        s.handle_text(11, r#"{"a":"op","c":"scratch","d":"load0","v":1,"src":"A","seq":2,"op":[{"p":["log",0],"li":"x"}]}"#);
        // The same op again, as the catch-up before the ack: ignored.
        s.handle_text(12, r#"{"a":"op","c":"scratch","d":"load0","v":1,"src":"A","seq":2,"op":[{"p":["log",0],"li":"x"}]}"#);
        s.handle_text(
            13,
            r#"{"src":"B","seq":1,"v":2,"a":"op","c":"scratch","d":"load0"}"#,
        );
        assert_eq!(s.state(), (Some(3), Some(&json!({"n": 1, "log": ["x"]}))));
        let records = s.into_records();
        assert_eq!(
            records.sent,
            vec![Sent {
                sent_us: 10,
                ack_us: Some(13)
            }]
        );
        assert_eq!(
            records.recv.iter().copied().collect::<Vec<_>>(),
            vec![Recv {
                from: 0,
                seq: 2,
                at_us: 11
            }]
        );
        assert_eq!(records.errors.total(), 0);
    }

    #[test]
    fn list_is_trimmed_with_exact_deletes() {
        let mut s = connected(false, "B");
        let log: Vec<String> = (0..LOG_LIMIT).map(|i| format!("e{i}")).collect();
        let reply = json!({"data": {"v": 5, "data": {"n": 0, "log": log}}, "a": "s", "c": "scratch", "d": "load0"});
        s.handle_text(1, &reply.to_string());
        drain(&mut s);
        assert!(s.submit(2));
        s.handle_text(
            3,
            r#"{"src":"B","seq":1,"v":5,"a":"op","c":"scratch","d":"load0"}"#,
        );
        assert!(s.submit(4));
        let ld = drain(&mut s).pop().unwrap();
        assert_eq!(ld["op"], json!([{"p": ["log", 0], "ld": "e0"}]));
    }

    #[test]
    fn a_gap_triggers_a_fetch_that_resynchronises() {
        let mut s = connected(false, "B");
        s.handle_text(
            1,
            r#"{"data":{"v":3,"data":{"n":0,"log":[]}},"a":"s","c":"scratch","d":"load0"}"#,
        );
        drain(&mut s);
        s.handle_text(2, r#"{"a":"op","c":"scratch","d":"load0","v":5,"src":"A","seq":9,"op":[{"p":["n"],"na":1}]}"#);
        assert_eq!(s.errors_mut().count(ErrorKind::VersionGap), 1);
        assert_eq!(
            drain(&mut s),
            vec![json!({"a": "f", "c": "scratch", "d": "load0", "v": null})]
        );
        assert!(!s.can_submit());
        s.handle_text(
            3,
            r#"{"data":{"v":6,"data":{"n":2,"log":[]}},"a":"f","c":"scratch","d":"load0"}"#,
        );
        assert!(s.can_submit());
        assert_eq!(s.state().0, Some(6));
    }

    #[test]
    fn rejected_op_is_counted_and_resynchronised() {
        let mut s = connected(false, "B");
        s.handle_text(
            1,
            r#"{"data":{"v":3,"data":{"n":0,"log":[]}},"a":"s","c":"scratch","d":"load0"}"#,
        );
        drain(&mut s);
        assert!(s.submit(2));
        drain(&mut s);
        s.handle_text(3, r#"{"a":"op","c":"scratch","d":"load0","v":3,"seq":1,"x":{},"op":[{"p":["n"],"na":1}],"error":{"code":"ERR_X","message":"no"}}"#);
        assert_eq!(s.errors_mut().count(ErrorKind::Rejected), 1);
        assert_eq!(drain(&mut s)[0]["a"], "f");
    }

    #[test]
    fn ops_before_the_snapshot_are_replayed_after_it() {
        let create = r#"{"a":"op","c":"scratch","d":"load0","v":0,"src":"A","seq":1,"create":{"type":"http://sharejs.org/types/JSONv0","data":{"n":0,"log":[]}}}"#;
        // The create overtook a subscribe reply that predates it.
        let mut s = connected(false, "B");
        s.handle_text(1, create);
        s.handle_text(
            2,
            r#"{"data":{"v":0,"type":null},"a":"s","c":"scratch","d":"load0"}"#,
        );
        assert_eq!(s.phase(), &Phase::Ready);
        assert_eq!(s.state().0, Some(1));
        // The snapshot already contains the create: it is a duplicate.
        let mut s = connected(false, "B");
        s.handle_text(1, create);
        s.handle_text(
            2,
            r#"{"data":{"v":1,"data":{"n":0,"log":[]}},"a":"s","c":"scratch","d":"load0"}"#,
        );
        assert_eq!((s.phase(), s.state().0), (&Phase::Ready, Some(1)));
        assert_eq!(s.errors_mut().total(), 0);
    }

    #[test]
    fn waiting_for_the_document_can_refetch() {
        let mut s = connected(false, "B");
        s.handle_text(
            1,
            r#"{"data":{"v":0,"type":null},"a":"s","c":"scratch","d":"load0"}"#,
        );
        drain(&mut s);
        s.refetch();
        s.refetch();
        assert_eq!(drain(&mut s).len(), 1, "one fetch at a time");
        s.handle_text(
            2,
            r#"{"data":{"v":1,"data":{"n":0,"log":[]}},"a":"f","c":"scratch","d":"load0"}"#,
        );
        assert_eq!(s.phase(), &Phase::Ready);
    }
}
