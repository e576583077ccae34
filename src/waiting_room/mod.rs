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
//! Shopping calls pass through [`Admission::check`]: a valid token for this event and this
//! user, whose slot is still theirs. Slots come back when the shopper pays, cancels,
//! leaves, or idles past the event's timeout.

pub mod line;
pub mod memory;
pub mod redis;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::admission::{Admission, QueuePosition, QueueSummary};
use crate::clock::{Clock, Millis};
use crate::error::{Error, Result};
use crate::inventory::{ChangeCause, Event, Inventory, InventoryChange};
use line::{At, Line, LineSettings, Place};

/// What the waiting room tells the real-time layer.
#[derive(Clone, Debug)]
pub enum QueueEvent {
    /// One per tick per line: where the line is.
    Progress {
        event_id: String,
        serving_number: i64,
        total_waiting: i64,
        admit_rate_per_sec: f64,
    },
    /// For that user's sockets only.
    Admitted {
        event_id: String,
        user_id: String,
        admission_token: String,
        expires_at: Millis,
    },
}

#[derive(Serialize, Deserialize)]
struct AdmissionClaims {
    sub: String,
    evt: String,
    exp: u64,
    typ: String,
}

const ADMISSION_TYP: &str = "admission";

/// Per-event settings a line needs (immutable after the event is created), cached.
#[derive(Clone, Debug)]
struct EventLineSettings {
    line: LineSettings,
    admission_ttl_ms: i64,
}

