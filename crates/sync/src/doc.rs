//! One document's state machine, without IO: its version, its data, the
//! recent history of committed ops, and ShareDB's rules for transforming a
//! late op against what was committed after its base version.
//!
//! The actor in `actor.rs` owns one `DocState`, feeds it ops, and makes each
//! committed op durable before anyone hears of it.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use store::{LoadedDoc, OpBody, StoredOp};

use crate::SyncError;
use crate::wire::{self, JSON0_URI};

/// What an op does to its document.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Create the document with this json0 data.
    Create {
        /// The initial data.
        data: Value,
    },
    /// Change it with a json0 op.
    Edit(ot::Op),
    /// Delete it.
    Delete,
}

/// An op as a client submitted it.
#[derive(Debug, Clone)]
pub struct ClientOp {
    /// The client id (`src`); with `seq` it identifies the op for dedup.
    pub src: String,
    /// The client's sequence number.
    pub seq: u64,
    /// The version the op was made against; `None` means "the latest".
    pub v: Option<u64>,
    /// What it does.
    pub body: Body,
}

/// An op that is part of the document's history.
#[derive(Debug)]
pub struct CommittedOp {
    /// The version it applied to (the document's version after it is v+1).
    pub v: u64,
    /// Submitting client's id.
    pub src: String,
    /// Submitting client's sequence number.
    pub seq: u64,
    /// What it did.
    pub body: Body,
    /// Commit time, ms since the epoch.
    pub ts: i64,
    /// The `op` message other subscribers receive, serialized once.
    pub wire: Bytes,
}

impl CommittedOp {
    fn new(
        collection: &str,
        doc: &str,
        v: u64,
        src: String,
        seq: u64,
        body: Body,
        ts: i64,
    ) -> Self {
        let mut op = CommittedOp {
            v,
            src,
            seq,
            body,
            ts,
            wire: Bytes::new(),
        };
        op.wire = wire::op_message(collection, doc, &op);
        op
    }

    /// The form the store keeps.
    pub fn to_stored(&self) -> StoredOp {
        StoredOp {
            v: self.v,
            src: self.src.clone(),
            seq: self.seq,
            body: match &self.body {
                Body::Create { data } => OpBody::Create {
                    doc_type: JSON0_URI.to_string(),
                    data: data.clone(),
                },
                Body::Edit(op) => OpBody::Edit(op.to_value()),
                Body::Delete => OpBody::Delete,
            },
            ts: self.ts,
        }
    }

    /// Rebuilds a committed op read back from the store.
    pub(crate) fn from_stored(collection: &str, doc: &str, s: StoredOp) -> Result<Self, String> {
        let body = match s.body {
            OpBody::Create { data, .. } => Body::Create { data },
            OpBody::Edit(v) => Body::Edit(ot::Op::from_value(&v).map_err(|e| e.to_string())?),
            OpBody::Delete => Body::Delete,
        };
        Ok(CommittedOp::new(
            collection, doc, s.v, s.src, s.seq, body, s.ts,
        ))
    }
}

/// The outcome of preparing a submitted op.
#[derive(Debug)]
pub enum Prepared {
    /// Transformed to the head version and ready to apply.
    Ready(ClientOp),
    /// Already committed at version `v` (a resubmission): acknowledge only.
    Duplicate {
        /// The version it was committed at.
        v: u64,
    },
}

/// A document: version, data and recent history.
#[derive(Debug)]
pub struct DocState {
    /// Collection name.
    pub collection: String,
    /// Document id.
    pub id: String,
    /// Current version: the number of ops ever committed.
    pub v: u64,
    /// The data; `None` while the document does not exist.
    pub data: Option<Value>,
    /// Serialized size of `data`, kept approximately between exact checks.
    size: usize,
    /// The last committed ops, contiguous, ending at version `v - 1`.
    history: VecDeque<Arc<CommittedOp>>,
    history_cap: usize,
}

impl DocState {
    /// A document that has never been created.
    pub fn empty(collection: &str, id: &str, history_cap: usize) -> Self {
        DocState {
            collection: collection.to_string(),
            id: id.to_string(),
            v: 0,
            data: None,
            size: 0,
            history: VecDeque::new(),
            history_cap,
        }
    }

    /// Rebuilds a document from its stored snapshot and the ops after it.
    pub fn from_loaded(
        collection: &str,
        id: &str,
        loaded: LoadedDoc,
        history_cap: usize,
    ) -> Result<Self, String> {
        let mut doc = DocState::empty(collection, id, history_cap);
        if let Some(s) = loaded.snapshot {
            doc.v = s.v;
            doc.data = if s.doc_type.is_some() {
                Some(s.data.unwrap_or(Value::Null))
            } else {
                None
            };
        }
        for stored in loaded.ops {
            if stored.v != doc.v {
                return Err(format!(
                    "history gap: expected op {} but found {}",
                    doc.v, stored.v
                ));
            }
            let op = CommittedOp::from_stored(collection, id, stored)?;
            doc.apply_body(&op.body)
                .map_err(|e| format!("stored op {} does not apply: {e}", op.v))?;
            doc.v += 1;
            doc.remember(Arc::new(op));
        }
        doc.size = doc.exact_size();
        Ok(doc)
    }

