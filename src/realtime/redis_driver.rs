//! The pub/sub driver behind socketioxide-redis, with one change from the crate's own
//! `RedisDriver`: a message that arrives while the adapter's stream buffer is full is
//! counted (in [`Metrics::redis_dropped`](crate::metrics::Metrics)) instead of only logged,
//! so operators can see a loss; and the connection is a `ConnectionManager` that reconnects
//! and re-subscribes by itself, so a Redis restart does not silently cut instances apart.
//! The buffer is sized at start-up (`REDIS_STREAM_BUFFER`).
//!
//! The same connection also carries the inventory changes instances relay to each other's
//! snapshot caches ([`super::relay`]). Their handler runs *inline*, in the connection's
//! push handler, before any later message is routed: a change is in this instance's cache
//! before the room messages published after it reach any socket here.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, FromRedisValue, PushInfo};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;

type HandlerMap = HashMap<String, mpsc::Sender<ChanItem>>;

/// What an inline subscription is told: a message, or that messages may have been lost
/// (the connection dropped, or the subscription was made again after a reconnect).
pub enum Inline<'a> {
    Message(&'a [u8]),
    MaybeLost,
}

type InlineHandler = Arc<dyn Fn(Inline<'_>) + Send + Sync>;
type InlineMap = HashMap<String, InlineHandler>;

#[derive(Clone)]
pub struct CountingDriver {
    handlers: Arc<RwLock<HandlerMap>>,
    inline: Arc<RwLock<InlineMap>>,
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
        crate::metrics::redis_error();
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
        let inline: Arc<RwLock<InlineMap>> = Arc::default();
        let (h, i) = (handlers.clone(), inline.clone());
        let config = ConnectionManagerConfig::new()
            .set_push_sender(move |msg: PushInfo| {
                route(msg, &h, &i, &dropped);
                Ok::<(), redis::aio::SendError>(())
            })
            .set_automatic_resubscription();
        let conn = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(CountingDriver {
            handlers,
            inline,
            conn,
        })
    }

    /// Subscribes `chan` with a handler called inline, in arrival order (keep it short).
    pub async fn subscribe_inline(
        &self,
        chan: String,
        handler: impl Fn(Inline<'_>) + Send + Sync + 'static,
    ) -> Result<(), DriverError> {
        self.inline
            .write()
            .expect("inline lock")
            .insert(chan.clone(), Arc::new(handler));
        self.conn.clone().subscribe(chan.as_str()).await?;
        Ok(())
    }
}

fn route(
    msg: PushInfo,
    handlers: &RwLock<HandlerMap>,
    inline: &RwLock<InlineMap>,
    dropped: &AtomicU64,
) {
    match msg.kind {
        redis::PushKind::Disconnection => {
            for handler in inline.read().expect("inline lock").values() {
                handler(Inline::MaybeLost);
            }
            return;
        }
        redis::PushKind::Subscribe => {
            let chan = msg.data.first().cloned().map(String::from_redis_value);
            if let Some(Ok(chan)) = chan {
                if let Some(handler) = inline.read().expect("inline lock").get(&chan) {
                    handler(Inline::MaybeLost);
                }
            }
            return;
        }
        _ => {}
    }
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
    if let Some(handler) = inline.read().expect("inline lock").get(&chan) {
        handler(Inline::Message(&payload));
        return;
    }
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