impl EventLineSettings {
    fn at<'a>(&'a self, event_id: &'a str, now: Millis) -> At<'a> {
        At {
            event_id,
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

pub struct WaitingRoom {
    line: Arc<dyn Line>,
    inventory: Inventory,
    clock: Clock,
    encoding: EncodingKey,
    decoding: DecodingKey,
    tick_ms: i64,
    feed: broadcast::Sender<Arc<QueueEvent>>,
    settings: RwLock<HashMap<String, Arc<EventLineSettings>>>,
}

impl WaitingRoom {
    pub fn new(
        line: Arc<dyn Line>,
        inventory: Inventory,
        clock: Clock,
        secret: &[u8],
        tick_ms: u64,
    ) -> Self {
        let (feed, _) = broadcast::channel(16 * 1024);
        WaitingRoom {
            line,
            inventory,
            clock,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            tick_ms: tick_ms.max(10) as i64,
            feed,
            settings: RwLock::default(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<QueueEvent>> {
        self.feed.subscribe()
    }

    async fn settings(&self, event_id: &str) -> Result<Arc<EventLineSettings>> {
        if let Some(s) = self.settings.read().expect("settings lock").get(event_id) {
            return Ok(s.clone());
        }
        let event = self.inventory.event(event_id).await?;
        let s = Arc::new(self.settings_of(&event));
        let mut cache = self.settings.write().expect("settings lock");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(event_id.to_string(), s.clone());
        Ok(s)
    }

    fn settings_of(&self, event: &Event) -> EventLineSettings {
        EventLineSettings {
            line: LineSettings {
                capacity: event.capacity,
                admit_rate_per_sec: event.admit_rate_per_sec,
                idle_ms: event.idle_timeout_seconds * 1000,
                turn_ms: event.admission_ttl_seconds * 1000,
                sale_opens_at: event.sale_opens_at,
                tick_ms: self.tick_ms,
            },
            admission_ttl_ms: event.admission_ttl_seconds * 1000,
        }
    }

    /// Signs an admission for `user_id` to shop `event_id` until `expires_at`.
    fn sign(&self, event_id: &str, user_id: &str, expires_at: Millis) -> Result<String> {
        encode(
            &Header::new(Algorithm::HS256),
            &AdmissionClaims {
                sub: user_id.to_string(),
                evt: event_id.to_string(),
                exp: (expires_at / 1000) as u64,
                typ: ADMISSION_TYP.to_string(),
            },
            &self.encoding,
        )
        .map_err(|e| anyhow::anyhow!("cannot sign admission: {e}").into())
    }

    fn verify(&self, token: &str, event_id: &str, user_id: &str) -> Result<()> {
        let mut v = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the domain's clock, like every other deadline.
        v.validate_exp = false;
        v.set_required_spec_claims(&["exp"]);
        let refused = |why: &str| {
            Error::forbidden(
                "not_admitted",
                format!("no valid admission for this event: {why}"),
            )
        };
        let claims = decode::<AdmissionClaims>(token, &self.decoding, &v)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => refused("it has expired"),
                _ => refused("the admission token is not valid"),
            })?
            .claims;
        if (claims.exp as i64) * 1000 <= self.clock.now_ms() {
            return Err(refused("it has expired"));
        }
        if claims.typ != ADMISSION_TYP {
            return Err(refused("not an admission token"));
        }
        if claims.evt != event_id {
            return Err(refused("it is for another event"));
        }
        if claims.sub != user_id {
            return Err(refused("it was issued to someone else"));
        }
        Ok(())
    }

    /// The user's answer to a join or a status call.
    async fn answer(
        &self,
        event_id: &str,
        user_id: &str,
        place: Place,
        s: &EventLineSettings,
    ) -> Result<QueuePosition> {
        let now = self.clock.now_ms();
        Ok(match place {
            Place::Admitted { turn_ends_at } => {
                // The token lasts as long as the turn: renewing it never lengthens the turn.
                let expires_at = turn_ends_at;
                QueuePosition {
                    event_id: event_id.to_string(),
                    position: None,
                    total_waiting: self.line.summary(s.at(event_id, now)).await?.waiting,
                    estimated_wait_time: 0,
                    number: None,
                    admitted: true,
                    admission_token: Some(self.sign(event_id, user_id, expires_at)?),
                    turn_ends_at: Some(expires_at),
                }
            }
            Place::Waiting {
                number,
                serving,
                waiting,
                rate,
                active,
            } => {
                let position = (number - serving).max(1);
                QueuePosition {
                    event_id: event_id.to_string(),
                    position: Some(position),
                    total_waiting: waiting,
                    estimated_wait_time: estimate(position, s.expected_rate(rate, active)),
                    number: Some(number),
                    admitted: false,
                    admission_token: None,
                    turn_ends_at: None,
                }
            }
            Place::Presale { waiting } => QueuePosition {
                event_id: event_id.to_string(),
                position: None,
                total_waiting: waiting,
                // Until the sale opens nobody has a place: the wait is the time to opening.
                estimated_wait_time: ((s.line.sale_opens_at - now).max(0) + 999) / 1000,
                number: None,
                admitted: false,
                admission_token: None,
                turn_ends_at: None,
            },
            Place::Absent { waiting } => QueuePosition {
                event_id: event_id.to_string(),
                position: None,
                total_waiting: waiting,
                estimated_wait_time: 0,
                number: None,
                admitted: false,
                admission_token: None,
                turn_ends_at: None,
            },
        })
    }

    /// Joins the event's line (or is admitted at once). Joining again keeps the first place.
    #[tracing::instrument(skip(self))]
    pub async fn join(&self, event_id: &str, user_id: &str) -> Result<QueuePosition> {
        let s = self.settings(event_id).await?;
        let place = self
            .line
            .join(s.at(event_id, self.clock.now_ms()), user_id)
            .await?;
        self.answer(event_id, user_id, place, &s).await
    }

    /// Where the user stands; an admitted user gets a fresh token (so an admission lasts
    /// while the shopper is active).
    pub async fn status(&self, event_id: &str, user_id: &str) -> Result<QueuePosition> {
        let s = self.settings(event_id).await?;
        let now = self.clock.now_ms();
        let place = self.line.status(s.at(event_id, now), user_id).await?;
        if matches!(place, Place::Admitted { .. }) {
            self.line.touch(s.at(event_id, now), user_id).await?;
        }
        self.answer(event_id, user_id, place, &s).await
    }

    pub async fn leave(&self, event_id: &str, user_id: &str) -> Result<()> {
        let s = self.settings(event_id).await?;
        self.line
            .leave(s.at(event_id, self.clock.now_ms()), user_id)
            .await
    }

    /// Ticks every line once; returns how many users were admitted.
    pub async fn tick_all(&self) -> Result<usize> {
        let mut admitted = 0;
        for event_id in self.line.lines().await? {
            let s = match self.settings(&event_id).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(%event_id, error = %e, "cannot tick line");
                    continue;
                }
            };
            let now = self.clock.now_ms();
            let tick = self.line.tick(s.at(&event_id, now)).await?;
            if tick.skipped {
                continue;
            }
            for user_id in &tick.admitted {
                let expires_at = now + s.admission_ttl_ms;
                let token = self.sign(&event_id, user_id, expires_at)?;
                let _ = self.feed.send(Arc::new(QueueEvent::Admitted {
                    event_id: event_id.clone(),
                    user_id: user_id.clone(),
                    admission_token: token,
                    expires_at,
                }));
            }
            admitted += tick.admitted.len();
            let _ = self.feed.send(Arc::new(QueueEvent::Progress {
                event_id: event_id.clone(),
                serving_number: tick.serving,
                // Everyone in line, including those who came before the sale opened.
                total_waiting: tick.waiting + tick.presale,
                admit_rate_per_sec: s.expected_rate(tick.rate, tick.active_shoppers),
            }));
        }
        Ok(admitted)
    }

    /// What a change to a shopper's reservations means for their turn. Paying ends it: the
    /// slot goes to the next in line. Cancelling a pending hold is a change of mind, not the
    /// end: the shopper keeps the turn to pick again, and it counts as activity. A hold that
    /// lapses keeps the turn too (the idle timer and the turn's end still apply), and a
    /// refund of an order paid earlier changes nothing in the line.
    pub async fn on_inventory_change(&self, change: &InventoryChange) -> Result<()> {
        let ends_turn = match change.cause {
            ChangeCause::Paid => true,
            ChangeCause::Cancelled => false,
            ChangeCause::Held | ChangeCause::Expired | ChangeCause::Refunded => return Ok(()),
        };
        let s = self.settings(&change.event_id).await?;
        let at = s.at(&change.event_id, self.clock.now_ms());
        if ends_turn {
            self.line.release(at, &change.user_id).await
        } else {
            self.line.touch(at, &change.user_id).await.map(|_| ())
        }
    }

    /// Starts the ticker (unless `ticker` is false: tests tick by hand) and the slot-release
    /// listener; both stop when aborted.
    pub fn spawn(self: &Arc<Self>, ticker: bool) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        if ticker {
            let room = self.clone();
            tasks.push(tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(room.tick_ms as u64));
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    if let Err(e) = room.tick_all().await {
                        tracing::warn!(error = %e, "waiting-room tick failed; will retry");
                    }
                }
            }));
        }
        let releaser = {
            let room = self.clone();
            let mut changes = room.inventory.feed().subscribe();
            tokio::spawn(async move {
                loop {
                    match changes.recv().await {
                        Ok(c) => {
                            if let Err(e) = room.on_inventory_change(&c).await {
                                tracing::warn!(error = %e, "could not release a shopper's slot");
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::error!(missed = n, "waiting room missed inventory changes; idle timeouts will free those slots");
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            })
        };
        tasks.push(releaser);
        tasks
    }
}

/// Seconds until a user at `position` is let in at `rate` admissions per second (see
/// `EventLineSettings::expected_rate`), capped at a week.
pub fn estimate(position: i64, rate: f64) -> i64 {
    ((position as f64 / rate.max(0.001)).ceil() as i64).clamp(0, 7 * 24 * 3600)
}

#[async_trait]
impl Admission for WaitingRoom {
    async fn check(&self, event_id: &str, user_id: &str, token: Option<&str>) -> Result<()> {
        let s = self.settings(event_id).await?;
        let token = token.ok_or_else(|| {
            Error::forbidden(
                "not_admitted",
                "join the waiting room first: no X-Admission-Token was sent",
            )
        })?;
        self.verify(token, event_id, user_id)?;
        if !self
            .line
            .touch(s.at(event_id, self.clock.now_ms()), user_id)
            .await?
        {
            return Err(Error::forbidden(
                "not_admitted",
                "your admission has ended (finished, left or idle); join the waiting room again",
            ));
        }
        Ok(())
    }

    async fn summary(&self, event: &Event) -> Result<QueueSummary> {
        let s = self.settings_of(event);
        let sum = self
            .line
            .summary(s.at(&event.id, self.clock.now_ms()))
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

    async fn position(&self, event_id: &str, user_id: &str) -> Result<QueuePosition> {
        let s = self.settings(event_id).await?;
        let place = self
            .line
            .status(s.at(event_id, self.clock.now_ms()), user_id)
            .await?;
        let mut p = self.answer(event_id, user_id, place, &s).await?;
        // Pushed over a socket, possibly to a room: never carry a token there.
        p.admission_token = None;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::{estimate, EventLineSettings, LineSettings};

    fn settings(capacity: i64) -> EventLineSettings {
        EventLineSettings {
            line: LineSettings {
                capacity,
                admit_rate_per_sec: 10.0,
                idle_ms: 120_000,
                turn_ms: 600_000,
                sale_opens_at: 0,
                tick_ms: 200,
            },
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
