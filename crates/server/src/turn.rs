//! ICE servers for browsers, with TURN credentials minted by the TURN REST
//! scheme that coturn checks with `use-auth-secret`: the username is
//! `<expiry unix seconds>:<participant>` and the password is
//! base64(HMAC-SHA1(secret, username)). coturn accepts them until the
//! expiry without talking to this server.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

use crate::ServeConfig;

/// A TURN REST credential pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCredential {
    /// `expiry:participant`.
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)).
    pub credential: String,
}

/// Mints a credential for `participant` valid until `expiry` (Unix seconds).
pub fn credential(secret: &[u8], participant: &str, expiry: u64) -> TurnCredential {
    let username = format!("{expiry}:{participant}");
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    TurnCredential {
        username,
        credential,
    }
}

/// The `iceServers` for `participant` at `now` (Unix seconds): the STUN
/// URLs, and the TURN URLs with fresh credentials when a secret is set.
pub fn ice_servers(config: &ServeConfig, participant: &str, now: u64) -> Value {
    let mut servers = Vec::new();
    if !config.stun_urls.is_empty() {
        servers.push(json!({ "urls": config.stun_urls }));
    }
    if let (false, Some(secret)) = (config.turn_urls.is_empty(), &config.turn_secret) {
        let c = credential(secret.as_bytes(), participant, now + config.turn_ttl_secs);
        servers.push(json!({
            "urls": config.turn_urls,
            "username": c.username,
            "credential": c.credential,
        }));
    }
    Value::Array(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_turn_rest_reference() {
        let c = credential(b"north", "alice", 1_433_895_918);
        assert_eq!(c.username, "1433895918:alice");
        // Computed independently with:
        // printf %s 1433895918:alice | openssl dgst -sha1 -hmac north -binary | base64
        assert_eq!(c.credential, "RqMvcGPYTJMGThVLSi4amT4zFtI=");
    }
}
