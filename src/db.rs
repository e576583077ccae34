//! The database handle: one sqlx `Any` pool over SQLite (embedded) or PostgreSQL (cluster).
//!
//! Both backends run the same portable SQL and the same timestamped migrations (`migrations/`):
//! integers are BIGINT, times are epoch milliseconds, ids are TEXT, flags are 0/1 integers,
//! so one implementation of every query serves both. Where PostgreSQL can do better (row locks
//! with `SKIP LOCKED`), [`Db::backend`] lets a query say so.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// How long [`Db::begin`] waited for a connection and its `BEGIN` (seconds; shown at
    /// `GET /metrics`).
    pub begin_wait: prometheus_client::metrics::histogram::Histogram,
    /// Transactions [`Db::begin`] could not start: no pooled connection freed up in time.
    pub acquire_timeouts: prometheus_client::metrics::counter::Counter,
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
        Ok(Db {
            pool,
            backend,
            begin_wait: prometheus_client::metrics::histogram::Histogram::new(
                crate::metrics::prometheus::DB_WAIT_BUCKETS,
            ),
            acquire_timeouts: Default::default(),
        })
    }

    /// Takes a pooled connection and begins a transaction on it, timing the wait: the
    /// domain's writes (holds, payments, cancellations, expiry) start here, so the pool's
    /// queue shows at `GET /metrics` as `boxoffice_db_begin_wait_seconds`.
    pub async fn begin(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let started = std::time::Instant::now();
        let tx = self.pool.begin().await;
        self.begin_wait.observe(started.elapsed().as_secs_f64());
        if let Err(sqlx::Error::PoolTimedOut) = &tx {
            self.acquire_timeouts.inc();
        }
        tx
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }
}

/// What a database failure means to the domain. This is the one place that reads sqlx's
/// error kinds and the engines' codes; everything above the store sees [`Failure`] or the
/// [`Error`] it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A unique constraint held: the row is already there.
    Duplicate,
    /// A foreign key named a row that is not (or no longer) there.
    MissingReference,
    /// A transient conflict worth running the transaction again from its start: a
    /// PostgreSQL deadlock (40P01) or serialization failure (40001), SQLite busy (5, 517).
    Contention,
    /// Pool exhaustion or a lost connection: the database is there but not answering in time.
    Unavailable,
    /// Anything else: a failure we did not expect.
    Other,
}

pub fn classify(e: &sqlx::Error) -> Failure {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Failure::Duplicate,
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => Failure::MissingReference,
        sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("40P01" | "40001" | "5" | "517")) =>
        {
            Failure::Contention
        }
        sqlx::Error::Database(db) if db.code().as_deref().is_some_and(connection_lost) => {
            Failure::Unavailable
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Failure::Unavailable
        }
        _ => Failure::Other,
    }
}

/// PostgreSQL SQLSTATEs that mean the server cut or refused the connection, not that the
/// statement was wrong: a connection exception (class 08, but not 08P01, a protocol
/// violation), the server shutting down or starting up (57P01 `admin_shutdown`, as a restart
/// or `pg_terminate_backend` sends to every session; 57P02 `crash_shutdown`; 57P03
/// `cannot_connect_now`), or no connection slot left (53300). The transaction was rolled
/// back; the pool replaces the connection. A restart must answer 503, not 500.
fn connection_lost(code: &str) -> bool {
    (code.starts_with("08") && code != "08P01")
        || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// Every `?` on a query lands here: the failure, classified, as the domain's error.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        match classify(&e) {
            Failure::Duplicate => Error::Duplicate,
            Failure::Contention => Error::Contention(e.into()),
            Failure::Unavailable => Error::Unavailable(format!("database: {e}")),
            Failure::MissingReference | Failure::Other => Error::Database(e.into()),
        }
    }
}

