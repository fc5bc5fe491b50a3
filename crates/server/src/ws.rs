//! The WebSocket shell around a sync [`Session`]: one task reads and
//! dispatches, one writes the connection's queue; they end together.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use sync::{Access, Outgoing, Session};
use tracing::Instrument;

use crate::AppState;
use crate::rooms::error;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// How often the server pings an idle client, and how long it waits for
/// any frame before giving up on it.
const PING_EVERY: Duration = Duration::from_secs(30);
const DEAD_AFTER: Duration = Duration::from_secs(90);
/// Bytes read from a socket at a time. Also the read buffer every
/// connection keeps for its whole life: at 8 KiB it was a third of an idle
/// connection's memory (10,000 idle connections: 243 MiB, 183 MiB at 2 KiB,
/// with the same throughput). ShareDB messages are far smaller; bigger
/// ones (an SDP offer, a large create) take a few more reads.
const READ_CHUNK: usize = 2 * 1024;
/// How long a closing connection may take to accept its close frame.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// Close codes.
const GOING_AWAY: u16 = 1001;
const TOO_BIG: u16 = 1009;
const SLOW_CONSUMER: u16 = 4008;

/// `?token=…`
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// Counts WebSocket connections per client address.
#[derive(Default)]
pub struct PerIp {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// Holds one slot of an address's connection count.
pub struct IpSlot {
    per_ip: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Counter updates are single operations; poisoning cannot corrupt them.
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for `ip`, unless it already has `max`.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut counts = self.lock();
        let n = counts.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            per_ip: self.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut counts = self.per_ip.lock();
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// `GET /ws?token=…`: checks the token and the address's connection count,
/// then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(token) = q.token else {
        return error(
            StatusCode::UNAUTHORIZED,
            "token_required",
            "connect with /ws?token=…",
        );
    };
    let claims = match state.tokens.verify(&token) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::UNAUTHORIZED, "invalid_token", e.to_string()),
    };
    if *state.shutdown.borrow() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        );
    }
    let Some(slot) = state
        .per_ip
        .acquire(addr.ip(), state.config.max_connections_per_ip)
    else {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            "too many connections from this address",
        );
    };
    if state.rooms.is_removed(&claims.room, &claims.sub).await {
        return error(
            StatusCode::FORBIDDEN,
            "removed",
            "a moderator removed you from this room",
        );
    }
    let identity = room::Identity {
        id: claims.sub.clone(),
        name: claims.name.clone(),
        role: room::Role::from_claim(&claims.role),
    };
    let access = Access {
        room: claims.room,
        participant: claims.sub,
    };
    // Frames up to 4x the message limit are read and refused politely;
    // anything bigger closes the connection (1009).
    let hard_max = state.config.max_message_bytes.saturating_mul(4);
    // tungstenite zero-fills up to `read_buffer_size` on every socket read;
    // its 128 KiB default made that memset the top item of the profile.
    // Bigger messages still arrive, in more reads.
    ws.max_message_size(hard_max)
        .max_frame_size(hard_max)
        .read_buffer_size(READ_CHUNK)
        .on_upgrade(move |socket| run(socket, state, access, identity, slot))
}

async fn run(
    socket: WebSocket,
    state: AppState,
    access: Access,
    identity: room::Identity,
    slot: IpSlot,
) {
    let conn_id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!("conn", id = conn_id, room = %access.room, participant = %access.participant);
    connection(socket, state, access, identity, slot, conn_id)
        .instrument(span)
        .await;
}

