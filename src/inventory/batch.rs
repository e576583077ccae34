//! Batched holds: every hold of one event goes through that event's *lane*, which runs the
//! holds that arrive together as one transaction.
//!
//! Why: each hold writes its ticket type's `held` counter, a row every hold of the event
//! shares. One transaction per hold means one row lock held across one commit (a WAL flush)
//! per hold, so an event's holds ran one commit at a time: about 340 holds/s on PostgreSQL,
//! whatever the pool size. A batch takes that lock, and pays for that commit, once for all of
//! its holds, and needs a fixed number of statements however many holds it carries.
//!
//! How: the first hold that finds its lane idle starts a drain task at once (a lone hold does
//! not wait for a window); holds that arrive while a batch is in its transaction queue up and
//! go together in the next one (at most [`MAX_BATCH_HOLDS`] holds or [`MAX_BATCH_ITEMS`]
//! seats and tickets). The drain task is spawned, so a caller that goes away never cuts the
//! batch short for the others.
//!
//! Each hold is still all or nothing, and decided by the same rules in the same order as
//! before: the transaction locks the batch's customers' rows (per-customer limit), then the
//! requested seats, then the general-admission counters, in a fixed order; then decides every
//! hold in memory, in arrival order, against what it locked plus what the earlier holds of the
//! batch took; then writes only the winners, one statement per table, and each touched counter
//! row once, last before COMMIT. A hold refused by a rule gets its own error (`customer_limit`,
//! `seat_unavailable` naming its seats, `seat_not_found`, `sold_out`) and the others go on; a
//! failure of the transaction itself (the database erring or unreachable) fails every hold of
//! that batch, and only those. Database constraints still refuse any oversell.
//!
//! After COMMIT each won hold is published on the change feed as its own
//! [`InventoryChange`], in batch order, each with the counter state and version as they stood
//! right after that hold (the batch moves a counter's version by one per hold, as one
//! transaction per hold did).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use sqlx::{Any, Row, Transaction};
use tokio::sync::oneshot;

use super::events::{event_not_found, EventTerms};
use super::feed::{InventoryChange, SeatChange, StockChange};
use super::holds::{held, pending};
use super::model::*;
use super::{with_retry, Inventory};
use crate::db::placeholders;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId, UserId};

/// Most holds in one batch.
pub(super) const MAX_BATCH_HOLDS: usize = 64;
/// Most seats and tickets in one batch (after the first hold): keeps every statement's
/// parameter count far below SQLite's and PostgreSQL's limits.
pub(super) const MAX_BATCH_ITEMS: usize = 1000;

/// What one hold asks for.
#[derive(Clone, Debug)]
pub(super) enum HoldRequest {
    /// These seats (sorted, distinct), all or none.
    Seats(Vec<SeatId>),
    /// `quantity` tickets of one general-admission type at `price`.
    Tickets {
        ticket_type_id: TicketTypeId,
        quantity: i64,
        price: i64,
    },
}

impl HoldRequest {
    fn count(&self) -> i64 {
        match self {
            HoldRequest::Seats(ids) => ids.len() as i64,
            HoldRequest::Tickets { quantity, .. } => *quantity,
        }
    }
}

/// One queued hold and the way back to its caller.
struct Job {
    user_id: UserId,
    request: HoldRequest,
    reply: oneshot::Sender<Result<Reservation>>,
}

/// A hold as the batch transaction sees it.
struct Wanted {
    reservation_id: ReservationId,
    user_id: UserId,
    request: HoldRequest,
}

/// The lanes of every event this instance has held for.
#[derive(Debug, Default)]
pub(super) struct Lanes(Mutex<HashMap<EventId, Arc<Lane>>>);

#[derive(Default)]
pub(super) struct Lane(Mutex<LaneState>);

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct LaneState {
    jobs: VecDeque<Job>,
    /// A drain task is running for this lane.
    draining: bool,
}

impl Lanes {
    fn lane(&self, event_id: &EventId) -> Arc<Lane> {
        self.0
            .lock()
            .expect("lanes lock")
            .entry(event_id.clone())
            .or_default()
            .clone()
    }
}

/// Marks a lane idle if its drain task ends without doing so (a panic), so the next hold
/// starts a new one instead of waiting forever.
struct DrainGuard(Option<Arc<Lane>>);

impl Drop for DrainGuard {
    fn drop(&mut self) {
        if let Some(lane) = self.0.take() {
            if let Ok(mut s) = lane.0.lock() {
                s.draining = false;
            }
        }
    }
}

