//! Saved responses for `Idempotency-Key`.
//!
//! The first request with a key claims it (an insert that only one request can win), runs,
//! and stores its status and body; a repeat with the same key and the same request replays the
//! stored answer instead of acting again.
//!
//! - Keys belong to a signed-in user (the scope is the user id), so one caller's key can never
//!   replay another caller's answer. Anonymous requests have no scope that is theirs alone
//!   (two strangers would share one), so the HTTP layer ignores their key.
//! - An answer that carries a credential (a `token` or `admissionToken` field anywhere in its
//!   JSON) is never stored: the claim is released instead, and a repeat runs again. A table
//!   of saved answers must not become a table of bearer tokens in clear.
//! - A claim whose request never answered (the process died mid-way) blocks its key for
//!   [`CLAIM_TIMEOUT_MS`] only; after that the next request with the key takes it over.
//! - Answers are kept [`KEEP_MS`]; [`IdempotencyStore::sweep`] deletes older rows in bounded
//!   batches. Deleting rows older than a cutoff is idempotent, so every instance may sweep
//!   without coordinating.

use std::time::Duration;

use crate::tasks::Supervisor;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::clock::Clock;
use crate::db::{self, Db};
use crate::error::{Error, ErrorCode, Result};

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
pub const KEEP_MS: i64 = 24 * 3600 * 1000;

/// A claim with no answer after this long belongs to a request that will never answer.
/// Far above any request's running time (the HTTP layer finishes a request even when its
/// client hangs up), so a slow request is never run twice.
pub const CLAIM_TIMEOUT_MS: i64 = 30_000;

/// Rows deleted per statement by the sweep, so one sweep never holds a long lock.
const SWEEP_BATCH: i64 = 1000;

/// Field names whose values are credentials; answers holding one are not stored.
const CREDENTIAL_FIELDS: &[&str] = &["token", "admissionToken", "accessToken", "refreshToken"];

/// The fingerprint of a request: the same key with a different fingerprint is refused.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method);
    hasher.update(b" ");
    hasher.update(path);
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// True when a JSON answer carries a credential anywhere in it.
pub fn holds_credential(body: &[u8]) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, v)| CREDENTIAL_FIELDS.contains(&k.as_str()) || walk(v)),
            Value::Array(a) => a.iter().any(walk),
            _ => false,
        }
    }
    serde_json::from_slice::<Value>(body).is_ok_and(|v| walk(&v))
}

fn in_use() -> Error {
    Error::conflict(
        ErrorCode::IdempotencyKeyInUse,
        "a request with this Idempotency-Key is in progress; retry",
    )
}

impl IdempotencyStore {
    pub fn new(db: Db, clock: Clock) -> Self {
        IdempotencyStore { db, clock }
    }

    #[tracing::instrument(skip(self, request_hash))]
    pub async fn claim(&self, scope: &str, key: &str, request_hash: &str) -> Result<Claim> {
        if key.is_empty() || key.len() > 255 {
            return Err(Error::invalid(
                ErrorCode::InvalidIdempotencyKey,
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
            Err(e) if db::classify(&e) == db::Failure::Duplicate => {}
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
        // Deleted between our insert and read (a released claim): the client retries.
        let Some(row) = row else { return Err(in_use()) };
        let created: i64 = row.try_get("created_at")?;
        let status = row.try_get::<Option<i64>, _>("status_code")?;
        if status.is_some() && now - created >= KEEP_MS {
            // Too old to replay: forget it and treat the request as new.
            self.forget(scope, key).await?;
            return Box::pin(self.claim(scope, key, request_hash)).await;
        }
        if row.try_get::<String, _>("request_hash")? != request_hash {
            return Err(Error::invalid(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            ));
        }
        match status {
            Some(status) => Ok(Claim::Replay {
                status: status as u16,
                body: row
                    .try_get::<Option<String>, _>("response")?
                    .unwrap_or_default(),
            }),
            None if now - created >= CLAIM_TIMEOUT_MS => {
                // Abandoned: take it over. Only one taker can move `created_at` on.
                let taken = sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $1 \
                     WHERE scope = $2 AND idem_key = $3 AND status_code IS NULL AND created_at = $4",
                )
                .bind(now)
                .bind(scope)
                .bind(key)
                .bind(created)
                .execute(&self.db.pool)
                .await?;
                if taken.rows_affected() == 1 {
                    tracing::info!("took over an abandoned Idempotency-Key claim");
                    Ok(Claim::Fresh)
                } else {
                    Err(in_use())
                }
            }
            None => Err(in_use()),
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

    /// Releases a claim whose answer is not kept (a 5xx worth retrying, or an answer that
    /// holds a credential).
    pub async fn forget(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2")
            .bind(scope)
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Deletes every row older than [`KEEP_MS`], a bounded batch per statement; returns how
    /// many went. Safe to run on every instance at once.
    pub async fn sweep(&self) -> Result<u64> {
        let cutoff = self.clock.now_ms() - KEEP_MS;
        let mut total = 0;
        loop {
            let deleted = sqlx::query(
                "DELETE FROM idempotency_keys WHERE (scope, idem_key) IN \
                 (SELECT scope, idem_key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
            )
            .bind(cutoff)
            .bind(SWEEP_BATCH)
            .execute(&self.db.pool)
            .await?
            .rows_affected();
            total += deleted;
            if deleted < SWEEP_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Registers the sweep of answers past their day, every `interval`.
    pub fn supervise_sweeper(self, interval: Duration, tasks: &mut Supervisor) {
        tasks.every("idempotency sweep", interval, move || {
            let store = self.clone();
            async move {
                match store.sweep().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "idempotency sweep"),
                    Err(e) => tracing::warn!(error = %e, "idempotency sweep failed; will retry"),
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_credentials_anywhere() {
        assert!(holds_credential(br#"{"token":"x","user":{}}"#));
        assert!(holds_credential(br#"{"a":[{"admissionToken":"x"}]}"#));
        assert!(!holds_credential(br#"{"reservation":{"id":"r1"}}"#));
        assert!(!holds_credential(b"not json"));
    }
}
