//! `/api/events*`: the catalogue, one event with its line, the seat map.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::CurrentUser;
use super::openapi::{ApiError, RateLimited, Unauthorized, Unavailable};
use crate::admission::QueueSummary;
use crate::error::Result;
use crate::ids::EventId;
use crate::inventory::{Allowance, Event, Seat};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(seats))
        .routes(routes!(allowance))
}

/// An event as `GET /api/events/:id` returns it: the event plus its waiting line.
#[derive(Serialize, ToSchema)]
pub struct EventWithQueue {
    #[serde(flatten)]
    pub event: Event,
    pub queue: QueueSummary,
}

/// An event's seat map.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatMap {
    pub event_id: EventId,
    pub seats: Vec<Seat>,
}

pub async fn with_queue(state: &AppState, event: Event) -> Result<EventWithQueue> {
    let queue = state.waiting_room.summary(&event).await?;
    Ok(EventWithQueue { event, queue })
}

/// Every event, soonest first.
#[utoipa::path(get, path = "/events", tag = "events", operation_id = "listEvents",
    responses(
        (status = 200, description = "The catalogue", body = Vec<Event>),
        (status = 503, response = Unavailable),
    ))]
async fn list(State(state): State<AppState>) -> Result<Json<Vec<Event>>> {
    Ok(Json(state.inventory.events().await?))
}

/// One event with its waiting line.
#[utoipa::path(get, path = "/events/{event_id}", tag = "events", operation_id = "getEvent",
    params(("event_id" = EventId, Path)),
    responses(
        (status = 200, description = "The event and its line", body = EventWithQueue),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 503, response = Unavailable),
    ))]
async fn one(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<EventWithQueue>> {
    let event = state.inventory.event(&EventId::parse(event_id)?).await?;
    Ok(Json(with_queue(&state, event).await?))
}

/// The event's seats and their status (none for an event without a seat map).
#[utoipa::path(get, path = "/events/{event_id}/seats", tag = "events", operation_id = "getSeats",
    params(("event_id" = EventId, Path)),
    responses(
        (status = 200, description = "The seat map", body = SeatMap),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 503, response = Unavailable),
    ))]
async fn seats(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<SeatMap>> {
    let event_id = EventId::parse(event_id)?;
    let seats = state.inventory.seats(&event_id).await?;
    Ok(Json(SeatMap { event_id, seats }))
}

/// How many more seats and tickets of the event the caller may take (the per-customer limit).
#[utoipa::path(get, path = "/events/{event_id}/allowance", tag = "events", operation_id = "getAllowance",
    params(("event_id" = EventId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's allowance", body = Allowance),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn allowance(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(event_id): Path<String>,
) -> Result<Json<Allowance>> {
    let event_id = EventId::parse(event_id)?;
    Ok(Json(state.inventory.allowance(&event_id, &user.id).await?))
}
