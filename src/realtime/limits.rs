//! Per-connection bounds: how many events a socket may send, and when it has sent enough.
//!
//! Every event a client sends (named or not) takes a token from its connection's bucket
//! (`SOCKET_EVENTS_PER_SEC`, burst `SOCKET_EVENT_BURST`). An event that finds the bucket
//! empty is acked `{ok:false, error:"rate_limited"}` and does nothing else: no database
//! read, no session write, no room change. A client that keeps sending into an empty
//! bucket ([`ABUSE_REFUSALS_IN_A_ROW`] refusals with no accepted event between them) is
//! flooding, not shopping, and is disconnected; an honest client that ran ahead once gets
//! its next event through and starts counting from zero.
//!
//! The bucket is `governor`'s GCRA limiter (one atomic word per connection, no lock), the
//! maintained crate for exactly this, rather than a hand-written one.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Refusals in a row after which a connection is closed as abusive.
pub const ABUSE_REFUSALS_IN_A_ROW: u32 = 40;

/// What to do with one incoming event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it.
    Allowed,
    /// Ack `rate_limited`, serve nothing.
    Limited,
    /// Ack `rate_limited` and disconnect: the bucket has stayed empty for
    /// [`ABUSE_REFUSALS_IN_A_ROW`] events. Returned once per connection.
    Abusive,
}

/// One connection's event bucket.
pub struct EventLimiter<C: Clock = DefaultClock> {
    bucket: RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>,
    refused_in_a_row: AtomicU32,
}

impl EventLimiter<DefaultClock> {
    /// `None` when `per_sec` is 0 (no limit).
    pub fn new(per_sec: u32, burst: u32) -> Option<Self> {
        Self::with_clock(per_sec, burst, DefaultClock::default())
    }
}

impl<C: Clock> EventLimiter<C> {
    pub fn with_clock(per_sec: u32, burst: u32, clock: C) -> Option<Self> {
        let per_sec = NonZeroU32::new(per_sec)?;
        let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
        let quota = Quota::per_second(per_sec).allow_burst(burst);
        Some(EventLimiter {
            bucket: RateLimiter::direct_with_clock(quota, clock),
            refused_in_a_row: AtomicU32::new(0),
        })
    }

    /// Takes a token for one event.
    pub fn check(&self) -> Verdict {
        if self.bucket.check().is_ok() {
            self.refused_in_a_row.store(0, Ordering::Relaxed);
            return Verdict::Allowed;
        }
        let refused = self.refused_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        if refused == ABUSE_REFUSALS_IN_A_ROW {
            Verdict::Abusive
        } else {
            Verdict::Limited
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    fn limiter(per_sec: u32, burst: u32) -> (EventLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            EventLimiter::with_clock(per_sec, burst, clock.clone()).unwrap(),
            clock,
        )
    }

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let (l, clock) = limiter(20, 40);
        for i in 0..40 {
            assert_eq!(l.check(), Verdict::Allowed, "event {i} of the burst");
        }
        assert_eq!(l.check(), Verdict::Limited);
        // One token every 50 ms at 20/s.
        clock.advance(Duration::from_millis(50));
        assert_eq!(l.check(), Verdict::Allowed);
        assert_eq!(l.check(), Verdict::Limited);
        // A quiet second refills 20 tokens, not more than the burst.
        clock.advance(Duration::from_secs(1));
        for _ in 0..20 {
            assert_eq!(l.check(), Verdict::Allowed);
        }
        assert_eq!(l.check(), Verdict::Limited);
    }

    #[test]
    fn sustained_flooding_is_abusive_once() {
        let (l, _clock) = limiter(20, 40);
        for _ in 0..40 {
            l.check();
        }
        for i in 1..ABUSE_REFUSALS_IN_A_ROW {
            assert_eq!(l.check(), Verdict::Limited, "refusal {i}");
        }
        assert_eq!(l.check(), Verdict::Abusive);
        // Reported once: the caller disconnects on it.
        assert_eq!(l.check(), Verdict::Limited);
    }

    #[test]
    fn an_accepted_event_resets_the_count_of_refusals() {
        let (l, clock) = limiter(20, 40);
        for _ in 0..40 {
            l.check();
        }
        for _ in 1..ABUSE_REFUSALS_IN_A_ROW {
            assert_eq!(l.check(), Verdict::Limited);
        }
        clock.advance(Duration::from_millis(50));
        assert_eq!(l.check(), Verdict::Allowed);
        for _ in 1..ABUSE_REFUSALS_IN_A_ROW {
            assert_eq!(l.check(), Verdict::Limited);
        }
        assert_eq!(l.check(), Verdict::Abusive);
    }

    #[test]
    fn zero_rate_means_no_limit() {
        assert!(EventLimiter::new(0, 40).is_none());
    }
}
