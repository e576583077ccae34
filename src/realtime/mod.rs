//! Real time: Socket.IO on the same port as the REST API.
//!
//! Browsers connect with `auth: {token}` (a JWT, as for REST), subscribe to an event's room
//! and get every change to its stock and seats as it happens. This layer only *consumes* the
//! domain, through read-only views ([`StockView`], [`QueueView`]): it reads snapshots from
//! the inventory and turns the inventory's change feed into room messages ([`fanout`]).
//! Event ids in payloads are parsed into [`EventId`]s as they arrive. With `REDIS_URL` set, socketioxide-redis carries room messages
//! between instances, so each change is emitted once, by the instance that made it, and
//! reaches every browser wherever it is connected.
//!
//! Socket.IO's own connection-state recovery does not exist in socketioxide, so a reconnect
//! converges through versions: the server remembers each user's rooms (in [`crate::coord`]),
//! puts a reconnecting socket back into them and sends `session:restored`; the client
//! re-reads a snapshot and drops any push older than what it holds.
//!
//! Edges, for a crowd that includes attackers (`shared/PROTOCOL.md`, Fairness): a client's
//! packet over 16 KiB closes its connection before it is buffered (engine settings in
//! `startup.rs`); every event a socket sends passes its connection's rate limit
//! ([`limits`]); one user holds at most `MAX_SOCKETS_PER_USER` connections across all
//! instances (leases in [`crate::coord`], renewed by [`spawn_socket_heartbeat`]); and
//! `join:event` answers from a per-event cache ([`snapshots`]), not the database.

pub mod admin;
pub mod drain;
pub mod event_updates;
pub mod fanout;
pub mod limits;
pub mod redis_driver;
pub mod relay;
pub mod request_head;
pub mod snapshots;
pub mod waitlist;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;
use socketioxide::SocketIo;

use crate::auth::{AuthUser, Jwt};
use crate::coord::{Coord, Session};
use crate::error::ErrorCode;
use crate::ids::{EventId, UserId};
use crate::inventory::StockView;
use crate::metrics::Metrics;
use crate::waiting_room::QueueView;
use limits::{EventLimiter, Verdict};
use snapshots::SnapshotCache;

/// The real-time layer's state (socketioxide's state): read-only views of the domain, the
/// session codec (to verify handshakes), coordination, and its own settings.
pub struct Realtime {
    pub stock: StockView,
    pub queue: QueueView,
    /// Verifies handshake tokens.
    pub sessions: Jwt,
    pub coord: Arc<dyn Coord>,
    pub metrics: Arc<Metrics>,
    pub snapshots: Arc<SnapshotCache>,
    /// Live figures for `admin:stats` ([`admin`]).
    pub live: Arc<crate::stats::LiveFigures>,
    /// Events this instance's admin sockets watch.
    pub watched: admin::Watched,
    pub events_per_sec: u32,
    pub event_burst: u32,
    /// 0: no limit.
    pub max_sockets_per_user: u32,
    pub socket_lease: Duration,
}

/// How long a handshake waits for the user's connection count before letting it in.
const CLAIM_WAIT: Duration = Duration::from_secs(1);

/// How the real-time handlers reach [`Realtime`].
pub type Rt = Arc<Realtime>;

/// Room of everyone watching an event's stock and seats.
pub fn event_room(event_id: &EventId) -> String {
    format!("event:{event_id}")
}

/// Room of everyone waiting in an event's line.
pub fn queue_room(event_id: &EventId) -> String {
    format!("queue:{event_id}")
}

/// Room of one user's sockets (all tabs, any instance): for messages meant for them alone.
pub fn user_room(user_id: &UserId) -> String {
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
    TooMany,
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HandshakeError::Required => "Authentication required",
            HandshakeError::Invalid => "Invalid token",
            HandshakeError::TooMany => "Too many connections",
        })
    }
}

