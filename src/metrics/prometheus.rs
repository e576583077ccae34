//! The Prometheus side of the metrics: what `GET /metrics` shows (`docs/metrics.md` lists every
//! name).
//!
//! Why `prometheus-client` and a [`Registry`] per application rather than the `metrics`
//! crate's global recorder: the integration tests run many applications in one process and
//! assert each one's own figures (a hold on one server must not show on another's scrape);
//! a registry owned by the application state gives that without any process-global state,
//! and its `prometheus_text` encoder writes the Prometheus text format (0.0.4) directly, so
//! no second listener is needed.
//!
//! Two kinds of metric live here:
//! - [`Recorded`]: families the code updates as things happen (HTTP requests, holds, pushes,
//!   admissions…), kept in [`Metrics`] so every part that records already holds them;
//! - collectors read at scrape time: the counters of [`Metrics`] (the same atomics
//!   `GET /api/metrics` shows), the database pool, and the waiting lines as this instance's
//!   last tick saw them. A scrape reads memory only: no database or Redis query, whatever
//!   the number of events.
//!
//! Label values are bounded: routes are axum's matched route patterns (`unmatched` for the
//! rest), methods a fixed list, and event ids are only ever those of events that exist (a
//! refused hold on an id nobody knows is counted under `event="unknown"`).

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Metrics, REDIS_ERRORS};
use crate::db::Db;
use crate::error::ErrorCode;
use crate::ids::EventId;
use crate::inventory::{ChangeCause, InventoryChange};
use crate::waiting_room::WaitingRoom;

/// `Content-Type` of the answer: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The event label of a hold whose event id names no event this instance knows.
pub const UNKNOWN_EVENT: &str = "unknown";

/// Latencies of requests and holds, in seconds: 1 ms to 10 s.
const REQUEST_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Commit to emit, in seconds. A change after a quiet spell goes out at once; in a busy spell
/// a change waits for the push under way and at most the batch window (`PUSH_BATCH_MS`).
const PUSH_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Waiting for a database connection (and its `BEGIN`), in seconds: 0.1 ms to the 30 s
/// acquire timeout.
pub(crate) const DB_WAIT_BUCKETS: [f64; 12] = [
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The matched route pattern (`/api/events/{event_id}`), or `unmatched`.
    pub route: String,
    pub method: &'static str,
    /// `1xx` … `5xx`.
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabel {
    pub event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub event: String,
    /// `ok`, or the error code of the refusal.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CauseLabels {
    pub event: String,
    /// `held`, `paid`, `cancelled`, `refunded`, `expired`.
    pub cause: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    git_sha: &'static str,
    backend: &'static str,
    coordination: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS)
}

/// Families recorded as things happen. Cheap to update: a read lock on the family and an
/// atomic add (a short mutex for histograms).
#[derive(Debug)]
pub struct Recorded {
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Histograms<HttpLabels>,
    push_latency: Histogram,
    holds: Family<OutcomeLabels, Counter>,
    hold_duration: Histograms<EventLabel>,
    tickets_sold: Family<EventLabel, Counter>,
    changes: Family<CauseLabels, Counter>,
    holds_expired: Family<EventLabel, Counter>,
    admissions: Family<EventLabel, Counter>,
    joins: Family<OutcomeLabels, Counter>,
    /// Holds and admissions per event, for the operators' live figures ([`crate::stats`]).
    pub live: crate::stats::LiveCounters,
}

impl Default for Recorded {
    fn default() -> Self {
        Recorded {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(request_histogram),
            push_latency: Histogram::new(PUSH_BUCKETS),
            holds: Family::default(),
            hold_duration: Family::new_with_constructor(request_histogram),
            tickets_sold: Family::default(),
            changes: Family::default(),
            holds_expired: Family::default(),
            admissions: Family::default(),
            joins: Family::default(),
            live: crate::stats::LiveCounters::default(),
        }
    }
}

/// A status code's class: `2xx`, `4xx`…
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A request method as a label: the standard ones, anything else `other` (clients may send
/// any token as a method).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn cause_label(cause: ChangeCause) -> &'static str {
    match cause {
        ChangeCause::Held => "held",
        ChangeCause::Paid => "paid",
        ChangeCause::Cancelled => "cancelled",
        ChangeCause::Refunded => "refunded",
        ChangeCause::Expired => "expired",
    }
}

