//! Counters operators can read at `GET /api/metrics` (administrators, JSON): what the
//! real-time layer pushed, and anything it had to drop. The same atomics, with latencies and
//! per-event figures besides, are served in the Prometheus format at `GET /metrics`
//! ([`prometheus`]).

pub mod prometheus;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
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
    /// Handshakes refused because the user already held MAX_SOCKETS_PER_USER connections.
    pub sockets_too_many: AtomicU64,
    /// Handshakes let through unchecked because the connection count could not be read
    /// (Redis down): the limit fails open, it is an abuse bound, not an invariant.
    pub socket_count_unavailable: AtomicU64,
    /// Socket.IO events refused by the per-connection rate limit (acked `rate_limited`).
    pub socket_events_limited: AtomicU64,
    /// Connections closed because their event bucket stayed empty (sustained flooding).
    pub sockets_disconnected_for_abuse: AtomicU64,
    /// Snapshots (`join:event` acks and `GET /seat-status` answers) served from the snapshot
    /// cache / read from the database.
    pub snapshot_cache_hits: AtomicU64,
    pub snapshot_cache_loads: AtomicU64,
    /// Bot checks passed, and refused with `403 bot_check_required` (none sent) or
    /// `403 bot_check_failed` (wrong, expired or replayed).
    pub bot_check_passed: AtomicU64,
    pub bot_check_required: AtomicU64,
    pub bot_check_failed: AtomicU64,
    /// Sign-ins and registrations refused with `503 auth_busy`: every password-hashing
    /// permit was taken for the whole wait. Shared with the hasher.
    pub auth_busy: Arc<AtomicU64>,
    /// Requests refused with `429 rate_limited` (per-IP identity and per-user shopping
    /// buckets).
    pub rate_limited: AtomicU64,
    /// Request bodies refused with `413 payload_too_large`.
    pub payload_too_large: AtomicU64,
    /// Requests refused with `431 headers_too_large`.
    pub headers_too_large: AtomicU64,
    /// Holds refused with `409 customer_limit` (the event's per-customer limit).
    pub customer_limit: AtomicU64,
    /// Times this instance noticed that a waiting line's state was lost and had to be
    /// rebuilt (see `docs/operations.md`).
    pub line_losses: AtomicU64,
    /// Socket.IO connections open now (a gauge: up on connect, down on disconnect).
    pub sockets_open: AtomicI64,
    /// What `GET /metrics` shows beyond these counters, recorded as it happens.
    pub recorded: prometheus::Recorded,
}

#[derive(Serialize, utoipa::ToSchema)]
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
    pub sockets_too_many: u64,
    pub socket_count_unavailable: u64,
    pub socket_events_limited: u64,
    pub sockets_disconnected_for_abuse: u64,
    pub snapshot_cache_hits: u64,
    pub snapshot_cache_loads: u64,
    pub bot_check_passed: u64,
    pub bot_check_required: u64,
    pub bot_check_failed: u64,
    pub auth_busy: u64,
    pub rate_limited: u64,
    pub payload_too_large: u64,
    pub customer_limit: u64,
    pub headers_too_large: u64,
    pub line_losses: u64,
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
            socket_queue_full: get(&self.socket_queue_full)
                + REMOTE_SOCKET_QUEUE_FULL.load(Ordering::Relaxed),
            sockets_connected: get(&self.sockets_connected),
            sockets_refused: get(&self.sockets_refused),
            sockets_too_many: get(&self.sockets_too_many),
            socket_count_unavailable: get(&self.socket_count_unavailable),
            socket_events_limited: get(&self.socket_events_limited),
            sockets_disconnected_for_abuse: get(&self.sockets_disconnected_for_abuse),
            snapshot_cache_hits: get(&self.snapshot_cache_hits),
            snapshot_cache_loads: get(&self.snapshot_cache_loads),
            bot_check_passed: get(&self.bot_check_passed),
            bot_check_required: get(&self.bot_check_required),
            bot_check_failed: get(&self.bot_check_failed),
            auth_busy: get(&self.auth_busy),
            rate_limited: get(&self.rate_limited),
            payload_too_large: get(&self.payload_too_large),
            headers_too_large: get(&self.headers_too_large),
            customer_limit: get(&self.customer_limit),
            line_losses: get(&self.line_losses),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Every counter of [`MetricsSnapshot`] as `(Prometheus name without the boxoffice_
    /// prefix and _total suffix, help, value)`: `GET /metrics` shows them all.
    pub fn counters(&self) -> Vec<(&'static str, &'static str, u64)> {
        let s = self.snapshot();
        vec![
            ("changes_in", "Inventory changes the real-time layer consumed from this instance's feed", s.changes_in),
            ("pushes_out", "Socket.IO room messages emitted (after batching)", s.pushes_out),
            ("feed_lagged", "Changes the real-time layer missed because it fell behind the feed", s.feed_lagged),
            ("redis_dropped", "Messages from Redis the adapter dropped because its stream buffer was full", s.redis_dropped),
            ("cluster_push_failures", "Room messages that could not be published to the other instances (delivered locally)", s.cluster_push_failures),
            ("socket_queue_full", "Pushes a socket missed because its outgoing queue was full", s.socket_queue_full),
            ("sockets_connected", "Socket.IO connections accepted", s.sockets_connected),
            ("sockets_refused", "Socket.IO handshakes refused (no or bad token)", s.sockets_refused),
            ("sockets_too_many", "Socket.IO handshakes refused for MAX_SOCKETS_PER_USER", s.sockets_too_many),
            ("socket_count_unavailable", "Handshakes let through unchecked because the connection count could not be read", s.socket_count_unavailable),
            ("socket_events_limited", "Socket.IO events refused by the per-connection rate limit", s.socket_events_limited),
            ("sockets_disconnected_for_abuse", "Connections closed for sustained event flooding", s.sockets_disconnected_for_abuse),
            ("snapshot_cache_hits", "Seat snapshots (join:event acks, GET seat-status) served from the snapshot cache", s.snapshot_cache_hits),
            ("snapshot_cache_loads", "Seat snapshots (join:event acks, GET seat-status) read from the database", s.snapshot_cache_loads),
            ("bot_check_passed", "Bot checks passed", s.bot_check_passed),
            ("bot_check_required", "Requests refused with bot_check_required", s.bot_check_required),
            ("bot_check_failed", "Requests refused with bot_check_failed", s.bot_check_failed),
            ("auth_busy", "Sign-ins and registrations refused with auth_busy", s.auth_busy),
            ("rate_limited", "Requests refused with 429 rate_limited", s.rate_limited),
            ("payload_too_large", "Request bodies refused with 413 payload_too_large", s.payload_too_large),
            ("headers_too_large", "Requests refused with 431 headers_too_large", s.headers_too_large),
            ("customer_limit", "Holds refused with customer_limit", s.customer_limit),
            ("line_losses", "Times this instance found a waiting line's state lost and rebuilt it", s.line_losses),
        ]
    }
}