/// Connect middleware: only sockets with a valid token join the namespace, and only while
/// their user holds fewer than `MAX_SOCKETS_PER_USER` connections (on all instances).
pub async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    TryData(auth): TryData<Handshake>,
    State(rt): State<Rt>,
) -> Result<(), HandshakeError> {
    let token = auth.ok().and_then(|a| a.token).filter(|t| !t.is_empty());
    let result = match token {
        None => Err(HandshakeError::Required),
        Some(t) => rt.sessions.verify(&t).map_err(|_| HandshakeError::Invalid),
    };
    let user = match result {
        Ok(user) => user,
        Err(e) => {
            Metrics::add(&rt.metrics.sockets_refused, 1);
            return Err(e);
        }
    };
    if rt.max_sockets_per_user > 0 {
        let sid = socket.id.to_string();
        let claim = rt
            .coord
            .claim_socket(&user.id, &sid, rt.max_sockets_per_user, rt.socket_lease);
        match tokio::time::timeout(CLAIM_WAIT, claim).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                Metrics::add(&rt.metrics.sockets_too_many, 1);
                return Err(HandshakeError::TooMany);
            }
            // An abuse bound, not an invariant: with Redis down (or too slow to answer),
            // let the socket in (the heartbeat gives it a slot once Redis is back) rather
            // than lock everyone out.
            Ok(Err(e)) => {
                Metrics::add(&rt.metrics.socket_count_unavailable, 1);
                tracing::warn!(error = %e, "could not count the user's connections; letting the socket in");
            }
            Err(_) => {
                Metrics::add(&rt.metrics.socket_count_unavailable, 1);
                tracing::warn!("counting the user's connections timed out; letting the socket in");
            }
        }
    }
    socket.extensions.insert(user);
    listen(&socket, &rt);
    Ok(())
}

/// Registers the socket's event handlers. Called by [`authenticate`], not [`on_connect`]:
/// socketioxide sends the CONNECT packet once the middleware returns and only then spawns the
/// connect handler, so a client that emits at once (every client sends `join:event` on
/// connect, and a drain reconnects many together) would race handlers registered there, and
/// an event that arrives first is dropped with its ack.
fn listen<A: Adapter>(socket: &SocketRef<A>, rt: &Realtime) {
    if let Some(limiter) = EventLimiter::new(rt.events_per_sec, rt.event_burst) {
        socket.extensions.insert(Arc::new(limiter));
    }
    socket.on("join:event", join_event::<A>);
    socket.on("leave:event", leave_event::<A>);
    socket.on("join:queue", join_queue::<A>);
    socket.on("join:admin", admin::join_admin::<A>);
    socket.on("leave:admin", admin::leave_admin::<A>);
    socket.on_fallback(unknown_event::<A>);
    // Open from here until `release_slot`, the disconnect handler, counts it out.
    rt.metrics
        .sockets_open
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    socket.on_disconnect(release_slot::<A>);
}

/// A connected, authenticated socket (its handlers already registered by [`listen`]): joins
/// the user's room and restores its session.
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>, State(rt): State<Rt>) {
    let Some(user) = socket.extensions.get::<AuthUser>() else {
        let _ = socket.disconnect();
        return;
    };
    Metrics::add(&rt.metrics.sockets_connected, 1);
    socket.join(user_room(&user.id));

    match rt.coord.session(&user.id).await {
        Ok(Some(session)) if !session.is_empty() => restore(&socket, &rt, &user, session).await,
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not read session; client will rejoin by itself")
        }
    }
}

