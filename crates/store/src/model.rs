//! The stored records ([`StoredOp`], [`OpBody`], [`StoredSnapshot`],
//! [`LoadedDoc`]) and their row form: integers as `i64`, JSON as text.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StoreError;

/// A document as [`Store::load`](crate::Store::load) finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedDoc {
    /// The latest snapshot, if one was saved.
    pub snapshot: Option<StoredSnapshot>,
    /// Every op with `v >= snapshot.v` (all ops without a snapshot), in
    /// version order.
    pub ops: Vec<StoredOp>,
}

/// A document's state at version `v`, i.e. after ops `0..v`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    /// The version this snapshot is at.
    pub v: u64,
    /// The OT type's name or URI; `None` for a deleted or never created doc.
    pub doc_type: Option<String>,
    /// The document; `None` for a deleted or never created doc.
    pub data: Option<Value>,
}

/// One operation in a document's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOp {
    /// The version the op applies to; it moves the document to `v + 1`.
    pub v: u64,
    /// The submitting client's id.
    pub src: String,
    /// The client's sequence number; with `src` it identifies a resubmission.
    pub seq: u64,
    /// What the op does.
    pub body: OpBody,
    /// When the server accepted it, in milliseconds since the Unix epoch.
    pub ts: i64,
}

/// What an op does, as in ShareDB's op records.
#[derive(Debug, Clone, PartialEq)]
pub enum OpBody {
    /// Creates the document with a type and initial data.
    Create {
        /// The OT type's name or URI.
        doc_type: String,
        /// The initial document.
        data: Value,
    },
    /// Changes the document with an op of its type.
    Edit(Value),
    /// Deletes the document.
    Delete,
}

/// The body column holds ShareDB's own shape: `{"create":{"type","data"}}`,
/// `{"op":…}` or `{"del":true}`. This borrowed form writes it without
/// cloning the document.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum BodyRef<'a> {
    Create {
        #[serde(rename = "type")]
        doc_type: &'a str,
        data: &'a Value,
    },
    Op(&'a Value),
    Del(bool),
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum BodyOwned {
    Create {
        #[serde(rename = "type")]
        doc_type: String,
        data: Value,
    },
    Op(Value),
    Del(bool),
}

impl OpBody {
    pub(crate) fn to_text(&self) -> String {
        let body = match self {
            OpBody::Create { doc_type, data } => BodyRef::Create { doc_type, data },
            OpBody::Edit(op) => BodyRef::Op(op),
            OpBody::Delete => BodyRef::Del(true),
        };
        // Serializing to a string fails only for maps with non-string keys,
        // which neither `Value` nor these variants can hold.
        serde_json::to_string(&body).expect("an op body always serializes")
    }

    pub(crate) fn from_text(text: &str) -> Result<OpBody, StoreError> {
        match serde_json::from_str(text) {
            Ok(BodyOwned::Create { doc_type, data }) => Ok(OpBody::Create { doc_type, data }),
            Ok(BodyOwned::Op(op)) => Ok(OpBody::Edit(op)),
            Ok(BodyOwned::Del(true)) => Ok(OpBody::Delete),
            Ok(BodyOwned::Del(false)) => Err(StoreError::Corrupt("op body with del: false".into())),
            Err(e) => Err(StoreError::Corrupt(format!("op body: {e}"))),
        }
    }
}

/// An op as bound to the `ops` table. The strings are `Arc<str>` because
/// sqlx binds those by handing SQLite's worker thread the `Arc`; a `&str`
/// it copies into a fresh `Arc<String>`, two allocations and a copy for
/// each of four strings of every op.
#[derive(Debug)]
pub(crate) struct OpRow {
    pub collection: Arc<str>,
    pub doc_id: Arc<str>,
    pub v: i64,
    pub src: Arc<str>,
    pub seq: i64,
    pub body: Arc<str>,
    pub ts: i64,
}

/// A snapshot as bound to the `snapshots` table.
#[derive(Debug)]
pub(crate) struct SnapshotRow {
    pub collection: String,
    pub doc_id: String,
    pub v: i64,
    pub doc_type: Option<String>,
    pub data: Option<String>,
}

/// A write the writer task commits.
#[derive(Debug)]
pub(crate) enum WriteRow {
    Op(OpRow),
    Snapshot(SnapshotRow),
    Chat(ChatRow),
}

/// One chat message of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// The room.
    pub room: String,
    /// Unique within the room (chosen by the caller).
    pub id: String,
    /// When it was sent, Unix milliseconds.
    pub at: i64,
    /// The sender's participant id.
    pub participant: String,
    /// The sender's display name at the time.
    pub name: String,
    /// The message.
    pub text: String,
}

/// A chat message as bound to the `chat_messages` table.
#[derive(Debug)]
pub(crate) struct ChatRow(pub ChatMessage);

