//! Accounts and tokens over HTTP, and what a fresh embedded start looks like.

use crate::helpers::{Backend, TestApp};
use boxoffice::config::Config;
use reqwest::StatusCode;
use serde_json::json;

async fn register_login_guest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, reg) = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": "Ann@Example.com", "password": "correct horse", "name": "Ann"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{reg}");
    assert_eq!(reg["user"]["email"], "ann@example.com");
    let token = reg["token"].as_str().unwrap();
    let (s, me) = app.get("/api/auth/me", Some(token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["id"], reg["user"]["id"]);

    let (s, dup) = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": "ann@example.com", "password": "another one", "name": "Ann 2"}),
        )
        .await;
    assert_eq!(
        (s, dup["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("email_taken"))
    );

    let (s, login) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "ann@example.com", "password": "correct horse"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(login["user"]["id"], reg["user"]["id"]);
    for (email, password) in [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", "correct horse"),
    ] {
        let (s, b) = app
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
        );
    }
    for bad in [
        json!({"email": "not-an-email", "password": "long enough", "name": "X"}),
        json!({"email": "x@example.com", "password": "short", "name": "X"}),
        json!({"email": "x@example.com", "password": "long enough", "name": ""}),
        json!({"email": "x@example.com", "password": "long enough"}),
    ] {
        let (s, b) = app.post("/api/auth/register", None, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    }

    let (s, guest) = app.post("/api/auth/guest", None, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(guest["user"]["name"].as_str().unwrap().starts_with("Guest"));
    let (s, _) = app
        .get("/api/reservations", Some(guest["token"].as_str().unwrap()))
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn guests_can_be_switched_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.allow_guests = false).await;
    let (s, b) = app.post("/api/auth/guest", None, json!({})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("guests_disabled"))
    );
}

