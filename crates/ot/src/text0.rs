//! text0, the plain-text type json0 embeds: `si`/`sd` components and
//! `t: "text0"` subtype ops. Offsets are UTF-16 code units.
//!
//! A port of ot-json0 1.1.0's `lib/text0.js`, including its quirks (empty
//! inserts vanish on append, deletes are checked against the text).

use serde_json::{Map, Value};

use crate::bootstrap::{self, ComponentOps};
use crate::{OtError, Side, utf16};

/// One text0 component: insert or delete `text` at UTF-16 offset `p`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextComponent {
    /// Offset in UTF-16 code units.
    pub p: i64,
    /// What happens there.
    pub kind: TextKind,
}

/// Insert or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextKind {
    /// `{i: text}`
    Insert(String),
    /// `{d: text}`
    Delete(String),
}

impl TextComponent {
    /// An insert component.
    pub fn insert(p: i64, text: impl Into<String>) -> Self {
        TextComponent {
            p,
            kind: TextKind::Insert(text.into()),
        }
    }

    /// A delete component.
    pub fn delete(p: i64, text: impl Into<String>) -> Self {
        TextComponent {
            p,
            kind: TextKind::Delete(text.into()),
        }
    }

    /// The component that undoes this one.
    pub fn inverted(&self) -> TextComponent {
        match &self.kind {
            TextKind::Insert(s) => TextComponent::delete(self.p, s.clone()),
            TextKind::Delete(s) => TextComponent::insert(self.p, s.clone()),
        }
    }

    fn text(&self) -> &str {
        match &self.kind {
            TextKind::Insert(s) | TextKind::Delete(s) => s,
        }
    }

    fn is_empty(&self) -> bool {
        self.text().is_empty()
    }

    /// Length of the inserted or deleted text in UTF-16 code units.
    fn units(&self) -> i64 {
        utf16::to_i64(utf16::len(self.text()))
    }

    /// The JSON form, `{"p":…, "i"|"d":…}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("p".into(), Value::from(self.p));
        match &self.kind {
            TextKind::Insert(s) => m.insert("i".into(), Value::from(s.as_str())),
            TextKind::Delete(s) => m.insert("d".into(), Value::from(s.as_str())),
        };
        Value::Object(m)
    }
}

/// Parses a text0 op: an array of `{p, i}` / `{p, d}` objects.
pub fn parse_op(v: &Value) -> Result<Vec<TextComponent>, OtError> {
    let Value::Array(items) = v else {
        return Err(ill_formed("a text0 op must be an array"));
    };
    items.iter().map(parse_component).collect()
}

fn parse_component(v: &Value) -> Result<TextComponent, OtError> {
    let Value::Object(m) = v else {
        return Err(ill_formed("a text0 component must be an object"));
    };
    if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "p" | "i" | "d")) {
        return Err(ill_formed(&format!("unknown text0 field {k:?}")));
    }
    let p = m
        .get("p")
        .and_then(crate::component::js_index)
        .ok_or_else(|| ill_formed("text0 position must be a non-negative integer"))?;
    match (m.get("i"), m.get("d")) {
        (Some(Value::String(i)), None) => Ok(TextComponent::insert(p, i.clone())),
        (None, Some(Value::String(d))) => Ok(TextComponent::delete(p, d.clone())),
        _ => Err(ill_formed(
            "a text0 component needs exactly one of i or d, a string",
        )),
    }
}

/// The JSON form of a text0 op.
pub fn op_to_value(op: &[TextComponent]) -> Value {
    Value::Array(op.iter().map(TextComponent::to_value).collect())
}

fn ill_formed(msg: &str) -> OtError {
    OtError::IllFormedComponent(msg.to_string())
}

/// Applies one component to `s` in place.
pub fn apply_component(s: &mut String, c: &TextComponent) -> Result<(), OtError> {
    let at = usize::try_from(c.p).map_err(|_| OtError::IndexOutOfRange {
        index: c.p,
        len: utf16::len(s),
    })?;
    let byte = utf16::byte_offset(s, at)?;
    match &c.kind {
        TextKind::Insert(text) => s.insert_str(byte, text),
        TextKind::Delete(text) => {
            if !s[byte..].starts_with(text.as_str()) {
                let actual = utf16::slice(s, c.p, Some(c.p + c.units())).unwrap_or_default();
                return Err(OtError::DeleteMismatch {
                    expected: text.clone(),
                    actual: actual.to_string(),
                });
            }
            s.replace_range(byte..byte + text.len(), "");
        }
    }
    Ok(())
}

/// Applies a whole op to `s`, returning the new text.
pub fn apply(s: &str, op: &[TextComponent]) -> Result<String, OtError> {
    let mut out = s.to_string();
    for c in op {
        apply_component(&mut out, c)?;
    }
    Ok(out)
}

/// Appends `c` to `dest`, merging adjacent inserts and adjacent deletes.
pub fn append(dest: &mut Vec<TextComponent>, c: TextComponent) -> Result<(), OtError> {
    if c.is_empty() {
        return Ok(());
    }
    let Some(last) = dest.last_mut() else {
        dest.push(c);
        return Ok(());
    };
    match (&last.kind, &c.kind) {
        (TextKind::Insert(li), TextKind::Insert(ci))
            if last.p <= c.p && c.p <= last.p + last.units() =>
        {
            *last = TextComponent::insert(last.p, utf16::inject(li, c.p - last.p, ci)?);
        }
        (TextKind::Delete(ld), TextKind::Delete(cd))
            if c.p <= last.p && last.p <= c.p + c.units() =>
        {
            *last = TextComponent::delete(c.p, utf16::inject(cd, last.p - c.p, ld)?);
        }
        _ => dest.push(c),
    }
    Ok(())
}

