//! The one application state every handler (and, later, every socket handler) shares.

use std::path::PathBuf;
use std::sync::Arc;

use crate::admission::Admission;
use crate::auth::Users;
use crate::botcheck::BotCheck;
use crate::coord::Coord;
use crate::db::Backend;
use crate::http::rate_limit::Limits;
use crate::idempotency::IdempotencyStore;
use crate::inventory::Inventory;
use crate::metrics::Metrics;
use crate::waiting_room::WaitingRoom;

#[derive(Clone)]
pub struct AppState {
    pub inventory: Inventory,
    /// Behind an `Arc`: the state is cloned several times per request (every middleware
    /// layer), and `Users` holds the JWT keys and validation sets by value.
    pub users: Arc<Users>,
    pub admission: Arc<dyn Admission>,
    pub waiting_room: Arc<WaitingRoom>,
    pub idempotency: IdempotencyStore,
    /// Sessions (and, later, the line) shared by instances: in memory or in Redis.
    pub coord: Arc<dyn Coord>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
    /// The proof-of-work bot check (guest sign-in, lines of events with `botCheck`).
    pub bot_check: Arc<BotCheck>,
    pub settings: Arc<Settings>,
}

/// Start-up choices the edge needs to know.
#[derive(Clone, Debug)]
pub struct Settings {
    pub allow_guests: bool,
    pub max_body_bytes: usize,
    pub web_dir: PathBuf,
    pub frontend_url: Option<String>,
    pub backend: Backend,
}
