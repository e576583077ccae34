//! Single use of solutions: each solved challenge is accepted once, across every instance.
//!
//! One trait, two implementations chosen at start-up: [`MemoryLedger`] for one process, and
//! [`RedisLedger`] (`SET NX` with an expiry) when instances share a Redis. An entry only has
//! to outlive its challenge: after that, the challenge is refused as expired anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::clock::{Clock, Millis};
use crate::error::{Error, Result};

#[async_trait]
pub trait SolutionLedger: Send + Sync + 'static {
    /// Records `id` as used until `expires_ms`. True the first time, false ever after (until
    /// it expires). `Error::Unavailable` when the store cannot say: the caller refuses.
    async fn claim(&self, id: &[u8; 32], expires_ms: Millis) -> Result<bool>;

    /// Which implementation this is, for logs.
    fn kind(&self) -> &'static str;
}

/// Used solutions in process memory, bounded: past `capacity` live entries a claim is refused
/// with `503` (each entry cost the client a solved challenge, so this is a crowd, not one
/// attacker; refusing is safer than forgetting and accepting a replay).
pub struct MemoryLedger {
    clock: Clock,
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    used: HashMap<[u8; 32], Millis>,
    /// Insertion order, to forget expired entries in O(1) per claim. Challenges share one
    /// lifetime, so this is close to expiry order.
    order: VecDeque<([u8; 32], Millis)>,
}

/// Default bound: ~100 bytes each, so at most ~50 MB.
pub const MEMORY_LEDGER_CAPACITY: usize = 500_000;

impl MemoryLedger {
    pub fn new(clock: Clock, capacity: usize) -> Self {
        MemoryLedger {
            clock,
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }
}

#[async_trait]
impl SolutionLedger for MemoryLedger {
    async fn claim(&self, id: &[u8; 32], expires_ms: Millis) -> Result<bool> {
        let now = self.clock.now_ms();
        let mut inner = self.inner.lock().expect("ledger lock");
        let Inner { used, order } = &mut *inner;
        // Forget what has expired at the front (a few per claim at most, amortised).
        while let Some((old, until)) = order.front().copied() {
            if until > now {
                break;
            }
            order.pop_front();
            if used.get(&old) == Some(&until) {
                used.remove(&old);
            }
        }
        if let Some(until) = used.get(id) {
            if *until > now {
                return Ok(false);
            }
        }
        if used.len() >= self.capacity {
            return Err(Error::Unavailable(
                "bot check: too many recent solutions; retry shortly".into(),
            ));
        }
        used.insert(*id, expires_ms);
        order.push_back((*id, expires_ms));
        Ok(true)
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// Used solutions in Redis: `SET {prefix}:botcheck:{challenge} 1 NX PX <until expiry>`, one
/// round trip, atomic across instances.
pub struct RedisLedger {
    conn: ConnectionManager,
    prefix: String,
    clock: Clock,
}

impl RedisLedger {
    pub fn new(conn: ConnectionManager, prefix: &str, clock: Clock) -> Self {
        RedisLedger {
            conn,
            prefix: prefix.to_string(),
            clock,
        }
    }
}

#[async_trait]
impl SolutionLedger for RedisLedger {
    async fn claim(&self, id: &[u8; 32], expires_ms: Millis) -> Result<bool> {
        let ttl = (expires_ms - self.clock.now_ms()).max(1);
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:botcheck:{}", self.prefix, hex::encode(id)))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(crate::coord::redis_unavailable)?;
        Ok(set.is_some())
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_ledger_accepts_once_forgets_after_expiry_and_stays_bounded() {
        let clock = Clock::manual(1_000_000);
        let ledger = MemoryLedger::new(clock.clone(), 3);
        let a = [1u8; 32];
        assert!(ledger.claim(&a, 1_010_000).await.unwrap());
        assert!(!ledger.claim(&a, 1_010_000).await.unwrap());
        assert!(ledger.claim(&[2u8; 32], 1_020_000).await.unwrap());
        assert!(ledger.claim(&[3u8; 32], 1_020_000).await.unwrap());
        // Full of live entries: refused, not forgotten.
        assert!(matches!(
            ledger.claim(&[4u8; 32], 1_020_000).await,
            Err(Error::Unavailable(_))
        ));
        assert!(!ledger.claim(&a, 1_010_000).await.unwrap());
        // After `a` expires its place is free again.
        clock.advance(std::time::Duration::from_secs(10));
        assert!(ledger.claim(&[4u8; 32], 1_020_000).await.unwrap());
        assert_eq!(ledger.inner.lock().unwrap().used.len(), 3);
    }
}