impl Inventory {
    /// Queues a hold on its event's lane and waits for its batch's answer.
    pub(super) async fn hold_batched(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        request: HoldRequest,
        terms: Arc<EventTerms>,
    ) -> Result<Reservation> {
        let (reply, answer) = oneshot::channel();
        let lane = self.lanes.lane(event_id);
        let start = {
            let mut s = lane.0.lock().expect("lane lock");
            s.jobs.push_back(Job {
                user_id: user_id.clone(),
                request,
                reply,
            });
            !std::mem::replace(&mut s.draining, true)
        };
        if start {
            let (inventory, event_id) = (self.clone(), event_id.clone());
            tokio::spawn(async move { inventory.drain(event_id, lane, terms).await });
        }
        answer
            .await
            .map_err(|_| anyhow::anyhow!("a hold batch ended without answering").into())
            .and_then(|r| r)
    }

    /// Runs batches until the lane is empty.
    async fn drain(&self, event_id: EventId, lane: Arc<Lane>, terms: Arc<EventTerms>) {
        let mut guard = DrainGuard(Some(lane.clone()));
        loop {
            let jobs = {
                let mut s = lane.0.lock().expect("lane lock");
                if s.jobs.is_empty() {
                    s.draining = false;
                    guard.0 = None;
                    return;
                }
                take_batch(&mut s.jobs)
            };
            self.run_batch(&event_id, &terms, jobs).await;
        }
    }

    /// One batch: one transaction (again from the start on a transient conflict), then the
    /// feed, then the answers.
    async fn run_batch(&self, event_id: &EventId, terms: &EventTerms, jobs: Vec<Job>) {
        let mut wanted = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            wanted.push(Wanted {
                reservation_id: ReservationId::generate(),
                user_id: job.user_id,
                request: job.request,
            });
            replies.push(job.reply);
        }
        let size = wanted.len();
        match with_retry(|| self.try_hold_batch(event_id, terms, &wanted)).await {
            Ok(outcomes) => {
                let mut answers = Vec::with_capacity(size);
                for outcome in outcomes {
                    answers.push(outcome.map(|(reservation, change)| {
                        self.feed.publish(change);
                        reservation
                    }));
                }
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, holds = size, "hold batch failed");
                for reply in replies {
                    let _ = reply.send(Err(e.for_another_caller()));
                }
            }
        }
    }

    // Over 80 lines on purpose, like `try_hold_seats` was: one transaction, read top to bottom
    // in the order it takes its locks (customers, seats, general-admission counters), decides,
    // and writes (seats, reservations, items, customers, counters last).
    async fn try_hold_batch(
        &self,
        event_id: &EventId,
        terms: &EventTerms,
        wanted: &[Wanted],
    ) -> Result<Vec<Result<(Reservation, InventoryChange)>>> {
        let now = self.clock.now_ms();
        let lock = if self.db.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        let mut tx = self.db.begin().await?;
        let limit: Option<i64> =
            sqlx::query_scalar("SELECT max_tickets_per_customer FROM events WHERE id = $1")
                .bind(event_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(limit) = limit else {
            return Ok(wanted.iter().map(|_| Err(event_not_found())).collect());
        };
        let users: BTreeSet<&UserId> = wanted.iter().map(|w| &w.user_id).collect();
        let mut counts = lock_customers(&mut tx, event_id, &users, lock).await?;
        let seat_ids: BTreeSet<&SeatId> = wanted
            .iter()
            .flat_map(|w| match &w.request {
                HoldRequest::Seats(ids) => ids.as_slice(),
                HoldRequest::Tickets { .. } => &[],
            })
            .collect();
        let seats = lock_seats(&mut tx, event_id, &seat_ids, lock).await?;
        let ga_types: BTreeSet<&TicketTypeId> = wanted
            .iter()
            .filter_map(|w| match &w.request {
                HoldRequest::Tickets { ticket_type_id, .. } => Some(ticket_type_id),
                HoldRequest::Seats(_) => None,
            })
            .collect();
        let mut stock = lock_stock(&mut tx, event_id, &ga_types, lock).await?;

        // Every hold decided in arrival order against the locked state and the batch so far.
        let mut taken: HashSet<&SeatId> = HashSet::new();
        let mut decided: Vec<Result<Vec<ReservationItem>>> = Vec::with_capacity(wanted.len());
        for w in wanted {
            let n = w.request.count();
            let have = counts.get(&w.user_id).copied().unwrap_or(0);
            if have + n > limit {
                decided.push(Err(Error::CustomerLimit {
                    limit,
                    remaining: (limit - have).max(0),
                }));
                continue;
            }
            let items = match &w.request {
                HoldRequest::Seats(ids) => decide_seats(ids, &seats, &taken, terms),
                HoldRequest::Tickets {
                    ticket_type_id,
                    quantity,
                    price,
                } => decide_tickets(ticket_type_id, *quantity, *price, &mut stock),
            };
            if let (Ok(_), HoldRequest::Seats(ids)) = (&items, &w.request) {
                taken.extend(ids.iter());
            }
            if items.is_ok() {
                *counts.entry(w.user_id.clone()).or_default() += n;
            }
            decided.push(items);
        }

        // The winners' writes, one statement per table.
        let winners: Vec<(&Wanted, Reservation)> = wanted
            .iter()
            .zip(decided.iter())
            .filter_map(|(w, d)| {
                let items = d.as_ref().ok()?.clone();
                Some((
                    w,
                    pending(&w.reservation_id, event_id, now, terms.hold_ms, items),
                ))
            })
            .collect();
        let mut seat_versions = take_seats(&mut tx, event_id, &winners).await?;
        insert_reservations(&mut tx, &winners).await?;
        insert_items(&mut tx, &winners).await?;
        add_to_customers(&mut tx, event_id, &winners).await?;
        let mut counters = move_counters(&mut tx, &winners).await?;
        tx.commit().await?;

        // The answers and changes, in arrival order.
        let mut won = winners.into_iter();
        let mut out = Vec::with_capacity(wanted.len());
        for d in decided {
            out.push(match d {
                Err(e) => Err(e),
                Ok(_) => {
                    let (w, reservation) = won.next().ok_or_else(|| {
                        Error::from(anyhow::anyhow!("a batch lost track of a winner"))
                    })?;
                    let change = change_of(&reservation, w, &mut seat_versions, &mut counters)?;
                    Ok((reservation, change))
                }
            });
        }
        Ok(out)
    }
}

