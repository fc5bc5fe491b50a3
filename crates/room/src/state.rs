//! [`RoomState`]: one room's roster, roles, settings and chat history, with
//! no IO. The room task feeds it commands and the clock (`handle_*`) and
//! carries out what it asks for (`poll_output`): messages to connections,
//! connections to close, chat messages to store.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use store::ChatMessage;

use crate::error::{PASSWORD_REQUIRED, WRONG_PASSWORD};
use crate::wire::{self, Media, MuteKind, Request};
use crate::{RcError, RoomLimits};

/// A connection, as numbered by the server.
pub type ConnId = u64;

/// Close code for a participant removed by a moderator.
pub const CLOSE_REMOVED: u16 = 4003;
/// Close code for a connection replaced by the same participant's newer one.
pub const CLOSE_REPLACED: u16 = 4009;

/// How long the first joiner of an empty room holds the moderator role
/// between the join endpoint and the WebSocket join.
const MODERATOR_RESERVATION: Duration = Duration::from_secs(30);

/// A participant's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May mute, remove, lock and set the password.
    Moderator,
    /// Everyone else.
    Participant,
}

impl Role {
    /// `"moderator"` or `"participant"`, as in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Participant => "participant",
        }
    }

    /// The role a token's `role` claim names (anything else is a
    /// participant).
    pub fn from_claim(claim: &str) -> Role {
        if claim == "moderator" {
            Role::Moderator
        } else {
            Role::Participant
        }
    }
}

/// Who a connection is, from its token.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The participant id (`sub`).
    pub id: String,
    /// The display name.
    pub name: String,
    /// The role the token grants.
    pub role: Role,
}

/// A participant as clients see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// Participant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The page session (a new one means a reloaded page).
    pub session: String,
    /// Media state.
    pub media: Media,
    /// Hand raised.
    pub hand: bool,
    /// False during the reconnect grace period.
    pub connected: bool,
    /// When they joined, Unix ms.
    pub joined_at: i64,
}

struct Member {
    info: Participant,
    conn: Option<ConnId>,
    grace_until: Option<Instant>,
}

/// The two clocks a room needs: monotonic for deadlines, wall for
/// timestamps clients see.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// For deadlines.
    pub mono: Instant,
    /// Unix milliseconds.
    pub unix_ms: i64,
}

/// A `join` on one connection.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// The connection.
    pub conn: ConnId,
    /// Its token's identity.
    pub identity: Identity,
    /// The page session.
    pub session: String,
    /// Media at join.
    pub media: Media,
    /// The password the client gave.
    pub password: Option<String>,
    /// `iceServers` for the `joined` reply (credentials are per participant).
    pub ice_servers: Value,
    /// The request's id.
    pub id: Option<Value>,
}

/// What the room task must do.
#[derive(Debug)]
pub enum Output {
    /// Queue `msg` on `conn`.
    Send {
        /// The connection.
        conn: ConnId,
        /// The message.
        msg: Bytes,
    },
    /// Close `conn` (after what was queued before) with `code`.
    Close {
        /// The connection.
        conn: ConnId,
        /// The WebSocket close code.
        code: u16,
        /// Why.
        reason: &'static str,
    },
    /// Store `message` durably, then call [`RoomState::handle_chat_stored`]
    /// (or `handle_chat_failed`).
    StoreChat {
        /// The message.
        message: ChatMessage,
        /// Who sent it.
        conn: ConnId,
        /// Their request id.
        id: Option<Value>,
    },
}

/// Why a participant left, as clients see it.
#[derive(Debug, Clone, Copy)]
enum LeftReason {
    Left,
    Timeout,
    Removed,
}

impl LeftReason {
    fn as_str(self) -> &'static str {
        match self {
            LeftReason::Left => "left",
            LeftReason::Timeout => "timeout",
            LeftReason::Removed => "removed",
        }
    }
}

/// One room, without IO.
pub struct RoomState {
    room: String,
    limits: RoomLimits,
    /// In join order: the earliest is promoted when no moderator is left.
    members: Vec<Member>,
    locked: bool,
    password: Option<String>,
    removed: HashSet<String>,
    chat: VecDeque<ChatMessage>,
    moderator_reserved_until: Option<Instant>,
    /// Connections told to close (replaced, removed): whatever they sent
    /// before the close took effect is ignored. Each leaves the set with
    /// its disconnect.
    closing: HashSet<ConnId>,
    out: VecDeque<Output>,
}