/// Embedded mode must work from a fresh clone: create the database file and its folder.
///
/// The file holds password hashes and sessions' users, so it is the owner's only: a folder we
/// create is 0700, and the database is created (or, if it exists, set) 0600 before SQLite
/// opens it. SQLite gives its `-wal` and `-shm` files the database file's mode; existing ones
/// are set 0600 too.
fn sqlite_url_creating_file(url: &str) -> Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or("");
    if !path.is_empty() && path != ":memory:" {
        let file = Path::new(path);
        if let Some(parent) = file.parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() {
                create_private_dir(parent)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
            }
        }
        make_private_file(file, true)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", file.display()))?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = file.as_os_str().to_owned();
            side.push(suffix);
            make_private_file(Path::new(&side), false).map_err(|e| {
                anyhow::anyhow!("cannot restrict {}: {e}", Path::new(&side).display())
            })?;
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

/// Creates `dir` (and missing parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Makes an existing directory the owner's only (0700). A shared sticky directory such as
/// `/tmp` is left alone: it is not ours to close.
pub fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o1000 != 0 || dir == std::env::temp_dir() {
            return Ok(());
        }
        if mode & 0o777 != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Sets `file` to 0600; creates it empty (0600) first when `create` is set and it is missing.
pub fn make_private_file(file: &Path, create: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if create && !file.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(file)?;
        }
        match std::fs::metadata(file) {
            Ok(m) if m.permissions().mode() & 0o777 != 0o600 => {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = (file, create);
    Ok(())
}

/// Placeholders `$1, $2, …` for `n` parameters starting after `offset` (both backends accept
/// `$N`). Used for `IN (…)` lists and multi-row inserts.
pub fn placeholders(offset: usize, n: usize) -> String {
    (offset + 1..=offset + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::connection_lost;

    /// `20261127130000_seat_geometry.sql` numbers the seats of events made before it in
    /// canonical order, which for their one-column layout is `(y, x)`, each event from 0.
    #[tokio::test]
    async fn the_seat_geometry_migration_numbers_existing_seats_by_y_then_x() {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let path =
            std::env::temp_dir().join(format!("bo-migration-{}.db", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let before = sqlx::migrate::Migrator {
            migrations: super::MIGRATOR
                .migrations
                .iter()
                .filter(|m| m.version < 20261127130000)
                .cloned()
                .collect(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(&pool).await.unwrap();
        // Seats alone are enough here: no events or ticket types to point at.
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&pool)
            .await
            .unwrap();
        for (id, event, x, y) in [
            ("s-c", "e1", 24.0, 48.0),
            ("s-a", "e1", 48.0, 24.0),
            ("s-b", "e1", 24.0, 24.0),
            ("t-b", "e2", 48.0, 72.0),
            ("t-a", "e2", 24.0, 72.0),
        ] {
            sqlx::query(
                "INSERT INTO seats (id, event_id, ticket_type_id, section, row_label, number, x, y) \
                 VALUES ($1, $2, 'tt', 'A', 'A', 1, $3, $4)",
            )
            .bind(id)
            .bind(event)
            .bind(x)
            .bind(y)
            .execute(&pool)
            .await
            .unwrap();
        }
        super::MIGRATOR.run(&pool).await.unwrap();
        let rows = sqlx::query("SELECT id, position FROM seats ORDER BY event_id, position")
            .fetch_all(&pool)
            .await
            .unwrap();
        let got: Vec<(String, i64)> = rows
            .iter()
            .map(|r| (r.get("id"), r.get("position")))
            .collect();
        let want = [("s-b", 0), ("s-a", 1), ("s-c", 2), ("t-a", 0), ("t-b", 1)];
        let want: Vec<(String, i64)> = want.iter().map(|(i, p)| (i.to_string(), *p)).collect();
        assert_eq!(got, want);
        pool.close().await;
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_cut_or_refused_connection_is_not_a_failed_statement() {
        for code in [
            "57P01", "57P02", "57P03", "53300", "08006", "08003", "08001",
        ] {
            assert!(connection_lost(code), "{code}");
        }
        // A protocol violation, a syntax error, a unique violation, SQLite busy: not these.
        for code in ["08P01", "42601", "23505", "5", "517"] {
            assert!(!connection_lost(code), "{code}");
        }
    }
}
