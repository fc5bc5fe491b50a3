//! Snapshots: what `load` returns with them, and that they only move forward.

use serde_json::json;
use store::{OpBody, StoredSnapshot};

use crate::harness::{Target, edit, op, versions};

fn snapshot(v: u64, data: serde_json::Value) -> StoredSnapshot {
    StoredSnapshot {
        v,
        doc_type: Some("json0".into()),
        data: Some(data),
    }
}

async fn load_returns_the_snapshot_and_only_later_ops(target: &Target) {
    let store = target.open().await;
    store
        .append(
            "c",
            "d",
            op(
                0,
                "s",
                0,
                OpBody::Create {
                    doc_type: "json0".into(),
                    data: json!({"n": 0}),
                },
            ),
        )
        .await
        .expect("append");
    for v in 1..10 {
        store.append("c", "d", edit(v, "s")).await.expect("append");
    }
    let at_five = snapshot(5, json!({"n": 10, "emoji": "🙂‍↔️", "ü": "ß"}));
    store.save_snapshot("c", "d", &at_five).await.expect("save");

    let loaded = store.load("c", "d").await.expect("load");
    assert_eq!(loaded.snapshot, Some(at_five));
    assert_eq!(versions(&loaded.ops), vec![5, 6, 7, 8, 9]);
    // Ops before the snapshot are kept.
    assert_eq!(store.ops("c", "d", 0, None).await.expect("ops").len(), 10);

    // A snapshot at the head leaves no ops to replay.
    store
        .save_snapshot("c", "d", &snapshot(10, json!({"n": 45})))
        .await
        .expect("save");
    assert!(store.load("c", "d").await.expect("load").ops.is_empty());
    store.close().await;
}

async fn snapshots_never_go_backwards(target: &Target) {
    let store = target.open().await;
    let current =
        |store: store::Store| async move { store.load("c", "d").await.expect("load").snapshot };

    let five = snapshot(5, json!("five"));
    store.save_snapshot("c", "d", &five).await.expect("save");
    store
        .save_snapshot("c", "d", &snapshot(3, json!("three")))
        .await
        .expect("older is ignored, not an error");
    assert_eq!(current(store.clone()).await, Some(five.clone()));
    store
        .save_snapshot("c", "d", &snapshot(5, json!("other five")))
        .await
        .expect("equal is ignored");
    assert_eq!(current(store.clone()).await, Some(five));

    let seven = snapshot(7, json!({"seven": [7]}));
    store.save_snapshot("c", "d", &seven).await.expect("save");
    assert_eq!(current(store.clone()).await, Some(seven));

    // A deleted document's snapshot has neither type nor data.
    let deleted = StoredSnapshot {
        v: 9,
        doc_type: None,
        data: None,
    };
    store.save_snapshot("c", "d", &deleted).await.expect("save");
    assert_eq!(current(store.clone()).await, Some(deleted));
    // JSON null data is not the same as no data.
    let null = StoredSnapshot {
        v: 10,
        doc_type: Some("json0".into()),
        data: Some(serde_json::Value::Null),
    };
    store.save_snapshot("c", "d", &null).await.expect("save");
    assert_eq!(current(store.clone()).await, Some(null));
    store.close().await;
}

both_backends!(
    load_returns_the_snapshot_and_only_later_ops,
    snapshots_never_go_backwards
);
