//! The harness every module shares: a real server on 127.0.0.1:0 over a fresh database (a new SQLite file, or a
//! new PostgreSQL database per test), driven over HTTP by reqwest.
//!
//! PostgreSQL is a real dependency: `BOXOFFICE_TEST_PG_URL` names a server where tests may
//! create databases (default `postgres://postgres@127.0.0.1:5432/postgres`; `scripts/test.sh`
//! starts one when none answers). If it cannot be reached the test fails; it never skips.

use std::time::Duration;

use boxoffice::auth::{unix_now, Claims, Jwt, Role};
use boxoffice::clock::Clock;
use boxoffice::config::Config;
use boxoffice::state::AppState;
use boxoffice::{Application, UserId};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::sync::oneshot;

/// The signing key of every test server (`Config::for_tests` sets it), to mint tokens with.
pub const SECRET: &str = boxoffice::config::TEST_JWT_SECRET;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an `async fn(Backend)` scenario as two tests, one per database.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

/// Runs an `async fn(Line)` waiting-room scenario twice: the in-process line (embedded
/// mode, SQLite) and the Redis line (cluster mode, PostgreSQL).
macro_rules! on_both_lines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name($crate::helpers::Line::Memory).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                super::$name($crate::helpers::Line::Redis).await
            }
        }
    )*};
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    Memory,
    Redis,
}

pub fn redis_url() -> String {
    std::env::var("BOXOFFICE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

impl TestApp {
    /// An app whose waiting line is in memory (SQLite) or in Redis (PostgreSQL), with a
    /// private Redis prefix.
    pub async fn spawn_line(line: Line) -> TestApp {
        match line {
            Line::Memory => TestApp::spawn(Backend::Sqlite).await,
            Line::Redis => {
                TestApp::spawn_with(Backend::Postgres, |c| {
                    c.redis_url = Some(redis_url());
                    c.redis_prefix = format!("bo-test-{}", uuid::Uuid::new_v4().simple());
                })
                .await
            }
        }
    }
}

pub fn pg_admin_url() -> String {
    std::env::var("BOXOFFICE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new, empty database URL for one test.
pub async fn fresh_database(backend: Backend) -> String {
    let name = format!("bo_test_{}", uuid::Uuid::new_v4().simple());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("boxoffice-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join(format!("{name}.db")).display())
        }
        Backend::Postgres => {
            let admin = pg_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                    "PostgreSQL is required for these tests and did not answer at {admin}: {e}. \
                     Run ./scripts/test.sh, which starts one, or set BOXOFFICE_TEST_PG_URL."
                )
                });
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin.split('?').next().unwrap();
            let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
            format!("{base}/{name}")
        }
    }
}

