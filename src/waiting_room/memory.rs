//! The line in process memory, for the single-instance (embedded) mode. Same rules as
//! `line.lua`, statement for statement.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use rand::seq::SliceRandom;

use super::line::{
    At, Claim, Gate, Joiner, Line, LineSettings, LineSummary, Place, Recovery, Tick, OFF_PER_TICK,
};
use crate::clock::Millis;
use crate::error::Error;
use crate::error::Result;

#[derive(Default)]
struct EventLine {
    /// Marks the line as known (see `line.lua`); `None` until `init` or `recover`.
    epoch: Option<String>,
    next: i64,
    serving: i64,
    waiting: i64,
    tokens: f64,
    last_tick: Millis,
    ewma: f64,
    u2n: HashMap<String, i64>,
    n2u: HashMap<i64, String>,
    active: HashMap<String, Millis>,
    /// When each admitted shopper's turn ends.
    ends: HashMap<String, Millis>,
    /// Nothing lapses before this (see `expire_idle`); 0 means "scan on the next call".
    next_expiry: Millis,
    pre: HashSet<String>,
    /// Restored users whose numbers the line passed while they were away: number -> user.
    late: BTreeMap<i64, String>,
    /// Joined during a recovery window: arrival -> user, and user -> arrival.
    fresh: BTreeMap<i64, String>,
    fresh_of: HashMap<String, i64>,
    fseq: i64,
    /// Recovery window (0: none), admission pause, lowest restorable number, reserved slots.
    rec_until: Millis,
    pause_until: Millis,
    floor: i64,
    reserved: i64,
    reserved_until: Millis,
}

impl EventLine {
    /// Shoppers idle past the timeout, or whose turn has run out, lose their slot.
    ///
    /// Runs on every call, so it scans only when something can have lapsed: `next_expiry` is
    /// a lower bound of every shopper's deadline (activity only moves deadlines later).
    fn expire_idle(&mut self, now: Millis, s: &LineSettings) {
        if now < self.next_expiry {
            return;
        }
        let idle_since = now - s.idle_ms;
        let ends = &self.ends;
        self.active
            .retain(|u, last| *last >= idle_since && ends.get(u).is_some_and(|end| *end > now));
        let active = &self.active;
        self.ends.retain(|u, _| active.contains_key(u));
        self.next_expiry = self
            .active
            .iter()
            .map(|(u, last)| Self::deadline(*last, self.ends[u], s))
            .min()
            .unwrap_or(Millis::MAX);
    }

    /// The first moment a shopper active at `last` whose turn ends at `end` has lapsed.
    fn deadline(last: Millis, end: Millis, s: &LineSettings) -> Millis {
        (last + s.idle_ms + 1).min(end)
    }

    fn admit(&mut self, user: &str, now: Millis, s: &LineSettings) {
        self.active.insert(user.to_string(), now);
        self.ends.insert(user.to_string(), now + s.turn_ms);
        self.next_expiry = self
            .next_expiry
            .min(Self::deadline(now, now + s.turn_ms, s));
    }

    fn open_sale(&mut self, now: Millis, s: &LineSettings) {
        if now < s.sale_opens_at || self.pre.is_empty() {
            return;
        }
        let mut early: Vec<String> = self.pre.drain().collect();
        early.shuffle(&mut rand::thread_rng());
        for u in early {
            if self.u2n.contains_key(&u) || self.active.contains_key(&u) {
                continue;
            }
            self.next += 1;
            self.u2n.insert(u.clone(), self.next);
            self.n2u.insert(self.next, u);
            self.waiting += 1;
        }
    }

    fn reserved(&self, now: Millis) -> i64 {
        if self.reserved_until > now {
            self.reserved
        } else {
            0
        }
    }

    fn occupied(&self, now: Millis) -> i64 {
        self.active.len() as i64 + self.reserved(now)
    }

    fn total_waiting(&self) -> i64 {
        self.waiting + self.fresh.len() as i64
    }

    fn add_fresh(&mut self, user: &str) {
        self.fseq += 1;
        self.fresh.insert(self.fseq, user.to_string());
        self.fresh_of.insert(user.to_string(), self.fseq);
    }

