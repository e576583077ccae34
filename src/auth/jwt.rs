//! HS256 bearer tokens.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthUser;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The original design's claim name for the user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
    #[serde(default)]
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Set on waiting-room admission tokens, which are signed with the same key and must
    /// never pass as a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Signs and verifies tokens with one shared secret.
#[derive(Clone)]
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: u64,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

/// Shortest secret we accept: HS256 wants at least as many key bytes as its output.
pub const MIN_SECRET_LEN: usize = 32;

impl Jwt {
    pub fn new(secret: &[u8], ttl_seconds: u64) -> Result<Jwt> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(
                anyhow::anyhow!("JWT_SECRET must be at least {MIN_SECRET_LEN} bytes").into(),
            );
        }
        // Only HS256: a token claiming `alg: none` or any other algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        Ok(Jwt {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        })
    }

    /// Issues a token for a user, valid for the configured lifetime.
    pub fn issue(&self, user_id: &str, role: Role, name: Option<&str>) -> Result<String> {
        let now = unix_now();
        self.sign(&Claims {
            sub: Some(user_id.to_string()),
            user_id: None,
            exp: now + self.ttl_seconds,
            iat: now,
            role,
            name: name.map(str::to_string),
            typ: None,
        })
    }

    pub fn sign(&self, claims: &Claims) -> Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("cannot sign token: {e}").into())
    }

    /// Verifies signature, algorithm and expiry, and returns who the caller is.
    pub fn verify(&self, token: &str) -> Result<AuthUser> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        Error::unauthenticated("token_expired", "Invalid token: expired")
                    }
                    _ => Error::unauthenticated("invalid_token", "Invalid token"),
                }
            })?;
        let c = data.claims;
        if c.typ.is_some() {
            return Err(Error::unauthenticated(
                "invalid_token",
                "Invalid token: not a session token",
            ));
        }
        let id = c
            .sub
            .or(c.user_id)
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .ok_or_else(|| Error::unauthenticated("invalid_token", "Invalid token: no subject"))?;
        Ok(AuthUser {
            id,
            role: c.role,
            name: c.name,
        })
    }
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_claim_aliases() {
        let jwt = Jwt::new(SECRET, 60).unwrap();
        let t = jwt.issue("u1", Role::Admin, Some("Ann")).unwrap();
        let u = jwt.verify(&t).unwrap();
        assert_eq!(u.id, "u1");
        assert!(u.is_admin());

        let legacy = jwt
            .sign(&Claims {
                sub: None,
                user_id: Some("legacy".into()),
                exp: unix_now() + 60,
                iat: 0,
                role: Role::User,
                name: None,
                typ: None,
            })
            .unwrap();
        assert_eq!(jwt.verify(&legacy).unwrap().id, "legacy");
    }

    #[test]
    fn refuses_short_secret_other_key_and_alg_none() {
        assert!(Jwt::new(b"short", 60).is_err());
        let jwt = Jwt::new(SECRET, 60).unwrap();
        let other = Jwt::new(b"another-secret-another-secret-xx", 60).unwrap();
        let t = other.issue("u1", Role::Admin, None).unwrap();
        assert_eq!(jwt.verify(&t).unwrap_err().code(), "invalid_token");

        // {"alg":"none","typ":"JWT"}.{"sub":"u1","exp":9999999999,"role":"admin"}.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1MSIsImV4cCI6OTk5OTk5OTk5OSwicm9sZSI6ImFkbWluIn0.";
        assert_eq!(jwt.verify(none).unwrap_err().code(), "invalid_token");
    }

    #[test]
    fn refuses_expired() {
        let jwt = Jwt::new(SECRET, 60).unwrap();
        let t = jwt
            .sign(&Claims {
                sub: Some("u1".into()),
                user_id: None,
                exp: unix_now() - 120,
                iat: 0,
                role: Role::User,
                name: None,
                typ: None,
            })
            .unwrap();
        assert_eq!(jwt.verify(&t).unwrap_err().code(), "token_expired");
    }
}