impl RoomState {
    /// An empty room with `history` (oldest first) as its chat so far.
    pub fn new(room: String, limits: RoomLimits, history: Vec<ChatMessage>) -> RoomState {
        let mut chat: VecDeque<ChatMessage> = history.into();
        while chat.len() > limits.chat_history {
            chat.pop_front();
        }
        RoomState {
            room,
            limits,
            members: Vec::new(),
            locked: false,
            password: None,
            removed: HashSet::new(),
            chat,
            moderator_reserved_until: None,
            closing: HashSet::new(),
            out: VecDeque::new(),
        }
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The next deadline ([`RoomState::handle_timeout`] then), if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.members.iter().filter_map(|m| m.grace_until).min()
    }

    /// True with nobody in the room (not even within a grace period).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Everyone in the room (also those within their grace period), in
    /// join order, as clients see them.
    pub fn roster(&self) -> Vec<serde_json::Value> {
        self.members
            .iter()
            .map(|m| serde_json::to_value(&m.info).unwrap_or_default())
            .collect()
    }

    /// True while `conn` is a member's current connection.
    pub fn knows_conn(&self, conn: ConnId) -> bool {
        self.members.iter().any(|m| m.conn == Some(conn))
    }

    /// True for an identity a moderator removed.
    pub fn is_removed(&self, participant: &str) -> bool {
        self.removed.contains(participant)
    }

    /// The join endpoint's check before it mints a token: refused when the
    /// room is full, locked or the password is wrong; the first joiner of
    /// an empty room is its moderator.
    pub fn admit(&mut self, now: Now, password: Option<&str>) -> Result<Role, RcError> {
        if self.members.len() >= self.limits.max_participants {
            return Err(RcError::RoomFull(self.limits.max_participants));
        }
        if self.locked {
            return Err(RcError::RoomLocked);
        }
        self.check_password(password)?;
        let reserved = self
            .moderator_reserved_until
            .is_some_and(|until| until > now.mono);
        if self.members.is_empty() && !reserved {
            self.moderator_reserved_until = Some(now.mono + MODERATOR_RESERVATION);
            return Ok(Role::Moderator);
        }
        Ok(Role::Participant)
    }

    fn check_password(&self, given: Option<&str>) -> Result<(), RcError> {
        match (&self.password, given) {
            (None, _) => Ok(()),
            (Some(_), None) => Err(RcError::Password(PASSWORD_REQUIRED)),
            (Some(p), Some(g)) if p == g => Ok(()),
            (Some(_), Some(_)) => Err(RcError::Password(WRONG_PASSWORD)),
        }
    }

    /// A `join` on `req.conn`.
    pub fn handle_join(&mut self, now: Now, req: JoinRequest) {
        let JoinRequest {
            conn,
            identity,
            session,
            media,
            password,
            ice_servers,
            id,
        } = req;
        if self.closing.contains(&conn) {
            return;
        }
        if self.removed.contains(&identity.id) {
            self.refuse(conn, "join", id.as_ref(), &RcError::Removed);
            return;
        }
        let index = match self.members.iter().position(|m| m.info.id == identity.id) {
            Some(index) => {
                self.rejoin(index, conn, session, media);
                index
            }
            None => {
                if self.members.len() >= self.limits.max_participants {
                    let e = RcError::RoomFull(self.limits.max_participants);
                    self.refuse(conn, "join", id.as_ref(), &e);
                    return;
                }
                if identity.role != Role::Moderator {
                    let checked = if self.locked {
                        Err(RcError::RoomLocked)
                    } else {
                        self.check_password(password.as_deref())
                    };
                    if let Err(e) = checked {
                        self.refuse(conn, "join", id.as_ref(), &e);
                        return;
                    }
                }
                if identity.role == Role::Moderator {
                    self.moderator_reserved_until = None;
                }
                let info = Participant {
                    id: identity.id,
                    name: identity.name,
                    role: identity.role,
                    session,
                    media,
                    hand: false,
                    connected: true,
                    joined_at: now.unix_ms,
                };
                self.members.push(Member {
                    info: info.clone(),
                    conn: Some(conn),
                    grace_until: None,
                });
                let msg = wire::encode(&json!({"rc": "participant-joined", "participant": info}));
                self.broadcast_except(conn, &msg);
                self.members.len() - 1
            }
        };
        let me = &self.members[index].info;
        let others: Vec<&Participant> = self
            .members
            .iter()
            .filter(|m| m.info.id != me.id)
            .map(|m| &m.info)
            .collect();
        let mut reply = json!({
            "rc": "joined",
            "self": me,
            "participants": others,
            "room": self.room_info(),
            "chat": self.chat.iter().map(chat_json).collect::<Vec<_>>(),
            "iceServers": ice_servers,
        });
        if let Some(id) = id {
            reply["id"] = id;
        }
        self.send(conn, wire::encode(&reply));
        self.ensure_moderator();
    }

