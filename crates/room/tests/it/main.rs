//! `RoomState` driven without IO: random sequences of joins, requests,
//! disconnects and timeouts from several connections never panic and keep
//! the room's invariants; malformed messages are refused, never panic.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use room::state::{ConnId, Output};
use room::wire::{self, Request};
use room::{Identity, JoinRequest, Media, Now, Role, RoomLimits, RoomState};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Step {
    Join { conn: u8, who: u8, session: u8 },
    Request { conn: u8, req: Value },
    Disconnect { conn: u8 },
    Wait { secs: u8 },
    ChatStored,
}

fn who_id(who: u8) -> String {
    format!("p{who}")
}

fn request() -> impl Strategy<Value = Value> {
    let who = (0u8..5).prop_map(who_id);
    prop_oneof![
        Just(json!({"rc": "leave"})),
        (any::<bool>(), any::<bool>())
            .prop_map(|(mic, cam)| json!({"rc": "media", "mic": mic, "cam": cam, "screen": false})),
        any::<bool>().prop_map(|up| json!({"rc": "hand", "up": up})),
        Just(json!({"rc": "react", "emoji": "👍"})),
        who.clone()
            .prop_map(|to| json!({"rc": "signal", "to": to, "data": {"candidate": {}}})),
        "[a-z<>&]{0,12}".prop_map(|text| json!({"rc": "chat", "text": text})),
        who.clone()
            .prop_map(|t| json!({"rc": "mute", "target": t, "kind": "mic"})),
        who.clone()
            .prop_map(|t| json!({"rc": "remove", "target": t})),
        any::<bool>().prop_map(|l| json!({"rc": "lock", "locked": l})),
        prop::option::of("[a-z]{1,4}").prop_map(|p| json!({"rc": "password", "password": p})),
        "[a-z]{0,8}".prop_map(|n| json!({"rc": n})),
        any::<i64>().prop_map(|n| json!({"rc": "hand", "up": n})),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..6, 0u8..5, 0u8..2).prop_map(|(conn, who, session)| Step::Join { conn, who, session }),
        6 => (0u8..6, request()).prop_map(|(conn, req)| Step::Request { conn, req }),
        1 => (0u8..6).prop_map(|conn| Step::Disconnect { conn }),
        1 => (0u8..30).prop_map(|secs| Step::Wait { secs }),
        1 => Just(Step::ChatStored),
    ]
}

/// Which participant each connection authenticates as: fixed per conn, as a
/// token fixes it.
fn conn_identity(conn: u8, who: u8) -> Identity {
    Identity {
        id: who_id(who),
        name: format!("Name {who}"),
        role: if conn == 0 {
            Role::Moderator
        } else {
            Role::Participant
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn random_sessions_keep_the_invariants(steps in prop::collection::vec(step(), 1..80)) {
        let limits = RoomLimits { max_participants: 3, ..RoomLimits::default() };
        let mut state = RoomState::new("r".into(), limits, Vec::new());
        let start = Instant::now();
        let mut t = start;
        let mut pending_chat = Vec::new();
        // conn -> the identity it joined as (a token fixes one per conn).
        let mut conn_who: [Option<u8>; 6] = [None; 6];
        let mut closed: HashSet<ConnId> = HashSet::new();
        for s in steps {
            let now = Now { mono: t, unix_ms: 1_700_000_000_000 };
            match s {
                Step::Join { conn, who, session } => {
                    let who = *conn_who[conn as usize].get_or_insert(who);
                    state.handle_join(now, JoinRequest {
                        conn: ConnId::from(conn),
                        identity: conn_identity(conn, who),
                        session: format!("s{session}"),
                        media: Media::default(),
                        password: None,
                        ice_servers: json!([]),
                        id: Some(json!(1)),
                    });
                }
                Step::Request { conn, req } => {
                    let Value::Object(map) = req else { unreachable!() };
                    let env = wire::parse(map, 2000);
                    match env.request {
                        Ok(Request::Join { .. }) | Err(_) => {}
                        Ok(r) => state.handle_request(now, ConnId::from(conn), &env.rc, env.id, r),
                    }
                }
                Step::Disconnect { conn } => {
                    state.handle_disconnect(now, ConnId::from(conn));
                    closed.remove(&ConnId::from(conn));
                }
                Step::Wait { secs } => {
                    t += Duration::from_secs(u64::from(secs));
                    state.handle_timeout(Now { mono: t, unix_ms: 0 });
                }
                Step::ChatStored => {
                    for (m, c, id) in pending_chat.drain(..) {
                        state.handle_chat_stored(m, c, id);
                    }
                }
            }
            while let Some(out) = state.poll_output() {
                match out {
                    Output::Send { conn, msg } => {
                        // Nothing more for a connection told to close.
                        prop_assert!(!closed.contains(&conn), "sent to closed {}", conn);
                        let v: Value = serde_json::from_slice(&msg).expect("valid JSON out");
                        prop_assert!(v["rc"].is_string());
                    }
                    Output::Close { conn, .. } => { closed.insert(conn); }
                    Output::StoreChat { message, conn, id } => pending_chat.push((message, conn, id)),
                }
            }
            // Invariants: a non-empty room has a moderator, nobody is in it
            // twice, and it never exceeds its size.
            let joined = state.roster();
            if !joined.is_empty() {
                prop_assert!(joined.iter().any(|p| p["role"] == "moderator"), "{joined:?}");
            }
            let ids: HashSet<&str> = joined.iter().map(|p| p["id"].as_str().unwrap()).collect();
            prop_assert_eq!(ids.len(), joined.len());
            prop_assert!(joined.len() <= 3);
        }
    }
}

/// Arbitrary JSON values, nested a few levels.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("join"),
            Just("leave"),
            Just("media"),
            Just("name"),
            Just("hand"),
            Just("react"),
            Just("signal"),
            Just("chat"),
            Just("mute"),
            Just("remove"),
            Just("lock"),
            Just("password"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("rc".to_string()),
                    Just("id".to_string()),
                    Just("to".to_string()),
                    Just("data".to_string()),
                    Just("text".to_string()),
                    Just("media".to_string()),
                    Just("session".to_string()),
                    Just("mic".to_string()),
                    Just("up".to_string()),
                    Just("target".to_string()),
                    Just("password".to_string()),
                    ".{0,6}".prop_map(|s| s),
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]
    /// The parser never panics, and what it accepts is well-formed.
    #[test]
    fn parse_never_panics(mut v in arbitrary_json()) {
        if let Value::Object(ref mut m) = v {
            m.insert("rc".into(), m.get("rc").cloned().unwrap_or(json!("chat")));
        }
        let text = v.to_string();
        if let Some(map) = wire::classify(&text) {
            let env = wire::parse(map, 50);
            prop_assert!(env.rc.chars().count() <= 32);
            if let Ok(Request::Chat(t)) = env.request {
                prop_assert!(!t.trim().is_empty() && t.chars().count() <= 50);
            }
        }
    }
}
