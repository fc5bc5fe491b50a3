//! Cases whose expected results were produced by ot-json0 1.1.0, so the
//! suite pins the reference's behaviour even without Node installed.

use ot::{Op, Side};
use serde_json::{Value, json};

fn op(v: Value) -> Op {
    Op::from_value(&v).unwrap()
}

#[track_caller]
fn transforms(a: Value, b: Value, side: Side, expected: Value) {
    let got = ot::transform(&op(a), &op(b), side).unwrap().to_value();
    assert_eq!(got, expected);
}

#[test]
fn list_inserts_tie_break_by_side() {
    transforms(
        json!([{"p": [1], "li": "a"}]),
        json!([{"p": [1], "li": "b"}]),
        Side::Left,
        json!([{"p": [1], "li": "a"}]),
    );
    transforms(
        json!([{"p": [1], "li": "a"}]),
        json!([{"p": [1], "li": "b"}]),
        Side::Right,
        json!([{"p": [2], "li": "a"}]),
    );
}

#[test]
fn delete_of_deleted_element_vanishes() {
    transforms(
        json!([{"p": [1], "ld": "x"}]),
        json!([{"p": [1], "ld": "x"}]),
        Side::Left,
        json!([]),
    );
    transforms(
        json!([{"p": [1, "a"], "oi": 1}]),
        json!([{"p": [1], "ld": {}}]),
        Side::Left,
        json!([]),
    );
}

#[test]
fn object_insert_collision_left_replaces() {
    transforms(
        json!([{"p": ["k"], "oi": 1}]),
        json!([{"p": ["k"], "oi": 2}]),
        Side::Left,
        json!([{"p": ["k"], "od": 2, "oi": 1}]),
    );
    transforms(
        json!([{"p": ["k"], "oi": 1}]),
        json!([{"p": ["k"], "oi": 2}]),
        Side::Right,
        json!([]),
    );
}

#[test]
fn deleted_values_track_concurrent_edits() {
    transforms(
        json!([{"p": ["k"], "od": {"n": 1}}]),
        json!([{"p": ["k", "n"], "na": 2}]),
        Side::Left,
        json!([{"p": ["k"], "od": {"n": 3}}]),
    );
}

#[test]
fn text_offsets_count_utf16_units() {
    transforms(
        json!([{"p": ["s", 4], "si": "x"}]),
        json!([{"p": ["s", 0], "si": "😀"}]),
        Side::Left,
        json!([{"p": ["s", 6], "si": "x"}]),
    );
    let mut doc = json!({"s": "a😀b"});
    ot::apply(&mut doc, &op(json!([{"p": ["s", 3], "si": "é"}]))).unwrap();
    assert_eq!(doc, json!({"s": "a😀éb"}));
}

#[test]
fn compose_merges_like_the_reference() {
    let c = |a, b| ot::compose(&op(a), &op(b)).unwrap().to_value();
    assert_eq!(
        c(
            json!([{"p": ["n"], "na": 1}]),
            json!([{"p": ["n"], "na": 2}])
        ),
        json!([{"p": ["n"], "na": 3}])
    );
    assert_eq!(
        c(json!([{"p": [0], "li": 5}]), json!([{"p": [0], "ld": 5}])),
        json!([])
    );
    // Objects are never `===` in the reference, so these do not cancel.
    assert_eq!(
        c(json!([{"p": [0], "li": {}}]), json!([{"p": [0], "ld": {}}])),
        json!([{"p": [0], "li": {}}, {"p": [0], "ld": {}}])
    );
    assert_eq!(
        c(
            json!([{"p": ["s", 0], "si": "ab"}]),
            json!([{"p": ["s", 2], "si": "c"}])
        ),
        json!([{"p": ["s", 0], "si": "abc"}])
    );
    assert_eq!(
        c(
            json!([{"p": ["k"], "od": 1}]),
            json!([{"p": ["k"], "oi": 2}])
        ),
        json!([{"p": ["k"], "od": 1, "oi": 2}])
    );
}

#[test]
fn invert_moves_back() {
    assert_eq!(
        ot::invert(&op(json!([{"p": ["l", 1], "lm": 3}])))
            .unwrap()
            .to_value(),
        json!([{"p": ["l", 3], "lm": 1}])
    );
    assert_eq!(
        ot::invert(&op(json!([{"p": ["n"], "na": 0}])))
            .unwrap()
            .to_value(),
        json!([{"p": ["n"], "na": 0}])
    );
}

#[test]
fn refusals_carry_their_codes() {
    let mut doc = json!({"k": 1, "l": [1]});
    let err = |d: &mut Value, o| ot::apply(d, &op(o)).unwrap_err().code();
    assert_eq!(
        err(&mut doc, json!([{"p": ["k"], "oi": 2}])),
        "object_insert_overwrites"
    );
    assert_eq!(
        err(&mut doc, json!([{"p": ["l", 5], "li": 2}])),
        "index_out_of_range"
    );
    assert_eq!(
        err(&mut doc, json!([{"p": ["x", 0], "li": 2}])),
        "path_invalid"
    );
    assert_eq!(
        err(
            &mut doc,
            json!([{"p": ["k"], "na": 1}, {"p": ["l", 3], "ld": 1}])
        ),
        "index_out_of_range"
    );
    assert_eq!(
        doc,
        json!({"k": 1, "l": [1]}),
        "a failed op changes nothing"
    );
}

#[test]
fn cursors_follow_edits() {
    let cur = vec![ot::PathElem::Key("s".into()), ot::PathElem::Index(2)];
    let moved =
        ot::transform_cursor(&cur, &op(json!([{"p": ["s", 0], "si": "😀"}])), Side::Left).unwrap();
    assert_eq!(moved.unwrap()[1], ot::PathElem::Index(4));
    let gone =
        ot::transform_cursor(&cur, &op(json!([{"p": ["s"], "od": "ab"}])), Side::Left).unwrap();
    assert_eq!(gone, None);
}
