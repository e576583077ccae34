//! The waitlist of sold-out ticket types, and the offers made to it when stock comes back.
//!
//! A user joins the waitlist of a ticket type only while it is sold out (no unit of it on open
//! sale); one entry per type and user, in the order they joined. While a type has entries
//! *waiting* (no offer yet), its free units are withheld from open sale: the hold batch
//! ([`super::batch`]) sees none of them, in its own transaction, so units given back by a
//! cancel, a refund or an expiry are never there for whoever refreshes fastest.
//!
//! Offers ([`Inventory::offer_waiting`], run by every instance every [`OFFER_EVERY`] and at
//! once when a release comes by on the change feed): for each waitlisted type, one
//! transaction locks the type's entries (so the instances take turns per type), drops the
//! entries whose offer was paid, cancelled or lapsed, and, while units are free, makes the
//! first waiting entry a pending reservation of `min(free, wanted, allowance)` units (seated
//! types: the best-ranked free seats of the type), exactly like a hold: the seats by a
//! conditional update, the customer's count, the counter with its CHECK. The offer is an
//! ordinary pending hold: it expires after the event's `holdSeconds` and is paid with the
//! ordinary pay. After commit, each offer goes on the change feed as a hold (live stock stays
//! right) and on [`Inventory::subscribe_offers`], which the real-time layer turns into
//! `waitlist:offer` for that user's sockets only.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use tokio::sync::broadcast;

use super::events::event_not_found;
use super::feed::{ChangeCause, SeatChange, StockChange};
use super::holds::{allowance_in, held, pending};
use super::model::*;
use super::{with_retry, Inventory, InventoryChange};
use crate::db::placeholders;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId, UserId};
use crate::tasks::Supervisor;

/// How often every instance looks for units to offer (releases on its own feed also wake it).
pub const OFFER_EVERY: Duration = Duration::from_millis(250);
/// Most waitlist entries one user may have per event.
pub const MAX_ENTRIES_PER_EVENT: i64 = 10;

/// One entry of the caller's, as `GET /api/waitlist/{eventId}` shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitlistEntry {
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub quantity: i64,
    /// 1 = the next to be offered: waiting entries of the type that joined earlier, plus one.
    pub position: i64,
    /// The pending reservation offered to this entry, if any.
    pub offer: Option<Reservation>,
}

/// An offer just made, for the real-time layer: `waitlist:offer` to `user_id` only.
#[derive(Clone, Debug)]
pub struct WaitlistOffer {
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub user_id: UserId,
    pub reservation: Reservation,
}

/// The channel offers are announced on.
pub(super) fn offer_channel() -> broadcast::Sender<Arc<WaitlistOffer>> {
    broadcast::channel(1024).0
}

fn ticket_type_not_found() -> Error {
    Error::not_found(
        ErrorCode::TicketTypeNotFound,
        "no such ticket type for this event",
    )
}

/// One entry as its type's offer round reads it.
struct Locked {
    user_id: UserId,
    quantity: i64,
    offer_id: Option<ReservationId>,
}

/// An offer decided inside the round, before it is written.
struct Decided {
    user_id: UserId,
    reservation: Reservation,
}

impl Inventory {
    /// Announced offers (see [`WaitlistOffer`]).
    pub fn subscribe_offers(&self) -> broadcast::Receiver<Arc<WaitlistOffer>> {
        self.offers.subscribe()
    }

