//! Live figures for operators: what an on-sale looks like right now, counted over every
//! instance.
//!
//! Each instance counts, per event, the holds it made (from its inventory change feed) and
//! the shoppers its line admitted ([`LiveCounters`], fed by the metrics recorder that already
//! sees both), and knows its own open connections and lost pushes. Every second it publishes
//! a snapshot of those ([`InstanceFigures`]) to [`crate::coord`] with a short lifetime; an
//! instance that stops publishing (killed, partitioned) drops out within that lifetime.
//! Reading the cluster sums the live snapshots ([`ClusterFigures`]): rates are summed from
//! each instance's own per-second rate (the difference of its cumulative counters over its
//! last interval), so an instance appearing or vanishing never shows as a jump.
//!
//! The rest of an event's figures come from the shared stores: sales from the database
//! ([`crate::inventory::figures`]), the line from the waiting room. This module knows nothing
//! of Socket.IO: the real-time layer asks it for [`AdminStats`] and sends them.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::clock::{to_rfc3339, Clock};
use crate::coord::Coord;
use crate::error::Result;
use crate::ids::{EventId, TicketTypeId};
use crate::inventory::figures::{SeatFigures, TicketTypeFigures};
use crate::inventory::{Currency, InventoryChange, StockView, WaitingRoomMode};
use crate::metrics::Metrics;
use crate::waiting_room::WaitingRoom;

/// How often each instance publishes its figures (and admin sockets get `admin:stats`).
pub const PUBLISH_EVERY: Duration = Duration::from_secs(1);
/// How long a published snapshot counts after it was written: an instance that missed two
/// publications is taken for gone.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(3);

/// One event's cumulative counts on this instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Holds made (reservations created) by this instance.
    pub holds: u64,
    /// Shoppers let in by this instance: by its line's ticks, and joins it admitted at once.
    pub admitted: u64,
}

/// This instance's per-event counters, since it started. Recorded as things happen (a short
/// lock and two adds); only events that exist get an entry (holds are counted after their
/// commit, admissions by lines that exist).
#[derive(Debug, Default)]
pub struct LiveCounters {
    events: Mutex<HashMap<EventId, Counts>>,
}

impl LiveCounters {
    /// A committed change of the inventory's feed: a hold counts once, on the instance that
    /// made it.
    pub fn change(&self, change: &InventoryChange) {
        if change.cause == crate::inventory::ChangeCause::Held {
            self.add(&change.event_id, 1, 0);
        }
    }

    /// `n` shoppers admitted to `event_id`.
    pub fn admitted(&self, event_id: &EventId, n: u64) {
        if n > 0 {
            self.add(event_id, 0, n);
        }
    }

    fn add(&self, event_id: &EventId, holds: u64, admitted: u64) {
        let mut events = self.events.lock().expect("live counters lock");
        let c = events.entry(event_id.clone()).or_default();
        c.holds += holds;
        c.admitted += admitted;
    }

    pub fn counts(&self) -> HashMap<EventId, Counts> {
        self.events.lock().expect("live counters lock").clone()
    }
}

/// One event's figures in an instance's snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRates {
    /// Cumulative since the instance started.
    pub counts: Counts,
    /// Over the instance's last publishing interval.
    pub holds_per_sec: f64,
    pub admitted_per_sec: f64,
}

/// What one instance publishes every second.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceFigures {
    /// Random per process: a restarted instance is a new one.
    pub instance: String,
    /// When it was taken (the domain's clock, ms).
    pub at_ms: i64,
    /// Socket.IO connections open on the instance.
    pub connections: i64,
    /// Pushes lost on the instance since it started: socket queues full, Redis adapter
    /// drops, change-feed lag.
    pub push_drops: u64,
    /// Events with anything counted (keyed by event id).
    pub events: HashMap<EventId, EventRates>,
}

/// The live snapshots of every instance, summed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterFigures {
    pub instances: u32,
    pub connections: i64,
    pub push_drops: u64,
    /// Event -> (holds per second, admissions per second), summed over instances.
    pub rates: HashMap<EventId, (f64, f64)>,
}

impl ClusterFigures {
    pub fn sum(snapshots: &[InstanceFigures]) -> Self {
        let mut c = ClusterFigures {
            instances: snapshots.len() as u32,
            ..Default::default()
        };
        for s in snapshots {
            c.connections += s.connections.max(0);
            c.push_drops += s.push_drops;
            for (id, e) in &s.events {
                let r = c.rates.entry(id.clone()).or_default();
                r.0 += e.holds_per_sec;
                r.1 += e.admitted_per_sec;
            }
        }
        c
    }
}

