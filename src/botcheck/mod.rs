//! The proof-of-work bot check: a client must spend about a second of CPU (ALTCHA, solved by
//! the `altcha` widget in a Web Worker) before it may take a guest identity (`BOT_CHECK=pow`)
//! or join the line of an event created with `botCheck: true`. It raises the price of the
//! thousand scripted identities a bot farm would otherwise get for free, while verifying costs
//! the server one SHA-256, one HMAC and one ledger write.
//!
//! This module knows nothing of HTTP: [`BotCheck`] issues challenges, decides when a proof is
//! needed (the rule lives here, not in handlers) and checks it: signature, expiry, and single
//! use across instances through a [`SolutionLedger`] (memory or Redis, chosen at start-up).

pub mod altcha;
pub mod ledger;

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::EventId;
use crate::inventory::Inventory;
use crate::metrics::Metrics;

pub use altcha::{Challenge, Refusal, MAX_PAYLOAD_BYTES};
pub use ledger::{MemoryLedger, RedisLedger, SolutionLedger, MEMORY_LEDGER_CAPACITY};

/// `BOT_CHECK`: whether guest sign-in needs a solved check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    #[default]
    Off,
    Pow,
}

/// Start-up choices of the bot check.
#[derive(Clone, Debug)]
pub struct Settings {
    pub mode: Mode,
    /// ALTCHA's `maxnumber`: the solver tries on average half of it.
    pub max_number: u64,
    /// How long a challenge may be solved and used.
    pub ttl_seconds: u64,
}

pub struct BotCheck {
    key: altcha::Key,
    settings: Settings,
    clock: Clock,
    ledger: Arc<dyn SolutionLedger>,
    inventory: Inventory,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for BotCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotCheck")
            .field("settings", &self.settings)
            .field("ledger", &self.ledger.kind())
            .finish()
    }
}

impl BotCheck {
    /// `secret` is the deployment's JWT secret: the signing key is derived from it under a
    /// label of its own, so every instance agrees without another secret to distribute.
    /// Challenges signed under a key derived from one of `accepted` (`JWT_ACCEPT_SECRETS`)
    /// also verify.
    pub fn new(
        secret: &[u8],
        accepted: &[Vec<u8>],
        settings: Settings,
        clock: Clock,
        ledger: Arc<dyn SolutionLedger>,
        inventory: Inventory,
        metrics: Arc<Metrics>,
    ) -> Self {
        BotCheck {
            key: altcha::Key::derive(secret).accepting(accepted),
            settings,
            clock,
            ledger,
            inventory,
            metrics,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A fresh signed challenge. Costs one SHA-256 and one HMAC and stores nothing, so it
    /// needs no bound beyond what any cheap GET has.
    pub fn challenge(&self) -> Challenge {
        let expires = self.clock.now_ms() + (self.settings.ttl_seconds as i64) * 1000;
        altcha::create(&self.key, self.settings.max_number, expires)
    }

    /// Guest sign-in: needs a solved check when `BOT_CHECK=pow`.
    pub async fn for_guest(&self, proof: Option<&str>) -> Result<()> {
        self.require(self.settings.mode == Mode::Pow, proof).await
    }

    /// Joining an event's line: needs a solved check when the event has `botCheck`. The
    /// event's flag comes from the inventory's cache, not a database read per join.
    pub async fn for_queue_join(&self, event_id: &EventId, proof: Option<&str>) -> Result<()> {
        let needed = self.inventory.bot_check_required(event_id).await?;
        self.require(needed, proof).await
    }

    /// When `needed`: `403 bot_check_required` without a proof, `403 bot_check_failed` for a
    /// wrong, expired or already used one. A proof sent when not needed is ignored (not
    /// spent), so a client may always send one.
    pub async fn require(&self, needed: bool, proof: Option<&str>) -> Result<()> {
        if !needed {
            return Ok(());
        }
        let Some(proof) = proof.filter(|p| !p.is_empty()) else {
            Metrics::add(&self.metrics.bot_check_required, 1);
            return Err(Error::forbidden(
                ErrorCode::BotCheckRequired,
                "solve the bot check (GET /api/botcheck/challenge) and send it in X-Bot-Check",
            ));
        };
        let solved = match altcha::verify(&self.key, proof, self.clock.now_ms()) {
            Ok(s) => s,
            Err(reason) => {
                tracing::debug!(?reason, "bot check refused");
                return Err(self.failed("the bot check is wrong or has expired"));
            }
        };
        if !self.ledger.claim(&solved.id, solved.expires_ms).await? {
            tracing::debug!("bot check replayed");
            return Err(self.failed("this bot check was already used"));
        }
        Metrics::add(&self.metrics.bot_check_passed, 1);
        Ok(())
    }

    fn failed(&self, message: &'static str) -> Error {
        Metrics::add(&self.metrics.bot_check_failed, 1);
        Error::forbidden(ErrorCode::BotCheckFailed, message)
    }
}
