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

use super::best::{self, BestRequest};
use super::events::{event_not_found, EventTerms};
use super::feed::{ChangeCause, InventoryChange, SeatChange, StockChange};
use super::holds::{
    head_from_row, held, hold_expired, pending, reservation_not_found, ReservationHead,
};
use super::model::*;
use super::{with_retry, Inventory};
use crate::clock::Millis;
use crate::db::placeholders;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId, UserId};

/// Batches of one event in their transactions at once (per instance): one can read and
/// decide while the one before it commits. They lock rows in the same order (reservations,
/// customers, seats, general-admission counters, then all counters), so they queue on
/// shared rows but cannot deadlock each other.
pub(super) const MAX_DRAINERS: usize = 2;
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
    /// The best block of adjacent free seats in one row, chosen inside the batch
    /// ([`super::best`]).
    Best(BestRequest),
}

impl HoldRequest {
    fn count(&self) -> i64 {
        match self {
            HoldRequest::Seats(ids) => ids.len() as i64,
            HoldRequest::Tickets { quantity, .. } => *quantity,
            HoldRequest::Best(b) => b.quantity,
        }
    }
}

/// One queued hold or cancellation and the way back to its caller.
struct Job {
    user_id: UserId,
    work: Work,
}

enum Work {
    Hold(HoldRequest, oneshot::Sender<Result<Reservation>>),
    /// Cancel (or refund) this reservation; the answer is read back after commit.
    Cancel(ReservationId, oneshot::Sender<Result<()>>),
}

impl Job {
    /// What the job weighs against [`MAX_BATCH_ITEMS`].
    fn weight(&self) -> usize {
        match &self.work {
            Work::Hold(request, _) => request.count().max(0) as usize,
            Work::Cancel(..) => 1,
        }
    }
}

/// A cancellation as the batch transaction sees it.
struct Cancel {
    reservation_id: ReservationId,
    user_id: UserId,
}

