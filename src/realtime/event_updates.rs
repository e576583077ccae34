//! `event:updated {eventId, event}`: an event's settings changed (an administrator's
//! `PATCH`), told to the sockets in its event room and its queue room.
//!
//! Every instance learns of every change by itself (the inventory's settings watcher, within
//! a second; at once on the instance that made it), so each sends only to its own sockets
//! (`.local()`): nobody gets a change twice, and it needs no Redis.

use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio_util::sync::CancellationToken;

use super::{event_room, queue_room};
use crate::ids::EventId;
use crate::inventory::StockView;

/// Sends `event:updated` for each changed event until `token` is cancelled.
pub async fn run<A: Adapter>(
    io: SocketIo<A>,
    stock: StockView,
    mut changes: Receiver<EventId>,
    token: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            biased;
            _ = token.cancelled() => return,
            next = changes.recv() => next,
        };
        let event_id = match next {
            Ok(id) => id,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(
                    missed = n,
                    "event:updated fell behind; clients see the change on their next read"
                );
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let event = match stock.event(&event_id).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, %event_id, "cannot read a changed event");
                continue;
            }
        };
        let Some(ns) = io.of("/") else { return };
        let payload = json!({ "eventId": event_id, "event": event });
        let rooms = [event_room(&event_id), queue_room(&event_id)];
        if let Err(e) = ns.to(rooms).local().emit("event:updated", &payload).await {
            tracing::debug!(error = %e, "event:updated not sent to every socket");
        }
    }
}
