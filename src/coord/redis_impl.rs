//! Coordination in Redis, shared by every instance (`REDIS_URL`).
//!
//! Connection slots: one sorted set per user, `{prefix}:sockets:{user}`, of socket ids scored
//! by the end of their lease in Redis's own clock (`TIME`), so instances with skewed clocks
//! agree. Claiming is one Lua script (drop lapsed members, count, add if below the limit):
//! atomic, so two handshakes on two instances cannot both take the last slot.
//!
//! Live figures: a hash `{prefix}:figures:all` of instance -> its last snapshot (JSON) and a
//! sorted set `{prefix}:figures:live` of instance -> when that snapshot lapses (Redis's
//! clock again). Publishing and reading each drop the lapsed ones first, in one script.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{Coord, Session, FIGURES_MAX, SESSION_TTL_SECS};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::stats::InstanceFigures;

#[derive(Clone)]
pub struct RedisCoord {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCoord")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl RedisCoord {
    /// Connects; the connection manager reconnects by itself after Redis restarts.
    pub async fn connect(client: &redis::Client, prefix: &str) -> Result<Self> {
        let conn = ConnectionManager::new(client.clone())
            .await
            .map_err(unavailable)?;
        Ok(RedisCoord {
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}:{kind}:{id}", self.prefix)
    }

    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

/// KEYS[1] the user's slots; ARGV socket id, max, lease in ms. 1 if the slot is held now.
static CLAIM_SOCKET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1])
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
",
    )
});

/// KEYS the users' slot sets (one per socket, repeats allowed); ARGV[1] lease in ms, then the
/// socket id for each key, in order.
static RENEW_SOCKETS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', key, lease)
end
return #KEYS
",
    )
});

/// KEYS[1] the snapshots hash, KEYS[2] their lapse times; ARGV instance, snapshot, ttl in
/// ms. Both keys outlive the last publisher by a while, then go.
static PUBLISH_FIGURES: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 10)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) * 10)
return 1
",
    )
});

/// KEYS as [`PUBLISH_FIGURES`]; ARGV[1] the most to return. The live snapshots.
static LIVE_FIGURES: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'LIMIT', 0, tonumber(ARGV[1]))
if #live == 0 then
  return {}
end
return redis.call('HMGET', KEYS[1], unpack(live))
",
    )
});

/// Sockets renewed per script call, so one call never holds Redis for long.
const RENEW_CHUNK: usize = 500;

pub fn unavailable(e: redis::RedisError) -> Error {
    crate::metrics::redis_error();
    Error::Unavailable(format!("redis: {e}"))
}

#[async_trait]
impl Coord for RedisCoord {
    async fn session(&self, user_id: &UserId) -> Result<Option<Session>> {
        let raw: Option<String> = self
            .conn
            .clone()
            .get(self.key("session", user_id.as_str()))
            .await
            .map_err(unavailable)?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    async fn save_session(&self, user_id: &UserId, session: &Session) -> Result<()> {
        let raw = serde_json::to_string(session).map_err(|e| anyhow::anyhow!(e))?;
        let _: () = self
            .conn
            .clone()
            .set_ex(self.key("session", user_id.as_str()), raw, SESSION_TTL_SECS)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn claim_socket(
        &self,
        user_id: &UserId,
        socket_id: &str,
        max: u32,
        lease: Duration,
    ) -> Result<bool> {
        let held: i64 = CLAIM_SOCKET
            .key(self.key("sockets", user_id.as_str()))
            .arg(socket_id)
            .arg(max)
            .arg(lease.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(held == 1)
    }

    async fn release_socket(&self, user_id: &UserId, socket_id: &str) -> Result<()> {
        let _: i64 = self
            .conn
            .clone()
            .zrem(self.key("sockets", user_id.as_str()), socket_id)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn renew_sockets(&self, sockets: &[(UserId, String)], lease: Duration) -> Result<()> {
        for chunk in sockets.chunks(RENEW_CHUNK) {
            let mut call = RENEW_SOCKETS.prepare_invoke();
            call.arg(lease.as_millis() as u64);
            for (user_id, socket_id) in chunk {
                call.key(self.key("sockets", user_id.as_str()))
                    .arg(socket_id);
            }
            let _: i64 = call
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    async fn publish_figures(&self, figures: &InstanceFigures, ttl: Duration) -> Result<()> {
        let raw = serde_json::to_string(figures).map_err(|e| anyhow::anyhow!(e))?;
        let _: i64 = PUBLISH_FIGURES
            .key(self.key("figures", "all"))
            .key(self.key("figures", "live"))
            .arg(&figures.instance)
            .arg(raw)
            .arg(ttl.as_millis().max(1) as u64)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn live_figures(&self) -> Result<Vec<InstanceFigures>> {
        let raw: Vec<Option<String>> = LIVE_FIGURES
            .key(self.key("figures", "all"))
            .key(self.key("figures", "live"))
            .arg(FIGURES_MAX)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(raw
            .into_iter()
            .flatten()
            .filter_map(|r| serde_json::from_str(&r).ok())
            .collect())
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        let _: () = redis::cmd("PING")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
