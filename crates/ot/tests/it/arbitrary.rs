//! A seeded generator of json0 documents and ops valid on them, in the
//! spirit of ot-fuzzer's json0 generator, with multi-byte and astral text.

use ot::{Component, Kind, PathElem};
use serde_json::{Map, Value, json};

/// xorshift64*: small, deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const WORDS: &[&str] = &["a", "bc", "def", "é", "ü中", "😀", "x🎉y", "𝄞", "hi ", "ñ"];

pub fn word(rng: &mut Rng) -> String {
    (0..1 + rng.below(3))
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect()
}

fn key(rng: &mut Rng) -> String {
    ["a", "b", "c", "d", "e", "f", "name", "x", "é"][rng.below(9)].to_string()
}

pub fn thing(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 2 { 4 } else { 7 }) {
        0 => Value::Null,
        1 => json!(word(rng)),
        2 => json!(rng.below(50) as i64 - 10),
        3 => json!(""),
        4 => {
            let mut m = Map::new();
            for _ in 0..rng.below(4) {
                m.insert(key(rng), thing(rng, depth + 1));
            }
            Value::Object(m)
        }
        5 => Value::Array((0..rng.below(4)).map(|_| thing(rng, depth + 1)).collect()),
        _ => json!(0.5),
    }
}

pub fn doc(rng: &mut Rng) -> Value {
    let mut m = Map::new();
    for _ in 0..1 + rng.below(4) {
        m.insert(key(rng), thing(rng, 0));
    }
    Value::Object(m)
}

/// Code point boundaries of `s`, in UTF-16 units.
fn boundaries(s: &str) -> Vec<usize> {
    let mut out = vec![0];
    let mut n = 0;
    for ch in s.chars() {
        n += ch.len_utf16();
        out.push(n);
    }
    out
}

fn slice_units(s: &str, from: usize, to: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16(&units[from..to]).expect("cut at code point boundaries")
}

/// How string edits are expressed in one case.
#[derive(Clone, Copy, PartialEq)]
pub enum StringStyle {
    Legacy,
    Subtype,
}