/// The next batch off the queue: at least one hold, then more while they fit.
fn take_batch(queue: &mut VecDeque<Job>) -> Vec<Job> {
    let mut batch = Vec::new();
    let mut items = 0usize;
    while let Some(job) = queue.front() {
        let n = job.request.count().max(0) as usize;
        if !batch.is_empty() && (batch.len() >= MAX_BATCH_HOLDS || items + n > MAX_BATCH_ITEMS) {
            break;
        }
        items += n;
        batch.extend(queue.pop_front());
    }
    batch
}

fn decide_seats(
    ids: &[SeatId],
    seats: &HashMap<SeatId, LockedSeat>,
    taken: &HashSet<&SeatId>,
    terms: &EventTerms,
) -> Result<Vec<ReservationItem>> {
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !seats.contains_key(*id))
        .map(|id| id.to_string())
        .collect();
    let missed: Vec<&SeatId> = ids
        .iter()
        .filter(|id| seats.get(*id).is_none_or(|s| !s.available) || taken.contains(id))
        .collect();
    if !missed.is_empty() {
        return Err(if unknown.is_empty() {
            Error::SeatUnavailable {
                seat_ids: missed.into_iter().map(|id| id.to_string()).collect(),
            }
        } else {
            Error::UnknownSeats { seat_ids: unknown }
        });
    }
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let type_id = &seats[id].ticket_type_id;
        let price = terms
            .types
            .get(type_id)
            .ok_or_else(|| anyhow::anyhow!("seat without a ticket type"))?
            .price;
        items.push(ReservationItem {
            seat_id: Some(id.clone()),
            ticket_type_id: type_id.clone(),
            quantity: 1,
            price,
        });
    }
    Ok(items)
}

fn decide_tickets(
    type_id: &TicketTypeId,
    quantity: i64,
    price: i64,
    stock: &mut HashMap<TicketTypeId, i64>,
) -> Result<Vec<ReservationItem>> {
    match stock.get_mut(type_id) {
        Some(left) if *left >= quantity => {
            *left -= quantity;
            Ok(vec![ReservationItem {
                seat_id: None,
                ticket_type_id: type_id.clone(),
                quantity,
                price,
            }])
        }
        _ => Err(Error::conflict(
            ErrorCode::SoldOut,
            "not enough tickets of this type are left",
        )),
    }
}

