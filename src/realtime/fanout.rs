//! From the inventory's change feed to Socket.IO room messages, batched.
//!
//! Under a burst, many changes for one event arrive within milliseconds. They are collected
//! for one short window (`PUSH_BATCH_MS`, at most 25 ms) and sent as one message per kind and
//! event: all seats newly held in one `seat:selected`, all released in one `seat:released`,
//! all sold in one `seat:sold`, all stock changes in one `ticket:updated`. Within a window
//! only the newest version of each seat and ticket type is kept, so a seat held and
//! released in the same window costs one entry, not two. Each message is serialized once
//! and written to every socket in the room (and published once to Redis in cluster mode).
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

/// Consumes the feed until it closes, emitting one batch of messages per event per window.
/// Each batch goes into the snapshot cache (and, with `relay`, to the other instances)
/// before its messages are emitted.
///
/// Stops between batches when `token` is cancelled (a batch under way is pushed first).
pub async fn run<A: Adapter>(
    io: SocketIo<A>,
    mut feed: Receiver<Arc<InventoryChange>>,
    window: Duration,
    metrics: Arc<Metrics>,
    snapshots: Arc<SnapshotCache>,
    relay: Option<Arc<Relay>>,
    token: CancellationToken,
) {
    loop {
        let Some(next) = next_or_stop(&mut feed, &token).await else {
            return;
        };
        let first = match next {
            Ok(c) => c,
            Err(RecvError::Lagged(n)) => {
                lagged(&metrics, n);
                snapshots.invalidate_all();
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let mut batches: HashMap<EventId, Batch> = HashMap::new();
        let mut taken = 1u64;
        batches
            .entry(first.event_id.clone())
            .or_default()
            .add(&first);
        let deadline = Instant::now() + window;
        let mut closed = false;
        while !window.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                next = feed.recv() => match next {
                    Ok(c) => {
                        taken += 1;
                        batches.entry(c.event_id.clone()).or_default().add(&c);
                    }
                    Err(RecvError::Lagged(n)) => {
                        lagged(&metrics, n);
                        snapshots.invalidate_all();
                    }
                    Err(RecvError::Closed) => { closed = true; break }
                }
            }
        }
        Metrics::add(&metrics.changes_in, taken);
        push(&io, batches, &metrics, &snapshots, relay.as_ref()).await;
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
async fn next_or_stop<T: Clone>(
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
async fn emit<A: Adapter>(
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
