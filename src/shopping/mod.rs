//! Shopping: the one way to hold seats and tickets, and to pay for or cancel a hold.
//!
//! Every hold passes the same rules in the same order, whoever calls:
//! 1. admission: a user may shop an event only while the waiting room lets them in
//!    ([`Admission::check`], with the `X-Admission-Token`); the inventory holds nothing
//!    without the [`Admitted`](crate::admission::Admitted) proof that check returns;
//! 2. the event's per-customer limit (`maxTicketsPerCustomer`), then the seats or the stock,
//!    in one transaction ([`Inventory`]: the limit is taken first, so a refused customer
//!    touches nothing shared).
//!
//! The HTTP edge parses the request into typed values and calls this service; it holds no
//! rule of its own. Every hold attempt (its outcome and how long it took) and every ticket
//! paid for is counted for operators here (`GET /metrics`).

use std::sync::Arc;
use std::time::Instant;

use crate::admission::Admission;
use crate::error::{Error, Result};
use crate::ids::{EventId, ReservationId, TicketTypeId, UserId};
use crate::inventory::{Inventory, Quantity, Reservation, SeatSelection};
use crate::metrics::Metrics;

/// The shopping service. One per application; cheap to share.
pub struct Shopping {
    inventory: Inventory,
    admission: Arc<dyn Admission>,
    metrics: Arc<Metrics>,
}

impl Shopping {
    pub fn new(inventory: Inventory, admission: Arc<dyn Admission>, metrics: Arc<Metrics>) -> Self {
        Shopping {
            inventory,
            admission,
            metrics,
        }
    }

    /// Most seats or tickets one order may hold (`MAX_TICKETS_PER_ORDER`): the bound the
    /// edge parses [`SeatSelection`] and [`Quantity`] against.
    pub fn max_tickets_per_order(&self) -> u32 {
        self.inventory.max_tickets_per_order()
    }

    /// Holds `seats` of `event` for `user`, all or none, if the user is admitted.
    pub async fn hold_seats(
        &self,
        event: &EventId,
        user: &UserId,
        seats: &SeatSelection,
        admission_token: Option<&str>,
    ) -> Result<Reservation> {
        let started = Instant::now();
        let hold = async {
            let admitted = self.admission.check(event, user, admission_token).await?;
            self.inventory.hold_seats(&admitted, seats).await
        };
        self.counted(event, started, hold.await)
    }

    /// Holds `quantity` general-admission tickets of `ticket_type` for `user`, if the user
    /// is admitted to `event`.
    pub async fn hold_tickets(
        &self,
        event: &EventId,
        user: &UserId,
        ticket_type: &TicketTypeId,
        quantity: Quantity,
        admission_token: Option<&str>,
    ) -> Result<Reservation> {
        let started = Instant::now();
        let hold = async {
            let admitted = self.admission.check(event, user, admission_token).await?;
            self.inventory
                .hold_tickets(&admitted, ticket_type, quantity)
                .await
        };
        self.counted(event, started, hold.await)
    }

    /// Holds the best block of `quantity` adjacent free seats in one row of `event` for
    /// `user` (of `ticket_type`, in `section`, when given), if the user is admitted: the same
    /// rules as any hold, then `409 no_adjacent_seats` when no block fits.
    pub async fn hold_best(
        &self,
        event: &EventId,
        user: &UserId,
        quantity: Quantity,
        ticket_type: Option<&TicketTypeId>,
        section: Option<&str>,
        admission_token: Option<&str>,
    ) -> Result<Reservation> {
        let started = Instant::now();
        let hold = async {
            let admitted = self.admission.check(event, user, admission_token).await?;
            self.inventory
                .hold_best(&admitted, quantity, ticket_type, section)
                .await
        };
        self.counted(event, started, hold.await)
    }

    /// Pays `user`'s pending hold (simulated payment). Needs no admission: a shopper whose
    /// turn ended may still pay for what they hold.
    pub async fn pay(&self, reservation: &ReservationId, user: &UserId) -> Result<Reservation> {
        let paid = self.inventory.pay(reservation, user).await?;
        // The turn ends before the answer: the shopper's next join is a new turn. The payment
        // stands if the line cannot be reached; the idle timer frees the slot then.
        if let Err(e) = self.admission.turn_over(&paid.event_id, user).await {
            tracing::warn!(error = %e, event = %paid.event_id, "paid, but could not end the shopper's turn");
        }
        let tickets: i64 = paid.items.iter().map(|i| i.quantity).sum();
        self.metrics
            .recorded
            .sold(&paid.event_id, tickets.max(0) as u64);
        Ok(paid)
    }

    /// Cancels `user`'s pending hold, or refunds their paid order.
    pub async fn cancel(&self, reservation: &ReservationId, user: &UserId) -> Result<Reservation> {
        self.inventory.cancel(reservation, user).await
    }

    /// `user`'s reservations, newest first.
    pub async fn reservations_of(&self, user: &UserId) -> Result<Vec<Reservation>> {
        self.inventory.reservations_of(user).await
    }

    fn counted(
        &self,
        event: &EventId,
        started: Instant,
        hold: Result<Reservation>,
    ) -> Result<Reservation> {
        if let Err(Error::CustomerLimit { .. }) = &hold {
            Metrics::add(&self.metrics.customer_limit, 1);
        }
        let label = if hold.is_ok() || self.admission.is_known_event(event) {
            event.as_str()
        } else {
            crate::metrics::prometheus::UNKNOWN_EVENT
        };
        self.metrics.recorded.hold(
            label,
            hold.as_ref().err().map(Error::code),
            started.elapsed(),
        );
        hold
    }
}
