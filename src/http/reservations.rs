//! Shopping: holding seats or tickets, paying, cancelling, listing my reservations. Each
//! handler parses the request into typed values and calls the shopping service, which checks
//! the admission and every other rule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{AdmissionToken, ApiJson, CurrentUser};
use crate::error::Result;
use crate::ids::{EventId, ReservationId, TicketTypeId};
use crate::inventory::{Quantity, Reservation, SeatSelection};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/seats/reserve", post(reserve_seats))
        .route("/reservations", post(reserve_tickets).get(mine))
        .route("/reservations/{id}/pay", post(pay))
        .route("/reservations/{id}", delete(cancel))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReserveSeats {
    event_id: String,
    seat_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReserveTickets {
    event_id: String,
    ticket_type_id: String,
    quantity: i64,
}

fn wrap(r: Reservation) -> Json<Value> {
    Json(json!({ "reservation": r }))
}

async fn reserve_seats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveSeats>,
) -> Result<(StatusCode, Json<Value>)> {
    let event = EventId::parse(body.event_id)?;
    let seats = SeatSelection::parse(body.seat_ids, state.shopping.max_tickets_per_order())?;
    let hold = state
        .shopping
        .hold_seats(&event, &user.id, &seats, token.as_deref())
        .await?;
    Ok((StatusCode::CREATED, wrap(hold)))
}

async fn reserve_tickets(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveTickets>,
) -> Result<(StatusCode, Json<Value>)> {
    let event = EventId::parse(body.event_id)?;
    let kind = TicketTypeId::parse(body.ticket_type_id)?;
    let quantity = Quantity::parse(body.quantity, state.shopping.max_tickets_per_order())?;
    let hold = state
        .shopping
        .hold_tickets(&event, &user.id, &kind, quantity, token.as_deref())
        .await?;
    Ok((StatusCode::CREATED, wrap(hold)))
}

async fn pay(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let id = ReservationId::parse(id)?;
    Ok(wrap(state.shopping.pay(&id, &user.id).await?))
}

async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let id = ReservationId::parse(id)?;
    Ok(wrap(state.shopping.cancel(&id, &user.id).await?))
}

async fn mine(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Reservation>>> {
    Ok(Json(state.shopping.reservations_of(&user.id).await?))
}
