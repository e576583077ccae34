//! The waiting room: who may shop an event now, and a fair line for everyone else.
//!
//! While the event has room (active shoppers < capacity) and nobody waits, a join admits at
//! once. Otherwise the joiner takes a number; every instance ticks the line, and each tick
//! admits the next numbers as the event's rate and free capacity allow (the rate is a token
//! bucket in the line itself, so N instances do not admit N times the rate). A waiting
//! user's place is `number - servingNumber`: O(1), and it never goes up. One
//! `queue:progress` per tick tells the whole line where the line is; each admitted user
//! alone gets `queue:admitted` with a signed admission token.
//!
//! An administrator may change that per event ([`line::Gate`]): paused sales admit nobody
//! (joins still take numbers, and keep them), `waitingRoom: "on"` numbers every joiner even
//! with room, `"off"` admits every joiner at once and lets whoever waits in, past rate and
//! capacity. Settings are cached per instance and forgotten on every change (the inventory's
//! settings watcher), so a change applies everywhere within a second.
//!
//! Shopping calls pass through [`Admission::check`]: a valid token for this event and this
//! user, whose slot is still theirs. Slots come back when the shopper pays, leaves, idles
//! past the event's timeout, or their turn ends.
//!
//! The line survives losing its state (Redis restarted without persistence, a failover that
//! dropped writes, a restart in embedded mode). Every answer to a waiting user carries a
//! signed receipt of their number ([`receipt`]); each line carries an epoch, so an operation
//! on a line that is gone fails with `LineLost` instead of numbering anyone from 1 again;
//! each instance remembers where every line stood at its last tick and the database keeps a
//! checkpoint ([`checkpoint`]). On a loss the line is rebuilt from the highest numbers
//! anyone saw, with the shoppers' slots reserved until they come back with their admission
//! tokens, and for `LINE_RECOVERY_SECONDS` receipts restore numbers while newcomers queue
//! behind them.

pub mod checkpoint;
pub mod joins;
pub mod line;
pub mod memory;
pub mod receipt;
pub mod redis;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::admission::{Admission, Admitted, QueuePosition, QueueSummary};
use crate::auth::Jwt;
use crate::clock::{Clock, Millis};
use crate::db::Db;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, UserId};
use crate::inventory::{ChangeCause, Event, Inventory, InventoryChange};
use crate::metrics::Metrics;
use crate::tasks::Supervisor;
use checkpoint::{Checkpoint, Checkpoints};
use joins::Joins;
use line::{At, Claim, Gate, Joiner, Line, LineSettings, Place, Recovery, Tick};
use receipt::Receipts;

/// What the waiting room tells the real-time layer.
#[derive(Clone, Debug)]
pub enum QueueEvent {
    /// One per tick per line: where the line is.
    Progress {
        event_id: EventId,
        serving_number: i64,
        total_waiting: i64,
        admit_rate_per_sec: f64,
        /// The line is being rebuilt after a loss: clients rejoin with their receipts.
        recovering: bool,
    },
    /// For that user's sockets only.
    Admitted {
        event_id: EventId,
        user_id: UserId,
        admission_token: String,
        expires_at: Millis,
    },
}

/// Per-event settings a line needs, cached; forgotten when an administrator changes the
/// event (`forget_settings`, on every instance within a second).
#[derive(Clone, Debug)]
struct EventLineSettings {
    line: Arc<LineSettings>,
    admission_ttl_ms: i64,
}

impl EventLineSettings {
    fn at<'a>(&'a self, event_id: &'a EventId, now: Millis) -> At<'a> {
        At {
            event_id: event_id.as_str(),
            now,
            settings: &self.line,
        }
    }

    /// Admissions per second a waiting user can expect. While people are being let in, the
    /// measured rate (a moving average). When none were lately and every slot is taken, the
    /// line moves only as shoppers finish: assume each finishes within one admission lifetime
    /// (capacity / lifetime per second) rather than promise the configured rate, which a full
    /// event cannot deliver. Otherwise (nobody measured yet, room to admit) the configured rate.
    fn expected_rate(&self, measured: f64, active_shoppers: i64) -> f64 {
        if measured >= 0.01 {
            measured
        } else if active_shoppers >= self.line.capacity {
            let lifetime_s = (self.admission_ttl_ms as f64 / 1000.0).max(1.0);
            (self.line.capacity as f64 / lifetime_s).min(self.line.admit_rate_per_sec)
        } else {
            self.line.admit_rate_per_sec
        }
    }
}

