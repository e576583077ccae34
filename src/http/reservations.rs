//! Shopping: holding seats or tickets (behind the admission check), paying, cancelling,
//! listing my reservations.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{AdmissionToken, ApiJson, CurrentUser};
use crate::error::{Error, Result};
use crate::inventory::{parse_id, Quantity, Reservation, SeatSelection};
use crate::metrics::Metrics;
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

/// A new hold's answer; a refusal for the per-customer limit is counted for operators.
fn created(state: &AppState, hold: Result<Reservation>) -> Result<(StatusCode, Json<Value>)> {
    if let Err(Error::CustomerLimit { .. }) = &hold {
        Metrics::add(&state.metrics.customer_limit, 1);
    }
    Ok((StatusCode::CREATED, wrap(hold?)))
}

async fn reserve_seats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveSeats>,
) -> Result<(StatusCode, Json<Value>)> {
    let event_id = parse_id("event", &body.event_id)?;
    let seats = SeatSelection::parse(body.seat_ids, state.inventory.max_tickets_per_order())?;
    state
        .admission
        .check(&event_id, &user.id, token.as_deref())
        .await?;
    let hold = state
        .inventory
        .hold_seats(&user.id, &event_id, &seats)
        .await;
    created(&state, hold)
}

async fn reserve_tickets(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    ApiJson(body): ApiJson<ReserveTickets>,
) -> Result<(StatusCode, Json<Value>)> {
    let event_id = parse_id("event", &body.event_id)?;
    let type_id = parse_id("ticket type", &body.ticket_type_id)?;
    let quantity = Quantity::parse(body.quantity, state.inventory.max_tickets_per_order())?;
    state
        .admission
        .check(&event_id, &user.id, token.as_deref())
        .await?;
    let hold = state
        .inventory
        .hold_tickets(&user.id, &event_id, &type_id, quantity)
        .await;
    created(&state, hold)
}

async fn pay(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let id = parse_id("reservation", &id)?;
    Ok(wrap(state.inventory.pay(&user.id, &id).await?))
}

async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let id = parse_id("reservation", &id)?;
    Ok(wrap(state.inventory.cancel(&user.id, &id).await?))
}

async fn mine(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Reservation>>> {
    Ok(Json(state.inventory.reservations_of(&user.id).await?))
}
