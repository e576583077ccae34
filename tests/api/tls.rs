//! TLS to the stores. PostgreSQL: `?sslmode=require` connects encrypted (the test server's
//! own certificate). Redis: `rediss://` and Redis passwords against a private `redis-server` that speaks only TLS, on a
//! certificate this test makes (openssl CLI: a CA, and a server certificate for 127.0.0.1
//! that it signs) and with `requirepass`. The shared Redis on 6379 is never used here.
//!
//! Two instances share the TLS Redis: the waiting line one of them keeps is the other's, and a
//! hold on one goes out on the pub/sub relay that every instance subscribes to (received here
//! by the same driver the instances use). A wrong password, a plain `redis://` to the TLS
//! port and a certificate from an unknown CA each stop the start with a message that says
//! which it was and never contains the password.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxoffice::config::Config;
use boxoffice::realtime::redis_driver::{CountingDriver, Inline};
use boxoffice::Application;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{fresh_database, id, seat_ids, test_config, Backend, TestApp};
use crate::waiting_room::join;

/// `sslmode=require` against the test PostgreSQL: encrypted when it offers TLS (Debian's
/// default, snakeoil certificate); when it does not (a bare `initdb`, as scripts/test.sh makes
/// when none answers), refused for that reason, not because TLS support is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_with_sslmode_require() {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&crate::helpers::pg_admin_url())
        .await
        .unwrap();
    let offered: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let url = format!(
        "{}?sslmode=require",
        fresh_database(Backend::Postgres).await
    );
    if offered != "on" {
        let err = match Application::build(test_config(url)).await {
            Ok(_) => panic!("sslmode=require connected to a server without TLS"),
            Err(e) => format!("{e:?}"),
        };
        assert!(!err.contains("without TLS support"), "{err}");
        return;
    }
    let app = TestApp::spawn_config(test_config(url)).await;
    let pool = app.db().await;
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .expect("pg_stat_ssl");
    assert!(ssl, "the connection is encrypted");
    app.stop().await;
}

const PASSWORD: &str = "tls-test-Pa55word-7f3c";

