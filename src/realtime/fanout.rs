//! From the inventory's change feed to Socket.IO room messages, batched when it pays.
//!
//! Batching is adaptive. The first change after a quiet spell is pushed at once: a lone
//! purchase should not wait for a window it has nobody to share with. A quiet spell is five
//! windows without a push (100 ms at the default `PUSH_BATCH_MS` of 20 ms, at most 25). In a
//! busy spell batching is as it was with a fixed window: a batch gathers for one window from
//! its first change (what queued during the previous push joins it at once), so a burst costs
//! no more pushes than before and a change waits at most for the push under way and one
//! window.
//! `PUSH_BATCH_MS=0` turns batching off: every change is sent on its own.
//! A batch becomes one message per kind and event: all seats newly held in one
//! `seat:selected`, all released in one `seat:released`, all sold in one `seat:sold`, all
//! stock changes in one `ticket:updated`. Within a batch only the newest version of each
//! seat and ticket type is kept, so a seat held and released in the same window costs one
//! entry, not two. Each message is serialized once and written to every socket in the room
//! (and published once to Redis in cluster mode).
//!
//! Before a batch's pushes go out, it is applied to the snapshot cache (and, in cluster mode,
//! relayed to the other instances' caches): a socket that joins after a push was sent then
//! reads a snapshot that already has it ([`super::snapshots`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::{BroadcastError, SocketError, SocketIo};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::relay::Relay;
use super::snapshots::SnapshotCache;
use super::{event_room, queue_room, user_room};
use crate::ids::EventId;
use crate::inventory::{InventoryChange, SeatStatus};
use crate::metrics::Metrics;
use crate::waiting_room::QueueEvent;

/// How long a window's relay to the other instances may take before its pushes go out
/// anyway (it takes well under a millisecond when Redis is healthy).
const RELAY_WAIT: Duration = Duration::from_millis(250);

/// How many windows without a send make a quiet spell, after which a change is pushed at
/// once. Shorter, and a steady trickle of changes (one every window or so) would each go
/// alone, doubling the pushes of a busy sale; spaced purchases (seconds apart) are quiet.
const QUIET_WINDOWS: u32 = 5;

/// A seat id and its version.
type SeatVersion = (String, i64);

/// The newest state of everything one event changed during a window.
#[derive(Clone, Default, Debug)]
pub struct Batch {
    /// Seat id -> (status, version).
    pub(super) seats: HashMap<String, (SeatStatus, i64)>,
    /// Ticket type id -> (remaining quantity, version).
    pub(super) stock: HashMap<String, (i64, i64)>,
    /// When each change of the window was committed (this instance's changes only; the
    /// relay does not carry it): the push latency is measured from each.
    pub(super) committed: Vec<std::time::Instant>,
}

impl Batch {
    pub fn add(&mut self, change: &InventoryChange) {
        if let Some(at) = change.committed_at {
            self.committed.push(at);
        }
        for s in &change.seats {
            let entry = self
                .seats
                .entry(s.seat_id.as_str().to_owned())
                .or_insert((s.status, s.version));
            if s.version >= entry.1 {
                *entry = (s.status, s.version);
            }
        }
        for t in &change.ticket_types {
            let entry = self
                .stock
                .entry(t.ticket_type_id.as_str().to_owned())
                .or_insert((t.remaining_quantity, t.version));
            if t.version >= entry.1 {
                *entry = (t.remaining_quantity, t.version);
            }
        }
    }

