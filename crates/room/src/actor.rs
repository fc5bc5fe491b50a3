//! The task that owns one room: it drives a [`RoomState`] with commands and
//! the clock, and carries out its outputs on the connections' queues and the
//! store.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use serde_json::Value;
use store::{ChatMessage, Store};
use sync::{ConnTx, Outgoing};
use tokio::sync::{mpsc, oneshot};

use crate::registry::Rooms;
use crate::state::{ConnId, JoinRequest, Now, Output, Role, RoomState};
use crate::wire::Request;
use crate::{RcError, RoomLimits};

/// How long storing a chat message may take before it is refused.
const CHAT_STORE_DEADLINE: Duration = Duration::from_secs(5);

/// What a room task is asked to do.
#[derive(Debug)]
pub enum RoomCommand {
    /// The join endpoint's admission check.
    Admit {
        /// The password given.
        password: Option<String>,
        /// The role for the new token, or why not.
        reply: oneshot::Sender<Result<Role, RcError>>,
    },
    /// `join` on a connection.
    Join {
        /// Where to send this connection's messages.
        tx: ConnTx,
        /// The request.
        request: JoinRequest,
    },
    /// Any other request.
    Request {
        /// The connection.
        conn: ConnId,
        /// The request's `rc`.
        rc: String,
        /// The request's id.
        id: Option<Value>,
        /// The request.
        request: Request,
    },
    /// The connection closed.
    Disconnected {
        /// The connection.
        conn: ConnId,
    },
    /// Is this identity removed?
    IsRemoved {
        /// The participant id.
        participant: String,
        /// The answer.
        reply: oneshot::Sender<bool>,
    },
}

/// The clocks, read once per event.
pub(crate) fn now() -> Now {
    Now {
        mono: Instant::now(),
        unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    }
}

/// A chat message being stored, with whom to answer.
type ChatWrite = BoxFuture<'static, (ChatMessage, ConnId, Option<Value>, bool)>;

pub(crate) struct RoomTask {
    pub room: String,
    pub generation: u64,
    pub limits: RoomLimits,
    pub store: Store,
    pub registry: Rooms,
    pub commands: mpsc::Receiver<RoomCommand>,
}

impl RoomTask {
    pub(crate) async fn run(mut self) {
        let history = match self
            .store
            .chat_history(&self.room, self.limits.chat_history)
            .await
        {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(room = %self.room, error = %e, "cannot load chat history");
                Vec::new()
            }
        };
        let mut state = RoomState::new(self.room.clone(), self.limits.clone(), history);
        let mut conns: HashMap<ConnId, ConnTx> = HashMap::new();
        let mut empty_since = Some(Instant::now());
        // Chat messages being stored, answered in the order they were sent;
        // the room goes on relaying signals meanwhile.
        let mut chats: FuturesOrdered<ChatWrite> = FuturesOrdered::new();
        loop {
            let deadline = match (state.poll_timeout(), empty_since) {
                (Some(t), _) => Some(t),
                (None, Some(since)) => Some(since + self.limits.empty_room_linger),
                (None, None) => None,
            };
            let sleep = async {
                match deadline {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                cmd = self.commands.recv() => {
                    let Some(cmd) = cmd else { return };
                    self.handle(&mut state, &mut conns, cmd);
                }
                Some((message, conn, id, stored)) = chats.next(), if !chats.is_empty() => {
                    if stored {
                        state.handle_chat_stored(message, conn, id);
                    } else {
                        state.handle_chat_failed(conn, id);
                    }
                }
                () = sleep => {
                    if state.poll_timeout().is_none()
                        && state.is_empty()
                        && chats.is_empty()
                        && self.try_exit()
                    {
                        return;
                    }
                    state.handle_timeout(now());
                }
            }
            self.flush(&mut state, &mut conns, &mut chats);
            // Connections that are no longer anyone's (refused joins,
            // replaced or removed ones) are forgotten.
            conns.retain(|conn, _| state.knows_conn(*conn));
            if state.is_empty() {
                empty_since.get_or_insert_with(Instant::now);
            } else {
                empty_since = None;
            }
        }
    }

    fn handle(&self, state: &mut RoomState, conns: &mut HashMap<ConnId, ConnTx>, cmd: RoomCommand) {
        match cmd {
            RoomCommand::Admit { password, reply } => {
                let _ = reply.send(state.admit(now(), password.as_deref()));
            }
            RoomCommand::Join { tx, request } => {
                conns.insert(request.conn, tx);
                state.handle_join(now(), request);
            }
            RoomCommand::Request {
                conn,
                rc,
                id,
                request,
            } => state.handle_request(now(), conn, &rc, id, request),
            RoomCommand::Disconnected { conn } => state.handle_disconnect(now(), conn),
            RoomCommand::IsRemoved { participant, reply } => {
                let _ = reply.send(state.is_removed(&participant));
            }
        }
    }

    /// Carries out the state's outputs; chat messages start their writes.
    fn flush(
        &self,
        state: &mut RoomState,
        conns: &mut HashMap<ConnId, ConnTx>,
        chats: &mut FuturesOrdered<ChatWrite>,
    ) {
        while let Some(out) = state.poll_output() {
            match out {
                Output::Send { conn, msg } => {
                    if let Some(tx) = conns.get(&conn) {
                        tx.text(msg);
                    }
                }
                Output::Close { conn, code, reason } => {
                    if let Some(tx) = conns.remove(&conn) {
                        tx.send(Outgoing::Close { code, reason });
                    }
                }
                Output::StoreChat { message, conn, id } => {
                    // Stored before anyone sees it: chat history never shows
                    // a message that a crash took back.
                    let store = self.store.clone();
                    let room = self.room.clone();
                    chats.push_back(Box::pin(async move {
                        let stored =
                            tokio::time::timeout(CHAT_STORE_DEADLINE, store.append_chat(&message))
                                .await;
                        let ok = match stored {
                            Ok(Ok(())) => true,
                            Ok(Err(e)) => {
                                tracing::warn!(room = %room, error = %e, "chat not stored");
                                false
                            }
                            Err(_) => {
                                tracing::warn!(room = %room, "chat store timed out");
                                false
                            }
                        };
                        (message, conn, id, ok)
                    }));
                }
            }
        }
    }

    /// Leaves the registry unless a command raced in; true if it did.
    fn try_exit(&mut self) -> bool {
        self.registry
            .remove_if(&self.room, self.generation, || self.commands.is_empty())
    }
}
