//! The real-time side of a drain ([`crate::drain`]): no new sockets, and the open ones moved
//! to other instances a few at a time.
//!
//! - [`gate`] answers every new Engine.IO handshake (a `/socket.io/` request without a `sid`)
//!   with `503` while draining. A Socket.IO `connect_error` would come too late for a load
//!   balancer: only an HTTP status lets nginx (`proxy_next_upstream http_503`) or an ALB send
//!   the handshake to another instance. Requests of sessions already open (with a `sid`) pass,
//!   so their sockets still receive `server:draining` and their disconnect.
//! - [`move_sockets`] tells every local socket `server:draining {reconnectInMs}` at once, then
//!   disconnects each in its slot of the spread ([`crate::drain::schedule`]). A client
//!   reconnects after `reconnectInMs` (socket.io-client does not by itself after a server
//!   disconnect), reaches another instance through the load balancer, and is put back in its
//!   rooms (`session:restored`) as after any reconnect.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::seq::SliceRandom;
use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::SocketIo;
use tokio::time::Instant;

use crate::drain::{schedule, Drain};

/// How long the last sockets' `server:draining` and disconnect packets get to be written
/// before Socket.IO closes every connection (closing drops what is still queued).
const FLUSH_GRACE: Duration = Duration::from_millis(500);

/// The path engineioxide serves (its default).
const ENGINE_PATH: &str = "/socket.io";

/// Refuses new Socket.IO handshakes with `503 {"status":"draining"}` while the instance
/// drains; everything else passes.
pub async fn gate(State(drain): State<Drain>, req: Request, next: Next) -> Response {
    if drain.is_draining() && is_new_handshake(&req) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            Json(json!({ "status": "draining" })),
        )
            .into_response();
    }
    next.run(req).await
}

fn is_new_handshake(req: &Request) -> bool {
    let path = req.uri().path();
    let engine = path
        .strip_prefix(ENGINE_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    engine
        && !req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .any(|pair| pair.split('=').next() == Some("sid"))
}

/// Moves this instance's sockets away over `spread` (at once when the drain is hurried), then
/// closes Socket.IO. Returns when every socket is gone.
pub async fn move_sockets<A: Adapter>(io: SocketIo<A>, drain: Drain, spread: Duration) {
    // `of("/")`: the namespace is gone if Socket.IO was already closed.
    let sockets = io.of("/").map(|ns| ns.sockets()).unwrap_or_default();
    let spread = if drain.is_hurried() {
        Duration::ZERO
    } else {
        spread
    };
    tracing::info!(
        sockets = sockets.len(),
        spread_ms = spread.as_millis() as u64,
        "draining: moving sockets to other instances"
    );
    let plan = {
        let mut rng = rand::thread_rng();
        let mut sockets = sockets;
        sockets.shuffle(&mut rng);
        let slots = schedule(sockets.len(), spread, &mut rng);
        sockets.into_iter().zip(slots).collect::<Vec<_>>()
    };
    for (socket, slot) in &plan {
        // No spread (Ctrl-C): all go now, and come back within a second, not all at once.
        let reconnect_in = match spread.is_zero() {
            true => soon(),
            false => slot.reconnect_in,
        };
        tell(socket, reconnect_in);
    }
    let start = Instant::now();
    let plan_was_empty = plan.is_empty();
    for (socket, slot) in plan {
        if start.elapsed() < slot.disconnect_at {
            tokio::select! {
                _ = tokio::time::sleep_until(start + slot.disconnect_at) => {}
                _ = drain.hurried() => {
                    // Cut short: come back within a second rather than at the slot first given.
                    tell(&socket, soon());
                }
            }
        }
        disconnect(socket);
    }
    // Handshakes that were completing as the drain began, past the gate already.
    let late = io.of("/").map(|ns| ns.sockets()).unwrap_or_default();
    let moved_any = !plan_was_empty || !late.is_empty();
    for socket in late {
        tell(&socket, soon());
        disconnect(socket);
    }
    if moved_any {
        tokio::time::sleep(FLUSH_GRACE).await;
    }
    io.close().await;
    tracing::info!(
        elapsed_ms = start.elapsed().as_millis() as u64,
        "draining: every socket moved"
    );
}

/// A reconnect delay for sockets moved without a slot: under a second, spread.
fn soon() -> Duration {
    Duration::from_millis(rand::random::<u64>() % 1000)
}

fn tell<A: Adapter>(socket: &SocketRef<A>, reconnect_in: Duration) {
    let message = json!({ "reconnectInMs": reconnect_in.as_millis() as u64 });
    // A full queue loses the notice: the client still reconnects after the disconnect.
    let _ = socket.emit("server:draining", &message);
}

/// Disconnects now; a socket whose outgoing queue is full cannot take the disconnect packet
/// yet, so it is tried again shortly (and `io.close()` ends it in any case).
fn disconnect<A: Adapter>(socket: SocketRef<A>) {
    if let Err(socketioxide::SocketError::InternalChannelFull) = socket.clone().disconnect() {
        tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if !matches!(
                    socket.clone().disconnect(),
                    Err(socketioxide::SocketError::InternalChannelFull)
                ) {
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Request {
        Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn only_new_engine_handshakes_are_gated() {
        assert!(is_new_handshake(&req(
            "/socket.io/?EIO=4&transport=polling"
        )));
        assert!(is_new_handshake(&req(
            "/socket.io/?EIO=4&transport=websocket"
        )));
        assert!(is_new_handshake(&req("/socket.io?EIO=4")));
        assert!(!is_new_handshake(&req(
            "/socket.io/?EIO=4&transport=polling&sid=abc"
        )));
        assert!(!is_new_handshake(&req(
            "/socket.io/?EIO=4&sid=abc&transport=websocket"
        )));
        assert!(is_new_handshake(&req("/socket.io/?EIO=4&xsid=abc")));
        assert!(!is_new_handshake(&req("/api/events")));
        assert!(!is_new_handshake(&req("/socket.iox/")));
    }
}
