//! Holds, payment, cancellation: the reservation life cycle
//! `pending -> paid | cancelled | expired`, `paid -> cancelled` (refund).
//!
//! Each operation is one transaction whose writes are conditional on the state it expects, so
//! concurrent requests (many buyers, or several instances on one database) can only ever
//! succeed one at a time per seat or unit of stock. The change is published after commit.
//!
//! Holding needs an [`Admitted`] proof, which only [`crate::admission::Admission::check`]
//! makes: the shopping service ([`crate::shopping`]) is the one caller.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::batch::HoldRequest;
use super::events::event_not_found;
use super::feed::{ChangeCause, InventoryChange, SeatChange, StockChange};
use super::model::*;
use super::{with_retry, Inventory};
use crate::admission::Admitted;
use crate::clock::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, ReservationId, TicketTypeId, UserId};

/// A reservation row as locked inside a transaction.
pub(super) struct ReservationHead {
    pub id: ReservationId,
    pub event_id: EventId,
    pub user_id: UserId,
    pub status: ReservationStatus,
    pub expires_at: Millis,
}

pub(super) fn reservation_not_found() -> Error {
    Error::not_found(ErrorCode::ReservationNotFound, "no such reservation")
}

pub(super) fn hold_expired() -> Error {
    Error::conflict(
        ErrorCode::HoldExpired,
        "this hold has expired; its seats and tickets were released",
    )
}

