//! The shared elements of a room as json0 documents, and their schemas.
//!
//! `rooms/<room>` lists a room's elements, their order and which has focus;
//! `elements/<room>:<id>` is one element. [`check`] is called by the sync
//! layer with a document as it would be after an op; a document that breaks
//! its schema is refused, so every client can trust the shape of what it
//! receives (and still checks it). Other collections are not checked.
//!
//! Checks look only at what the op touched (a list item, a field), plus the
//! small cross-field rules of each kind, so a check costs about what the op
//! costs, not the size of the document. `docs/elements.md` is the
//! user-facing description of these documents and of how concurrent
//! actions resolve.
//!
//! # Invariants
//! - No IO. Never panics on any document or op.
//! - A document's `kind` never changes after creation.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::HashSet;

use ot::{Op, PathElem};
use serde_json::{Map, Value};

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, SchemaError> {
    Err(SchemaError(message.into()))
}

/// The collection of room documents.
pub const ROOMS: &str = "rooms";
/// The collection of element documents.
pub const ELEMENTS: &str = "elements";

/// Most elements in a room.
pub const MAX_ELEMENTS: usize = 100;
/// Most strokes on a whiteboard.
pub const MAX_STROKES: usize = 20_000;
/// Most points in one stroke.
pub const MAX_POINTS: usize = 10_000;
/// Most markers on a map.
pub const MAX_MARKERS: usize = 2_000;
/// Most pages of a slides document.
pub const MAX_PAGES: i64 = 10_000;

/// The element kinds.
pub const KINDS: [&str; 5] = ["slides", "video", "whiteboard", "notes", "map"];

/// Checks `data` (the document after an op; `None` once deleted) of
/// `collection`/`id`. `op` is the edit that produced it, or `None` for a
/// create (then everything is checked).
pub fn check(
    collection: &str,
    _id: &str,
    data: Option<&Value>,
    op: Option<&Op>,
) -> Result<(), SchemaError> {
    let Some(data) = data else { return Ok(()) };
    let touched = op.map(touched);
    match collection {
        ROOMS => check_room(data, touched.as_ref()),
        ELEMENTS => check_element(data, touched.as_ref()),
        _ => Ok(()),
    }
}

/// What an op touched: for each component, its top-level key and, for a
/// list under it, the item index (`None` when the whole field changed).
struct Touched {
    /// The root itself was replaced (or edited without a key).
    root: bool,
    fields: Vec<(String, Option<usize>)>,
}

fn touched(op: &Op) -> Touched {
    let mut t = Touched {
        root: false,
        fields: Vec::new(),
    };
    for c in &op.0 {
        match c.path.first() {
            Some(PathElem::Key(k)) => {
                let item = match (c.path.get(1), c.path.len()) {
                    // An item replaced, inserted, removed or moved: the item
                    // (still) at that index is checked; moves and removals
                    // cannot break items, and lengths are checked anyway.
                    (Some(PathElem::Index(i)), _) => usize::try_from(*i).ok(),
                    _ => None,
                };
                // A move's destination is also an index in the same list.
                let entry = (k.to_string(), item);
                if !t.fields.contains(&entry) {
                    t.fields.push(entry);
                }
            }
            _ => t.root = true,
        }
    }
    t
}

impl Touched {
    /// True if `key` must be checked whole.
    fn whole(&self, key: &str) -> bool {
        self.root || self.fields.iter().any(|(k, i)| k == key && i.is_none())
    }

    /// The list items of `key` to check.
    fn items(&self, key: &str) -> Vec<usize> {
        self.fields
            .iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, i)| *i)
            .collect()
    }

    fn any(&self, key: &str) -> bool {
        self.root || self.fields.iter().any(|(k, _)| k == key)
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, SchemaError> {
    v.as_object()
        .ok_or_else(|| SchemaError(format!("{what} must be an object")))
}

fn only_keys(m: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), SchemaError> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => err(format!("{what} has no field {k:?}")),
        None => Ok(()),
    }
}