/// `admin:stats`: one event's live figures (`shared/PROTOCOL.md` v1.1, operator console;
/// `docs/PROTOCOL-ADDITIONS.md` for the fields beyond it).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminStats {
    pub event_id: EventId,
    /// RFC 3339.
    pub at: String,
    /// People in line (numbered, and pre-sale).
    pub waiting: i64,
    pub active_shoppers: i64,
    pub admitted_per_sec: f64,
    pub holds_per_sec: f64,
    pub sold: i64,
    /// Minor units of `currency`.
    pub revenue: i64,
    /// The event's currency (ISO 4217), which `revenue` and the ticket types' prices are in.
    pub currency: Currency,
    pub remaining: Vec<Remaining>,
    pub ticket_types: Vec<TicketTypeFigures>,
    pub seats: SeatFigures,
    pub connections: i64,
    pub instances: u32,
    pub push_drops: u64,
    pub sales_paused: bool,
    pub waiting_room: WaitingRoomMode,
    /// The event's line capacity (active shoppers at once).
    pub capacity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remaining {
    pub ticket_type_id: TicketTypeId,
    pub remaining_quantity: i64,
}

/// What this instance last published, to take rates from.
struct Last {
    at: Instant,
    counts: HashMap<EventId, Counts>,
    published: Option<InstanceFigures>,
}

/// The live figures service: publishes this instance's snapshot, reads the cluster's, and
/// puts an event's figures together.
pub struct LiveFigures {
    instance: String,
    coord: Arc<dyn Coord>,
    stock: StockView,
    waiting_room: Arc<WaitingRoom>,
    metrics: Arc<Metrics>,
    clock: Clock,
    last: Mutex<Last>,
}

/// Parts of [`LiveFigures`].
pub struct Parts {
    pub coord: Arc<dyn Coord>,
    pub stock: StockView,
    pub waiting_room: Arc<WaitingRoom>,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
}

impl LiveFigures {
    pub fn new(p: Parts) -> Self {
        LiveFigures {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            coord: p.coord,
            stock: p.stock,
            waiting_room: p.waiting_room,
            metrics: p.metrics,
            clock: p.clock,
            last: Mutex::new(Last {
                at: Instant::now(),
                counts: HashMap::new(),
                published: None,
            }),
        }
    }

    /// This instance's id in the published snapshots.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Pushes this instance lost since it started.
    fn push_drops(&self) -> u64 {
        let m = &self.metrics;
        m.socket_queue_full.load(Ordering::Relaxed)
            + crate::metrics::REMOTE_SOCKET_QUEUE_FULL.load(Ordering::Relaxed)
            + m.redis_dropped.load(Ordering::Relaxed)
            + m.feed_lagged.load(Ordering::Relaxed)
    }

    /// Takes this instance's snapshot: rates over the time since the last one.
    pub fn snapshot(&self) -> InstanceFigures {
        let now = Instant::now();
        let counts = self.metrics.recorded.live.counts();
        let mut last = self.last.lock().expect("last figures lock");
        let secs = now.duration_since(last.at).as_secs_f64();
        let figures = InstanceFigures {
            instance: self.instance.clone(),
            at_ms: self.clock.now_ms(),
            connections: self.metrics.sockets_open.load(Ordering::Relaxed),
            push_drops: self.push_drops(),
            events: rates_between(&last.counts, &counts, secs),
        };
        last.at = now;
        last.counts = counts;
        last.published = Some(figures.clone());
        figures
    }

    /// Takes and publishes this instance's snapshot (every [`PUBLISH_EVERY`]).
    pub async fn publish(&self) -> Result<()> {
        let figures = self.snapshot();
        self.coord.publish_figures(&figures, SNAPSHOT_TTL).await
    }

    /// Every live instance's snapshot, summed. When the store cannot be read, this
    /// instance's own last snapshot stands for the cluster (and a warning is logged).
    pub async fn cluster(&self) -> ClusterFigures {
        match self.coord.live_figures().await {
            Ok(all) => ClusterFigures::sum(&all),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the instances' figures; showing this instance's");
                let own = self
                    .last
                    .lock()
                    .expect("last figures lock")
                    .published
                    .clone();
                ClusterFigures::sum(&own.into_iter().collect::<Vec<_>>())
            }
        }
    }

    /// One event's figures with the cluster's as read by [`LiveFigures::cluster`]:
    /// `404 event_not_found` for an event that does not exist.
    pub async fn event_stats(
        &self,
        event_id: &EventId,
        cluster: &ClusterFigures,
    ) -> Result<AdminStats> {
        let event = self.stock.event(event_id).await?;
        let sales = self.stock.sales_figures(event_id).await?;
        let line = self.waiting_room.summary(&event).await?;
        let (holds_per_sec, admitted_per_sec) =
            cluster.rates.get(event_id).copied().unwrap_or_default();
        Ok(AdminStats {
            event_id: event_id.clone(),
            at: to_rfc3339(self.clock.now_ms()),
            waiting: line.total_waiting,
            active_shoppers: line.active_shoppers,
            admitted_per_sec: round2(admitted_per_sec),
            holds_per_sec: round2(holds_per_sec),
            sold: sales.sold,
            revenue: sales.revenue,
            currency: event.currency,
            remaining: sales
                .ticket_types
                .iter()
                .map(|t| Remaining {
                    ticket_type_id: t.ticket_type_id.clone(),
                    remaining_quantity: t.remaining_quantity,
                })
                .collect(),
            ticket_types: sales.ticket_types,
            seats: sales.seats,
            connections: cluster.connections,
            instances: cluster.instances,
            push_drops: cluster.push_drops,
            sales_paused: event.sales_paused,
            waiting_room: event.waiting_room,
            capacity: event.capacity,
        })
    }

    /// One event's figures, reading the cluster's first.
    pub async fn stats(&self, event_id: &EventId) -> Result<AdminStats> {
        let cluster = self.cluster().await;
        self.event_stats(event_id, &cluster).await
    }
}

