//! Room control over the WebSocket: admission, roster, signaling relay,
//! chat with history, moderation, grace periods and limits.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::harness::{Ws, close_code, config, http, recv, send};

/// `POST /api/rooms/{room}/join`: (status, body).
async fn http_join(addr: SocketAddr, room: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/rooms/{room}/join");
    let headers = [("Content-Type", "application/json")];
    let r = http(addr, "POST", &path, &headers, body.to_string().as_bytes()).await;
    (r.status, r.json())
}

/// Joins over HTTP and returns the join response.
async fn join_http(addr: SocketAddr, room: &str, name: &str) -> Value {
    let (status, body) = http_join(addr, room, json!({ "name": name })).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Opens a WebSocket with `token`, skipping ShareDB's `init`.
async fn open(addr: SocketAddr, token: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}"))
        .await
        .expect("connect");
    assert_eq!(recv(&mut ws).await["a"], "init");
    ws
}

fn media(mic: bool, cam: bool) -> Value {
    json!({"mic": mic, "cam": cam, "screen": false})
}

/// Sends `join` with `session` and returns the `joined` reply.
async fn rc_join(ws: &mut Ws, session: &str) -> Value {
    send(
        ws,
        json!({"rc": "join", "id": 1, "session": session, "media": media(true, true)}),
    )
    .await;
    let joined = recv(ws).await;
    assert_eq!(joined["rc"], "joined", "{joined}");
    assert_eq!(joined["id"], 1);
    joined
}

/// The next message whose `rc` is `rc`, skipping others.
async fn expect_rc(ws: &mut Ws, rc: &str) -> Value {
    for _ in 0..50 {
        let m = recv(ws).await;
        if m["rc"] == rc {
            return m;
        }
    }
    panic!("no {rc} within 50 messages");
}

