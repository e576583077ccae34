//! `/api/waitlist`: join the waitlist of a sold-out ticket type, leave it, see your entries
//! and their offers. The rules (sold out only, limits, order, offers) are the inventory's
//! ([`crate::inventory`]'s waitlist).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, CurrentUser};
use super::openapi::{ApiError, RateLimited, Unauthorized, Unavailable};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, TicketTypeId};
use crate::inventory::{Quantity, WaitlistEntry};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(mine))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinWaitlist {
    #[schema(value_type = EventId)]
    event_id: String,
    #[schema(value_type = TicketTypeId)]
    ticket_type_id: String,
    /// 1 to `MAX_TICKETS_PER_ORDER` (default 10), and within the per-customer allowance.
    #[schema(minimum = 1)]
    quantity: i64,
}

/// The caller's place on one waitlist.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Joined {
    event_id: EventId,
    ticket_type_id: TicketTypeId,
    quantity: i64,
    /// 1 = the next to be offered.
    position: i64,
}

#[derive(Serialize, ToSchema)]
struct Entries {
    entries: Vec<WaitlistEntry>,
}

/// Joins the waitlist of a sold-out ticket type; posting again for the same type changes the
/// quantity and keeps the place (200).
#[utoipa::path(post, path = "/waitlist", tag = "shopping", operation_id = "joinWaitlist",
    request_body = JoinWaitlist,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "On the waitlist", body = Joined),
        (status = 200, description = "Already on it: quantity changed, place kept", body = Joined),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_id`, `invalid_quantity`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`event_not_found`, `ticket_type_not_found`", body = ApiError),
        (status = 409, description = "`not_sold_out`, `customer_limit` (with `limit`, `remaining`), `too_many_waitlists`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn join(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<JoinWaitlist>,
) -> Result<(StatusCode, Json<Joined>)> {
    let event = EventId::parse(body.event_id)?;
    let kind = TicketTypeId::parse(body.ticket_type_id)?;
    let max = state.inventory.max_tickets_per_order();
    if body.quantity < 1 || body.quantity > i64::from(max) {
        return Err(Error::invalid(
            ErrorCode::InvalidQuantity,
            format!("quantity must be 1 to {max}"),
        ));
    }
    let quantity = Quantity::parse(body.quantity, max)?;
    let (entry, created) = state
        .inventory
        .join_waitlist(&event, &kind, &user.id, quantity)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Joined {
            event_id: entry.event_id,
            ticket_type_id: entry.ticket_type_id,
            quantity: entry.quantity,
            position: entry.position,
        }),
    ))
}

/// Leaves the waitlist of one ticket type (204 also when not on it). A pending offer stays the
/// caller's hold.
#[utoipa::path(delete, path = "/waitlist/{event_id}/{ticket_type_id}", tag = "shopping", operation_id = "leaveWaitlist",
    params(("event_id" = EventId, Path), ("ticket_type_id" = TicketTypeId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Not on that waitlist (any more)"),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn leave(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((event_id, ticket_type_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let event = EventId::parse(event_id)?;
    let kind = TicketTypeId::parse(ticket_type_id)?;
    state
        .inventory
        .leave_waitlist(&event, &kind, &user.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's waitlist entries for the event, each with its place and its pending offer.
#[utoipa::path(get, path = "/waitlist/{event_id}", tag = "shopping", operation_id = "myWaitlist",
    params(("event_id" = EventId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's entries", body = Entries),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn mine(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(event_id): Path<String>,
) -> Result<Json<Entries>> {
    let event = EventId::parse(event_id)?;
    let entries = state.inventory.waitlist_of(&event, &user.id).await?;
    Ok(Json(Entries { entries }))
}
