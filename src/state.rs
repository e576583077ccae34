//! The one application state every handler and socket handler shares.
//!
//! [`AppState`] is one `Arc`: axum clones the state for every middleware layer of every
//! request, so a clone must be one reference count, not one per service (a join flood spent
//! ~13% of its CPU cloning and dropping the field-by-field state).

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use crate::auth::Users;
use crate::botcheck::BotCheck;
use crate::coord::Coord;
use crate::db::Backend;
use crate::drain::Drain;
use crate::health::Readiness;
use crate::http::rate_limit::Limits;
use crate::idempotency::IdempotencyStore;
use crate::inventory::Inventory;
use crate::metrics::Metrics;
use crate::shopping::Shopping;
use crate::waiting_room::WaitingRoom;

/// The shared state; cheap to clone. Reads of its services go through [`Services`].
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// Everything the edge calls: the domain's services (one handle each), coordination, limits
/// and settings.
pub struct Services {
    /// Events, seat maps, stock, allowances, reservations as read; creating events.
    pub inventory: Inventory,
    /// Holding (behind the admission check), paying, cancelling: every change a shopper
    /// makes to the inventory.
    pub shopping: Shopping,
    pub users: Arc<Users>,
    /// The line: joining, places, leaving; it is also what admits shoppers.
    pub waiting_room: Arc<WaitingRoom>,
    pub idempotency: IdempotencyStore,
    /// Sessions (and, later, the line) shared by instances: in memory or in Redis.
    pub coord: Arc<dyn Coord>,
    pub metrics: Arc<Metrics>,
    /// `GET /metrics`: the Prometheus registry over `metrics` and the rest, and its token.
    pub exposition: Arc<crate::metrics::prometheus::Exposition>,
    pub limits: Arc<Limits>,
    /// The proof-of-work bot check (guest sign-in, lines of events with `botCheck`).
    pub bot_check: Arc<BotCheck>,
    pub settings: Arc<Settings>,
    /// Whether this instance is leaving (SIGTERM): read by readiness and the Socket.IO gate.
    pub drain: Drain,
    /// Compact seat status, from this instance's snapshot cache (kept current by the change
    /// feed and the cluster relay; see `realtime::snapshots`): never a database read per
    /// request while fresh.
    pub seat_status: Arc<dyn crate::seat_status::SeatStatusSource>,
    /// Live figures for operators, counted over every instance (`admin:stats`).
    pub live: Arc<crate::stats::LiveFigures>,
    /// `/readyz`: the stores answer and the instance is not draining (probes cached).
    pub readiness: Arc<Readiness>,
}

/// Start-up choices the edge needs to know.
#[derive(Clone, Debug)]
pub struct Settings {
    pub allow_guests: bool,
    pub max_body_bytes: usize,
    pub web_dir: PathBuf,
    pub frontend_url: Option<String>,
    pub backend: Backend,
    /// The currency of a new event whose body names none (`DEFAULT_CURRENCY`).
    pub default_currency: crate::inventory::Currency,
}