/// Puts a reconnecting user's socket back into its rooms and tells it what it holds.
async fn restore<A: Adapter>(
    socket: &SocketRef<A>,
    rt: &Realtime,
    user: &AuthUser,
    session: Session,
) {
    for id in &session.event_ids {
        socket.join(event_room(id));
    }
    for id in &session.queue_event_ids {
        socket.join(queue_room(id));
    }
    let reservations = match rt.stock.pending_reservations_of(&user.id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "could not load reservations for session restore");
            Vec::new()
        }
    };
    let mut queue = Vec::new();
    for id in &session.queue_event_ids {
        if let Ok(p) = rt.queue.position(id, &user.id).await {
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
fn event_id_from(payload: &Value) -> Result<EventId, ErrorCode> {
    let raw = match payload {
        Value::String(s) => s.as_str(),
        // Accept `{eventId}` too: clients of REST habits send objects.
        Value::Object(o) => o
            .get("eventId")
            .and_then(Value::as_str)
            .ok_or(ErrorCode::InvalidPayload)?,
        _ => return Err(ErrorCode::InvalidPayload),
    };
    EventId::parse(raw).map_err(|_| ErrorCode::InvalidPayload)
}

fn ack_error(ack: AckSender<impl Adapter>, error: ErrorCode) {
    let _ = ack.send(&json!({ "ok": false, "error": error }));
}

/// Takes a token from the socket's event bucket. With none left, acks
/// `{ok:false, error:"rate_limited"}` and returns `None`: the event is not served. A socket
/// that keeps flooding is then disconnected.
fn admit<A: Adapter>(
    socket: &SocketRef<A>,
    metrics: &Metrics,
    ack: AckSender<A>,
) -> Option<AckSender<A>> {
    let Some(limiter) = socket.extensions.get::<Arc<EventLimiter>>() else {
        return Some(ack);
    };
    let verdict = limiter.check();
    if verdict == Verdict::Allowed {
        return Some(ack);
    }
    Metrics::add(&metrics.socket_events_limited, 1);
    ack_error(ack, ErrorCode::RateLimited);
    if verdict == Verdict::Abusive {
        Metrics::add(&metrics.sockets_disconnected_for_abuse, 1);
        tracing::info!(sid = %socket.id, "socket kept flooding events: disconnected");
        disconnect(socket.clone());
    }
    None
}

/// Disconnects a flooding socket after a short grace, so the acks already queued for it
/// (the events it was served, the `rate_limited` refusals) reach it before the disconnect;
/// meanwhile its events keep being refused. socketioxide refuses to disconnect a socket
/// whose outgoing queue is full (the disconnect packet cannot be queued): then it tries
/// again shortly.
fn disconnect<A: Adapter>(socket: SocketRef<A>) {
    tokio::spawn(async move {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            match socket.clone().disconnect() {
                Err(socketioxide::SocketError::InternalChannelFull) => continue,
                _ => return,
            }
        }
    });
}

/// Events with no handler still cost a token (and are otherwise ignored, as before).
async fn unknown_event<A: Adapter>(socket: SocketRef<A>, ack: AckSender<A>, State(rt): State<Rt>) {
    let _ = admit(&socket, &rt.metrics, ack);
}

/// Frees the user's connection slot (on every instance's count).
async fn release_slot<A: Adapter>(
    socket: SocketRef<A>,
    _reason: DisconnectReason,
    State(rt): State<Rt>,
) {
    rt.metrics
        .sockets_open
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    if rt.max_sockets_per_user == 0 {
        return;
    }
    if let Some(user) = socket.extensions.get::<AuthUser>() {
        if let Err(e) = rt
            .coord
            .release_socket(&user.id, &socket.id.to_string())
            .await
        {
            // Its lease lapses by itself.
            tracing::warn!(error = %e, "could not release a connection slot");
        }
    }
}

/// The event id of a payload, if the event exists: known from the snapshot cache when it
/// holds the event (no database read), else asked of the inventory.
async fn known_event(rt: &Realtime, payload: &Value) -> Result<EventId, ErrorCode> {
    let event_id = event_id_from(payload)?;
    if rt.snapshots.knows(event_id.as_str()) {
        return Ok(event_id);
    }
    match rt.stock.event_exists(&event_id).await {
        Ok(true) => Ok(event_id),
        Ok(false) => Err(ErrorCode::UnknownEvent),
        Err(e) => {
            tracing::warn!(error = %e, "event lookup failed");
            Err(ErrorCode::Unavailable)
        }
    }
}

async fn update_session(rt: &Realtime, user_id: &UserId, change: impl FnOnce(&mut Session)) {
    let mut session = rt
        .coord
        .session(user_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    change(&mut session);
    if let Err(e) = rt.coord.save_session(user_id, &session).await {
        tracing::warn!(error = %e, "could not save session");
    }
}

/// Which of an event's rooms a socket subscribes to.
#[derive(Clone, Copy)]
enum Rooms {
    Event,
    Queue,
}

/// The start of `join:event` and `join:queue`: the socket's rate limit, then the event
/// (refusing unknown events and bad payloads with an ack). Puts the socket into the event's
/// room and remembers it in the user's session, so a reconnect (to any instance) comes back
/// to it. `None` when the event was refused (the ack is sent).
async fn subscribe<A: Adapter>(
    socket: &SocketRef<A>,
    rt: &Realtime,
    payload: &Value,
    ack: AckSender<A>,
    rooms: Rooms,
) -> Option<(AckSender<A>, EventId, AuthUser)> {
    let ack = admit(socket, &rt.metrics, ack)?;
    let known = known_event(rt, payload).await.and_then(|event_id| {
        // Never missing: the handshake refuses sockets without a verified user.
        let user = socket.extensions.get::<AuthUser>();
        Ok((event_id, user.ok_or(ErrorCode::AuthRequired)?))
    });
    let (event_id, user) = match known {
        Ok(ok) => ok,
        Err(e) => {
            ack_error(ack, e);
            return None;
        }
    };
    match rooms {
        Rooms::Event => socket.join(event_room(&event_id)),
        Rooms::Queue => socket.join(queue_room(&event_id)),
    }
    update_session(rt, &user.id, |s| {
        let list = match rooms {
            Rooms::Event => &mut s.event_ids,
            Rooms::Queue => &mut s.queue_event_ids,
        };
        Session::remember(list, &event_id)
    })
    .await;
    Some((ack, event_id, user))
}

async fn join_event<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(rt): State<Rt>,
) {
    // Join first, then read: a change committed in between reaches the socket as a push
    // as well as in the snapshot, and the client keeps whichever version is newer. (The
    // cache has every change whose push went out before the read: see `snapshots`.)
    let Some((ack, event_id, _)) = subscribe(&socket, &rt, &payload, ack, Rooms::Event).await
    else {
        return;
    };
    // `{eventId, seats: false}` asks for stock only: a client that loads the seat map over
    // REST (as the web app does) keeps every socket message small. That matters for memory:
    // a WebSocket keeps a write buffer as large as the largest message it ever sent.
    // `{eventId, seats: "compact"}` asks for the seats as a compact status (2 bits a seat,
    // `crate::seat_status`), encoded once per change whatever the number of joiners.
    let seats = payload.get("seats");
    let compact = seats.and_then(Value::as_str) == Some("compact");
    let with_seats = seats.and_then(Value::as_bool).unwrap_or(true);
    match rt.snapshots.get(&rt.stock, &event_id).await {
        Ok(snap) if compact => {
            let encoded = snap.compact();
            let _ = ack.send(&snap.compact_ack(&encoded));
        }
        Ok(snap) => {
            let _ = ack.send(&snap.ack(with_seats));
        }
        Err(e) => {
            tracing::warn!(error = %e, "snapshot failed");
            ack_error(ack, ErrorCode::Unavailable);
        }
    }
}

async fn leave_event<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(rt): State<Rt>,
) {
    let Some(ack) = admit(&socket, &rt.metrics, ack) else {
        return;
    };
    let event_id = match event_id_from(&payload) {
        Ok(id) => id,
        Err(e) => return ack_error(ack, e),
    };
    socket.leave(event_room(&event_id));
    if let Some(user) = socket.extensions.get::<AuthUser>() {
        update_session(&rt, &user.id, |s| s.event_ids.retain(|e| e != &event_id)).await;
    }
    let _ = ack.send(&json!({ "ok": true }));
}

