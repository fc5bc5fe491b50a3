//! Chat messages: stored durably per room, history newest-N oldest first.

use store::ChatMessage;

use crate::harness::Target;

fn message(room: &str, at: i64, id: &str, text: &str) -> ChatMessage {
    ChatMessage {
        room: room.into(),
        id: id.into(),
        at,
        participant: "p1".into(),
        name: "Ana 🙂".into(),
        text: text.into(),
    }
}

async fn history_is_per_room_bounded_and_oldest_first(target: &Target) {
    let store = target.open().await;
    for i in 0..10 {
        store
            .append_chat(&message(
                "r1",
                1000 + i,
                &format!("m{i}"),
                &format!("hello {i} <b>"),
            ))
            .await
            .expect("append chat");
    }
    store
        .append_chat(&message("r2", 5, "x", "other room"))
        .await
        .expect("append chat");

    let last3 = store.chat_history("r1", 3).await.expect("history");
    let texts: Vec<&str> = last3.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["hello 7 <b>", "hello 8 <b>", "hello 9 <b>"]);
    assert_eq!(last3[0].name, "Ana 🙂");
    assert_eq!(
        store.chat_history("r2", 100).await.expect("history").len(),
        1
    );
    assert!(
        store
            .chat_history("nobody", 100)
            .await
            .expect("history")
            .is_empty()
    );

    // Durable: a reopened store has them.
    store.close().await;
    let store = target.open().await;
    assert_eq!(
        store.chat_history("r1", 100).await.expect("history").len(),
        10
    );
    // The same key twice is refused, not silently doubled.
    assert!(
        store
            .append_chat(&message("r1", 1000, "m0", "again"))
            .await
            .is_err()
    );
    store.close().await;
}

both_backends!(history_is_per_room_bounded_and_oldest_first);
