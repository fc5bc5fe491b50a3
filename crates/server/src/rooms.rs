//! Rooms: name rules and the join endpoint that mints tokens.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{Claims, now_secs};

/// Room names: 1–64 characters of `A-Z a-z 0-9 _ -`, so they are safe in
/// URLs, document ids (`room:element`) and log lines.
pub fn valid_room(room: &str) -> bool {
    (1..=64).contains(&room.len())
        && room
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Remembers which rooms already have a moderator (the first joiner).
#[derive(Default)]
pub struct Moderators {
    rooms: Mutex<HashSet<String>>,
}

impl Moderators {
    /// True the first time it is asked about `room`.
    fn claim(&self, room: &str) -> bool {
        // Only inserts happen under this lock: poisoning cannot corrupt it.
        self.rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(room.to_string())
    }
}

/// The body of a join request.
#[derive(Debug, Deserialize)]
pub struct JoinRequest {
    /// Display name.
    pub name: String,
}

/// An error response `{"error":{"code","message"}}`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message.into() } })),
    )
        .into_response()
}

/// `POST /api/rooms/{room}/join`: a token for the room.
pub async fn join(
    State(state): State<AppState>,
    Path(room): Path<String>,
    body: Option<Json<JoinRequest>>,
) -> Response {
    if state.config.require_auth {
        return error(
            StatusCode::FORBIDDEN,
            "auth_required",
            "this server accepts only tokens issued by its application",
        );
    }
    if !valid_room(&room) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_room",
            "room names are 1-64 characters of letters, digits, '-' and '_'",
        );
    }
    let Some(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "expected JSON {\"name\": \"…\"}",
        );
    };
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "names are 1-64 characters",
        );
    }
    let role = if state.moderators.claim(&room) {
        "moderator"
    } else {
        "participant"
    };
    let now = now_secs();
    let claims = Claims {
        room: room.clone(),
        sub: crate::random_hex(8),
        name: name.to_string(),
        role: role.to_string(),
        exp: now + state.config.token_ttl,
        iat: now,
    };
    match state.tokens.mint(&claims) {
        Ok(token) => Json(json!({
            "token": token,
            "room": room,
            "participant": { "id": claims.sub, "name": claims.name, "role": claims.role },
            "expiresAt": claims.exp,
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot mint token");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "cannot mint token",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names() {
        assert!(valid_room("team-7_a"));
        assert!(!valid_room(""));
        assert!(!valid_room("a:b"));
        assert!(!valid_room("a b"));
        assert!(!valid_room(&"x".repeat(65)));
    }
}