/// Each event's rates over `secs`, from its cumulative counts then and now. An event not
/// counted before started from zero; a count that went down (never, in one process) is no
/// negative rate.
pub fn rates_between(
    before: &HashMap<EventId, Counts>,
    now: &HashMap<EventId, Counts>,
    secs: f64,
) -> HashMap<EventId, EventRates> {
    let secs = secs.max(0.001);
    let rate = |now: u64, before: u64| round2(now.saturating_sub(before) as f64 / secs);
    now.iter()
        .map(|(id, c)| {
            let b = before.get(id).copied().unwrap_or_default();
            let e = EventRates {
                counts: *c,
                holds_per_sec: rate(c.holds, b.holds),
                admitted_per_sec: rate(c.admitted, b.admitted),
            };
            (id.clone(), e)
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> EventId {
        EventId::parse(s).unwrap()
    }

    fn snapshot(
        instance: &str,
        connections: i64,
        drops: u64,
        rates: &[(&str, f64, f64)],
    ) -> InstanceFigures {
        InstanceFigures {
            instance: instance.into(),
            at_ms: 0,
            connections,
            push_drops: drops,
            events: rates
                .iter()
                .map(|(e, h, a)| {
                    (
                        id(e),
                        EventRates {
                            counts: Counts::default(),
                            holds_per_sec: *h,
                            admitted_per_sec: *a,
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn the_cluster_is_the_sum_of_its_live_instances() {
        let c = ClusterFigures::sum(&[
            snapshot("a", 3, 1, &[("e1", 2.0, 1.0)]),
            snapshot("b", 4, 0, &[("e1", 3.5, 0.0), ("e2", 1.0, 0.0)]),
            snapshot("c", 0, 2, &[]),
        ]);
        assert_eq!(c.instances, 3);
        assert_eq!(c.connections, 7);
        assert_eq!(c.push_drops, 3);
        assert_eq!(c.rates[&id("e1")], (5.5, 1.0));
        assert_eq!(c.rates[&id("e2")], (1.0, 0.0));
        assert_eq!(ClusterFigures::sum(&[]), ClusterFigures::default());
    }

    #[test]
    fn rates_are_the_counts_difference_over_the_interval() {
        let counts = |h, a| Counts {
            holds: h,
            admitted: a,
        };
        let before = HashMap::from([(id("e1"), counts(10, 4)), (id("gone"), counts(3, 3))]);
        let now = HashMap::from([(id("e1"), counts(16, 4)), (id("new"), counts(2, 5))]);
        let r = rates_between(&before, &now, 2.0);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[&id("e1")].holds_per_sec, r[&id("e1")].admitted_per_sec),
            (3.0, 0.0)
        );
        assert_eq!(r[&id("e1")].counts, counts(16, 4));
        // Counted for the first time: from zero.
        assert_eq!(
            (r[&id("new")].holds_per_sec, r[&id("new")].admitted_per_sec),
            (1.0, 2.5)
        );
        // A quiet interval, and one of no length, are no rate and no division by zero.
        let quiet = rates_between(&now, &now, 1.0);
        assert_eq!(quiet[&id("e1")].holds_per_sec, 0.0);
        let instant = rates_between(&HashMap::new(), &now, 0.0);
        assert_eq!(instant[&id("new")].holds_per_sec, 2000.0);
        // Thirds round to hundredths.
        let third = rates_between(
            &HashMap::new(),
            &HashMap::from([(id("e1"), counts(1, 2))]),
            3.0,
        );
        assert_eq!(
            (
                third[&id("e1")].holds_per_sec,
                third[&id("e1")].admitted_per_sec
            ),
            (0.33, 0.67)
        );
    }

    #[test]
    fn counters_count_holds_and_admissions_per_event() {
        let c = LiveCounters::default();
        c.admitted(&id("e1"), 3);
        c.admitted(&id("e1"), 0);
        c.admitted(&id("e2"), 1);
        let counts = c.counts();
        assert_eq!(
            counts[&id("e1")],
            Counts {
                holds: 0,
                admitted: 3
            }
        );
        assert_eq!(counts[&id("e2")].admitted, 1);
        assert_eq!(counts.len(), 2);
    }
}