fn string(m: &Map<String, Value>, key: &str, max_chars: usize) -> Result<(), SchemaError> {
    match m.get(key) {
        Some(Value::String(s)) if s.chars().count() <= max_chars => Ok(()),
        _ => err(format!(
            "{key} must be a string of at most {max_chars} characters"
        )),
    }
}

fn id(v: Option<&Value>, key: &str) -> Result<(), SchemaError> {
    match v.and_then(Value::as_str) {
        Some(s)
            if (1..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(())
        }
        _ => err(format!("{key} must be 1-64 letters, digits, - or _")),
    }
}

fn number(m: &Map<String, Value>, key: &str, min: f64, max: f64) -> Result<f64, SchemaError> {
    match m.get(key).and_then(Value::as_f64) {
        Some(n) if n.is_finite() && (min..=max).contains(&n) => Ok(n),
        _ => err(format!("{key} must be a number from {min} to {max}")),
    }
}

fn integer(m: &Map<String, Value>, key: &str, min: i64, max: i64) -> Result<i64, SchemaError> {
    match m.get(key).and_then(Value::as_i64) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => err(format!("{key} must be a whole number from {min} to {max}")),
    }
}

fn boolean(m: &Map<String, Value>, key: &str) -> Result<(), SchemaError> {
    match m.get(key) {
        Some(Value::Bool(_)) => Ok(()),
        _ => err(format!("{key} must be true or false")),
    }
}

fn sha256(v: Option<&Value>) -> Result<(), SchemaError> {
    match v.and_then(Value::as_str) {
        Some(s) if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) => {
            Ok(())
        }
        _ => err("blob must be the SHA-256 of an upload (64 hex digits)"),
    }
}

/// A list field: its length always (cheap), and the touched items (or all
/// of them when the list itself was replaced).
fn list<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    max: usize,
    t: Option<&Touched>,
    item: impl Fn(&Value) -> Result<(), SchemaError>,
) -> Result<&'a Vec<Value>, SchemaError> {
    let Some(Value::Array(items)) = m.get(key) else {
        return err(format!("{key} must be a list"));
    };
    if items.len() > max {
        return err(format!("{key} may hold at most {max} items"));
    }
    match t {
        Some(t) if !t.whole(key) => {
            for i in t.items(key) {
                if let Some(v) = items.get(i) {
                    item(v).map_err(|e| SchemaError(format!("{key}[{i}]: {e}")))?;
                }
            }
        }
        _ => {
            for (i, v) in items.iter().enumerate() {
                item(v).map_err(|e| SchemaError(format!("{key}[{i}]: {e}")))?;
            }
        }
    }
    Ok(items)
}

/// `rooms/<room>`: `{"elements": [{"id","kind","title"}], "focus": id|null}`.
fn check_room(data: &Value, t: Option<&Touched>) -> Result<(), SchemaError> {
    let m = object(data, "a room document")?;
    only_keys(m, &["elements", "focus"], "a room document")?;
    let elements = list(m, "elements", MAX_ELEMENTS, t, |e| {
        let e = object(e, "an element entry")?;
        only_keys(e, &["id", "kind", "title"], "an element entry")?;
        id(e.get("id"), "id")?;
        kind(e.get("kind"))?;
        string(e, "title", 200)
    })?;
    if t.is_none_or(|t| t.any("elements") || t.any("focus")) {
        let ids: HashSet<&str> = elements
            .iter()
            .filter_map(|e| e.get("id").and_then(Value::as_str))
            .collect();
        if ids.len() != elements.len() {
            return err("element ids must be unique");
        }
        match m.get("focus") {
            None | Some(Value::Null) => {}
            Some(Value::String(f)) if ids.contains(f.as_str()) => {}
            _ => return err("focus must be null or the id of an element in the list"),
        }
    }
    Ok(())
}

fn kind(v: Option<&Value>) -> Result<&'static str, SchemaError> {
    let k = v.and_then(Value::as_str).unwrap_or_default();
    KINDS
        .iter()
        .find(|x| **x == k)
        .copied()
        .ok_or_else(|| SchemaError(format!("kind must be one of {}", KINDS.join(", "))))
}