/// A `redis-server` listening only on a TLS port, with a password; stopped and its files
/// deleted when dropped.
struct TlsRedis {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl TlsRedis {
    fn start() -> TlsRedis {
        let dir = std::env::temp_dir().join(format!(
            "boxoffice-redis-tls-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        make_certificates(&dir);
        let port = free_port();
        let log = std::fs::File::create(dir.join("redis.log")).unwrap();
        let child = Command::new("redis-server")
            .current_dir(&dir)
            .args(["--port", "0", "--bind", "127.0.0.1"])
            .args(["--tls-port", &port.to_string()])
            .args(["--tls-cert-file", "server.crt"])
            .args(["--tls-key-file", "server.key"])
            .args(["--tls-ca-cert-file", "ca.crt"])
            .args(["--tls-auth-clients", "no"])
            .args(["--requirepass", PASSWORD])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("redis-server (with TLS) must be installed");
        let redis = TlsRedis { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on its TLS port: {}",
                std::fs::read_to_string(redis.dir.join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        redis
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway CA (ca.crt) and a server certificate for 127.0.0.1 it signed (server.crt,
/// server.key), in `dir`.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("the openssl CLI must be installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca = [
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"],
        &["-subj", "/CN=boxoffice test CA"],
    ]
    .concat();
    openssl(&ca);
    let csr = [
        &["req"][..],
        &ec,
        &["-keyout", "server.key", "-out", "server.csr"],
        &["-subj", "/CN=127.0.0.1"],
    ]
    .concat();
    openssl(&csr);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

/// A test configuration on `database_url` pointing at the TLS Redis.
fn tls_config(redis: &TlsRedis, database_url: String, redis_url: String, prefix: &str) -> Config {
    let mut c = test_config(database_url);
    c.redis_url = Some(redis_url);
    c.redis_ca_file = Some(redis.ca_file());
    c.redis_prefix = prefix.to_string();
    c
}

fn prefix() -> String {
    format!("bo-tls-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_and_pub_sub_over_tls_with_a_password() {
    let redis = TlsRedis::start();
    let url = format!("rediss://:{PASSWORD}@127.0.0.1:{}", redis.port);
    let database = fresh_database(Backend::Postgres).await;
    let prefix = prefix();
    let one =
        TestApp::spawn_config(tls_config(&redis, database.clone(), url.clone(), &prefix)).await;
    // The second instance takes its password from REDIS_PASSWORD instead of the URL.
    let mut two_config = tls_config(
        &redis,
        database,
        format!("rediss://127.0.0.1:{}", redis.port),
        &prefix,
    );
    two_config.redis_password = Some(PASSWORD.into());
    let two = TestApp::spawn_config(two_config).await;

    // A subscriber to the relay, with the driver (and TLS client) the instances use.
    let client =
        boxoffice::redis_client::client(&tls_config(&redis, String::new(), url.clone(), &prefix))
            .unwrap()
            .expect("a Redis client");
    let driver = CountingDriver::new(&client, Arc::new(AtomicU64::new(0)))
        .await
        .expect("pub/sub connection over TLS");
    let (tx, mut relayed) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    driver
        .subscribe_inline(format!("{prefix}:inventory-changes"), move |m| {
            if let Inline::Message(bytes) = m {
                let _ = tx.send(bytes.to_vec());
            }
        })
        .await
        .expect("subscribe over TLS");

    // An event with room for one shopper: the second user waits, in the line both share.
    let ev = one
        .create_event(json!({
            "name": "TLS show",
            "startsAt": "2027-06-01T19:00:00Z",
            "capacity": 1,
            "admitRatePerSec": 100,
            "idleTimeoutSeconds": 30,
            "admissionTtlSeconds": 120,
            "ticketTypes": [{"name": "Seat", "price": 5000}],
            "seatMap": {"sections": [{"name": "A", "rows": 1, "seatsPerRow": 4, "ticketTypeIndex": 0}]}
        }))
        .await;
    let e = id(&ev);
    let first = join(&one, "tls-a", &e).await;
    assert_eq!(first["admitted"], true, "{first}");
    let second = join(&two, "tls-b", &e).await;
    assert_eq!(
        (second["admitted"].as_bool(), second["position"].as_i64()),
        (Some(false), Some(1)),
        "the line over TLS is shared: {second}"
    );
    let (s, seen_by_one) = one
        .get(&format!("/api/queue/status/{e}"), Some(&one.token("tls-b")))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(seen_by_one["position"], 1, "{seen_by_one}");

    // A hold on the first instance goes out on the relay to the others.
    let seat = seat_ids(&one.seats(&e).await)[0].clone();
    let (s, b) = one
        .send(
            one.client
                .post(one.url("/api/seats/reserve"))
                .bearer_auth(one.token("tls-a"))
                .header(
                    "X-Admission-Token",
                    first["admissionToken"].as_str().unwrap(),
                )
                .json(&json!({"eventId": e, "seatIds": [seat]})),
        )
        .await;
    assert!(s.is_success(), "hold: {s} {b}");
    let message = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let m = relayed.recv().await.expect("relay subscription open");
            let text = String::from_utf8_lossy(&m).into_owned();
            if text.contains(&seat) {
                return text;
            }
        }
    })
    .await
    .expect("the hold was relayed over TLS pub/sub");
    assert!(message.contains("held"), "{message}");

    one.stop().await;
    two.stop().await;
}

/// Builds an application on SQLite against the TLS Redis; the error chain as `main` prints it.
async fn start_error(config: Config) -> String {
    match Application::build(config).await {
        Ok(_) => panic!("the application started"),
        Err(e) => format!("{e:?}"),
    }
}

async fn sqlite_config(redis: &TlsRedis, redis_url: String) -> Config {
    tls_config(
        redis,
        fresh_database(Backend::Sqlite).await,
        redis_url,
        &prefix(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_stops_the_start_without_printing_it() {
    let redis = TlsRedis::start();
    let wrong = "not-the-Pa55word-91ab";
    let in_url = start_error(
        sqlite_config(
            &redis,
            format!("rediss://:{wrong}@127.0.0.1:{}", redis.port),
        )
        .await,
    )
    .await;
    assert!(in_url.contains("refused the password"), "{in_url}");
    assert!(!in_url.contains(wrong), "{in_url}");

    let mut config = sqlite_config(&redis, format!("rediss://127.0.0.1:{}", redis.port)).await;
    config.redis_password = Some(wrong.into());
    let separate = start_error(config).await;
    assert!(separate.contains("refused the password"), "{separate}");
    assert!(!separate.contains(wrong), "{separate}");

    // No password at all: Redis says authentication is required.
    let none =
        start_error(sqlite_config(&redis, format!("rediss://127.0.0.1:{}", redis.port)).await)
            .await;
    assert!(none.contains("refused the password"), "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_redis_to_a_tls_port_and_an_unknown_ca_fail_clearly() {
    let redis = TlsRedis::start();
    // Plain redis:// to the TLS port (REDIS_CA_FILE would be refused with it: drop it).
    let mut config = sqlite_config(
        &redis,
        format!("redis://:{PASSWORD}@127.0.0.1:{}", redis.port),
    )
    .await;
    config.redis_ca_file = None;
    let plain = start_error(config).await;
    assert!(plain.contains("must start with rediss://"), "{plain}");
    assert!(!plain.contains(PASSWORD), "{plain}");

    // REDIS_CA_FILE with a plain URL is a configuration error, said as such.
    let mixed = start_error(
        sqlite_config(
            &redis,
            format!("redis://:{PASSWORD}@127.0.0.1:{}", redis.port),
        )
        .await,
    )
    .await;
    assert!(mixed.contains("is not rediss://"), "{mixed}");
    assert!(!mixed.contains(PASSWORD), "{mixed}");

    // TLS without our CA: the public roots do not know the test CA.
    let mut config = sqlite_config(
        &redis,
        format!("rediss://:{PASSWORD}@127.0.0.1:{}", redis.port),
    )
    .await;
    config.redis_ca_file = None;
    let unknown = start_error(config).await;
    assert!(unknown.contains("certificate"), "{unknown}");
    assert!(!unknown.contains(PASSWORD), "{unknown}");
}