/// Asserts nothing arrives for a little while.
async fn quiet(ws: &mut Ws) {
    let next = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(next.is_err(), "unexpected {next:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_signaling_and_chat_history() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(
        dir.path(),
        &[
            "--turn-urls",
            "turn:127.0.0.1:3478?transport=udp",
            "--turn-secret",
            "turn-secret",
            "--stun-urls",
            "stun:127.0.0.1:3478",
        ],
    ))
    .await
    .unwrap();
    let addr = running.addr;

    let a = join_http(addr, "r1", "Ana").await;
    assert_eq!(
        a["participant"]["role"], "moderator",
        "first joiner moderates"
    );
    let ice = &a["iceServers"];
    assert_eq!(ice[0]["urls"][0], "stun:127.0.0.1:3478");
    let username = ice[1]["username"].as_str().unwrap();
    let (expiry, who) = username.split_once(':').unwrap();
    assert_eq!(who, a["participant"]["id"]);
    assert!(expiry.parse::<u64>().unwrap() > server::auth::now_secs() + 86_000);
    let expected = server::turn::credential(b"turn-secret", who, expiry.parse().unwrap());
    assert_eq!(ice[1]["credential"], expected.credential);

    let b = join_http(addr, "r1", "  Bo  ").await;
    assert_eq!(b["participant"]["role"], "participant");
    assert_eq!(b["participant"]["name"], "Bo");
    let a_id = a["participant"]["id"].as_str().unwrap().to_owned();
    let b_id = b["participant"]["id"].as_str().unwrap().to_owned();

    // A connection that never sends a room message hears none.
    let mut bystander = open(addr, a["token"].as_str().unwrap()).await;

    let mut wa = open(addr, a["token"].as_str().unwrap()).await;
    let joined = rc_join(&mut wa, "sa").await;
    assert_eq!(joined["participants"], json!([]));
    assert_eq!(joined["self"]["role"], "moderator");
    assert_eq!(
        joined["iceServers"][1]["urls"][0],
        "turn:127.0.0.1:3478?transport=udp"
    );

    let mut wb = open(addr, b["token"].as_str().unwrap()).await;
    let joined = rc_join(&mut wb, "sb").await;
    assert_eq!(joined["participants"][0]["id"], a_id.as_str());
    let seen = expect_rc(&mut wa, "participant-joined").await;
    assert_eq!(seen["participant"]["id"], b_id.as_str());
    assert_eq!(seen["participant"]["name"], "Bo");

    // The relay delivers to the named participant only, stamped with the
    // sender the server knows.
    let offer = json!({"description": {"type": "offer", "sdp": "v=0"}});
    send(
        &mut wa,
        json!({"rc": "signal", "to": b_id, "data": offer, "from": "forged"}),
    )
    .await;
    let got = expect_rc(&mut wb, "signal").await;
    assert_eq!(got["from"], a_id.as_str());
    assert_eq!(got["data"], offer);
    send(
        &mut wa,
        json!({"rc": "signal", "id": 7, "to": "nobody", "data": {}}),
    )
    .await;
    let e = expect_rc(&mut wa, "error").await;
    assert_eq!(
        (e["code"].as_str(), e["id"].as_i64()),
        (Some("ERR_RC_NO_SUCH_PARTICIPANT"), Some(7))
    );

    // State changes reach everyone.
    send(
        &mut wb,
        json!({"rc": "media", "mic": false, "cam": true, "screen": false}),
    )
    .await;
    let u = expect_rc(&mut wa, "updated").await;
    assert_eq!(u["participant"]["media"], media(false, true));
    send(&mut wb, json!({"rc": "hand", "up": true})).await;
    assert_eq!(
        expect_rc(&mut wa, "updated").await["participant"]["hand"],
        true
    );
    send(&mut wb, json!({"rc": "react", "emoji": "🎉"})).await;
    assert_eq!(expect_rc(&mut wa, "reaction").await["from"], b_id.as_str());

    // Chat: everyone gets it (as text), and a late joiner gets history.
    let text = "see <img src=x onerror=alert(1)> https://example.org";
    send(&mut wb, json!({"rc": "chat", "id": "c1", "text": text})).await;
    let chat = expect_rc(&mut wa, "chat").await;
    assert_eq!(chat["message"]["text"], text);
    assert_eq!(chat["message"]["from"], b_id.as_str());
    assert_eq!(expect_rc(&mut wb, "chat").await["message"]["name"], "Bo");
    assert_eq!(expect_rc(&mut wb, "ok").await["id"], "c1");

    let c = join_http(addr, "r1", "Cy").await;
    let mut wc = open(addr, c["token"].as_str().unwrap()).await;
    let joined = rc_join(&mut wc, "sc").await;
    assert_eq!(joined["chat"][0]["text"], text);
    assert_eq!(joined["participants"].as_array().unwrap().len(), 2);

    // Another room's participant is out of reach.
    let other = join_http(addr, "r2", "Zed").await;
    let mut wz = open(addr, other["token"].as_str().unwrap()).await;
    rc_join(&mut wz, "sz").await;
    send(
        &mut wz,
        json!({"rc": "signal", "id": 1, "to": a_id, "data": {}}),
    )
    .await;
    assert_eq!(
        expect_rc(&mut wz, "error").await["code"],
        "ERR_RC_NO_SUCH_PARTICIPANT"
    );

    quiet(&mut bystander).await;
    drop((wa, wb, wc, wz, bystander));
    running.shutdown();
    running.wait().await.unwrap();

    // History is durable.
    let again = server::start(config(dir.path(), &[])).await.unwrap();
    let d = join_http(again.addr, "r1", "Di").await;
    let mut wd = open(again.addr, d["token"].as_str().unwrap()).await;
    assert_eq!(rc_join(&mut wd, "sd").await["chat"][0]["text"], text);
    drop(wd);
    again.shutdown();
    again.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderation_lock_password_and_removal() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &[])).await.unwrap();
    let addr = running.addr;
    let a = join_http(addr, "m1", "Mod").await;
    let b = join_http(addr, "m1", "Pat").await;
    let b_id = b["participant"]["id"].as_str().unwrap().to_owned();
    let a_id = a["participant"]["id"].as_str().unwrap().to_owned();
    let mut wa = open(addr, a["token"].as_str().unwrap()).await;
    rc_join(&mut wa, "sa").await;
    let mut wb = open(addr, b["token"].as_str().unwrap()).await;
    rc_join(&mut wb, "sb").await;

    // A participant may not moderate.
    for req in [
        json!({"rc": "lock", "id": 2, "locked": true}),
        json!({"rc": "remove", "id": 2, "target": a_id}),
        json!({"rc": "mute", "id": 2, "target": a_id, "kind": "mic"}),
        json!({"rc": "password", "id": 2, "password": "x"}),
    ] {
        send(&mut wb, req).await;
        assert_eq!(
            expect_rc(&mut wb, "error").await["code"],
            "ERR_RC_FORBIDDEN"
        );
    }

    // Mute request reaches the target.
    send(
        &mut wa,
        json!({"rc": "mute", "target": b_id, "kind": "mic"}),
    )
    .await;
    let m = expect_rc(&mut wb, "mute-request").await;
    assert_eq!(
        (m["by"].as_str(), m["kind"].as_str()),
        (Some(a_id.as_str()), Some("mic"))
    );

    // Lock: new joiners are refused; everyone hears the change.
    send(&mut wa, json!({"rc": "lock", "locked": true})).await;
    assert_eq!(expect_rc(&mut wb, "room").await["locked"], true);
    let (status, body) = http_join(addr, "m1", json!({"name": "Late"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("room_locked"))
    );
    send(&mut wa, json!({"rc": "lock", "locked": false})).await;
    expect_rc(&mut wb, "room").await;

    // Password: missing and wrong are refused, right is admitted.
    send(&mut wa, json!({"rc": "password", "password": "s3cret"})).await;
    assert_eq!(expect_rc(&mut wb, "room").await["hasPassword"], true);
    let (status, body) = http_join(addr, "m1", json!({"name": "Late"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("password_required"))
    );
    let (status, body) = http_join(addr, "m1", json!({"name": "Late", "password": "nope"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("wrong_password"))
    );
    let (status, c) = http_join(addr, "m1", json!({"name": "Late", "password": "s3cret"})).await;
    assert_eq!(status, 200);
    // The WebSocket join checks it too (a token minted before the change).
    let mut wc = open(addr, c["token"].as_str().unwrap()).await;
    send(&mut wc, json!({"rc": "join", "id": 1, "session": "sc", "media": media(false, false), "password": "bad"})).await;
    assert_eq!(expect_rc(&mut wc, "error").await["code"], "ERR_RC_PASSWORD");

    // Removal: the target hears why, is closed with 4003, may not return.
    send(&mut wa, json!({"rc": "remove", "target": b_id})).await;
    assert_eq!(expect_rc(&mut wb, "removed").await["by"], a_id.as_str());
    assert_eq!(close_code(&mut wb).await, Some(CloseCode::Library(4003)));
    let left = expect_rc(&mut wa, "participant-left").await;
    assert_eq!(
        (left["id"].as_str(), left["reason"].as_str()),
        (Some(b_id.as_str()), Some("removed"))
    );
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/ws?token={}",
        b["token"].as_str().unwrap()
    ))
    .await;
    assert!(refused.is_err(), "a removed identity cannot reconnect");

    // When the moderator leaves, the earliest remaining joiner moderates.
    send(&mut wc, json!({"rc": "join", "id": 1, "session": "sc", "media": media(false, false), "password": "s3cret"})).await;
    expect_rc(&mut wc, "joined").await;
    send(&mut wa, json!({"rc": "leave"})).await;
    let promoted = expect_rc(&mut wc, "updated").await;
    assert_eq!(promoted["participant"]["role"], "moderator");

    drop((wa, wc));
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_grace_and_reload_replace() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &["--reconnect-grace-secs", "1"]))
        .await
        .unwrap();
    let addr = running.addr;
    let a = join_http(addr, "g1", "Ana").await;
    let b = join_http(addr, "g1", "Bo").await;
    let b_token = b["token"].as_str().unwrap();
    let b_id = b["participant"]["id"].as_str().unwrap();
    let mut wa = open(addr, a["token"].as_str().unwrap()).await;
    rc_join(&mut wa, "sa").await;
    let mut wb = open(addr, b_token).await;
    rc_join(&mut wb, "sb").await;
    expect_rc(&mut wa, "participant-joined").await;

    // A reload: the same identity joins on a new socket with a new session
    // while the old one is still open. The old one is replaced; the others
    // see the participant once, as a new session.
    let mut wb2 = open(addr, b_token).await;
    let joined = rc_join(&mut wb2, "sb-reloaded").await;
    assert_eq!(joined["participants"].as_array().unwrap().len(), 1);
    assert_eq!(expect_rc(&mut wb, "replaced").await["rc"], "replaced");
    assert_eq!(close_code(&mut wb).await, Some(CloseCode::Library(4009)));
    let again = expect_rc(&mut wa, "participant-joined").await;
    assert_eq!(again["participant"]["session"], "sb-reloaded");

    // A dropped socket: the others see "not connected", then, when it comes
    // back with the same session, "connected" again (no new peer needed).
    drop(wb2);
    let u = expect_rc(&mut wa, "updated").await;
    assert_eq!(
        (
            u["participant"]["id"].as_str(),
            u["participant"]["connected"].as_bool()
        ),
        (Some(b_id), Some(false))
    );
    let mut wb3 = open(addr, b_token).await;
    rc_join(&mut wb3, "sb-reloaded").await;
    let u = expect_rc(&mut wa, "updated").await;
    assert_eq!(u["participant"]["connected"], true);

    // Gone for longer than the grace period: left, reason timeout.
    drop(wb3);
    expect_rc(&mut wa, "updated").await;
    let left = tokio::time::timeout(
        Duration::from_secs(5),
        expect_rc(&mut wa, "participant-left"),
    )
    .await
    .expect("left within the grace period plus slack");
    assert_eq!(
        (left["id"].as_str(), left["reason"].as_str()),
        (Some(b_id), Some("timeout"))
    );

    drop(wa);
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_room_size_rate_and_bad_messages() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(
        dir.path(),
        &[
            "--max-participants",
            "2",
            "--room-messages-per-second",
            "5",
            "--max-chat-chars",
            "10",
        ],
    ))
    .await
    .unwrap();
    let addr = running.addr;
    let a = join_http(addr, "l1", "Ana").await;
    let b = join_http(addr, "l1", "Bo").await;
    let mut wa = open(addr, a["token"].as_str().unwrap()).await;
    rc_join(&mut wa, "sa").await;
    let mut wb = open(addr, b["token"].as_str().unwrap()).await;
    rc_join(&mut wb, "sb").await;
    let (status, body) = http_join(addr, "l1", json!({"name": "Cy"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("room_full"))
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("full"));

    // Bad messages: an error each, the connection survives.
    for bad in [
        json!({"rc": "chat", "id": 1, "text": "far too long for ten"}),
        json!({"rc": "warp", "id": 1}),
        json!({"rc": "hand", "id": 1, "up": "yes"}),
        json!({"rc": "signal", "id": 1, "to": "x", "data": [1]}),
    ] {
        send(&mut wa, bad).await;
        assert_eq!(
            expect_rc(&mut wa, "error").await["code"],
            "ERR_RC_BAD_MESSAGE"
        );
    }
    // Over the rate (5/s, bursts of 10): refused, not disconnected.
    for _ in 0..30 {
        send(&mut wa, json!({"rc": "hand", "up": true})).await;
    }
    let mut limited = false;
    for _ in 0..60 {
        let m = recv(&mut wa).await;
        if m["code"] == "ERR_RC_RATE_LIMITED" {
            limited = true;
            break;
        }
    }
    assert!(limited, "the rate limit applies");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send(&mut wa, json!({"rc": "hand", "id": "after", "up": false})).await;
    assert_eq!(expect_rc(&mut wa, "ok").await["id"], "after");

    // Requests before join are refused, but the clock answers anyone.
    let mut early = open(addr, b["token"].as_str().unwrap()).await;
    send(&mut early, json!({"rc": "time", "id": 9})).await;
    let t = expect_rc(&mut early, "time").await;
    assert_eq!(t["id"], 9);
    let now_ms = i64::try_from(server::auth::now_secs()).unwrap() * 1000;
    assert!((t["now"].as_i64().unwrap() - now_ms).abs() < 5_000, "{t}");
    send(&mut early, json!({"rc": "chat", "id": 1, "text": "hi"})).await;
    assert_eq!(
        expect_rc(&mut early, "error").await["code"],
        "ERR_RC_NOT_JOINED"
    );

    drop((wa, wb, early));
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_number_of_rooms_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(config(dir.path(), &["--max-rooms", "2"]))
        .await
        .unwrap();
    let addr = running.addr;
    join_http(addr, "one", "A").await;
    join_http(addr, "two", "B").await;
    join_http(addr, "one", "C").await;
    let (status, body) = http_join(addr, "three", json!({"name": "D"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable"))
    );
    running.shutdown();
    running.wait().await.unwrap();
}
