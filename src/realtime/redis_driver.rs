//! The pub/sub driver behind socketioxide-redis, with one change from the crate's own
//! `RedisDriver`: a message that arrives while the adapter's stream buffer is full is
//! counted (in [`Metrics::redis_dropped`](crate::metrics::Metrics)) instead of only logged,
//! so operators can see a loss; and the connection is a `ConnectionManager` that reconnects
//! and re-subscribes by itself, so a Redis restart does not silently cut instances apart.
//! The buffer is sized at start-up (`REDIS_STREAM_BUFFER`).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, FromRedisValue, PushInfo};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;

type HandlerMap = HashMap<String, mpsc::Sender<ChanItem>>;

#[derive(Clone)]
pub struct CountingDriver {
    handlers: Arc<RwLock<HandlerMap>>,
    conn: ConnectionManager,
}

#[derive(Debug)]
pub struct DriverError(redis::RedisError);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DriverError {}

impl From<redis::RedisError> for DriverError {
    fn from(e: redis::RedisError) -> Self {
        DriverError(e)
    }
}

impl CountingDriver {
    /// Opens the RESP3 connection whose push messages carry the subscriptions.
    pub async fn new(
        client: &redis::Client,
        dropped: Arc<AtomicU64>,
    ) -> Result<Self, redis::RedisError> {
        let handlers: Arc<RwLock<HandlerMap>> = Arc::default();
        let h = handlers.clone();
        let config = ConnectionManagerConfig::new()
            .set_push_sender(move |msg: PushInfo| {
                route(msg, &h, &dropped);
                Ok::<(), redis::aio::SendError>(())
            })
            .set_automatic_resubscription();
        let conn = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(CountingDriver { handlers, conn })
    }
}

fn route(msg: PushInfo, handlers: &RwLock<HandlerMap>, dropped: &AtomicU64) {
    if !matches!(
        msg.kind,
        redis::PushKind::Message | redis::PushKind::SMessage
    ) || msg.data.len() < 2
    {
        return;
    }
    let mut data = msg.data.into_iter();
    let (Some(chan), Some(payload)) = (data.next(), data.next()) else {
        return;
    };
    let (Ok(chan), Ok(payload)) = (
        String::from_redis_value(chan),
        Vec::<u8>::from_redis_value(payload),
    ) else {
        tracing::error!("unreadable message from redis pub/sub");
        return;
    };
    let handlers = handlers.read().expect("handlers lock");
    if let Some(tx) = handlers.get(&chan) {
        if tx.try_send((chan, payload)).is_err() {
            let n = dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                total_dropped = n,
                "redis adapter stream buffer full: message dropped"
            );
        }
    }
}

impl Driver for CountingDriver {
    type Error = DriverError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        self.conn
            .clone()
            .publish::<_, _, redis::Value>(chan, val)
            .await?;
        Ok(())
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        self.conn.clone().subscribe(chan.as_str()).await?;
        let (tx, rx) = mpsc::channel(size);
        self.handlers
            .write()
            .expect("handlers lock")
            .insert(chan, tx);
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        self.handlers.write().expect("handlers lock").remove(&chan);
        self.conn.clone().unsubscribe(chan).await?;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let mut conn = self.conn.clone();
        let (_, count): (String, u16) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(chan)
            .query_async(&mut conn)
            .await?;
        Ok(count)
    }
}