    /// The same participant joins again: on a new connection (the old one is
    /// replaced) or after a dropped one (within its grace period).
    fn rejoin(&mut self, index: usize, conn: ConnId, session: String, media: Media) {
        if let Some(old) = self.members[index].conn
            && old != conn
        {
            self.out.push_back(Output::Send {
                conn: old,
                msg: wire::encode(&json!({"rc": "replaced"})),
            });
            self.close(old, CLOSE_REPLACED, "replaced by a newer connection");
        }
        let member = &mut self.members[index];
        let new_session = member.info.session != session;
        member.conn = Some(conn);
        member.grace_until = None;
        member.info.connected = true;
        member.info.media = media;
        member.info.session = session;
        if new_session {
            // A reloaded page: its hand and peer connections are gone.
            member.info.hand = false;
        }
        let info = member.info.clone();
        let msg = if new_session {
            json!({"rc": "participant-joined", "participant": info})
        } else {
            json!({"rc": "updated", "participant": info})
        };
        self.broadcast_except(conn, &wire::encode(&msg));
    }

    /// A request on `conn`, other than `join`.
    pub fn handle_request(
        &mut self,
        now: Now,
        conn: ConnId,
        rc: &str,
        id: Option<Value>,
        request: Request,
    ) {
        if self.closing.contains(&conn) {
            return;
        }
        let Some(index) = self.members.iter().position(|m| m.conn == Some(conn)) else {
            self.refuse(conn, rc, id.as_ref(), &RcError::NotJoined);
            return;
        };
        let result = match request {
            // Routed elsewhere: `join` to `handle_join`, `time` answered by
            // the connection's session.
            Request::Join { .. } | Request::Time => Ok(()),
            Request::Leave => {
                self.remove_member(index, LeftReason::Left);
                // The connection stays open for ShareDB; it is just not in
                // the roster any more.
                Ok(())
            }
            Request::Media(media) => {
                self.members[index].info.media = media;
                self.broadcast_updated(index);
                Ok(())
            }
            Request::Name(name) => {
                self.members[index].info.name = name;
                self.broadcast_updated(index);
                Ok(())
            }
            Request::Hand(up) => {
                self.members[index].info.hand = up;
                self.broadcast_updated(index);
                Ok(())
            }
            Request::React(emoji) => {
                let from = &self.members[index].info.id;
                let msg = wire::encode(&json!({"rc": "reaction", "from": from, "emoji": emoji}));
                self.broadcast(&msg);
                Ok(())
            }
            Request::Signal { to, data } => match self.connected(&to) {
                Some(target) if target != conn => {
                    let from = &self.members[index].info.id;
                    let msg = wire::encode(&json!({"rc": "signal", "from": from, "data": data}));
                    self.send(target, msg);
                    Ok(())
                }
                _ => Err(RcError::NoSuchParticipant),
            },
            Request::Chat(text) => {
                let member = &self.members[index].info;
                let message = ChatMessage {
                    room: self.room.clone(),
                    id: format!("{:016x}", rand::random::<u64>()),
                    at: now.unix_ms,
                    participant: member.id.clone(),
                    name: member.name.clone(),
                    text,
                };
                // Answered once stored.
                self.out.push_back(Output::StoreChat { message, conn, id });
                return;
            }
            Request::Mute { target, kind } => self.moderate(index).and_then(|()| {
                let target = self.connected(&target).ok_or(RcError::NoSuchParticipant)?;
                let by = &self.members[index].info.id;
                let kind = match kind {
                    MuteKind::Mic => "mic",
                    MuteKind::Cam => "cam",
                };
                let msg = wire::encode(&json!({"rc": "mute-request", "by": by, "kind": kind}));
                self.send(target, msg);
                Ok(())
            }),
            Request::Remove { target } => self.moderate(index).and_then(|()| {
                let t = self
                    .members
                    .iter()
                    .position(|m| m.info.id == target)
                    .ok_or(RcError::NoSuchParticipant)?;
                if t == index {
                    return Err(RcError::BadMessage("to leave, send leave".into()));
                }
                let by = self.members[index].info.id.clone();
                if let Some(target_conn) = self.members[t].conn {
                    self.send(
                        target_conn,
                        wire::encode(&json!({"rc": "removed", "by": by})),
                    );
                    self.close(target_conn, CLOSE_REMOVED, "removed by a moderator");
                }
                self.removed.insert(target);
                self.remove_member(t, LeftReason::Removed);
                Ok(())
            }),
            Request::Lock(locked) => self.moderate(index).map(|()| {
                self.locked = locked;
                self.broadcast_room();
            }),
            Request::Password(password) => self.moderate(index).map(|()| {
                self.password = password;
                self.broadcast_room();
            }),
        };
        match result {
            Ok(()) => {
                if let Some(id) = id {
                    self.send(conn, wire::ok(&id));
                }
            }
            Err(e) => self.refuse(conn, rc, id.as_ref(), &e),
        }
    }

