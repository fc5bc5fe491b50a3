//! json0 ops as Rust values: a path plus exactly one instruction.
//!
//! Parsing is strict. Everything the reference would mangle (unknown fields,
//! two instructions in one component, a non-integer index, a string key
//! where a list index belongs) is refused here, once, so the algorithms in
//! the other modules only ever see well-formed components.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

use crate::OtError;
use crate::text0::{TextComponent, TextKind};

/// Deepest a document may nest: a component's path length plus the nesting
/// depth of the value it inserts may not exceed this. It keeps every
/// document parseable by serde_json's recursion limit (128) even inside a
/// protocol envelope, and keeps recursive drops and clones shallow.
pub const MAX_DEPTH: usize = 100;

/// Largest integer JavaScript represents exactly (2^53 − 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// One step of a path: a list index or an object key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElem {
    /// A position in a list (or, as the last element of an `si`/`sd` path,
    /// an offset in a string). Signed because the reference's arithmetic is.
    Index(i64),
    /// A key in an object (shared: paths are cloned often during transform).
    Key(Arc<str>),
}

impl PathElem {
    /// The JSON form: a number or a string.
    pub fn to_value(&self) -> Value {
        match self {
            PathElem::Index(i) => Value::from(*i),
            PathElem::Key(k) => Value::from(&**k),
        }
    }

    /// The index, if this is one.
    pub fn index(&self) -> Option<i64> {
        match self {
            PathElem::Index(i) => Some(*i),
            PathElem::Key(_) => None,
        }
    }
}

impl fmt::Display for PathElem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElem::Index(i) => write!(f, "{i}"),
            PathElem::Key(k) => write!(f, "{k:?}"),
        }
    }
}

/// A path from the document root.
pub type Path = Vec<PathElem>;

/// What a component does at its path.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `na`: add to a number.
    NumberAdd(f64),
    /// `li`: insert into a list.
    ListInsert(Arc<Value>),
    /// `ld`: delete from a list (the value deleted).
    ListDelete(Arc<Value>),
    /// `li` + `ld`: replace a list element.
    ListReplace {
        /// The new element.
        insert: Arc<Value>,
        /// The element replaced.
        delete: Arc<Value>,
    },
    /// `lm`: move a list element to another index.
    ListMove(i64),
    /// `oi`: insert under a key that holds nothing.
    ObjectInsert(Arc<Value>),
    /// `od`: delete a key (the value deleted).
    ObjectDelete(Arc<Value>),
    /// `oi` + `od`: replace a key's value.
    ObjectReplace {
        /// The new value.
        insert: Arc<Value>,
        /// The value replaced.
        delete: Arc<Value>,
    },
    /// `si`: insert text; the last path element is the UTF-16 offset.
    StringInsert(String),
    /// `sd`: delete text; the last path element is the UTF-16 offset.
    StringDelete(String),
    /// `t` + `o`: an op of a registered subtype on the value at the path.
    Subtype {
        /// The subtype's name, such as `text0`.
        name: Arc<str>,
        /// The subtype's own op.
        op: Arc<Value>,
    },
}

/// One json0 component.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Where it applies.
    pub path: Path,
    /// What it does.
    pub kind: Kind,
}

/// A json0 op: components applied in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Op(pub Vec<Component>);

impl Kind {
    /// The `li` value, if any.
    pub fn li(&self) -> Option<&Value> {
        match self {
            Kind::ListInsert(v) | Kind::ListReplace { insert: v, .. } => Some(&**v),
            _ => None,
        }
    }
    /// The `ld` value, if any.
    pub fn ld(&self) -> Option<&Value> {
        match self {
            Kind::ListDelete(v) | Kind::ListReplace { delete: v, .. } => Some(&**v),
            _ => None,
        }
    }
    /// The `oi` value, if any.
    pub fn oi(&self) -> Option<&Value> {
        match self {
            Kind::ObjectInsert(v) | Kind::ObjectReplace { insert: v, .. } => Some(&**v),
            _ => None,
        }
    }
    /// The `od` value, if any.
    pub fn od(&self) -> Option<&Value> {
        match self {
            Kind::ObjectDelete(v) | Kind::ObjectReplace { delete: v, .. } => Some(&**v),
            _ => None,
        }
    }
    /// The `lm` target, if any.
    pub fn lm(&self) -> Option<i64> {
        match self {
            Kind::ListMove(to) => Some(*to),
            _ => None,
        }
    }
    /// True for `si` and `sd`.
    pub fn is_string_op(&self) -> bool {
        matches!(self, Kind::StringInsert(_) | Kind::StringDelete(_))
    }
    /// True for `na` and `t` ops, which act on the value at their path
    /// rather than on a slot of its container.
    pub fn acts_on_value(&self) -> bool {
        matches!(self, Kind::NumberAdd(_) | Kind::Subtype { .. })
    }
}