    fn remove_fresh(&mut self, user: &str) {
        if let Some(seq) = self.fresh_of.remove(user) {
            self.fresh.remove(&seq);
        }
    }

    /// Takes a waiting user out of the numbered line (and the late list).
    fn unnumber(&mut self, user: &str) {
        if let Some(n) = self.u2n.remove(user) {
            self.n2u.remove(&n);
            self.late.remove(&n);
            self.waiting -= 1;
        }
    }

    /// Takes a user out of the line, wherever they wait (numbered, late, newcomer, pre-sale).
    fn out_of_line(&mut self, user: &str) {
        self.unnumber(user);
        self.remove_fresh(user);
        self.pre.remove(user);
    }

    fn number(&mut self, user: &str, n: i64) {
        self.u2n.insert(user.to_string(), n);
        self.n2u.insert(n, user.to_string());
        self.waiting += 1;
    }

    /// When a recovery window closes, those who joined during it are numbered in arrival
    /// order, after every number restored from a receipt.
    fn close_recovery(&mut self, now: Millis) {
        if self.rec_until == 0 || self.rec_until > now {
            return;
        }
        let newcomers = std::mem::take(&mut self.fresh);
        self.fresh_of.clear();
        for (_, u) in newcomers {
            if self.u2n.contains_key(&u) || self.active.contains_key(&u) {
                continue;
            }
            self.next += 1;
            self.number(&u, self.next);
        }
        self.rec_until = 0;
        self.pause_until = 0;
        self.floor = 0;
        self.fseq = 0;
    }

    fn recover(&mut self, now: Millis, r: &Recovery) -> String {
        match &self.epoch {
            Some(e) if *e != r.seen_epoch => {}
            _ => self.epoch = Some(r.new_epoch.clone()),
        }
        if r.serving > self.serving {
            // Numbers up to r.serving were let in before the loss: anyone holding one in what
            // is left was numbered since, by someone who knew nothing, and is a newcomer.
            let stale: Vec<String> = self
                .n2u
                .iter()
                .filter(|(n, _)| **n > self.serving && **n <= r.serving)
                .map(|(_, u)| u.clone())
                .collect();
            for u in stale {
                self.unnumber(&u);
                self.add_fresh(&u);
            }
            self.serving = r.serving;
        }
        self.next = self.next.max(r.next);
        let missing = (r.active - self.active.len() as i64).max(0);
        if self.rec_until > now {
            self.reserved = self.reserved(now).max(missing);
            self.floor = self.floor.max(r.serving);
        } else {
            self.rec_until = now + r.window_ms;
            self.pause_until = now + r.pause_ms;
            self.floor = self.serving.max(r.serving);
            self.reserved = missing;
            self.reserved_until = now + r.reserve_ms;
        }
        self.epoch.clone().unwrap_or_default()
    }

    /// One join (`line.lua`'s `join`).
    fn join(&mut self, user_id: &str, claim: Claim, now: Millis, s: &LineSettings) -> Place {
        match self.place(user_id, now) {
            p @ (Place::Waiting { .. } | Place::Presale { .. } | Place::Pending { .. }) => {
                return p
            }
            p @ Place::Admitted { .. } => {
                self.active.insert(user_id.to_string(), now);
                return p;
            }
            Place::Absent { .. } => {}
        }
        if self.rec_until > now && now >= s.sale_opens_at {
            match claim {
                Claim::Number(n) if n > self.floor && !self.n2u.contains_key(&n) => {
                    // Their number back. If the line has passed it meanwhile, they go first.
                    self.number(user_id, n);
                    self.next = self.next.max(n);
                    if n <= self.serving {
                        self.late.insert(n, user_id.to_string());
                    }
                }
                _ => self.add_fresh(user_id),
            }
            return self.place(user_id, now);
        }
        if now < s.sale_opens_at {
            self.pre.insert(user_id.to_string());
            return self.place(user_id, now);
        }
        // The surge switch: straight in while there is room and nobody waits (or always, with
        // the waiting room off; never while paused or with the waiting room on).
        if s.gate
            .admits_at_once(self.waiting == 0, self.occupied(now) < s.capacity)
        {
            self.admit(user_id, now, s);
            return self.place(user_id, now);
        }
        self.next += 1;
        let n = self.next;
        self.number(user_id, n);
        self.place(user_id, now)
    }