    /// A stored chat message: now everyone gets it.
    pub fn handle_chat_stored(&mut self, message: ChatMessage, conn: ConnId, id: Option<Value>) {
        let msg = wire::encode(&json!({"rc": "chat", "message": chat_json(&message)}));
        self.chat.push_back(message);
        while self.chat.len() > self.limits.chat_history {
            self.chat.pop_front();
        }
        self.broadcast(&msg);
        if let Some(id) = id {
            self.send(conn, wire::ok(&id));
        }
    }

    /// A chat message that could not be stored: only its sender hears.
    pub fn handle_chat_failed(&mut self, conn: ConnId, id: Option<Value>) {
        self.refuse(conn, "chat", id.as_ref(), &RcError::ChatUnavailable);
    }

    /// `conn` closed. Its participant (if it is still their connection)
    /// enters the grace period.
    pub fn handle_disconnect(&mut self, now: Now, conn: ConnId) {
        self.closing.remove(&conn);
        let Some(index) = self.members.iter().position(|m| m.conn == Some(conn)) else {
            return;
        };
        let member = &mut self.members[index];
        member.conn = None;
        member.info.connected = false;
        member.grace_until = Some(now.mono + self.limits.reconnect_grace);
        self.broadcast_updated(index);
    }

    /// Ends grace periods that are over.
    pub fn handle_timeout(&mut self, now: Now) {
        while let Some(index) = self
            .members
            .iter()
            .position(|m| m.grace_until.is_some_and(|t| t <= now.mono))
        {
            self.remove_member(index, LeftReason::Timeout);
        }
    }

    fn remove_member(&mut self, index: usize, reason: LeftReason) {
        let member = self.members.remove(index);
        let msg = wire::encode(&json!({
            "rc": "participant-left", "id": member.info.id, "reason": reason.as_str(),
        }));
        self.broadcast(&msg);
        self.ensure_moderator();
    }

    /// A room with people in it always has a moderator: when the last one
    /// leaves, the earliest joiner still here is promoted.
    fn ensure_moderator(&mut self) {
        if self.members.is_empty() || self.members.iter().any(|m| m.info.role == Role::Moderator) {
            return;
        }
        self.members[0].info.role = Role::Moderator;
        self.broadcast_updated(0);
    }

    fn moderate(&self, index: usize) -> Result<(), RcError> {
        if self.members[index].info.role == Role::Moderator {
            Ok(())
        } else {
            Err(RcError::Forbidden)
        }
    }

    fn connected(&self, participant: &str) -> Option<ConnId> {
        self.members
            .iter()
            .find(|m| m.info.id == participant)
            .and_then(|m| m.conn)
    }

    fn room_info(&self) -> Value {
        json!({
            "locked": self.locked,
            "hasPassword": self.password.is_some(),
            "maxParticipants": self.limits.max_participants,
        })
    }

    fn broadcast_room(&mut self) {
        let mut msg = self.room_info();
        msg["rc"] = json!("room");
        self.broadcast(&wire::encode(&msg));
    }

    fn broadcast_updated(&mut self, index: usize) {
        let msg = wire::encode(&json!({"rc": "updated", "participant": self.members[index].info}));
        self.broadcast(&msg);
    }

    fn broadcast(&mut self, msg: &Bytes) {
        let conns: Vec<ConnId> = self.members.iter().filter_map(|m| m.conn).collect();
        for conn in conns {
            self.send(conn, msg.clone());
        }
    }

    fn broadcast_except(&mut self, except: ConnId, msg: &Bytes) {
        let conns: Vec<ConnId> = self
            .members
            .iter()
            .filter_map(|m| m.conn)
            .filter(|c| *c != except)
            .collect();
        for conn in conns {
            self.send(conn, msg.clone());
        }
    }

    fn close(&mut self, conn: ConnId, code: u16, reason: &'static str) {
        self.closing.insert(conn);
        self.out.push_back(Output::Close { conn, code, reason });
    }

    fn send(&mut self, conn: ConnId, msg: Bytes) {
        self.out.push_back(Output::Send { conn, msg });
    }

    fn refuse(&mut self, conn: ConnId, rc: &str, id: Option<&Value>, e: &RcError) {
        self.send(conn, wire::error(rc, id, e));
    }
}

fn chat_json(m: &ChatMessage) -> Value {
    json!({"id": m.id, "from": m.participant, "name": m.name, "text": m.text, "at": m.at})
}