/// Composes `a` then `b` into one op.
pub fn compose(a: &[TextComponent], b: &[TextComponent]) -> Result<Vec<TextComponent>, OtError> {
    let mut out = a.to_vec();
    for c in b {
        append(&mut out, c.clone())?;
    }
    Ok(out)
}

/// The op that undoes `op`.
pub fn invert(op: &[TextComponent]) -> Vec<TextComponent> {
    op.iter().rev().map(TextComponent::inverted).collect()
}

/// Where position `pos` moves to when `c` is applied. For an insert exactly
/// at `pos`, `insert_after` decides whether the position ends up after it.
pub fn transform_position(pos: i64, c: &TextComponent, insert_after: bool) -> i64 {
    match &c.kind {
        TextKind::Insert(_) => {
            if c.p < pos || (c.p == pos && insert_after) {
                pos + c.units()
            } else {
                pos
            }
        }
        TextKind::Delete(_) => {
            if pos <= c.p {
                pos
            } else if pos <= c.p + c.units() {
                c.p
            } else {
                pos - c.units()
            }
        }
    }
}

/// Moves a cursor through `op`; with `Side::Right` the cursor ends up after
/// text inserted exactly at it.
pub fn transform_cursor(pos: i64, op: &[TextComponent], side: Side) -> i64 {
    op.iter().fold(pos, |pos, c| {
        transform_position(pos, c, side == Side::Right)
    })
}

/// Transforms `op` so that it applies after `other`.
pub fn transform(
    op: &[TextComponent],
    other: &[TextComponent],
    side: Side,
) -> Result<Vec<TextComponent>, OtError> {
    bootstrap::transform(&Text0Ops, op, other, side)
}

/// text0's component-level transform and append, for the bootstrap.
pub(crate) struct Text0Ops;

impl ComponentOps<TextComponent> for Text0Ops {
    fn transform_component(
        &self,
        dest: &mut Vec<TextComponent>,
        c: &TextComponent,
        other: &TextComponent,
        side: Side,
    ) -> Result<(), OtError> {
        transform_component(dest, c, other, side)
    }

    fn append(&self, dest: &mut Vec<TextComponent>, c: TextComponent) -> Result<(), OtError> {
        append(dest, c)
    }
}

/// Transforms one component against another, pushing 0–2 components.
pub fn transform_component(
    dest: &mut Vec<TextComponent>,
    c: &TextComponent,
    other: &TextComponent,
    side: Side,
) -> Result<(), OtError> {
    let TextKind::Delete(cd) = &c.kind else {
        let p = transform_position(c.p, other, side == Side::Right);
        return append(
            dest,
            TextComponent {
                p,
                kind: c.kind.clone(),
            },
        );
    };
    match &other.kind {
        TextKind::Insert(_) => {
            // A delete that spans the insert point splits around it.
            let mut s = cd.as_str();
            if c.p < other.p {
                let head = utf16::slice(s, 0, Some(other.p - c.p))?;
                append(dest, TextComponent::delete(c.p, head))?;
                s = utf16::slice(s, other.p - c.p, None)?;
            }
            if !s.is_empty() {
                append(dest, TextComponent::delete(c.p + other.units(), s))?;
            }
        }
        TextKind::Delete(od) => {
            let (c_end, o_end) = (c.p + c.units(), other.p + other.units());
            if c.p >= o_end {
                append(dest, TextComponent::delete(c.p - other.units(), cd.clone()))?;
            } else if c_end <= other.p {
                append(dest, c.clone())?;
            } else {
                // The deletes overlap: keep only what the other did not delete.
                let mut rest = String::new();
                if c.p < other.p {
                    rest.push_str(utf16::slice(cd, 0, Some(other.p - c.p))?);
                }
                if c_end > o_end {
                    rest.push_str(utf16::slice(cd, o_end - c.p, None)?);
                }
                let start = c.p.max(other.p);
                let end = c_end.min(o_end);
                let mine = utf16::slice(cd, start - c.p, Some(end - c.p))?;
                let theirs = utf16::slice(od, start - other.p, Some(end - other.p))?;
                if mine != theirs {
                    return Err(OtError::DeleteConflict);
                }
                if !rest.is_empty() {
                    let p = transform_position(c.p, other, false);
                    append(dest, TextComponent::delete(p, rest))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_with_utf16_offsets() {
        let op = [TextComponent::insert(3, "!")];
        assert_eq!(apply("a😀b", &op).unwrap(), "a😀!b");
        let del = [TextComponent::delete(1, "😀")];
        assert_eq!(apply("a😀b", &del).unwrap(), "ab");
        let bad = [TextComponent::delete(1, "x")];
        assert!(matches!(
            apply("a😀b", &bad),
            Err(OtError::DeleteMismatch { .. })
        ));
    }

    #[test]
    fn delete_splits_around_concurrent_insert() {
        let c = [TextComponent::delete(1, "bcd")];
        let other = [TextComponent::insert(2, "XY")];
        let out = transform(&c, &other, Side::Left).unwrap();
        assert_eq!(
            out,
            vec![
                TextComponent::delete(1, "b"),
                TextComponent::delete(3, "cd")
            ]
        );
    }

    #[test]
    fn appends_merge_like_the_reference() {
        let mut op = vec![];
        append(&mut op, TextComponent::insert(0, "ab")).unwrap();
        append(&mut op, TextComponent::insert(1, "X")).unwrap();
        append(&mut op, TextComponent::insert(9, "")).unwrap();
        assert_eq!(op, vec![TextComponent::insert(0, "aXb")]);
    }
}
