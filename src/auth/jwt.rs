//! The one token codec: HS256 under the deployment's `JWT_SECRET`, for both kinds of token
//! the server hands out.
//!
//! - **Sessions** (bearer tokens, `Authorization: Bearer`): the contract's JWT with `exp` and
//!   the user id in `sub` (or the original design's `userId`), and no `typ`. Any issuer that
//!   shares `JWT_SECRET` may mint them.
//! - **Admissions** (`X-Admission-Token`): `typ: "admission"`, the event in `evt`, the user in
//!   `sub`, and the end of the turn in `exp`, checked against the domain's clock.
//!
//! The kinds cannot pass for each other: a session verifies only without a `typ`, and an
//! admission only with `typ: "admission"` and an `evt` (which no session carries).
//!
//! **Rotation.** Tokens are always signed with `JWT_SECRET`; the keys in `JWT_ACCEPT_SECRETS`
//! are tried after it when verifying, and only then, so a secret can be changed one
//! instance at a time without signing anyone out (docs/operations.md, "Rotate secrets").

#[cfg(test)]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(test)]
use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{
    decode, encode, Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::AuthUser;
use crate::clock::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, UserId};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// A session token's claims.
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
    /// The kind of a token that is not a session (`"admission"`). A session has none: a
    /// token that names a kind never passes as a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// An admission token's claims.
#[derive(Serialize, Deserialize)]
struct AdmissionClaims {
    sub: String,
    evt: String,
    exp: u64,
    typ: String,
}

const ADMISSION_TYP: &str = "admission";

