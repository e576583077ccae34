//! argon2id password hashing, bounded.
//!
//! Parameters: argon2id, m = 19 MiB (19,456 KiB), t = 2 iterations, p = 1 lane, the first
//! configuration OWASP's Password Storage Cheat Sheet recommends (checked 2026-11-26; its
//! alternatives trade memory for iterations at equal cost: m=46 MiB t=1, m=12 MiB t=3, …).
//! They are written out below rather than taken from `Argon2::default()`, so a change of the
//! crate's defaults cannot silently change what we store. Stored hashes are PHC strings that
//! carry their own parameters, so old hashes keep verifying if these are ever raised.
//!
//! Each hash or verification allocates its 19 MiB block and keeps one core busy for tens of
//! milliseconds. Unbounded on tokio's blocking pool (up to 512 threads), 40 concurrent wrong
//! logins took the process from 50 MB to 784 MB. So every hash runs behind a semaphore with
//! one permit per core (`std::thread::available_parallelism`): more at once would only queue
//! on the CPU anyway. A caller waits up to [`Passwords::new`]'s `wait` for a permit, then gets
//! `503 auth_busy` with `Retry-After`, which costs nothing.
//!
//! Timing: a login for an email with no account verifies the password against a fixed dummy
//! hash with the same parameters ([`Passwords::verify_nothing`]), so it costs what a wrong
//! password costs and response time does not tell which emails have accounts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, ErrorCode, Result};

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// Iterations.
pub const T_COST: u32 = 2;
/// Lanes.
pub const P_COST: u32 = 1;

/// Seconds a refused caller is told to wait (`Retry-After`).
const RETRY_AFTER_SECS: u64 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, to verify against when the account does not exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(b"no account has this password", &salt)
        .expect("hash the dummy password")
        .to_string()
});

/// The bounded hasher: one per process is enough (it is cheap to clone).
#[derive(Clone, Debug)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    wait: Duration,
    refused: Arc<AtomicU64>,
}

impl Passwords {
    /// `concurrency` hashes at once (0: one per core); a caller waits at most `wait`.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let n = if concurrency == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            concurrency
        };
        Passwords {
            permits: Arc::new(Semaphore::new(n)),
            wait,
            refused: Arc::default(),
        }
    }

    /// Counts refusals into `counter` (the metrics' `authBusy`).
    pub fn with_refusal_counter(mut self, counter: Arc<AtomicU64>) -> Self {
        self.refused = counter;
        self
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit =
            match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                _ => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    return Err(Error::Busy {
                        code: ErrorCode::AuthBusy,
                        retry_after_secs: RETRY_AFTER_SECS,
                    });
                }
            };
        tokio::task::spawn_blocking(move || {
            // Held until the hash is done, even if the caller has gone away.
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("password task failed: {e}")))?
    }

    /// A PHC-format argon2id hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.bounded(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(anyhow::anyhow!("hashing failed: {e}")))
        })
        .await
    }

    /// True when `password` matches the stored hash (verified with the stored parameters).
    pub async fn verify(&self, password: String, stored: String) -> Result<bool> {
        self.bounded(move || {
            let parsed = PasswordHash::new(&stored)
                .map_err(|e| Error::Internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
            Ok(argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    /// Spends what [`Passwords::verify`] spends on a wrong password, for a login whose
    /// account does not exist. Always false.
    pub async fn verify_nothing(&self, password: String) -> Result<bool> {
        self.verify(password, DUMMY_HASH.clone()).await?;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_the_documented_parameters() {
        let p = Passwords::new(0, Duration::from_secs(5));
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse".into(), h.clone()).await.unwrap());
        assert!(!p.verify("wrong horse".into(), h).await.unwrap());
        assert!(!p.verify_nothing("anything".into()).await.unwrap());
    }

    #[tokio::test]
    async fn refuses_when_every_permit_is_taken() {
        let p = Passwords::new(1, Duration::from_millis(10));
        let held = p.permits.clone().acquire_owned().await.unwrap();
        let err = p.hash("correct horse".into()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthBusy);
        assert_eq!(p.refused.load(Ordering::Relaxed), 1);
        drop(held);
        assert!(p.hash("correct horse".into()).await.is_ok());
    }
}