    fn place(&self, user: &str, now: Millis) -> Place {
        if let Some(n) = self.u2n.get(user) {
            return Place::Waiting {
                number: *n,
                serving: self.serving,
                waiting: self.total_waiting(),
                rate: self.ewma,
                active: self.occupied(now),
            };
        }
        if self.active.contains_key(user) {
            return Place::Admitted {
                turn_ends_at: self.ends.get(user).copied().unwrap_or_default(),
                waiting: self.total_waiting(),
            };
        }
        if let Some(seq) = self.fresh_of.get(user) {
            // Behind everyone restored so far: an estimate until the window closes.
            return Place::Pending {
                position: self.waiting + self.fresh.range(..*seq).count() as i64 + 1,
                waiting: self.total_waiting(),
            };
        }
        if self.pre.contains(user) {
            return Place::Presale {
                waiting: self.pre.len() as i64,
            };
        }
        Place::Absent {
            waiting: self.total_waiting(),
        }
    }
}

#[derive(Default)]
pub struct MemoryLine {
    lines: Mutex<HashMap<String, EventLine>>,
}

impl MemoryLine {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the event's line, as `line.lua` does: `LineLost` when the line is not
    /// known (never started, or this process restarted).
    fn with<T>(&self, at: At<'_>, f: impl FnOnce(&mut EventLine) -> T) -> Result<T> {
        let mut lines = self.lines.lock().expect("line lock");
        let line = lines.entry(at.event_id.to_string()).or_default();
        if line.epoch.is_none() {
            return Err(Error::LineLost);
        }
        line.expire_idle(at.now, at.settings);
        line.open_sale(at.now, at.settings);
        Ok(f(line))
    }

    fn raw<T>(&self, at: At<'_>, f: impl FnOnce(&mut EventLine) -> T) -> T {
        let mut lines = self.lines.lock().expect("line lock");
        f(lines.entry(at.event_id.to_string()).or_default())
    }
}

#[async_trait]
impl Line for MemoryLine {
    /// In this process: a join is answered in far less than a task switch.
    fn combines_joins(&self) -> bool {
        false
    }

    async fn join_all(&self, at: At<'_>, joiners: &[Joiner]) -> Result<Vec<Place>> {
        self.with(at, |l| {
            joiners
                .iter()
                .map(|j| l.join(&j.user_id, j.claim, at.now, at.settings))
                .collect()
        })
    }

    async fn status(&self, at: At<'_>, user_id: &str) -> Result<Place> {
        self.with(at, |l| l.place(user_id, at.now))
    }

    async fn leave(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.with(at, |l| {
            l.out_of_line(user_id);
            l.active.remove(user_id);
            l.ends.remove(user_id);
        })
    }

    async fn release(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.with(at, |l| {
            l.active.remove(user_id);
            l.ends.remove(user_id);
        })
    }

    async fn touch(&self, at: At<'_>, user_id: &str) -> Result<bool> {
        self.with(at, |l| match l.active.get_mut(user_id) {
            Some(last) => {
                *last = at.now;
                true
            }
            None => false,
        })
    }

    async fn reinstate(&self, at: At<'_>, user_id: &str, turn_ends_at: Millis) -> Result<bool> {
        let (now, s) = (at.now, at.settings);
        self.with(at, |l| {
            if let Some(last) = l.active.get_mut(user_id) {
                *last = now;
                return true;
            }
            if l.reserved_until <= now || turn_ends_at <= now {
                return false;
            }
            l.out_of_line(user_id);
            l.admit(user_id, now, s);
            l.ends.insert(user_id.to_string(), turn_ends_at);
            l.next_expiry = l.next_expiry.min(EventLine::deadline(now, turn_ends_at, s));
            l.reserved = (l.reserved - 1).max(0);
            true
        })
    }

