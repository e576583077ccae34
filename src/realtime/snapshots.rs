//! `join:event` snapshots from memory: a per-event cache kept current by the same changes
//! the sockets are pushed, so a flood of joins reads nothing from the database.
//!
//! # What is cached
//!
//! Per event: its ticket types (with `remainingQuantity` and `version`) and its seats (with
//! `status` and `version`), read from the database once. Every change then moves the cached
//! copy forward *by version*: a seat or ticket type is replaced only by a newer version of
//! itself. Merging by version makes every way a change can reach the cache safe to repeat
//! and to reorder: the same change applied twice, or a change older than what a database
//! read already returned, changes nothing.
//!
//! # Where changes come from
//!
//! - This instance's changes: the fan-out ([`super::fanout`]) applies each batch here
//!   *before* it emits the batch's pushes. So a socket that joins the room after a push went
//!   out reads a snapshot that already has the change; one that joined before gets the push.
//!   Either way the client (which keeps the newest version) converges.
//! - Other instances' changes (cluster mode): the local feed never carries them. Each
//!   instance publishes its batches on a Redis channel of its own
//!   (`{prefix}:inventory-changes`) through the *same* pub/sub connection as the
//!   socketioxide adapter, and before it broadcasts the batch's room messages. Every
//!   instance applies a received batch *inside* the connection's push handler, before the
//!   handler routes any later message. Redis delivers one connection's publishes in order,
//!   so on every instance the cache has a remote change before any socket can have missed
//!   its push ([`super::redis_driver`]).
//!
//! # Loads, and what can still go wrong
//!
//! - A load (cache miss) runs once per event at a time; other joiners wait for it. Changes
//!   that arrive while it runs are kept aside and merged into what it read, so a read that
//!   started before a commit cannot overwrite it.
//! - A lost message (the feed lagged, Redis restarted and the subscription came back, a
//!   buffer overflowed) marks the affected entries stale: the next join reloads.
//! - Safety net: an entry older than [`MAX_AGE`] is reloaded on its next join whatever
//!   happened, so no unnoticed loss can leave a snapshot stale for longer. While one join
//!   refreshes such an entry, the others are answered from it; an entry marked stale is
//!   never served, every join waits for its reload.
//!
//! # Cost of a join flood
//!
//! One socket sending 300 `join:event` gets its first [`super::limits`] burst served (from
//! memory: at most one database read per event per [`MAX_AGE`]), the rest acked
//! `rate_limited`, and is disconnected if it keeps going. What remains is serialization of
//! the snapshot per served join (about 60 KB for the 332-seat demo event).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::fanout::Batch;
use crate::error::Result;
use crate::ids::EventId;
use crate::inventory::{Seat, StockView, TicketType};
use crate::metrics::Metrics;
use crate::seat_status::{CompactStatus, Encoded, SeatStatusSource};

/// How long a cached snapshot is trusted without a database read.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// Changes kept aside for one running load before the entry gives up and is reloaded.
const PENDING_MAX: usize = 4096;

/// Events cached at most; past it, entries idle for a while are dropped.
const ENTRIES_MAX: usize = 1024;

/// One event's stock and seats, with versions.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub event_id: String,
    pub ticket_types: Vec<TicketType>,
    /// `None` for general-admission events.
    pub seats: Option<Vec<Seat>>,
    seat_index: HashMap<String, usize>,
    /// The compact status of `seats`, encoded on the first read after a change (cleared by
    /// [`Snapshot::merge`] when a seat moved): one encode per change window, however many
    /// read it.
    compact: OnceLock<Arc<Encoded>>,
}

/// The `join:event` ack, borrowed from a cached snapshot (serialized straight from it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotAck<'a> {
    pub ok: bool,
    pub event_id: &'a str,
    pub ticket_types: &'a [TicketType],
    pub seats: Option<&'a [Seat]>,
}

/// The compact `join:event` ack (`{eventId, seats: "compact"}`): stock, and the seats as a
/// [`CompactStatus`] instead of a list.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompactAck<'a> {
    pub ok: bool,
    pub event_id: &'a str,
    pub ticket_types: &'a [TicketType],
    pub seat_status: &'a CompactStatus,
}

