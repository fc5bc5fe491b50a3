//! The OT laws over random documents and ops: TP1 convergence, invert as
//! an undo, and compose as sequential application.

use ot::{Side, apply, compose, invert, transform};
use proptest::prelude::*;

use crate::arbitrary::{self, Rng, StringStyle};

fn style(rng: &mut Rng) -> StringStyle {
    if rng.chance(0.5) {
        StringStyle::Legacy
    } else {
        StringStyle::Subtype
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn tp1_convergence(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let s = style(&mut rng);
        let doc = arbitrary::doc(&mut rng);
        let (a, after_a) = arbitrary::op(&mut rng, &doc, s);
        let (b, after_b) = arbitrary::op(&mut rng, &doc, s);
        let b2 = transform(&b, &a, Side::Right).unwrap();
        let a2 = transform(&a, &b, Side::Left).unwrap();
        let mut left = after_a.clone();
        apply(&mut left, &b2).unwrap();
        let mut right = after_b.clone();
        apply(&mut right, &a2).unwrap();
        prop_assert_eq!(left, right, "doc {} a {} b {}", doc, a.to_value(), b.to_value());
    }

    #[test]
    fn serialize_writes_what_to_value_writes(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let s = style(&mut rng);
        let doc = arbitrary::doc(&mut rng);
        let (a, _) = arbitrary::op(&mut rng, &doc, s);
        prop_assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&a.to_value()).unwrap()
        );
    }

    #[test]
    fn invert_undoes(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let s = style(&mut rng);
        let doc = arbitrary::doc(&mut rng);
        let (a, mut after) = arbitrary::op(&mut rng, &doc, s);
        apply(&mut after, &invert(&a).unwrap()).unwrap();
        prop_assert_eq!(after, doc);
    }

    #[test]
    fn compose_is_sequential_apply(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let s = style(&mut rng);
        let doc = arbitrary::doc(&mut rng);
        let (a, after_a) = arbitrary::op(&mut rng, &doc, s);
        let (b, after_b) = arbitrary::op(&mut rng, &after_a, s);
        let mut composed = doc.clone();
        apply(&mut composed, &compose(&a, &b).unwrap()).unwrap();
        prop_assert_eq!(composed, after_b);
    }

    #[test]
    fn failed_apply_leaves_document_untouched(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let doc = arbitrary::doc(&mut rng);
        let (mut a, _) = arbitrary::op(&mut rng, &doc, StringStyle::Legacy);
        // A last component that must fail: delete past the end of the root.
        a.0.push(ot::Component::from_value(&serde_json::json!({"p": ["zz", 99], "ld": 0})).unwrap());
        let mut d = doc.clone();
        prop_assert!(apply(&mut d, &a).is_err());
        prop_assert_eq!(d, doc);
    }

    #[test]
    fn refused_check_leaves_document_untouched(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let doc = arbitrary::doc(&mut rng);
        let strings = style(&mut rng);
        let (a, _) = arbitrary::op(&mut rng, &doc, strings);
        let mut d = doc.clone();
        let mut seen = None;
        let checked = ot::apply_checked(&mut d, &a, |after| {
            seen = Some(after.clone());
            Err("refused")
        });
        prop_assert_eq!(checked, Ok(Err("refused")));
        prop_assert_eq!(&d, &doc);
        // What the check saw is what apply gives.
        let mut expected = doc.clone();
        apply(&mut expected, &a).unwrap();
        prop_assert_eq!(seen, Some(expected.clone()));
        let mut accepted = doc.clone();
        prop_assert_eq!(ot::apply_checked(&mut accepted, &a, |_| Ok::<(), ()>(())), Ok(Ok(())));
        prop_assert_eq!(accepted, expected);
    }

    #[test]
    fn transform_if_changed_agrees_with_transform(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let s = style(&mut rng);
        let doc = arbitrary::doc(&mut rng);
        // Valid ops on one document, cut to their first component (where
        // the shortcut applies) half the time; and small components on
        // overlapping paths, valid or not, for every branch and refusal.
        let pick = |rng: &mut Rng| {
            if rng.chance(0.5) {
                let (mut op, _) = arbitrary::op(rng, &doc, s);
                if rng.chance(0.5) {
                    op.0.truncate(1);
                }
                op
            } else {
                small_component(rng)
            }
        };
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        for side in [Side::Left, Side::Right] {
            let full = transform(&a, &b, side);
            let quick = ot::transform_if_changed(&a, &b, side);
            let quick = quick.map(|changed| changed.unwrap_or_else(|| a.clone()));
            prop_assert_eq!(
                format!("{quick:?}"),
                format!("{full:?}"),
                "a {} b {} {:?}",
                a.to_value(),
                b.to_value(),
                side
            );
        }
    }

    #[test]
    fn arbitrary_json_never_panics(
        doc in arb_json(), op in arb_json(), other in arb_json(), left in any::<bool>()
    ) {
        let side = if left { Side::Left } else { Side::Right };
        if let Ok(op) = ot::Op::from_value(&op) {
            let mut d = doc.clone();
            let _ = apply(&mut d, &op);
            let _ = invert(&op);
            if let Ok(other) = ot::Op::from_value(&other) {
                let _ = transform(&op, &other, side);
                let _ = compose(&op, &other);
            }
        }
        let _ = ot::normalize(&op);
    }
}

