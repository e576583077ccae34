//! Coordination state shared by every instance: where a user's sockets were subscribed, so a
//! reconnect (to any instance) can put them back; and how many connections each user holds,
//! so `MAX_SOCKETS_PER_USER` counts across instances.
//!
//! Connection slots are leases, not counters: each live socket holds one slot (keyed by its
//! socket id) that lapses `lease` after its last renewal. Every instance renews the slots of
//! its own sockets on a heartbeat and releases a slot when its socket disconnects. A counter
//! would stay wrong for ever when an instance dies with sockets open (`kill -9`: no
//! disconnect runs); a lease is freed by time alone, so a crashed instance's users can
//! connect again within one lease.
//!
//! Each instance also publishes its live figures for operators (holds and admissions per
//! second, connections, lost pushes) every second, with a short lifetime, and reads every
//! live instance's to sum them ([`crate::stats`]).
//!
//! One trait, two implementations chosen at start-up: [`MemoryCoord`] when the box office
//! runs as one process, [`RedisCoord`] when `REDIS_URL` is set and several instances share
//! one Redis.

mod memory;
mod redis_impl;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::{EventId, UserId};
use crate::stats::InstanceFigures;

pub use memory::MemoryCoord;
pub use redis_impl::{unavailable as redis_unavailable, RedisCoord};

/// What a user's sockets were subscribed to. Kept for a while after the last socket goes,
/// so a reconnect puts the new socket back where the old one was.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Event rooms, oldest first; the last is the event the user is looking at.
    pub event_ids: Vec<EventId>,
    /// Waiting lines the user watches.
    pub queue_event_ids: Vec<EventId>,
}

/// Rooms a session remembers at most, per kind (a user does not watch 20 events at once;
/// the bound keeps one user from growing the store without limit).
pub const SESSION_ROOMS_MAX: usize = 20;

impl Session {
    pub fn is_empty(&self) -> bool {
        self.event_ids.is_empty() && self.queue_event_ids.is_empty()
    }

    /// Adds `id` as the most recent entry, dropping the oldest past the bound.
    pub fn remember(list: &mut Vec<EventId>, id: &EventId) {
        list.retain(|e| e != id);
        list.push(id.clone());
        if list.len() > SESSION_ROOMS_MAX {
            list.remove(0);
        }
    }
}

#[async_trait]
pub trait Coord: Send + Sync + 'static {
    /// The user's session, if one was saved and has not lapsed.
    async fn session(&self, user_id: &UserId) -> Result<Option<Session>>;

    /// Saves (and renews the lifetime of) the user's session.
    async fn save_session(&self, user_id: &UserId, session: &Session) -> Result<()>;

    /// Takes one of `user_id`'s connection slots for `socket_id`, unless the user already
    /// holds `max` live slots (on any instance): then `false`, and nothing changes. Checking
    /// and taking are one atomic step, so concurrent handshakes cannot pass `max` together.
    async fn claim_socket(
        &self,
        user_id: &UserId,
        socket_id: &str,
        max: u32,
        lease: Duration,
    ) -> Result<bool>;

    /// Frees the slot `socket_id` held (its socket disconnected).
    async fn release_socket(&self, user_id: &UserId, socket_id: &str) -> Result<()>;

    /// Extends the leases of live sockets, `(user id, socket id)` pairs (the heartbeat of
    /// one instance). A pair with no slot gets one: after a Redis restart the count heals.
    async fn renew_sockets(&self, sockets: &[(UserId, String)], lease: Duration) -> Result<()>;

    /// Publishes this instance's live figures ([`crate::stats`]), replacing its previous
    /// snapshot; it counts for `ttl`, so an instance that stops publishing drops out.
    async fn publish_figures(&self, figures: &InstanceFigures, ttl: Duration) -> Result<()>;

    /// The live snapshot of every instance that published within its `ttl` (at most
    /// [`FIGURES_MAX`]).
    async fn live_figures(&self) -> Result<Vec<InstanceFigures>>;

    /// Which implementation this is, for health output.
    fn kind(&self) -> &'static str;

    /// Whether the store answers (readiness, `crate::health`); in memory it always does.
    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}

/// Instances' snapshots read at most: far more instances than any deployment runs, so a
/// misbehaving publisher cannot make every read unbounded.
pub const FIGURES_MAX: usize = 256;

/// How long a session outlives its last change: long enough to ride out a reload, a lost
/// network or a server restart.
pub const SESSION_TTL_SECS: u64 = 3600;