impl Snapshot {
    pub fn new(event_id: String, ticket_types: Vec<TicketType>, seats: Option<Vec<Seat>>) -> Self {
        let seat_index = seats
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, s)| (s.id.as_str().to_owned(), i))
            .collect();
        Snapshot {
            event_id,
            ticket_types,
            seats,
            seat_index,
            compact: OnceLock::new(),
        }
    }

    /// The seats' compact status, encoded once per change. The cached seats are in the
    /// inventory's seat order, which is position order: index in the list == position.
    pub fn compact(&self) -> Arc<Encoded> {
        self.compact
            .get_or_init(|| {
                let mut seats: Vec<_> = self
                    .seats
                    .iter()
                    .flatten()
                    .map(|s| (s.position, s.status, s.version))
                    .collect();
                // The invariant the encoding stands on, checked where it costs one pass.
                if !seats.iter().enumerate().all(|(i, s)| s.0 == i as i64) {
                    tracing::warn!(event_id = %self.event_id, "seats not in position order");
                    seats.sort_by_key(|s| s.0);
                }
                let seats: Vec<_> = seats.into_iter().map(|(_, st, v)| (st, v)).collect();
                Arc::new(Encoded::new(CompactStatus::encode(&self.event_id, &seats)))
            })
            .clone()
    }

    /// The compact ack for a join.
    pub fn compact_ack<'a>(&'a self, encoded: &'a Encoded) -> CompactAck<'a> {
        CompactAck {
            ok: true,
            event_id: &self.event_id,
            ticket_types: &self.ticket_types,
            seat_status: &encoded.status,
        }
    }

    /// The ack for a join; without seats when the client asked for stock only.
    pub fn ack(&self, with_seats: bool) -> SnapshotAck<'_> {
        SnapshotAck {
            ok: true,
            event_id: &self.event_id,
            ticket_types: &self.ticket_types,
            seats: self.seats.as_deref().filter(|_| with_seats),
        }
    }

    /// Moves every seat and ticket type the batch names forward, if the batch is newer.
    pub fn merge(&mut self, batch: &Batch) {
        if let Some(seats) = self.seats.as_mut() {
            for (id, (status, version)) in &batch.seats {
                if let Some(seat) = self.seat_index.get(id).and_then(|&i| seats.get_mut(i)) {
                    if *version > seat.version {
                        seat.status = *status;
                        seat.version = *version;
                        self.compact = OnceLock::new();
                    }
                }
            }
        }
        for (id, (remaining, version)) in &batch.stock {
            if let Some(t) = self.ticket_types.iter_mut().find(|t| &t.id == id) {
                if *version > t.version {
                    t.remaining_quantity = *remaining;
                    t.version = *version;
                }
            }
        }
    }

    /// True when every seat and ticket type the batch names is at least that new here.
    #[cfg(test)]
    fn has(&self, batch: &Batch) -> bool {
        let mut copy = self.clone();
        copy.merge(batch);
        copy.ticket_types
            .iter()
            .map(|t| t.version)
            .eq(self.ticket_types.iter().map(|t| t.version))
            && copy.seats.iter().flatten().map(|s| s.version).eq(self
                .seats
                .iter()
                .flatten()
                .map(|s| s.version))
    }
}

struct Entry {
    snap: Option<Arc<Snapshot>>,
    loaded_at: Instant,
    /// Something may have been missed: reload on the next join.
    stale: bool,
    /// Set while a load runs: changes that arrived meanwhile, merged into its result.
    pending: Option<Vec<Arc<Batch>>>,
    /// The running load missed something (too many pending changes, or a loss was
    /// reported): its result is used once, then reloaded.
    load_missed: bool,
    /// One load at a time per event.
    load_lock: Arc<tokio::sync::Mutex<()>>,
}

