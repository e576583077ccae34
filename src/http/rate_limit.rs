//! Flood protection: token buckets per client, answered with `429 rate_limited` and a
//! `Retry-After` header, before a request reaches anything expensive.
//!
//! Two buckets: per IP address for the identity endpoints (argon2 makes every login and
//! registration deliberately costly, so they are the cheapest way to exhaust a server), and
//! per signed-in user for shopping and queue calls (one user hammering holds). Limits are
//! per instance; a load balancer in front sees the rest.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;

/// A set of token buckets keyed by client.
pub struct Buckets {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    pub fn new(per_sec: f64, burst: f64) -> Self {
        Buckets {
            per_sec,
            burst: burst.max(1.0),
            buckets: Mutex::default(),
        }
    }

    /// Takes one token for `key`; on refusal, the seconds until one is available.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        if self.per_sec <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() > 100_000 {
            // Forget idle clients (a full bucket is the same as no bucket).
            let (rate, burst) = (self.per_sec, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_sec).ceil().max(1.0) as u64)
        }
    }
}

fn limited(retry_after: u64) -> Response {
    let mut resp = Error::RateLimited.into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        resp.headers_mut().insert("retry-after", v);
    }
    resp
}

fn client_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Inside the `/api` router the prefix is already stripped.
    let path = req.uri().path();
    let path = path.strip_prefix("/api").unwrap_or(path);
    if req.method() == Method::POST && path.starts_with("/auth/") {
        if let Some(ip) = client_ip(&req) {
            if let Err(wait) = state.limits.identity.take(&ip.to_string()) {
                return limited(wait);
            }
        }
    } else if req.method() != Method::GET || path.starts_with("/queue/") {
        // Keyed by the token's subject when it verifies; unauthenticated calls are refused
        // by the handler anyway.
        let user = super::extract::bearer_header(req.headers())
            .and_then(|t| state.users.jwt().verify(t).ok())
            .map(|u| u.id);
        if let Some(user) = user {
            if let Err(wait) = state.limits.shopping.take(&user) {
                return limited(wait);
            }
        }
    }
    next.run(req).await
}

/// Both bucket sets, from configuration.
pub struct Limits {
    pub identity: Buckets,
    pub shopping: Buckets,
}
