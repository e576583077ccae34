//! A request id for every request, in every log line it causes and in its answer.
//!
//! Outermost on the whole router (Socket.IO included), in this order:
//! 1. a client's own `x-request-id` is kept only if it is short and printable
//!    ([`acceptable`]); anything else is dropped, so no one writes arbitrary bytes or
//!    kilobytes into the logs;
//! 2. tower-http's `SetRequestIdLayer` gives a request without one a UUID (v4);
//! 3. a `TraceLayer` opens the request's span with the id, method and path (never the query,
//!    which may carry tokens), so every event logged while serving it carries `request_id`,
//!    in text and in JSON (`LOG_FORMAT`);
//! 4. `PropagateRequestIdLayer` copies the id onto the answer, so a user's report or a load
//!    balancer's log can be matched with the server's lines.

use axum::extract::Request;
use axum::http::HeaderName;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header, as load balancers and tower-http spell it.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-sent request id kept.
pub const MAX_LEN: usize = 64;

/// Whether a client-sent id is kept: 1 to [`MAX_LEN`] visible ASCII characters (no spaces,
/// no control characters, nothing that could break a log line).
pub fn acceptable(value: &[u8]) -> bool {
    !value.is_empty() && value.len() <= MAX_LEN && value.iter().all(|b| b.is_ascii_graphic())
}

/// Wraps `router` in the request-id layers (see the module documentation).
pub fn with_request_id<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    // `Router::layer` wraps what is already there, so the last layer added runs first.
    router
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(span))
        .layer(SetRequestIdLayer::new(
            X_REQUEST_ID.clone(),
            MakeRequestUuid,
        ))
        .layer(axum::middleware::map_request(drop_unacceptable))
}

async fn drop_unacceptable(mut req: Request) -> Request {
    let bad = req
        .headers()
        .get_all(&X_REQUEST_ID)
        .iter()
        .enumerate()
        .any(|(i, v)| i > 0 || !acceptable(v.as_bytes()));
    if bad {
        req.headers_mut().remove(&X_REQUEST_ID);
    }
    req
}

fn span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    )
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_short_printable_ids_are_kept() {
        assert!(acceptable(b"3f2a-client-id_01"));
        assert!(acceptable(&[b'a'; 64]));
        assert!(!acceptable(&[b'a'; 65]));
        assert!(!acceptable(b""));
        assert!(!acceptable(b"two words"));
        assert!(!acceptable(b"line\nbreak"));
        assert!(!acceptable("é".as_bytes()));
    }
}
