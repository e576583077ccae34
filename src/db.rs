//! The database handle: one sqlx `Any` pool over SQLite (embedded) or PostgreSQL (cluster).
//!
//! Both backends run the same portable SQL and the same timestamped migrations (`migrations/`):
//! integers are BIGINT, times are epoch milliseconds, ids are TEXT, flags are 0/1 integers,
//! so one implementation of every query serves both. Where PostgreSQL can do better (row locks
//! with `SKIP LOCKED`), [`Db::backend`] lets a query say so.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Connects and brings the schema up to date.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(
                anyhow::anyhow!("DATABASE_URL must start with sqlite:// or postgres://").into(),
            );
        };
        tracing::Span::current().record("backend", tracing::field::debug(backend));

        let pool = match backend {
            Backend::Sqlite => {
                let url = sqlite_url_creating_file(url)?;
                AnyPoolOptions::new()
                    // SQLite has one writer at a time. One connection makes every transaction
                    // run alone, so no transaction ever meets SQLITE_BUSY, and SQLite in
                    // process is fast enough that the queue in front of it stays short.
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(AnyConnectOptions::from_str(&url)?)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?
            }
        };
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
        Ok(Db { pool, backend })
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }
}

/// Embedded mode must work from a fresh clone: create the database file and its folder.
fn sqlite_url_creating_file(url: &str) -> Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or("");
    if !path.is_empty() && path != ":memory:" {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
            }
        }
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Placeholders `$1, $2, …` for `n` parameters starting after `offset` (both backends accept
/// `$N`). Used for `IN (…)` lists and multi-row inserts.
pub fn placeholders(offset: usize, n: usize) -> String {
    (offset + 1..=offset + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