    /// Committed ops with versions in `from..self.v`, if all are in memory.
    pub fn ops_since(&self, from: u64) -> Option<Vec<Arc<CommittedOp>>> {
        if from >= self.v {
            return Some(Vec::new());
        }
        let first = self.history.front()?.v;
        if from < first {
            return None;
        }
        Some(
            self.history
                .iter()
                .skip((from - first) as usize)
                .cloned()
                .collect(),
        )
    }

    /// Transforms `op` against `missed` (the committed ops from its base
    /// version to the head, in order), following ShareDB's rules, or finds
    /// that it was already committed.
    pub fn prepare(
        &self,
        mut op: ClientOp,
        missed: &[Arc<CommittedOp>],
    ) -> Result<Prepared, SyncError> {
        let base = op.v.unwrap_or(self.v);
        if base > self.v {
            return Err(SyncError::VersionNewer(base, self.v));
        }
        for committed in missed {
            if !op.src.is_empty() && committed.src == op.src && committed.seq == op.seq {
                return Ok(Prepared::Duplicate { v: committed.v });
            }
            op.body = match (&committed.body, op.body) {
                (Body::Delete, Body::Delete) => Body::Delete,
                (Body::Delete, _) => return Err(SyncError::DocWasDeleted),
                (Body::Create { .. }, _) | (Body::Edit(_), Body::Create { .. }) => {
                    return Err(SyncError::DocAlreadyCreated);
                }
                (Body::Edit(applied), Body::Edit(mut mine)) => {
                    ot::transform_in_place(&mut mine, applied, ot::Side::Left)
                        .map_err(SyncError::from_ot)?;
                    Body::Edit(mine)
                }
                (Body::Edit(_), Body::Delete) => Body::Delete,
            };
        }
        op.v = Some(self.v);
        Ok(Prepared::Ready(op))
    }

    /// Applies a prepared op at the head: the document moves to the next
    /// version and the op joins the history. Nothing changes on error.
    pub fn commit(
        &mut self,
        op: ClientOp,
        ts: i64,
        max_bytes: usize,
    ) -> Result<Arc<CommittedOp>, SyncError> {
        match &op.body {
            Body::Create { data } => {
                if self.data.is_some() {
                    return Err(SyncError::DocAlreadyCreated);
                }
                let size = serialized_len(data);
                if size > max_bytes {
                    return Err(SyncError::DocumentTooLarge(size, max_bytes));
                }
                elements::check(&self.collection, &self.id, Some(data), None)
                    .map_err(|e| SyncError::SchemaViolation(e.0))?;
                self.data = Some(data.clone());
                self.size = size;
            }
            Body::Edit(edit) => self.apply_edit(edit, max_bytes)?,
            Body::Delete => {
                if self.data.is_none() {
                    return Err(SyncError::DocDoesNotExist);
                }
                self.data = None;
                self.size = 0;
            }
        }
        let committed = Arc::new(CommittedOp::new(
            &self.collection,
            &self.id,
            self.v,
            op.src,
            op.seq,
            op.body,
            ts,
        ));
        self.v += 1;
        self.remember(committed.clone());
        Ok(committed)
    }

    fn apply_edit(&mut self, edit: &ot::Op, max_bytes: usize) -> Result<(), SyncError> {
        let Some(data) = self.data.as_mut() else {
            return Err(SyncError::DocDoesNotExist);
        };
        let (added, removed) = size_delta(edit);
        // The element schema sees the document as the op leaves it; a
        // refused op is rolled back (only what the op touched is checked).
        let (collection, id) = (self.collection.as_str(), self.id.as_str());
        let check = |after: &Value| elements::check(collection, id, Some(after), Some(edit));
        if self.size + added <= max_bytes {
            // Cannot exceed the limit even if nothing is removed: apply in place.
            ot::apply_checked(data, edit, check)
                .map_err(SyncError::from_ot)?
                .map_err(|e| SyncError::SchemaViolation(e.0))?;
            self.size = (self.size + added).saturating_sub(removed);
            return Ok(());
        }
        // Near the limit: apply to a copy and measure exactly.
        let mut copy = data.clone();
        ot::apply_checked(&mut copy, edit, check)
            .map_err(SyncError::from_ot)?
            .map_err(|e| SyncError::SchemaViolation(e.0))?;
        let size = serialized_len(&copy);
        if size > max_bytes {
            return Err(SyncError::DocumentTooLarge(size, max_bytes));
        }
        *data = copy;
        self.size = size;
        Ok(())
    }

