//! `Idempotency-Key` on any POST: the same key and body replays the first answer.
//!
//! A middleware, so every POST route gets it without each handler opting in. The key is
//! scoped by the caller's verified user id; an unauthenticated POST is scoped `anonymous`.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::idempotency::Claim;
use crate::state::AppState;

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let scope = match super::extract::bearer(&parts) {
        Some(token) => match state.users.jwt().verify(token) {
            Ok(user) => user.id,
            // Let the handler answer 401; nothing to remember.
            Err(e) => return e.into_response(),
        },
        None => "anonymous".to_string(),
    };
    let bytes = match to_bytes(body, state.settings.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return Error::PayloadTooLarge.into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.path());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());

    match state.idempotency.claim(&scope, &key, &hash).await {
        Ok(Claim::Fresh) => {}
        Ok(Claim::Replay { status, body }) => {
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            resp.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return resp;
        }
        Err(e) => return e.into_response(),
    }

    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = resp.into_parts();
    // Our responses are small JSON documents; 1 MiB is far above any of them.
    let body = match to_bytes(body, 1 << 20).await {
        Ok(b) => b,
        Err(e) => {
            let _ = state.idempotency.forget(&scope, &key).await;
            return Error::Internal(anyhow::anyhow!("response too large to save: {e}"))
                .into_response();
        }
    };
    let saved = if parts.status.is_server_error() {
        // A failure worth retrying: the next attempt with this key runs for real.
        state.idempotency.forget(&scope, &key).await
    } else {
        state
            .idempotency
            .save(
                &scope,
                &key,
                parts.status.as_u16(),
                &String::from_utf8_lossy(&body),
            )
            .await
    };
    if let Err(e) = saved {
        tracing::warn!(error = %e, "could not record idempotency outcome");
    }
    Response::from_parts(parts, Body::from(body))
}