    /// The messages this batch becomes: `(event name, payload)`, at most one per kind.
    pub fn messages(&self, event_id: &EventId) -> Vec<(&'static str, serde_json::Value)> {
        let mut out = Vec::with_capacity(4);
        let mut by_status: [(SeatStatus, &'static str, Vec<SeatVersion>); 3] = [
            (SeatStatus::Held, "seat:selected", Vec::new()),
            (SeatStatus::Available, "seat:released", Vec::new()),
            (SeatStatus::Sold, "seat:sold", Vec::new()),
        ];
        for (seat, (status, version)) in &self.seats {
            if let Some(slot) = by_status.iter_mut().find(|(s, _, _)| s == status) {
                slot.2.push((seat.clone(), *version));
            }
        }
        for (_, name, mut seats) in by_status {
            if seats.is_empty() {
                continue;
            }
            seats.sort();
            let (ids, versions): (Vec<String>, Vec<i64>) = seats.into_iter().unzip();
            out.push((
                name,
                json!({ "eventId": event_id, "seatIds": ids, "versions": versions }),
            ));
        }
        if !self.stock.is_empty() {
            let mut updates: Vec<_> = self.stock.iter().map(|(k, v)| (k.clone(), *v)).collect();
            updates.sort();
            let updates: Vec<_> = updates
                .into_iter()
                .map(|(id, (remaining, version))| {
                    json!({ "ticketTypeId": id, "remainingQuantity": remaining, "version": version })
                })
                .collect();
            // The contract's fields describe the first type; `updates` carries them all, so
            // one message covers every type the window changed.
            let mut msg = updates[0].clone();
            msg["eventId"] = json!(event_id);
            msg["updates"] = json!(updates);
            out.push(("ticket:updated", msg));
        }
        out
    }
}

/// Consumes the feed until it closes, emitting one batch of messages per event per push.
/// Each batch goes into the snapshot cache (and, with `relay`, to the other instances)
/// before its messages are emitted.
///
/// Stops between batches when `token` is cancelled (a batch under way is pushed first).
pub async fn run<A: Adapter>(
    io: SocketIo<A>,
    feed: Receiver<Arc<InventoryChange>>,
    window: Duration,
    metrics: Arc<Metrics>,
    snapshots: Arc<SnapshotCache>,
    relay: Option<Arc<Relay>>,
    token: CancellationToken,
) {
    let on_lag = {
        let (metrics, snapshots) = (Arc::clone(&metrics), Arc::clone(&snapshots));
        move |n| {
            lagged(&metrics, n);
            snapshots.invalidate_all();
        }
    };
    batches(feed, window, token, on_lag, |batches, taken| {
        let (io, metrics, snapshots, relay) = (&io, &metrics, &snapshots, relay.as_ref());
        async move {
            Metrics::add(&metrics.changes_in, taken);
            push(io, batches, metrics, snapshots, relay).await;
        }
    })
    .await
}

/// The adaptive window (see the module docs): gathers the feed into per-event batches and
/// hands each to `send` (with how many changes it took), awaiting it before the next. A
/// change after a quiet spell (no send for [`QUIET_WINDOWS`] windows) is sent at once, with
/// whatever is already queued behind it; otherwise the batch closes `window` after its first
/// change, as a fixed window would. `on_lag` is told how many changes the feed dropped
/// because this consumer fell behind.
async fn batches<S, F>(
    mut feed: Receiver<Arc<InventoryChange>>,
    window: Duration,
    token: CancellationToken,
    on_lag: impl Fn(u64),
    mut send: S,
) where
    S: FnMut(HashMap<EventId, Batch>, u64) -> F,
    F: std::future::Future<Output = ()>,
{
    // When the previous send ended.
    let mut last_send: Option<Instant> = None;
    let quiet = window * QUIET_WINDOWS;
    loop {
        let Some(next) = next_or_stop(&mut feed, &token).await else {
            return;
        };
        let first = match next {
            Ok(c) => c,
            Err(RecvError::Lagged(n)) => {
                on_lag(n);
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let arrived = Instant::now();
        let mut batches: HashMap<EventId, Batch> = HashMap::new();
        let mut taken = 1u64;
        batches
            .entry(first.event_id.clone())
            .or_default()
            .add(&first);
        let mut closed = false;
        // Whatever is queued already (it arrived during the previous send) joins this batch,
        // unless batching is off (`PUSH_BATCH_MS=0`: one send per change).
        while !window.is_zero() {
            match feed.try_recv() {
                Ok(c) => {
                    taken += 1;
                    batches.entry(c.event_id.clone()).or_default().add(&c);
                }
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => on_lag(n),
                Err(tokio::sync::broadcast::error::TryRecvError::Closed) => {
                    closed = true;
                    break;
                }
                Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
            }
        }
        // After a quiet spell: go now. Otherwise this is a busy spell: gather for one
        // window from this batch's first change.
        let busy = last_send.is_some_and(|at| arrived.saturating_duration_since(at) < quiet);
        if busy && !closed {
            let deadline = arrived + window;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => break,
                    next = feed.recv() => match next {
                        Ok(c) => {
                            taken += 1;
                            batches.entry(c.event_id.clone()).or_default().add(&c);
                        }
                        Err(RecvError::Lagged(n)) => on_lag(n),
                        Err(RecvError::Closed) => { closed = true; break }
                    }
                }
            }
        }
        send(batches, taken).await;
        last_send = Some(Instant::now());
        if closed {
            return;
        }
    }
}

/// One window's batches: into the snapshot cache, relayed to the other instances, then
/// emitted to the event rooms.
async fn push<A: Adapter>(
    io: &SocketIo<A>,
    batches: HashMap<EventId, Batch>,
    metrics: &Metrics,
    snapshots: &SnapshotCache,
    relay: Option<&Arc<Relay>>,
) {
    let batches: Vec<(EventId, Arc<Batch>)> = batches
        .into_iter()
        .map(|(event_id, batch)| (event_id, Arc::new(batch)))
        .collect();
    for (event_id, batch) in &batches {
        snapshots.apply(event_id.as_str(), batch);
    }
    // Relay first, so other instances' caches have the changes before their sockets
    // get the pushes. When Redis refuses the relay, it is down: the room messages
    // would fail too, only later (the connection's reconnect attempts), so they go
    // straight to this instance's sockets. A slow relay lets the adapter try anyway.
    // Other instances' caches catch up on their reconnect (which reloads them).
    let mut cross_instance = true;
    if let Some(relay) = relay {
        // In a task of its own: a slow relay still completes after the wait.
        let (relay, relayed) = (Arc::clone(relay), batches.clone());
        let publish = tokio::spawn(async move { relay.publish(&relayed).await });
        match tokio::time::timeout(RELAY_WAIT, publish).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "relay task failed"),
            Ok(Ok(Err(e))) => {
                cross_instance = false;
                tracing::warn!(error = %e, "could not relay changes to other instances; delivering locally");
            }
            Err(_) => {
                tracing::warn!("relaying changes to other instances is slow; pushing anyway")
            }
        }
    }
    for (event_id, batch) in batches {
        let room = event_room(&event_id);
        let messages = batch.messages(&event_id);
        // All kinds at once, not one after another: each socket's writer then usually
        // finds them queued together and sends them in one write (a loopback write
        // costs about as much as everything else a push does).
        futures::future::join_all(
            messages.iter().map(|(name, payload)| {
                emit(io, room.clone(), name, payload, metrics, cross_instance)
            }),
        )
        .await;
        let emitted = std::time::Instant::now();
        for at in &batch.committed {
            metrics
                .recorded
                .push_latency(emitted.saturating_duration_since(*at));
        }
    }
}

