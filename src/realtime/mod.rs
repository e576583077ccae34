//! Real time: Socket.IO on the same port as the REST API.
//!
//! Browsers connect with `auth: {token}` (a JWT, as for REST), subscribe to an event's room
//! and get every change to its stock and seats as it happens. This layer only *consumes* the
//! domain: it reads snapshots from the inventory and turns the inventory's change feed into
//! room messages ([`fanout`]). With `REDIS_URL` set, socketioxide-redis carries room messages
//! between instances, so each change is emitted once, by the instance that made it, and
//! reaches every browser wherever it is connected.
//!
//! Socket.IO's own connection-state recovery does not exist in socketioxide, so a reconnect
//! converges through versions: the server remembers each user's rooms (in [`crate::coord`]),
//! puts a reconnecting socket back into them and sends `session:restored`; the client
//! re-reads a snapshot and drops any push older than what it holds.

pub mod fanout;
pub mod redis_driver;
pub mod request_head;

use serde::Deserialize;
use serde_json::{json, Value};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef, State, TryData};

use crate::auth::AuthUser;
use crate::coord::Session;
use crate::error::Error;
use crate::inventory::parse_id;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Room of everyone watching an event's stock and seats.
pub fn event_room(event_id: &str) -> String {
    format!("event:{event_id}")
}

/// Room of everyone waiting in an event's line.
pub fn queue_room(event_id: &str) -> String {
    format!("queue:{event_id}")
}

/// Room of one user's sockets (all tabs, any instance): for messages meant for them alone.
pub fn user_room(user_id: &str) -> String {
    format!("user:{user_id}")
}

#[derive(Deserialize)]
pub struct Handshake {
    token: Option<String>,
}

/// Why a handshake was refused; the text is what `connect_error` carries to the client.
#[derive(Debug)]
pub enum HandshakeError {
    Required,
    Invalid,
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HandshakeError::Required => "Authentication required",
            HandshakeError::Invalid => "Invalid token",
        })
    }
}

/// Connect middleware: only sockets with a valid token join the namespace.
pub async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    TryData(auth): TryData<Handshake>,
    State(state): State<AppState>,
) -> Result<(), HandshakeError> {
    let token = auth.ok().and_then(|a| a.token).filter(|t| !t.is_empty());
    let result = match token {
        None => Err(HandshakeError::Required),
        Some(t) => state
            .users
            .jwt()
            .verify(&t)
            .map_err(|_| HandshakeError::Invalid),
    };
    match result {
        Ok(user) => {
            socket.extensions.insert(user);
            Ok(())
        }
        Err(e) => {
            Metrics::add(&state.metrics.sockets_refused, 1);
            Err(e)
        }
    }
}

/// A connected, authenticated socket: register its handlers, then restore its session.
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>, State(state): State<AppState>) {
    let Some(user) = socket.extensions.get::<AuthUser>() else {
        let _ = socket.disconnect();
        return;
    };
    Metrics::add(&state.metrics.sockets_connected, 1);
    socket.join(user_room(&user.id));
    socket.on("join:event", join_event::<A>);
    socket.on("leave:event", leave_event::<A>);
    socket.on("join:queue", join_queue::<A>);

    match state.coord.session(&user.id).await {
        Ok(Some(session)) if !session.is_empty() => restore(&socket, &state, &user, session).await,
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not read session; client will rejoin by itself")
        }
    }
}

/// Puts a reconnecting user's socket back into its rooms and tells it what it holds.
async fn restore<A: Adapter>(
    socket: &SocketRef<A>,
    state: &AppState,
    user: &AuthUser,
    session: Session,
) {
    for id in &session.event_ids {
        socket.join(event_room(id));
    }
    for id in &session.queue_event_ids {
        socket.join(queue_room(id));
    }
    let reservations = match state.inventory.pending_reservations_of(&user.id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "could not load reservations for session restore");
            Vec::new()
        }
    };
    let mut queue = Vec::new();
    for id in &session.queue_event_ids {
        if let Ok(p) = state.admission.position(id, &user.id).await {
            queue.push(p);
        }
    }
    let payload = json!({
        "eventId": session.event_ids.last(),
        "eventIds": session.event_ids,
        "queue": queue.first(),
        "queues": queue,
        "reservations": reservations,
    });
    let _ = socket.emit("session:restored", &payload);
}

/// The event id a client sent, or the ack error to send back.
fn event_id_from(payload: &Value) -> Result<String, &'static str> {
    let raw = match payload {
        Value::String(s) => s.as_str(),
        // Accept `{eventId}` too: clients of REST habits send objects.
        Value::Object(o) => o
            .get("eventId")
            .and_then(Value::as_str)
            .ok_or("invalid_payload")?,
        _ => return Err("invalid_payload"),
    };
    parse_id("event", raw).map_err(|_| "invalid_payload")
}

