//! Accounts and tokens over HTTP, and what a fresh embedded start looks like.

mod common;

use boxoffice::config::Config;
use common::{Backend, TestApp};
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
/// secret kept across restarts, and the demo event.
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
    let app = TestApp::spawn_config(Backend::Sqlite, config()).await;
    let (s, events) = app.get("/api/events", None).await;
    assert_eq!(s, StatusCode::OK);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1);
    let demo = &events[0];
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

    // Restart over the same data: no second demo event, and the old session still works.
    let app = TestApp::spawn_config(Backend::Sqlite, config()).await;
    let (_, events) = app.get("/api/events", None).await;
    assert_eq!(events.as_array().unwrap().len(), 1);
    let (s, _) = app.get("/api/reservations", Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "sessions survive a restart");
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cluster_mode_requires_a_shared_secret() {
    let mut c = common::test_config(common::fresh_database(Backend::Sqlite).await);
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
    let url = common::fresh_database(Backend::Postgres).await;
    let config = || {
        let mut c = common::test_config(url.clone());
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
    assert_eq!(events.len(), 1, "one demo event");
}
