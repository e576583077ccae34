//! `Idempotency-Key` on any POST by a signed-in caller: the same key and body replays the
//! first answer (`crate::idempotency` has the rules).
//!
//! A middleware, so every POST route gets it without each handler opting in. Requests with
//! no verified bearer token ignore the header, as do `/auth/*` calls (they mint credentials).
//! Once claimed, the request runs in a task of its own: a client that hangs up mid-way does
//! not cancel it half done, and its answer is saved for the retry to replay.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::Rejection;
use crate::error::Error;
use crate::idempotency::{holds_credential, request_hash, Claim};
use crate::metrics::Metrics;
use crate::state::AppState;

/// The `Idempotency-Key` middleware: claim the key, replay a stored answer, or run the
/// request and store its answer. Over 80 lines on purpose: it is one sequence (not a POST or
/// no key, anonymous or credential route, body too large, claim or replay, run, store or
/// release), and each early return is one of those cases in that order.
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
    let (mut parts, body) = req.into_parts();
    // Inside the `/api` router the prefix is already stripped.
    let path = parts.uri.path();
    let path = path.strip_prefix("/api").unwrap_or(path).to_string();
    let user = match super::extract::verified_user(&mut parts, &state) {
        Some(Ok(user)) if !path.starts_with("/auth/") => user,
        // Anonymous, a bad token (the handler answers it), or a credential-minting route.
        _ => return next.run(Request::from_parts(parts, body)).await,
    };
    let bytes = match to_bytes(body, state.settings.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            Metrics::add(&state.metrics.payload_too_large, 1);
            return Rejection::PayloadTooLarge.into_response();
        }
    };
    let hash = request_hash(parts.method.as_str(), &path, &bytes);
    let scope = user.id.into_string();

    let store = state.idempotency.clone();
    let (task_scope, task_key) = (scope.clone(), key.clone());
    let run = tokio::spawn(async move {
        let (scope, key) = (task_scope, task_key);
        match store.claim(&scope, &key, &hash).await {
            Ok(Claim::Fresh) => {}
            Ok(Claim::Replay { status, body }) => return replay(status, body),
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
                let _ = store.forget(&scope, &key).await;
                return Error::Internal(anyhow::anyhow!("response too large to save: {e}"))
                    .into_response();
            }
        };
        let recorded = if parts.status.is_server_error() {
            // A failure worth retrying: the next attempt with this key runs for real.
            store.forget(&scope, &key).await
        } else if holds_credential(&body) {
            // Never kept (see crate::idempotency); a repeat runs again.
            store.forget(&scope, &key).await
        } else {
            store
                .save(
                    &scope,
                    &key,
                    parts.status.as_u16(),
                    &String::from_utf8_lossy(&body),
                )
                .await
        };
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "could not record idempotency outcome");
        }
        Response::from_parts(parts, Body::from(body))
    });
    match run.await {
        Ok(resp) => resp,
        Err(e) => {
            // The handler panicked: release the key so a retry can run.
            let _ = state.idempotency.forget(&scope, &key).await;
            Error::Internal(anyhow::anyhow!("request task failed: {e}")).into_response()
        }
    }
}

fn replay(status: u16, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