    /// Joins (or, for an entry already there, changes the quantity of) the waitlist of one
    /// ticket type. `Ok((entry, created))`.
    pub async fn join_waitlist(
        &self,
        event_id: &EventId,
        ticket_type_id: &TicketTypeId,
        user_id: &UserId,
        quantity: Quantity,
    ) -> Result<(WaitlistEntry, bool)> {
        let mut attempt = 0;
        loop {
            match with_retry(|| self.try_join(event_id, ticket_type_id, user_id, quantity.get()))
                .await
            {
                // Two joins took the same number (or one user joined twice at once): again.
                Err(Error::Duplicate) if attempt < 5 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn try_join(
        &self,
        event_id: &EventId,
        ticket_type_id: &TicketTypeId,
        user_id: &UserId,
        quantity: i64,
    ) -> Result<(WaitlistEntry, bool)> {
        let now = self.clock.now_ms();
        let mut tx = self.db.begin().await?;
        let (limit, have) = allowance_in(&mut *tx, event_id, user_id).await?;
        let row = sqlx::query(
            "SELECT total - held - sold AS remaining FROM ticket_types WHERE id = $1 AND event_id = $2",
        )
        .bind(ticket_type_id)
        .bind(event_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(ticket_type_not_found)?;
        let remaining: i64 = row.try_get("remaining")?;
        drop_finished(&mut tx, ticket_type_id, Some(user_id)).await?;
        let mine: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM waitlist_entries WHERE ticket_type_id = $1 AND user_id = $2",
        )
        .bind(ticket_type_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if quantity > limit - have {
            return Err(Error::CustomerLimit {
                limit,
                remaining: (limit - have).max(0),
            });
        }
        let created = mine.is_none();
        if let Some(_seq) = mine {
            sqlx::query(
                "UPDATE waitlist_entries SET quantity = $1 WHERE ticket_type_id = $2 AND user_id = $3",
            )
            .bind(quantity)
            .bind(ticket_type_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        } else {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM waitlist_entries WHERE ticket_type_id = $1 AND offer_id IS NULL",
            )
            .bind(ticket_type_id)
            .fetch_one(&mut *tx)
            .await?;
            // On open sale: free units nobody waits for.
            if remaining > 0 && waiting == 0 {
                return Err(Error::conflict(
                    ErrorCode::NotSoldOut,
                    "this ticket type is not sold out; hold it instead",
                ));
            }
            let entries: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM waitlist_entries WHERE event_id = $1 AND user_id = $2",
            )
            .bind(event_id)
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            if entries >= MAX_ENTRIES_PER_EVENT {
                return Err(Error::conflict(
                    ErrorCode::TooManyWaitlists,
                    format!("at most {MAX_ENTRIES_PER_EVENT} waitlists per event"),
                ));
            }
            sqlx::query(
                "INSERT INTO waitlist_entries (event_id, ticket_type_id, user_id, quantity, seq, joined_at) \
                 VALUES ($1, $2, $3, $4, \
                   (SELECT COALESCE(MAX(seq), 0) + 1 FROM waitlist_entries WHERE ticket_type_id = $2), $5)",
            )
            .bind(event_id)
            .bind(ticket_type_id)
            .bind(user_id)
            .bind(quantity)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let entry = self
            .waitlist_of(event_id, user_id)
            .await?
            .into_iter()
            .find(|e| e.ticket_type_id == *ticket_type_id)
            .ok_or_else(|| anyhow::anyhow!("a waitlist entry vanished after its join"))?;
        Ok((entry, created))
    }

    /// Leaves the waitlist of one type (nothing if not on it). A pending offer stays the
    /// user's hold: it is theirs to pay or cancel.
    pub async fn leave_waitlist(
        &self,
        event_id: &EventId,
        ticket_type_id: &TicketTypeId,
        user_id: &UserId,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM waitlist_entries WHERE event_id = $1 AND ticket_type_id = $2 AND user_id = $3",
        )
        .bind(event_id)
        .bind(ticket_type_id)
        .bind(user_id)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The user's entries for the event, by ticket type, each with its place and its pending
    /// offer. An entry whose offer was paid, cancelled or lapsed is over and not shown.
    pub async fn waitlist_of(
        &self,
        event_id: &EventId,
        user_id: &UserId,
    ) -> Result<Vec<WaitlistEntry>> {
        if !self.event_exists(event_id).await? {
            return Err(event_not_found());
        }
        let rows = sqlx::query(
            "SELECT e.ticket_type_id, e.quantity, e.offer_id, \
                    (SELECT COUNT(*) FROM waitlist_entries o WHERE o.ticket_type_id = e.ticket_type_id \
                       AND o.offer_id IS NULL AND o.seq < e.seq) + 1 AS position \
             FROM waitlist_entries e WHERE e.event_id = $1 AND e.user_id = $2 \
             ORDER BY e.ticket_type_id",
        )
        .bind(event_id)
        .bind(user_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let offer_id: Option<ReservationId> = row.try_get("offer_id")?;
            let offer = match offer_id {
                None => None,
                Some(id) => match self.reservation(&id).await {
                    Ok(r) if r.status == ReservationStatus::Pending => Some(r),
                    Ok(_) => continue,
                    Err(e) if e.code() == ErrorCode::ReservationNotFound => continue,
                    Err(e) => return Err(e),
                },
            };
            out.push(WaitlistEntry {
                event_id: event_id.clone(),
                ticket_type_id: row.try_get("ticket_type_id")?,
                quantity: row.try_get("quantity")?,
                position: row.try_get("position")?,
                offer,
            });
        }
        Ok(out)
    }

    /// Offers free units of every waitlisted type to the first waiting users; returns how many
    /// offers this call made. Safe on any number of instances at once.
    pub async fn offer_waiting(&self) -> Result<usize> {
        // Only the types with something to do (free units, or an offer that is over): a
        // read without locks, so idle waitlists cost one query per round.
        let types: Vec<(EventId, TicketTypeId)> = sqlx::query(
            "SELECT DISTINCT e.event_id, e.ticket_type_id FROM waitlist_entries e \
             JOIN ticket_types t ON t.id = e.ticket_type_id \
             WHERE t.total - t.held - t.sold > 0 \
                OR (e.offer_id IS NOT NULL AND NOT EXISTS \
                    (SELECT 1 FROM reservations r WHERE r.id = e.offer_id AND r.status = 'pending')) \
             ORDER BY e.ticket_type_id",
        )
        .fetch_all(&self.db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("event_id")?, r.try_get("ticket_type_id")?)))
        .collect::<Result<_>>()?;
        let mut made = 0;
        for (event_id, type_id) in types {
            let terms = self.terms(&event_id).await?;
            if terms.sales_paused {
                continue;
            }
            let offers = with_retry(|| self.offer_round(&event_id, &type_id, &terms)).await?;
            made += offers.len();
            for (offer, change) in offers {
                self.feed.publish(change);
                let _ = self.offers.send(Arc::new(offer));
            }
        }
        Ok(made)
    }

    // One transaction, in the hold batch's lock order after the entries: customers, seats,
    // the counter last.
    async fn offer_round(
        &self,
        event_id: &EventId,
        type_id: &TicketTypeId,
        terms: &super::events::EventTerms,
    ) -> Result<Vec<(WaitlistOffer, InventoryChange)>> {
        let now = self.clock.now_ms();
        let lock = if self.db.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        let mut tx = self.db.begin().await?;
        // The type's entries, locked: the instances take turns per type.
        let rows = sqlx::query(&format!(
            "SELECT user_id, quantity, offer_id FROM waitlist_entries WHERE ticket_type_id = $1 \
             ORDER BY seq{lock}"
        ))
        .bind(type_id)
        .fetch_all(&mut *tx)
        .await?;
        let entries: Vec<Locked> = rows
            .iter()
            .map(|r| {
                Ok(Locked {
                    user_id: r.try_get("user_id")?,
                    quantity: r.try_get("quantity")?,
                    offer_id: r.try_get("offer_id")?,
                })
            })
            .collect::<Result<_>>()?;
        let dropped = drop_finished(&mut tx, type_id, None).await?;
        let row = sqlx::query(
            "SELECT seated, price, total - held - sold AS free FROM ticket_types WHERE id = $1",
        )
        .bind(type_id)
        .fetch_one(&mut *tx)
        .await?;
        let (seated, price, mut free): (bool, i64, i64) = (
            row.try_get::<i64, _>("seated")? != 0,
            row.try_get("price")?,
            row.try_get("free")?,
        );
        let waiting: Vec<&Locked> = entries
            .iter()
            .filter(|e| e.offer_id.is_none())
            .take(free.max(0) as usize)
            .collect();
        if waiting.is_empty() {
            if dropped > 0 {
                tx.commit().await?;
            }
            return Ok(Vec::new());
        }
        let (limit, _) = allowance_in(&mut *tx, event_id, &waiting[0].user_id).await?;
        let users: BTreeSet<&UserId> = waiting.iter().map(|e| &e.user_id).collect();
        let counts = lock_customers(&mut tx, event_id, &users, lock).await?;

        // Decide: each waiting entry in order takes what it can.
        let mut decided: Vec<(&Locked, i64)> = Vec::new();
        let mut gone: Vec<&UserId> = Vec::new();
        for e in waiting {
            if free <= 0 {
                break;
            }
            let allowance = limit - counts.get(&e.user_id).copied().unwrap_or(0);
            let n = free.min(e.quantity).min(allowance);
            if n <= 0 {
                // Can take none (at the per-customer limit): leaves the list.
                gone.push(&e.user_id);
                continue;
            }
            free -= n;
            decided.push((e, n));
        }
        if !gone.is_empty() {
            for user in &gone {
                sqlx::query(
                    "DELETE FROM waitlist_entries WHERE ticket_type_id = $1 AND user_id = $2",
                )
                .bind(type_id)
                .bind(*user)
                .execute(&mut *tx)
                .await?;
            }
        }
        if decided.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }

        // Seats for seated types: free seats of the type in seat order, taken conditionally.
        let total: i64 = decided.iter().map(|(_, n)| n).sum();
        let mut seat_versions: BTreeMap<SeatId, i64> = BTreeMap::new();
        let mut seat_queue: Vec<SeatId> = Vec::new();
        if seated {
            seat_queue = sqlx::query_scalar(
                "SELECT id FROM seats WHERE ticket_type_id = $1 AND status = 'available' \
                 ORDER BY seat_rank, section, row_label, number LIMIT $2",
            )
            .bind(type_id)
            .bind(total)
            .fetch_all(&mut *tx)
            .await?;
            if (seat_queue.len() as i64) < total {
                return Err(Error::Contention(anyhow::anyhow!(
                    "free seats and the counter disagree for a moment"
                )));
            }
        }
        let mut offers: Vec<Decided> = Vec::with_capacity(decided.len());
        let mut next_seat = seat_queue.iter();
        for (e, n) in &decided {
            let items = if seated {
                (0..*n)
                    .filter_map(|_| next_seat.next())
                    .map(|seat| ReservationItem {
                        seat_id: Some(seat.clone()),
                        ticket_type_id: type_id.clone(),
                        quantity: 1,
                        price,
                    })
                    .collect()
            } else {
                vec![ReservationItem {
                    seat_id: None,
                    ticket_type_id: type_id.clone(),
                    quantity: *n,
                    price,
                }]
            };
            offers.push(Decided {
                user_id: e.user_id.clone(),
                reservation: pending(&ReservationId::generate(), event_id, now, terms, items),
            });
        }

        // Writes: seats, reservations and items, entries, customers, the counter last.
        for o in &offers {
            for item in &o.reservation.items {
                let Some(seat) = &item.seat_id else { continue };
                let row = sqlx::query(
                    "UPDATE seats SET status = 'held', reservation_id = $1, version = version + 1 \
                     WHERE id = $2 AND status = 'available' RETURNING version",
                )
                .bind(&o.reservation.id)
                .bind(seat)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err(Error::Contention(anyhow::anyhow!(
                        "a free seat was taken during an offer round"
                    )));
                };
                seat_versions.insert(seat.clone(), row.try_get("version")?);
            }
            sqlx::query(
                "INSERT INTO reservations (id, event_id, user_id, status, total, created_at, expires_at, updated_at) \
                 VALUES ($1, $2, $3, 'pending', $4, $5, $6, $5)",
            )
            .bind(&o.reservation.id)
            .bind(event_id)
            .bind(&o.user_id)
            .bind(o.reservation.total)
            .bind(o.reservation.created_at)
            .bind(o.reservation.expires_at)
            .execute(&mut *tx)
            .await?;
            for (i, item) in o.reservation.items.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO reservation_items (reservation_id, position, ticket_type_id, seat_id, quantity, price) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&o.reservation.id)
                .bind(i as i64)
                .bind(&item.ticket_type_id)
                .bind(&item.seat_id)
                .bind(item.quantity)
                .bind(item.price)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE waitlist_entries SET offer_id = $1 WHERE ticket_type_id = $2 AND user_id = $3",
            )
            .bind(&o.reservation.id)
            .bind(type_id)
            .bind(&o.user_id)
            .execute(&mut *tx)
            .await?;
            let n: i64 = o.reservation.items.iter().map(|i| i.quantity).sum();
            sqlx::query(
                "UPDATE customer_tickets SET quantity = quantity + $1 WHERE event_id = $2 AND user_id = $3",
            )
            .bind(n)
            .bind(event_id)
            .bind(&o.user_id)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(
            "UPDATE ticket_types SET held = held + $1, version = version + $2 \
             WHERE id = $3 RETURNING total - held - sold AS remaining, version",
        )
        .bind(total)
        .bind(offers.len() as i64)
        .bind(type_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;

        // Each offer's change, with the counter as it stood right after it.
        let (remaining, version): (i64, i64) = (row.try_get("remaining")?, row.try_get("version")?);
        let (mut remaining, mut version) = (remaining + total, version - offers.len() as i64);
        let mut out = Vec::with_capacity(offers.len());
        for o in offers {
            let n: i64 = o.reservation.items.iter().map(|i| i.quantity).sum();
            remaining -= n;
            version += 1;
            let seats = o
                .reservation
                .items
                .iter()
                .filter_map(|i| i.seat_id.as_ref())
                .map(|s| SeatChange {
                    seat_id: s.clone(),
                    status: SeatStatus::Held,
                    version: seat_versions.get(s).copied().unwrap_or_default(),
                })
                .collect();
            let stock = vec![StockChange {
                ticket_type_id: type_id.clone(),
                remaining_quantity: remaining,
                version,
            }];
            let change = held(&o.reservation, &o.user_id, seats, stock);
            debug_assert_eq!(change.cause, ChangeCause::Held);
            out.push((
                WaitlistOffer {
                    event_id: event_id.clone(),
                    ticket_type_id: type_id.clone(),
                    user_id: o.user_id,
                    reservation: o.reservation,
                },
                change,
            ));
        }
        tracing::info!(offers = out.len(), ticket_type = %type_id, "waitlist offers made");
        Ok(out)
    }
}