impl Entry {
    fn new() -> Self {
        Entry {
            snap: None,
            loaded_at: Instant::now(),
            stale: false,
            pending: None,
            load_missed: false,
            load_lock: Arc::default(),
        }
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        self.snap
            .clone()
            .filter(|_| !self.stale && self.loaded_at.elapsed() < MAX_AGE)
    }
}

/// The per-event snapshot cache of one instance.
pub struct SnapshotCache {
    entries: Mutex<HashMap<String, Entry>>,
    metrics: Arc<Metrics>,
}

impl SnapshotCache {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        SnapshotCache {
            entries: Mutex::default(),
            metrics,
        }
    }

    /// True when the event is cached, i.e. known to exist (events are never deleted).
    pub fn knows(&self, event_id: &str) -> bool {
        self.lock().get(event_id).is_some_and(|e| e.snap.is_some())
    }

    /// The event's snapshot: from memory when fresh, else read once from the database.
    /// An unknown event is the inventory's `404 event_not_found`.
    pub async fn get(&self, stock: &StockView, event_id: &EventId) -> Result<Arc<Snapshot>> {
        let (id, event_id) = (event_id, event_id.as_str());
        let (load_lock, have) = {
            let mut entries = self.lock();
            if !entries.contains_key(event_id) {
                evict(&mut entries);
            }
            let entry = entries
                .entry(event_id.to_string())
                .or_insert_with(Entry::new);
            if let Some(snap) = entry.fresh() {
                Metrics::add(&self.metrics.snapshot_cache_hits, 1);
                return Ok(snap);
            }
            // Only an entry that is merely old may answer while another join reloads it;
            // one that may have missed a change must not.
            let usable = entry.snap.clone().filter(|_| !entry.stale);
            (entry.load_lock.clone(), usable)
        };
        let _guard = match (load_lock.clone().try_lock_owned(), have) {
            (Ok(guard), _) => guard,
            // Someone is refreshing an entry we trust: answer from it meanwhile.
            (Err(_), Some(snap)) => {
                Metrics::add(&self.metrics.snapshot_cache_hits, 1);
                return Ok(snap);
            }
            (Err(_), None) => load_lock.lock_owned().await,
        };
        {
            let mut entries = self.lock();
            let entry = entries
                .entry(event_id.to_string())
                .or_insert_with(Entry::new);
            // The load we waited for may have just filled it.
            if let Some(snap) = entry.fresh() {
                Metrics::add(&self.metrics.snapshot_cache_hits, 1);
                return Ok(snap);
            }
            entry.pending = Some(Vec::new());
            entry.load_missed = false;
        }
        Metrics::add(&self.metrics.snapshot_cache_loads, 1);
        let loaded = load(stock, id).await;
        let mut entries = self.lock();
        let entry = entries
            .entry(event_id.to_string())
            .or_insert_with(Entry::new);
        let pending = entry.pending.take().unwrap_or_default();
        let mut snap = match loaded {
            Ok(snap) => snap,
            Err(e) => {
                // An unknown event (or a failed read) leaves nothing behind: a flood of made-up
                // ids through `GET …/seat-status` must not grow the map.
                if entry.snap.is_none() {
                    entries.remove(event_id);
                }
                return Err(e);
            }
        };
        for batch in &pending {
            snap.merge(batch);
        }
        let snap = Arc::new(snap);
        entry.snap = Some(snap.clone());
        entry.loaded_at = Instant::now();
        entry.stale = std::mem::take(&mut entry.load_missed);
        Ok(snap)
    }

    /// Applies one event's batch of changes (from this instance or another).
    pub fn apply(&self, event_id: &str, batch: &Arc<Batch>) {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(event_id) else {
            // Not cached: the next join reads the database, which has it (changes are
            // published after commit).
            return;
        };
        if let Some(snap) = entry.snap.as_mut() {
            // Copies only if a join is serializing the old one right now.
            Arc::make_mut(snap).merge(batch);
        }
        if let Some(pending) = entry.pending.as_mut() {
            if pending.len() < PENDING_MAX {
                pending.push(batch.clone());
            } else {
                entry.load_missed = true;
            }
        }
    }

    /// Something may have been lost (feed lag, a pub/sub reconnect): every entry is
    /// reloaded on its next join.
    pub fn invalidate_all(&self) {
        for entry in self.lock().values_mut() {
            entry.stale = true;
            if entry.pending.is_some() {
                entry.load_missed = true;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().expect("snapshot cache lock")
    }
}

/// The cache as the HTTP edge reads it (`GET /api/events/:id/seat-status`): through the
/// [`SeatStatusSource`] trait in the application state, so the edge depends on that trait,
/// not on the Socket.IO layer, and both answer from the same entries.
pub struct SeatStatusReader {
    pub cache: Arc<SnapshotCache>,
    pub stock: StockView,
}

#[async_trait::async_trait]
impl SeatStatusSource for SeatStatusReader {
    async fn seat_status(&self, event_id: &EventId) -> Result<Arc<Encoded>> {
        Ok(self.cache.get(&self.stock, event_id).await?.compact())
    }
}

/// Past [`ENTRIES_MAX`], drops entries nobody reloaded for a while (and no load is using).
fn evict(entries: &mut HashMap<String, Entry>) {
    if entries.len() < ENTRIES_MAX {
        return;
    }
    entries.retain(|_, e| e.pending.is_some() || e.loaded_at.elapsed() < MAX_AGE);
}

async fn load(stock: &StockView, event_id: &EventId) -> Result<Snapshot> {
    let event = stock.event(event_id).await?;
    let seats = if event.has_seat_map {
        Some(stock.seats(event_id).await?)
    } else {
        None
    };
    Ok(Snapshot::new(
        event_id.to_string(),
        event.ticket_types,
        seats,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ReservationId, SeatId, TicketTypeId, UserId};
    use crate::inventory::{ChangeCause, InventoryChange, SeatChange, SeatStatus, StockChange};

    fn tt() -> TicketTypeId {
        TicketTypeId::parse("tt").unwrap()
    }

    fn seat(id: &str, status: SeatStatus, version: i64) -> Seat {
        Seat {
            id: SeatId::parse(id).unwrap(),
            section: "A".into(),
            row: "A".into(),
            number: 1,
            x: 0.0,
            y: 0.0,
            ticket_type_id: tt(),
            status,
            version,
            rank: 1,
            // "s1" is position 0, "s2" position 1.
            position: id[1..].parse::<i64>().unwrap_or(1) - 1,
        }
    }

    fn ticket_type(remaining: i64, version: i64) -> TicketType {
        TicketType {
            id: tt(),
            name: "Seat".into(),
            price: 100,
            total: 2,
            remaining_quantity: remaining,
            seated: true,
            version,
        }
    }

    fn batch(
        seat_id: &str,
        status: SeatStatus,
        version: i64,
        remaining: i64,
        tt_version: i64,
    ) -> Batch {
        let mut b = Batch::default();
        b.add(&InventoryChange {
            event_id: EventId::parse("e").unwrap(),
            reservation_id: ReservationId::parse("r").unwrap(),
            user_id: UserId::parse("u").unwrap(),
            cause: ChangeCause::Held,
            seats: vec![SeatChange {
                seat_id: SeatId::parse(seat_id).unwrap(),
                status,
                version,
            }],
            ticket_types: vec![StockChange {
                ticket_type_id: tt(),
                remaining_quantity: remaining,
                version: tt_version,
            }],
            committed_at: None,
        });
        b
    }

    fn snapshot() -> Snapshot {
        Snapshot::new(
            "e".into(),
            vec![ticket_type(2, 1)],
            Some(vec![
                seat("s1", SeatStatus::Available, 1),
                seat("s2", SeatStatus::Available, 1),
            ]),
        )
    }

    #[test]
    fn newer_versions_win_and_older_ones_change_nothing() {
        let mut s = snapshot();
        let held = batch("s1", SeatStatus::Held, 2, 1, 2);
        let released = batch("s1", SeatStatus::Available, 3, 2, 3);
        s.merge(&released);
        // The older change arrives late (another instance's, or a repeat): ignored.
        s.merge(&held);
        let seats = s.seats.as_ref().unwrap();
        assert_eq!(
            (seats[0].status, seats[0].version),
            (SeatStatus::Available, 3)
        );
        assert_eq!(
            (seats[1].status, seats[1].version),
            (SeatStatus::Available, 1)
        );
        assert_eq!(
            (
                s.ticket_types[0].remaining_quantity,
                s.ticket_types[0].version
            ),
            (2, 3)
        );
        assert!(s.has(&held) && s.has(&released));
        // Applying again is a no-op.
        let before = format!("{s:?}");
        s.merge(&released);
        assert_eq!(before, format!("{s:?}"));
    }

    #[test]
    fn stock_only_acks_leave_the_seats_out() {
        let s = snapshot();
        let v = serde_json::to_value(s.ack(false)).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["eventId"], "e");
        assert!(v["seats"].is_null());
        assert_eq!(v["ticketTypes"][0]["remainingQuantity"], 2);
        let v = serde_json::to_value(s.ack(true)).unwrap();
        assert_eq!(v["seats"][1]["id"], "s2");
        assert_eq!(v["seats"][1]["version"], 1);
    }

    #[test]
    fn the_compact_status_is_encoded_once_per_change() {
        let mut s = snapshot();
        let first = s.compact();
        assert!(Arc::ptr_eq(&first, &s.compact()), "cached until a change");
        assert_eq!(first.status.decode().unwrap(), vec![(0, 1), (0, 1)]);
        s.merge(&batch("s2", SeatStatus::Sold, 3, 1, 2));
        let after = s.compact();
        assert_eq!(after.status.decode().unwrap(), vec![(0, 1), (2, 3)]);
        assert_ne!(first.etag, after.etag);
        // An older change moves nothing: the encoding stays.
        s.merge(&batch("s2", SeatStatus::Held, 2, 1, 1));
        assert!(Arc::ptr_eq(&after, &s.compact()));
        let v = serde_json::to_value(s.compact_ack(&after)).unwrap();
        assert_eq!(v["ok"], true);
        assert!(v.get("seats").is_none());
        assert_eq!(v["seatStatus"]["seatCount"], 2);
        assert_eq!(v["ticketTypes"][0]["remainingQuantity"], 1);
    }

    #[test]
    fn changes_for_uncached_events_are_ignored_and_invalidation_marks_stale() {
        let cache = SnapshotCache::new(Arc::default());
        cache.apply("e", &Arc::new(batch("s1", SeatStatus::Held, 2, 1, 2)));
        assert!(!cache.knows("e"));
        {
            let mut entries = cache.lock();
            let mut entry = Entry::new();
            entry.snap = Some(Arc::new(snapshot()));
            entries.insert("e".into(), entry);
        }
        assert!(cache.knows("e"));
        let held = Arc::new(batch("s1", SeatStatus::Held, 2, 1, 2));
        cache.apply("e", &held);
        {
            let entries = cache.lock();
            let snap = entries["e"].fresh().expect("fresh");
            assert_eq!(snap.seats.as_ref().unwrap()[0].status, SeatStatus::Held);
        }
        cache.invalidate_all();
        assert!(cache.lock()["e"].fresh().is_none());
    }

    #[test]
    fn changes_during_a_load_are_merged_into_its_result() {
        let cache = SnapshotCache::new(Arc::default());
        {
            let mut entries = cache.lock();
            let mut entry = Entry::new();
            entry.pending = Some(Vec::new());
            entries.insert("e".into(), entry);
        }
        // A change commits while the load is reading: the load may not see it.
        cache.apply("e", &Arc::new(batch("s2", SeatStatus::Sold, 4, 0, 5)));
        let pending = cache.lock().get_mut("e").unwrap().pending.take().unwrap();
        let mut loaded = snapshot();
        for b in &pending {
            loaded.merge(b);
        }
        let seats = loaded.seats.as_ref().unwrap();
        assert_eq!((seats[1].status, seats[1].version), (SeatStatus::Sold, 4));
        assert_eq!(loaded.ticket_types[0].remaining_quantity, 0);
    }
}
