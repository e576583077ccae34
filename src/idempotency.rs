//! Saved responses for `Idempotency-Key`.
//!
//! The first request with a key claims it (an insert that only one request can win), runs,
//! and stores its status and body; a repeat with the same key and the same request replays the
//! stored answer instead of acting again. Keys are scoped per user, so one user's key cannot
//! replay another user's answer.

use sqlx::Row;

use crate::clock::Clock;
use crate::db::Db;
use crate::error::{is_unique_violation, Error, Result};

#[derive(Clone, Debug)]
pub struct IdempotencyStore {
    db: Db,
    clock: Clock,
}

/// What a claim found.
pub enum Claim {
    /// This request owns the key and must run, then [`IdempotencyStore::save`].
    Fresh,
    /// A finished earlier request: replay its answer.
    Replay { status: u16, body: String },
}

/// Saved answers are kept this long (Stripe keeps 24 hours).
const KEEP_MS: i64 = 24 * 3600 * 1000;

impl IdempotencyStore {
    pub fn new(db: Db, clock: Clock) -> Self {
        IdempotencyStore { db, clock }
    }

    #[tracing::instrument(skip(self, request_hash))]
    pub async fn claim(&self, scope: &str, key: &str, request_hash: &str) -> Result<Claim> {
        if key.is_empty() || key.len() > 255 {
            return Err(Error::invalid(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1-255 characters",
            ));
        }
        let now = self.clock.now_ms();
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(&self.db.pool)
        .await;
        match inserted {
            Ok(_) => return Ok(Claim::Fresh),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let row = sqlx::query(
            "SELECT request_hash, status_code, response, created_at FROM idempotency_keys \
             WHERE scope = $1 AND idem_key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            // Deleted between our insert and read (a failed first attempt): try once more.
            return Err(Error::conflict(
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is in progress; retry",
            ));
        };
        if row.try_get::<String, _>("request_hash")? != request_hash {
            return Err(Error::invalid(
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            ));
        }
        let created: i64 = row.try_get("created_at")?;
        match row.try_get::<Option<i64>, _>("status_code")? {
            Some(status) if now - created < KEEP_MS => Ok(Claim::Replay {
                status: status as u16,
                body: row
                    .try_get::<Option<String>, _>("response")?
                    .unwrap_or_default(),
            }),
            Some(_) => {
                // Too old to replay: forget it and treat the request as new.
                self.forget(scope, key).await?;
                Box::pin(self.claim(scope, key, request_hash)).await
            }
            None => Err(Error::conflict(
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is in progress; retry",
            )),
        }
    }

    pub async fn save(&self, scope: &str, key: &str, status: u16, body: &str) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE scope = $3 AND idem_key = $4",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(scope)
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Releases a claim whose request failed in a way worth retrying (a 5xx).
    pub async fn forget(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2")
            .bind(scope)
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
