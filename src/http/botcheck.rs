//! `/api/botcheck/*`: ALTCHA challenges for the proof-of-work bot check, and the
//! `X-Bot-Check` header that carries a solved one (see `crate::botcheck`).
//!
//! The challenge endpoint is a GET that costs one SHA-256 and one HMAC and stores nothing,
//! so a flood of it grows no state; what is worth bounding (single use of solutions) is
//! bounded in the domain.

use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::botcheck::{Challenge, MAX_PAYLOAD_BYTES};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(challenge))
}

/// A new ALTCHA challenge (v1). Solve it and send the payload as `X-Bot-Check`.
#[utoipa::path(get, path = "/botcheck/challenge", tag = "botcheck", operation_id = "botCheckChallenge",
    responses(
        (status = 200, description = "A fresh challenge (never cached)", body = Challenge,
            headers(("Cache-Control" = String, description = "`no-store`"))),
    ))]
async fn challenge(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(state.bot_check.challenge()),
    )
}

/// The `X-Bot-Check` header (ALTCHA's base64 payload), if sent. At most
/// `MAX_PAYLOAD_BYTES + 1` bytes are kept, so an oversized header is refused by the domain
/// as `bot_check_failed` without being copied whole.
pub struct BotCheckProof(pub Option<String>);

impl BotCheckProof {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BotCheckProof {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(BotCheckProof(parts.headers.get("x-bot-check").map(|v| {
            let bytes = &v.as_bytes()[..v.len().min(MAX_PAYLOAD_BYTES + 1)];
            String::from_utf8_lossy(bytes).into_owned()
        })))
    }
}