/// What this instance last saw of a line: enough to notice that it was lost, and to rebuild
/// it without reusing a number or admitting past capacity.
#[derive(Clone, Debug, Default)]
struct Known {
    epoch: String,
    next: i64,
    serving: i64,
    active: i64,
    waiting: i64,
    presale: i64,
    recovering: bool,
}

impl Known {
    fn live(&self) -> bool {
        self.waiting > 0 || self.presale > 0 || self.active > 0
    }
}

/// Everything a [`WaitingRoom`] is built from.
pub struct Parts {
    pub line: Arc<dyn Line>,
    pub inventory: Inventory,
    pub db: Db,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// `JWT_SECRET`: admission tokens and receipts are signed under it.
    pub secret: Vec<u8>,
    /// `JWT_ACCEPT_SECRETS`: admission tokens and receipts under these verify too.
    pub accepted_secrets: Vec<Vec<u8>>,
    pub tick_ms: u64,
    /// `LINE_RECOVERY_SECONDS`.
    pub recovery_seconds: u64,
}

/// How long after a loss admission pauses at most, so that people coming back with
/// receipts in any order get their numbers before the line moves on.
const RECOVERY_PAUSE_MS: i64 = 10_000;
/// Checkpoints older than this are not rebuilt from at start-up.
const CHECKPOINT_HORIZON_MS: i64 = 24 * 3600 * 1000;

pub struct WaitingRoom {
    line: Arc<dyn Line>,
    /// Joins of one event that arrive together go to the line in one call.
    joins: Joins,
    inventory: Inventory,
    clock: Clock,
    /// Issues and checks admission tokens: the session codec, under the same secret.
    tokens: Jwt,
    tick_ms: i64,
    feed: broadcast::Sender<Arc<QueueEvent>>,
    settings: RwLock<HashMap<EventId, Arc<EventLineSettings>>>,
    receipts: Receipts,
    checkpoints: Checkpoints,
    metrics: Arc<Metrics>,
    recovery_ms: i64,
    known: Mutex<HashMap<EventId, Known>>,
    /// Last checkpoint written per event: when, and whether the line was live.
    saved: Mutex<HashMap<EventId, (Millis, bool)>>,
    /// One rebuild at a time on this instance.
    rebuilding: tokio::sync::Mutex<()>,
}

impl WaitingRoom {
    pub fn new(p: Parts) -> Self {
        let (feed, _) = broadcast::channel(16 * 1024);
        WaitingRoom {
            joins: Joins::new(p.line.clone(), p.clock.clone()),
            line: p.line,
            inventory: p.inventory,
            clock: p.clock,
            tokens: Jwt::new(&p.secret, 0)
                .and_then(|jwt| jwt.accepting(&p.accepted_secrets))
                .expect("the secrets were checked at start-up"),
            tick_ms: p.tick_ms.max(10) as i64,
            feed,
            settings: RwLock::default(),
            receipts: Receipts::new(&p.secret).accepting(&p.accepted_secrets),
            checkpoints: Checkpoints::new(p.db),
            metrics: p.metrics,
            recovery_ms: p.recovery_seconds as i64 * 1000,
            known: Mutex::default(),
            saved: Mutex::default(),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<QueueEvent>> {
        self.feed.subscribe()
    }

    async fn settings(&self, event_id: &EventId) -> Result<Arc<EventLineSettings>> {
        if let Some(s) = self.settings.read().expect("settings lock").get(event_id) {
            return Ok(s.clone());
        }
        let event = self.inventory.event(event_id).await?;
        let s = Arc::new(self.settings_of(&event));
        let mut cache = self.settings.write().expect("settings lock");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(event_id.clone(), s.clone());
        Ok(s)
    }

    /// Forgets the event's cached line settings: its next operation reads them afresh.
    pub fn forget_settings(&self, event_id: &EventId) {
        self.settings
            .write()
            .expect("settings lock")
            .remove(event_id);
    }

    fn settings_of(&self, event: &Event) -> EventLineSettings {
        EventLineSettings {
            line: Arc::new(LineSettings {
                capacity: event.capacity,
                admit_rate_per_sec: event.admit_rate_per_sec,
                idle_ms: event.idle_timeout_seconds * 1000,
                turn_ms: event.admission_ttl_seconds * 1000,
                sale_opens_at: event.sale_opens_at,
                tick_ms: self.tick_ms,
                gate: Gate::of(event.sales_paused, event.waiting_room),
            }),
            admission_ttl_ms: event.admission_ttl_seconds * 1000,
        }
    }

    /// Signs an admission for `user_id` to shop `event_id` until `expires_at`.
    fn sign(&self, event_id: &EventId, user_id: &UserId, expires_at: Millis) -> Result<String> {
        self.tokens.issue_admission(event_id, user_id, expires_at)
    }

    /// Checks an admission token; returns when the turn it names ends.
    fn verify(&self, token: &str, event_id: &EventId, user_id: &UserId) -> Result<Millis> {
        self.tokens
            .verify_admission(token, event_id, user_id, self.clock.now_ms())
    }

    /// Runs a line operation; if the line turns out to be lost, rebuilds it (or starts it,
    /// when nothing says it existed) and runs the operation once more.
    async fn on_line<'a, T, F, Fut>(
        &'a self,
        event_id: &'a EventId,
        s: &'a EventLineSettings,
        op: F,
    ) -> Result<T>
    where
        F: Fn(At<'a>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        match op(s.at(event_id, self.clock.now_ms())).await {
            Err(Error::LineLost) => {
                self.restore_line(event_id, s).await?;
                op(s.at(event_id, self.clock.now_ms())).await
            }
            other => other,
        }
    }