impl Component {
    /// Parses one component, refusing anything ill-formed.
    pub fn from_value(v: &Value) -> Result<Component, OtError> {
        Self::parse(v, 0, false)
    }

    /// `missing_path_is_root` is normalize's leniency: `p` absent means `[]`.
    pub(crate) fn parse(
        v: &Value,
        index: usize,
        missing_path_is_root: bool,
    ) -> Result<Component, OtError> {
        let Value::Object(m) = v else {
            return Err(ill_formed(format!("component {index} is not an object")));
        };
        let path = match m.get("p") {
            Some(Value::Array(items)) => parse_path(items)?,
            None | Some(Value::Null) if missing_path_is_root => Vec::new(),
            None | Some(Value::Null) => return Err(OtError::MissingPath { component: index }),
            Some(_) => return Err(ill_formed(format!("component {index}: p is not an array"))),
        };
        let field = |k: &str| m.get(k);
        let mut present: Vec<&str> = Vec::with_capacity(2);
        for k in m.keys() {
            match k.as_str() {
                "p" => {}
                "na" | "li" | "ld" | "lm" | "oi" | "od" | "si" | "sd" | "t" | "o" => {
                    present.push(k.as_str())
                }
                other => return Err(ill_formed(format!("unknown field {other:?}"))),
            }
        }
        present.sort_unstable();
        let kind = match present.as_slice() {
            ["na"] => Kind::NumberAdd(
                field("na")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| ill_formed("na must be a number".into()))?,
            ),
            ["li"] => Kind::ListInsert(shared(&m["li"])),
            ["ld"] => Kind::ListDelete(shared(&m["ld"])),
            ["ld", "li"] => Kind::ListReplace {
                insert: shared(&m["li"]),
                delete: shared(&m["ld"]),
            },
            ["lm"] => Kind::ListMove(
                field("lm")
                    .and_then(js_index)
                    .ok_or_else(|| ill_formed("lm must be a non-negative integer".into()))?,
            ),
            ["oi"] => Kind::ObjectInsert(shared(&m["oi"])),
            ["od"] => Kind::ObjectDelete(shared(&m["od"])),
            ["od", "oi"] => Kind::ObjectReplace {
                insert: shared(&m["oi"]),
                delete: shared(&m["od"]),
            },
            ["si"] => Kind::StringInsert(string_field(&m["si"], "si")?),
            ["sd"] => Kind::StringDelete(string_field(&m["sd"], "sd")?),
            ["o", "t"] => Kind::Subtype {
                name: match &m["t"] {
                    Value::String(s) if !s.is_empty() => Arc::from(s.as_str()),
                    _ => return Err(ill_formed("t must be a subtype name".into())),
                },
                op: shared(&m["o"]),
            },
            [] => return Err(ill_formed("component has no instruction".into())),
            more => return Err(ill_formed(format!("conflicting instructions {more:?}"))),
        };
        let c = Component { path, kind };
        c.check_shape()?;
        Ok(c)
    }

    /// Checks that the last path element has the type the instruction needs
    /// and that the document cannot grow deeper than [`MAX_DEPTH`].
    fn check_shape(&self) -> Result<(), OtError> {
        let last = self.path.last();
        match &self.kind {
            Kind::ListInsert(_)
            | Kind::ListDelete(_)
            | Kind::ListReplace { .. }
            | Kind::ListMove(_) => match last {
                Some(PathElem::Index(_)) => {}
                Some(PathElem::Key(k)) => {
                    return Err(OtError::PathTypeMismatch(format!(
                        "list instruction with key {k:?}"
                    )));
                }
                None => return Err(ill_formed("list instruction on the document root".into())),
            },
            Kind::ObjectInsert(_) | Kind::ObjectDelete(_) | Kind::ObjectReplace { .. } => {
                if let Some(PathElem::Index(i)) = last {
                    return Err(OtError::PathTypeMismatch(format!(
                        "object instruction with index {i}"
                    )));
                }
            }
            Kind::StringInsert(_) | Kind::StringDelete(_) => {
                if !matches!(last, Some(PathElem::Index(_))) {
                    return Err(ill_formed("si/sd path must end in a string offset".into()));
                }
            }
            Kind::NumberAdd(_) | Kind::Subtype { .. } => {}
        }
        let value_depth = [
            self.kind.li(),
            self.kind.ld(),
            self.kind.oi(),
            self.kind.od(),
        ]
        .into_iter()
        .flatten()
        .map(depth)
        .max()
        .unwrap_or(0);
        if self.path.len() + value_depth > MAX_DEPTH {
            return Err(OtError::TooDeep(format!(
                "path length {} plus value depth {value_depth} exceeds {MAX_DEPTH}",
                self.path.len()
            )));
        }
        Ok(())
    }

    /// The JSON form, exactly as the reference would write it.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("p".into(), path_to_value(&self.path));
        let mut put = |k: &str, v: Value| {
            m.insert(k.into(), v);
        };
        match &self.kind {
            Kind::NumberAdd(n) => put("na", js_number(*n)),
            Kind::ListInsert(v) => put("li", (**v).clone()),
            Kind::ListDelete(v) => put("ld", (**v).clone()),
            Kind::ListReplace { insert, delete } => {
                put("li", (**insert).clone());
                put("ld", (**delete).clone());
            }
            Kind::ListMove(to) => put("lm", Value::from(*to)),
            Kind::ObjectInsert(v) => put("oi", (**v).clone()),
            Kind::ObjectDelete(v) => put("od", (**v).clone()),
            Kind::ObjectReplace { insert, delete } => {
                put("oi", (**insert).clone());
                put("od", (**delete).clone());
            }
            Kind::StringInsert(s) => put("si", Value::from(s.as_str())),
            Kind::StringDelete(s) => put("sd", Value::from(s.as_str())),
            Kind::Subtype { name, op } => {
                put("t", Value::from(&**name));
                put("o", (**op).clone());
            }
        }
        Value::Object(m)
    }

    /// For `si`/`sd`: the path of the string and the offset in it.
    pub(crate) fn string_target(&self) -> Option<(&[PathElem], i64)> {
        if !self.kind.is_string_op() {
            return None;
        }
        let (last, parent) = self.path.split_last()?;
        Some((parent, last.index()?))
    }

    /// For `si`/`sd`: the string's path and the edit as a text0 component,
    /// the form the reference converts them to for composing and
    /// transforming.
    pub(crate) fn text_edit(&self) -> Option<(&[PathElem], TextComponent)> {
        let (string, offset) = self.string_target()?;
        let tc = match &self.kind {
            Kind::StringInsert(s) => TextComponent::insert(offset, s.clone()),
            Kind::StringDelete(s) => TextComponent::delete(offset, s.clone()),
            _ => return None,
        };
        Some((string, tc))
    }

    /// The `si`/`sd` component that makes text0 edit `tc` on the string at
    /// `string`.
    pub(crate) fn from_text_edit(string: &[PathElem], tc: TextComponent) -> Component {
        let mut path = string.to_vec();
        path.push(PathElem::Index(tc.p));
        let kind = match tc.kind {
            TextKind::Insert(s) => Kind::StringInsert(s),
            TextKind::Delete(s) => Kind::StringDelete(s),
        };
        Component { path, kind }
    }
}