fn check_element(data: &Value, t: Option<&Touched>) -> Result<(), SchemaError> {
    let m = object(data, "an element")?;
    let kind = kind(m.get("kind"))?;
    if let Some(t) = t
        && !t.root
        && t.any("kind")
    {
        return err("an element's kind cannot change");
    }
    string(m, "title", 200)?;
    match kind {
        "slides" => slides(m),
        "video" => video(m),
        "whiteboard" => whiteboard(m, t),
        "notes" => notes(m),
        _ => map(m, t),
    }
}

/// `{"kind":"slides","title","blob","pages","page","zoom","pan":[x,y]}`:
/// `page` counts from 1 and never passes `pages`; zoom and pan are ratios,
/// so every screen shows the same part.
fn slides(m: &Map<String, Value>) -> Result<(), SchemaError> {
    only_keys(
        m,
        &["kind", "title", "blob", "pages", "page", "zoom", "pan"],
        "slides",
    )?;
    sha256(m.get("blob"))?;
    let pages = integer(m, "pages", 1, MAX_PAGES)?;
    integer(m, "page", 1, pages)?;
    number(m, "zoom", 1.0, 8.0)?;
    point(m.get("pan"), "pan", 0.0, 1.0)
}

fn point(v: Option<&Value>, key: &str, min: f64, max: f64) -> Result<(), SchemaError> {
    match v.and_then(Value::as_array).map(Vec::as_slice) {
        Some([x, y])
            if [x, y].iter().all(|c| {
                c.as_f64()
                    .is_some_and(|c| c.is_finite() && (min..=max).contains(&c))
            }) =>
        {
            Ok(())
        }
        _ => err(format!(
            "{key} must be [x, y] with each from {min} to {max}"
        )),
    }
}

/// `{"kind":"video","title","source":{"blob"}|{"youtube"},"playing",
/// "position","rate","at"}`: `position` (seconds) is where playback was at
/// server time `at` (Unix ms).
fn video(m: &Map<String, Value>) -> Result<(), SchemaError> {
    only_keys(
        m,
        &[
            "kind", "title", "source", "playing", "position", "rate", "at", "duration",
        ],
        "video",
    )?;
    let source = object(m.get("source").unwrap_or(&Value::Null), "source")?;
    match (source.get("blob"), source.get("youtube")) {
        (Some(b), None) => sha256(Some(b))?,
        (None, Some(Value::String(y)))
            if y.len() == 11
                && y.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {}
        _ => return err("source must be {\"blob\": sha256} or {\"youtube\": video id}"),
    }
    boolean(m, "playing")?;
    number(m, "position", 0.0, 1e7)?;
    number(m, "rate", 0.25, 4.0)?;
    number(m, "at", 0.0, 1e15)?;
    if m.contains_key("duration") {
        number(m, "duration", 0.0, 1e7)?;
    }
    Ok(())
}

/// `{"kind":"whiteboard","title","over": element id|null,"strokes":[…]}`.
fn whiteboard(m: &Map<String, Value>, t: Option<&Touched>) -> Result<(), SchemaError> {
    only_keys(m, &["kind", "title", "over", "strokes"], "whiteboard")?;
    match m.get("over") {
        None | Some(Value::Null) => {}
        v => id(v, "over")?,
    }
    list(m, "strokes", MAX_STROKES, t, stroke)?;
    Ok(())
}

