//! Flood protection: token buckets per client, answered with `429 rate_limited` and a
//! `Retry-After` header, before a request reaches anything expensive.
//!
//! Two buckets: per IP address for the identity endpoints (argon2 makes every login and
//! registration deliberately costly, so they are the cheapest way to exhaust a server), and
//! per signed-in user for shopping and queue calls (one user hammering holds). Limits are
//! per instance; a load balancer in front sees the rest.
//!
//! The client's address is the TCP peer, unless that peer is one of `TRUSTED_PROXIES`: then
//! it is the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
//! Everything left of that hop was written by the client and is ignored, so a spoofed
//! header buys nothing; and without the setting the header is never read, because any
//! client could send it. The address found is kept in the request as [`ClientIp`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use super::error::Rejection;
use crate::metrics::Metrics;
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

/// `TRUSTED_PROXIES`: the networks of the load balancers in front of this server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// `X-Forwarded-For` entries looked at, right to left, before giving up: a chain of proxies
/// is a handful long; more is someone padding the header.
const MAX_HOPS: usize = 16;

impl TrustedProxies {
    /// A comma- (or space-) separated list of CIDRs (`10.0.0.0/8`, `fd00::/8`) or single
    /// addresses (`127.0.0.1`, meaning /32). Empty means none. Anything else is an error, so
    /// a typo stops the start-up instead of silently trusting nobody (or everybody).
    pub fn parse(s: &str) -> Result<TrustedProxies, String> {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| format!("not a CIDR or IP address: {p:?}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a request that arrived from `peer` with `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        // Every X-Forwarded-For line, in order, as one list; walk it from the right.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(ip) = parse_hop(hop) else {
                // Not an address: nothing further left can be trusted either.
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: a bare address, or one with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The client's address as the rate limits saw it (set by [`layer`] on `/api` requests).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

fn limited(metrics: &Metrics, retry_after: u64) -> Response {
    Metrics::add(&metrics.rate_limited, 1);
    Rejection::RateLimited {
        retry_after_secs: retry_after,
    }
    .into_response()
}

/// Calls that spend the per-user shopping bucket: every change, the queue calls, and the
/// per-user reads of the database (`/events/:id/allowance`, `/waitlist/:id`). Public catalogue
/// reads are not per user and stay outside it.
fn per_user_call(method: &Method, path: &str) -> bool {
    method != Method::GET
        || path.starts_with("/queue/")
        || path.starts_with("/waitlist/")
        || path.ends_with("/allowance")
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| state.limits.trusted.client_ip(c.0.ip(), &parts.headers));
    if let Some(ip) = client {
        parts.extensions.insert(ClientIp(ip));
    }
    // Inside the `/api` router the prefix is already stripped.
    let path = parts.uri.path();
    let path = path.strip_prefix("/api").unwrap_or(path);
    if parts.method == Method::POST && path.starts_with("/auth/") {
        if let Some(ip) = client {
            if let Err(wait) = state.limits.identity.take(&ip.to_string()) {
                return limited(&state.metrics, wait);
            }
        }
    } else if per_user_call(&parts.method, path) {
        // Keyed by the token's subject when it verifies; unauthenticated calls are refused
        // by the handler anyway. The verification is kept for the handler.
        let user = super::extract::verified_user(&mut parts, &state).and_then(Result::ok);
        if let Some(user) = user {
            if let Err(wait) = state.limits.shopping.take(user.id.as_str()) {
                return limited(&state.metrics, wait);
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Both bucket sets, from configuration, and whom to believe about client addresses.
pub struct Limits {
    pub identity: Buckets,
    pub shopping: Buckets,
    pub trusted: TrustedProxies,
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_cidrs_and_refuses_garbage() {
        let t = TrustedProxies::parse("127.0.0.1/32, 10.0.0.0/8 ::1 192.168.1.7").unwrap();
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("192.168.1.7")));
        assert!(!t.contains(ip("192.168.1.8")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("::ffff:127.0.0.1")), "v4-mapped peers count");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("nginx").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/8;").is_err());
    }

    #[test]
    fn believes_forwarded_for_only_from_trusted_peers() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("127.0.0.1"), &xff(&["1.1.1.1"])),
            ip("127.0.0.1")
        );
        let t = TrustedProxies::parse("127.0.0.0/8,10.0.0.0/8").unwrap();
        // An untrusted peer's header is ignored.
        assert_eq!(
            t.client_ip(ip("8.8.8.8"), &xff(&["1.1.1.1"])),
            ip("8.8.8.8")
        );
        // The right-most untrusted hop is the client; what it claimed left of itself is not.
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &xff(&["9.9.9.9, 1.1.1.1"])),
            ip("1.1.1.1")
        );
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &xff(&["9.9.9.9", "1.1.1.1, 10.0.0.5"])),
            ip("1.1.1.1")
        );
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &xff(&["1.1.1.1:4711"])),
            ip("1.1.1.1")
        );
        // No header, or all hops trusted: the furthest address known.
        assert_eq!(t.client_ip(ip("127.0.0.1"), &xff(&[])), ip("127.0.0.1"));
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &xff(&["10.0.0.9"])),
            ip("10.0.0.9")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &xff(&["1.1.1.1, junk"])),
            ip("127.0.0.1")
        );
    }
}
