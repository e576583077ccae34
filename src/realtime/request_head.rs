//! Gives each Socket.IO request a head of its own before engineioxide keeps it.
//!
//! hyper parses a request head without copying: header values and the URI are slices of the
//! connection's read buffer (16 KiB once a browser's headers arrive). engineioxide keeps the
//! handshake request's head for the socket's whole life, so each open connection pinned that
//! whole buffer. Copying the few hundred bytes that matter lets the buffer go: it was about
//! half of the memory an idle connection cost (measured with heaptrack, see DEVELOPERS.md).

use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};

/// `axum::middleware::map_request` function: copies the head of `/socket.io/` requests.
pub async fn own_request_head(mut req: Request) -> Request {
    if req.uri().path().starts_with("/socket.io") {
        detach(&mut req);
    }
    req
}

fn detach(req: &mut Request) {
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
    let mut owned = HeaderMap::with_capacity(shared.len());
    for (name, value) in shared.iter() {
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
            Uri::from_maybe_shared(Bytes::from_static(b"/socket.io/?EIO=4&transport=websocket"))
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
        assert_eq!(req.uri(), "/socket.io/?EIO=4&transport=websocket");
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