    async fn init(&self, at: At<'_>, epoch: &str) -> Result<String> {
        Ok(self.raw(at, |l| {
            l.epoch.get_or_insert_with(|| epoch.to_string()).clone()
        }))
    }

    async fn recover(&self, at: At<'_>, r: &Recovery) -> Result<String> {
        Ok(self.raw(at, |l| l.recover(at.now, r)))
    }

    async fn tick(&self, at: At<'_>) -> Result<Tick> {
        let (now, s) = (at.now, at.settings);
        self.with(at, |l| {
            let state = |l: &EventLine, skipped: bool, admitted: Vec<String>| Tick {
                skipped,
                serving: l.serving,
                waiting: l.total_waiting(),
                presale: l.pre.len() as i64,
                rate: l.ewma,
                active_shoppers: l.occupied(now),
                admitted,
                epoch: l.epoch.clone().unwrap_or_default(),
                next: l.next,
                recovering: l.rec_until > now,
            };
            if l.reserved_until <= now {
                l.reserved = 0;
            }
            if l.last_tick > 0 && ((now - l.last_tick) as f64) < s.tick_ms as f64 * 0.8 {
                return state(l, true, Vec::new());
            }
            l.close_recovery(now);
            let dt = if l.last_tick > 0 {
                now - l.last_tick
            } else {
                s.tick_ms
            }
            .max(1);
            let rate = s.admit_rate_per_sec;
            let mut bucket = (l.tokens + rate * dt as f64 / 1000.0).min(rate.max(1.0));
            let (mut tokens, mut free) = (bucket, s.capacity - l.occupied(now));
            if s.gate == Gate::Off {
                // Whoever waits goes in, boundedly per tick, past rate and capacity.
                (tokens, free) = (OFF_PER_TICK as f64, OFF_PER_TICK as i64);
            }
            if s.gate == Gate::Paused || l.pause_until > now {
                // Paused sales let nobody in. Early in a recovery nobody is let in either:
                // people coming back with receipts, in whatever order, get their numbers
                // before the line moves on.
                free = 0;
            }
            let mut admitted = Vec::new();
            let room = |admitted: &Vec<String>| {
                (admitted.len() + 1) as f64 <= tokens && (admitted.len() as i64) < free
            };
            // Restored users whose numbers the line passed while they were away go first.
            while room(&admitted) {
                let Some((_, u)) = l.late.pop_first() else {
                    break;
                };
                l.unnumber(&u);
                l.admit(&u, now, s);
                admitted.push(u);
            }
            while room(&admitted) && l.waiting > 0 && l.serving < l.next {
                l.serving += 1;
                let serving = l.serving;
                if let Some(u) = l.n2u.get(&serving).cloned() {
                    l.unnumber(&u);
                    l.admit(&u, now, s);
                    admitted.push(u);
                }
            }
            if s.gate != Gate::Off {
                bucket = tokens - admitted.len() as f64;
            }
            let alpha = 1.0 - (-(dt as f64) / 5000.0).exp();
            l.ewma += alpha * (admitted.len() as f64 * 1000.0 / dt as f64 - l.ewma);
            l.tokens = bucket;
            l.last_tick = now;
            state(l, false, admitted)
        })
    }

    async fn summary(&self, at: At<'_>) -> Result<LineSummary> {
        self.with(at, |l| LineSummary {
            active_shoppers: l.occupied(at.now),
            waiting: l.total_waiting(),
            presale: l.pre.len() as i64,
            serving: l.serving,
            rate: l.ewma,
            recovering: l.rec_until > at.now,
        })
    }

    async fn lines(&self) -> Result<Vec<String>> {
        let lines = self.lines.lock().expect("line lock");
        Ok(lines
            .iter()
            .filter(|(_, l)| {
                l.waiting > 0
                    || !l.pre.is_empty()
                    || !l.active.is_empty()
                    || !l.fresh.is_empty()
                    || l.rec_until > 0
                    || l.reserved > 0
            })
            .map(|(id, _)| id.clone())
            .collect())
    }
}