fn ack_error(ack: AckSender<impl Adapter>, error: &str) {
    let _ = ack.send(&json!({ "ok": false, "error": error }));
}

async fn known_event(state: &AppState, payload: &Value) -> Result<String, &'static str> {
    let event_id = event_id_from(payload)?;
    match state.inventory.event_exists(&event_id).await {
        Ok(true) => Ok(event_id),
        Ok(false) => Err("unknown_event"),
        Err(e) => {
            tracing::warn!(error = %e, "event lookup failed");
            Err("unavailable")
        }
    }
}

async fn update_session(state: &AppState, user_id: &str, change: impl FnOnce(&mut Session)) {
    let mut session = state
        .coord
        .session(user_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    change(&mut session);
    if let Err(e) = state.coord.save_session(user_id, &session).await {
        tracing::warn!(error = %e, "could not save session");
    }
}

/// Which of an event's rooms a socket subscribes to.
#[derive(Clone, Copy)]
enum Rooms {
    Event,
    Queue,
}

/// Puts the socket into an event's room and remembers it in the user's session, so a
/// reconnect (to any instance) comes back to it. Refuses unknown events and bad payloads.
async fn subscribe<A: Adapter>(
    socket: &SocketRef<A>,
    state: &AppState,
    payload: &Value,
    rooms: Rooms,
) -> Result<(String, AuthUser), &'static str> {
    let event_id = known_event(state, payload).await?;
    let user = socket
        .extensions
        .get::<AuthUser>()
        .ok_or("unauthenticated")?;
    match rooms {
        Rooms::Event => socket.join(event_room(&event_id)),
        Rooms::Queue => socket.join(queue_room(&event_id)),
    }
    update_session(state, &user.id, |s| {
        let list = match rooms {
            Rooms::Event => &mut s.event_ids,
            Rooms::Queue => &mut s.queue_event_ids,
        };
        Session::remember(list, &event_id)
    })
    .await;
    Ok((event_id, user))
}

async fn join_event<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(state): State<AppState>,
) {
    // Join first, then read: a change committed in between reaches the socket as a push
    // as well as in the snapshot, and the client keeps whichever version is newer.
    let (event_id, _) = match subscribe(&socket, &state, &payload, Rooms::Event).await {
        Ok(ok) => ok,
        Err(e) => return ack_error(ack, e),
    };
    // `{eventId, seats: false}` asks for stock only: a client that loads the seat map over
    // REST (as the web app does) keeps every socket message small. That matters for memory:
    // a WebSocket keeps a write buffer as large as the largest message it ever sent.
    let with_seats = payload
        .get("seats")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    match snapshot(&state, &event_id, with_seats).await {
        Ok(mut snap) => {
            snap["ok"] = json!(true);
            let _ = ack.send(&snap);
        }
        Err(e) => {
            tracing::warn!(error = %e, "snapshot failed");
            ack_error(ack, "unavailable");
        }
    }
}

/// The event's stock and (if it has a seat map and they are wanted) seats, with versions.
pub async fn snapshot(state: &AppState, event_id: &str, with_seats: bool) -> Result<Value, Error> {
    let event = state.inventory.event(event_id).await?;
    let seats = if event.has_seat_map && with_seats {
        Some(state.inventory.seats(event_id).await?)
    } else {
        None
    };
    Ok(json!({ "eventId": event_id, "ticketTypes": event.ticket_types, "seats": seats }))
}

async fn leave_event<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(state): State<AppState>,
) {
    let event_id = match event_id_from(&payload) {
        Ok(id) => id,
        Err(e) => return ack_error(ack, e),
    };
    socket.leave(event_room(&event_id));
    if let Some(user) = socket.extensions.get::<AuthUser>() {
        update_session(&state, &user.id, |s| s.event_ids.retain(|e| e != &event_id)).await;
    }
    let _ = ack.send(&json!({ "ok": true }));
}

async fn join_queue<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(state): State<AppState>,
) {
    let (event_id, user) = match subscribe(&socket, &state, &payload, Rooms::Queue).await {
        Ok(ok) => ok,
        Err(e) => return ack_error(ack, e),
    };
    match state.admission.position(&event_id, &user.id).await {
        Ok(p) => {
            let _ = ack.send(&json!({ "ok": true }));
            let _ = socket.emit("queue:position", &p);
        }
        Err(e) => {
            tracing::warn!(error = %e, "queue position failed");
            ack_error(ack, "unavailable");
        }
    }
}
