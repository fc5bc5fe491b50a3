//! Rooms: name rules and the join endpoint that mints tokens after the
//! room's task admits the joiner.

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

/// The body of a join request.
#[derive(Debug, Deserialize)]
pub struct JoinRequest {
    /// Display name.
    pub name: String,
    /// The room's password, if it has one.
    #[serde(default)]
    pub password: Option<String>,
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
    let Some(name) = room::wire::valid_name(&body.name) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "names are 1-64 characters without control characters",
        );
    };
    // The room's task decides: it knows who is in, the lock and the
    // password, and who came first.
    let role = match state.rooms.admit(&room, body.password).await {
        Ok(role) => role,
        Err(e) => {
            let status = match e {
                room::RcError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::FORBIDDEN,
            };
            return error(status, e.http_code(), e.to_string());
        }
    };
    let now = now_secs();
    let claims = Claims {
        room: room.clone(),
        sub: crate::random_hex(8),
        name,
        role: role.as_str().to_string(),
        exp: now + state.config.token_ttl,
        iat: now,
    };
    match state.tokens.mint(&claims) {
        Ok(token) => Json(json!({
            "token": token,
            "room": room,
            "participant": { "id": claims.sub, "name": claims.name, "role": claims.role },
            "expiresAt": claims.exp,
            "iceServers": crate::turn::ice_servers(&state.config, &claims.sub, now),
            "maxParticipants": state.config.max_participants,
            "map": {
                "tiles": state.config.map_tiles,
                "attribution": state.config.map_attribution,
            },
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
