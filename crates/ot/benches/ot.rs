//! Throughput of transform, compose and apply on a fixed corpus that the
//! Node reference benchmark (`js/ot/bench.mjs`) runs too, plus a
//! document-size sweep showing that apply costs O(path), not O(document).
//!
//! Run through `scripts/bench-ot`, which writes the corpus, runs both sides
//! and prints ops/s with the ratio. The corpus path comes from `OT_CORPUS`
//! (default `target/ot-corpus.json`).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ot::{Json0, Op, Side};
use serde_json::{Value, json};

struct Corpus {
    transform: Vec<(Op, Op)>,
    compose: Vec<(Op, Op)>,
    apply: Vec<(Value, Op)>,
}

fn load_corpus() -> Corpus {
    let path = std::env::var("OT_CORPUS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/ot-corpus.json").to_string()
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read the corpus {path}: {e}; run scripts/bench-ot to create it")
    });
    let raw: Value = serde_json::from_str(&text).expect("the corpus is JSON");
    let pairs = |name: &str| -> Vec<(Op, Op)> {
        raw[name]
            .as_array()
            .expect("corpus section is a list")
            .iter()
            .map(|p| {
                (
                    Op::from_value(&p[0]).unwrap(),
                    Op::from_value(&p[1]).unwrap(),
                )
            })
            .collect()
    };
    Corpus {
        transform: pairs("transform"),
        compose: pairs("compose"),
        apply: raw["apply"]
            .as_array()
            .expect("corpus apply section is a list")
            .iter()
            .map(|p| (p[0].clone(), Op::from_value(&p[1]).unwrap()))
            .collect(),
    }
}

fn corpus(c: &mut Criterion) {
    let corpus = load_corpus();
    let json0 = Json0::new();
    let mut group = c.benchmark_group("corpus");

    group.throughput(Throughput::Elements(corpus.transform.len() as u64));
    group.bench_function("transform", |b| {
        b.iter(|| {
            for (a, other) in &corpus.transform {
                black_box(json0.transform(&a.0, &other.0, Side::Left).unwrap());
            }
        })
    });

    group.throughput(Throughput::Elements(corpus.compose.len() as u64));
    group.bench_function("compose", |b| {
        b.iter(|| {
            for (a, other) in &corpus.compose {
                black_box(json0.compose(&a.0, &other.0).unwrap());
            }
        })
    });

    // Documents are cloned outside the timed region, as the Node side does.
    group.throughput(Throughput::Elements(corpus.apply.len() as u64));
    group.bench_function("apply", |b| {
        b.iter_batched(
            || {
                corpus
                    .apply
                    .iter()
                    .map(|(d, _)| d.clone())
                    .collect::<Vec<_>>()
            },
            |mut docs| {
                for (doc, (_, op)) in docs.iter_mut().zip(&corpus.apply) {
                    json0.apply(doc, &op.0).unwrap();
                }
                docs
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// A document with `n` list items, `n` object keys and a long string.
fn sized_doc(n: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"id": i, "n": 0, "text": "hello world"}))
        .collect();
    let map: serde_json::Map<String, Value> = (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
    json!({"items": items, "map": map, "body": "x".repeat(n)})
}

fn op(v: Value) -> Op {
    Op::from_value(&v).unwrap()
}

fn size_sweep(c: &mut Criterion) {
    let json0 = Json0::new();
    let mut group = c.benchmark_group("apply_doc_size");
    for n in [100usize, 1_000, 10_000, 100_000] {
        let mid = n / 2;
        let cases = [
            (
                "na_in_list_item",
                op(json!([{"p": ["items", mid, "n"], "na": 1}])),
            ),
            ("oi_in_object", op(json!([{"p": ["map", "new"], "oi": 1}]))),
            (
                "si_in_list_item",
                op(json!([{"p": ["items", mid, "text", 5], "si": "é"}])),
            ),
            (
                "li_at_end",
                op(json!([{"p": ["items", n], "li": {"id": -1}}])),
            ),
            (
                "li_in_middle",
                op(json!([{"p": ["items", mid], "li": {"id": -1}}])),
            ),
        ];
        let mut doc = sized_doc(n);
        for (name, forward) in &cases {
            // Apply the op and its inverse so the document stays the same
            // size without cloning it: what is timed is apply alone.
            let back = json0.invert(&forward.0).unwrap();
            group.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| {
                    json0.apply(&mut doc, &forward.0).unwrap();
                    json0.apply(&mut doc, &back).unwrap();
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, corpus, size_sweep);
criterion_main!(benches);