impl ChatRow {
    pub(crate) fn new(message: &ChatMessage) -> Result<ChatRow, StoreError> {
        for field in [
            &message.room,
            &message.id,
            &message.participant,
            &message.name,
            &message.text,
        ] {
            check_name(field)?;
        }
        Ok(ChatRow(message.clone()))
    }
}

impl OpRow {
    /// Checks and encodes on the caller's task, so bad input never reaches the
    /// writer and serialization runs in parallel.
    pub(crate) fn new(collection: &str, doc_id: &str, op: &StoredOp) -> Result<OpRow, StoreError> {
        check_name(collection)?;
        check_name(doc_id)?;
        check_name(&op.src)?;
        Ok(OpRow {
            collection: collection.into(),
            doc_id: doc_id.into(),
            v: to_i64(op.v)?,
            src: op.src.as_str().into(),
            seq: to_i64(op.seq)?,
            body: op.body.to_text().into(),
            ts: op.ts,
        })
    }

    pub(crate) fn into_op(
        v: i64,
        src: String,
        seq: i64,
        body: &str,
        ts: i64,
    ) -> Result<StoredOp, StoreError> {
        Ok(StoredOp {
            v: from_i64(v, "v")?,
            src,
            seq: from_i64(seq, "seq")?,
            body: OpBody::from_text(body)?,
            ts,
        })
    }
}

impl SnapshotRow {
    pub(crate) fn new(
        collection: &str,
        doc_id: &str,
        snapshot: &StoredSnapshot,
    ) -> Result<SnapshotRow, StoreError> {
        check_name(collection)?;
        check_name(doc_id)?;
        if let Some(doc_type) = &snapshot.doc_type {
            check_name(doc_type)?;
        }
        Ok(SnapshotRow {
            collection: collection.to_owned(),
            doc_id: doc_id.to_owned(),
            v: to_i64(snapshot.v)?,
            doc_type: snapshot.doc_type.clone(),
            data: snapshot.data.as_ref().map(Value::to_string),
        })
    }

    pub(crate) fn into_snapshot(
        v: i64,
        doc_type: Option<String>,
        data: Option<&str>,
    ) -> Result<StoredSnapshot, StoreError> {
        let data = match data {
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|e| StoreError::Corrupt(format!("snapshot data: {e}")))?,
            ),
            None => None,
        };
        Ok(StoredSnapshot {
            v: from_i64(v, "snapshot v")?,
            doc_type,
            data,
        })
    }
}

/// PostgreSQL cannot store NUL in `TEXT`; refusing it everywhere keeps the
/// backends interchangeable. JSON text never contains a raw NUL (serde_json
/// escapes it), so only names need the check.
pub(crate) fn check_name(name: &str) -> Result<(), StoreError> {
    if name.contains('\0') {
        return Err(StoreError::InvalidInput("names must not contain NUL"));
    }
    Ok(())
}

pub(crate) fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n)
        .map_err(|_| StoreError::InvalidInput("versions and sequence numbers must fit in i64"))
}

fn from_i64(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative {what}: {n}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_use_sharedb_shape_and_round_trip() {
        let cases = [
            (
                OpBody::Create {
                    doc_type: "json0".into(),
                    data: json!({"a": "🎉"}),
                },
                r#"{"create":{"type":"json0","data":{"a":"🎉"}}}"#,
            ),
            (
                OpBody::Edit(json!([{"p": ["a"], "oi": 1}])),
                r#"{"op":[{"oi":1,"p":["a"]}]}"#,
            ),
            (OpBody::Delete, r#"{"del":true}"#),
        ];
        for (body, text) in cases {
            assert_eq!(body.to_text(), text);
            assert_eq!(OpBody::from_text(text).expect("decodes"), body);
        }
    }

    #[test]
    fn malformed_bodies_are_corrupt_not_panics() {
        for text in [
            "",
            "null",
            "{}",
            r#"{"del":false}"#,
            r#"{"op":1,"del":true}"#,
            r#"{"create":{"type":"x"}}"#,
            r#"{"x":1}"#,
        ] {
            assert!(
                matches!(OpBody::from_text(text), Err(StoreError::Corrupt(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn names_and_numbers_are_checked() {
        let op = StoredOp {
            v: 0,
            src: "a\0b".into(),
            seq: 0,
            body: OpBody::Delete,
            ts: 0,
        };
        assert!(matches!(
            OpRow::new("c", "d", &op),
            Err(StoreError::InvalidInput(_))
        ));
        let op = StoredOp {
            v: u64::MAX,
            src: "a".into(),
            seq: 0,
            body: OpBody::Delete,
            ts: 0,
        };
        assert!(matches!(
            OpRow::new("c", "d", &op),
            Err(StoreError::InvalidInput(_))
        ));
        assert!(matches!(
            OpRow::into_op(-1, "s".into(), 0, r#"{"del":true}"#, 0),
            Err(StoreError::Corrupt(_))
        ));
    }
}
