//! Readiness: may a load balancer send this instance traffic?
//!
//! `GET /readyz` (`shared/PROTOCOL.md`, "Operating") is `ready` when the database answers,
//! Redis answers (when the instance runs on Redis), and the instance is not draining. It is
//! polled by load balancers, and anyone can reach it, so a flood of it must not become a flood
//! of database and Redis queries: the stores are probed at most once per [`PROBE_EVERY`] by
//! one request at a time (the others wait for that probe and share its result), and each probe
//! gives up after [`PROBE_TIMEOUT`] (a store that slow is not ready either). Draining is read
//! from the [`Drain`] handle on every request, without I/O, so it shows at once.
//!
//! Liveness (`/healthz`) needs none of this: the process answers, so it lives.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Mutex;

use crate::coord::Coord;
use crate::db::Db;
use crate::drain::Drain;

/// How long one probe's result is reused.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a store gets to answer one probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// What `/readyz` answers: `{"status":"ready"}`, `{"status":"draining"}`, or
/// `{"status":"unavailable","database":"ok"|"unavailable","redis":...}` naming each store
/// (`redis` only on instances that use it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<Store>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<Store>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ready,
    Draining,
    Unavailable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    Ok,
    Unavailable,
}

impl Report {
    pub fn is_ready(&self) -> bool {
        self.status == Status::Ready
    }

    const READY: Report = Report {
        status: Status::Ready,
        database: None,
        redis: None,
    };
    const DRAINING: Report = Report {
        status: Status::Draining,
        database: None,
        redis: None,
    };
}

/// The readiness check with its one-probe-per-second cache.
pub struct Readiness {
    db: Db,
    coord: Arc<dyn Coord>,
    drain: Drain,
    /// The last probe and when it finished; the lock is also what makes a probe single-flight.
    last: Mutex<Option<(Instant, Report)>>,
    probes: AtomicU64,
}

impl Readiness {
    pub fn new(db: Db, coord: Arc<dyn Coord>, drain: Drain) -> Self {
        Readiness {
            db,
            coord,
            drain,
            last: Mutex::new(None),
            probes: AtomicU64::new(0),
        }
    }

    pub async fn check(&self) -> Report {
        if self.drain.is_draining() {
            return Report::DRAINING;
        }
        let mut last = self.last.lock().await;
        if let Some((at, report)) = last.as_ref() {
            if at.elapsed() < PROBE_EVERY {
                return report.clone();
            }
        }
        let report = self.probe().await;
        *last = Some((Instant::now(), report.clone()));
        report
    }

    /// Probes run since start (each asks the database and Redis once).
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::Relaxed)
    }

    async fn probe(&self) -> Report {
        self.probes.fetch_add(1, Ordering::Relaxed);
        let database = async {
            let ping = sqlx::query("SELECT 1").execute(&self.db.pool);
            match tokio::time::timeout(PROBE_TIMEOUT, ping).await {
                Ok(Ok(_)) => Store::Ok,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "readiness: the database does not answer");
                    Store::Unavailable
                }
                Err(_) => {
                    tracing::warn!("readiness: the database did not answer within a second");
                    Store::Unavailable
                }
            }
        };
        let redis = async {
            if self.coord.kind() != "redis" {
                return None;
            }
            Some(
                match tokio::time::timeout(PROBE_TIMEOUT, self.coord.ping()).await {
                    Ok(Ok(())) => Store::Ok,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "readiness: Redis does not answer");
                        Store::Unavailable
                    }
                    Err(_) => {
                        tracing::warn!("readiness: Redis did not answer within a second");
                        Store::Unavailable
                    }
                },
            )
        };
        let (database, redis) = tokio::join!(database, redis);
        if database == Store::Ok && redis != Some(Store::Unavailable) {
            return Report::READY;
        }
        Report {
            status: Status::Unavailable,
            database: Some(database),
            redis,
        }
    }
}