impl serde::Serialize for PathElem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PathElem::Index(i) => s.serialize_i64(*i),
            PathElem::Key(k) => s.serialize_str(k),
        }
    }
}

/// One member of a component's JSON object, borrowed from the component.
enum Member<'a> {
    Path(&'a [PathElem]),
    Value(&'a Value),
    Number(f64),
    Index(i64),
    Str(&'a str),
}

impl serde::Serialize for Member<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Member::Path(p) => p.serialize(s),
            Member::Value(v) => v.serialize(s),
            Member::Number(n) => js_number(*n).serialize(s),
            Member::Index(i) => s.serialize_i64(*i),
            Member::Str(t) => s.serialize_str(t),
        }
    }
}

/// Writes the same JSON as [`Component::to_value`] without building it
/// (no clone of inserted or deleted values): the sync server prints every
/// committed op twice, for its subscribers and for the store. The members
/// come in the order `to_value`'s map keeps (sorted by key), so the two
/// texts are equal byte for byte.
impl serde::Serialize for Component {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut members: [Option<(&str, Member<'_>)>; 3] =
            [Some(("p", Member::Path(&self.path))), None, None];
        let (one, two) = match &self.kind {
            Kind::NumberAdd(n) => (("na", Member::Number(*n)), None),
            Kind::ListInsert(v) => (("li", Member::Value(v)), None),
            Kind::ListDelete(v) => (("ld", Member::Value(v)), None),
            Kind::ListReplace { insert, delete } => (
                ("li", Member::Value(insert)),
                Some(("ld", Member::Value(delete))),
            ),
            Kind::ListMove(to) => (("lm", Member::Index(*to)), None),
            Kind::ObjectInsert(v) => (("oi", Member::Value(v)), None),
            Kind::ObjectDelete(v) => (("od", Member::Value(v)), None),
            Kind::ObjectReplace { insert, delete } => (
                ("oi", Member::Value(insert)),
                Some(("od", Member::Value(delete))),
            ),
            Kind::StringInsert(t) => (("si", Member::Str(t)), None),
            Kind::StringDelete(t) => (("sd", Member::Str(t)), None),
            Kind::Subtype { name, op } => {
                (("t", Member::Str(name)), Some(("o", Member::Value(op))))
            }
        };
        members[1] = Some(one);
        members[2] = two;
        members.sort_by_key(|m| m.as_ref().map(|(key, _)| *key));
        let mut map = s.serialize_map(Some(members.iter().flatten().count()))?;
        for (key, member) in members.iter().flatten() {
            map.serialize_entry(key, member)?;
        }
        map.end()
    }
}

/// An op writes as the array of its components (see [`Component`]'s).
impl serde::Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A path as JSON (`["notes", "text", 12]`).
pub fn path_to_value(path: &[PathElem]) -> Value {
    Value::Array(path.iter().map(PathElem::to_value).collect())
}

/// Parses a path from JSON: an array of keys and non-negative indices.
pub fn path_from_value(v: &Value) -> Result<Path, OtError> {
    match v {
        Value::Array(items) => parse_path(items),
        _ => Err(ill_formed("a path must be an array".into())),
    }
}

impl Op {
    /// Parses an op: a JSON array of components.
    pub fn from_value(v: &Value) -> Result<Op, OtError> {
        let Value::Array(items) = v else {
            return Err(ill_formed("an op must be an array of components".into()));
        };
        let components = items
            .iter()
            .enumerate()
            .map(|(i, c)| Component::parse(c, i, false))
            .collect::<Result<_, _>>()?;
        Ok(Op(components))
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        Value::Array(self.0.iter().map(Component::to_value).collect())
    }

