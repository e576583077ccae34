//! `/api/queue/*`: join the waiting room, see your place, leave.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::botcheck::BotCheckProof;
use super::extract::{AdmissionToken, ApiJson, CurrentUser};
use crate::admission::QueuePosition;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::EventId;
use crate::state::AppState;
use crate::waiting_room::line::Claim;
use crate::waiting_room::receipt::MAX_RECEIPT_LEN;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queue/join", post(join))
        .route("/queue/status/{event_id}", get(status))
        .route("/queue/leave", post(leave))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventRef {
    event_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinRequest {
    event_id: String,
    /// A receipt from an earlier answer: restores the place if the line was lost.
    receipt: Option<String>,
}

fn body(p: QueuePosition) -> Json<Value> {
    let mut v = json!(p);
    // The contract's names for "may shop now".
    v["isActive"] = json!(p.admitted);
    Json(v)
}

async fn join(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    proof: BotCheckProof,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<Json<Value>> {
    let event_id = EventId::parse(req.event_id)?;
    if req
        .receipt
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RECEIPT_LEN)
    {
        return Err(Error::invalid(
            ErrorCode::InvalidField,
            "receipt: not a receipt this server issued",
        ));
    }
    let claim = state
        .waiting_room
        .claim_of(&event_id, &user.id, req.receipt.as_deref());
    // A valid receipt shows its holder joined this line before, bot check and all.
    if claim == Claim::None {
        state
            .bot_check
            .for_queue_join(&event_id, proof.as_deref())
            .await?;
    }
    Ok(body(
        state.waiting_room.join(&event_id, &user.id, claim).await?,
    ))
}

async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    Path(event_id): Path<String>,
) -> Result<Json<Value>> {
    let event_id = EventId::parse(event_id)?;
    Ok(body(
        state
            .waiting_room
            .status(&event_id, &user.id, token.as_deref())
            .await?,
    ))
}

async fn leave(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<EventRef>,
) -> Result<StatusCode> {
    let event_id = EventId::parse(req.event_id)?;
    state.waiting_room.leave(&event_id, &user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
