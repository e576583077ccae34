//! `/api/queue/*`: join the waiting room, see your place, leave.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::botcheck::BotCheckProof;
use super::extract::{AdmissionToken, ApiJson, CurrentUser};
use super::openapi::{ApiError, RateLimited, Unauthorized, Unavailable};
use crate::admission::QueuePosition;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::EventId;
use crate::state::AppState;
use crate::waiting_room::line::Claim;
use crate::waiting_room::receipt::MAX_RECEIPT_LEN;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join))
        .routes(routes!(status))
        .routes(routes!(leave))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct EventRef {
    #[schema(value_type = EventId)]
    event_id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinRequest {
    #[schema(value_type = EventId)]
    event_id: String,
    /// A receipt from an earlier answer: restores the place if the line was lost.
    #[schema(max_length = 1024)]
    receipt: Option<String>,
}

/// A queue answer: the user's place, and `isActive` (the contract's name for "may shop now",
/// the same as `admitted`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct QueueAnswer {
    #[serde(flatten)]
    position: QueuePosition,
    is_active: bool,
}

fn body(p: QueuePosition) -> Json<QueueAnswer> {
    Json(QueueAnswer {
        is_active: p.admitted,
        position: p,
    })
}

/// Joins the event's waiting room (admitted at once while it has room). Joining twice keeps
/// the first place.
#[utoipa::path(post, path = "/queue/join", tag = "queue", operation_id = "joinQueue",
    request_body = JoinRequest,
    params(("X-Bot-Check" = Option<String>, Header, description = "A solved ALTCHA payload, for events with `botCheck`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user's place or admission", body = QueueAnswer),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_id`, `invalid_field`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`bot_check_required`, `bot_check_failed`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn join(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    proof: BotCheckProof,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<Json<QueueAnswer>> {
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

/// The user's place in the event's line; for an admitted user a fresh admission token (and
/// activity that keeps the turn).
#[utoipa::path(get, path = "/queue/status/{event_id}", tag = "queue", operation_id = "queueStatus",
    params(
        ("event_id" = EventId, Path),
        ("X-Admission-Token" = Option<String>, Header, description = "The event's admission token, if the user has one"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user's place or admission", body = QueueAnswer),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AdmissionToken(token): AdmissionToken,
    Path(event_id): Path<String>,
) -> Result<Json<QueueAnswer>> {
    let event_id = EventId::parse(event_id)?;
    Ok(body(
        state
            .waiting_room
            .status(&event_id, &user.id, token.as_deref())
            .await?,
    ))
}

/// Leaves the event's line (or ends the turn).
#[utoipa::path(post, path = "/queue/leave", tag = "queue", operation_id = "leaveQueue",
    request_body = EventRef,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Left"),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn leave(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<EventRef>,
) -> Result<StatusCode> {
    let event_id = EventId::parse(req.event_id)?;
    state.waiting_room.leave(&event_id, &user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
