//! Appending and reading back ops.

use serde_json::json;
use store::{OpBody, StoreError};

use crate::harness::{Target, edit, op, versions};

async fn round_trip_of_every_body(target: &Target) {
    let store = target.open().await;
    let data = json!({
        "title": "Tertulia ☕ — café 🎉👩‍👩‍👧",
        "nested": {"ключ": ["日本語", "\u{0}nul", 1.5, -0.0, 1e300, null, true, u64::MAX]},
    });
    let ops = vec![
        op(
            0,
            "ana-🦀",
            1,
            OpBody::Create {
                doc_type: "http://sharejs.org/types/JSONv0".into(),
                data,
            },
        ),
        op(
            1,
            "ana-🦀",
            2,
            OpBody::Edit(json!([{"p": ["title", 0], "si": "¡Hola! 👋 "}])),
        ),
        op(2, "bob", 1, OpBody::Delete),
    ];
    for o in &ops {
        store
            .append("salas-ñ", "doc-🎉", o.clone())
            .await
            .expect("append");
    }
    let loaded = store.load("salas-ñ", "doc-🎉").await.expect("load");
    assert_eq!(loaded.snapshot, None);
    assert_eq!(loaded.ops, ops);

    // Documents are keyed by collection and id together.
    assert!(
        store
            .load("salas-ñ", "doc-otro")
            .await
            .expect("load")
            .ops
            .is_empty()
    );
    assert!(
        store
            .load("otras", "doc-🎉")
            .await
            .expect("load")
            .ops
            .is_empty()
    );
    store.close().await;
}

async fn op_ranges(target: &Target) {
    let store = target.open().await;
    for v in 0..10 {
        store.append("c", "d", edit(v, "s")).await.expect("append");
    }
    let range = |from, to| {
        let store = store.clone();
        async move { versions(&store.ops("c", "d", from, to).await.expect("ops")) }
    };
    assert_eq!(range(0, None).await, (0..10).collect::<Vec<_>>());
    assert_eq!(range(3, Some(7)).await, vec![3, 4, 5, 6]);
    assert_eq!(range(8, Some(100)).await, vec![8, 9]);
    assert_eq!(range(9, None).await, vec![9]);
    assert_eq!(range(5, Some(6)).await, vec![5]);
    assert_eq!(range(5, Some(5)).await, Vec::<u64>::new());
    assert_eq!(range(7, Some(3)).await, Vec::<u64>::new());
    assert_eq!(range(10, None).await, Vec::<u64>::new());
    assert_eq!(range(u64::MAX, None).await, Vec::<u64>::new());
    assert_eq!(range(0, Some(u64::MAX)).await.len(), 10);
    assert_eq!(
        store.ops("c", "d", 2, Some(4)).await.expect("ops"),
        vec![edit(2, "s"), edit(3, "s")]
    );
    assert!(
        store
            .ops("c", "nope", 0, None)
            .await
            .expect("ops")
            .is_empty()
    );
    store.close().await;
}

async fn invalid_input_is_refused_on_both_backends(target: &Target) {
    let store = target.open().await;
    let refused = |r: Result<_, StoreError>| matches!(r, Err(StoreError::InvalidInput(_)));
    assert!(refused(store.append("c", "d\0", edit(0, "s")).await));
    assert!(refused(store.append("c", "d", edit(0, "s\0")).await));
    let at = |v: u64, seq: u64| op(v, "s", seq, OpBody::Delete);
    assert!(refused(store.append("c", "d", at(u64::MAX, 0)).await));
    assert!(refused(
        store.append("c", "d", at(0, i64::MAX as u64 + 1)).await
    ));
    assert!(refused(store.load("c\0", "d").await.map(drop)));
    assert!(refused(store.ops("c", "\0", 0, None).await.map(drop)));
    assert!(store.load("c", "d").await.expect("load").ops.is_empty());
    // The largest storable numbers work, and `ops` reaches them.
    let largest = at(i64::MAX as u64, i64::MAX as u64);
    store
        .append("c", "d", largest.clone())
        .await
        .expect("append at i64::MAX");
    assert_eq!(
        store.ops("c", "d", 0, None).await.expect("ops"),
        vec![largest.clone()]
    );
    assert_eq!(
        store
            .ops("c", "d", i64::MAX as u64, Some(u64::MAX))
            .await
            .expect("ops"),
        vec![largest]
    );
    store.close().await;
}

both_backends!(
    round_trip_of_every_body,
    op_ranges,
    invalid_input_is_refused_on_both_backends
);
