//! Inventory: events, ticket types, seat maps and the reservations that hold them.
//!
//! The rule this module exists for: never sell a seat or a ticket twice. It is enforced in the
//! database, inside transactions that check what they change (holds and cancellations of one
//! event go in batches, one transaction per batch, each hold or cancel decided on its own:
//! [`batch`]):
//! - seats move `available -> held` only by a conditional `UPDATE … WHERE status = 'available'`
//!   (so two buyers can never both win), and a partial unique index allows a seat in at most
//!   one active reservation item;
//! - general-admission stock is a `held`/`sold` counter pair, read under its row lock and moved
//!   by one update per batch, and
//!   a `CHECK (held + sold <= total)` makes an oversell impossible even for buggy code.
//!
//! Every committed change is then published once on the [`ChangeFeed`].
//! This module knows nothing of HTTP or Socket.IO.

mod audit;
mod batch;
mod best;
mod events;
mod expiry;
pub mod feed;
pub mod figures;
mod geometry;
mod holds;
pub mod layout;
pub mod locale;
pub mod model;
mod orders;
mod settings;
mod waitlist;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::clock::Clock;
use crate::db::Db;
use crate::ids::{EventId, UserId};
use events::EventTerms;

pub use expiry::supervise_sweeper;
pub use feed::{ChangeCause, ChangeFeed, InventoryChange, SeatChange, StockChange};
pub use geometry::{
    preview as preview_seat_map, Bounds, GeoRow, GeoSection, Geometry, PublishedGeometry, SeatIds,
};
pub use locale::{Currency, TimeZone};
pub use model::*;
pub use orders::{OrdersCursor, PaidOrder};
pub use settings::supervise_settings_watcher;
pub use waitlist::{supervise_waitlist, WaitlistEntry, WaitlistOffer, MAX_ENTRIES_PER_EVENT};

/// The inventory service. Cheap to clone; every clone shares the pool and the feed.
#[derive(Clone, Debug)]
pub struct Inventory {
    db: Db,
    clock: Clock,
    feed: ChangeFeed,
    max_tickets_per_order: u32,
    /// Per-event facts a hold needs (see [`EventTerms`]), cached per instance; forgotten
    /// when an event's settings change ([`settings`]).
    terms: Arc<RwLock<HashMap<EventId, Arc<EventTerms>>>>,
    /// Settings changes: announced here, watched for from other instances.
    settings: Arc<settings::Settings>,
    /// Each event's queue of holds, run in batches ([`batch`]).
    lanes: Arc<batch::Lanes>,
    /// Each event's seat layout for best available ([`best`]), cached per instance.
    layouts: Arc<RwLock<HashMap<EventId, Arc<best::Layout>>>>,
    /// Each event's published geometry ([`geometry`]), cached per instance.
    geometries: Arc<geometry::GeometryCache>,
    /// Waitlist offers as they are made ([`waitlist`]).
    offers: tokio::sync::broadcast::Sender<Arc<WaitlistOffer>>,
}

impl Inventory {
    pub fn new(db: Db, clock: Clock, feed: ChangeFeed, max_tickets_per_order: u32) -> Self {
        let terms: Arc<RwLock<HashMap<EventId, Arc<EventTerms>>>> = Arc::default();
        Inventory {
            db,
            clock,
            feed,
            max_tickets_per_order,
            settings: Arc::new(settings::Settings::new(terms.clone())),
            terms,
            lanes: Arc::default(),
            layouts: Arc::default(),
            geometries: Arc::default(),
            offers: waitlist::offer_channel(),
        }
    }

    pub fn feed(&self) -> &ChangeFeed {
        &self.feed
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn max_tickets_per_order(&self) -> u32 {
        self.max_tickets_per_order
    }

    /// A read-only view of this inventory ([`StockView`]).
    pub fn view(&self) -> StockView {
        StockView(self.clone())
    }
}

/// What may be read of the inventory by a consumer that must change nothing (the real-time
/// layer): events and seat maps, whether an event exists, a user's pending holds. It has no
/// way to the inventory's writes.
#[derive(Clone, Debug)]
pub struct StockView(Inventory);

impl StockView {
    pub async fn event(&self, event_id: &EventId) -> crate::error::Result<Event> {
        self.0.event(event_id).await
    }

    pub async fn seats(&self, event_id: &EventId) -> crate::error::Result<Vec<Seat>> {
        self.0.seats(event_id).await
    }

    pub async fn event_exists(&self, event_id: &EventId) -> crate::error::Result<bool> {
        self.0.event_exists(event_id).await
    }

    /// As [`Inventory::settings_changes`].
    pub fn settings_changes(&self) -> tokio::sync::broadcast::Receiver<EventId> {
        self.0.settings_changes()
    }

    /// As [`Inventory::subscribe_offers`].
    pub fn subscribe_offers(&self) -> tokio::sync::broadcast::Receiver<Arc<WaitlistOffer>> {
        self.0.subscribe_offers()
    }

    pub async fn pending_reservations_of(
        &self,
        user_id: &UserId,
    ) -> crate::error::Result<Vec<Reservation>> {
        self.0.pending_reservations_of(user_id).await
    }
}

/// Runs a transactional operation again when the database reports a transient conflict
/// (a PostgreSQL deadlock or serialization failure, SQLite busy). Each attempt is a fresh
/// transaction, so a retry can never apply a change twice.
async fn with_retry<T, F, Fut>(mut op: F) -> crate::error::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<T>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if e.is_retryable() && attempt < 5 => {
                attempt += 1;
                tracing::debug!(attempt, error = %e, "retrying transaction");
                tokio::time::sleep(std::time::Duration::from_millis(2 << attempt)).await;
            }
            other => return other,
        }
    }
}