    fn recovering(&self, event_id: &EventId) -> bool {
        self.known
            .lock()
            .expect("known lock")
            .get(event_id)
            .is_some_and(|k| k.recovering)
    }

    /// The user's answer to a join or a status call.
    fn answer(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        place: Place,
        s: &EventLineSettings,
    ) -> Result<QueuePosition> {
        let now = self.clock.now_ms();
        let mut p = QueuePosition {
            event_id: event_id.clone(),
            position: None,
            total_waiting: 0,
            estimated_wait_time: 0,
            number: None,
            admitted: false,
            admission_token: None,
            turn_ends_at: None,
            receipt: None,
            recovering: self.recovering(event_id),
        };
        match place {
            Place::Admitted {
                turn_ends_at,
                waiting,
            } => {
                // The token lasts as long as the turn: renewing it never lengthens the turn.
                p.total_waiting = waiting;
                p.admitted = true;
                p.admission_token = Some(self.sign(event_id, user_id, turn_ends_at)?);
                p.turn_ends_at = Some(turn_ends_at);
            }
            Place::Waiting {
                number,
                serving,
                waiting,
                rate,
                active,
            } => {
                let position = (number - serving).max(1);
                p.position = Some(position);
                p.total_waiting = waiting;
                p.estimated_wait_time = estimate(position, s.expected_rate(rate, active));
                p.number = Some(number);
                p.receipt = Some(
                    self.receipts
                        .issue(event_id, user_id, Claim::Number(number)),
                );
            }
            Place::Pending { position, waiting } => {
                // No number until the recovery window closes: promise no less than the window
                // (or the idle timeout, if shorter), whatever the rate says.
                let window = self.recovery_ms / 1000;
                p.position = Some(position);
                p.total_waiting = waiting;
                p.estimated_wait_time = estimate(position, s.expected_rate(0.0, s.line.capacity))
                    .max(window.min(s.line.idle_ms / 1000));
                p.recovering = true;
            }
            Place::Presale { waiting } => {
                p.total_waiting = waiting;
                // Until the sale opens nobody has a place: the wait is the time to opening.
                p.estimated_wait_time = ((s.line.sale_opens_at - now).max(0) + 999) / 1000;
                p.receipt = Some(self.receipts.issue(event_id, user_id, Claim::Presale));
            }
            Place::Absent { waiting } => p.total_waiting = waiting,
        }
        Ok(p)
    }

    /// What a receipt sent with a join proves for this user and event ([`Claim::None`] for
    /// none, or one that does not verify).
    pub fn claim_of(&self, event_id: &EventId, user_id: &UserId, receipt: Option<&str>) -> Claim {
        receipt.map_or(Claim::None, |r| self.receipts.read(r, event_id, user_id))
    }

