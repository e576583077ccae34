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

/// One user's place in an event's line, as `queue:position` and the queue REST calls show it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuePosition {
    pub event_id: String,
    /// 1-based place in line; `None` once admitted (or when there is no line).
    pub position: Option<i64>,
    pub total_waiting: i64,
    /// Seconds.
    pub estimated_wait_time: i64,
    /// The user's ticket number in line; place = number - servingNumber.
    pub number: Option<i64>,
    pub admitted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_token: Option<String>,
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

    /// The user's place in the event's line.
    async fn position(&self, event_id: &str, user_id: &str) -> Result<QueuePosition>;
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

    async fn position(&self, event_id: &str, _user_id: &str) -> Result<QueuePosition> {
        Ok(QueuePosition {
            event_id: event_id.to_string(),
            position: None,
            total_waiting: 0,
            estimated_wait_time: 0,
            number: None,
            admitted: true,
            admission_token: None,
        })
    }
}
