//! `/api/admin/*`: creating events (role `admin`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::events::{with_queue, EventWithQueue};
use super::extract::{AdminUser, ApiJson};
use super::openapi::{AdminOnly, ApiError, RateLimited, Unauthorized, Unavailable};
use crate::error::Result;
use crate::inventory::{EventSpec, NewEvent};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_event))
}

/// Creates an event with its ticket types and seat map.
#[utoipa::path(post, path = "/admin/events", tag = "admin", operation_id = "createEvent",
    request_body = EventSpec,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The event, as `GET /api/events/{event_id}` shows it", body = EventWithQueue),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_field`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, response = AdminOnly),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
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