    /// Joins the event's line (or is admitted at once). Joining again keeps the first place;
    /// during a recovery window a receipt's claim gets its number back.
    #[tracing::instrument(skip(self))]
    pub async fn join(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        claim: Claim,
    ) -> Result<QueuePosition> {
        let s = self.settings(event_id).await?;
        let joiner = Joiner {
            user_id: user_id.as_str().to_string(),
            claim,
        };
        // As `on_line`, through the combiner: a lost line is rebuilt, then joined once more.
        let place = match self.joins.join(event_id, &s.line, joiner.clone()).await {
            Err(Error::LineLost) => {
                self.restore_line(event_id, &s).await?;
                self.joins.join(event_id, &s.line, joiner).await?
            }
            other => other?,
        };
        self.metrics.recorded.joined(
            event_id,
            match place {
                Place::Admitted { .. } => "admitted",
                Place::Waiting { .. } => "waiting",
                Place::Presale { .. } => "presale",
                Place::Pending { .. } => "pending",
                Place::Absent { .. } => "absent",
            },
        );
        if let Place::Waiting { number, .. } = place {
            // Numbers given out between ticks count too when a loss must be rebuilt from.
            if let Some(k) = self.known.lock().expect("known lock").get_mut(event_id) {
                k.next = k.next.max(number);
            }
        }
        self.answer(event_id, user_id, place, &s)
    }

    /// Where the user stands; an admitted user gets a fresh token (so an admission lasts
    /// while the shopper is active). A shopper who sends their admission token and was let in
    /// before the line was lost gets their slot back.
    pub async fn status(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        admission_token: Option<&str>,
    ) -> Result<QueuePosition> {
        let s = self.settings(event_id).await?;
        let mut place = self
            .on_line(event_id, &s, |at| self.line.status(at, user_id.as_str()))
            .await?;
        if matches!(place, Place::Admitted { .. }) {
            self.on_line(event_id, &s, |at| self.line.touch(at, user_id.as_str()))
                .await?;
        } else if let Some(turn_ends_at) =
            admission_token.and_then(|t| self.verify(t, event_id, user_id).ok())
        {
            if self
                .on_line(event_id, &s, |at| {
                    self.line.reinstate(at, user_id.as_str(), turn_ends_at)
                })
                .await?
            {
                place = self
                    .on_line(event_id, &s, |at| self.line.status(at, user_id.as_str()))
                    .await?;
            }
        }
        self.answer(event_id, user_id, place, &s)
    }

    pub async fn leave(&self, event_id: &EventId, user_id: &UserId) -> Result<()> {
        let s = self.settings(event_id).await?;
        self.on_line(event_id, &s, |at| self.line.leave(at, user_id.as_str()))
            .await
    }

    /// The line is gone: rebuild it (or start it, when nothing says it existed). One rebuild
    /// at a time; one that finds the line back already does nothing.
    async fn restore_line(&self, event_id: &EventId, s: &EventLineSettings) -> Result<()> {
        let _one = self.rebuilding.lock().await;
        match self.line.summary(s.at(event_id, self.clock.now_ms())).await {
            Err(Error::LineLost) => self.rebuild(event_id, s, "").await,
            other => other.map(|_| ()),
        }
    }