async fn connection(
    socket: WebSocket,
    state: AppState,
    access: Access,
    identity: room::Identity,
    slot: IpSlot,
    conn_id: u64,
) {
    let (tx, mut rx) = sync::conn::channel(conn_id, state.config.send_queue);
    let client_id = format!("{}.{}", access.participant, crate::random_hex(6));
    let ice_servers =
        crate::turn::ice_servers(&state.config, &identity.id, crate::auth::now_secs());
    let mut room_session = room::RoomSession::new(
        tx.clone(),
        access.room.clone(),
        identity,
        ice_servers,
        state.rooms.clone(),
    );
    let mut session = Session::new(
        tx.clone(),
        access,
        client_id,
        state.docs.clone(),
        state.presence.clone(),
    );
    tracing::debug!(client = %session.client_id(), "connected");
    state.connections.fetch_add(1, Ordering::SeqCst);

    let (mut sink, mut stream) = socket.split();
    let last_seen = AtomicU64::new(0);
    let started = tokio::time::Instant::now();
    let mut shutdown = state.shutdown.clone();
    tx.text(session.init_message());

    let reader = async {
        while let Some(frame) = stream.next().await {
            last_seen.store(started.elapsed().as_secs(), Ordering::Relaxed);
            match frame {
                // Room control and ShareDB share the socket; each message
                // belongs to one of them.
                Ok(Message::Text(text)) => match room::wire::classify(text.as_str()) {
                    Some(rc) => room_session.handle(rc).await,
                    None => session.handle_text(text.as_str()).await,
                },
                Ok(Message::Binary(_)) => {
                    let e = sync::SyncError::BadMessage("binary messages are not supported".into());
                    tx.text(sync::wire::bare_error(&e));
                }
                Ok(Message::Close(_)) => return None,
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "read failed");
                    let too_big = e.to_string().to_lowercase().contains("too long")
                        || e.to_string().to_lowercase().contains("size");
                    return too_big.then_some(TOO_BIG);
                }
            }
        }
        None
    };

    let kick = rx.kick_signal();
    let writer = async {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        // Made once and polled by every select below: a fresh future per
        // pass would register with (and leave) the kick's and the shutdown
        // signal's waiter lists for every burst this connection sends.
        let kicked = kick.kicked();
        let shutting_down = async {
            let _ = shutdown.wait_for(|s| *s).await;
        };
        tokio::pin!(kicked, shutting_down);
        loop {
            tokio::select! {
                out = rx.rx.recv() => {
                    let out = out?;
                    // A client that stops reading blocks this send once the
                    // TCP buffers fill; the kick must still get through.
                    tokio::select! {
                        sent = write_queued(&mut sink, out, &mut rx.rx) => match sent {
                            Written::Ok => {}
                            Written::Failed => return None,
                            Written::Close(code, reason) => return Some((code, reason)),
                        },
                        () = &mut kicked => return Some((SLOW_CONSUMER, "slow consumer")),
                        () = &mut shutting_down => {
                            return Some((GOING_AWAY, "server shutting down"));
                        }
                    }
                }
                () = &mut kicked => return Some((SLOW_CONSUMER, "slow consumer")),
                () = &mut shutting_down => {
                    return Some((GOING_AWAY, "server shutting down"));
                }
                _ = ping.tick() => {
                    let idle = started.elapsed().as_secs().saturating_sub(last_seen.load(Ordering::Relaxed));
                    if idle > DEAD_AFTER.as_secs() {
                        return None;
                    }
                    if sink.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                        return None;
                    }
                }
            }
        }
    };

    let close = tokio::select! {
        code = reader => code.map(|c| (c, "message too big")),
        close = writer => close,
    };
    if let Some((code, reason)) = close {
        // The closing handshake: send our close frame, then wait for the
        // client's, so that it learns why (a client that stopped reading
        // gets the frame only once it reads again). Bounded: nothing new is
        // queued meanwhile, and the connection is dropped at the deadline.
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        };
        let _ = tokio::time::timeout(CLOSE_DEADLINE, async {
            if sink.send(Message::Close(Some(frame))).await.is_ok() {
                while let Some(Ok(msg)) = stream.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            }
        })
        .await;
    }
    room_session.close().await;
    session.close().await;
    drop(slot);
    state.connections.fetch_sub(1, Ordering::SeqCst);
    tracing::debug!("disconnected");
}

/// How a burst of writes ended.
enum Written {
    Ok,
    /// The socket failed.
    Failed,
    /// A queued `Close`: everything before it was sent.
    Close(u16, &'static str),
}

/// Writes `first` and whatever else is already queued (up to a bound),
/// then flushes once: one syscall for a burst of messages instead of one
/// each.
async fn write_queued<S>(
    sink: &mut S,
    first: Outgoing,
    rx: &mut tokio::sync::mpsc::Receiver<Outgoing>,
) -> Written
where
    S: SinkExt<Message> + Unpin,
{
    const MAX_BURST: usize = 64;
    let mut next = Some(first);
    let mut burst = 0;
    while let Some(out) = next.take() {
        if let Outgoing::Close { code, reason } = out {
            return if sink.flush().await.is_ok() {
                Written::Close(code, reason)
            } else {
                Written::Failed
            };
        }
        for b in out.into_messages() {
            if let Ok(text) = Utf8Bytes::try_from(b)
                && sink.feed(Message::Text(text)).await.is_err()
            {
                return Written::Failed;
            }
        }
        burst += 1;
        if burst <= MAX_BURST {
            next = rx.try_recv().ok();
        }
    }
    if sink.flush().await.is_ok() {
        Written::Ok
    } else {
        Written::Failed
    }
}
