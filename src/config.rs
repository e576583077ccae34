//! Configuration: command-line flags, each also readable from the environment variable the
//! wire contract (`shared/PROTOCOL.md`) names.

use std::path::PathBuf;

use crate::http::rate_limit::TrustedProxies;
use crate::inventory::Currency;

/// The signing key [`Config::for_tests`] sets, which test harnesses mint tokens with. Only in
/// unit tests and with the `test-util` feature: a release build does not contain it.
#[cfg(any(test, feature = "test-util"))]
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

#[derive(Clone, Debug, clap::Parser)]
#[command(name = "boxoffice", version, about = "Real-time ticket on-sale server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,

    /// HTTP port (REST API, Socket.IO and the web app).
    #[arg(long, env = "PORT", default_value_t = 3001)]
    pub port: u16,

    /// `sqlite://…` (embedded, single instance) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/boxoffice.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// PostgreSQL password, kept apart from DATABASE_URL (a secret store's value); it
    /// replaces any password in the URL.
    #[arg(long, env = "DATABASE_PASSWORD", hide_env_values = true)]
    pub database_password: Option<String>,

    /// Redis URL, `redis://` or `rediss://` (TLS), with or without a password; unset means a
    /// single instance with all coordination in-process.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Redis password (AUTH), kept apart from REDIS_URL (a secret store's value); it replaces
    /// any password in the URL.
    #[arg(long, env = "REDIS_PASSWORD", hide_env_values = true)]
    pub redis_password: Option<String>,

    /// PEM file of the CA that signed the Redis server's certificate (`rediss://` only), for
    /// a private CA; unset means the public roots compiled in.
    #[arg(long, env = "REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,

    /// Original-design spelling of the Redis address (used when REDIS_URL is unset).
    #[arg(long, env = "REDIS_HOST")]
    pub redis_host: Option<String>,

    /// Original-design spelling of the Redis port (with REDIS_HOST).
    #[arg(long, env = "REDIS_PORT")]
    pub redis_port: Option<u16>,

    /// HS256 signing key, at least 32 bytes. Embedded mode generates one under the data dir.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Extra keys, comma-separated, each at least 32 bytes, that verify sessions, admission
    /// tokens, receipts and bot-check challenges but never sign anything: a previous (or the
    /// next) JWT_SECRET during a rotation. Empty by default.
    #[arg(long, env = "JWT_ACCEPT_SECRETS", hide_env_values = true)]
    pub jwt_accept_secrets: Option<String>,

    /// CORS origin allowed for browsers; unset means same origin only.
    #[arg(long, env = "FRONTEND_URL")]
    pub frontend_url: Option<String>,

    /// Where embedded mode keeps its generated secret (and, by default, its database).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The built web app served at `/` (with an index.html fallback for client-side routes).
    #[arg(long, env = "WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,

    /// ISO 4217 code of the currency a new event's prices are in when its body names none
    /// (`KRW` for a Korean box office). Checked at start: an unknown code stops the server.
    #[arg(long, env = "DEFAULT_CURRENCY", default_value = "USD", value_parser = Currency::parse)]
    pub default_currency: Currency,

    /// Largest number of tickets (seats or general admission) in one reservation.
    #[arg(long, env = "MAX_TICKETS_PER_ORDER", default_value_t = 10)]
    pub max_tickets_per_order: u32,

    /// How often the expiry sweeper looks for lapsed holds, in milliseconds (0 = never).
    #[arg(long, env = "SWEEP_INTERVAL_MS", default_value_t = 1000)]
    pub sweep_interval_ms: u64,

    /// Allow `POST /api/auth/guest` (throwaway identities).
    #[arg(long, env = "ALLOW_GUESTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_guests: bool,

    /// Create the demo event on first start when the database has no events.
    #[arg(long, env = "SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// An administrator account created (or whose password is reset) at start-up.
    #[arg(long, env = "ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password for ADMIN_EMAIL.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Lifetime of issued session tokens, in seconds.
    #[arg(long, env = "TOKEN_TTL_SECONDS", default_value_t = 7 * 24 * 3600)]
    pub token_ttl_seconds: u64,

    /// Largest accepted request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Window in which changes to one event are batched into one message per kind (ms, at
    /// most 25; 0 sends every change at once).
    #[arg(long, env = "PUSH_BATCH_MS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=25))]
    pub push_batch_ms: u64,

    /// How often each instance ticks the waiting lines, in milliseconds.
    #[arg(long, env = "QUEUE_TICK_MS", default_value_t = 200)]
    pub queue_tick_ms: u64,

    /// After a waiting line's state is lost (Redis restarted without persistence, a failover
    /// that dropped writes, or a restart in embedded mode), how long receipts restore people's
    /// numbers, in seconds; 0 turns recovery off (reserved shopper slots are still kept).
    #[arg(long, env = "LINE_RECOVERY_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub line_recovery_seconds: u64,

    /// Run the waiting-room ticker (tests switch it off and tick by hand; a release build
    /// always runs it: [`Config::queue_ticker`]).
    #[cfg(any(test, feature = "test-util"))]
    #[arg(skip = true)]
    pub queue_ticker: bool,

    /// Prefix of every Redis key and pub/sub channel this deployment uses, so several
    /// deployments (or test clusters) can share one Redis.
    #[arg(long, env = "REDIS_PREFIX", default_value = "boxoffice")]
    pub redis_prefix: String,

    /// Messages the Redis adapter buffers per subscription before it must drop (dropped
    /// messages are counted at /api/metrics).
    #[arg(long, env = "REDIS_STREAM_BUFFER", default_value_t = 65_536)]
    pub redis_stream_buffer: usize,

    /// Sign-ins, registrations and guest sessions per second per client IP (burst: 4×).
    /// 0 switches the limit off.
    #[arg(long, env = "AUTH_RATE_PER_IP", default_value_t = 10.0)]
    pub auth_rate_per_ip: f64,

    /// Shopping and queue calls per second per user (burst: 4×). 0 switches it off.
    #[arg(long, env = "SHOP_RATE_PER_USER", default_value_t = 20.0)]
    pub shop_rate_per_user: f64,

    /// Database connections per instance (SQLite always uses one writer connection).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// Socket.IO events one connection may send per second (token bucket; 0 switches the
    /// limit off). An event over it is acked `{ok:false, error:"rate_limited"}` unserved.
    #[arg(long, env = "SOCKET_EVENTS_PER_SEC", default_value_t = 20)]
    pub socket_events_per_sec: u32,

    /// Events one connection may send at once before SOCKET_EVENTS_PER_SEC applies.
    #[arg(long, env = "SOCKET_EVENT_BURST", default_value_t = 40)]
    pub socket_event_burst: u32,

    /// Socket.IO connections one user may hold at once, across all instances (0 = no limit).
    #[arg(long, env = "MAX_SOCKETS_PER_USER", default_value_t = 20)]
    pub max_sockets_per_user: u32,

    /// How long a connection's slot outlives the last heartbeat of its instance, in seconds:
    /// after a crash, the dead instance's slots are free again within this time.
    #[arg(long, env = "SOCKET_LEASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..))]
    pub socket_lease_seconds: u64,

    /// On SIGTERM, how long the instance takes to move its sockets to other instances, in
    /// seconds: each gets `server:draining` and is disconnected in its slot of this window
    /// (`shared/PROTOCOL.md`, Operating). Set a load balancer's deregistration delay to match.
    #[arg(long, env = "DRAIN_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub drain_seconds: u64,

    /// `pow`: guest sign-in needs a solved proof-of-work bot check (ALTCHA). Events with
    /// `botCheck: true` need one to join their line whatever this says.
    #[arg(long, env = "BOT_CHECK", value_enum, default_value_t = crate::botcheck::Mode::Off)]
    pub bot_check: crate::botcheck::Mode,

    /// Bot-check difficulty: ALTCHA's `maxnumber` (a solver tries half of it on average).
    #[arg(long, env = "BOT_CHECK_MAX_NUMBER", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub bot_check_max_number: u64,

    /// How long a bot-check challenge may be solved and used, in seconds.
    #[arg(long, env = "BOT_CHECK_TTL_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub bot_check_ttl_seconds: u64,

    /// Load balancers whose `X-Forwarded-For` is believed when finding a client's address for
    /// rate limits: comma-separated CIDRs or addresses (`127.0.0.1/32,10.0.0.0/8`). Default
    /// none: the TCP peer is the client and the header is ignored.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,

    /// `text` (human-readable) or `json` (one JSON object a line, for CloudWatch and other
    /// collectors). Both carry each request's `x-request-id`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Password hashes (argon2id, 19 MiB each) computed at once; 0 means one per core.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY", default_value_t = 0)]
    pub password_hash_concurrency: usize,

    /// How long a sign-in or registration waits for a hashing turn before `503 auth_busy`
    /// (milliseconds).
    #[arg(long, env = "PASSWORD_HASH_WAIT_MS", default_value_t = 2000)]
    pub password_hash_wait_ms: u64,

    /// Bearer token `GET /metrics` requires (`Authorization: Bearer <token>`); unset or
    /// empty leaves it open, for a network where only Prometheus reaches it.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// How log lines are written (`LOG_FORMAT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Config {
    /// DATABASE_URL with DATABASE_PASSWORD put in (percent-encoded), when that is set.
    pub fn effective_database_url(&self) -> anyhow::Result<String> {
        let Some(password) = &self.database_password else {
            return Ok(self.database_url.clone());
        };
        anyhow::ensure!(
            self.database_url.starts_with("postgres:")
                || self.database_url.starts_with("postgresql:"),
            "DATABASE_PASSWORD needs a postgres:// DATABASE_URL"
        );
        let mut url = url::Url::parse(&self.database_url)
            .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a URL: {e}"))?;
        // Every byte but letters and digits percent-encoded, '%' included (the url crate
        // would leave a '%' as is, and sqlx decodes the password).
        let encoded: String = password
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        url.set_password(Some(&encoded)).map_err(|()| {
            anyhow::anyhow!("DATABASE_URL has no host to put DATABASE_PASSWORD on")
        })?;
        Ok(url.into())
    }

    /// The Redis URL to use, from REDIS_URL or the REDIS_HOST / REDIS_PORT pair.
    /// `JWT_ACCEPT_SECRETS` as keys: split at commas, blanks around them dropped, empty
    /// entries ignored; an error (which never shows a key) for any shorter than a signing key.
    pub fn accepted_secrets(&self) -> anyhow::Result<Vec<Vec<u8>>> {
        let keys: Vec<Vec<u8>> = self
            .jwt_accept_secrets
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| k.as_bytes().to_vec())
            .collect();
        if let Some(i) = keys
            .iter()
            .position(|k| k.len() < crate::auth::MIN_SECRET_LEN)
        {
            anyhow::bail!(
                "JWT_ACCEPT_SECRETS: key {} of {} is shorter than {} bytes",
                i + 1,
                keys.len(),
                crate::auth::MIN_SECRET_LEN
            );
        }
        Ok(keys)
    }

    pub fn effective_redis_url(&self) -> Option<String> {
        if let Some(url) = &self.redis_url {
            return Some(url.clone());
        }
        self.redis_host
            .as_ref()
            .map(|h| format!("redis://{}:{}", h, self.redis_port.unwrap_or(6379)))
    }

    /// Whether this instance runs the waiting-room ticker: always, except in tests that tick
    /// by hand.
    #[cfg(not(any(test, feature = "test-util")))]
    pub fn queue_ticker(&self) -> bool {
        true
    }

    /// As in a release build, unless a test switched the ticker off.
    #[cfg(any(test, feature = "test-util"))]
    pub fn queue_ticker(&self) -> bool {
        self.queue_ticker
    }

    /// Defaults for tests: port 0, no demo seeding, no background sweeping, no ticker, and
    /// [`TEST_JWT_SECRET`]. Only in unit tests and with the `test-util` feature.
    #[cfg(any(test, feature = "test-util"))]
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: database_url.into(),
            database_password: None,
            redis_url: None,
            redis_password: None,
            redis_ca_file: None,
            log_format: LogFormat::Text,
            redis_host: None,
            redis_port: None,
            jwt_secret: Some(TEST_JWT_SECRET.into()),
            jwt_accept_secrets: None,
            frontend_url: None,
            data_dir: std::env::temp_dir(),
            web_dir: PathBuf::from("web/dist"),
            default_currency: Currency::USD,
            max_tickets_per_order: 10,
            sweep_interval_ms: 0,
            allow_guests: true,
            seed_demo: false,
            admin_email: None,
            admin_password: None,
            token_ttl_seconds: 3600,
            max_body_bytes: 64 * 1024,
            database_max_connections: 16,
            push_batch_ms: 20,
            redis_stream_buffer: 65_536,
            redis_prefix: "boxoffice".into(),
            queue_tick_ms: 200,
            line_recovery_seconds: 120,
            queue_ticker: false,
            auth_rate_per_ip: 10.0,
            shop_rate_per_user: 20.0,
            socket_events_per_sec: 20,
            socket_event_burst: 40,
            max_sockets_per_user: 20,
            socket_lease_seconds: 30,
            drain_seconds: 0,
            bot_check: crate::botcheck::Mode::Off,
            bot_check_max_number: 1_000,
            bot_check_ttl_seconds: 300,
            trusted_proxies: TrustedProxies::default(),
            password_hash_concurrency: 0,
            password_hash_wait_ms: 2000,
            metrics_token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn database_password_is_put_in_percent_encoded() {
        let mut c = Config::for_tests("postgres://boxoffice@db.example:5432/boxoffice");
        assert_eq!(
            c.effective_database_url().unwrap(),
            "postgres://boxoffice@db.example:5432/boxoffice"
        );
        c.database_password = Some("p@ss:w/rd%41 x".into());
        assert_eq!(
            c.effective_database_url().unwrap(),
            "postgres://boxoffice:p%40ss%3Aw%2Frd%2541%20x@db.example:5432/boxoffice"
        );
        c.database_url = "sqlite://data/x.db".into();
        assert!(c.effective_database_url().is_err());
    }

    #[test]
    fn default_currency_is_checked_at_start() {
        use clap::Parser;
        let parse = |args: &[&str]| Config::try_parse_from([&["boxoffice"], args].concat());
        assert_eq!(parse(&[]).unwrap().default_currency.code(), "USD");
        let krw = parse(&["--default-currency", "KRW"]).unwrap();
        assert_eq!(krw.default_currency.code(), "KRW");
        let err = parse(&["--default-currency", "won"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DEFAULT_CURRENCY"), "{err}");
        assert!(err.contains("three capital letters"), "{err}");
        let err = parse(&["--default-currency", "XYZ"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an ISO 4217 currency"), "{err}");
    }
}
