//! The operators' live figures over Socket.IO: `join:admin` / `leave:admin` and the
//! per-second `admin:stats`.
//!
//! An administrator's socket joins the room `admin:<eventId>`; every second, each instance
//! that has such sockets sends them the event's figures ([`crate::stats`], counted over every
//! instance). It sends to its *own* sockets only (`.local()`): every instance with watchers
//! sends once a second to its watchers, so a watcher gets one message a second however many
//! instances run.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef, State};
use socketioxide::SocketIo;

use super::{ack_error, admit, event_id_from, Rt};
use crate::auth::AuthUser;
use crate::error::{Error, ErrorCode};
use crate::ids::EventId;

/// Events one socket may watch at once; the next `join:admin` acks
/// `{ok:false, error:"too_many_watched"}`.
pub const WATCH_MAX: usize = 5;

/// Room of the administrators' sockets watching an event's figures.
pub fn admin_room(event_id: &EventId) -> String {
    format!("admin:{event_id}")
}

/// Events this instance's admin sockets watch (pruned each second of events nobody here
/// watches any more).
#[derive(Debug, Default)]
pub struct Watched(Mutex<HashSet<EventId>>);

/// The events one socket watches (a socket extension).
#[derive(Debug, Default)]
struct Watching(Mutex<Vec<EventId>>);

/// `join:admin` `eventId` (or `{eventId}`): administrators only. Acks `{ok:true, stats}`
/// with the event's figures now; `admin:stats` follows every second.
pub async fn join_admin<A: Adapter>(
    socket: SocketRef<A>,
    Data(payload): Data<Value>,
    ack: AckSender<A>,
    State(rt): State<Rt>,
) {
    let Some(ack) = admit(&socket, &rt.metrics, ack) else {
        return;
    };
    let is_admin = socket
        .extensions
        .get::<AuthUser>()
        .is_some_and(|u| u.is_admin());
    if !is_admin {
        return ack_error(ack, ErrorCode::AdminOnly);
    }
    let event_id = match event_id_from(&payload) {
        Ok(id) => id,
        Err(e) => return ack_error(ack, e),
    };
    match rt.stock.event_exists(&event_id).await {
        Ok(true) => {}
        Ok(false) => return ack_error(ack, ErrorCode::EventNotFound),
        Err(e) => {
            tracing::warn!(error = %e, "event lookup failed");
            return ack_error(ack, ErrorCode::Unavailable);
        }
    }
    let watching = match socket.extensions.get::<Arc<Watching>>() {
        Some(w) => w,
        None => {
            let w = Arc::new(Watching::default());
            socket.extensions.insert(w.clone());
            w
        }
    };
    {
        let mut list = watching.0.lock().expect("watching lock");
        if !list.contains(&event_id) {
            if list.len() >= WATCH_MAX {
                return ack_error(ack, ErrorCode::TooManyWatched);
            }
            list.push(event_id.clone());
        }
    }
    // Into the room first, then into the watched set: the tick prunes an event whose room
    // is empty, and this socket is in it by now.
    socket.join(admin_room(&event_id));
    rt.watched
        .0
        .lock()
        .expect("watched lock")
        .insert(event_id.clone());
    match rt.live.stats(&event_id).await {
        Ok(stats) => {
            let _ = ack.send(&json!({ "ok": true, "stats": stats }));
        }
        Err(Error::NotFound { .. }) => ack_error(ack, ErrorCode::EventNotFound),
        Err(e) => {
            // Watching stands: the figures follow with the next second's `admin:stats`.
            tracing::warn!(error = %e, "figures for join:admin failed");
            let _ = ack.send(&json!({ "ok": true, "stats": null }));
        }
    }
}

/// `leave:admin` `eventId`: stops the socket's `admin:stats` for that event.
pub async fn leave_admin<A: Adapter>(
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
    socket.leave(admin_room(&event_id));
    if let Some(w) = socket.extensions.get::<Arc<Watching>>() {
        w.0.lock()
            .expect("watching lock")
            .retain(|e| e != &event_id);
    }
    let _ = ack.send(&json!({ "ok": true }));
}

/// Once a second: publishes this instance's figures, then sends `admin:stats` to this
/// instance's sockets watching each event.
pub async fn tick<A: Adapter>(io: &SocketIo<A>, rt: &Rt) {
    if let Err(e) = rt.live.publish().await {
        tracing::warn!(error = %e, "cannot publish this instance's live figures");
    }
    // The namespace is gone once shutdown began.
    let Some(ns) = io.of("/") else { return };
    let events: Vec<EventId> = {
        let mut watched = rt.watched.0.lock().expect("watched lock");
        watched.retain(|id| !ns.clone().to(admin_room(id)).local().sockets().is_empty());
        watched.iter().cloned().collect()
    };
    if events.is_empty() {
        return;
    }
    let cluster = rt.live.cluster().await;
    for event_id in events {
        match rt.live.event_stats(&event_id, &cluster).await {
            Ok(stats) => {
                let sent = ns
                    .clone()
                    .to(admin_room(&event_id))
                    .local()
                    .emit("admin:stats", &stats)
                    .await;
                if let Err(e) = sent {
                    tracing::debug!(error = %e, "admin:stats not sent to every watcher");
                }
            }
            Err(e) => tracing::warn!(%event_id, error = %e, "cannot read an event's live figures"),
        }
    }
}