/// Redis commands that failed, whole process (Redis is shared by everything in it, and
/// the failures are seen deep in the stores, where no application state is at hand).
pub static REDIS_ERRORS: AtomicU64 = AtomicU64::new(0);

/// Counts one failed Redis command ([`REDIS_ERRORS`]).
pub fn redis_error() {
    REDIS_ERRORS.fetch_add(1, Ordering::Relaxed);
}

/// Pushes from other instances that one of this process's sockets missed because its queue
/// was full. socketioxide-core delivers those itself and only logs the failure, so the
/// count comes from its log event (see [`RemoteDropCounter`]); process-wide, like the log.
pub static REMOTE_SOCKET_QUEUE_FULL: AtomicU64 = AtomicU64::new(0);

/// A `tracing` layer that counts the sockets named in socketioxide-core's WARN event
/// "remote request broadcast handler: [InternalChannelFull, …]". Install it with its own
/// filter (`RemoteDropCounter::filter()`), so it counts whatever `RUST_LOG` says.
pub struct RemoteDropCounter;

impl RemoteDropCounter {
    pub fn filter() -> tracing_subscriber::filter::Targets {
        tracing_subscriber::filter::Targets::new()
            .with_target("socketioxide_core::adapter", tracing::Level::WARN)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RemoteDropCounter {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        if m.0.contains("broadcast handler") {
            let full = m.0.matches("InternalChannelFull").count() as u64;
            REMOTE_SOCKET_QUEUE_FULL.fetch_add(full, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::prelude::*;

    #[test]
    fn every_json_counter_is_a_prometheus_counter() {
        let m = Metrics::default();
        let json = serde_json::to_value(m.snapshot()).unwrap();
        let names: Vec<String> = m.counters().iter().map(|c| c.0.replace('_', "")).collect();
        for key in json.as_object().unwrap().keys() {
            assert!(
                names.contains(&key.to_lowercase()),
                "{key} is missing from Metrics::counters"
            );
        }
        assert_eq!(names.len(), json.as_object().unwrap().len());
    }

    #[test]
    fn counts_sockets_socketioxide_could_not_reach() {
        let before = REMOTE_SOCKET_QUEUE_FULL.load(Ordering::Relaxed);
        let subscriber = tracing_subscriber::registry()
            .with(RemoteDropCounter.with_filter(RemoteDropCounter::filter()));
        tracing::subscriber::with_default(subscriber, || {
            // As socketioxide-core 0.20 words it (adapter/request.rs, recv_broadcast).
            let e = ["InternalChannelFull", "Closed", "InternalChannelFull"];
            tracing::warn!(
                target: "socketioxide_core::adapter::request",
                "remote request broadcast handler: {:?}",
                e
            );
            tracing::warn!(target: "socketioxide_core::adapter::request", "unrelated");
            tracing::warn!(target: "boxoffice", "broadcast handler: InternalChannelFull");
        });
        assert_eq!(REMOTE_SOCKET_QUEUE_FULL.load(Ordering::Relaxed) - before, 2);
    }
}