/// The feed's next message, or `None` once `token` is cancelled (checked first, so a
/// stopping server does not start another batch).
pub(crate) async fn next_or_stop<T: Clone>(
    feed: &mut Receiver<T>,
    token: &CancellationToken,
) -> Option<Result<T, RecvError>> {
    tokio::select! {
        biased;
        _ = token.cancelled() => None,
        next = feed.recv() => Some(next),
    }
}

/// Sends a room message to every instance. If the cross-instance step fails (Redis is down
/// or restarting), the adapter skips the local sockets too; deliver to this instance's own
/// sockets anyway, so a Redis outage costs cross-instance pushes only, and count it. A socket
/// whose outgoing queue is full misses this push (the others got it): count it, don't resend.
pub(crate) async fn emit<A: Adapter>(
    io: &SocketIo<A>,
    room: String,
    name: &'static str,
    payload: &serde_json::Value,
    metrics: &Metrics,
    cross_instance: bool,
) {
    // `io.to` panics once the namespace is gone (the sockets were closed at shutdown while
    // a tick was still being pushed): then there is nobody left to tell.
    let Some(ns) = io.of("/") else {
        return;
    };
    let sent = if !cross_instance {
        Metrics::add(&metrics.cluster_push_failures, 1);
        ns.to(room).local().emit(name, payload).await
    } else {
        match ns.clone().to(room.clone()).emit(name, payload).await {
            Err(BroadcastError::Adapter(e)) => {
                Metrics::add(&metrics.cluster_push_failures, 1);
                tracing::warn!(error = %e, event = name, "cross-instance push failed; delivering locally");
                ns.to(room).local().emit(name, payload).await
            }
            sent => sent,
        }
    };
    match sent {
        Ok(()) => Metrics::add(&metrics.pushes_out, 1),
        Err(BroadcastError::Socket(errors)) => {
            Metrics::add(&metrics.pushes_out, 1);
            count_full(metrics, &errors);
        }
        Err(e) => tracing::error!(error = %e, event = name, "push not sent"),
    }
}

