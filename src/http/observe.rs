//! What the edge records for Prometheus, and `GET /metrics` itself.
//!
//! [`record`] counts and times every request the HTTP router answers by its matched route
//! pattern (never the raw path: a client cannot add label values), method and status class.
//! Socket.IO's requests never reach this router (its layer answers them first); sockets have
//! their own metrics.
//!
//! `GET /metrics` is Prometheus', not the REST API's: it lives outside `/api`, is not in the
//! OpenAPI document (so it is a plain axum route; `openapi.rs`'s test allows this file
//! alone), and answers the Prometheus text format. With `METRICS_TOKEN` set it needs
//! `Authorization: Bearer <METRICS_TOKEN>` (`401 auth_required` without, `401
//! invalid_token` with another). Every request that does not carry the right token, open
//! mode included, spends a token of the client's per-IP identity bucket (`AUTH_RATE_PER_IP`),
//! so guessing is bounded like sign-ins (`429 rate_limited`); Prometheus with the token is
//! never limited. The request has no body (the body limit applies as everywhere), and a
//! scrape reads memory only ([`crate::metrics::prometheus`]).

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::Rejection;
use crate::error::{Error, ErrorCode};
use crate::metrics::prometheus::{method_label, Access, CONTENT_TYPE as PROMETHEUS_TEXT};
use crate::metrics::Metrics;
use crate::state::AppState;

/// `GET /metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Middleware: one count and one latency observation per answered request.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = method_label(req.method());
    let started = Instant::now();
    let resp = next.run(req).await;
    state.metrics.recorded.http(
        route.as_ref().map(MatchedPath::as_str),
        method,
        resp.status().as_u16(),
        started.elapsed(),
    );
    resp
}

async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let authorization = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    let access = state.exposition.access(authorization);
    if access != Access::Granted {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>();
        if let Some(ConnectInfo(peer)) = peer {
            let ip = state.limits.trusted.client_ip(peer.ip(), req.headers());
            if let Err(retry_after_secs) = state.limits.identity.take(&ip.to_string()) {
                Metrics::add(&state.metrics.rate_limited, 1);
                return Rejection::RateLimited { retry_after_secs }.into_response();
            }
        }
    }
    let refused = match access {
        Access::Open | Access::Granted => None,
        Access::Missing => Some((
            ErrorCode::AuthRequired,
            "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>",
        )),
        Access::Wrong => Some((ErrorCode::InvalidToken, "not the metrics token")),
    };
    if let Some((code, message)) = refused {
        let mut resp = Error::Unauthenticated {
            code,
            message: message.into(),
        }
        .into_response();
        resp.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        state.exposition.render(),
    )
        .into_response()
}