/// Arbitrary JSON biased towards things that look like json0 ops.
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let leaf = prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(|b| json!(b)),
        (-3i64..12).prop_map(|n| json!(n)),
        Just(json!(1.5)),
        prop::sample::select(vec![
            "p", "li", "ld", "lm", "oi", "od", "si", "sd", "na", "t", "o", "i", "d", "text0", "a",
            "😀", ""
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "p", "li", "ld", "lm", "oi", "od", "si", "sd", "na", "t", "o", "i", "d"
                ])
                .prop_map(String::from),
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A one-component op on a short path into objects (keys `a`, `b`) at even
/// depths and lists (indices 0, 1) at odd ones, so that two of them often
/// share a container; one path element in ten has the other type, for
/// the refusals.
fn small_component(rng: &mut Rng) -> ot::Op {
    use serde_json::{Value, json};
    let len = 1 + rng.below(3);
    let path: Vec<Value> = (0..len)
        .map(|depth| {
            let key = (depth % 2 == 0) != rng.chance(0.1);
            if key {
                json!(["a", "b"][rng.below(2)])
            } else {
                json!(rng.below(2))
            }
        })
        .collect();
    let value = |rng: &mut Rng| match rng.below(3) {
        0 => json!(1),
        1 => json!("x"),
        _ => json!({"k": [1]}),
    };
    let last_is_index = path.last().is_some_and(Value::is_u64);
    let mut c = serde_json::Map::new();
    let mut path = path;
    match (rng.below(5), last_is_index) {
        (0, _) => {
            c.insert("na".into(), json!(2));
        }
        (1, _) => {
            path.push(json!(rng.below(3)));
            let kind = if rng.chance(0.5) { "si" } else { "sd" };
            c.insert(kind.into(), json!("y"));
        }
        (2, _) => {
            c.insert("t".into(), json!("text0"));
            c.insert("o".into(), json!([{"p": rng.below(3), "i": "q"}]));
        }
        (_, true) => match rng.below(4) {
            0 => {
                c.insert("li".into(), value(rng));
            }
            1 => {
                c.insert("ld".into(), value(rng));
            }
            2 => {
                c.insert("li".into(), value(rng));
                c.insert("ld".into(), value(rng));
            }
            _ => {
                c.insert("lm".into(), json!(rng.below(2)));
            }
        },
        (_, false) => match rng.below(3) {
            0 => {
                c.insert("oi".into(), value(rng));
            }
            1 => {
                c.insert("od".into(), value(rng));
            }
            _ => {
                c.insert("oi".into(), value(rng));
                c.insert("od".into(), value(rng));
            }
        },
    }
    c.insert("p".into(), Value::Array(path));
    ot::Op::from_value(&Value::Array(vec![Value::Object(c)])).expect("a well-formed component")
}
