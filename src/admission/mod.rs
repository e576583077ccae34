//! Admission: who may shop an event right now.
//!
//! Every shopping call (holding seats or tickets) passes through [`Admission::check`], which
//! hands back an [`Admitted`] proof; the inventory holds nothing without one, and the
//! shopping service ([`crate::shopping`]) is where the check is made. The implementation is
//! the waiting room ([`crate::waiting_room::WaitingRoom`]), which checks the signed
//! `X-Admission-Token` and keeps the line.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::Result;
use crate::ids::{EventId, UserId};

/// The line's state as `GET /api/events/:id` shows it.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueSummary {
    /// True while joiners have to wait (a surge).
    pub active: bool,
    pub capacity: i64,
    pub active_shoppers: i64,
    pub total_waiting: i64,
    pub admit_rate_per_sec: f64,
    /// The last number let in; a waiting user's place is their number minus this.
    pub serving_number: i64,
    /// Admissions per second actually seen (moving average).
    pub measured_admit_rate: f64,
    pub admission_ttl_seconds: i64,
    pub idle_timeout_seconds: i64,
}

/// One user's place in an event's line, as `queue:position` and the queue REST calls show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuePosition {
    pub event_id: EventId,
    /// 1-based place in line; `None` once admitted (or when there is no line).
    #[schema(required = true)]
    pub position: Option<i64>,
    pub total_waiting: i64,
    /// Seconds.
    pub estimated_wait_time: i64,
    /// The user's ticket number in line; place = number - servingNumber.
    #[schema(required = true)]
    pub number: Option<i64>,
    pub admitted: bool,
    /// While admitted: the token for `X-Admission-Token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub admission_token: Option<String>,
    /// While admitted: when the shopper's turn ends, whatever they do meanwhile.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::clock::serde_rfc3339_opt"
    )]
    #[schema(value_type = Option<String>, format = DateTime, nullable = false)]
    pub turn_ends_at: Option<crate::clock::Millis>,
    /// A signed proof of the user's place (number, or joined before the sale opened): sent
    /// back with a join, it restores the place if the line's state was lost. `null` when the
    /// user has no place to keep (admitted, not in line).
    #[schema(required = true)]
    pub receipt: Option<String>,
    /// The line is being rebuilt after its state was lost (a recovery window is open).
    pub recovering: bool,
}

/// Proof that a user may shop an event now. Only an [`Admission`] implementation makes one
/// (in [`Admission::check`]); the inventory's holds take it instead of an event and a user,
/// so no path can hold seats or tickets past the admission check.
#[derive(Debug)]
pub struct Admitted {
    event: EventId,
    user: UserId,
}

impl Admitted {
    /// For [`Admission::check`] implementations, once they have let the user in.
    pub(crate) fn grant(event: &EventId, user: &UserId) -> Admitted {
        Admitted {
            event: event.clone(),
            user: user.clone(),
        }
    }

    pub fn event(&self) -> &EventId {
        &self.event
    }

    pub fn user(&self) -> &UserId {
        &self.user
    }
}

#[async_trait]
pub trait Admission: Send + Sync + 'static {
    /// Lets `user` shop `event` (the proof), or refuses with `403 not_admitted`, given the
    /// `X-Admission-Token` header if one was sent.
    async fn check(
        &self,
        event: &EventId,
        user: &UserId,
        admission_token: Option<&str>,
    ) -> Result<Admitted>;

    /// `user` paid for `event`: their turn is over and the slot goes to the next in line.
    /// Called by the payment itself before it answers, so a join sent right after the
    /// payment starts a new turn that nothing from the old one can end later.
    async fn turn_over(&self, event: &EventId, user: &UserId) -> Result<()>;

    /// Whether `event` is known to exist, from memory only (no query): what a refused
    /// hold's metrics may be labelled with, so an id made up by a client never becomes a
    /// label.
    fn is_known_event(&self, event: &EventId) -> bool;
}