    /// Rebuilds a lost line from what this instance saw and the database checkpoint, or
    /// starts a new line when neither says anyone was in it. `seen_epoch` is the epoch found
    /// lost ("" when none was left).
    async fn rebuild(
        &self,
        event_id: &EventId,
        s: &EventLineSettings,
        seen_epoch: &str,
    ) -> Result<()> {
        let now = self.clock.now_ms();
        let known = self
            .known
            .lock()
            .expect("known lock")
            .get(event_id)
            .cloned();
        let checkpoint = match self.checkpoints.load(event_id).await {
            Ok(c) => c.filter(Checkpoint::live),
            Err(e) => {
                tracing::warn!(%event_id, error = %e, "cannot read the line's checkpoint");
                None
            }
        };
        let mut hw = known.clone().unwrap_or_default();
        if let Some(c) = &checkpoint {
            hw.next = hw.next.max(c.next);
            hw.serving = hw.serving.max(c.serving);
            if known.is_none() {
                // Shoppers let in longer than a turn ago cannot still be shopping.
                hw.active = if now - c.updated_at < s.admission_ttl_ms {
                    c.active
                } else {
                    0
                };
                hw.waiting = c.waiting;
                hw.presale = c.presale;
            }
        }
        let at = s.at(event_id, now);
        if seen_epoch.is_empty() && !hw.live() && checkpoint.is_none() {
            let epoch = self.line.init(at, &new_epoch()).await?;
            let mut all = self.known.lock().expect("known lock");
            all.entry(event_id.clone()).or_default().epoch = epoch;
            return Ok(());
        }
        // Receipts matter only if someone was waiting; reserved slots in any case.
        let window_ms = if hw.waiting > 0 || hw.presale > 0 {
            self.recovery_ms
        } else {
            0
        };
        let recovery = Recovery {
            new_epoch: new_epoch(),
            seen_epoch: seen_epoch.to_string(),
            next: hw.next,
            serving: hw.serving,
            active: hw.active,
            window_ms,
            pause_ms: window_ms.min(RECOVERY_PAUSE_MS),
            reserve_ms: s.line.idle_ms.max(window_ms),
        };
        let epoch = self.line.recover(at, &recovery).await?;
        Metrics::add(&self.metrics.line_losses, 1);
        tracing::error!(
            %event_id,
            highest_number = hw.next,
            serving_number = hw.serving,
            active_shoppers = hw.active,
            waiting = hw.waiting,
            recovery_seconds = window_ms / 1000,
            "the waiting line's state was lost (Redis restarted or failed over without \
             persistence, or this process restarted); rebuilt it: receipts restore places \
             during the recovery window and shoppers' slots stay reserved"
        );
        let mut all = self.known.lock().expect("known lock");
        let k = all.entry(event_id.clone()).or_default();
        *k = Known {
            epoch,
            recovering: window_ms > 0,
            ..hw
        };
        Ok(())
    }

    /// Compares a tick's view of the line with what this instance saw before: a changed epoch
    /// means the line was rebuilt (by another instance, or started afresh by one that knew
    /// nothing of it); numbers going back mean a failover dropped writes.
    ///
    /// `next_before` is the highest number this instance knew of before the tick was sent.
    /// Only those numbers must be in the tick's view: a join answered after that may have
    /// run after the tick, and its number is no sign of a loss (under a flood of joins it
    /// nearly always is one, and taking it for a loss paused admission for a recovery).
    async fn observe(
        &self,
        event_id: &EventId,
        s: &EventLineSettings,
        t: &Tick,
        next_before: Option<i64>,
    ) -> Result<()> {
        let before = self
            .known
            .lock()
            .expect("known lock")
            .get(event_id)
            .cloned();
        if let Some(k) = &before {
            let replaced = !k.epoch.is_empty() && k.epoch != t.epoch;
            let went_back = next_before.is_some_and(|n| t.next < n);
            if (replaced && !t.recovering && k.live()) || (!replaced && went_back) {
                let _one = self.rebuilding.lock().await;
                return self.rebuild(event_id, s, &t.epoch).await;
            }
            if replaced && t.recovering && !k.recovering {
                Metrics::add(&self.metrics.line_losses, 1);
                tracing::error!(
                    %event_id,
                    "the waiting line's state was lost; another instance rebuilt it and \
                     receipts restore places during the recovery window"
                );
            }
        }
        let mut all = self.known.lock().expect("known lock");
        let empty = t.waiting == 0 && t.presale == 0 && t.active_shoppers == 0 && !t.recovering;
        if empty {
            all.remove(event_id);
            return Ok(());
        }
        let k = all.entry(event_id.clone()).or_default();
        k.epoch = t.epoch.clone();
        k.next = k.next.max(t.next);
        k.serving = k.serving.max(t.serving);
        k.active = t.active_shoppers;
        k.waiting = t.waiting;
        k.presale = t.presale;
        k.recovering = t.recovering;
        Ok(())
    }

    /// Writes the line's checkpoint about once a second while it is live, and once more when
    /// it empties.
    async fn checkpoint(&self, event_id: &EventId, t: &Tick, now: Millis) {
        let live = t.waiting > 0 || t.presale > 0 || t.active_shoppers > 0;
        let due = {
            let mut saved = self.saved.lock().expect("saved lock");
            let due = match saved.get(event_id) {
                None => live,
                Some((at, was_live)) => (live && now - at >= 1000) || (*was_live && !live),
            };
            if due && live {
                saved.insert(event_id.clone(), (now, true));
            } else if due {
                saved.remove(event_id);
            }
            due
        };
        if !due {
            return;
        }
        let c = Checkpoint {
            event_id: event_id.clone(),
            next: t.next,
            serving: t.serving,
            active: t.active_shoppers,
            waiting: t.waiting,
            presale: t.presale,
            updated_at: now,
        };
        if let Err(e) = self.checkpoints.save(&c).await {
            tracing::warn!(%event_id, error = %e, "cannot write the line's checkpoint");
        }
    }