    /// The components.
    pub fn components(&self) -> &[Component] {
        &self.0
    }

    /// Number of components.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the op does nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Component>> for Op {
    fn from(components: Vec<Component>) -> Self {
        Op(components)
    }
}

fn parse_path(items: &[Value]) -> Result<Path, OtError> {
    items
        .iter()
        .map(|v| match v {
            Value::String(s) if s == "__proto__" || s == "constructor" => {
                Err(OtError::ReservedKey(s.clone()))
            }
            Value::String(s) => Ok(PathElem::Key(Arc::from(s.as_str()))),
            Value::Number(_) => js_index(v)
                .map(PathElem::Index)
                .ok_or_else(|| ill_formed(format!("path index {v} is not a non-negative integer"))),
            other => Err(ill_formed(format!(
                "path element {other} is neither key nor index"
            ))),
        })
        .collect()
}

fn shared(v: &Value) -> Arc<Value> {
    Arc::new(v.clone())
}

fn string_field(v: &Value, name: &str) -> Result<String, OtError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(ill_formed(format!("{name} must be a string"))),
    }
}

fn ill_formed(msg: String) -> OtError {
    OtError::IllFormedComponent(msg)
}

/// A JSON number that is a non-negative integer JavaScript holds exactly
/// (`1.0` counts, as it does in JavaScript).
pub(crate) fn js_index(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    if let Some(i) = n.as_u64() {
        return (i as f64 <= MAX_SAFE_INTEGER).then_some(i as i64);
    }
    let f = n.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE_INTEGER).then_some(f as i64)
}