/// Which reservations [`Inventory::load_reservations`] reads: a closed set of queries, never a
/// spliced SQL fragment.
enum Which<'a> {
    One(&'a ReservationId),
    /// A user's newest 1,000 reservations.
    OfUser(&'a UserId),
}

/// The columns of a reservation and its items, joined.
macro_rules! reservation_rows {
    () => {
        "SELECT r.id, r.event_id, r.status, r.total, r.created_at, r.expires_at, \
                i.ticket_type_id, i.seat_id, i.quantity, i.price, e.currency \
         FROM reservations r JOIN reservation_items i ON i.reservation_id = r.id \
         JOIN events e ON e.id = r.event_id"
    };
}

/// `409 sales_paused` while an administrator has the event's sales paused. Paying a hold
/// made before the pause still works: a paused sale does not rob a buyer at checkout.
fn refuse_when_paused(terms: &super::events::EventTerms) -> Result<()> {
    if terms.sales_paused {
        return Err(Error::conflict(ErrorCode::SalesPaused, "Sales are paused"));
    }
    Ok(())
}

impl Inventory {
    /// Holds the given seats for the admitted user, all or none, in the event's next batch
    /// ([`super::batch`]).
    #[tracing::instrument(skip(self, seats), fields(seats = seats.ids().len()))]
    pub(crate) async fn hold_seats(
        &self,
        admitted: &Admitted,
        seats: &SeatSelection,
    ) -> Result<Reservation> {
        let (event_id, user_id) = (admitted.event(), admitted.user());
        let terms = self.terms(event_id).await?;
        refuse_when_paused(&terms)?;
        let request = HoldRequest::Seats(seats.ids().to_vec());
        self.hold_batched(event_id, user_id, request, terms).await
    }

    /// Holds `quantity` general-admission tickets of one type for the admitted user, or
    /// `409 sold_out`, in the event's next batch ([`super::batch`]).
    #[tracing::instrument(skip(self))]
    pub(crate) async fn hold_tickets(
        &self,
        admitted: &Admitted,
        ticket_type_id: &TicketTypeId,
        quantity: Quantity,
    ) -> Result<Reservation> {
        let (event_id, user_id) = (admitted.event(), admitted.user());
        let terms = self.terms(event_id).await?;
        refuse_when_paused(&terms)?;
        let price = match terms.types.get(ticket_type_id) {
            None => {
                return Err(Error::not_found(
                    ErrorCode::TicketTypeNotFound,
                    "no such ticket type for this event",
                ))
            }
            Some(t) if t.seated => {
                return Err(Error::invalid(
                    ErrorCode::SeatedTicketType,
                    "this ticket type is sold by seat; hold seats from the seat map",
                ))
            }
            Some(t) => t.price,
        };
        let request = HoldRequest::Tickets {
            ticket_type_id: ticket_type_id.clone(),
            quantity: quantity.get(),
            price,
        };
        self.hold_batched(event_id, user_id, request, terms).await
    }

    /// Simulated payment: a pending, unexpired hold of the caller's becomes `paid`, its seats
    /// `sold`.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn pay(
        &self,
        reservation_id: &ReservationId,
        user_id: &UserId,
    ) -> Result<Reservation> {
        let outcome = with_retry(|| self.try_pay(reservation_id, user_id)).await?;
        self.finish(outcome, reservation_id).await
    }

    async fn try_pay(&self, reservation_id: &ReservationId, user_id: &UserId) -> Result<Outcome> {
        let (mut tx, head, now) = match self.open(reservation_id, user_id).await? {
            Opened::Live { tx, head, now } => (tx, head, now),
            Opened::Lapsed(outcome) => return Ok(outcome),
        };
        match head.status {
            ReservationStatus::Pending => {}
            ReservationStatus::Paid => {
                return Err(Error::conflict(
                    ErrorCode::AlreadyPaid,
                    "this reservation is already paid",
                ))
            }
            ReservationStatus::Expired => return Err(hold_expired()),
            ReservationStatus::Cancelled => {
                return Err(Error::conflict(
                    ErrorCode::ReservationCancelled,
                    "this reservation was cancelled",
                ))
            }
        }
        set_status(&mut tx, &head, ReservationStatus::Paid, now).await?;
        let seats = sqlx::query(
            "UPDATE seats SET status = 'sold', version = version + 1 \
             WHERE reservation_id = $1 AND status = 'held' RETURNING id, version",
        )
        .bind(&head.id)
        .fetch_all(&mut *tx)
        .await?;
        let seats = seat_changes(&seats, SeatStatus::Sold)?;
        let mut stock = Vec::new();
        for (type_id, n) in item_quantities(&mut tx, &head.id).await? {
            stock.push(move_stock(&mut tx, &type_id, -n, n).await?);
        }
        tx.commit().await?;
        Ok(Outcome::Done(InventoryChange {
            event_id: head.event_id,
            reservation_id: head.id,
            user_id: head.user_id,
            cause: ChangeCause::Paid,
            seats,
            ticket_types: stock,
            committed_at: None,
        }))
    }

    /// Cancels a pending hold or refunds a paid order; its seats and stock come back. It goes
    /// through the event's lane with the holds ([`super::batch`]): a cancel writes the same
    /// shared counter rows a hold does.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn cancel(
        &self,
        reservation_id: &ReservationId,
        user_id: &UserId,
    ) -> Result<Reservation> {
        let event_id: EventId =
            sqlx::query_scalar("SELECT event_id FROM reservations WHERE id = $1")
                .bind(reservation_id)
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or_else(reservation_not_found)?;
        let terms = self.terms(&event_id).await?;
        self.cancel_batched(&event_id, user_id, reservation_id, terms)
            .await?;
        self.reservation(reservation_id).await
    }

    /// The start every pay and cancel shares: the caller's reservation, locked in a new
    /// transaction (`403 not_owner` if it is someone else's). A pending hold whose time is up
    /// but that the sweeper has not reached yet is released here and now, and the caller is
    /// told `hold_expired`.
    async fn open(&self, reservation_id: &ReservationId, user_id: &UserId) -> Result<Opened> {
        let now = self.clock.now_ms();
        let mut tx = self.db.begin().await?;
        let head = self.lock_reservation(&mut tx, reservation_id).await?;
        if head.user_id != *user_id {
            return Err(Error::forbidden(
                ErrorCode::NotOwner,
                "this reservation belongs to someone else",
            ));
        }
        if head.status == ReservationStatus::Pending && head.expires_at <= now {
            let change = release(&mut tx, &head, ReservationStatus::Expired, now).await?;
            tx.commit().await?;
            return Ok(Opened::Lapsed(Outcome::Refused(change, hold_expired())));
        }
        Ok(Opened::Live { tx, head, now })
    }

    /// Publishes what a pay/cancel committed, then answers with the reservation as stored.
    async fn finish(
        &self,
        outcome: Outcome,
        reservation_id: &ReservationId,
    ) -> Result<Reservation> {
        match outcome {
            Outcome::Done(change) => {
                self.feed.publish(change);
                self.reservation(reservation_id).await
            }
            Outcome::Refused(change, err) => {
                self.feed.publish(change);
                Err(err)
            }
        }
    }

    /// How many more seats and tickets of the event the customer may take: the event's
    /// `maxTicketsPerCustomer` less what they have in pending and paid reservations.
    pub async fn allowance(&self, event_id: &EventId, user_id: &UserId) -> Result<Allowance> {
        let (limit, held) = allowance_in(&self.db.pool, event_id, user_id).await?;
        Ok(Allowance {
            event_id: event_id.clone(),
            limit,
            held,
            remaining: (limit - held).max(0),
            per_order: i64::from(self.max_tickets_per_order),
        })
    }

    /// One reservation with its items (no ownership check: callers check).
    pub async fn reservation(&self, reservation_id: &ReservationId) -> Result<Reservation> {
        let mut list = self.load_reservations(Which::One(reservation_id)).await?;
        list.pop().ok_or_else(reservation_not_found)
    }

    /// The caller's reservations, newest first.
    #[tracing::instrument(skip(self))]
    pub async fn reservations_of(&self, user_id: &UserId) -> Result<Vec<Reservation>> {
        self.load_reservations(Which::OfUser(user_id)).await
    }

    /// The caller's pending (unexpired) holds: what a reconnecting client gets back.
    pub async fn pending_reservations_of(&self, user_id: &UserId) -> Result<Vec<Reservation>> {
        Ok(self
            .reservations_of(user_id)
            .await?
            .into_iter()
            .filter(|r| r.status == ReservationStatus::Pending)
            .collect())
    }

    async fn load_reservations(&self, which: Which<'_>) -> Result<Vec<Reservation>> {
        let now = self.clock.now_ms();
        let query = match which {
            Which::One(id) => sqlx::query(concat!(
                reservation_rows!(),
                " WHERE r.id = $1 ORDER BY r.created_at DESC, r.id DESC, i.position"
            ))
            .bind(id.as_str()),
            // The limit counts reservations, not joined item rows: none is cut short.
            Which::OfUser(user) => sqlx::query(concat!(
                reservation_rows!(),
                " WHERE r.id IN (SELECT id FROM reservations WHERE user_id = $1 \
                   ORDER BY created_at DESC, id DESC LIMIT 1000) \
                 ORDER BY r.created_at DESC, r.id DESC, i.position"
            ))
            .bind(user.as_str()),
        };
        let rows = query.fetch_all(&self.db.pool).await?;
        let mut out: Vec<Reservation> = Vec::new();
        for r in &rows {
            let id: ReservationId = r.try_get("id")?;
            if out.last().map(|l| l.id != id).unwrap_or(true) {
                let expires_at: Millis = r.try_get("expires_at")?;
                let mut status = ReservationStatus::parse(&r.try_get::<String, _>("status")?)?;
                // A lapsed hold the sweeper has not reached yet is already expired to the
                // user: paying it would be refused.
                if status == ReservationStatus::Pending && expires_at <= now {
                    status = ReservationStatus::Expired;
                }
                out.push(Reservation {
                    id,
                    event_id: r.try_get("event_id")?,
                    status,
                    expires_at,
                    created_at: r.try_get("created_at")?,
                    items: Vec::new(),
                    total: r.try_get("total")?,
                    currency: super::events::currency_from_row(r)?,
                });
            }
            if let Some(last) = out.last_mut() {
                last.items.push(ReservationItem {
                    seat_id: r.try_get("seat_id")?,
                    ticket_type_id: r.try_get("ticket_type_id")?,
                    quantity: r.try_get("quantity")?,
                    price: r.try_get("price")?,
                });
            }
        }
        Ok(out)
    }

    /// Reads a reservation and, on PostgreSQL, locks its row so that a concurrent pay,
    /// cancel or sweep of the same reservation waits for this transaction.
    pub(super) async fn lock_reservation(
        &self,
        tx: &mut Transaction<'static, Any>,
        reservation_id: &ReservationId,
    ) -> Result<ReservationHead> {
        let lock = if self.db.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "SELECT id, event_id, user_id, status, expires_at FROM reservations WHERE id = $1{lock}"
        ))
        .bind(reservation_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(reservation_not_found)?;
        head_from_row(&row)
    }
}