    fn apply_body(&mut self, body: &Body) -> Result<(), SyncError> {
        match body {
            Body::Create { data } => self.data = Some(data.clone()),
            Body::Edit(op) => {
                let data = self.data.as_mut().ok_or(SyncError::DocDoesNotExist)?;
                ot::apply(data, op).map_err(SyncError::from_ot)?;
            }
            Body::Delete => self.data = None,
        }
        Ok(())
    }

    fn remember(&mut self, op: Arc<CommittedOp>) {
        self.history.push_back(op);
        while self.history.len() > self.history_cap {
            self.history.pop_front();
        }
    }

    fn exact_size(&self) -> usize {
        self.data.as_ref().map_or(0, serialized_len)
    }

    /// `{v, data, type}` for subscribe and fetch replies.
    pub fn snapshot_data(&self) -> Value {
        wire::snapshot_data(self.v, self.data.as_ref())
    }
}

fn serialized_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// Bytes an op may add and bytes it claims to remove, from the values it
/// carries (an over-estimate of growth: paths and punctuation are counted).
fn size_delta(op: &ot::Op) -> (usize, usize) {
    use ot::Kind;
    let mut added = 0;
    let mut removed = 0;
    for c in op.components() {
        let grow = |v: &std::sync::Arc<Value>| serialized_len(v) + 8;
        match &c.kind {
            Kind::ListInsert(v) | Kind::ObjectInsert(v) => added += grow(v),
            Kind::ListDelete(v) | Kind::ObjectDelete(v) => removed += serialized_len(v.as_ref()),
            Kind::ListReplace { insert, delete } | Kind::ObjectReplace { insert, delete } => {
                added += grow(insert);
                removed += serialized_len(delete.as_ref());
            }
            Kind::StringInsert(s) => added += s.len() * 6,
            Kind::StringDelete(s) => removed += s.len(),
            Kind::NumberAdd(_) => added += 24,
            Kind::Subtype { op, .. } => added += serialized_len(op.as_ref()) * 6,
            Kind::ListMove(_) => {}
        }
        added += c
            .path
            .iter()
            .map(|p| match p {
                ot::PathElem::Key(k) => k.len() + 4,
                ot::PathElem::Index(_) => 0,
            })
            .sum::<usize>();
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edit(v: u64, src: &str, seq: u64, op: Value) -> ClientOp {
        ClientOp {
            src: src.into(),
            seq,
            v: Some(v),
            body: Body::Edit(ot::Op::from_value(&op).unwrap()),
        }
    }

    fn created() -> DocState {
        let mut d = DocState::empty("c", "r", 100);
        let create = ClientOp {
            src: "a".into(),
            seq: 1,
            v: Some(0),
            body: Body::Create {
                data: json!({"l": []}),
            },
        };
        d.commit(create, 0, 1 << 20).unwrap();
        d
    }

    #[test]
    fn late_ops_are_transformed_against_missed_ones() {
        let mut d = created();
        let first = edit(1, "a", 2, json!([{"p": ["l", 0], "li": "a"}]));
        let Prepared::Ready(op) = d.prepare(first, &d.ops_since(1).unwrap()).unwrap() else {
            panic!()
        };
        d.commit(op, 0, 1 << 20).unwrap();
        let late = edit(1, "b", 1, json!([{"p": ["l", 0], "li": "b"}]));
        let Prepared::Ready(op) = d.prepare(late, &d.ops_since(1).unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(op.v, Some(2));
        d.commit(op, 0, 1 << 20).unwrap();
        assert_eq!(d.data, Some(json!({"l": ["b", "a"]})));
    }

    #[test]
    fn resubmissions_are_recognised() {
        let mut d = created();
        let op = edit(1, "a", 2, json!([{"p": ["l", 0], "li": "a"}]));
        let Prepared::Ready(ready) = d.prepare(op.clone(), &[]).unwrap() else {
            panic!()
        };
        d.commit(ready, 0, 1 << 20).unwrap();
        let again = d.prepare(op, &d.ops_since(1).unwrap()).unwrap();
        assert!(matches!(again, Prepared::Duplicate { v: 1 }));
    }

    #[test]
    fn documents_cannot_outgrow_the_limit() {
        let mut d = created();
        let big = edit(1, "a", 2, json!([{"p": ["l", 0], "li": "x".repeat(500)}]));
        let Prepared::Ready(op) = d.prepare(big, &[]).unwrap() else {
            panic!()
        };
        assert!(matches!(
            d.commit(op, 0, 300),
            Err(SyncError::DocumentTooLarge(..))
        ));
        assert_eq!(d.v, 1);
        assert_eq!(d.data, Some(json!({"l": []})));
    }
}
