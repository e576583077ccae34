//! Wall-clock time as the domain sees it.
//!
//! Holds expire and admissions run out by the clock, so tests need to move time forward
//! without sleeping. The domain reads time only through [`Clock`]; production uses the system
//! clock, tests a manual one they advance by hand. The manual clock exists only in unit tests
//! and with the `test-util` feature (the integration tests'): a release build has the system
//! clock alone.

#[cfg(any(test, feature = "test-util"))]
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Milliseconds since the Unix epoch. Stored as BIGINT in both databases so SQLite and
/// PostgreSQL compare times the same way.
pub type Millis = i64;

#[derive(Clone, Debug)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
enum Inner {
    System,
    #[cfg(any(test, feature = "test-util"))]
    Manual(AtomicI64),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(Inner::System))
    }

    /// A clock that stands still until [`Clock::advance`] is called (tests only).
    #[cfg(any(test, feature = "test-util"))]
    pub fn manual(start: Millis) -> Self {
        Clock(Arc::new(Inner::Manual(AtomicI64::new(start))))
    }

    pub fn now_ms(&self) -> Millis {
        match &*self.0 {
            Inner::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            #[cfg(any(test, feature = "test-util"))]
            Inner::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward (tests only). Panics on the system clock: that would be a
    /// test bug.
    #[cfg(any(test, feature = "test-util"))]
    pub fn advance(&self, by: std::time::Duration) {
        match &*self.0 {
            Inner::System => panic!("cannot advance the system clock"),
            Inner::Manual(t) => {
                t.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
            }
        }
    }
}

/// Formats epoch milliseconds as RFC 3339 (UTC), the contract's time format.
pub fn to_rfc3339(ms: Millis) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Parses an RFC 3339 time into epoch milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Serde helper: serialize epoch milliseconds as an RFC 3339 string.
pub mod serde_rfc3339 {
    use super::Millis;

    pub fn serialize<S: serde::Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_rfc3339(*ms))
    }
}

/// Serde helper: an optional time as an RFC 3339 string (skip it when `None`).
pub mod serde_rfc3339_opt {
    use super::Millis;

    pub fn serialize<S: serde::Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => s.serialize_str(&super::to_rfc3339(*ms)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let ms = parse_rfc3339("2026-12-01T19:30:00Z").unwrap();
        assert_eq!(to_rfc3339(ms), "2026-12-01T19:30:00Z");
        assert_eq!(parse_rfc3339("2026-12-01T20:30:00+01:00"), Some(ms));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn manual_clock_advances() {
        let c = Clock::manual(1_000);
        c.advance(std::time::Duration::from_secs(2));
        assert_eq!(c.now_ms(), 3_000);
    }
}
