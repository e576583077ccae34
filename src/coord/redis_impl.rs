//! Coordination in Redis, shared by every instance (`REDIS_URL`).
//!
//! Connection slots: one sorted set per user, `{prefix}:sockets:{user}`, of socket ids scored
//! by the end of their lease in Redis's own clock (`TIME`), so instances with skewed clocks
//! agree. Claiming is one Lua script (drop lapsed members, count, add if below the limit):
//! atomic, so two handshakes on two instances cannot both take the last slot.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{Coord, Session, SESSION_TTL_SECS};
use crate::error::{Error, Result};
use crate::ids::UserId;

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
