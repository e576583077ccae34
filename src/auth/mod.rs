//! Identity: users, passwords and bearer tokens.
//!
//! Tokens are HS256 JWTs with the user id in `sub` (the original design's `userId` claim is
//! accepted too), so any issuer that shares `JWT_SECRET` can mint them. The same codec
//! ([`Jwt`]) issues and checks the waiting room's admission tokens, which can never pass
//! for a session, nor a session for one. Passwords are hashed
//! with argon2id on the blocking pool, one hash per core at a time (`password.rs` has the
//! parameters and why): hashing is deliberately slow and must neither stall the async
//! workers nor let a crowd of logins take all the memory.

mod jwt;
mod password;
mod users;

pub use jwt::{unix_now, Claims, Jwt, Role, MIN_SECRET_LEN};
pub use password::Passwords;
pub use users::{Credentials, NewUser, User, Users};

use crate::ids::UserId;

/// The caller, as proven by a verified token.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub name: Option<String>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