pub fn test_config(database_url: String) -> Config {
    let mut c = Config::for_tests(database_url);
    c.database_max_connections = 10;
    c
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Clock,
    pub database_url: String,
    jwt: Jwt,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let url = fresh_database(backend).await;
        let mut config = test_config(url);
        tweak(&mut config);
        Self::spawn_config(config).await
    }

    pub async fn spawn_config(config: Config) -> TestApp {
        let clock = Clock::manual(1_800_000_000_000);
        let url = config.database_url.clone();
        let app = Application::build_with_clock(config, clock.clone())
            .await
            .expect("application builds");
        let port = app.port();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            state,
            clock,
            database_url: url,
            jwt: Jwt::new(SECRET.as_bytes(), 3600).unwrap(),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }

    /// A token for a (possibly unknown to the database) user, as another issuer sharing
    /// JWT_SECRET would mint it.
    pub fn token(&self, user_id: &str) -> String {
        let user_id = UserId::parse(user_id).unwrap();
        self.jwt.issue(&user_id, Role::User, None).unwrap()
    }

    pub fn admin_token(&self) -> String {
        self.jwt
            .issue(
                &UserId::parse("admin-1").unwrap(),
                Role::Admin,
                Some("Admin"),
            )
            .unwrap()
    }

    pub fn expired_token(&self, user_id: &str) -> String {
        self.jwt
            .sign(&Claims {
                sub: Some(user_id.into()),
                user_id: None,
                exp: unix_now() - 3600,
                iat: unix_now() - 7200,
                role: Role::User,
                name: None,
                typ: None,
            })
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request and returns status and JSON body. Any 5xx fails the test: bad input
    /// must never produce one.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        assert!(status.as_u16() < 500, "server error {status}: {body}");
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// Creates an event through the admin API and returns it.
    pub async fn create_event(&self, spec: Value) -> Value {
        let (status, body) = self
            .post("/api/admin/events", Some(&self.admin_token()), spec)
            .await;
        assert_eq!(status, StatusCode::CREATED, "create event: {body}");
        body
    }

    /// An event with one seated type over `rows × per_row` seats in one section and one
    /// general-admission type of `ga` tickets; holds last 60 s.
    pub async fn simple_event(&self, rows: i64, per_row: i64, ga: i64) -> Value {
        self.create_event(json!({
            "name": "Test Show",
            "venue": "Test Hall",
            "startsAt": "2027-06-01T19:00:00Z",
            "saleOpensAt": "2026-01-01T00:00:00Z",
            "holdSeconds": 60,
            "ticketTypes": [
                {"name": "Seated", "price": 5000},
                {"name": "Standing", "price": 2000, "quantity": ga}
            ],
            "seatMap": {"sections": [{"name": "A", "rows": rows, "seatsPerRow": per_row, "ticketTypeIndex": 0}]}
        }))
        .await
    }

    pub async fn seats(&self, event_id: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/api/events/{event_id}/seats"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        body["seats"].as_array().unwrap().clone()
    }

    pub async fn event(&self, event_id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/events/{event_id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    pub async fn remaining(&self, event_id: &str, type_index: usize) -> i64 {
        self.event(event_id).await["ticketTypes"][type_index]["remainingQuantity"]
            .as_i64()
            .unwrap()
    }

    /// A second connection pool to the test's database, for checking rows directly.
    pub async fn db(&self) -> sqlx::AnyPool {
        boxoffice::db::Db::connect(&self.database_url, 2)
            .await
            .expect("connect to test database")
            .pool
    }

    /// Joins the event's waiting room as `token` and returns the admission token (the
    /// tests' events have room, so a join admits at once).
    pub async fn admission(&self, token: &str, event_id: &str) -> String {
        let (status, body) = self
            .post("/api/queue/join", Some(token), json!({"eventId": event_id}))
            .await;
        assert_eq!(status, StatusCode::OK, "join: {body}");
        assert_eq!(body["admitted"], true, "admitted at once: {body}");
        body["admissionToken"].as_str().unwrap().to_string()
    }

    /// POST with the admission for `event_id`, as a shopper would send it.
    pub async fn post_admitted(
        &self,
        path: &str,
        token: &str,
        event_id: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let admission = self.admission(token, event_id).await;
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("X-Admission-Token", admission)
                .json(&body),
        )
        .await
    }

    /// Holds seats as `token` (joining the waiting room first); returns status and body.
    pub async fn hold(&self, token: &str, event_id: &str, seats: &[String]) -> (StatusCode, Value) {
        self.post_admitted(
            "/api/seats/reserve",
            token,
            event_id,
            json!({"eventId": event_id, "seatIds": seats}),
        )
        .await
    }

    /// Holds general-admission tickets as `token` (joining the waiting room first).
    pub async fn buy(
        &self,
        token: &str,
        event_id: &str,
        type_id: &str,
        quantity: i64,
    ) -> (StatusCode, Value) {
        self.post_admitted(
            "/api/reservations",
            token,
            event_id,
            json!({"eventId": event_id, "ticketTypeId": type_id, "quantity": quantity}),
        )
        .await
    }
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

pub fn seat_ids(seats: &[Value]) -> Vec<String> {
    seats.iter().map(id).collect()
}

pub fn reservation_seats(reservation: &Value) -> Vec<String> {
    reservation["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["seatId"].as_str().map(str::to_string))
        .collect()
}

/// One HTTP/1.1 response read off a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A keep-alive HTTP/1.1 connection driven by hand (tokio `TcpStream`), for what reqwest
/// hides: which connection a request went over, and how that connection ended.
pub struct RawConn {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
}

impl RawConn {
    pub async fn connect(app: &TestApp) -> RawConn {
        let addr = app.base.trim_start_matches("http://").to_string();
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        RawConn {
            stream: tokio::io::BufReader::new(stream),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.stream.get_mut().write_all(bytes).await
    }

    /// Reads one response (Content-Length or chunked body).
    pub async fn read_response(&mut self) -> std::io::Result<RawResponse> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt};
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before a response",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').ok_or_else(|| bad("bad header"))?;
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let mut resp = RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
        if let Some(n) = resp.header("content-length") {
            let n: usize = n.parse().map_err(|_| bad("bad content-length"))?;
            resp.body.resize(n, 0);
            self.stream.read_exact(&mut resp.body).await?;
        } else if resp.header("transfer-encoding") == Some("chunked") {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("chunk"))?;
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                resp.body.extend_from_slice(&chunk[..size]);
            }
        }
        Ok(resp)
    }

    /// What the server does after its last response: `Ok(0)` is a clean close (EOF),
    /// `Err` with `ConnectionReset` a reset.
    pub async fn read_to_end(&mut self) -> std::io::Result<usize> {
        use tokio::io::AsyncReadExt;
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest).await
    }
}