/// The JSON value JavaScript's `JSON.stringify` would produce for `n`:
/// integral values print without a fraction (and `-0` as `0`).
pub(crate) fn js_number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
        return Value::from(n as i64);
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// JavaScript's `a === b` for two values that were cloned independently:
/// primitives compare by value, objects and arrays are never identical.
pub(crate) fn js_strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// Nesting depth of a JSON value: 0 for a scalar, 1 for a flat list, ...
/// Recursion is bounded by serde_json's parse depth limit.
pub(crate) fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_prints_every_kind() {
        for c in [
            json!({"p": ["a", 0], "na": 2}),
            json!({"p": ["l", 1], "li": {"x": 1}}),
            json!({"p": ["l", 1], "ld": 3}),
            json!({"p": ["l", 1], "li": 1, "ld": 2}),
            json!({"p": ["l", 1], "lm": 0}),
            json!({"p": ["k"], "oi": null}),
            json!({"p": ["k"], "od": [1]}),
            json!({"p": ["k"], "oi": 1, "od": 2}),
            json!({"p": ["s", 3], "si": "é😀"}),
            json!({"p": ["s", 0], "sd": "x"}),
            json!({"p": ["s"], "t": "text0", "o": [{"p": 0, "i": "x"}]}),
            json!({"p": [], "na": 0.25}),
            json!({"p": ["n"], "na": -9007199254740991_i64}),
            json!({"p": ["n"], "na": 1e300}),
        ] {
            let parsed = Component::from_value(&c).unwrap();
            assert_eq!(parsed.to_value(), c);
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                serde_json::to_string(&c).unwrap(),
                "Serialize writes what to_value writes"
            );
        }
    }

    #[test]
    fn refuses_ill_formed_components() {
        for (c, code) in [
            (json!({"na": 1}), "missing_path"),
            (json!({"p": "a", "na": 1}), "ill_formed_component"),
            (json!({"p": [], "na": "1"}), "ill_formed_component"),
            (json!({"p": [0], "li": 1, "oi": 2}), "ill_formed_component"),
            (json!({"p": [0], "li": 1, "x": 2}), "ill_formed_component"),
            (json!({"p": [0.5], "ld": 1}), "ill_formed_component"),
            (json!({"p": [-1], "ld": 1}), "ill_formed_component"),
            (json!({"p": ["a"], "li": 1}), "path_type_mismatch"),
            (json!({"p": [0], "oi": 1}), "path_type_mismatch"),
            (json!({"p": ["__proto__"], "oi": 1}), "reserved_key"),
            (json!({"p": []}), "ill_formed_component"),
        ] {
            let err = Component::from_value(&c).unwrap_err();
            assert_eq!(err.code(), code, "{c}");
        }
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(js_number(3.0), json!(3));
        assert_eq!(js_number(-0.0), json!(0));
        assert_eq!(js_number(0.5), json!(0.5));
        assert_eq!(js_index(&json!(2.0)), Some(2));
        assert!(js_strict_eq(&json!(1), &json!(1.0)));
        assert!(!js_strict_eq(&json!([1]), &json!([1])));
    }
}
