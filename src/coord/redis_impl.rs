//! Coordination in Redis, shared by every instance (`REDIS_URL`).

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;

use super::{Coord, Session, SESSION_TTL_SECS};
use crate::error::{Error, Result};

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
            .map_err(|e| Error::Unavailable(format!("redis: {e}")))?;
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

pub fn unavailable(e: redis::RedisError) -> Error {
    Error::Unavailable(format!("redis: {e}"))
}

#[async_trait]
impl Coord for RedisCoord {
    async fn session(&self, user_id: &str) -> Result<Option<Session>> {
        let raw: Option<String> = self
            .conn
            .clone()
            .get(self.key("session", user_id))
            .await
            .map_err(unavailable)?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    async fn save_session(&self, user_id: &str, session: &Session) -> Result<()> {
        let raw = serde_json::to_string(session).map_err(|e| anyhow::anyhow!(e))?;
        let _: () = self
            .conn
            .clone()
            .set_ex(self.key("session", user_id), raw, SESSION_TTL_SECS)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
