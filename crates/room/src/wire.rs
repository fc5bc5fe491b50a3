//! The room-control messages on the wire: parsing and checking what clients
//! send, and encoding what the server sends. The only module that knows the
//! JSON field names.
//!
//! A room-control message is a JSON object with an `"rc"` key; ShareDB's
//! carry `"a"`. See `docs/room-protocol.md`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::RcError;

/// The reactions a client may send.
pub const REACTIONS: [&str; 6] = ["👍", "👏", "❤️", "😂", "😮", "🎉"];

/// Microphone, camera and screen share on or off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Microphone on.
    pub mic: bool,
    /// Camera on.
    pub cam: bool,
    /// Sharing the screen.
    pub screen: bool,
}

/// What a moderator asks a participant to turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MuteKind {
    /// The microphone.
    Mic,
    /// The camera.
    Cam,
}

/// A checked request from a client.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Enter the room.
    Join {
        /// The page's session id.
        session: String,
        /// Media state at join.
        media: Media,
        /// The room password, if the client has one.
        password: Option<String>,
    },
    /// Leave at once, without a grace period.
    Leave,
    /// The server's clock, for clients estimating their offset to it
    /// (synced video plays from server time).
    Time,
    /// New media state.
    Media(Media),
    /// New display name.
    Name(String),
    /// Hand up or down.
    Hand(bool),
    /// A reaction, one of [`REACTIONS`].
    React(&'static str),
    /// A WebRTC signal for one participant.
    Signal {
        /// The participant it is for.
        to: String,
        /// Relayed untouched (an object).
        data: Value,
    },
    /// A chat message.
    Chat(String),
    /// Moderator: ask a participant to mute.
    Mute {
        /// Who.
        target: String,
        /// What.
        kind: MuteKind,
    },
    /// Moderator: remove a participant.
    Remove {
        /// Who.
        target: String,
    },
    /// Moderator: lock or unlock the room.
    Lock(bool),
    /// Moderator: set or clear the password.
    Password(Option<String>),
}

/// A parsed message: the request (or why it is refused), its `rc` name and
/// the client's `id` to echo.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The request's `rc` (at most 32 characters), echoed in errors.
    pub rc: String,
    /// The client's correlation id, echoed in the reply.
    pub id: Option<Value>,
    /// The request, or why it is malformed.
    pub request: Result<Request, RcError>,
}

/// The parsed message if `text` is a room-control message: a JSON object
/// with an `"rc"` key. `None` for anything else (ShareDB's messages and
/// malformed text, which the ShareDB session answers).
pub fn classify(text: &str) -> Option<Map<String, Value>> {
    // Cheap test first: ShareDB's hot path must not pay for a second parse.
    if !text.contains("\"rc\"") {
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) if map.contains_key("rc") => Some(map),
        _ => None,
    }
}

/// Checks a room-control message.
pub fn parse(mut msg: Map<String, Value>, max_chat_chars: usize) -> Envelope {
    let rc = match msg.get("rc") {
        Some(Value::String(s)) => s.chars().take(32).collect(),
        _ => String::new(),
    };
    let id = match msg.remove("id") {
        Some(v @ Value::Number(_)) => Some(v),
        Some(Value::String(s)) if s.len() <= 64 => Some(Value::String(s)),
        _ => None,
    };
    let request = parse_request(&rc, &mut msg, max_chat_chars);
    Envelope { rc, id, request }
}

fn bad(message: impl Into<String>) -> RcError {
    RcError::BadMessage(message.into())
}