impl Recorded {
    /// One answered HTTP request. `route` is the matched route pattern, `None` when no route
    /// matched.
    pub fn http(&self, route: Option<&str>, method: &'static str, status: u16, took: Duration) {
        let labels = HttpLabels {
            route: route.unwrap_or("unmatched").to_owned(),
            method,
            status: status_class(status),
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A committed change reached the sockets `took` after its commit.
    pub fn push_latency(&self, took: Duration) {
        self.push_latency.observe(took.as_secs_f64());
    }

    /// One hold attempt: `event` must name an event that exists (else pass
    /// [`UNKNOWN_EVENT`]); `outcome` is `None` for a hold made, else the refusal's code.
    pub fn hold(&self, event: &str, outcome: Option<ErrorCode>, took: Duration) {
        let outcome = outcome.map_or("ok", ErrorCode::as_str);
        self.holds
            .get_or_create(&OutcomeLabels {
                event: event.to_owned(),
                outcome,
            })
            .inc();
        self.hold_duration
            .get_or_create(&EventLabel {
                event: event.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// A reservation of `event` paid, with `tickets` seats and tickets in it.
    pub fn sold(&self, event: &EventId, tickets: u64) {
        self.tickets_sold
            .get_or_create(&EventLabel {
                event: event.to_string(),
            })
            .inc_by(tickets);
    }

    /// Every committed change of the inventory's feed (called by the feed itself, so each is
    /// counted once, on the instance that committed it).
    pub fn change(&self, change: &InventoryChange) {
        self.live.change(change);
        let event = change.event_id.to_string();
        if change.cause == ChangeCause::Expired {
            self.holds_expired
                .get_or_create(&EventLabel {
                    event: event.clone(),
                })
                .inc();
        }
        self.changes
            .get_or_create(&CauseLabels {
                event,
                cause: cause_label(change.cause),
            })
            .inc();
    }

    /// Users let in from `event`'s line by one of this instance's ticks.
    pub fn admitted(&self, event: &EventId, n: u64) {
        self.live.admitted(event, n);
        if n > 0 {
            self.admissions
                .get_or_create(&EventLabel {
                    event: event.to_string(),
                })
                .inc_by(n);
        }
    }

    /// A join of `event`'s line and where it put the user (`admitted`, `waiting`,
    /// `presale`, `pending`).
    pub fn joined(&self, event: &EventId, outcome: &'static str) {
        if outcome == "admitted" {
            // Let in at once (room to spare, nobody waiting): an admission all the same.
            self.live.admitted(event, 1);
        }
        self.joins
            .get_or_create(&OutcomeLabels {
                event: event.to_string(),
                outcome,
            })
            .inc();
    }
}

/// What a scrape is built from.
pub struct Sources {
    pub metrics: Arc<Metrics>,
    pub db: Db,
    pub waiting_room: Arc<WaitingRoom>,
    /// `memory` or `redis`.
    pub coordination: &'static str,
    /// `METRICS_TOKEN`.
    pub token: Option<String>,
}

/// Whether a request may read `/metrics`.
#[derive(Debug, PartialEq, Eq)]
pub enum Access {
    /// No token is configured: the endpoint is open (keep it off the public network).
    Open,
    /// The right bearer token.
    Granted,
    /// A token is configured and none was sent.
    Missing,
    /// A token is configured and another was sent.
    Wrong,
}

/// The application's registry and the token that guards it.
pub struct Exposition {
    registry: Registry,
    /// SHA-256 of `METRICS_TOKEN`: compared in constant time with the digest of what a
    /// request sends, so neither the token's bytes nor its length show in the timing.
    token: Option<[u8; 32]>,
}

impl Exposition {
    pub fn new(s: Sources) -> Self {
        let mut registry = Registry::with_prefix("boxoffice");
        let r = &s.metrics.recorded;
        registry.register(
            "http_requests",
            "HTTP requests answered, by matched route, method and status class",
            r.http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response head), by route, method and status class",
            r.http_duration.clone(),
        );
        registry.register(
            "push_latency_seconds",
            "Time from an inventory change's commit to its room message being emitted by this instance",
            r.push_latency.clone(),
        );
        registry.register(
            "holds",
            "Hold attempts by event and outcome (ok, or the refusal's error code)",
            r.holds.clone(),
        );
        registry.register(
            "hold_duration_seconds",
            "Time a hold attempt took (admission check and transaction), by event",
            r.hold_duration.clone(),
        );
        registry.register(
            "tickets_sold",
            "Seats and general-admission tickets paid for, by event",
            r.tickets_sold.clone(),
        );
        registry.register(
            "reservation_changes",
            "Committed reservation changes by event and cause (held, paid, cancelled, refunded, expired)",
            r.changes.clone(),
        );
        registry.register(
            "holds_expired",
            "Pending holds released because their time ran out, by event",
            r.holds_expired.clone(),
        );
        registry.register(
            "admissions",
            "Users let in from the waiting line by this instance's ticks, by event",
            r.admissions.clone(),
        );
        registry.register(
            "queue_joins",
            "Joins of an event's line by where they put the user (admitted, waiting, presale, pending)",
            r.joins.clone(),
        );
        registry.register(
            "db_begin_wait_seconds",
            "Time to get a pooled database connection and begin a transaction (holds, payments, cancellations, expiry, event creation)",
            s.db.begin_wait.clone(),
        );
        registry.register(
            "db_acquire_timeouts",
            "Transactions that could not start because no pooled connection freed up in time",
            s.db.acquire_timeouts.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                git_sha: option_env!("BOXOFFICE_GIT_SHA").unwrap_or("unknown"),
                backend: if s.db.is_postgres() {
                    "postgres"
                } else {
                    "sqlite"
                },
                coordination: s.coordination,
            }),
        );
        registry.register_collector(Box::new(Counters(s.metrics.clone())));
        registry.register_collector(Box::new(Pool(s.db.clone())));
        registry.register_collector(Box::new(Lines {
            room: s.waiting_room,
            seen: Mutex::default(),
        }));
        Exposition {
            registry,
            token: s.token.filter(|t| !t.is_empty()).map(|t| digest(&t)),
        }
    }

    /// The scrape: every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }

    /// Checks the `Authorization` header's value (if any) against `METRICS_TOKEN`.
    pub fn access(&self, authorization: Option<&[u8]>) -> Access {
        let Some(expected) = &self.token else {
            return Access::Open;
        };
        let Some(presented) = authorization.and_then(bearer) else {
            return Access::Missing;
        };
        if bool::from(digest_bytes(presented)[..].ct_eq(&expected[..])) {
            Access::Granted
        } else {
            Access::Wrong
        }
    }
}

fn digest(s: &str) -> [u8; 32] {
    digest_bytes(s.as_bytes())
}

fn digest_bytes(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// The credentials of `Bearer <token>` (the scheme is case-insensitive).
fn bearer(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
        .filter(|t| !t.is_empty())
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, MetricType::Counter)?)
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// The counters of [`Metrics`] (those of `GET /api/metrics`), read at scrape time.
struct Counters(Arc<Metrics>);

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Counters")
    }
}