/// Makes sure every customer of the batch has a row for the event, then locks those rows
/// (in user order) and returns their counts.
async fn lock_customers(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    users: &BTreeSet<&UserId>,
    lock: &str,
) -> Result<HashMap<UserId, i64>> {
    let values = (0..users.len())
        .map(|i| format!("($1, ${}, 0)", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO customer_tickets (event_id, user_id, quantity) VALUES {values} \
         ON CONFLICT (event_id, user_id) DO NOTHING"
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for u in users {
        q = q.bind(*u);
    }
    q.execute(&mut **tx).await?;
    let sql = format!(
        "SELECT user_id, quantity FROM customer_tickets WHERE event_id = $1 AND user_id IN ({}) \
         ORDER BY user_id{lock}",
        placeholders(1, users.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for u in users {
        q = q.bind(*u);
    }
    let mut out = HashMap::with_capacity(users.len());
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(r.try_get("user_id")?, r.try_get("quantity")?);
    }
    Ok(out)
}

struct LockedSeat {
    available: bool,
    ticket_type_id: TicketTypeId,
}

/// Locks the requested seats of the event (in id order) and reads their state.
async fn lock_seats(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    ids: &BTreeSet<&SeatId>,
    lock: &str,
) -> Result<HashMap<SeatId, LockedSeat>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, status, ticket_type_id FROM seats WHERE event_id = $1 AND id IN ({}) \
         ORDER BY id{lock}",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for id in ids {
        q = q.bind(*id);
    }
    let mut out = HashMap::with_capacity(ids.len());
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(
            r.try_get("id")?,
            LockedSeat {
                available: r.try_get::<String, _>("status")? == "available",
                ticket_type_id: r.try_get("ticket_type_id")?,
            },
        );
    }
    Ok(out)
}

/// Locks the general-admission counters the batch asks of (in id order) and reads what is
/// left of each. A type of another event, or a seated one, is not read: holds of it are
/// refused as sold out (the caller checked both before queueing).
async fn lock_stock(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    types: &BTreeSet<&TicketTypeId>,
    lock: &str,
) -> Result<HashMap<TicketTypeId, i64>> {
    if types.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, total - held - sold AS remaining FROM ticket_types \
         WHERE event_id = $1 AND seated = 0 AND id IN ({}) ORDER BY id{lock}",
        placeholders(1, types.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for t in types {
        q = q.bind(*t);
    }
    let mut out = HashMap::with_capacity(types.len());
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(r.try_get("id")?, r.try_get("remaining")?);
    }
    Ok(out)
}