/// `{"id","by","tool","color","width","points":[[x,y],…],"text"?,"page"?}`
/// with coordinates as ratios of the board; `page` is the slide a stroke
/// was drawn on when the board is `over` a slides element.
fn stroke(v: &Value) -> Result<(), SchemaError> {
    let s = object(v, "a stroke")?;
    only_keys(
        s,
        &[
            "id", "by", "tool", "color", "width", "points", "text", "page",
        ],
        "a stroke",
    )?;
    if s.contains_key("page") {
        integer(s, "page", 1, MAX_PAGES)?;
    }
    id(s.get("id"), "id")?;
    string(s, "by", 128)?;
    let tool = s.get("tool").and_then(Value::as_str).unwrap_or_default();
    if !["pen", "line", "rect", "ellipse", "arrow", "text"].contains(&tool) {
        return err("tool must be pen, line, rect, ellipse, arrow or text");
    }
    match s.get("color").and_then(Value::as_str) {
        Some(c)
            if c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) => {}
        _ => return err("color must be #rrggbb"),
    }
    number(s, "width", 0.5, 64.0)?;
    let Some(Value::Array(points)) = s.get("points") else {
        return err("points must be a list");
    };
    if points.is_empty() || points.len() > MAX_POINTS {
        return err(format!("a stroke has 1 to {MAX_POINTS} points"));
    }
    for p in points {
        match p.as_array().map(Vec::as_slice) {
            Some([x, y] | [x, y, _])
                if [x, y].iter().all(|c| {
                    c.as_f64()
                        .is_some_and(|c| c.is_finite() && (-1.0..=2.0).contains(&c))
                }) => {}
            _ => return err("a point is [x, y] or [x, y, pressure] with x, y from -1 to 2"),
        }
    }
    if tool == "text" || s.contains_key("text") {
        string(s, "text", 1000)?;
    }
    Ok(())
}

/// `{"kind":"notes","title","text"}`: shared plain text (text0 / si / sd).
fn notes(m: &Map<String, Value>) -> Result<(), SchemaError> {
    only_keys(m, &["kind", "title", "text"], "notes")?;
    match m.get("text") {
        Some(Value::String(_)) => Ok(()),
        _ => err("text must be a string"),
    }
}

