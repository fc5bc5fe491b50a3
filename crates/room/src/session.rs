//! [`RoomSession`]: one connection's side of room control. It checks each
//! room message (shape, rate), stamps it with the connection's identity and
//! hands it to the room's task; the task answers on the connection's queue.

use std::time::Instant;

use serde_json::{Map, Value};
use sync::ConnTx;

use crate::RcError;
use crate::actor::RoomCommand;
use crate::registry::{RoomHandle, Rooms};
use crate::state::{Identity, JoinRequest};
use crate::wire::{self, Request};

/// One connection's room-control state.
pub struct RoomSession {
    conn: ConnTx,
    room: String,
    identity: Identity,
    ice_servers: Value,
    rooms: Rooms,
    joined: Option<RoomHandle>,
    tokens: f64,
    last: Instant,
}

impl RoomSession {
    /// A session for a connection whose token names `room` and `identity`;
    /// `ice_servers` goes into its `joined` reply.
    pub fn new(
        conn: ConnTx,
        room: String,
        identity: Identity,
        ice_servers: Value,
        rooms: Rooms,
    ) -> RoomSession {
        let tokens = rooms.limits().messages_burst;
        RoomSession {
            conn,
            room,
            identity,
            ice_servers,
            rooms,
            joined: None,
            tokens,
            last: Instant::now(),
        }
    }

    /// Handles one room-control message (see [`wire::classify`]).
    pub async fn handle(&mut self, msg: Map<String, Value>) {
        let limits = self.rooms.limits().clone();
        let envelope = wire::parse(msg, limits.max_chat_chars);
        let conn = self.conn.clone();
        let refuse = |e: &RcError| {
            conn.text(wire::error(&envelope.rc, envelope.id.as_ref(), e));
        };
        if !self.take_token() {
            refuse(&RcError::RateLimited);
            return;
        }
        let request = match envelope.request {
            Ok(r) => r,
            Err(ref e) => {
                refuse(e);
                return;
            }
        };
        match request {
            // Answered here, joined or not: a clock reading must not wait
            // behind the room's queue.
            Request::Time => {
                let mut reply =
                    serde_json::json!({"rc": "time", "now": crate::actor::now().unix_ms});
                if let Some(id) = envelope.id {
                    reply["id"] = id;
                }
                self.conn.text(wire::encode(&reply));
            }
            Request::Join {
                session,
                media,
                password,
            } => {
                let join = JoinRequest {
                    conn: self.conn.id,
                    identity: self.identity.clone(),
                    session,
                    media,
                    password,
                    ice_servers: self.ice_servers.clone(),
                    id: envelope.id.clone(),
                };
                // A room task that just ended refuses the send; the second
                // lookup starts a fresh one.
                for _ in 0..2 {
                    let Some(handle) = self.rooms.get(&self.room) else {
                        break;
                    };
                    let cmd = RoomCommand::Join {
                        tx: self.conn.clone(),
                        request: join.clone(),
                    };
                    if handle.send(cmd).await {
                        self.joined = Some(handle);
                        return;
                    }
                }
                refuse(&RcError::Unavailable);
            }
            request => {
                let Some(handle) = &self.joined else {
                    refuse(&RcError::NotJoined);
                    return;
                };
                let cmd = RoomCommand::Request {
                    conn: self.conn.id,
                    rc: envelope.rc.clone(),
                    id: envelope.id.clone(),
                    request,
                };
                if !handle.send(cmd).await {
                    self.joined = None;
                    refuse(&RcError::NotJoined);
                }
            }
        }
    }

    /// The connection closed: its participant enters the grace period.
    pub async fn close(self) {
        if let Some(handle) = self.joined {
            handle
                .send(RoomCommand::Disconnected { conn: self.conn.id })
                .await;
        }
    }

    fn take_token(&mut self) -> bool {
        let limits = self.rooms.limits();
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * limits.messages_per_second;
        self.tokens = (self.tokens + refill).min(limits.messages_burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