/// The configured administrator can log in and create events with the token it gets.
async fn bootstrap_admin(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.admin_email = Some("boss@example.com".into());
        c.admin_password = Some("admin password".into());
    })
    .await;
    let (s, login) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "boss@example.com", "password": "admin password"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(login["user"]["role"], "admin");
    let (s, _) = app
        .post(
            "/api/admin/events",
            login["token"].as_str(),
            json!({"name": "Boss show", "startsAt": "2027-01-01T20:00:00Z", "ticketTypes": [{"name": "GA", "price": 0, "quantity": 5}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

on_both_databases!(register_login_guest, bootstrap_admin);

/// A fresh embedded start with no configuration: SQLite under the data dir, a generated
/// secret kept across restarts, and the demo events (English in USD, Seoul in KRW).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_embedded_start_has_demo_event() {
    use clap::Parser;
    let dir =
        std::env::temp_dir().join(format!("boxoffice-fresh-{}", uuid::Uuid::new_v4().simple()));
    let db = format!("sqlite://{}/boxoffice.db", dir.display());
    let config = || {
        let mut c = Config::parse_from(["boxoffice", "--port", "0", "--host", "127.0.0.1"]);
        // Only the locations differ from a bare start; no secret, no admin.
        c.data_dir = dir.clone();
        c.database_url = db.clone();
        c.jwt_secret = None;
        c.redis_url = None;
        c.redis_host = None;
        c
    };
    let app = TestApp::spawn_config(config()).await;
    let (s, events) = app.get("/api/events", None).await;
    assert_eq!(s, StatusCode::OK);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    let demo = &events[0];
    assert_eq!(demo["name"], "Boxoffice Live: Opening Night");
    assert_eq!(
        (demo["currency"].as_str(), demo["timeZone"].as_str()),
        (Some("USD"), Some("UTC"))
    );
    let seoul = &events[1];
    assert_eq!(
        (seoul["currency"].as_str(), seoul["timeZone"].as_str()),
        (Some("KRW"), Some("Asia/Seoul"))
    );
    let won: Vec<i64> = seoul["ticketTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["price"].as_i64().unwrap())
        .collect();
    assert!(won.contains(&99_000) && won.contains(&154_000), "{won:?}");
    assert!(app.seats(seoul["id"].as_str().unwrap()).await.len() >= 100);
    assert_eq!(demo["hasSeatMap"], true);
    let types = demo["ticketTypes"].as_array().unwrap();
    let seated: Vec<_> = types.iter().filter(|t| t["seated"] == true).collect();
    let ga: Vec<_> = types.iter().filter(|t| t["seated"] == false).collect();
    assert!(seated.len() >= 3 && ga.len() == 2);
    let mut prices: Vec<i64> = seated
        .iter()
        .map(|t| t["price"].as_i64().unwrap())
        .collect();
    prices.dedup();
    assert_eq!(prices.len(), seated.len(), "sections have different prices");
    let seats = app.seats(demo["id"].as_str().unwrap()).await;
    assert!(seats.len() >= 300);
    let sections: std::collections::HashSet<_> = seats
        .iter()
        .map(|s| s["section"].as_str().unwrap().to_string())
        .collect();
    assert!(sections.len() >= 3);

    let (_, guest) = app.post("/api/auth/guest", None, json!({})).await;
    let token = guest["token"].as_str().unwrap().to_string();
    assert!(dir.join("jwt_secret").exists());
    app.stop().await;

    // Restart over the same data: no more demo events, and the old session still works.
    let app = TestApp::spawn_config(config()).await;
    let (_, events) = app.get("/api/events", None).await;
    assert_eq!(events.as_array().unwrap().len(), 2);
    let (s, _) = app.get("/api/reservations", Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "sessions survive a restart");

    // A database an older version seeded (the English demo only) gets the Seoul one on its
    // next start, once.
    let seoul_id = seoul["id"].as_str().unwrap();
    let db = app.db().await;
    for sql in [
        "DELETE FROM seats WHERE event_id = $1",
        "DELETE FROM ticket_types WHERE event_id = $1",
        "DELETE FROM events WHERE id = $1",
    ] {
        sqlx::query(sql).bind(seoul_id).execute(&db).await.unwrap();
    }
    sqlx::query("DELETE FROM seeds WHERE name = 'demo-event-seoul'")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    app.stop().await;
    for _ in 0..2 {
        let app = TestApp::spawn_config(config()).await;
        let (_, events) = app.get("/api/events", None).await;
        let currencies: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["currency"].as_str().unwrap())
            .collect();
        assert_eq!(currencies, ["USD", "KRW"]);
        app.stop().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cluster_mode_requires_a_shared_secret() {
    let mut c = crate::helpers::test_config(crate::helpers::fresh_database(Backend::Sqlite).await);
    c.jwt_secret = None;
    c.redis_url = Some("redis://127.0.0.1:6379".into());
    let err = boxoffice::Application::build(c)
        .await
        .err()
        .expect("refuses to start");
    assert!(err.to_string().contains("JWT_SECRET"), "{err}");
}

/// Several instances starting together on one empty PostgreSQL database seed one demo
/// event, not one each. (SQLite is the single-instance mode.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_seed_once() {
    let url = crate::helpers::fresh_database(Backend::Postgres).await;
    let config = || {
        let mut c = crate::helpers::test_config(url.clone());
        c.seed_demo = true;
        c
    };
    let (a, b, c) = tokio::join!(
        boxoffice::Application::build(config()),
        boxoffice::Application::build(config()),
        boxoffice::Application::build(config()),
    );
    let (a, _b, _c) = (a.unwrap(), b.unwrap(), c.unwrap());
    let events = a.state().inventory.events().await.unwrap();
    // The English demo and the Seoul one, each once.
    assert_eq!(events.len(), 2, "two demo events: {events:?}");
    let mut currencies: Vec<&str> = events.iter().map(|e| e.currency.code()).collect();
    currencies.sort();
    assert_eq!(currencies, ["KRW", "USD"]);
}

/// Password hashing runs one hash per permit; a sign-in that finds every permit taken for
/// the whole wait gets `503 auth_busy` with `Retry-After` (and is counted), not a 19 MiB
/// allocation of its own. Here: one permit, no wait, twelve wrong logins at once.
async fn password_hashing_is_bounded(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.password_hash_concurrency = 1;
        c.password_hash_wait_ms = 0;
        c.auth_rate_per_ip = 0.0;
    })
    .await;
    let (s, _) = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": "busy@example.com", "password": "right password", "name": "B"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let attempts = (0..12).map(|i| {
        let email = if i % 2 == 0 {
            "busy@example.com".to_string()
        } else {
            format!("nobody{i}@example.com")
        };
        app.client
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": email, "password": "wrong password"}))
            .send()
    });
    let answers = futures::future::join_all(attempts).await;
    let (mut refused, mut wrong) = (0, 0);
    for r in answers {
        let r = r.unwrap();
        match r.status() {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry: u64 = r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry >= 1);
                let b: serde_json::Value = r.json().await.unwrap();
                assert_eq!(b["error"]["code"], "auth_busy");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused >= 1 && wrong >= 1,
        "{wrong} checked, {refused} refused"
    );
    let (_, m) = app.get("/api/metrics", Some(&app.admin_token())).await;
    assert_eq!(m["authBusy"], refused, "{m}");
    // Once the crowd is gone, the right password works.
    let (s, b) = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "busy@example.com", "password": "right password"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// `/api/metrics` is for administrators; every answer (API, errors, the web app) carries
/// nosniff, a Referrer-Policy and the Content-Security-Policy with frame-ancestors 'none';
/// hyper's header bounds answer 431.
async fn metrics_are_private_and_answers_carry_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, b) = app.get("/api/metrics", None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth_required"))
    );
    let (s, b) = app.get("/api/metrics", Some(&app.token("nosy"))).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_only"))
    );
    let (s, b) = app.get("/api/metrics", Some(&app.admin_token())).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        b["authBusy"].is_u64() && b["socketsConnected"].is_u64(),
        "{b}"
    );

    for path in [
        "/api/health",
        "/api/events/nope",
        "/api/metrics",
        "/",
        "/events/x",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert_eq!(
            csp,
            boxoffice::http::security::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    }

    // Hyper's defaults bound the request head: at most 100 headers, ~408 KiB in all.
    let mut conn = crate::helpers::RawConn::connect(&app).await;
    let many: String = (0..120).map(|i| format!("x-h{i}: v\r\n")).collect();
    conn.send(format!("GET /api/health HTTP/1.1\r\nhost: t\r\n{many}\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(conn.read_response().await.unwrap().status, 431);
    // Beyond hyper's bounds, heads over 32 KiB are refused here, and the connection closed.
    for kib in [40, 300, 500, 2048] {
        let mut conn = crate::helpers::RawConn::connect(&app).await;
        let huge = "a".repeat(kib * 1024);
        let _ = conn
            .send(
                format!("GET /api/health HTTP/1.1\r\nhost: t\r\nx-big: {huge}\r\n\r\n").as_bytes(),
            )
            .await;
        let r = conn.read_response().await;
        if kib < 400 {
            let r = r.unwrap();
            assert_eq!(r.status, 431, "{kib} KiB");
            assert_eq!(r.json()["error"]["code"], "headers_too_large");
            assert_eq!(r.header("connection"), Some("close"));
        } else if let Ok(r) = r {
            // Refused by hyper or by us; hyper may also close before answering.
            assert_eq!(r.status, 431, "{kib} KiB");
        }
    }
    let (_, m) = app.get("/api/metrics", Some(&app.admin_token())).await;
    assert!(m["headersTooLarge"].as_u64().unwrap() >= 2, "{m}");
}

on_both_databases!(
    password_hashing_is_bounded,
    metrics_are_private_and_answers_carry_security_headers
);

/// Embedded mode's data dir is the owner's only: 0700, and the database, its -wal/-shm
/// files and the generated JWT secret 0600, also when they existed before with looser modes.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_data_is_private() {
    use clap::Parser;
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir =
        std::env::temp_dir().join(format!("boxoffice-perms-{}", uuid::Uuid::new_v4().simple()));
    let config = || {
        let mut c = Config::parse_from(["boxoffice", "--port", "0", "--host", "127.0.0.1"]);
        c.data_dir = dir.clone();
        c.database_url = format!("sqlite://{}/boxoffice.db", dir.display());
        c.jwt_secret = None;
        c.redis_url = None;
        c.redis_host = None;
        c.seed_demo = false;
        c
    };
    // A fresh start.
    let app = TestApp::spawn_config(config()).await;
    let (s, _) = app.post("/api/auth/guest", None, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let files = [
        "boxoffice.db",
        "boxoffice.db-wal",
        "boxoffice.db-shm",
        "jwt_secret",
    ];
    assert_eq!(mode(&dir), 0o700);
    for f in files {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    app.stop().await;

    // Loosened by hand (as an older version left them): fixed on the next start.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in files {
        let p = dir.join(f);
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let app = TestApp::spawn_config(config()).await;
    let (s, _) = app.post("/api/auth/guest", None, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mode(&dir), 0o700);
    for f in files {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f} after restart");
    }
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// TRUSTED_PROXIES is parsed at start-up; a value that is not a CIDR list stops it.
#[test]
fn bad_trusted_proxies_stop_the_start() {
    use clap::Parser;
    for bad in ["10.0.0.0/33", "nginx", "127.0.0.1/32;10.0.0.0/8", "1.2.3"] {
        let err = Config::try_parse_from(["boxoffice", "--trusted-proxies", bad]);
        assert!(err.is_err(), "{bad} accepted");
    }
    let ok = Config::try_parse_from(["boxoffice", "--trusted-proxies", "127.0.0.1/32, 10.0.0.0/8"])
        .unwrap();
    assert!(ok.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
    assert!(!ok.trusted_proxies.contains("11.0.0.1".parse().unwrap()));
    let none = Config::try_parse_from(["boxoffice"]).unwrap();
    assert!(none.trusted_proxies.is_empty() || std::env::var("TRUSTED_PROXIES").is_ok());
}

/// Rotating JWT_SECRET: A signs with the old key; B signs with a new one and accepts the old
/// (JWT_ACCEPT_SECRETS); C knows only the new one. They share the database and the line, as
/// the instances of one deployment mid-rotation do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_secrets_keep_people_signed_in_across_a_rotation() {
    const NEW: &str = "new-secret-new-secret-new-secret-0123";
    let database_url = crate::helpers::fresh_database(Backend::Postgres).await;
    let prefix = format!("bo-test-{}", uuid::Uuid::new_v4().simple());
    let config = |secret: &str, accept: Option<&str>| {
        let mut c = crate::helpers::test_config(database_url.clone());
        c.redis_url = Some(crate::helpers::redis_url());
        c.redis_prefix = prefix.clone();
        c.jwt_secret = Some(secret.into());
        c.jwt_accept_secrets = accept.map(str::to_string);
        c
    };
    let old = crate::helpers::SECRET;
    let a = TestApp::spawn_config(config(old, None)).await;
    let b = TestApp::spawn_config(config(NEW, Some(&format!(" {old} ,")))).await;
    let c = TestApp::spawn_config(config(NEW, None)).await;

    let event = a.simple_event(1, 4, 0).await;
    let event_id = crate::helpers::id(&event);
    let seats = crate::helpers::seat_ids(&a.seats(&event_id).await);
    let (s, guest) = a.post("/api/auth/guest", None, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{guest}");
    let session = guest["token"].as_str().unwrap().to_string();
    let user_id = guest["user"]["id"].as_str().unwrap().to_string();
    let admission = a.admission(&session, &event_id).await;
    let hold = |app: &TestApp, session: &str, seat: &str| {
        app.client
            .post(app.url("/api/seats/reserve"))
            .bearer_auth(session)
            .header("X-Admission-Token", admission.as_str())
            .json(&json!({"eventId": event_id, "seatIds": [seat]}))
    };

    // B accepts A's session and admission.
    let (s, body) = b.get("/api/reservations", Some(&session)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = b.send(hold(&b, &session, &seats[0])).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    // C refuses both: the session with 401, and the admission even beside a session C
    // accepts (one signed with the new key for the same user).
    let (s, body) = c.get("/api/reservations", Some(&session)).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    let (s, body) = c.send(hold(&c, &session, &seats[1])).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    let renewed = boxoffice::auth::Jwt::new(NEW.as_bytes(), 600)
        .unwrap()
        .issue(
            &boxoffice::ids::UserId::parse(&user_id).unwrap(),
            boxoffice::auth::Role::User,
            None,
        )
        .unwrap();
    let (s, body) = c.send(hold(&c, &renewed, &seats[1])).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_admitted")),
        "{body}"
    );

    // B signs with the new key only: C accepts its sessions, A does not.
    let (s, guest) = b.post("/api/auth/guest", None, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{guest}");
    let fresh = guest["token"].as_str().unwrap();
    assert_eq!(
        c.get("/api/reservations", Some(fresh)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        a.get("/api/reservations", Some(fresh)).await.0,
        StatusCode::UNAUTHORIZED
    );

    for app in [a, b, c] {
        app.stop().await;
    }
}

#[test]
fn short_accepted_secrets_stop_the_start() {
    let mut c = Config::for_tests("sqlite::memory:");
    c.jwt_accept_secrets = Some(format!("{},tiny-key", "k".repeat(32)));
    let e = c.accepted_secrets().unwrap_err().to_string();
    assert!(e.contains("key 2 of 2"), "{e}");
    assert!(!e.contains("tiny"), "the key is not shown: {e}");
    c.jwt_accept_secrets = Some(" , ".into());
    assert!(c.accepted_secrets().unwrap().is_empty());
}