/// `{"kind":"map","title","center":[lat,lng],"zoom","markers":[…]}`.
fn map(m: &Map<String, Value>, t: Option<&Touched>) -> Result<(), SchemaError> {
    only_keys(m, &["kind", "title", "center", "zoom", "markers"], "map")?;
    match m.get("center").and_then(Value::as_array).map(Vec::as_slice) {
        Some([lat, lng])
            if lat.as_f64().is_some_and(|v| (-90.0..=90.0).contains(&v))
                && lng.as_f64().is_some_and(|v| (-180.0..=180.0).contains(&v)) => {}
        _ => return err("center must be [latitude, longitude]"),
    }
    number(m, "zoom", 0.0, 22.0)?;
    list(m, "markers", MAX_MARKERS, t, |v| {
        let mk = object(v, "a marker")?;
        only_keys(mk, &["id", "by", "lat", "lng", "label"], "a marker")?;
        id(mk.get("id"), "id")?;
        string(mk, "by", 128)?;
        number(mk, "lat", -90.0, 90.0)?;
        number(mk, "lng", -180.0, 180.0)?;
        string(mk, "label", 200)
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(v: Value) -> Op {
        Op::from_value(&v).unwrap()
    }

    fn slides_doc() -> Value {
        json!({"kind": "slides", "title": "Deck", "blob": "a".repeat(64), "pages": 5, "page": 1, "zoom": 1, "pan": [0.5, 0.5]})
    }

    #[test]
    fn slides_pages_stay_in_range() {
        let mut d = slides_doc();
        assert_eq!(check(ELEMENTS, "r:1", Some(&d), None), Ok(()));
        d["page"] = json!(5);
        let o = op(json!([{"p": ["page"], "na": 4}]));
        assert_eq!(check(ELEMENTS, "r:1", Some(&d), Some(&o)), Ok(()));
        for bad in [json!(0), json!(6), json!(-1), json!(2.5), json!("3")] {
            d["page"] = bad.clone();
            assert!(check(ELEMENTS, "r:1", Some(&d), Some(&o)).is_err(), "{bad}");
        }
        let mut d = slides_doc();
        d["kind"] = json!("notes");
        d["text"] = json!("");
        let o = op(json!([{"p": ["kind"], "od": "slides", "oi": "notes"}]));
        assert!(
            check(ELEMENTS, "r:1", Some(&d), Some(&o)).is_err(),
            "kind is fixed"
        );
    }

    #[test]
    fn only_touched_strokes_are_checked() {
        let good = json!({"id": "s1", "by": "p1", "tool": "pen", "color": "#ff0000", "width": 2, "points": [[0.1, 0.2], [0.3, 0.4, 0.5]]});
        let bad = json!({"id": "s2", "by": "p1", "tool": "pen", "color": "red", "width": 2, "points": [[0.1, 0.2]]});
        let board = json!({"kind": "whiteboard", "title": "", "over": null, "strokes": [bad.clone(), good.clone()]});
        // The bad stroke is not touched: accepted (it cannot have been
        // committed, but the check does not pay for the whole board).
        let o = op(json!([{"p": ["strokes", 1], "li": good}]));
        assert_eq!(check(ELEMENTS, "r:w", Some(&board), Some(&o)), Ok(()));
        let o = op(json!([{"p": ["strokes", 0], "li": bad}]));
        assert!(check(ELEMENTS, "r:w", Some(&board), Some(&o)).is_err());
        assert!(
            check(ELEMENTS, "r:w", Some(&board), None).is_err(),
            "create checks all"
        );
    }

    #[test]
    fn strokes_may_name_a_slide_page() {
        let mut s = json!({"id": "s1", "by": "p1", "tool": "line", "color": "#00ff00", "width": 4, "points": [[0.1, 0.2], [0.9, 0.8]], "page": 3});
        let board = |s: &Value| json!({"kind": "whiteboard", "title": "Deck · drawings", "over": "a1b2c3", "strokes": [s]});
        let o = op(json!([{"p": ["strokes", 0], "li": s.clone()}]));
        assert_eq!(
            check(ELEMENTS, "r:a1b2c3-ink", Some(&board(&s)), Some(&o)),
            Ok(())
        );
        for bad in [
            json!(0),
            json!(2.5),
            json!("3"),
            json!(null),
            json!(MAX_PAGES + 1),
        ] {
            s["page"] = bad.clone();
            assert!(
                check(ELEMENTS, "r:a1b2c3-ink", Some(&board(&s)), Some(&o)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn room_layout() {
        let room = json!({"elements": [{"id": "a", "kind": "slides", "title": "Deck"}, {"id": "b", "kind": "map", "title": ""}], "focus": "a"});
        assert_eq!(check(ROOMS, "r", Some(&room), None), Ok(()));
        let mut dup = room.clone();
        dup["elements"][1]["id"] = json!("a");
        assert!(check(ROOMS, "r", Some(&dup), None).is_err());
        let mut lost = room.clone();
        lost["focus"] = json!("zzz");
        let o = op(json!([{"p": ["focus"], "od": "a", "oi": "zzz"}]));
        assert!(check(ROOMS, "r", Some(&lost), Some(&o)).is_err());
        let mut odd = room.clone();
        odd["elements"][0]["kind"] = json!("game");
        assert!(check(ROOMS, "r", Some(&odd), None).is_err());
        assert_eq!(check("other", "x", Some(&json!(5)), None), Ok(()));
    }

    #[test]
    fn video_and_map() {
        let v = json!({"kind": "video", "title": "", "source": {"youtube": "dQw4w9WgXcQ"}, "playing": true, "position": 12.5, "rate": 1, "at": 1.7e12});
        assert_eq!(check(ELEMENTS, "r:v", Some(&v), None), Ok(()));
        let mut bad = v.clone();
        bad["source"] = json!({"youtube": "javascript:alert(1)"});
        assert!(check(ELEMENTS, "r:v", Some(&bad), None).is_err());
        let m = json!({"kind": "map", "title": "", "center": [40.4, -3.7], "zoom": 12, "markers": [{"id": "m1", "by": "p", "lat": 40, "lng": -3, "label": "Here"}]});
        assert_eq!(check(ELEMENTS, "r:m", Some(&m), None), Ok(()));
        let mut far = m.clone();
        far["markers"][0]["lat"] = json!(91);
        let o = op(json!([{"p": ["markers", 0, "lat"], "od": 40, "oi": 91}]));
        assert!(check(ELEMENTS, "r:m", Some(&far), Some(&o)).is_err());
    }
}