/// Marks the winners' seats held, one statement; returns each seat's new version.
async fn take_seats(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    winners: &[(&Wanted, Reservation)],
) -> Result<HashMap<SeatId, i64>> {
    let seats: Vec<(&SeatId, &ReservationId)> = winners
        .iter()
        .flat_map(|(_, r)| {
            r.items
                .iter()
                .filter_map(|i| i.seat_id.as_ref().map(|s| (s, &r.id)))
        })
        .collect();
    if seats.is_empty() {
        return Ok(HashMap::new());
    }
    let n = seats.len();
    let cases = (0..n)
        .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(" ");
    let sql = format!(
        "UPDATE seats SET status = 'held', reservation_id = CASE id {cases} END, \
         version = version + 1 \
         WHERE event_id = $1 AND status = 'available' AND id IN ({}) RETURNING id, version",
        placeholders(1 + 2 * n, n)
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for (seat, reservation) in &seats {
        q = q.bind(*seat).bind(*reservation);
    }
    for (seat, _) in &seats {
        q = q.bind(*seat);
    }
    let rows = q.fetch_all(&mut **tx).await?;
    if rows.len() != n {
        // Cannot happen while the seats are locked (or SQLite runs one writer): refuse the
        // whole batch rather than publish a hold the database does not have.
        return Err(anyhow::anyhow!("a locked seat changed inside a hold batch").into());
    }
    let mut out = HashMap::with_capacity(n);
    for r in rows {
        out.insert(r.try_get("id")?, r.try_get("version")?);
    }
    Ok(out)
}

async fn insert_reservations(
    tx: &mut Transaction<'static, Any>,
    winners: &[(&Wanted, Reservation)],
) -> Result<()> {
    if winners.is_empty() {
        return Ok(());
    }
    let values = (0..winners.len())
        .map(|i| {
            let b = i * 6;
            format!(
                "(${}, ${}, ${}, 'pending', ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 5
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO reservations (id, event_id, user_id, status, total, created_at, expires_at, updated_at) \
         VALUES {values}"
    );
    let mut q = sqlx::query(&sql);
    for (w, r) in winners {
        q = q
            .bind(&r.id)
            .bind(&r.event_id)
            .bind(&w.user_id)
            .bind(r.total)
            .bind(r.created_at)
            .bind(r.expires_at);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_items(
    tx: &mut Transaction<'static, Any>,
    winners: &[(&Wanted, Reservation)],
) -> Result<()> {
    let rows: Vec<(&ReservationId, usize, &ReservationItem)> = winners
        .iter()
        .flat_map(|(_, r)| r.items.iter().enumerate().map(|(i, item)| (&r.id, i, item)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let values = (0..rows.len())
        .map(|i| format!("({})", placeholders(i * 6, 6)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO reservation_items (reservation_id, position, ticket_type_id, seat_id, quantity, price) \
         VALUES {values}"
    );
    let mut q = sqlx::query(&sql);
    for (id, position, item) in rows {
        q = q
            .bind(id)
            .bind(position as i64)
            .bind(&item.ticket_type_id)
            .bind(&item.seat_id)
            .bind(item.quantity)
            .bind(item.price);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Adds the winners' seats and tickets to their customers' counts (rows locked above).
async fn add_to_customers(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    winners: &[(&Wanted, Reservation)],
) -> Result<()> {
    let mut per_user: BTreeMap<&UserId, i64> = BTreeMap::new();
    for (w, _) in winners {
        *per_user.entry(&w.user_id).or_default() += w.request.count();
    }
    if per_user.is_empty() {
        return Ok(());
    }
    let cases = (0..per_user.len())
        .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(" ");
    let sql = format!(
        "UPDATE customer_tickets SET quantity = quantity + CASE user_id {cases} END \
         WHERE event_id = $1 AND user_id IN ({})",
        placeholders(1 + 2 * per_user.len(), per_user.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for (user, n) in &per_user {
        q = q.bind(*user).bind(*n);
    }
    for user in per_user.keys() {
        q = q.bind(*user);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// A counter as the batch left it, handed out hold by hold.
struct Counter {
    /// The remaining quantity and version after the holds not yet handed out.
    remaining: i64,
    version: i64,
}

/// Moves each touched ticket-type counter once (in id order, last before COMMIT) by the
/// batch's total and by one version per hold; returns, per type, the state as it stood
/// before the batch, to hand out hold by hold ([`change_of`]).
async fn move_counters(
    tx: &mut Transaction<'static, Any>,
    winners: &[(&Wanted, Reservation)],
) -> Result<HashMap<TicketTypeId, Counter>> {
    let mut per_type: BTreeMap<&TicketTypeId, (i64, i64)> = BTreeMap::new();
    for (_, r) in winners {
        let mut seen = BTreeSet::new();
        for item in &r.items {
            let e = per_type.entry(&item.ticket_type_id).or_default();
            e.0 += item.quantity;
            if seen.insert(&item.ticket_type_id) {
                e.1 += 1;
            }
        }
    }
    let mut out = HashMap::with_capacity(per_type.len());
    for (type_id, (quantity, holds)) in per_type {
        let row = sqlx::query(
            "UPDATE ticket_types SET held = held + $1, version = version + $2 \
             WHERE id = $3 RETURNING total - held - sold AS remaining, version",
        )
        .bind(quantity)
        .bind(holds)
        .bind(type_id)
        .fetch_one(&mut **tx)
        .await?;
        let (remaining, version): (i64, i64) = (row.try_get("remaining")?, row.try_get("version")?);
        out.insert(
            type_id.clone(),
            Counter {
                remaining: remaining + quantity,
                version: version - holds,
            },
        );
    }
    Ok(out)
}

/// The change one won hold publishes: its seats' new versions, and each of its types'
/// counters as they stood right after it.
fn change_of(
    reservation: &Reservation,
    w: &Wanted,
    seat_versions: &mut HashMap<SeatId, i64>,
    counters: &mut HashMap<TicketTypeId, Counter>,
) -> Result<InventoryChange> {
    let mut seats = Vec::new();
    let mut per_type: BTreeMap<&TicketTypeId, i64> = BTreeMap::new();
    for item in &reservation.items {
        *per_type.entry(&item.ticket_type_id).or_default() += item.quantity;
        if let Some(seat_id) = &item.seat_id {
            seats.push(SeatChange {
                seat_id: seat_id.clone(),
                status: SeatStatus::Held,
                version: seat_versions
                    .remove(seat_id)
                    .ok_or_else(|| anyhow::anyhow!("a held seat without its version"))?,
            });
        }
    }
    let mut stock = Vec::with_capacity(per_type.len());
    for (type_id, quantity) in per_type {
        let c = counters
            .get_mut(type_id)
            .ok_or_else(|| anyhow::anyhow!("a held type without its counter"))?;
        c.remaining -= quantity;
        c.version += 1;
        stock.push(StockChange {
            ticket_type_id: type_id.clone(),
            remaining_quantity: c.remaining,
            version: c.version,
        });
    }
    Ok(held(reservation, &w.user_id, seats, stock))
}
