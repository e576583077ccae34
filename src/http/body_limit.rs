//! Request bodies, read whole and bounded before anything else looks at the request.
//!
//! A body over `MAX_BODY_BYTES` gets `413 payload_too_large`. Answering before the body has
//! been read is what went wrong before: hyper then closes the connection with the rest of the
//! body unread in the kernel's buffer, the kernel answers that with a TCP reset, and the
//! client's next request on its keep-alive connection (sometimes the 413 itself) meets the
//! reset. So the rest of the body is read and thrown away first, up to [`DRAIN_MAX_BYTES`]
//! and [`DRAIN_TIME`], and the connection stays usable. A body larger or slower than that is
//! answered with `Connection: close`, and the server's lingering close (`crate::http::linger`)
//! keeps reading for a moment after the answer so the client sees the 413 and a clean end.
//! A client that sent `Expect: 100-continue` has not sent its body: it gets the 413 at once.
//!
//! Every body passes through here, so later refusals (401, 429, …) can never leave an
//! unread body behind either.
//!
//! Headers: hyper refuses more than 100 headers, or a head that outgrows its read buffer
//! (8 KiB + 400 KiB, checked between reads, so a head of about 0.5 MiB still gets through),
//! with `431`. The buffer keeps its size for the connection's life, so heads over
//! [`MAX_HEAD_BYTES`] (far above any browser's; nginx allows 4 × 8 KiB) are answered
//! `431 headers_too_large` here, with `Connection: close` to free that buffer.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::error::Rejection;
use crate::error::{Error, ErrorCode};
use crate::metrics::Metrics;
use crate::state::AppState;

/// Largest request head (request line and headers) served.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// Most bytes of an oversized body read and discarded to keep its connection.
pub const DRAIN_MAX_BYTES: usize = 1024 * 1024;
/// Longest time spent discarding an oversized body.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.settings.max_body_bytes;
    let head = req.uri().to_string().len()
        + req
            .headers()
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head > MAX_HEAD_BYTES {
        Metrics::add(&state.metrics.headers_too_large, 1);
        let _ = drain(&mut req.into_body().into_data_stream(), 0).await;
        let mut resp = Rejection::HeadersTooLarge.into_response();
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    let headers = req.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let has_body = match declared {
        Some(n) => n > 0,
        None => headers.contains_key(header::TRANSFER_ENCODING),
    };
    if !has_body {
        return next.run(req).await;
    }
    let expects_continue = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > max as u64) {
        if expects_continue {
            // Nothing sent yet, and nothing will be: hyper sends no 100 Continue.
            return too_large(&state, true);
        }
        let drained = drain(&mut stream, 0).await;
        return too_large(&state, !drained);
    }
    let mut buf = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Error::invalid(ErrorCode::InvalidBody, "the request body could not be read")
                .into_response();
        };
        if buf.len() + chunk.len() > max {
            let drained = drain(&mut stream, buf.len() + chunk.len()).await;
            return too_large(&state, !drained);
        }
        buf.extend_from_slice(&chunk);
    }
    next.run(Request::from_parts(parts, Body::from(buf))).await
}

/// Reads and discards the rest of a body; true when it ended within the bounds.
async fn drain(stream: &mut axum::body::BodyDataStream, mut seen: usize) -> bool {
    let read_rest = async {
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => seen += c.len(),
                Err(_) => return false,
            }
            if seen > DRAIN_MAX_BYTES {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, read_rest)
        .await
        .unwrap_or(false)
}

fn too_large(state: &AppState, close: bool) -> Response {
    Metrics::add(&state.metrics.payload_too_large, 1);
    let mut resp = Rejection::PayloadTooLarge.into_response();
    if close {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}
