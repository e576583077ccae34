//! The line in process memory, for the single-instance (embedded) mode. Same rules as
//! `line.lua`, statement for statement.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use rand::seq::SliceRandom;

use super::line::{At, Line, LineSettings, LineSummary, Place, Tick};
use crate::clock::Millis;
use crate::error::Result;

#[derive(Default)]
struct EventLine {
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

    fn place(&self, user: &str) -> Place {
        if let Some(n) = self.u2n.get(user) {
            return Place::Waiting {
                number: *n,
                serving: self.serving,
                waiting: self.waiting,
                rate: self.ewma,
                active: self.active.len() as i64,
            };
        }
        if self.active.contains_key(user) {
            return Place::Admitted {
                turn_ends_at: self.ends.get(user).copied().unwrap_or_default(),
            };
        }
        if self.pre.contains(user) {
            return Place::Presale {
                waiting: self.pre.len() as i64,
            };
        }
        Place::Absent {
            waiting: self.waiting,
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

    fn with<T>(&self, at: At<'_>, f: impl FnOnce(&mut EventLine) -> T) -> T {
        let mut lines = self.lines.lock().expect("line lock");
        let line = lines.entry(at.event_id.to_string()).or_default();
        line.expire_idle(at.now, at.settings);
        line.open_sale(at.now, at.settings);
        f(line)
    }
}

#[async_trait]
impl Line for MemoryLine {
    async fn join(&self, at: At<'_>, user_id: &str) -> Result<Place> {
        let (now, s) = (at.now, at.settings);
        Ok(self.with(at, |l| {
            match l.place(user_id) {
                p @ (Place::Waiting { .. } | Place::Presale { .. }) => return p,
                p @ Place::Admitted { .. } => {
                    l.active.insert(user_id.to_string(), now);
                    return p;
                }
                Place::Absent { .. } => {}
            }
            if now < s.sale_opens_at {
                l.pre.insert(user_id.to_string());
                return l.place(user_id);
            }
            if l.waiting == 0 && (l.active.len() as i64) < s.capacity {
                l.admit(user_id, now, s);
                return l.place(user_id);
            }
            l.next += 1;
            l.u2n.insert(user_id.to_string(), l.next);
            l.n2u.insert(l.next, user_id.to_string());
            l.waiting += 1;
            l.place(user_id)
        }))
    }

    async fn status(&self, at: At<'_>, user_id: &str) -> Result<Place> {
        Ok(self.with(at, |l| l.place(user_id)))
    }

    async fn leave(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.with(at, |l| {
            if let Some(n) = l.u2n.remove(user_id) {
                l.n2u.remove(&n);
                l.waiting -= 1;
            }
            l.pre.remove(user_id);
            l.active.remove(user_id);
            l.ends.remove(user_id);
        });
        Ok(())
    }

    async fn release(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.with(at, |l| {
            l.active.remove(user_id);
            l.ends.remove(user_id);
        });
        Ok(())
    }

    async fn touch(&self, at: At<'_>, user_id: &str) -> Result<bool> {
        Ok(self.with(at, |l| match l.active.get_mut(user_id) {
            Some(last) => {
                *last = at.now;
                true
            }
            None => false,
        }))
    }

    async fn tick(&self, at: At<'_>) -> Result<Tick> {
        let (now, s) = (at.now, at.settings);
        Ok(self.with(at, |l| {
            if l.last_tick > 0 && ((now - l.last_tick) as f64) < s.tick_ms as f64 * 0.8 {
                return Tick {
                    skipped: true,
                    ..Tick::default()
                };
            }
            let dt = if l.last_tick > 0 {
                now - l.last_tick
            } else {
                s.tick_ms
            }
            .max(1);
            let rate = s.admit_rate_per_sec;
            let mut tokens = (l.tokens + rate * dt as f64 / 1000.0).min(rate.max(1.0));
            let free = s.capacity - l.active.len() as i64;
            let mut admitted = Vec::new();
            while (admitted.len() + 1) as f64 <= tokens
                && (admitted.len() as i64) < free
                && l.waiting > 0
                && l.serving < l.next
            {
                l.serving += 1;
                let serving = l.serving;
                if let Some(u) = l.n2u.remove(&serving) {
                    l.u2n.remove(&u);
                    l.admit(&u, now, s);
                    l.waiting -= 1;
                    admitted.push(u);
                }
            }
            tokens -= admitted.len() as f64;
            let alpha = 1.0 - (-(dt as f64) / 5000.0).exp();
            l.ewma += alpha * (admitted.len() as f64 * 1000.0 / dt as f64 - l.ewma);
            l.tokens = tokens;
            l.last_tick = now;
            Tick {
                skipped: false,
                serving: l.serving,
                waiting: l.waiting,
                presale: l.pre.len() as i64,
                rate: l.ewma,
                active_shoppers: l.active.len() as i64,
                admitted,
            }
        }))
    }

    async fn summary(&self, at: At<'_>) -> Result<LineSummary> {
        Ok(self.with(at, |l| LineSummary {
            active_shoppers: l.active.len() as i64,
            waiting: l.waiting,
            presale: l.pre.len() as i64,
            serving: l.serving,
            rate: l.ewma,
        }))
    }

    async fn lines(&self) -> Result<Vec<String>> {
        let lines = self.lines.lock().expect("line lock");
        Ok(lines
            .iter()
            .filter(|(_, l)| l.waiting > 0 || !l.pre.is_empty() || !l.active.is_empty())
            .map(|(id, _)| id.clone())
            .collect())
    }
}
