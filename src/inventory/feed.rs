//! The inventory's change feed.
//!
//! Every committed change to stock or seats is published here exactly once, after its
//! transaction commits; a rolled-back transaction publishes nothing. Consumers (the real-time
//! layer, the waiting room) subscribe and never query the database to learn what changed:
//! each message carries the new state and the new version of everything it touched.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::broadcast;

use super::model::{ReservationStatus, SeatStatus};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId, UserId};

/// What caused a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeCause {
    Held,
    Paid,
    /// A pending hold given up by its owner.
    Cancelled,
    /// A paid order cancelled (refunded).
    Refunded,
    Expired,
}

impl ChangeCause {
    /// Why a reservation's seats and stock went back: it moved to `to` (cancelled or
    /// expired), having been paid before or not.
    pub fn of_release(to: ReservationStatus, was_paid: bool) -> Self {
        match (to, was_paid) {
            (ReservationStatus::Expired, _) => ChangeCause::Expired,
            (_, true) => ChangeCause::Refunded,
            (_, false) => ChangeCause::Cancelled,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatChange {
    pub seat_id: SeatId,
    pub status: SeatStatus,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StockChange {
    pub ticket_type_id: TicketTypeId,
    pub remaining_quantity: i64,
    pub version: i64,
}

/// One committed change: one reservation moving from one state to the next.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryChange {
    pub event_id: EventId,
    pub reservation_id: ReservationId,
    pub user_id: UserId,
    pub cause: ChangeCause,
    pub seats: Vec<SeatChange>,
    pub ticket_types: Vec<StockChange>,
    /// When the change was committed (set by [`ChangeFeed::publish`], right after the
    /// commit): the real-time layer measures its push latency from here.
    #[serde(skip)]
    pub committed_at: Option<Instant>,
}

/// Called with every change as it is published (the application counts them for
/// `GET /metrics`); it must be quick.
pub type Observer = Arc<dyn Fn(&InventoryChange) + Send + Sync>;

/// A broadcast channel of [`InventoryChange`]s. A consumer that falls more than
/// `capacity` messages behind is told it lagged (tokio's `RecvError::Lagged`) and must
/// re-read a snapshot; versions let it drop anything older than what it has.
#[derive(Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<Arc<InventoryChange>>,
    observer: Option<Observer>,
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed").finish_non_exhaustive()
    }
}

impl ChangeFeed {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        ChangeFeed { tx, observer: None }
    }

    /// The same feed, with `observer` called on every change it publishes.
    pub fn observed_by(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<InventoryChange>> {
        self.tx.subscribe()
    }

    /// Called only after a commit.
    pub(crate) fn publish(&self, mut change: InventoryChange) {
        change.committed_at = Some(Instant::now());
        if let Some(observe) = &self.observer {
            observe(&change);
        }
        tracing::debug!(event_id = %change.event_id, cause = ?change.cause, seats = change.seats.len(), "inventory change");
        // No subscriber is not an error: embedded mode with no browsers open.
        let _ = self.tx.send(Arc::new(change));
    }
}
