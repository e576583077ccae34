//! Gives each Socket.IO request a head of its own before engineioxide keeps it.
//!
//! hyper parses a request head without copying: header values and the URI are slices of the
//! connection's read buffer (16 KiB once a browser's headers arrive). engineioxide keeps the
//! handshake request's head for the socket's whole life, so each open connection pinned that
//! whole buffer. Copying the few hundred bytes that matter lets the buffer go: it was about
//! half of the memory an idle connection cost (measured with heaptrack, see DEVELOPERS.md).
//!
//! A WebSocket handshake keeps less still. Nothing reads a socket's stored head after the
//! handshake (authentication comes in the CONNECT packet, and every edge check has run by
//! then), and engineioxide itself needs only `Sec-WebSocket-Key` to answer the upgrade. A
//! browser sends 1–2 KiB of headers (cookies, user agent, languages); copying them all cost
//! about 1.4 KiB per open connection (heaptrack, 8,000 sockets, 2026-11-27), so only the
//! upgrade headers are kept. Long-polling requests keep a full copy.

use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};

/// `axum::middleware::map_request` function: copies the head of `/socket.io/` requests.
pub async fn own_request_head(mut req: Request) -> Request {
    if req.uri().path().starts_with("/socket.io") {
        detach(&mut req);
    }
    req
}

/// The headers a WebSocket handshake keeps (what the upgrade itself needs).
const WEBSOCKET_KEEPS: [HeaderName; 4] = [
    axum::http::header::SEC_WEBSOCKET_KEY,
    axum::http::header::SEC_WEBSOCKET_VERSION,
    axum::http::header::UPGRADE,
    axum::http::header::CONNECTION,
];

fn is_websocket(req: &Request) -> bool {
    req.uri()
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "transport=websocket"))
}

fn detach(req: &mut Request) {
    let websocket = is_websocket(req);
    if let Ok(uri) = req.uri().to_string().parse::<Uri>() {
        *req.uri_mut() = uri;
    }
    // The router keeps a clone of the URI as it arrived, which shares the buffer too.
    if let Some(OriginalUri(original)) = req.extensions_mut().get_mut::<OriginalUri>() {
        if let Ok(uri) = original.to_string().parse::<Uri>() {
            *original = uri;
        }
    }
    let shared = std::mem::take(req.headers_mut());
    let mut owned = HeaderMap::with_capacity(if websocket {
        WEBSOCKET_KEEPS.len()
    } else {
        shared.len()
    });
    for (name, value) in shared.iter() {
        if websocket && !WEBSOCKET_KEEPS.contains(name) {
            continue;
        }
        // Both constructors copy; standard names are static and cost nothing.
        match (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            (Ok(n), Ok(mut v)) => {
                v.set_sensitive(value.is_sensitive());
                owned.append(n, v);
            }
            // Cannot happen for a head hyper accepted; keep the original rather than lose it.
            _ => {
                owned.append(name.clone(), value.clone());
            }
        }
    }
    *req.headers_mut() = owned;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::body::Bytes;

    #[tokio::test]
    async fn socket_io_heads_no_longer_share_the_read_buffer() {
        // A head whose value and URI are slices of one big buffer, as hyper builds them.
        let buffer = Bytes::from(vec![b'a'; 16 * 1024]);
        let value = HeaderValue::from_maybe_shared(buffer.slice(0..10)).unwrap();
        let uri =
            Uri::from_maybe_shared(Bytes::from_static(b"/socket.io/?EIO=4&transport=polling"))
                .unwrap();
        let mut req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        req.headers_mut().insert("x-custom-thing", value);
        req.headers_mut()
            .append("cookie", HeaderValue::from_static("a=b"));
        req.headers_mut()
            .append("cookie", HeaderValue::from_static("c=d"));

        let req = own_request_head(req).await;
        let v = req.headers().get("x-custom-thing").unwrap();
        assert_eq!(v.as_bytes(), &buffer[0..10]);
        assert_ne!(
            v.as_bytes().as_ptr(),
            buffer.as_ptr(),
            "still points into the buffer"
        );
        let cookies: Vec<_> = req.headers().get_all("cookie").iter().collect();
        assert_eq!(cookies, ["a=b", "c=d"]);
        assert_eq!(req.uri(), "/socket.io/?EIO=4&transport=polling");
    }

    #[tokio::test]
    async fn a_websocket_handshake_keeps_only_the_upgrade_headers() {
        let mut req = Request::builder()
            .uri("/socket.io/?EIO=4&transport=websocket")
            .body(Body::empty())
            .unwrap();
        for (name, value) in [
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", "13"),
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("cookie", "session=a-long-cookie"),
            (
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) a long user agent",
            ),
            ("accept-language", "ko-KR,ko;q=0.9,en-US;q=0.8"),
        ] {
            req.headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        let req = own_request_head(req).await;
        let mut kept: Vec<_> = req.headers().keys().map(|k| k.as_str()).collect();
        kept.sort();
        assert_eq!(
            kept,
            [
                "connection",
                "sec-websocket-key",
                "sec-websocket-version",
                "upgrade"
            ]
        );
        assert_eq!(
            req.headers()["sec-websocket-key"],
            "dGhlIHNhbXBsZSBub25jZQ=="
        );
    }

    #[tokio::test]
    async fn other_requests_are_left_alone() {
        let buffer = Bytes::from(vec![b'a'; 64]);
        let mut req = Request::builder()
            .uri("/api/events")
            .body(Body::empty())
            .unwrap();
        req.headers_mut().insert(
            "x-thing",
            HeaderValue::from_maybe_shared(buffer.slice(0..4)).unwrap(),
        );
        let req = own_request_head(req).await;
        assert_eq!(
            req.headers()["x-thing"].as_bytes().as_ptr(),
            buffer.as_ptr()
        );
    }
}