/// The ticket types of the event with people waiting (entries without an offer): their free
/// units are not on open sale. One indexed query per hold batch.
pub(super) async fn withheld_types(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
) -> Result<HashSet<TicketTypeId>> {
    let ids: Vec<TicketTypeId> = sqlx::query_scalar(
        "SELECT DISTINCT ticket_type_id FROM waitlist_entries WHERE event_id = $1 AND offer_id IS NULL",
    )
    .bind(event_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids.into_iter().collect())
}

/// Removes the type's entries (or one user's) whose offer is over: paid, cancelled or lapsed.
async fn drop_finished(
    tx: &mut Transaction<'static, Any>,
    type_id: &TicketTypeId,
    user_id: Option<&UserId>,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM waitlist_entries WHERE ticket_type_id = $1 AND ($2 IS NULL OR user_id = $2) \
         AND offer_id IS NOT NULL \
         AND offer_id NOT IN (SELECT id FROM reservations WHERE status = 'pending')",
    )
    .bind(type_id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Makes sure each customer has a row for the event, then locks those rows in user order and
/// returns their counts (as the hold batch does).
async fn lock_customers(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    users: &BTreeSet<&UserId>,
    lock: &str,
) -> Result<BTreeMap<UserId, i64>> {
    let users: Vec<&UserId> = users.iter().copied().collect();
    for u in &users {
        sqlx::query(
            "INSERT INTO customer_tickets (event_id, user_id, quantity) VALUES ($1, $2, 0) \
             ON CONFLICT (event_id, user_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(*u)
        .execute(&mut **tx)
        .await?;
    }
    let sql = format!(
        "SELECT user_id, quantity FROM customer_tickets WHERE event_id = $1 AND user_id IN ({}) \
         ORDER BY user_id{lock}",
        placeholders(1, users.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for u in &users {
        q = q.bind(*u);
    }
    let mut out = BTreeMap::new();
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(r.try_get("user_id")?, r.try_get("quantity")?);
    }
    Ok(out)
}

/// Every instance: offers every [`OFFER_EVERY`], and at once when a release (cancel, refund,
/// expiry) passes on this instance's change feed.
pub fn supervise_waitlist(inventory: Inventory, tasks: &mut Supervisor) {
    tasks.keep("waitlist offers", move |token| {
        let inventory = inventory.clone();
        async move {
            let mut feed = inventory.feed.subscribe();
            let mut tick = tokio::time::interval(OFFER_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tick.tick() => {}
                    change = feed.recv() => match change {
                        Ok(c) if c.cause == ChangeCause::Held || c.cause == ChangeCause::Paid => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                        _ => {}
                    },
                }
                if let Err(e) = inventory.offer_waiting().await {
                    tracing::warn!(error = %e, "waitlist offers failed; will retry");
                }
            }
        }
    });
}
