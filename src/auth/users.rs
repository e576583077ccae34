//! Accounts: register, log in, guests, and the bootstrap administrator.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Jwt, Passwords, Role};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::UserId;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    /// Absent for guests.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email: Option<String>,
    pub name: String,
    pub role: Role,
    pub is_guest: bool,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// 1 to 100 characters (surrounding blanks are dropped).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// The account service.
#[derive(Clone, Debug)]
pub struct Users {
    db: Db,
    jwt: Jwt,
    clock: Clock,
    passwords: Passwords,
}

fn parse_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .map(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
            .unwrap_or(false)
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(Error::invalid(
            ErrorCode::InvalidEmail,
            "a valid email address is required",
        ));
    }
    Ok(e)
}

fn parse_password(p: &str) -> Result<()> {
    let n = p.chars().count();
    if !(8..=128).contains(&n) {
        return Err(Error::invalid(
            ErrorCode::InvalidPassword,
            "password must be 8-128 characters",
        ));
    }
    Ok(())
}

fn parse_name(n: &str) -> Result<String> {
    let n = n.trim();
    // Control characters have no place in a name, and PostgreSQL's text refuses NUL.
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(Error::invalid(
            ErrorCode::InvalidName,
            "name must be 1-100 characters, without control characters",
        ));
    }
    Ok(n.to_string())
}

fn invalid_credentials() -> Error {
    Error::unauthenticated(ErrorCode::InvalidCredentials, "email or password is wrong")
}

impl Users {
    /// With one hash at a time per core and a 2 s wait for a turn (see [`Passwords`]).
    pub fn new(db: Db, jwt: Jwt, clock: Clock) -> Self {
        Users {
            db,
            jwt,
            clock,
            passwords: Passwords::new(0, std::time::Duration::from_secs(2)),
        }
    }

    /// Replaces the password hasher (its bound and its refusal counter).
    pub fn with_passwords(mut self, passwords: Passwords) -> Self {
        self.passwords = passwords;
        self
    }

    pub fn jwt(&self) -> &Jwt {
        &self.jwt
    }

    /// Creates an account and returns it with a token; `409 email_taken` if the email is used.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, new: NewUser) -> Result<(String, User)> {
        let email = parse_email(&new.email)?;
        parse_password(&new.password)?;
        let name = parse_name(&new.name)?;
        let hash = self.passwords.hash(new.password).await?;
        let user = User {
            id: UserId::generate(),
            email: Some(email),
            name,
            role: Role::User,
            is_guest: false,
        };
        self.insert(&user, Some(&hash)).await.map_err(|e| match e {
            Error::Duplicate => Error::conflict(
                ErrorCode::EmailTaken,
                "an account with this email already exists",
            ),
            other => other,
        })?;
        let token = self.token_for(&user)?;
        Ok((token, user))
    }

    /// Checks credentials; the same `401 invalid_credentials` for a wrong email or password.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, creds: Credentials) -> Result<(String, User)> {
        let email = parse_email(&creds.email).map_err(|_| invalid_credentials())?;
        let row = sqlx::query(
            "SELECT id, email, name, role, is_guest, password_hash FROM users WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(&self.db.pool)
        .await?;
        let stored = match &row {
            Some(row) => row.try_get::<Option<String>, _>("password_hash")?,
            None => None,
        };
        let matches = match stored {
            Some(stored) => self.passwords.verify(creds.password, stored).await?,
            // Spend what a wrong password costs, so response timing does not reveal which
            // emails have accounts.
            None => self.passwords.verify_nothing(creds.password).await?,
        };
        let Some(row) = row.filter(|_| matches) else {
            return Err(invalid_credentials());
        };
        let user = User {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?),
            is_guest: false,
        };
        let token = self.token_for(&user)?;
        Ok((token, user))
    }

    /// A throwaway identity for trying the box office without an account.
    #[tracing::instrument(skip_all)]
    pub async fn guest(&self) -> Result<(String, User)> {
        let id = UserId::generate();
        let user = User {
            name: format!("Guest {}", &id.as_str()[id.as_str().len() - 4..]),
            id,
            email: None,
            role: Role::User,
            is_guest: true,
        };
        self.insert(&user, None).await?;
        let token = self.token_for(&user)?;
        Ok((token, user))
    }

    /// Creates the configured administrator, or resets its password and role.
    pub async fn ensure_admin(&self, email: &str, password: &str) -> Result<()> {
        let email = parse_email(email)?;
        parse_password(password)?;
        let hash = self.passwords.hash(password.to_string()).await?;
        let updated =
            sqlx::query("UPDATE users SET password_hash = $1, role = 'admin' WHERE email = $2")
                .bind(&hash)
                .bind(&email)
                .execute(&self.db.pool)
                .await?;
        if updated.rows_affected() == 0 {
            let user = User {
                id: UserId::generate(),
                email: Some(email),
                name: "Administrator".into(),
                role: Role::Admin,
                is_guest: false,
            };
            self.insert(&user, Some(&hash)).await?;
        }
        Ok(())
    }

    fn token_for(&self, user: &User) -> Result<String> {
        self.jwt.issue(&user.id, user.role, Some(&user.name))
    }

    async fn insert(&self, user: &User, hash: Option<&str>) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, role, is_guest, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(user.email.clone())
        .bind(&user.name)
        .bind(hash.map(str::to_string))
        .bind(if user.role == Role::Admin {
            "admin"
        } else {
            "user"
        })
        .bind(i64::from(user.is_guest))
        .bind(self.clock.now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_parsing() {
        assert_eq!(parse_email(" Ann@Example.com ").unwrap(), "ann@example.com");
        assert!(parse_email("nope").is_err());
        assert!(parse_email("a@b").is_err());
        assert!(parse_email("a b@c.d").is_err());
        assert!(parse_email(&format!("{}@x.io", "a".repeat(260))).is_err());
        // PostgreSQL refuses NUL in text: found by scripts/fuzz.sh as a 500.
        assert!(parse_email("a\0@b.io").is_err());
    }

    #[test]
    fn names_without_control_characters() {
        assert_eq!(parse_name("  Ann ").unwrap(), "Ann");
        assert!(parse_name(" ").is_err());
        assert!(parse_name("An\0n").is_err());
        assert!(parse_name("An\nn").is_err());
        assert_eq!(parse_name("Zoë").unwrap(), "Zoë");
    }
}
