//! Admission: who may shop an event right now.
//!
//! Every shopping call (holding seats or tickets) passes through [`Admission::check`] before
//! the inventory sees it. Until the waiting room lands, [`OpenDoor`] admits everyone and
//! reports no line; the waiting room replaces it with an implementation that checks the
//! signed `X-Admission-Token` and keeps the line, without the HTTP layer changing.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::Result;
use crate::inventory::Event;

/// The line's state as `GET /api/events/:id` shows it.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSummary {
    /// True while joiners have to wait (a surge).
    pub active: bool,
    pub capacity: i64,
    pub active_shoppers: i64,
    pub total_waiting: i64,
    pub admit_rate_per_sec: f64,
}

#[async_trait]
pub trait Admission: Send + Sync + 'static {
    /// Allows or refuses (`403 not_admitted`) a shopping call by `user_id` on `event_id`,
    /// given the `X-Admission-Token` header if one was sent.
    async fn check(
        &self,
        event_id: &str,
        user_id: &str,
        admission_token: Option<&str>,
    ) -> Result<()>;

    /// The event's line, for event pages.
    async fn summary(&self, event: &Event) -> Result<QueueSummary>;
}

/// No waiting room: every signed-in user may shop every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenDoor;

#[async_trait]
impl Admission for OpenDoor {
    async fn check(&self, _event_id: &str, _user_id: &str, _token: Option<&str>) -> Result<()> {
        Ok(())
    }

    async fn summary(&self, event: &Event) -> Result<QueueSummary> {
        Ok(QueueSummary {
            active: false,
            capacity: event.capacity,
            active_shoppers: 0,
            total_waiting: 0,
            admit_rate_per_sec: event.admit_rate_per_sec,
        })
    }
}