fn parse_request(
    rc: &str,
    msg: &mut Map<String, Value>,
    max_chat_chars: usize,
) -> Result<Request, RcError> {
    Ok(match rc {
        "join" => Request::Join {
            session: session_id(msg.get("session"))?,
            media: media(msg.get("media"))?,
            password: match msg.get("password") {
                None | Some(Value::Null) => None,
                Some(v) => Some(password(v)?),
            },
        },
        "leave" => Request::Leave,
        "time" => Request::Time,
        "media" => Request::Media(media(Some(&Value::Object(msg.clone())))?),
        "name" => Request::Name(display_name(msg.get("name"))?),
        "hand" => Request::Hand(boolean(msg.get("up"), "up")?),
        "react" => {
            let emoji = msg.get("emoji").and_then(Value::as_str).unwrap_or_default();
            let found = REACTIONS.iter().find(|r| **r == emoji);
            Request::React(
                found
                    .copied()
                    .ok_or_else(|| bad(format!("emoji must be one of {}", REACTIONS.join(" "))))?,
            )
        }
        "signal" => {
            let to = participant_id(msg.get("to"), "to")?;
            let data = msg.remove("data").unwrap_or(Value::Null);
            if !data.is_object() {
                return Err(bad("data must be an object"));
            }
            Request::Signal { to, data }
        }
        "chat" => {
            let text = msg.get("text").and_then(Value::as_str).unwrap_or_default();
            let chars = text.chars().count();
            if text.trim().is_empty() || chars > max_chat_chars {
                return Err(bad(format!(
                    "text must be 1-{max_chat_chars} characters and not blank"
                )));
            }
            if text.contains('\0') {
                return Err(bad("text must not contain NUL"));
            }
            Request::Chat(text.to_owned())
        }
        "mute" => Request::Mute {
            target: participant_id(msg.get("target"), "target")?,
            kind: match msg.get("kind").and_then(Value::as_str) {
                Some("mic") => MuteKind::Mic,
                Some("cam") => MuteKind::Cam,
                _ => return Err(bad("kind must be \"mic\" or \"cam\"")),
            },
        },
        "remove" => Request::Remove {
            target: participant_id(msg.get("target"), "target")?,
        },
        "lock" => Request::Lock(boolean(msg.get("locked"), "locked")?),
        "password" => Request::Password(match msg.get("password") {
            None | Some(Value::Null) => None,
            Some(v) => Some(password(v)?),
        }),
        "" => return Err(bad("rc must be a string naming the message")),
        other => return Err(bad(format!("unknown room message {other:?}"))),
    })
}

fn boolean(v: Option<&Value>, field: &str) -> Result<bool, RcError> {
    v.and_then(Value::as_bool)
        .ok_or_else(|| bad(format!("{field} must be true or false")))
}

fn media(v: Option<&Value>) -> Result<Media, RcError> {
    let Some(Value::Object(m)) = v else {
        return Err(bad("media must be {mic, cam, screen}"));
    };
    Ok(Media {
        mic: boolean(m.get("mic"), "mic")?,
        cam: boolean(m.get("cam"), "cam")?,
        screen: boolean(m.get("screen"), "screen")?,
    })
}

fn session_id(v: Option<&Value>) -> Result<String, RcError> {
    match v.and_then(Value::as_str) {
        Some(s)
            if (1..=32).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(s.to_owned())
        }
        _ => Err(bad(
            "session must be 1-32 characters of letters, digits, - and _",
        )),
    }
}

fn participant_id(v: Option<&Value>, field: &str) -> Result<String, RcError> {
    match v.and_then(Value::as_str) {
        Some(s) if (1..=128).contains(&s.len()) => Ok(s.to_owned()),
        _ => Err(bad(format!("{field} must be a participant id"))),
    }
}

/// Display names: 1–64 characters, no control characters, trimmed.
pub fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    let chars = name.chars().count();
    ((1..=64).contains(&chars) && !name.chars().any(char::is_control)).then(|| name.to_owned())
}

fn display_name(v: Option<&Value>) -> Result<String, RcError> {
    v.and_then(Value::as_str)
        .and_then(valid_name)
        .ok_or_else(|| bad("name must be 1-64 characters without control characters"))
}

fn password(v: &Value) -> Result<String, RcError> {
    match v.as_str() {
        Some(s) if (1..=64).contains(&s.chars().count()) => Ok(s.to_owned()),
        _ => Err(bad("password must be 1-64 characters")),
    }
}

