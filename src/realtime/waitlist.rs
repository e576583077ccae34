//! `waitlist:offer`: an offer made to a waiting user goes to that user's own sockets only
//! (their user room, as `queue:admitted`), on every instance: the instance that made the offer
//! emits it once and the adapter carries it to the others.

use std::sync::Arc;

use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio_util::sync::CancellationToken;

use super::fanout::{emit, next_or_stop};
use super::user_room;
use crate::inventory::WaitlistOffer;
use crate::metrics::Metrics;

/// Pushes each offer this instance makes to its user: `{eventId, ticketTypeId, reservation}`.
pub async fn run<A: Adapter>(
    io: SocketIo<A>,
    mut offers: Receiver<Arc<WaitlistOffer>>,
    metrics: Arc<Metrics>,
    token: CancellationToken,
) {
    loop {
        let Some(next) = next_or_stop(&mut offers, &token).await else {
            return;
        };
        let offer = match next {
            Ok(o) => o,
            Err(RecvError::Lagged(n)) => {
                // The users still find their offers with GET /api/waitlist/{eventId}.
                tracing::warn!(missed = n, "waitlist offers fan-out fell behind");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let payload = json!({
            "eventId": offer.event_id,
            "ticketTypeId": offer.ticket_type_id,
            "reservation": offer.reservation,
        });
        emit(
            &io,
            user_room(&offer.user_id),
            "waitlist:offer",
            &payload,
            &metrics,
            true,
        )
        .await;
    }
}