    /// Every live line as this instance's last tick saw it: event -> (people waiting,
    /// numbered or pre-sale; active shoppers). Memory only, for `GET /metrics`.
    pub fn line_figures(&self) -> HashMap<EventId, (i64, i64)> {
        self.known
            .lock()
            .expect("known lock")
            .iter()
            .map(|(id, k)| (id.clone(), (k.waiting + k.presale, k.active)))
            .collect()
    }

    /// Ticks every line once; returns how many users were admitted. Lines this instance saw
    /// live are ticked even when the store no longer lists them: that is how a loss is seen.
    pub async fn tick_all(&self) -> Result<usize> {
        // The line's store lists plain ids; only ids the waiting room put there are in it.
        let mut ids: Vec<EventId> = (self.line.lines().await?)
            .into_iter()
            .map(EventId::from_store)
            .collect();
        let listed: HashSet<EventId> = ids.iter().cloned().collect();
        ids.extend(
            self.known
                .lock()
                .expect("known lock")
                .keys()
                .filter(|id| !listed.contains(*id))
                .cloned(),
        );
        let mut admitted = 0;
        for event_id in ids {
            let s = match self.settings(&event_id).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(%event_id, error = %e, "cannot tick line");
                    continue;
                }
            };
            admitted += self.tick_one(&event_id, &s).await?;
        }
        Ok(admitted)
    }

    async fn tick_one(&self, event_id: &EventId, s: &EventLineSettings) -> Result<usize> {
        let now = self.clock.now_ms();
        let next_before = self
            .known
            .lock()
            .expect("known lock")
            .get(event_id)
            .map(|k| k.next);
        let tick = match self.line.tick(s.at(event_id, now)).await {
            Err(Error::LineLost) => {
                self.restore_line(event_id, s).await?;
                return Ok(0);
            }
            other => other?,
        };
        self.observe(event_id, s, &tick, next_before).await?;
        if tick.skipped {
            return Ok(0);
        }
        self.metrics
            .recorded
            .admitted(event_id, tick.admitted.len() as u64);
        for user_id in &tick.admitted {
            let user_id = UserId::from_store(user_id.clone());
            let expires_at = now + s.admission_ttl_ms;
            let token = self.sign(event_id, &user_id, expires_at)?;
            let _ = self.feed.send(Arc::new(QueueEvent::Admitted {
                event_id: event_id.clone(),
                user_id,
                admission_token: token,
                expires_at,
            }));
        }
        let _ = self.feed.send(Arc::new(QueueEvent::Progress {
            event_id: event_id.clone(),
            serving_number: tick.serving,
            // Everyone in line, including those who came before the sale opened.
            total_waiting: tick.waiting + tick.presale,
            admit_rate_per_sec: s.expected_rate(tick.rate, tick.active_shoppers),
            recovering: tick.recovering,
        }));
        self.checkpoint(event_id, &tick, now).await;
        Ok(tick.admitted.len())
    }

    /// At start-up: lines the database says were live are checked, and rebuilt if their
    /// state is gone (in embedded mode it always is after a restart).
    pub async fn recover_on_start(&self) -> Result<usize> {
        let since = self.clock.now_ms() - CHECKPOINT_HORIZON_MS;
        let mut checked = 0;
        for c in self.checkpoints.live_since(since).await? {
            let Ok(s) = self.settings(&c.event_id).await else {
                continue;
            };
            self.on_line(&c.event_id, &s, |at| self.line.summary(at))
                .await?;
            // The line is there, but it may be older than the checkpoint (every instance
            // restarted, Redis restored from an old snapshot): the first tick compares.
            let mut known = self.known.lock().expect("known lock");
            known.entry(c.event_id.clone()).or_insert_with(|| Known {
                next: c.next,
                serving: c.serving,
                active: c.active,
                waiting: c.waiting,
                presale: c.presale,
                ..Known::default()
            });
            checked += 1;
        }
        Ok(checked)
    }

    /// What a change to a shopper's reservations means for their turn, besides paying.
    /// Paying ends it, but the payment says so itself before it answers
    /// ([`Admission::turn_over`]): were it said here, from the feed, a join sent right after
    /// the payment could be admitted first and then have its new turn ended by the old
    /// payment. Cancelling a pending hold is a change of mind, not the end: the shopper keeps
    /// the turn to pick again, and it counts as activity. A hold that lapses keeps the turn
    /// too (the idle timer and the turn's end still apply), and a refund of an order paid
    /// earlier changes nothing in the line.
    pub async fn on_inventory_change(&self, change: &InventoryChange) -> Result<()> {
        match change.cause {
            ChangeCause::Cancelled => {}
            ChangeCause::Paid
            | ChangeCause::Held
            | ChangeCause::Expired
            | ChangeCause::Refunded => return Ok(()),
        }
        let s = self.settings(&change.event_id).await?;
        let (event_id, user_id) = (&change.event_id, &change.user_id);
        self.on_line(event_id, &s, |at| self.line.touch(at, user_id.as_str()))
            .await
            .map(|_| ())
    }

    /// Registers the waiting room's background work: a one-off check of the lines the
    /// database says were live, the ticker (unless `ticker` is false: tests tick by hand),
    /// and the task that counts a cancelled hold as its shopper's activity (the feed's
    /// cancellations; a payment ends its turn itself).
    pub fn supervise(self: &Arc<Self>, tasks: &mut Supervisor, ticker: bool) {
        let room = self.clone();
        tasks.once("line check at start-up", async move {
            if let Err(e) = room.recover_on_start().await {
                tracing::warn!(error = %e, "could not check the lines left from before start-up");
            }
        });
        if ticker {
            let room = self.clone();
            let every = Duration::from_millis(room.tick_ms as u64);
            tasks.every("waiting-room ticker", every, move || {
                let room = room.clone();
                async move {
                    if let Err(e) = room.tick_all().await {
                        tracing::warn!(error = %e, "waiting-room tick failed; will retry");
                    }
                }
            });
        }
        let room = self.clone();
        tasks.keep("line settings changes", move |token| {
            let room = room.clone();
            let mut changes = room.inventory.settings_changes();
            async move {
                loop {
                    let next = tokio::select! {
                        biased;
                        _ = token.cancelled() => return,
                        next = changes.recv() => next,
                    };
                    match next {
                        Ok(event_id) => room.forget_settings(&event_id),
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            room.settings.write().expect("settings lock").clear();
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            }
        });
        let room = self.clone();
        tasks.keep("cancellations as activity", move |token| {
            let room = room.clone();
            let mut changes = room.inventory.feed().subscribe();
            async move {
                loop {
                    let next = tokio::select! {
                        biased;
                        _ = token.cancelled() => return,
                        next = changes.recv() => next,
                    };
                    match next {
                        Ok(c) => {
                            if let Err(e) = room.on_inventory_change(&c).await {
                                tracing::warn!(error = %e, "could not count a cancelled hold as its shopper's activity");
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::error!(missed = n, "waiting room missed inventory changes; idle timeouts will free those slots");
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            }
        });
    }
}

/// A fresh, unguessable line epoch.
fn new_epoch() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Seconds until a user at `position` is let in at `rate` admissions per second (see
/// `EventLineSettings::expected_rate`), capped at a week.
pub fn estimate(position: i64, rate: f64) -> i64 {
    ((position as f64 / rate.max(0.001)).ceil() as i64).clamp(0, 7 * 24 * 3600)
}

/// What may be read of the line by a consumer that must change nothing (the real-time
/// layer): a user's place. It has no way to joins, leaves, ticks or admissions.
#[derive(Clone)]
pub struct QueueView(Arc<WaitingRoom>);

impl QueueView {
    /// As [`WaitingRoom::position`].
    pub async fn position(&self, event_id: &EventId, user_id: &UserId) -> Result<QueuePosition> {
        self.0.position(event_id, user_id).await
    }
}

impl WaitingRoom {
    /// A read-only view of the line ([`QueueView`]).
    pub fn view(self: &Arc<Self>) -> QueueView {
        QueueView(self.clone())
    }

    /// The event's line, for event pages.
    pub async fn summary(&self, event: &Event) -> Result<QueueSummary> {
        let s = self.settings_of(event);
        let sum = self
            .on_line(&event.id, &s, |at| self.line.summary(at))
            .await?;
        Ok(QueueSummary {
            active: sum.waiting > 0 || sum.presale > 0 || sum.active_shoppers >= event.capacity,
            capacity: event.capacity,
            active_shoppers: sum.active_shoppers,
            total_waiting: sum.waiting + sum.presale,
            admit_rate_per_sec: event.admit_rate_per_sec,
            serving_number: sum.serving,
            measured_admit_rate: sum.rate,
            admission_ttl_seconds: event.admission_ttl_seconds,
            idle_timeout_seconds: event.idle_timeout_seconds,
        })
    }

    /// The user's place in the event's line, without an admission token (it may be pushed
    /// over a socket, possibly to a room): what `queue:position` shows.
    pub async fn position(&self, event_id: &EventId, user_id: &UserId) -> Result<QueuePosition> {
        let s = self.settings(event_id).await?;
        let place = self
            .on_line(event_id, &s, |at| self.line.status(at, user_id.as_str()))
            .await?;
        let mut p = self.answer(event_id, user_id, place, &s)?;
        p.admission_token = None;
        Ok(p)
    }
}

#[async_trait]
impl Admission for WaitingRoom {
    async fn check(
        &self,
        event_id: &EventId,
        user_id: &UserId,
        token: Option<&str>,
    ) -> Result<Admitted> {
        let s = self.settings(event_id).await?;
        let token = token.ok_or_else(|| {
            Error::forbidden(
                ErrorCode::NotAdmitted,
                "join the waiting room first: no X-Admission-Token was sent",
            )
        })?;
        let turn_ends_at = self.verify(token, event_id, user_id)?;
        if self
            .on_line(event_id, &s, |at| self.line.touch(at, user_id.as_str()))
            .await?
        {
            return Ok(Admitted::grant(event_id, user_id));
        }
        // Let in before the line was lost? Then the token brings the slot back.
        if self
            .on_line(event_id, &s, |at| {
                self.line.reinstate(at, user_id.as_str(), turn_ends_at)
            })
            .await?
        {
            return Ok(Admitted::grant(event_id, user_id));
        }
        Err(Error::forbidden(
            ErrorCode::NotAdmitted,
            "your admission has ended (finished, left or idle); join the waiting room again",
        ))
    }

    async fn turn_over(&self, event_id: &EventId, user_id: &UserId) -> Result<()> {
        let s = self.settings(event_id).await?;
        self.on_line(event_id, &s, |at| self.line.release(at, user_id.as_str()))
            .await
    }

    /// Known when its line settings are cached: [`Admission::check`] reads them first, so
    /// every event a hold reached past that point is in the cache.
    fn is_known_event(&self, event_id: &EventId) -> bool {
        self.settings
            .read()
            .expect("settings lock")
            .contains_key(event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::{estimate, EventLineSettings, LineSettings};

    fn settings(capacity: i64) -> EventLineSettings {
        EventLineSettings {
            line: std::sync::Arc::new(LineSettings {
                capacity,
                admit_rate_per_sec: 10.0,
                idle_ms: 120_000,
                turn_ms: 600_000,
                sale_opens_at: 0,
                tick_ms: 200,
                gate: super::Gate::Auto,
            }),
            admission_ttl_ms: 600_000,
        }
    }

    #[test]
    fn estimate_uses_measured_rate() {
        let s = settings(1000);
        assert_eq!(estimate(100, s.expected_rate(2.0, 1000)), 50);
        assert_eq!(estimate(1, s.expected_rate(0.5, 10)), 2);
    }

    #[test]
    fn before_any_admission_with_room_the_configured_rate() {
        assert_eq!(estimate(100, settings(1000).expected_rate(0.0, 10)), 10);
    }

    #[test]
    fn a_full_event_with_no_recent_admission_is_not_promised_the_configured_rate() {
        // Capacity 1, its shopper has ten minutes: the next in line waits up to that long,
        // not the tenth of a second the configured 10/s would claim.
        assert_eq!(estimate(1, settings(1).expected_rate(0.0, 1)), 600);
        // Capacity 1000 over ten minutes: about 1.67 slots free up per second.
        assert_eq!(estimate(100, settings(1000).expected_rate(0.0, 1000)), 60);
    }
}
