//! `/api/admin/*`: creating events (role `admin`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

use super::events::{with_queue, EventWithQueue};
use super::extract::{AdminUser, ApiJson};
use crate::error::Result;
use crate::inventory::{EventSpec, NewEvent};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/events", post(create_event))
}

async fn create_event(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(spec): ApiJson<EventSpec>,
) -> Result<(StatusCode, Json<EventWithQueue>)> {
    let new = NewEvent::parse(spec)?;
    let event = state.inventory.create_event(new).await?;
    tracing::info!(event_id = %event.id, admin = %admin.id, "admin created event");
    Ok((StatusCode::CREATED, Json(with_queue(&state, event).await?)))
}
