//! Draining: how an instance leaves a cluster without its users noticing.
//!
//! Killing an instance outright works (clients reconnect elsewhere and converge through
//! versions), but every one of its sockets reconnects in the same second and a load balancer
//! keeps sending it requests until its connections fail. A drain (SIGTERM, `shared/PROTOCOL.md`
//! "Operating") goes the other way round: first the instance says it is leaving (`/readyz`
//! answers `503`, new Socket.IO handshakes are refused with `503` so the load balancer tries
//! another instance), then it moves its sockets away a few at a time over `DRAIN_SECONDS`
//! (each is told `server:draining {reconnectInMs}` and disconnected in its slot), while REST
//! requests are still answered; only then does the listener close, in-flight requests finish,
//! background tasks finish their tick, and the process exits 0.
//!
//! The application owns the drain, not `main`: the state carries one [`Drain`] handle that
//! readiness and the handshake gate read, and whatever ends the process (a signal, a test)
//! goes through it, so "draining" means the same thing everywhere. [`Drain::hurry`] cuts the
//! spread short (Ctrl-C, or a second signal).

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;

/// Whether this instance is draining; cheap to clone and to read (no I/O, no lock).
#[derive(Clone)]
pub struct Drain(Arc<Inner>);

struct Inner {
    begun: watch::Sender<bool>,
    hurry: watch::Sender<bool>,
}

impl Default for Drain {
    fn default() -> Self {
        Self::new()
    }
}

impl Drain {
    pub fn new() -> Self {
        Drain(Arc::new(Inner {
            begun: watch::channel(false).0,
            hurry: watch::channel(false).0,
        }))
    }

    /// Starts the drain (once; later calls change nothing). The server then stops: see
    /// [`crate::Application::run_until`].
    pub fn begin(&self) {
        self.0
            .begun
            .send_if_modified(|b| !std::mem::replace(b, true));
    }

    pub fn is_draining(&self) -> bool {
        *self.0.begun.borrow()
    }

    /// Completes once the drain has begun.
    pub async fn begun(&self) {
        let mut rx = self.0.begun.subscribe();
        // The sender lives as long as `self`: `wait_for` cannot fail here.
        let _ = rx.wait_for(|b| *b).await;
    }

    /// Moves every socket still here at once instead of spreading them (Ctrl-C, a second
    /// signal). May come before or during the drain.
    pub fn hurry(&self) {
        self.0
            .hurry
            .send_if_modified(|h| !std::mem::replace(h, true));
    }

    pub fn is_hurried(&self) -> bool {
        *self.0.hurry.borrow()
    }

    /// Completes once [`Drain::hurry`] was called.
    pub async fn hurried(&self) {
        let mut rx = self.0.hurry.subscribe();
        let _ = rx.wait_for(|h| *h).await;
    }
}

/// When one socket is disconnected (from the start of the drain) and what it is told:
/// reconnect `reconnect_in` after the `server:draining` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub disconnect_at: Duration,
    pub reconnect_in: Duration,
}

/// Longest random delay added to a socket's slot before it reconnects: reconnections stay
/// spread even when the slots are wide apart, and a slot never waits much past its turn.
const MAX_JITTER: Duration = Duration::from_secs(1);

/// The slots of `n` sockets spread evenly over `spread`: the i-th is disconnected at
/// `i * spread / n` and asked to reconnect at that time plus a jitter within its slot's width
/// (at most [`MAX_JITTER`]), so the instances that take the sockets over see them arrive at
/// an even pace rather than in bursts. All slots end within `spread`.
pub fn schedule(n: usize, spread: Duration, rng: &mut impl Rng) -> Vec<Slot> {
    if n == 0 {
        return Vec::new();
    }
    let width = spread.div_f64(n as f64).min(MAX_JITTER);
    (0..n)
        .map(|i| {
            let disconnect_at = spread.mul_f64(i as f64 / n as f64);
            let jitter = width.mul_f64(rng.gen::<f64>());
            Slot {
                disconnect_at,
                reconnect_in: (disconnect_at + jitter).min(spread),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spread_in_order_and_end_within_the_spread() {
        let spread = Duration::from_secs(10);
        let slots = schedule(1000, spread, &mut rand::thread_rng());
        assert_eq!(slots.len(), 1000);
        assert_eq!(slots[0].disconnect_at, Duration::ZERO);
        for pair in slots.windows(2) {
            assert!(pair[0].disconnect_at <= pair[1].disconnect_at);
        }
        for s in &slots {
            assert!(s.reconnect_in >= s.disconnect_at);
            assert!(s.reconnect_in <= spread);
            assert!(s.reconnect_in - s.disconnect_at <= Duration::from_millis(10));
        }
        // The last socket leaves in the last slot, not at the start.
        assert!(slots[999].disconnect_at >= Duration::from_millis(9_980));
    }

    #[test]
    fn few_sockets_get_at_most_a_second_of_jitter() {
        let slots = schedule(2, Duration::from_secs(10), &mut rand::thread_rng());
        assert_eq!(slots[1].disconnect_at, Duration::from_secs(5));
        for s in &slots {
            assert!(s.reconnect_in - s.disconnect_at <= MAX_JITTER);
        }
    }

    #[test]
    fn no_spread_moves_everyone_at_once() {
        let slots = schedule(3, Duration::ZERO, &mut rand::thread_rng());
        assert!(slots
            .iter()
            .all(|s| s.disconnect_at.is_zero() && s.reconnect_in.is_zero()));
    }

    #[tokio::test]
    async fn begins_once_and_wakes_waiters() {
        let drain = Drain::new();
        assert!(!drain.is_draining());
        let waiter = tokio::spawn({
            let d = drain.clone();
            async move { d.begun().await }
        });
        drain.begin();
        drain.begin();
        waiter.await.unwrap();
        assert!(drain.is_draining());
        drain.begun().await; // already begun: returns at once
        assert!(!drain.is_hurried());
        drain.hurry();
        drain.hurried().await;
    }
}