impl Collector for Counters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        for (name, help, value) in self.0.counters() {
            counter(&mut encoder, name, help, value)?;
        }
        counter(
            &mut encoder,
            "redis_errors",
            "Redis commands that failed (whole process: coordination, the line, the bot-check ledger, the pub/sub driver)",
            REDIS_ERRORS.load(Ordering::Relaxed),
        )?;
        gauge(
            &mut encoder,
            "sockets_open",
            "Socket.IO connections open on this instance",
            self.0.sockets_open.load(Ordering::Relaxed),
        )
    }
}

/// The database pool as it is now.
struct Pool(Db);

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pool")
    }
}

impl Collector for Pool {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let pool = &self.0.pool;
        let (size, idle) = (i64::from(pool.size()), pool.num_idle() as i64);
        let mut family = encoder.encode_descriptor(
            "db_connections",
            "Open database connections by state (in_use: lent out to a query or transaction; idle: in the pool)",
            None,
            MetricType::Gauge,
        )?;
        for (state, value) in [("in_use", (size - idle).max(0)), ("idle", idle)] {
            ConstGauge::new(value).encode(family.encode_family(&StateLabel { state })?)?;
        }
        gauge(
            &mut encoder,
            "db_connections_max",
            "Most database connections this instance's pool opens",
            i64::from(pool.options().get_max_connections()),
        )
    }
}

/// Every waiting line as this instance's last tick saw it. An event once seen keeps being
/// shown (at 0 once its line empties), so a graph drops to zero instead of going stale.
struct Lines {
    room: Arc<WaitingRoom>,
    seen: Mutex<HashSet<EventId>>,
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lines")
    }
}

impl Collector for Lines {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let live = self.room.line_figures();
        let rows: Vec<(EventId, i64, i64)> = {
            let mut seen = self.seen.lock().expect("seen lock");
            seen.extend(live.keys().cloned());
            let mut rows: Vec<_> = seen
                .iter()
                .map(|id| {
                    let (waiting, active) = live.get(id).copied().unwrap_or((0, 0));
                    (id.clone(), waiting, active)
                })
                .collect();
            rows.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
            rows
        };
        if rows.is_empty() {
            return Ok(());
        }
        for (name, help, pick) in [
            (
                "queue_waiting",
                "People waiting in the event's line (numbered and pre-sale), as of this instance's last tick",
                1usize,
            ),
            (
                "queue_active_shoppers",
                "Shoppers holding an admission slot for the event, as of this instance's last tick",
                2,
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (event, waiting, active) in &rows {
                let value = if pick == 1 { *waiting } else { *active };
                let labels = EventLabel {
                    event: event.to_string(),
                };
                ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_and_methods_are_bounded() {
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(302), "3xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(503), "5xx");
        let odd = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
    }

    #[test]
    fn bearer_takes_the_token_only() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer  abc "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bearer "), None);
        assert_eq!(bearer(b"Bear"), None);
    }
}
