//! `/api/events*`: the catalogue, one event with its line, the seat map.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use super::extract::CurrentUser;
use crate::admission::QueueSummary;
use crate::error::Result;
use crate::ids::EventId;
use crate::inventory::{Allowance, Event};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list))
        .route("/events/{event_id}", get(one))
        .route("/events/{event_id}/seats", get(seats))
        .route("/events/{event_id}/allowance", get(allowance))
}

/// An event as `GET /api/events/:id` returns it: the event plus its waiting line.
#[derive(Serialize)]
pub struct EventWithQueue {
    #[serde(flatten)]
    pub event: Event,
    pub queue: QueueSummary,
}

pub async fn with_queue(state: &AppState, event: Event) -> Result<EventWithQueue> {
    let queue = state.waiting_room.summary(&event).await?;
    Ok(EventWithQueue { event, queue })
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Event>>> {
    Ok(Json(state.inventory.events().await?))
}

async fn one(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<EventWithQueue>> {
    let event = state.inventory.event(&EventId::parse(event_id)?).await?;
    Ok(Json(with_queue(&state, event).await?))
}

async fn seats(State(state): State<AppState>, Path(event_id): Path<String>) -> Result<Json<Value>> {
    let event_id = EventId::parse(event_id)?;
    let seats = state.inventory.seats(&event_id).await?;
    Ok(Json(json!({ "eventId": event_id, "seats": seats })))
}

/// How many more seats and tickets of the event the caller may take (the per-customer limit).
async fn allowance(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(event_id): Path<String>,
) -> Result<Json<Allowance>> {
    let event_id = EventId::parse(event_id)?;
    Ok(Json(state.inventory.allowance(&event_id, &user.id).await?))
}