/// One component valid on `data`, which it also applies to `data`.
fn component(rng: &mut Rng, data: &mut Value, style: StringStyle) -> Option<Component> {
    // Pick a random path by walking down.
    let mut path: Vec<PathElem> = Vec::new();
    {
        let mut cur = &*data;
        while rng.chance(0.7) {
            let next = match cur {
                Value::Array(items) if !items.is_empty() => {
                    let i = rng.below(items.len());
                    path.push(PathElem::Index(i as i64));
                    &items[i]
                }
                Value::Object(m) if !m.is_empty() => {
                    let k = m.keys().nth(rng.below(m.len())).cloned()?;
                    path.push(PathElem::Key(k.as_str().into()));
                    &m[&k]
                }
                _ => break,
            };
            cur = next;
        }
    }
    let operand = lookup(data, &path).clone();
    let parent_is_list = path.last().is_some_and(|p| matches!(p, PathElem::Index(_)));
    let c = if parent_is_list && rng.chance(0.2) {
        let len = lookup(data, &path[..path.len() - 1]).as_array()?.len();
        Component {
            path: path.clone(),
            kind: Kind::ListMove(rng.below(len) as i64),
        }
    } else if rng.chance(0.2) || operand.is_null() {
        let new = thing(rng, 1);
        let kind = if parent_is_list {
            Kind::ListReplace {
                insert: new.clone().into(),
                delete: operand.clone().into(),
            }
        } else {
            Kind::ObjectReplace {
                insert: new.into(),
                delete: operand.into(),
            }
        };
        Component {
            path: path.clone(),
            kind,
        }
    } else if let Value::String(s) = &operand {
        let b = boundaries(s);
        let mut p = path.clone();
        if rng.chance(0.5) || s.is_empty() {
            let at = b[rng.below(b.len())];
            let text = word(rng);
            match style {
                StringStyle::Legacy => {
                    p.push(PathElem::Index(at as i64));
                    Component {
                        path: p,
                        kind: Kind::StringInsert(text),
                    }
                }
                StringStyle::Subtype => Component {
                    path: p,
                    kind: Kind::Subtype {
                        name: "text0".into(),
                        op: json!([{"p": at, "i": text}]).into(),
                    },
                },
            }
        } else {
            let from = rng.below(b.len() - 1);
            let to = (from + 1 + rng.below(3)).min(b.len() - 1);
            let text = slice_units(s, b[from], b[to]);
            match style {
                StringStyle::Legacy => {
                    p.push(PathElem::Index(b[from] as i64));
                    Component {
                        path: p,
                        kind: Kind::StringDelete(text),
                    }
                }
                StringStyle::Subtype => Component {
                    path: p,
                    kind: Kind::Subtype {
                        name: "text0".into(),
                        op: json!([{"p": b[from], "d": text}]).into(),
                    },
                },
            }
        }
    } else if operand.is_number() {
        Component {
            path: path.clone(),
            kind: Kind::NumberAdd(rng.below(10) as f64 - 3.0),
        }
    } else if let Value::Array(items) = &operand {
        let mut p = path.clone();
        if rng.chance(0.5) || items.is_empty() {
            p.push(PathElem::Index(rng.below(items.len() + 1) as i64));
            Component {
                path: p,
                kind: Kind::ListInsert(thing(rng, 1).into()),
            }
        } else {
            let i = rng.below(items.len());
            p.push(PathElem::Index(i as i64));
            Component {
                path: p,
                kind: Kind::ListDelete(items[i].clone().into()),
            }
        }
    } else if let Value::Object(m) = &operand {
        let mut p = path.clone();
        let existing = (!m.is_empty())
            .then(|| m.keys().nth(rng.below(m.len())).cloned())
            .flatten();
        match existing {
            Some(k) if rng.chance(0.5) => {
                let old = m[&k].clone();
                p.push(PathElem::Key(k.as_str().into()));
                Component {
                    path: p,
                    kind: Kind::ObjectDelete(old.into()),
                }
            }
            _ => {
                let mut k = key(rng);
                while m.contains_key(&k) {
                    k.push('_');
                }
                p.push(PathElem::Key(k.as_str().into()));
                Component {
                    path: p,
                    kind: Kind::ObjectInsert(thing(rng, 1).into()),
                }
            }
        }
    } else {
        // Booleans: replace.
        Component {
            path: path.clone(),
            kind: Kind::ObjectReplace {
                insert: thing(rng, 1).into(),
                delete: operand.into(),
            },
        }
    };
    // Boolean replaced inside a list needs the list form.
    let c = match c {
        Component {
            path,
            kind: Kind::ObjectReplace { insert, delete },
        } if path.last().is_some_and(|p| matches!(p, PathElem::Index(_))) => Component {
            path,
            kind: Kind::ListReplace { insert, delete },
        },
        c => c,
    };
    ot::apply(data, &ot::Op(vec![c.clone()])).ok()?;
    Some(c)
}

fn lookup<'a>(mut v: &'a Value, path: &[PathElem]) -> &'a Value {
    for p in path {
        v = match (v, p) {
            (Value::Array(items), PathElem::Index(i)) => &items[*i as usize],
            (Value::Object(m), PathElem::Key(k)) => &m[&**k],
            _ => return &Value::Null,
        };
    }
    v
}

/// An op of 1–3 components valid on `data`, returned with `data` after it.
pub fn op(rng: &mut Rng, data: &Value, style: StringStyle) -> (ot::Op, Value) {
    let mut after = data.clone();
    let mut components = Vec::new();
    let n = 1 + rng.below(3);
    while components.len() < n {
        if let Some(c) = component(rng, &mut after, style) {
            components.push(c);
        }
    }
    (ot::Op(components), after)
}
