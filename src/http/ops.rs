//! Operational routes outside `/api`, for load balancers and orchestrators
//! (`shared/PROTOCOL.md`, "Operating"): `GET /healthz` (liveness) and `GET /readyz`
//! (readiness, [`crate::health`]).
//!
//! They are plain axum routes, not in the REST document: they are no part of the API a client
//! programs against, their paths are fixed by the contract outside `/api`, and their bodies
//! are not the API's error body. The test in `openapi.rs` that refuses plain `.route(` makes
//! an explicit exception for this one file.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::state::AppState;

/// Registered before the web app's fallback, so these paths never serve `index.html`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process serves: no I/O, so it stays cheap under any flood.
async fn healthz() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "status": "ok" })),
    )
}

/// `200 {"status":"ready"}`, or `503` with what is wrong (`docs/PROTOCOL-ADDITIONS.md`).
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let report = state.readiness.check().await;
    let status = if report.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(report))
}