/// A cancellation the batch committed: the change it made, and the refusal its caller gets
/// when the hold had lapsed (released as expired, answered `hold_expired`).
struct Released {
    change: InventoryChange,
    refusal: Option<Error>,
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
    /// Drain tasks running for this lane (at most [`MAX_DRAINERS`]).
    drainers: usize,
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

/// Counts a drain task out of its lane if it ends without doing so (a panic), so the next
/// hold starts a new one instead of waiting forever.
struct DrainGuard(Option<Arc<Lane>>);

impl Drop for DrainGuard {
    fn drop(&mut self) {
        if let Some(lane) = self.0.take() {
            if let Ok(mut s) = lane.0.lock() {
                s.drainers = s.drainers.saturating_sub(1);
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
        self.enqueue(event_id, user_id, Work::Hold(request, reply), terms);
        answered(answer.await)
    }

    /// Queues a cancellation of one of the event's reservations on the event's lane and
    /// waits for its batch: `Ok` once the release is committed and published.
    pub(super) async fn cancel_batched(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        reservation_id: &ReservationId,
        terms: Arc<EventTerms>,
    ) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let work = Work::Cancel(reservation_id.clone(), reply);
        self.enqueue(event_id, user_id, work, terms);
        answered(answer.await)
    }

    fn enqueue(&self, event_id: &EventId, user_id: &UserId, work: Work, terms: Arc<EventTerms>) {
        let lane = self.lanes.lane(event_id);
        let start = {
            let mut s = lane.0.lock().expect("lane lock");
            s.jobs.push_back(Job {
                user_id: user_id.clone(),
                work,
            });
            // A job that finds fewer than MAX_DRAINERS batches under way starts one at once;
            // otherwise it waits for the next batch a running drain task takes.
            let start = s.drainers < MAX_DRAINERS;
            if start {
                s.drainers += 1;
            }
            start
        };
        if start {
            let (inventory, event_id) = (self.clone(), event_id.clone());
            tokio::spawn(async move { inventory.drain(event_id, lane, terms).await });
        }
    }

    /// Runs batches until the lane is empty.
    async fn drain(&self, event_id: EventId, lane: Arc<Lane>, terms: Arc<EventTerms>) {
        let mut guard = DrainGuard(Some(lane.clone()));
        loop {
            let jobs = {
                let mut s = lane.0.lock().expect("lane lock");
                if s.jobs.is_empty() {
                    s.drainers -= 1;
                    guard.0 = None;
                    return;
                }
                take_batch(&mut s.jobs)
            };
            self.run_batch(&event_id, &terms, jobs).await;
        }
    }

    /// One batch: one transaction (again from the start on a transient conflict), then the
    /// feed (releases first, then holds: the order their counter versions were given out
    /// in), then the answers.
    async fn run_batch(&self, event_id: &EventId, terms: &EventTerms, jobs: Vec<Job>) {
        let (mut wanted, mut hold_replies) = (Vec::new(), Vec::new());
        let (mut cancels, mut cancel_replies) = (Vec::new(), Vec::new());
        for job in jobs {
            match job.work {
                Work::Hold(request, reply) => {
                    wanted.push(Wanted {
                        reservation_id: ReservationId::generate(),
                        user_id: job.user_id,
                        request,
                    });
                    hold_replies.push(reply);
                }
                Work::Cancel(reservation_id, reply) => {
                    cancels.push(Cancel {
                        reservation_id,
                        user_id: job.user_id,
                    });
                    cancel_replies.push(reply);
                }
            }
        }
        let size = wanted.len() + cancels.len();
        match with_retry(|| self.try_batch(event_id, terms, &cancels, &wanted)).await {
            Ok((released, held)) => {
                let mut cancel_answers = Vec::with_capacity(released.len());
                for r in released {
                    cancel_answers.push(r.and_then(|Released { change, refusal }| {
                        self.feed.publish(change);
                        refusal.map_or(Ok(()), Err)
                    }));
                }
                let mut hold_answers = Vec::with_capacity(held.len());
                for outcome in held {
                    hold_answers.push(outcome.map(|(reservation, change)| {
                        self.feed.publish(change);
                        reservation
                    }));
                }
                for (reply, answer) in cancel_replies.into_iter().zip(cancel_answers) {
                    let _ = reply.send(answer);
                }
                for (reply, answer) in hold_replies.into_iter().zip(hold_answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = size, "hold batch failed");
                for reply in cancel_replies {
                    let _ = reply.send(Err(e.for_another_caller()));
                }
                for reply in hold_replies {
                    let _ = reply.send(Err(e.for_another_caller()));
                }
            }
        }
    }

    // Over 80 lines on purpose, like `try_hold_seats` was: one transaction, read top to bottom
    // in the order it takes its locks (reservations to release, customers, seats,
    // general-admission counters), decides, and writes (releases, then holds, then customers,
    // counters last).
    async fn try_batch(
        &self,
        event_id: &EventId,
        terms: &EventTerms,
        cancels: &[Cancel],
        wanted: &[Wanted],
    ) -> Result<BatchOutcome> {
        let now = self.clock.now_ms();
        let lock = if self.db.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        // A best-available hold needs the event's layout: read (once per instance) before the
        // transaction, whose connection may be the pool's only one (SQLite).
        let layout = if wanted
            .iter()
            .any(|w| matches!(w.request, HoldRequest::Best(_)))
        {
            Some(self.layout(event_id).await?)
        } else {
            None
        };
        let mut tx = self.db.begin().await?;
        let limit: Option<i64> =
            sqlx::query_scalar("SELECT max_tickets_per_customer FROM events WHERE id = $1")
                .bind(event_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(limit) = limit else {
            return Ok((
                cancels
                    .iter()
                    .map(|_| Err(reservation_not_found()))
                    .collect(),
                wanted.iter().map(|_| Err(event_not_found())).collect(),
            ));
        };

        // Releases first: what they free, the holds of the same batch may take.
        let heads = lock_reservations(&mut tx, cancels, lock).await?;
        let decisions = decide_releases(event_id, cancels, heads, now);
        let releases: Vec<&Release> = decisions.iter().filter_map(|d| d.as_ref().ok()).collect();
        let items = active_items(&mut tx, &releases).await?;
        let freed: HashSet<&ReservationId> = releases.iter().map(|r| &r.head.id).collect();

        let users: BTreeSet<&UserId> = wanted
            .iter()
            .map(|w| &w.user_id)
            .chain(releases.iter().map(|r| &r.head.user_id))
            .collect();
        let mut counts = lock_customers(&mut tx, event_id, &users, lock).await?;
        let mut customer_delta: BTreeMap<UserId, i64> = BTreeMap::new();
        for r in &releases {
            let n: i64 = items
                .get(&r.head.id)
                .map_or(0, |i| i.iter().map(|i| i.1).sum());
            *counts.entry(r.head.user_id.clone()).or_default() -= n;
            *customer_delta.entry(r.head.user_id.clone()).or_default() -= n;
        }
        // The seats asked for and the seats being freed, locked together in id order.
        let seat_ids: BTreeSet<&SeatId> = wanted
            .iter()
            .flat_map(|w| match &w.request {
                HoldRequest::Seats(ids) => ids.as_slice(),
                HoldRequest::Tickets { .. } | HoldRequest::Best(_) => &[],
            })
            .chain(items.values().flatten().filter_map(|i| i.2.as_ref()))
            .collect();
        // A best-available hold chooses among every free seat of the event: then they are all
        // locked (and read) with the asked ones, in one statement.
        let any_best = wanted
            .iter()
            .any(|w| matches!(w.request, HoldRequest::Best(_)));
        let seats = lock_seats(&mut tx, event_id, &seat_ids, &freed, any_best, lock).await?;
        // Types with people on their waitlist: their free units wait for the offers.
        let withheld = if wanted.is_empty() {
            HashSet::new()
        } else {
            super::waitlist::withheld_types(&mut tx, event_id).await?
        };
        // Which seats of the layout are free, as a bitmap the batch's holds then take from.
        let mut free = vec![false; layout.as_ref().map_or(0, |l| l.len())];
        if let Some(layout) = &layout {
            for (id, s) in &seats {
                if !s.available || withheld.contains(&s.ticket_type_id) {
                    continue;
                }
                if let Some(i) = layout.pos(id) {
                    free[i] = true;
                }
            }
        }
        let ga_types: BTreeSet<&TicketTypeId> = wanted
            .iter()
            .filter_map(|w| match &w.request {
                HoldRequest::Tickets { ticket_type_id, .. } => Some(ticket_type_id),
                HoldRequest::Seats(_) | HoldRequest::Best(_) => None,
            })
            .collect();
        let mut stock = lock_stock(&mut tx, event_id, &ga_types, lock).await?;
        for (type_id, quantity, _) in items.values().flatten() {
            if let Some(left) = stock.get_mut(type_id) {
                *left += quantity;
            }
        }
        for type_id in &withheld {
            if let Some(left) = stock.get_mut(type_id) {
                *left = 0;
            }
        }

        // Every hold decided in arrival order against the locked state and the batch so far.
        let mut taken: HashSet<SeatId> = HashSet::new();
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
                HoldRequest::Seats(ids) => decide_seats(ids, &seats, &taken, &withheld, terms),
                HoldRequest::Tickets {
                    ticket_type_id,
                    quantity,
                    price,
                } => decide_tickets(ticket_type_id, *quantity, *price, &mut stock),
                HoldRequest::Best(b) => match &layout {
                    Some(layout) => best::decide(b, layout, &free, terms),
                    None => Err(anyhow::anyhow!("a best-available hold without a layout").into()),
                },
            };
            if let Ok(items) = &items {
                for seat in items.iter().filter_map(|i| i.seat_id.as_ref()) {
                    if let Some(i) = layout.as_ref().and_then(|l| l.pos(seat)) {
                        free[i] = false;
                    }
                    taken.insert(seat.clone());
                }
            }
            if items.is_ok() {
                *counts.entry(w.user_id.clone()).or_default() += n;
                *customer_delta.entry(w.user_id.clone()).or_default() += n;
            }
            decided.push(items);
        }
        let winners: Vec<(&Wanted, Reservation)> = wanted
            .iter()
            .zip(decided.iter())
            .filter_map(|(w, d)| {
                let items = d.as_ref().ok()?.clone();
                Some((w, pending(&w.reservation_id, event_id, now, terms, items)))
            })
            .collect();

        // The writes: releases, then holds, one statement per table; counters last.
        let mut freed_versions = release_all(&mut tx, &releases, now).await?;
        let mut seat_versions = take_seats(&mut tx, event_id, &winners).await?;
        insert_reservations(&mut tx, &winners).await?;
        insert_items(&mut tx, &winners).await?;
        add_to_customers(&mut tx, event_id, &customer_delta).await?;
        let mut counters = move_counters(&mut tx, &releases, &items, &winners).await?;
        tx.commit().await?;

        // The answers and changes, in the order the counters' versions were given out.
        let mut released = Vec::with_capacity(cancels.len());
        for d in decisions {
            released.push(match d {
                Err(e) => Err(e),
                Ok(r) => {
                    let change = release_change(&r, &items, &mut freed_versions, &mut counters)?;
                    Ok(Released {
                        change,
                        refusal: r.refusal,
                    })
                }
            });
        }
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
        Ok((released, out))
    }
}

/// What a batch answers: each cancellation, then each hold, in the order they were queued.
type BatchOutcome = (
    Vec<Result<Released>>,
    Vec<Result<(Reservation, InventoryChange)>>,
);

fn answered<T>(answer: std::result::Result<Result<T>, oneshot::error::RecvError>) -> Result<T> {
    answer.map_err(|_| Error::from(anyhow::anyhow!("a hold batch ended without answering")))?
}

/// A reservation the batch releases.
struct Release {
    head: ReservationHead,
    to: ReservationStatus,
    /// `hold_expired` for a lapsed hold: released, but its caller is refused.
    refusal: Option<Error>,
}

/// An active item of a released reservation: its type, quantity and seat.
type FreedItem = (TicketTypeId, i64, Option<SeatId>);

/// Locks the reservations to cancel (in id order) and reads them.
async fn lock_reservations(
    tx: &mut Transaction<'static, Any>,
    cancels: &[Cancel],
    lock: &str,
) -> Result<HashMap<ReservationId, ReservationHead>> {
    let ids: BTreeSet<&ReservationId> = cancels.iter().map(|c| &c.reservation_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = padded(&ids.into_iter().collect::<Vec<_>>());
    let sql = format!(
        "SELECT id, event_id, user_id, status, expires_at FROM reservations WHERE id IN ({}) \
         ORDER BY id{lock}",
        placeholders(0, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in &ids {
        q = q.bind(id);
    }
    let mut out = HashMap::new();
    for row in q.fetch_all(&mut **tx).await? {
        let head = head_from_row(&row)?;
        out.insert(head.id.clone(), head);
    }
    Ok(out)
}

/// Each cancellation decided as a lone cancel was: `404` if there is no such reservation,
/// `403 not_owner` if it is someone else's, a lapsed hold released as expired and refused
/// `hold_expired`, a pending or paid one released as cancelled, anything else refused.
fn decide_releases(
    event_id: &EventId,
    cancels: &[Cancel],
    mut heads: HashMap<ReservationId, ReservationHead>,
    now: Millis,
) -> Vec<Result<Release>> {
    let mut done: HashSet<&ReservationId> = HashSet::new();
    let mut out = Vec::with_capacity(cancels.len());
    for c in cancels {
        let Some(head) = heads
            .get(&c.reservation_id)
            .filter(|h| h.event_id == *event_id)
        else {
            // Absent, or already released by an earlier cancel of this batch.
            out.push(Err(if done.contains(&c.reservation_id) {
                already_cancelled()
            } else {
                reservation_not_found()
            }));
            continue;
        };
        if head.user_id != c.user_id {
            out.push(Err(Error::forbidden(
                ErrorCode::NotOwner,
                "this reservation belongs to someone else",
            )));
            continue;
        }
        let (to, refusal) = match head.status {
            ReservationStatus::Pending if head.expires_at <= now => {
                (ReservationStatus::Expired, Some(hold_expired()))
            }
            ReservationStatus::Pending | ReservationStatus::Paid => {
                (ReservationStatus::Cancelled, None)
            }
            ReservationStatus::Expired => {
                out.push(Err(hold_expired()));
                continue;
            }
            ReservationStatus::Cancelled => {
                out.push(Err(already_cancelled()));
                continue;
            }
        };
        let head = heads.remove(&c.reservation_id).expect("read above");
        done.insert(&c.reservation_id);
        out.push(Ok(Release { head, to, refusal }));
    }
    out
}

fn already_cancelled() -> Error {
    Error::conflict(
        ErrorCode::ReservationCancelled,
        "this reservation is already cancelled",
    )
}

/// The active items of the reservations to release.
async fn active_items(
    tx: &mut Transaction<'static, Any>,
    releases: &[&Release],
) -> Result<HashMap<ReservationId, Vec<FreedItem>>> {
    if releases.is_empty() {
        return Ok(HashMap::new());
    }
    let releases = padded(releases);
    let sql = format!(
        "SELECT reservation_id, ticket_type_id, quantity, seat_id FROM reservation_items \
         WHERE active = 1 AND reservation_id IN ({}) ORDER BY reservation_id, position",
        placeholders(0, releases.len())
    );
    let mut q = sqlx::query(&sql);
    for r in &releases {
        q = q.bind(&r.head.id);
    }
    let mut out: HashMap<ReservationId, Vec<FreedItem>> = HashMap::new();
    for row in q.fetch_all(&mut **tx).await? {
        out.entry(row.try_get("reservation_id")?)
            .or_default()
            .push((
                row.try_get("ticket_type_id")?,
                row.try_get("quantity")?,
                row.try_get("seat_id")?,
            ));
    }
    Ok(out)
}

/// Marks the released reservations, deactivates their items and frees their seats, one
/// statement each; returns each freed seat's new version.
async fn release_all(
    tx: &mut Transaction<'static, Any>,
    releases: &[&Release],
    now: Millis,
) -> Result<HashMap<SeatId, i64>> {
    if releases.is_empty() {
        return Ok(HashMap::new());
    }
    let distinct = releases.len();
    let releases = padded(releases);
    let n = releases.len();
    let cases = (0..n)
        .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(" ");
    let sql = format!(
        "UPDATE reservations SET status = CASE id {cases} END, updated_at = $1 WHERE id IN ({})",
        placeholders(1 + 2 * n, n)
    );
    let mut q = sqlx::query(&sql).bind(now);
    for r in &releases {
        q = q.bind(&r.head.id).bind(r.to.as_str());
    }
    for r in &releases {
        q = q.bind(&r.head.id);
    }
    let done = q.execute(&mut **tx).await?;
    if done.rows_affected() != distinct as u64 {
        return Err(anyhow::anyhow!("a locked reservation vanished inside a batch").into());
    }
    let ids = placeholders(0, n);
    let sql = format!(
        "UPDATE reservation_items SET active = 0 WHERE active = 1 AND reservation_id IN ({ids})"
    );
    let mut q = sqlx::query(&sql);
    for r in &releases {
        q = q.bind(&r.head.id);
    }
    q.execute(&mut **tx).await?;
    let sql = format!(
        "UPDATE seats SET status = 'available', reservation_id = NULL, version = version + 1 \
         WHERE reservation_id IN ({ids}) RETURNING id, version"
    );
    let mut q = sqlx::query(&sql);
    for r in &releases {
        q = q.bind(&r.head.id);
    }
    let mut out = HashMap::new();
    for row in q.fetch_all(&mut **tx).await? {
        out.insert(row.try_get("id")?, row.try_get("version")?);
    }
    Ok(out)
}

/// The change one release publishes: its seats available again, and each of its types'
/// counters as they stood right after it.
fn release_change(
    r: &Release,
    items: &HashMap<ReservationId, Vec<FreedItem>>,
    seat_versions: &mut HashMap<SeatId, i64>,
    counters: &mut HashMap<TicketTypeId, Counter>,
) -> Result<InventoryChange> {
    let mut seats = Vec::new();
    let mut per_type: BTreeMap<&TicketTypeId, i64> = BTreeMap::new();
    for (type_id, quantity, seat) in items.get(&r.head.id).map_or(&[][..], Vec::as_slice) {
        *per_type.entry(type_id).or_default() += quantity;
        if let Some(seat_id) = seat {
            seats.push(SeatChange {
                seat_id: seat_id.clone(),
                status: SeatStatus::Available,
                version: seat_versions
                    .remove(seat_id)
                    .ok_or_else(|| anyhow::anyhow!("a freed seat without its version"))?,
            });
        }
    }
    seats.sort_by(|a, b| a.seat_id.cmp(&b.seat_id));
    let mut stock = Vec::with_capacity(per_type.len());
    for (type_id, quantity) in per_type {
        let c = counters
            .get_mut(type_id)
            .ok_or_else(|| anyhow::anyhow!("a freed type without its counter"))?;
        c.remaining += quantity;
        c.version += 1;
        stock.push(StockChange {
            ticket_type_id: type_id.clone(),
            remaining_quantity: c.remaining,
            version: c.version,
        });
    }
    let was_paid = r.head.status == ReservationStatus::Paid;
    Ok(InventoryChange {
        event_id: r.head.event_id.clone(),
        reservation_id: r.head.id.clone(),
        user_id: r.head.user_id.clone(),
        cause: ChangeCause::of_release(r.to, was_paid),
        seats,
        ticket_types: stock,
        committed_at: None,
    })
}

/// `list` padded to the next of a few lengths (1, 4, 16, 64, …) by repeating its last
/// element, for `IN (…)` and `CASE` lists, where a repeat changes nothing. A statement's
/// text depends on its lengths, and each new text costs a prepare (a round trip, a parse
/// and a plan) and a place in the connection's statement cache: a handful of lengths keeps
/// the batch's statements prepared once per connection.
fn padded<T: Copy>(list: &[T]) -> Vec<T> {
    let mut len = 1;
    while len < list.len() {
        len *= 4;
    }
    let mut out = list.to_vec();
    if let Some(last) = list.last() {
        out.resize(len, *last);
    }
    out
}

/// The next batch off the queue: at least one hold, then more while they fit.
fn take_batch(queue: &mut VecDeque<Job>) -> Vec<Job> {
    let mut batch = Vec::new();
    let mut items = 0usize;
    while let Some(job) = queue.front() {
        let n = job.weight();
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
    taken: &HashSet<SeatId>,
    withheld: &HashSet<TicketTypeId>,
    terms: &EventTerms,
) -> Result<Vec<ReservationItem>> {
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !seats.contains_key(*id))
        .map(|id| id.to_string())
        .collect();
    let missed: Vec<&SeatId> = ids
        .iter()
        .filter(|id| {
            seats
                .get(*id)
                .is_none_or(|s| !s.available || withheld.contains(&s.ticket_type_id))
                || taken.contains(*id)
        })
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
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let users = padded(&users.iter().copied().collect::<Vec<_>>());
    let values = (0..users.len())
        .map(|i| format!("($1, ${}, 0)", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO customer_tickets (event_id, user_id, quantity) VALUES {values} \
         ON CONFLICT (event_id, user_id) DO NOTHING"
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for u in &users {
        q = q.bind(*u);
    }
    q.execute(&mut **tx).await?;
    let sql = format!(
        "SELECT user_id, quantity FROM customer_tickets WHERE event_id = $1 AND user_id IN ({}) \
         ORDER BY user_id{lock}",
        placeholders(1, users.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for u in &users {
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

/// Locks the requested seats of the event (in id order) and reads their state; with
/// `all_free`, every free seat of the event too, in the same statement (the same id order).
/// On PostgreSQL a seat taken by another transaction while this one waited for its lock is
/// read again after that commit and, no longer free, left out.
async fn lock_seats(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    ids: &BTreeSet<&SeatId>,
    freed: &HashSet<&ReservationId>,
    all_free: bool,
    lock: &str,
) -> Result<HashMap<SeatId, LockedSeat>> {
    if ids.is_empty() && !all_free {
        return Ok(HashMap::new());
    }
    let ids = padded(&ids.iter().copied().collect::<Vec<_>>());
    let which = match (ids.is_empty(), all_free) {
        (true, _) => "status = 'available'".to_string(),
        (false, true) => format!(
            "(status = 'available' OR id IN ({}))",
            placeholders(1, ids.len())
        ),
        (false, false) => format!("id IN ({})", placeholders(1, ids.len())),
    };
    let sql = format!(
        "SELECT id, status, reservation_id, ticket_type_id FROM seats \
         WHERE event_id = $1 AND {which} ORDER BY id{lock}"
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for id in &ids {
        q = q.bind(*id);
    }
    let mut out = HashMap::with_capacity(ids.len());
    for r in q.fetch_all(&mut **tx).await? {
        // A seat of a reservation this batch releases is available to its holds.
        let holder: Option<ReservationId> = r.try_get("reservation_id")?;
        out.insert(
            r.try_get("id")?,
            LockedSeat {
                available: r.try_get::<String, _>("status")? == "available"
                    || holder.is_some_and(|h| freed.contains(&h)),
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
    let types = padded(&types.iter().copied().collect::<Vec<_>>());
    let sql = format!(
        "SELECT id, total - held - sold AS remaining FROM ticket_types \
         WHERE event_id = $1 AND seated = 0 AND id IN ({}) ORDER BY id{lock}",
        placeholders(1, types.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for t in &types {
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
    let distinct = seats.len();
    let seats = padded(&seats);
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
    if rows.len() != distinct {
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

/// Moves each customer's count by what the batch's releases gave back and its holds took
/// (rows locked above).
async fn add_to_customers(
    tx: &mut Transaction<'static, Any>,
    event_id: &EventId,
    delta: &BTreeMap<UserId, i64>,
) -> Result<()> {
    let delta: Vec<(&UserId, i64)> = delta
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|(u, n)| (u, *n))
        .collect();
    if delta.is_empty() {
        return Ok(());
    }
    let delta = padded(&delta);
    let cases = (0..delta.len())
        .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(" ");
    let sql = format!(
        "UPDATE customer_tickets SET quantity = quantity + CASE user_id {cases} END \
         WHERE event_id = $1 AND user_id IN ({})",
        placeholders(1 + 2 * delta.len(), delta.len())
    );
    let mut q = sqlx::query(&sql).bind(event_id);
    for (user, n) in &delta {
        q = q.bind(*user).bind(*n);
    }
    for (user, _) in &delta {
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

/// How a batch moves one counter: `held` and `sold` deltas, and how many changes touch it.
#[derive(Default)]
struct Move {
    held: i64,
    sold: i64,
    changes: i64,
}

/// Moves each touched ticket-type counter once (in id order, last before COMMIT) by the
/// batch's totals and by one version per change (release or hold) that touches it; returns,
/// per type, the state as it stood before the batch, to hand out change by change
/// ([`release_change`], then [`change_of`]).
async fn move_counters(
    tx: &mut Transaction<'static, Any>,
    releases: &[&Release],
    items: &HashMap<ReservationId, Vec<FreedItem>>,
    winners: &[(&Wanted, Reservation)],
) -> Result<HashMap<TicketTypeId, Counter>> {
    let mut per_type: BTreeMap<&TicketTypeId, Move> = BTreeMap::new();
    for r in releases {
        let was_paid = r.head.status == ReservationStatus::Paid;
        let mut seen = BTreeSet::new();
        for (type_id, quantity, _) in items.get(&r.head.id).map_or(&[][..], Vec::as_slice) {
            let m = per_type.entry(type_id).or_default();
            if was_paid {
                m.sold -= quantity;
            } else {
                m.held -= quantity;
            }
            if seen.insert(type_id) {
                m.changes += 1;
            }
        }
    }
    for (_, r) in winners {
        let mut seen = BTreeSet::new();
        for item in &r.items {
            let m = per_type.entry(&item.ticket_type_id).or_default();
            m.held += item.quantity;
            if seen.insert(&item.ticket_type_id) {
                m.changes += 1;
            }
        }
    }
    let mut out = HashMap::with_capacity(per_type.len());
    for (type_id, m) in per_type {
        let row = sqlx::query(
            "UPDATE ticket_types SET held = held + $1, sold = sold + $2, version = version + $3 \
             WHERE id = $4 RETURNING total - held - sold AS remaining, version",
        )
        .bind(m.held)
        .bind(m.sold)
        .bind(m.changes)
        .bind(type_id)
        .fetch_one(&mut **tx)
        .await?;
        let (remaining, version): (i64, i64) = (row.try_get("remaining")?, row.try_get("version")?);
        out.insert(
            type_id.clone(),
            Counter {
                remaining: remaining + m.held + m.sold,
                version: version - m.changes,
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

#[cfg(test)]
mod tests {
    //! One batch, made by hand on SQLite, so its make-up is certain: a seat two holds of the
    //! batch want goes to the first and only the second is refused; a database failure fails
    //! every hold of the batch and leaves nothing behind.

    use super::*;
    use crate::clock::Clock;
    use crate::db::Db;
    use crate::inventory::ChangeFeed;

    /// A SQLite file of its own, removed when dropped.
    struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn inventory() -> (Inventory, Event, Vec<SeatId>, Scratch) {
        let dir = Scratch(std::env::temp_dir().join(format!("bo-batch-{}", uuid::Uuid::new_v4())));
        let url = format!("sqlite://{}", dir.0.join("bo.db").display());
        let db = Db::connect(&url, 1).await.unwrap();
        let inventory = Inventory::new(
            db,
            Clock::manual(1_800_000_000_000),
            ChangeFeed::new(64),
            10,
        );
        let spec: EventSpec = serde_json::from_value(serde_json::json!({
            "name": "Batch", "startsAt": "2027-06-01T19:00:00Z",
            "ticketTypes": [{"name": "Seat", "price": 100}, {"name": "GA", "price": 50, "quantity": 3}],
            "seatMap": {"sections": [{"name": "A", "rows": 1, "seatsPerRow": 4, "ticketTypeIndex": 0}]}
        }))
        .unwrap();
        let event = inventory
            .create_event(NewEvent::parse(spec).unwrap())
            .await
            .unwrap();
        let seats = inventory
            .seats(&event.id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        (inventory, event, seats, dir)
    }

    fn wanted(user: &str, request: HoldRequest) -> Wanted {
        Wanted {
            reservation_id: ReservationId::generate(),
            user_id: UserId::parse(user).unwrap(),
            request,
        }
    }

    #[tokio::test]
    async fn each_hold_of_a_batch_is_decided_on_its_own() {
        let (inventory, event, seats, _dir) = inventory().await;
        let terms = inventory.terms(&event.id).await.unwrap();
        let ga = event.ticket_types[1].id.clone();
        let tickets = |quantity| HoldRequest::Tickets {
            ticket_type_id: ga.clone(),
            quantity,
            price: 50,
        };
        let batch = [
            wanted(
                "a",
                HoldRequest::Seats(vec![seats[0].clone(), seats[1].clone()]),
            ),
            wanted(
                "b",
                HoldRequest::Seats(vec![seats[1].clone(), seats[2].clone()]),
            ),
            wanted("c", HoldRequest::Seats(vec![seats[3].clone()])),
            wanted("d", tickets(2)),
            wanted("e", tickets(2)),
            wanted("f", tickets(1)),
        ];
        let (_, out) = inventory
            .try_batch(&event.id, &terms, &[], &batch)
            .await
            .unwrap();
        let codes: Vec<_> = out
            .iter()
            .map(|o| o.as_ref().err().map(Error::code))
            .collect();
        assert_eq!(
            codes,
            [
                None,
                Some(ErrorCode::SeatUnavailable),
                None,
                None,
                Some(ErrorCode::SoldOut),
                None
            ]
        );
        match &out[1] {
            Err(Error::SeatUnavailable { seat_ids }) => {
                assert_eq!(seat_ids, &[seats[1].to_string()])
            }
            other => panic!("{other:?}"),
        }
        // The counters moved once per won hold, each change showing the state right after it.
        let stock: Vec<(i64, i64)> = out
            .iter()
            .flatten()
            .flat_map(|(_, c)| {
                c.ticket_types
                    .iter()
                    .map(|s| (s.remaining_quantity, s.version))
            })
            .collect();
        assert_eq!(stock, [(2, 2), (1, 3), (1, 2), (0, 3)]);
        let after = inventory.event(&event.id).await.unwrap();
        assert_eq!(after.ticket_types[0].remaining_quantity, 1);
        assert_eq!(after.ticket_types[1].remaining_quantity, 0);
    }

    #[tokio::test]
    async fn a_failed_batch_fails_all_its_holds_and_writes_nothing() {
        let (inventory, event, seats, _dir) = inventory().await;
        let terms = inventory.terms(&event.id).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON reservations WHEN NEW.user_id = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .execute(&inventory.db.pool)
        .await
        .unwrap();
        let (lane_event, lane) = (event.id.clone(), inventory.lanes.lane(&event.id));
        let mut answers = Vec::new();
        {
            // Queued together before the lane drains: one batch.
            let mut s = lane.0.lock().unwrap();
            for (user, seat) in [("a", 0), ("poison", 1), ("c", 2)] {
                let (reply, answer) = oneshot::channel();
                s.jobs.push_back(Job {
                    user_id: UserId::parse(user).unwrap(),
                    work: Work::Hold(HoldRequest::Seats(vec![seats[seat].clone()]), reply),
                });
                answers.push(answer);
            }
            s.drainers = 1;
        }
        inventory.drain(lane_event, lane, terms).await;
        for answer in answers {
            let e = answer.await.unwrap().unwrap_err();
            assert_eq!(e.code(), ErrorCode::Internal, "{e}");
        }
        let after = inventory.seats(&event.id).await.unwrap();
        assert!(after.iter().all(|s| s.status == SeatStatus::Available));
        assert_eq!(
            inventory.event(&event.id).await.unwrap().ticket_types[0].remaining_quantity,
            4
        );
    }

    #[tokio::test]
    async fn a_cancel_frees_seats_for_holds_of_the_same_batch() {
        let (inventory, event, seats, _dir) = inventory().await;
        let terms = inventory.terms(&event.id).await.unwrap();
        let first = [wanted("a", HoldRequest::Seats(vec![seats[0].clone()]))];
        let (_, out) = inventory
            .try_batch(&event.id, &terms, &[], &first)
            .await
            .unwrap();
        let (held, _) = out.into_iter().next().unwrap().unwrap();
        let cancel = |user: &str| Cancel {
            reservation_id: held.id.clone(),
            user_id: UserId::parse(user).unwrap(),
        };
        let next = [wanted("b", HoldRequest::Seats(vec![seats[0].clone()]))];
        let (released, out) = inventory
            .try_batch(
                &event.id,
                &terms,
                &[cancel("b"), cancel("a"), cancel("a")],
                &next,
            )
            .await
            .unwrap();
        let codes: Vec<_> = released
            .iter()
            .map(|r| r.as_ref().err().map(Error::code))
            .collect();
        assert_eq!(
            codes,
            [
                Some(ErrorCode::NotOwner),
                None,
                Some(ErrorCode::ReservationCancelled)
            ]
        );
        let change = &released[1].as_ref().unwrap().change;
        assert_eq!(change.cause, ChangeCause::Cancelled);
        assert_eq!(
            (change.seats[0].status, change.seats[0].version),
            (SeatStatus::Available, 3)
        );
        assert_eq!(change.ticket_types[0].remaining_quantity, 4);
        let (taken, change) = out.into_iter().next().unwrap().unwrap();
        assert_eq!(taken.items[0].seat_id.as_ref(), Some(&seats[0]));
        assert_eq!(
            (change.seats[0].status, change.seats[0].version),
            (SeatStatus::Held, 4)
        );
        assert_eq!(change.ticket_types[0].remaining_quantity, 3);
        let allowance = inventory
            .allowance(&event.id, &UserId::parse("a").unwrap())
            .await
            .unwrap();
        assert_eq!(
            allowance.held, 0,
            "the cancel gave the seat back to a's allowance"
        );
    }
}
