//! Why a room request was refused, with the stable codes clients see.

/// A refused room request. The `Display` text is the message sent to the
/// client; [`RcError::code`] is its stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RcError {
    /// Not an object, unknown `rc`, or a field missing, mistyped or too big.
    #[error("{0}")]
    BadMessage(String),
    /// A request other than `join` before joining.
    #[error("join the room first")]
    NotJoined,
    /// Over the connection's room-message rate.
    #[error("too many room messages; slow down")]
    RateLimited,
    /// A moderator request from a participant.
    #[error("only moderators can do that")]
    Forbidden,
    /// `to` / `target` is not a (connected) participant of this room.
    #[error("no such participant in this room")]
    NoSuchParticipant,
    /// Join refused: the room is locked.
    #[error("this room is locked")]
    RoomLocked,
    /// Join refused: the password is missing or wrong.
    #[error("{0}")]
    Password(&'static str),
    /// Join refused: the room has as many participants as the
    /// peer-to-peer mesh allows.
    // Shown to people as is; larger rooms wait for the media server (SFU).
    #[error("This room is full: calls are limited to {0} people for now.")]
    RoomFull(usize),
    /// Join refused: a moderator removed this identity.
    #[error("a moderator removed you from this room")]
    Removed,
    /// The chat message could not be stored, so it was not sent.
    #[error("the message could not be saved; try again")]
    ChatUnavailable,
    /// The room task is gone (the server is shutting down) or the server
    /// has as many rooms as it may.
    #[error("the room is not available right now; try again later")]
    Unavailable,
}

/// The password errors' messages (also tell the join endpoint which code).
pub const PASSWORD_REQUIRED: &str = "this room needs a password";
/// See [`PASSWORD_REQUIRED`].
pub const WRONG_PASSWORD: &str = "wrong password";

impl RcError {
    /// The stable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            RcError::BadMessage(_) => "ERR_RC_BAD_MESSAGE",
            RcError::NotJoined => "ERR_RC_NOT_JOINED",
            RcError::RateLimited => "ERR_RC_RATE_LIMITED",
            RcError::Forbidden => "ERR_RC_FORBIDDEN",
            RcError::NoSuchParticipant => "ERR_RC_NO_SUCH_PARTICIPANT",
            RcError::RoomLocked => "ERR_RC_ROOM_LOCKED",
            RcError::Password(_) => "ERR_RC_PASSWORD",
            RcError::RoomFull(_) => "ERR_RC_ROOM_FULL",
            RcError::Removed => "ERR_RC_REMOVED",
            RcError::ChatUnavailable => "ERR_RC_CHAT_UNAVAILABLE",
            RcError::Unavailable => "ERR_RC_UNAVAILABLE",
        }
    }

    /// The code the HTTP join endpoint uses for a refused admission.
    pub fn http_code(&self) -> &'static str {
        match self {
            RcError::RoomLocked => "room_locked",
            RcError::Password(m) if *m == PASSWORD_REQUIRED => "password_required",
            RcError::Password(_) => "wrong_password",
            RcError::RoomFull(_) => "room_full",
            RcError::Removed => "removed",
            RcError::Unavailable => "unavailable",
            _ => "bad_request",
        }
    }
}