/// A message as bytes, ready to queue.
pub fn encode(value: &Value) -> Bytes {
    // Serializing a `Value` cannot fail: its keys are strings.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// `{"rc":"error", …}` for a refused request.
pub fn error(rc: &str, id: Option<&Value>, e: &RcError) -> Bytes {
    let mut reply = json!({
        "rc": "error",
        "req": rc,
        "code": e.code(),
        "message": e.to_string(),
    });
    if let Some(id) = id {
        reply["id"] = id.clone();
    }
    encode(&reply)
}

/// `{"rc":"ok","id":…}`.
pub fn ok(id: &Value) -> Bytes {
    encode(&json!({ "rc": "ok", "id": id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Envelope {
        parse(classify(text).expect("a room message"), 2000)
    }

    #[test]
    fn classify_separates_namespaces() {
        assert!(classify(r#"{"a":"s","c":"x","d":"y"}"#).is_none());
        assert!(classify(r#"{"a":"op","op":[{"p":["rc"],"oi":1}]}"#).is_none());
        assert!(classify(r#"{"rc":"leave"}"#).is_some());
        assert!(classify(r#"{"rc": "leave""#).is_none());
        assert!(classify(r#"["rc"]"#).is_none());
    }

    #[test]
    fn join_is_checked() {
        let e = parse_text(
            r#"{"rc":"join","id":1,"session":"abc-1","media":{"mic":true,"cam":false,"screen":false}}"#,
        );
        assert_eq!(e.id, Some(json!(1)));
        assert_eq!(
            e.request,
            Ok(Request::Join {
                session: "abc-1".into(),
                media: Media {
                    mic: true,
                    cam: false,
                    screen: false
                },
                password: None
            })
        );
        for bad in [
            r#"{"rc":"join","session":"a b","media":{"mic":true,"cam":false,"screen":false}}"#,
            r#"{"rc":"join","session":"ab","media":{"mic":1,"cam":false,"screen":false}}"#,
            r#"{"rc":"join","session":"ab"}"#,
            r#"{"rc":"join","session":"ab","media":{"mic":true,"cam":false,"screen":false},"password":7}"#,
        ] {
            assert!(
                matches!(parse_text(bad).request, Err(RcError::BadMessage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn fields_are_checked() {
        let cases = [
            (r#"{"rc":"hand","up":true}"#, true),
            (r#"{"rc":"hand","up":"yes"}"#, false),
            (r#"{"rc":"react","emoji":"👍"}"#, true),
            (r#"{"rc":"react","emoji":"<script>"}"#, false),
            (r#"{"rc":"signal","to":"p2","data":{"candidate":{}}}"#, true),
            (r#"{"rc":"signal","to":"p2","data":"x"}"#, false),
            (r#"{"rc":"signal","data":{}}"#, false),
            (r#"{"rc":"chat","text":"hi"}"#, true),
            (r#"{"rc":"chat","text":"   "}"#, false),
            (r#"{"rc":"name","name":"  Ana  "}"#, true),
            (r#"{"rc":"name","name":"a\nb"}"#, false),
            (r#"{"rc":"mute","target":"p","kind":"mic"}"#, true),
            (r#"{"rc":"mute","target":"p","kind":"all"}"#, false),
            (r#"{"rc":"password","password":null}"#, true),
            (r#"{"rc":"password","password":""}"#, false),
            (r#"{"rc":"teleport"}"#, false),
            (r#"{"rc":5}"#, false),
        ];
        for (text, good) in cases {
            assert_eq!(parse_text(text).request.is_ok(), good, "{text}");
        }
        let long = format!(r#"{{"rc":"chat","text":"{}"}}"#, "x".repeat(2001));
        assert!(parse_text(&long).request.is_err());
        assert_eq!(
            parse_text(r#"{"rc":"name","name":"  Ana  "}"#).request,
            Ok(Request::Name("Ana".into()))
        );
    }
}
