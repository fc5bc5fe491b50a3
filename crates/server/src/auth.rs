//! Room tokens: HS256 JWTs naming a room, a participant and a role.
//!
//! Claims (for applications that mint their own tokens with `--secret` and
//! `--require-auth`): `room` (string), `sub` (participant id, string),
//! `name` (display name), `role` (`"moderator"` or `"participant"`), `exp`
//! and `iat` (Unix seconds).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The room the token opens.
    pub room: String,
    /// The participant id.
    pub sub: String,
    /// The display name.
    pub name: String,
    /// `moderator` or `participant`.
    pub role: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issue time, Unix seconds.
    pub iat: u64,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid token: {0}")]
pub struct TokenError(String);

/// Signs and checks tokens with one shared secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Tokens {
    /// Tokens signed with `secret`.
    pub fn new(secret: &[u8]) -> Tokens {
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A signed token carrying `claims`.
    pub fn mint(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| TokenError(e.to_string()))?;
        let c = data.claims;
        if !crate::rooms::valid_room(&c.room) || c.sub.is_empty() || c.sub.len() > 128 {
            return Err(TokenError("room or participant invalid".into()));
        }
        Ok(c)
    }
}

/// The configured secret, or the one kept in `<data>/secret` (created on
/// first start, readable only by the owner).
pub fn load_or_create_secret(configured: Option<&str>, data: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = configured {
        anyhow::ensure!(s.len() >= 16, "--secret must be at least 16 characters");
        return Ok(s.as_bytes().to_vec());
    }
    let path = data.join("secret");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!("{} is too short to be a secret", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let secret = crate::random_hex(32);
    std::fs::create_dir_all(data)?;
    std::fs::write(&path, &secret)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            room: "r1".into(),
            sub: "p1".into(),
            name: "Ana".into(),
            role: "participant".into(),
            exp,
            iat: 0,
        }
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let t = Tokens::new(b"0123456789abcdef0123456789abcdef");
        let good = t.mint(&claims(now_secs() + 60)).unwrap();
        assert_eq!(t.verify(&good).unwrap().room, "r1");
        let old = t.mint(&claims(now_secs() - 600)).unwrap();
        assert!(t.verify(&old).is_err());
        let other = Tokens::new(b"another secret, also long enough");
        assert!(other.verify(&good).is_err());
    }
}
