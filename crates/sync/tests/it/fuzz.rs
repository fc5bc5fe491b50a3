//! Hostile input: arbitrary text and ShareDB-shaped messages with wrong,
//! missing and extreme fields must never panic the server, and the
//! connection must keep answering.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use serde_json::{Value, json};
use sync::{Access, Docs, Limits, Presence, Session};

struct World {
    rt: tokio::runtime::Runtime,
    docs: Docs,
    presence: Presence,
    _dir: tempfile::TempDir,
}

/// Set by a panic anywhere in the process, including inside document tasks,
/// whose panics tokio would otherwise swallow.
static PANICKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, std::sync::atomic::Ordering::SeqCst);
            default(info);
        }));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
        let store = rt
            .block_on(store::Store::open(&url, store::StoreOptions::default()))
            .expect("store");
        let limits = Limits {
            max_message_bytes: 4096,
            ops_per_second: 1e9,
            ops_burst: 1e9,
            ..Limits::default()
        };
        World {
            docs: Docs::new(store, Arc::new(limits)),
            presence: Presence::default(),
            rt,
            _dir: dir,
        }
    })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-2i64..5).prop_map(Value::from),
        Just(json!(1.5)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        prop::sample::select(vec![
            "",
            "r1",
            "r1:doc",
            "r2",
            "r1:x",
            "e",
            "json0",
            "http://sharejs.org/types/JSONv0",
            "__proto__",
            "p1.a",
            "😀"
        ])
        .prop_map(Value::from),
    ]
}

fn op_component() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "na", "li", "ld", "lm", "oi", "od", "si", "sd", "t", "x",
        ]),
        scalar(),
        prop::collection::vec(scalar(), 0..3),
    )
        .prop_map(|(k, v, p)| json!({ "p": p, k: v }))
}

/// Messages shaped like ShareDB's, with random fields.
fn message() -> impl Strategy<Value = String> {
    let action = prop::sample::select(vec![
        "hs", "s", "f", "u", "bs", "bf", "bu", "op", "nf", "nt", "p", "ps", "pu", "pr", "pp", "qf",
        "qs", "zz",
    ]);
    let shaped = (
        action,
        prop::option::of(scalar()),
        prop::option::of(scalar()),
        prop::option::of(scalar()),
        prop::option::of(scalar()),
        prop::option::of(prop::collection::vec(op_component(), 0..4)),
        prop::option::of(scalar()),
        any::<bool>(),
    )
        .prop_map(|(a, c, d, v, seq, op, ch, create)| {
            let mut m = serde_json::Map::new();
            m.insert("a".into(), json!(a));
            for (k, x) in [
                ("c", c),
                ("d", d),
                ("v", v),
                ("seq", seq),
                ("ch", ch.clone()),
                ("id", ch),
            ] {
                if let Some(x) = x {
                    m.insert(k.into(), x);
                }
            }
            if let Some(op) = op {
                m.insert("op".into(), Value::Array(op));
            }
            if create {
                m.insert(
                    "create".into(),
                    json!({"type": "json0", "data": {"n": 0, "l": [], "s": "ab"}}),
                );
            }
            Value::Object(m).to_string()
        });
    prop_oneof![
        3 => shaped,
        1 => ".{0,40}".prop_map(String::from),
        1 => Just("x".repeat(5000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn hostile_messages_never_panic_and_the_connection_keeps_answering(msgs in prop::collection::vec(message(), 1..10)) {
        let w = world();
        let answered = w.rt.block_on(async {
            let (tx, mut rx) = sync::conn::channel(1, 4096);
            let access = Access { room: "r1".into(), participant: "p1".into() };
            let mut session = Session::new(tx, access, "p1.fuzz".into(), w.docs.clone(), w.presence.clone());
            for m in &msgs {
                session.handle_text(m).await;
            }
            session.handle_text(r#"{"a":"pp"}"#).await;
            // Replies from document tasks are asynchronous: wait for the pong,
            // which this connection's own queue delivers in order.
            let found = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                while let Some(out) = rx.rx.recv().await {
                    if out.into_messages().any(|b| &b[..] == br#"{"a":"pp"}"#) {
                        return true;
                    }
                }
                false
            }).await.unwrap_or(false);
            session.close().await;
            found
        });
        prop_assert!(answered, "no pong after {msgs:?}");
        prop_assert!(!PANICKED.load(std::sync::atomic::Ordering::SeqCst), "a task panicked on {msgs:?}");
    }
}