async fn join_queue<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(rt): State<Rt>,
) {
    let Some((ack, event_id, user)) = subscribe(&socket, &rt, &payload, ack, Rooms::Queue).await
    else {
        return;
    };
    match rt.queue.position(&event_id, &user.id).await {
        Ok(p) => {
            let _ = ack.send(&json!({ "ok": true }));
            let _ = socket.emit("queue:position", &p);
        }
        Err(e) => {
            tracing::warn!(error = %e, "queue position failed");
            ack_error(ack, ErrorCode::Unavailable);
        }
    }
}

/// Renews the connection slots of this instance's sockets; run every third of a lease, so
/// they outlive it while the instance runs and lapse within one lease once it is gone.
pub async fn renew_socket_leases<A: Adapter>(io: &SocketIo<A>, rt: &Rt) {
    // `of("/")`, not `sockets()`: the namespace is gone once shutdown began.
    let Some(ns) = io.of("/") else { return };
    let live: Vec<(UserId, String)> = ns
        .sockets()
        .into_iter()
        .filter_map(|s| {
            let user = s.extensions.get::<AuthUser>()?;
            Some((user.id, s.id.to_string()))
        })
        .collect();
    if let Err(e) = rt.coord.renew_sockets(&live, rt.socket_lease).await {
        tracing::warn!(error = %e, "could not renew connection slots");
    }
}