fn count_full(metrics: &Metrics, errors: &[SocketError]) {
    let full = errors
        .iter()
        .filter(|e| matches!(e, SocketError::InternalChannelFull))
        .count() as u64;
    if full > 0 {
        Metrics::add(&metrics.socket_queue_full, full);
        tracing::warn!(
            sockets = full,
            "outgoing queue full: push dropped for slow sockets"
        );
    }
}

fn lagged(metrics: &Metrics, n: u64) {
    Metrics::add(&metrics.feed_lagged, n);
    tracing::error!(
        missed = n,
        "real-time layer fell behind the change feed; clients resync on their next snapshot"
    );
}

/// Waiting-room events to sockets: `queue:progress` to the line's room (one message for
/// everyone waiting, each tick), `queue:admitted` to the admitted user's own sockets only.
/// Stops between events when `token` is cancelled.
pub async fn run_queue<A: Adapter>(
    io: SocketIo<A>,
    mut feed: Receiver<Arc<QueueEvent>>,
    metrics: Arc<Metrics>,
    token: CancellationToken,
) {
    loop {
        let Some(next) = next_or_stop(&mut feed, &token).await else {
            return;
        };
        let event = match next {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                lagged(&metrics, n);
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        match &*event {
            QueueEvent::Progress {
                event_id,
                serving_number,
                total_waiting,
                admit_rate_per_sec,
                recovering,
            } => {
                let payload = json!({
                    "eventId": event_id,
                    "servingNumber": serving_number,
                    "totalWaiting": total_waiting,
                    "admitRatePerSec": admit_rate_per_sec,
                    "recovering": recovering,
                });
                emit(
                    &io,
                    queue_room(event_id),
                    "queue:progress",
                    &payload,
                    &metrics,
                    true,
                )
                .await
            }
            QueueEvent::Admitted {
                event_id,
                user_id,
                admission_token,
                expires_at,
            } => {
                let payload = json!({
                    "eventId": event_id,
                    "admissionToken": admission_token,
                    "expiresAt": crate::clock::to_rfc3339(*expires_at),
                });
                emit(
                    &io,
                    user_room(user_id),
                    "queue:admitted",
                    &payload,
                    &metrics,
                    true,
                )
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The adaptive window on tokio's paused clock: virtual time, so these assert when a
    //! batch leaves without depending on how busy the machine is.
    use super::*;
    use crate::ids::{ReservationId, TicketTypeId, UserId};
    use crate::inventory::{ChangeCause, StockChange};
    use std::sync::Mutex;
    use tokio::sync::broadcast;

    fn change(event: &str, version: i64) -> Arc<InventoryChange> {
        Arc::new(InventoryChange {
            event_id: EventId::parse(event).unwrap(),
            reservation_id: ReservationId::parse(format!("r{version}")).unwrap(),
            user_id: UserId::parse("u1").unwrap(),
            cause: ChangeCause::Held,
            seats: vec![],
            ticket_types: vec![StockChange {
                ticket_type_id: TicketTypeId::parse("t1").unwrap(),
                remaining_quantity: 100 - version,
                version,
            }],
            committed_at: None,
        })
    }

    /// (when it was sent, changes taken, newest stock version per event) of every send.
    type Sent = Arc<Mutex<Vec<(Duration, u64, Vec<(String, i64)>)>>>;

    /// Runs the batcher on a fresh feed; each send takes `send_takes` of virtual time.
    fn start(
        window: Duration,
        send_takes: Duration,
    ) -> (
        broadcast::Sender<Arc<InventoryChange>>,
        Sent,
        tokio::task::JoinHandle<()>,
    ) {
        let (tx, rx) = broadcast::channel(64);
        let sent: Sent = Arc::default();
        let log = Arc::clone(&sent);
        let t0 = Instant::now();
        let task = tokio::spawn(batches(
            rx,
            window,
            CancellationToken::new(),
            |_| {},
            move |b: HashMap<EventId, Batch>, taken| {
                let mut versions: Vec<(String, i64)> = b
                    .iter()
                    .map(|(e, b)| (e.to_string(), b.stock["t1"].1))
                    .collect();
                versions.sort();
                log.lock().unwrap().push((t0.elapsed(), taken, versions));
                tokio::time::sleep(send_takes)
            },
        ));
        (tx, sent, task)
    }

    async fn settle() {
        // Lets the batcher run up to its next wait without moving the paused clock.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_change_goes_out_at_once() {
        let (tx, sent, task) = start(Duration::from_millis(20), Duration::ZERO);
        tx.send(change("e1", 1)).unwrap();
        settle().await;
        assert_eq!(
            *sent.lock().unwrap(),
            vec![(Duration::ZERO, 1, vec![("e1".into(), 1)])]
        );
        // After a quiet spell longer than the window, the next one goes at once too.
        tokio::time::sleep(Duration::from_millis(250)).await;
        tx.send(change("e1", 2)).unwrap();
        settle().await;
        assert_eq!(sent.lock().unwrap().len(), 2);
        assert_eq!(sent.lock().unwrap()[1].0, Duration::from_millis(250));
        drop(tx);
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn changes_close_behind_a_send_wait_for_its_window_and_go_together() {
        let (tx, sent, task) = start(Duration::from_millis(20), Duration::ZERO);
        tx.send(change("e1", 1)).unwrap();
        settle().await;
        // Three more within the window, for two events: one send when the window ends,
        // holding only the newest version of each.
        tokio::time::sleep(Duration::from_millis(5)).await;
        tx.send(change("e1", 2)).unwrap();
        tx.send(change("e2", 3)).unwrap();
        settle().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        tx.send(change("e1", 4)).unwrap();
        settle().await;
        assert_eq!(
            sent.lock().unwrap().len(),
            1,
            "nothing more before the window ends"
        );
        // The window runs from the first of them (5 ms) to 25 ms.
        tokio::time::sleep(Duration::from_millis(14)).await;
        settle().await;
        assert_eq!(sent.lock().unwrap().len(), 1);
        tokio::time::sleep(Duration::from_millis(2)).await;
        settle().await;
        let sent = sent.lock().unwrap().clone();
        assert_eq!(
            sent[1],
            (
                Duration::from_millis(25),
                3,
                vec![("e1".into(), 4), ("e2".into(), 3)]
            )
        );
        drop(tx);
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn changes_during_a_send_go_together_a_window_after_it() {
        // What queued during a send leaves one window after the send ended: under a burst,
        // one push per send-plus-window, as with a fixed window.
        let (tx, sent, task) = start(Duration::from_millis(20), Duration::from_millis(50));
        tx.send(change("e1", 1)).unwrap();
        settle().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        for v in 2..=6 {
            tx.send(change("e1", v)).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(45)).await;
        settle().await;
        assert_eq!(
            sent.lock().unwrap().len(),
            1,
            "the send ended at 50 ms: wait until 70"
        );
        tokio::time::sleep(Duration::from_millis(15)).await;
        settle().await;
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[1],
            (Duration::from_millis(70), 5, vec![("e1".into(), 6)])
        );
        drop(tx);
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_batched_as_with_a_fixed_window_until_it_goes_quiet() {
        let (tx, sent, task) = start(Duration::from_millis(20), Duration::ZERO);
        let at = |ms: u64| Duration::from_millis(ms);
        tx.send(change("e1", 1)).unwrap(); // 0 ms: quiet, at once
        settle().await;
        tokio::time::sleep(at(30)).await;
        tx.send(change("e1", 2)).unwrap(); // 30 ms: busy, gathers until 50
        settle().await;
        tokio::time::sleep(at(15)).await;
        tx.send(change("e1", 3)).unwrap(); // 45 ms: joins it
        settle().await;
        tokio::time::sleep(at(85)).await;
        tx.send(change("e1", 4)).unwrap(); // 130 ms: 80 ms after a send, still busy
        settle().await;
        tokio::time::sleep(at(270)).await;
        tx.send(change("e1", 5)).unwrap(); // 400 ms: quiet again, at once
        settle().await;
        let sent: Vec<(Duration, u64)> = sent
            .lock()
            .unwrap()
            .iter()
            .map(|(when, taken, _)| (*when, *taken))
            .collect();
        assert_eq!(sent, [(at(0), 1), (at(50), 2), (at(150), 1), (at(400), 1)]);
        drop(tx);
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_window_sends_each_change_on_its_own() {
        let (tx, sent, task) = start(Duration::ZERO, Duration::ZERO);
        // Queued together (as a batch of holds committed at once publishes them), still
        // one send each.
        for v in 1..=3 {
            tx.send(change("e1", v)).unwrap();
        }
        settle().await;
        let sent = sent.lock().unwrap().clone();
        assert_eq!(
            sent.iter().map(|(_, taken, _)| *taken).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        drop(tx);
        task.await.unwrap();
    }
}