/// What a pay or cancel did: the change it committed, and whether the caller was refused
/// (a lapsed hold is released even though the request fails).
enum Outcome {
    Done(InventoryChange),
    Refused(InventoryChange, Error),
}

/// A pay or cancel, opened ([`Inventory::open`]).
enum Opened {
    /// The caller's reservation, locked: the operation goes on.
    Live {
        tx: Transaction<'static, Any>,
        head: ReservationHead,
        now: Millis,
    },
    /// The hold had lapsed: it is released (committed), and the caller is refused.
    Lapsed(Outcome),
}

pub(super) fn head_from_row(row: &AnyRow) -> Result<ReservationHead> {
    Ok(ReservationHead {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        user_id: row.try_get("user_id")?,
        status: ReservationStatus::parse(&row.try_get::<String, _>("status")?)?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Returns a reservation's seats and stock to sale and marks it `to`
/// (`cancelled` or `expired`). Exactly-once: the status update is conditional on the status
/// read, so of two concurrent releasers only one changes anything.
pub(super) async fn release(
    tx: &mut Transaction<'static, Any>,
    head: &ReservationHead,
    to: ReservationStatus,
    now: Millis,
) -> Result<InventoryChange> {
    set_status(tx, head, to, now).await?;
    let was_paid = head.status == ReservationStatus::Paid;
    let quantities = item_quantities(tx, &head.id).await?;
    // The customer's row before any seat or counter row, as in a hold: one lock order.
    return_allowance(tx, head, quantities.values().sum()).await?;
    sqlx::query("UPDATE reservation_items SET active = 0 WHERE reservation_id = $1 AND active = 1")
        .bind(&head.id)
        .execute(&mut **tx)
        .await?;
    let seats = sqlx::query(
        "UPDATE seats SET status = 'available', reservation_id = NULL, version = version + 1 \
         WHERE reservation_id = $1 RETURNING id, version",
    )
    .bind(&head.id)
    .fetch_all(&mut **tx)
    .await?;
    let seats = seat_changes(&seats, SeatStatus::Available)?;
    let mut stock = Vec::with_capacity(quantities.len());
    for (type_id, n) in quantities {
        let (held, sold) = if was_paid { (0, -n) } else { (-n, 0) };
        stock.push(move_stock(tx, &type_id, held, sold).await?);
    }
    Ok(InventoryChange {
        event_id: head.event_id.clone(),
        reservation_id: head.id.clone(),
        user_id: head.user_id.clone(),
        cause: ChangeCause::of_release(to, was_paid),
        seats,
        ticket_types: stock,
        committed_at: None,
    })
}

/// Gives a released reservation's seats and tickets back to the customer's allowance.
async fn return_allowance(
    tx: &mut Transaction<'static, Any>,
    head: &ReservationHead,
    n: i64,
) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE customer_tickets SET quantity = quantity - $1 WHERE event_id = $2 AND user_id = $3",
    )
    .bind(n)
    .bind(&head.event_id)
    .bind(&head.user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The event's per-customer limit and how many the customer has in pending and paid
/// reservations, or `404 event_not_found`.
pub(super) async fn allowance_in<'c>(
    conn: impl sqlx::Executor<'c, Database = Any>,
    event_id: &EventId,
    user_id: &UserId,
) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT e.max_tickets_per_customer AS lim, \
                COALESCE((SELECT c.quantity FROM customer_tickets c \
                          WHERE c.event_id = e.id AND c.user_id = $2), 0) AS held \
         FROM events e WHERE e.id = $1",
    )
    .bind(event_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(event_not_found)?;
    Ok((row.try_get("lim")?, row.try_get("held")?))
}

async fn set_status(
    tx: &mut Transaction<'static, Any>,
    head: &ReservationHead,
    to: ReservationStatus,
    now: Millis,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE reservations SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(&head.id)
    .bind(head.status.as_str())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        // Someone else moved it first; the caller's transaction rolls back when dropped.
        return Err(Error::conflict(
            ErrorCode::ReservationChanged,
            "this reservation changed while the request ran; reload it",
        ));
    }
    Ok(())
}

