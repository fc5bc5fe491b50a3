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
