//! Shopping: holding seats or tickets, paying, cancelling, listing my reservations. Each
//! handler parses the request into typed values and calls the shopping service, which checks
//! the admission and every other rule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AdmissionToken, ApiJson, CurrentUser};
use super::openapi::{ApiError, RateLimited, Unauthorized, Unavailable};
use crate::error::{Error, FieldError, Result};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId};
use crate::inventory::{Quantity, Reservation, SeatSelection};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reserve_seats))
        .routes(routes!(reserve_best))
        .routes(routes!(reserve_tickets, mine))
        .routes(routes!(pay))
        .routes(routes!(cancel))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ReserveSeats {
    #[schema(value_type = EventId)]
    event_id: String,
    /// Distinct seats of the event, at most `MAX_TICKETS_PER_ORDER` (default 10).
    #[schema(value_type = Vec<SeatId>, min_items = 1)]
    seat_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ReserveTickets {
    #[schema(value_type = EventId)]
    event_id: String,
    #[schema(value_type = TicketTypeId)]
    ticket_type_id: String,
    /// 1 to `MAX_TICKETS_PER_ORDER` (default 10).
    #[schema(minimum = 1)]
    quantity: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ReserveBest {
    #[schema(value_type = EventId)]
    event_id: String,
    /// Adjacent seats wanted in one row: 1 to `MAX_TICKETS_PER_ORDER` (default 10), and
    /// within the caller's remaining per-customer allowance.
    #[schema(minimum = 1)]
    quantity: i64,
    /// Only seats of this (seated) ticket type.
    #[schema(value_type = Option<TicketTypeId>)]
    ticket_type_id: Option<String>,
    /// Only seats of this section of the event's seat map (its name).
    #[schema(max_length = 200)]
    section: Option<String>,
}

/// One reservation, as holds, payments and cancellations answer.
#[derive(Serialize, ToSchema)]
struct ReservationAnswer {
    reservation: Reservation,
}

fn wrap(reservation: Reservation) -> Json<ReservationAnswer> {
    Json(ReservationAnswer { reservation })
}

/// Holds seats of the event, all or none, for the event's `holdSeconds`.
#[utoipa::path(post, path = "/seats/reserve", tag = "shopping", operation_id = "holdSeats",
    request_body = ReserveSeats,
    params(("X-Admission-Token" = Option<String>, Header, description = "The event's admission token from the waiting room")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Held", body = ReservationAnswer),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_id`, `invalid_seat_ids`, `duplicate_seat_ids`, `too_many_tickets`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`not_admitted`", body = ApiError),
        (status = 404, description = "`event_not_found`, `seat_not_found` (with `seatIds`)", body = ApiError),
        (status = 409, description = "`seat_unavailable` (with `seatIds`), `customer_limit` (with `limit`, `remaining`)", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn reserve_seats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveSeats>,
) -> Result<(StatusCode, Json<ReservationAnswer>)> {
    let event = EventId::parse(body.event_id)?;
    let seats = SeatSelection::parse(body.seat_ids, state.shopping.max_tickets_per_order())?;
    let hold = state
        .shopping
        .hold_seats(&event, &user.id, &seats, token.as_deref())
        .await?;
    Ok((StatusCode::CREATED, wrap(hold)))
}

/// Holds the best block of `quantity` adjacent free seats in one row: front rows first, then
/// the middle of the row, avoiding a single empty seat left between taken ones where another
/// block fits. A block taken by someone else a moment earlier is not an answer: the next best
/// block is taken in the same request.
#[utoipa::path(post, path = "/seats/best", tag = "shopping", operation_id = "holdBestSeats",
    request_body = ReserveBest,
    params(("X-Admission-Token" = Option<String>, Header, description = "The event's admission token from the waiting room")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Held: the block's seats, in seat order", body = ReservationAnswer),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_id`, `invalid_quantity`, `too_many_tickets`, `invalid_field` (`section` not in the seat map, `ticketTypeId` not seated)", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`not_admitted`", body = ApiError),
        (status = 404, description = "`event_not_found`, `ticket_type_not_found`", body = ApiError),
        (status = 409, description = "`no_adjacent_seats` (with `quantity`), `customer_limit` (with `limit`, `remaining`), `sales_paused`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn reserve_best(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveBest>,
) -> Result<(StatusCode, Json<ReservationAnswer>)> {
    let event = EventId::parse(body.event_id)?;
    let quantity = Quantity::parse(body.quantity, state.shopping.max_tickets_per_order())?;
    let kind = body.ticket_type_id.map(TicketTypeId::parse).transpose()?;
    let section = body.section;
    if section.as_ref().is_some_and(|s| s.len() > 200) {
        return Err(Error::InvalidFields(vec![FieldError {
            field: "section".into(),
            message: "no such section in this event's seat map".into(),
        }]));
    }
    let hold = state
        .shopping
        .hold_best(
            &event,
            &user.id,
            quantity,
            kind.as_ref(),
            section.as_deref(),
            token.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, wrap(hold)))
}

/// Holds general-admission tickets of one type.
#[utoipa::path(post, path = "/reservations", tag = "shopping", operation_id = "holdTickets",
    request_body = ReserveTickets,
    params(("X-Admission-Token" = Option<String>, Header, description = "The event's admission token from the waiting room")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Held", body = ReservationAnswer),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_id`, `invalid_quantity`, `too_many_tickets`, `seated_ticket_type`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`not_admitted`", body = ApiError),
        (status = 404, description = "`event_not_found`, `ticket_type_not_found`", body = ApiError),
        (status = 409, description = "`sold_out`, `customer_limit` (with `limit`, `remaining`)", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn reserve_tickets(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveTickets>,
) -> Result<(StatusCode, Json<ReservationAnswer>)> {
    let event = EventId::parse(body.event_id)?;
    let kind = TicketTypeId::parse(body.ticket_type_id)?;
    let quantity = Quantity::parse(body.quantity, state.shopping.max_tickets_per_order())?;
    let hold = state
        .shopping
        .hold_tickets(&event, &user.id, &kind, quantity, token.as_deref())
        .await?;
    Ok((StatusCode::CREATED, wrap(hold)))
}

/// Pays for a pending reservation (simulated); ends the shopper's turn.
#[utoipa::path(post, path = "/reservations/{id}/pay", tag = "shopping", operation_id = "payReservation",
    params(("id" = ReservationId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Paid", body = ReservationAnswer),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`not_owner`", body = ApiError),
        (status = 404, description = "`reservation_not_found`", body = ApiError),
        (status = 409, description = "`hold_expired`, `already_paid`, `reservation_cancelled`, `reservation_changed`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn pay(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ReservationAnswer>> {
    let id = ReservationId::parse(id)?;
    Ok(wrap(state.shopping.pay(&id, &user.id).await?))
}

/// Cancels a pending or paid reservation; its seats and stock come back.
#[utoipa::path(delete, path = "/reservations/{id}", tag = "shopping", operation_id = "cancelReservation",
    params(("id" = ReservationId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = ReservationAnswer),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`not_owner`", body = ApiError),
        (status = 404, description = "`reservation_not_found`", body = ApiError),
        (status = 409, description = "`reservation_cancelled`, `hold_expired`, `reservation_changed`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ReservationAnswer>> {
    let id = ReservationId::parse(id)?;
    Ok(wrap(state.shopping.cancel(&id, &user.id).await?))
}

/// The caller's reservations, newest first.
#[utoipa::path(get, path = "/reservations", tag = "shopping", operation_id = "myReservations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's reservations", body = Vec<Reservation>),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ))]
async fn mine(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Reservation>>> {
    Ok(Json(state.shopping.reservations_of(&user.id).await?))
}
