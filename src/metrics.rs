//! Counters operators can read at `GET /api/metrics`: what the real-time layer pushed, and
//! anything it had to drop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;

#[derive(Debug, Default)]
pub struct Metrics {
    /// Inventory changes the real-time layer consumed from this instance's feed.
    pub changes_in: AtomicU64,
    /// Socket.IO room messages emitted (after batching).
    pub pushes_out: AtomicU64,
    /// Changes the real-time layer missed because it fell behind the feed.
    pub feed_lagged: AtomicU64,
    /// Messages from Redis dropped because the adapter's stream buffer was full. Shared
    /// with the Redis driver, which is the only place that can see a drop.
    pub redis_dropped: Arc<AtomicU64>,
    /// Room messages that could not be published to the other instances (Redis down);
    /// they were still delivered to this instance's sockets.
    pub cluster_push_failures: AtomicU64,
    /// Pushes this instance could not hand to one of its sockets because that socket's
    /// outgoing queue was full (a client far behind); it catches up on its next snapshot.
    pub socket_queue_full: AtomicU64,
    /// Socket connections accepted / refused at the handshake.
    pub sockets_connected: AtomicU64,
    pub sockets_refused: AtomicU64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSnapshot {
    pub changes_in: u64,
    pub pushes_out: u64,
    pub feed_lagged: u64,
    pub redis_dropped: u64,
    pub cluster_push_failures: u64,
    pub socket_queue_full: u64,
    pub sockets_connected: u64,
    pub sockets_refused: u64,
}

impl Metrics {
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            changes_in: get(&self.changes_in),
            pushes_out: get(&self.pushes_out),
            feed_lagged: get(&self.feed_lagged),
            redis_dropped: get(&self.redis_dropped),
            cluster_push_failures: get(&self.cluster_push_failures),
            socket_queue_full: get(&self.socket_queue_full),
            sockets_connected: get(&self.sockets_connected),
            sockets_refused: get(&self.sockets_refused),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
