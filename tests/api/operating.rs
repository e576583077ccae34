//! `/healthz` and `/readyz` (`shared/PROTOCOL.md`, Operating): they answer for themselves
//! instead of falling through to the web app, readiness names a store that is gone, and a
//! flood of `/readyz` does not become a flood of probes. (Readiness while draining, and the
//! drain itself, are tested with real processes: `tests/realtime/drain.test.mjs`.)

use std::time::{Duration, Instant};

use crate::helpers::{pg_admin_url, Backend, Line, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;

async fn get(app: &TestApp, path: &str) -> (StatusCode, Option<String>, Value) {
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    let status = resp.status();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (status, kind, resp.json().await.unwrap_or(Value::Null))
}

async fn health_and_readiness(line: Line) {
    let app = TestApp::spawn_line(line).await;
    let (s, kind, body) = get(&app, "/healthz").await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(kind.as_deref(), Some("application/json"));
    let (s, kind, body) = get(&app, "/readyz").await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ready"})));
    assert_eq!(kind.as_deref(), Some("application/json"));
    // `/api/health` is unchanged.
    let (s, body) = app.get("/api/health", None).await;
    assert_eq!((s, &body["status"]), (StatusCode::OK, &json!("ok")));
    app.stop().await;
}

on_both_lines!(health_and_readiness);

/// The database dropped under a running instance (its connections terminated): `/readyz`
/// says so within a couple of seconds; `/healthz` still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_names_a_database_that_is_gone() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (s, _, _) = get(&app, "/readyz").await;
    assert_eq!(s, StatusCode::OK);

    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (s, _, body) = get(&app, "/readyz").await;
        if s == StatusCode::SERVICE_UNAVAILABLE {
            break body;
        }
        assert_eq!(s, StatusCode::OK);
        assert!(
            Instant::now() < deadline,
            "/readyz stayed 200 without a database"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        body,
        json!({"status": "unavailable", "database": "unavailable"})
    );
    let (s, _, _) = get(&app, "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

/// Hundreds of concurrent `/readyz` requests share probes: at most one per second of the
/// flood (plus the one that was running when it started).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readiness_flood_shares_its_probes() {
    let app = TestApp::spawn_line(Line::Redis).await;
    let before = app.state.readiness.probes();
    let started = Instant::now();
    let requests = (0..500).map(|_| get(&app, "/readyz"));
    let answers = futures::future::join_all(requests).await;
    let elapsed = started.elapsed();
    assert!(answers.iter().all(|(s, _, _)| *s == StatusCode::OK));
    let probes = app.state.readiness.probes() - before;
    assert!(
        probes <= elapsed.as_secs() + 2,
        "{probes} probes for 500 requests in {elapsed:?}"
    );
    app.stop().await;
}