/// A new pending reservation of `items`, not yet stored.
pub(super) fn pending(
    id: &ReservationId,
    event_id: &EventId,
    now: Millis,
    terms: &super::events::EventTerms,
    items: Vec<ReservationItem>,
) -> Reservation {
    Reservation {
        id: id.clone(),
        event_id: event_id.clone(),
        status: ReservationStatus::Pending,
        expires_at: now + terms.hold_ms,
        created_at: now,
        total: items.iter().map(|i| i.price * i.quantity).sum(),
        currency: terms.currency,
        items,
    }
}

/// The change a new hold publishes.
pub(super) fn held(
    reservation: &Reservation,
    user_id: &UserId,
    seats: Vec<SeatChange>,
    ticket_types: Vec<StockChange>,
) -> InventoryChange {
    InventoryChange {
        event_id: reservation.event_id.clone(),
        reservation_id: reservation.id.clone(),
        user_id: user_id.clone(),
        cause: ChangeCause::Held,
        seats,
        ticket_types,
        committed_at: None,
    }
}

/// Moves a ticket type's counters by the given deltas and returns its new stock. The table's
/// CHECK constraints refuse any move that would oversell or go negative.
async fn move_stock(
    tx: &mut Transaction<'static, Any>,
    type_id: &TicketTypeId,
    held: i64,
    sold: i64,
) -> Result<StockChange> {
    let row = sqlx::query(
        "UPDATE ticket_types SET held = held + $1, sold = sold + $2, version = version + 1 \
         WHERE id = $3 RETURNING total - held - sold AS remaining, version",
    )
    .bind(held)
    .bind(sold)
    .bind(type_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(StockChange {
        ticket_type_id: type_id.clone(),
        remaining_quantity: row.try_get("remaining")?,
        version: row.try_get("version")?,
    })
}

/// Quantities per ticket type of a reservation's active items, in a fixed (sorted) order so
/// that counter rows are always locked in the same order.
async fn item_quantities(
    tx: &mut Transaction<'static, Any>,
    reservation_id: &ReservationId,
) -> Result<BTreeMap<TicketTypeId, i64>> {
    let rows = sqlx::query(
        "SELECT ticket_type_id, quantity FROM reservation_items WHERE reservation_id = $1 AND active = 1",
    )
    .bind(reservation_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r.try_get::<TicketTypeId, _>("ticket_type_id")?)
            .or_default() += r.try_get::<i64, _>("quantity")?;
    }
    Ok(out)
}

fn seat_changes(rows: &[AnyRow], status: SeatStatus) -> Result<Vec<SeatChange>> {
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(SeatChange {
                seat_id: r.try_get("id")?,
                status,
                version: r.try_get("version")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| a.seat_id.cmp(&b.seat_id));
    Ok(out)
}
