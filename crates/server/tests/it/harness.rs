//! Starting servers on free ports and talking ShareDB to them.

use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server::auth::{Claims, Tokens, now_secs};
use tokio_tungstenite::tungstenite::Message;

pub const SECRET: &str = "integration-test-secret-0123456789";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: server::ServeConfig,
}

/// A config on a free port with `dir` as data directory and extra flags.
pub fn config(dir: &std::path::Path, extra: &[&str]) -> server::ServeConfig {
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--secret",
        SECRET,
        "--data",
    ];
    let dir = dir.to_str().expect("temp dirs are UTF-8");
    args.push(dir);
    args.extend_from_slice(extra);
    Args::parse_from(args).config
}

pub fn token(room: &str, participant: &str) -> String {
    let claims = Claims {
        room: room.into(),
        sub: participant.into(),
        name: participant.into(),
        role: "participant".into(),
        exp: now_secs() + 600,
        iat: now_secs(),
    };
    Tokens::new(SECRET.as_bytes()).mint(&claims).expect("mint")
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects, reads `init` and completes the handshake.
pub async fn connect(addr: std::net::SocketAddr, token: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}"))
        .await
        .expect("connect");
    let init = recv(&mut ws).await;
    assert_eq!(init["a"], "init");
    send(&mut ws, json!({"a": "hs", "id": null})).await;
    assert_eq!(recv(&mut ws).await["a"], "hs");
    ws
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON message, within 10 s.
pub async fn recv(ws: &mut Ws) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str()).expect("JSON");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    })
    .await
    .expect("a message within 10 s")
}

/// Reads to the close frame, then on to the end so that the client's
/// automatic close reply goes out, as a browser's would. Gives up after 10 s
/// of silence.
pub async fn close_code(
    ws: &mut Ws,
) -> Option<tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode> {
    let mut code = None;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        match msg {
            Ok(Message::Close(frame)) => code = frame.map(|f| f.code),
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    code
}
