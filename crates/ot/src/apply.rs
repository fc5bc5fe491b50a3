//! `apply`: in place, in time proportional to the path (not the document),
//! and atomic: if any component fails, the components before it are rolled
//! back from an undo log, so a refused op leaves the document untouched.

use serde_json::Value;

use crate::component::{Component, Kind, PathElem, js_number};
use crate::text0::{self, TextComponent};
use crate::{Json0, OtError};

/// What to do to put the document back as it was before one component.
enum Undo {
    Set {
        path: Vec<PathElem>,
        old: Value,
    },
    ListRemove {
        list: Vec<PathElem>,
        index: usize,
    },
    ListInsert {
        list: Vec<PathElem>,
        index: usize,
        value: Value,
    },
    ListMove {
        list: Vec<PathElem>,
        from: usize,
        to: usize,
    },
    KeyRemove {
        object: Vec<PathElem>,
        key: String,
    },
    KeyInsert {
        object: Vec<PathElem>,
        key: String,
        value: Value,
    },
    Text {
        string: Vec<PathElem>,
        op: TextComponent,
    },
}

/// The undo entries of the components applied so far. Each component
/// either applies whole or fails having changed nothing, so an entry is
/// needed only while a later change may still fail; an entry not recorded
/// is not built (building one copies a path).
#[derive(Default)]
struct UndoLog {
    entries: Vec<Undo>,
    recording: bool,
}

impl UndoLog {
    fn push(&mut self, entry: impl FnOnce() -> Undo) {
        if self.recording {
            self.entries.push(entry());
        }
    }
}