/// Signs sessions and admissions with one shared secret, and verifies them under it or under
/// a key accepted for verification only (a previous or next `JWT_SECRET`).
#[derive(Clone)]
pub struct Jwt {
    encoding: EncodingKey,
    /// The signing key's, then each accepted key's, in that order.
    decoding: Vec<DecodingKey>,
    /// Sessions: expiry against the system clock, 5 s of leeway.
    session: Validation,
    /// Admissions: expiry is checked against the domain's clock instead, like every other
    /// deadline of the line.
    admission: Validation,
    ttl_seconds: u64,
    /// Session verifications done by this codec (and its clones): tests count them.
    #[cfg(test)]
    verifications: Arc<AtomicUsize>,
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
    /// A codec for `secret`, issuing sessions that last `ttl_seconds`.
    pub fn new(secret: &[u8], ttl_seconds: u64) -> Result<Jwt> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(
                anyhow::anyhow!("JWT_SECRET must be at least {MIN_SECRET_LEN} bytes").into(),
            );
        }
        // Only HS256: a token claiming `alg: none` or any other algorithm is refused.
        let mut session = Validation::new(Algorithm::HS256);
        session.leeway = 5;
        session.set_required_spec_claims(&["exp"]);
        let mut admission = Validation::new(Algorithm::HS256);
        admission.validate_exp = false;
        admission.set_required_spec_claims(&["exp"]);
        Ok(Jwt {
            encoding: EncodingKey::from_secret(secret),
            decoding: vec![DecodingKey::from_secret(secret)],
            session,
            admission,
            ttl_seconds,
            #[cfg(test)]
            verifications: Arc::default(),
        })
    }

    /// The same codec, also accepting tokens signed with any of `secrets` (`JWT_ACCEPT_SECRETS`)
    /// when verifying. It never signs with them. Each must be as long as a signing key.
    pub fn accepting<S: AsRef<[u8]>>(mut self, secrets: &[S]) -> Result<Jwt> {
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.len() < MIN_SECRET_LEN {
                return Err(anyhow::anyhow!(
                    "each JWT_ACCEPT_SECRETS key must be at least {MIN_SECRET_LEN} bytes"
                )
                .into());
            }
            self.decoding.push(DecodingKey::from_secret(secret));
        }
        Ok(self)
    }

    /// Decodes under the signing key, else under the first accepted key whose signature
    /// matches. Only a signature mismatch moves on to the next key: any other outcome (valid,
    /// expired, malformed) is the answer, since the signature is checked before the claims.
    fn decode_any<T: DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> jsonwebtoken::errors::Result<TokenData<T>> {
        let mut refused = None;
        for key in &self.decoding {
            match decode::<T>(token, key, validation) {
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => refused = Some(e),
                other => return other,
            }
        }
        Err(refused.unwrap_or_else(|| ErrorKind::InvalidSignature.into()))
    }

    /// Issues a session for a user, valid for the configured lifetime.
    pub fn issue(&self, user_id: &UserId, role: Role, name: Option<&str>) -> Result<String> {
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

    /// Signs session claims as they are (another issuer sharing the secret, tests).
    pub fn sign(&self, claims: &Claims) -> Result<String> {
        self.encode(claims)
    }

    fn encode(&self, claims: &impl Serialize) -> Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("cannot sign token: {e}").into())
    }

    /// Verifies a session's signature, algorithm and expiry, and returns who the caller is.
    pub fn verify(&self, token: &str) -> Result<AuthUser> {
        #[cfg(test)]
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let refused =
            |message: &'static str| Error::unauthenticated(ErrorCode::InvalidToken, message);
        let data = self
            .decode_any::<Claims>(token, &self.session)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => {
                    Error::unauthenticated(ErrorCode::TokenExpired, "Invalid token: expired")
                }
                _ => refused("Invalid token"),
            })?;
        let c = data.claims;
        if c.typ.is_some() {
            return Err(refused("Invalid token: not a session token"));
        }
        let id = c
            .sub
            .or(c.user_id)
            .and_then(|s| UserId::parse(s).ok())
            .ok_or_else(|| refused("Invalid token: no subject"))?;
        Ok(AuthUser {
            id,
            role: c.role,
            name: c.name,
        })
    }

    /// How many sessions this codec (and its clones) has verified.
    #[cfg(test)]
    pub(crate) fn session_verifications(&self) -> usize {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Signs an admission: `user_id` may shop `event_id` until `expires_at`.
    pub fn issue_admission(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        expires_at: Millis,
    ) -> Result<String> {
        self.encode(&AdmissionClaims {
            sub: user_id.to_string(),
            evt: event_id.to_string(),
            exp: (expires_at / 1000) as u64,
            typ: ADMISSION_TYP.to_string(),
        })
    }

    /// Checks an admission for `event_id` and `user_id` at `now` (the domain's clock), and
    /// returns when the turn it names ends; `403 not_admitted` for anything else.
    pub fn verify_admission(
        &self,
        token: &str,
        event_id: &EventId,
        user_id: &UserId,
        now: Millis,
    ) -> Result<Millis> {
        let refused = |why: &str| {
            Error::forbidden(
                ErrorCode::NotAdmitted,
                format!("no valid admission for this event: {why}"),
            )
        };
        let claims = self
            .decode_any::<AdmissionClaims>(token, &self.admission)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => refused("it has expired"),
                _ => refused("the admission token is not valid"),
            })?
            .claims;
        if (claims.exp as i64) * 1000 <= now {
            return Err(refused("it has expired"));
        }
        if claims.typ != ADMISSION_TYP {
            return Err(refused("not an admission token"));
        }
        if *event_id != claims.evt {
            return Err(refused("it is for another event"));
        }
        if *user_id != claims.sub {
            return Err(refused("it was issued to someone else"));
        }
        Ok(claims.exp as i64 * 1000)
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

    fn uid(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn ev(id: &str) -> EventId {
        EventId::parse(id).unwrap()
    }

    #[test]
    fn round_trip_and_claim_aliases() {
        let jwt = Jwt::new(SECRET, 60).unwrap();
        let t = jwt.issue(&uid("u1"), Role::Admin, Some("Ann")).unwrap();
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
        let t = other.issue(&uid("u1"), Role::Admin, None).unwrap();
        assert_eq!(jwt.verify(&t).unwrap_err().code(), ErrorCode::InvalidToken);

        // {"alg":"none","typ":"JWT"}.{"sub":"u1","exp":9999999999,"role":"admin"}.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1MSIsImV4cCI6OTk5OTk5OTk5OSwicm9sZSI6ImFkbWluIn0.";
        assert_eq!(
            jwt.verify(none).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }

    /// A session for `u1` that expired two minutes ago, signed by `jwt`.
    fn expired_session(jwt: &Jwt) -> String {
        jwt.sign(&Claims {
            sub: Some("u1".into()),
            user_id: None,
            exp: unix_now() - 120,
            iat: 0,
            role: Role::User,
            name: None,
            typ: None,
        })
        .unwrap()
    }

    #[test]
    fn refuses_expired() {
        let jwt = Jwt::new(SECRET, 60).unwrap();
        let t = expired_session(&jwt);
        assert_eq!(jwt.verify(&t).unwrap_err().code(), ErrorCode::TokenExpired);
    }

    const NOW: Millis = 1_800_000_000_000;

    #[test]
    fn admissions_name_their_event_user_and_end() {
        let jwt = Jwt::new(SECRET, 60).unwrap();
        let t = jwt
            .issue_admission(&ev("ev"), &uid("u1"), NOW + 60_000)
            .unwrap();
        assert_eq!(
            jwt.verify_admission(&t, &ev("ev"), &uid("u1"), NOW)
                .unwrap(),
            NOW + 60_000
        );
        for (event, user, now) in [
            ("other", "u1", NOW),
            ("ev", "u2", NOW),
            ("ev", "u1", NOW + 60_000),
        ] {
            let e = jwt
                .verify_admission(&t, &ev(event), &uid(user), now)
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::NotAdmitted, "{event} {user} {now}");
        }
        let other = Jwt::new(b"another-secret-another-secret-xx", 60).unwrap();
        let forged = other
            .issue_admission(&ev("ev"), &uid("u1"), NOW + 60_000)
            .unwrap();
        assert!(jwt
            .verify_admission(&forged, &ev("ev"), &uid("u1"), NOW)
            .is_err());
    }

    #[test]
    fn a_session_is_never_an_admission_nor_the_reverse() {
        let jwt = Jwt::new(SECRET, 3600).unwrap();
        let session = jwt.issue(&uid("u1"), Role::User, None).unwrap();
        let e = jwt
            .verify_admission(&session, &ev("ev"), &uid("u1"), NOW)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotAdmitted);

        let admission = jwt
            .issue_admission(&ev("ev"), &uid("u1"), (unix_now() as Millis + 600) * 1000)
            .unwrap();
        let e = jwt.verify(&admission).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidToken);

        // Session claims that name a kind are not a session, whatever the kind.
        for typ in ["admission", "session", ""] {
            let t = jwt
                .sign(&Claims {
                    sub: Some("u1".into()),
                    user_id: None,
                    exp: unix_now() + 60,
                    iat: 0,
                    role: Role::Admin,
                    name: None,
                    typ: Some(typ.into()),
                })
                .unwrap();
            assert_eq!(jwt.verify(&t).unwrap_err().code(), ErrorCode::InvalidToken);
            assert!(
                jwt.verify_admission(&t, &ev("ev"), &uid("u1"), NOW)
                    .is_err(),
                "{typ}"
            );
        }
    }

    const OLD: &[u8] = b"old-secret-old-secret-old-secret";
    const OTHER: &[u8] = b"another-secret-another-secret-xx";

    #[test]
    fn accepted_keys_verify_old_tokens_but_never_sign() {
        let old = Jwt::new(OLD, 60).unwrap();
        let session = old.issue(&uid("u1"), Role::Admin, Some("Ann")).unwrap();
        let admission = old
            .issue_admission(&ev("ev"), &uid("u1"), NOW + 60_000)
            .unwrap();

        // Not listed: refused, both kinds.
        let alone = Jwt::new(SECRET, 60).unwrap();
        assert_eq!(
            alone.verify(&session).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
        let e = alone
            .verify_admission(&admission, &ev("ev"), &uid("u1"), NOW)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotAdmitted);

        // Listed: accepted, with the claims it carries; the other checks still apply.
        let rotated = Jwt::new(SECRET, 60)
            .unwrap()
            .accepting(&[OTHER, OLD])
            .unwrap();
        let u = rotated.verify(&session).unwrap();
        assert_eq!((u.id.as_str(), u.is_admin()), ("u1", true));
        assert_eq!(
            rotated
                .verify_admission(&admission, &ev("ev"), &uid("u1"), NOW)
                .unwrap(),
            NOW + 60_000
        );
        assert!(rotated
            .verify_admission(&admission, &ev("ev"), &uid("u2"), NOW)
            .is_err());
        let expired = expired_session(&old);
        assert_eq!(
            rotated.verify(&expired).unwrap_err().code(),
            ErrorCode::TokenExpired
        );

        // A key listed nowhere is still refused.
        let stranger = Jwt::new(b"a-third-secret-a-third-secret-xx", 60).unwrap();
        let t = stranger.issue(&uid("u1"), Role::Admin, None).unwrap();
        assert_eq!(
            rotated.verify(&t).unwrap_err().code(),
            ErrorCode::InvalidToken
        );

        // New tokens are signed with JWT_SECRET only: a codec without the accepted keys
        // verifies them, one holding only the old key does not.
        let fresh = rotated.issue(&uid("u2"), Role::User, None).unwrap();
        let fresh_admission = rotated
            .issue_admission(&ev("ev"), &uid("u2"), NOW + 60_000)
            .unwrap();
        assert_eq!(alone.verify(&fresh).unwrap().id, "u2");
        assert!(alone
            .verify_admission(&fresh_admission, &ev("ev"), &uid("u2"), NOW)
            .is_ok());
        assert!(old.verify(&fresh).is_err());
        assert!(old
            .verify_admission(&fresh_admission, &ev("ev"), &uid("u2"), NOW)
            .is_err());
    }

    #[test]
    fn accepted_keys_are_as_long_as_a_signing_key() {
        let jwt = Jwt::new(SECRET, 60).unwrap();
        assert!(jwt.clone().accepting(&[b"short".as_slice()]).is_err());
        assert!(jwt.accepting::<&[u8]>(&[]).is_ok());
    }
}
