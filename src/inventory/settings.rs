//! Changes to events' settings, and how every instance learns of them within a second.
//!
//! A change (`PATCH /api/admin/events/{id}`) takes the next settings revision in its
//! transaction (`settings_revision`, one row, locked until commit: revisions commit in
//! order) and stamps the event with it. The instance that made it forgets its cached terms
//! and announces it at once; every instance's watcher reads the one revision row every
//! 250 ms and, when it moved, which events carry a newer revision, and does the same for
//! those. It needs nothing but the database (no Redis), and costs one indexed read a poll.
//!
//! The announcement is a broadcast of [`EventId`]s: the waiting room forgets its line
//! settings, the real-time layer tells the event's sockets (`event:updated`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sqlx::Row;
use tokio::sync::broadcast;

use super::events::EventTerms;
use super::Inventory;
use crate::error::Result;
use crate::ids::EventId;
use crate::tasks::Supervisor;

/// How often each instance looks for settings changed elsewhere.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub(super) struct Settings {
    terms: Arc<RwLock<HashMap<EventId, Arc<EventTerms>>>>,
    tx: broadcast::Sender<EventId>,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// The revision the watcher has caught up with (`None` before its first poll).
    revision: Option<i64>,
    /// Revisions this instance announced itself, not yet passed by the watcher.
    own: BTreeMap<i64, EventId>,
}

impl Settings {
    pub(super) fn new(terms: Arc<RwLock<HashMap<EventId, Arc<EventTerms>>>>) -> Self {
        Settings {
            terms,
            tx: broadcast::channel(1024).0,
            seen: Mutex::default(),
        }
    }

    /// This instance changed `event_id` under `revision`: forget and announce it now.
    pub(super) fn changed(&self, event_id: &EventId, revision: i64) {
        self.seen
            .lock()
            .expect("seen lock")
            .own
            .insert(revision, event_id.clone());
        self.announce(event_id);
    }

    fn announce(&self, event_id: &EventId) {
        self.terms.write().expect("terms lock").remove(event_id);
        let _ = self.tx.send(event_id.clone());
    }
}

impl Inventory {
    /// Events whose settings changed, on any instance, from now on (each once per change,
    /// after this instance forgot its cached terms of it).
    pub fn settings_changes(&self) -> broadcast::Receiver<EventId> {
        self.settings.tx.subscribe()
    }

    /// One poll: announces the events changed by other instances since the last poll;
    /// returns how many. The first poll only notes where the revisions stand, so it runs at
    /// start-up, before anything is cached (`Application::build`).
    pub async fn poll_settings(&self) -> Result<usize> {
        let current: i64 =
            sqlx::query_scalar("SELECT revision FROM settings_revision WHERE id = 1")
                .fetch_one(&self.db.pool)
                .await?;
        let Some(last) = self.settings.seen.lock().expect("seen lock").revision else {
            let mut seen = self.settings.seen.lock().expect("seen lock");
            seen.revision = Some(current);
            seen.own.retain(|r, _| *r > current);
            return Ok(0);
        };
        if current <= last {
            return Ok(0);
        }
        let rows = sqlx::query("SELECT id, revision FROM events WHERE revision > $1")
            .bind(last)
            .fetch_all(&self.db.pool)
            .await?;
        let mut announced = 0;
        for r in rows {
            let (id, revision): (EventId, i64) = (r.try_get("id")?, r.try_get("revision")?);
            let own = {
                let seen = self.settings.seen.lock().expect("seen lock");
                seen.own.get(&revision) == Some(&id)
            };
            if !own {
                self.settings.announce(&id);
                announced += 1;
            }
        }
        let mut seen = self.settings.seen.lock().expect("seen lock");
        seen.revision = Some(current.max(last));
        seen.own.retain(|r, _| *r > current);
        Ok(announced)
    }
}

/// Registers the settings watcher: one poll every [`POLL_EVERY`] until shutdown.
pub fn supervise_settings_watcher(inventory: &Inventory, tasks: &mut Supervisor) {
    let inventory = inventory.clone();
    tasks.every("event settings watcher", POLL_EVERY, move || {
        let inventory = inventory.clone();
        async move {
            if let Err(e) = inventory.poll_settings().await {
                tracing::warn!(error = %e, "cannot read event settings changes; will retry");
            }
        }
    });
}