impl Json0 {
    /// Applies `op` to `doc` in place. On error `doc` is unchanged.
    pub fn apply(&self, doc: &mut Value, op: &[Component]) -> Result<(), OtError> {
        let mut undo = UndoLog::default();
        for (i, c) in op.iter().enumerate() {
            // Nothing after the last component can fail, and a component
            // that fails has changed nothing: its entry would never be read.
            undo.recording = i + 1 < op.len();
            if let Err(e) = self.apply_component(doc, c, &mut undo) {
                rollback(doc, undo.entries);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Applies `op` to `doc` in place, then asks `check` about the result;
    /// if `check` refuses it, the op is rolled back and `doc` is unchanged.
    /// The outer error is the op's own; the inner one is `check`'s. Costs
    /// what `apply` costs plus what `check` costs, never a document copy.
    pub fn apply_checked<E>(
        &self,
        doc: &mut Value,
        op: &[Component],
        check: impl FnOnce(&Value) -> Result<(), E>,
    ) -> Result<Result<(), E>, OtError> {
        let mut undo = UndoLog {
            entries: Vec::new(),
            recording: true,
        };
        for c in op {
            if let Err(e) = self.apply_component(doc, c, &mut undo) {
                rollback(doc, undo.entries);
                return Err(e);
            }
        }
        let checked = check(doc);
        if checked.is_err() {
            rollback(doc, undo.entries);
        }
        Ok(checked)
    }

    /// Applies `op` to an owned value and returns it.
    pub fn apply_owned(&self, mut doc: Value, op: &[Component]) -> Result<Value, OtError> {
        self.apply(&mut doc, op)?;
        Ok(doc)
    }

    fn apply_component(
        &self,
        doc: &mut Value,
        c: &Component,
        undo: &mut UndoLog,
    ) -> Result<(), OtError> {
        let path = &c.path;
        match &c.kind {
            Kind::NumberAdd(n) => {
                let target = target_mut(doc, path, OtError::NotANumber)?;
                let Value::Number(x) = &*target else {
                    return Err(OtError::NotANumber);
                };
                let sum = x.as_f64().ok_or(OtError::NotANumber)? + n;
                if !sum.is_finite() {
                    return Err(OtError::NumberOverflow);
                }
                let old = std::mem::replace(target, js_number(sum));
                undo.push(|| Undo::Set {
                    path: path.clone(),
                    old,
                });
            }
            Kind::ListInsert(_)
            | Kind::ListDelete(_)
            | Kind::ListReplace { .. }
            | Kind::ListMove(_) => {
                self.apply_list(doc, c, undo)?;
            }
            Kind::ObjectInsert(_) | Kind::ObjectDelete(_) | Kind::ObjectReplace { .. } => {
                apply_object(doc, c, undo)?;
            }
            Kind::StringInsert(_) | Kind::StringDelete(_) => {
                let (string_path, tc) = c
                    .text_edit()
                    .ok_or_else(|| OtError::IllFormedComponent("si/sd without offset".into()))?;
                let Value::String(text) = target_mut(doc, string_path, OtError::NotAString)? else {
                    return Err(OtError::NotAString);
                };
                text0::apply_component(text, &tc)?;
                let inverse = tc.inverted();
                undo.push(|| Undo::Text {
                    string: string_path.to_vec(),
                    op: inverse,
                });
            }
            Kind::Subtype { name, op } => {
                let subtype = self.registry().get(name)?;
                let target = target_mut(doc, path, OtError::NotAString)?;
                let new = subtype.apply(target, op)?;
                let old = std::mem::replace(target, new);
                undo.push(|| Undo::Set {
                    path: path.clone(),
                    old,
                });
            }
        }
        Ok(())
    }

    fn apply_list(
        &self,
        doc: &mut Value,
        c: &Component,
        undo: &mut UndoLog,
    ) -> Result<(), OtError> {
        let (last, list_path) = c
            .path
            .split_last()
            .ok_or_else(|| OtError::IllFormedComponent("list instruction on the root".into()))?;
        let Value::Array(items) = walk_mut(doc, list_path)? else {
            return Err(OtError::NotAList);
        };
        let len = items.len();
        let index = match last {
            PathElem::Index(i) => *i,
            PathElem::Key(k) => return Err(OtError::PathTypeMismatch(format!("list key {k:?}"))),
        };
        // An insert may go one past the end; everything else must hit an element.
        let limit = if matches!(c.kind, Kind::ListInsert(_)) {
            len + 1
        } else {
            len
        };
        let index = in_range(index, limit, len)?;
        match &c.kind {
            Kind::ListInsert(v) => {
                items.insert(index, (**v).clone());
                undo.push(|| Undo::ListRemove {
                    list: list_path.to_vec(),
                    index,
                });
            }
            Kind::ListDelete(_) => {
                let value = items.remove(index);
                undo.push(|| Undo::ListInsert {
                    list: list_path.to_vec(),
                    index,
                    value,
                });
            }
            Kind::ListReplace { insert, .. } => {
                let old = std::mem::replace(&mut items[index], (**insert).clone());
                undo.push(|| Undo::Set {
                    path: c.path.clone(),
                    old,
                });
            }
            Kind::ListMove(to) => {
                let to = in_range(*to, len, len)?;
                if to != index {
                    let e = items.remove(index);
                    items.insert(to, e);
                }
                undo.push(|| Undo::ListMove {
                    list: list_path.to_vec(),
                    from: to,
                    to: index,
                });
            }
            _ => {}
        }
        Ok(())
    }
}

fn apply_object(doc: &mut Value, c: &Component, undo: &mut UndoLog) -> Result<(), OtError> {
    let Some((last, object_path)) = c.path.split_last() else {
        // The root: `oi`/`od` replace the whole document.
        return match &c.kind {
            Kind::ObjectInsert(_) if !doc.is_null() => {
                Err(OtError::ObjectInsertOverwrites(String::new()))
            }
            Kind::ObjectInsert(v) | Kind::ObjectReplace { insert: v, .. } => {
                let old = std::mem::replace(doc, (**v).clone());
                undo.push(|| Undo::Set {
                    path: Vec::new(),
                    old,
                });
                Ok(())
            }
            _ => Err(OtError::RootDelete),
        };
    };
    let Value::Object(map) = walk_mut(doc, object_path)? else {
        return Err(OtError::NotAnObject);
    };
    // The reference tests `obj.constructor === Object`, which an own
    // "constructor" key defeats; it then refuses the object.
    if map.contains_key("constructor") {
        return Err(OtError::NotAnObject);
    }
    let PathElem::Key(key) = last else {
        return Err(OtError::PathTypeMismatch(format!("object index {last}")));
    };
    let key: &str = key;
    match &c.kind {
        Kind::ObjectInsert(v) => {
            if map.contains_key(key) {
                return Err(OtError::ObjectInsertOverwrites(key.to_string()));
            }
            map.insert(key.to_string(), (**v).clone());
            undo.push(|| Undo::KeyRemove {
                object: object_path.to_vec(),
                key: key.to_string(),
            });
        }
        Kind::ObjectReplace { insert, .. } => match map.insert(key.to_string(), (**insert).clone())
        {
            Some(value) => undo.push(|| Undo::KeyInsert {
                object: object_path.to_vec(),
                key: key.to_string(),
                value,
            }),
            None => undo.push(|| Undo::KeyRemove {
                object: object_path.to_vec(),
                key: key.to_string(),
            }),
        },
        Kind::ObjectDelete(_) => {
            if let Some(value) = map.remove(key) {
                undo.push(|| Undo::KeyInsert {
                    object: object_path.to_vec(),
                    key: key.to_string(),
                    value,
                });
            }
        }
        _ => {}
    }
    Ok(())
}

fn in_range(index: i64, limit: usize, len: usize) -> Result<usize, OtError> {
    usize::try_from(index)
        .ok()
        .filter(|i| *i < limit)
        .ok_or(OtError::IndexOutOfRange { index, len })
}

/// Walks `path` from `doc`, with the reference's errors: stepping out of
/// `null` or a missing element is `path_invalid`.
pub(crate) fn walk_mut<'a>(
    doc: &'a mut Value,
    path: &[PathElem],
) -> Result<&'a mut Value, OtError> {
    let mut cur = doc;
    for (depth, p) in path.iter().enumerate() {
        cur = match (cur, p) {
            (Value::Array(items), PathElem::Index(i)) => usize::try_from(*i)
                .ok()
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| OtError::PathInvalid(format!("no element {i} at depth {depth}")))?,
            (Value::Object(map), PathElem::Key(k)) => map
                .get_mut(&**k)
                .ok_or_else(|| OtError::PathInvalid(format!("no key {k:?} at depth {depth}")))?,
            (Value::Array(_), PathElem::Key(k)) => {
                return Err(OtError::PathTypeMismatch(format!("key {k:?} into a list")));
            }
            (Value::Object(_), PathElem::Index(i)) => {
                return Err(OtError::PathTypeMismatch(format!(
                    "index {i} into an object"
                )));
            }
            (Value::Null, _) => {
                return Err(OtError::PathInvalid(format!("null at depth {depth}")));
            }
            (_, _) => return Err(OtError::NotAContainer(format!("scalar at depth {depth}"))),
        };
    }
    Ok(cur)
}

/// The value at `path`; `missing` is the error when there is none.
fn target_mut<'a>(
    doc: &'a mut Value,
    path: &[PathElem],
    missing: OtError,
) -> Result<&'a mut Value, OtError> {
    let Some((last, container_path)) = path.split_last() else {
        return Ok(doc);
    };
    match (walk_mut(doc, container_path)?, last) {
        (Value::Array(items), PathElem::Index(i)) => usize::try_from(*i)
            .ok()
            .and_then(|i| items.get_mut(i))
            .ok_or(missing),
        (Value::Object(map), PathElem::Key(k)) => map.get_mut(&**k).ok_or(missing),
        (Value::Array(_), PathElem::Key(k)) => {
            Err(OtError::PathTypeMismatch(format!("key {k:?} into a list")))
        }
        (Value::Object(_), PathElem::Index(i)) => Err(OtError::PathTypeMismatch(format!(
            "index {i} into an object"
        ))),
        (Value::Null, _) => Err(missing),
        _ => Err(OtError::NotAContainer("scalar holds no elements".into())),
    }
}

fn rollback(doc: &mut Value, undo: Vec<Undo>) {
    // Each entry reverses a change that succeeded, so every path below
    // exists; a failure here would be a bug, and is ignored rather than
    // turned into a panic.
    for u in undo.into_iter().rev() {
        match u {
            Undo::Set { path, old } => {
                if path.is_empty() {
                    *doc = old;
                } else if let Ok(v) = target_mut(doc, &path, OtError::NotAContainer(String::new()))
                {
                    *v = old;
                }
            }
            Undo::ListRemove { list, index } => {
                if let Ok(Value::Array(items)) = walk_mut(doc, &list)
                    && index < items.len()
                {
                    items.remove(index);
                }
            }
            Undo::ListInsert { list, index, value } => {
                if let Ok(Value::Array(items)) = walk_mut(doc, &list)
                    && index <= items.len()
                {
                    items.insert(index, value);
                }
            }
            Undo::ListMove { list, from, to } => {
                if let Ok(Value::Array(items)) = walk_mut(doc, &list)
                    && from < items.len()
                    && to < items.len()
                {
                    let e = items.remove(from);
                    items.insert(to, e);
                }
            }
            Undo::KeyRemove { object, key } => {
                if let Ok(Value::Object(map)) = walk_mut(doc, &object) {
                    map.remove(&key);
                }
            }
            Undo::KeyInsert { object, key, value } => {
                if let Ok(Value::Object(map)) = walk_mut(doc, &object) {
                    map.insert(key, value);
                }
            }
            Undo::Text { string, op } => {
                if let Ok(Value::String(s)) = target_mut(doc, &string, OtError::NotAString) {
                    let _ = text0::apply_component(s, &op);
                }
            }
        }
    }
}
