//! `GET /metrics`: the Prometheus text format, guarded by `METRICS_TOKEN` (and the per-IP
//! bucket for anyone without it), and figures that follow what really happened: holds by
//! outcome and their latency, tickets sold, expired holds, the line's gauges and
//! admissions, requests by route, pushes from commit to emit. Each test's server has its own
//! registry, so the figures are exact. The Grafana dashboard only queries metrics a real
//! scrape has.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::helpers::{id, seat_ids, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// One scrape, parsed: every sample as (name, labels, value).
struct Scrape {
    samples: Vec<(String, HashMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut samples = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (series, value) = line.rsplit_once(' ').expect("sample line");
            let value: f64 = if value == "+Inf" {
                f64::INFINITY
            } else {
                value.parse().unwrap_or_else(|_| panic!("value in {line}"))
            };
            let (name, labels) = match series.split_once('{') {
                None => (series.to_string(), HashMap::new()),
                Some((name, rest)) => {
                    let body = rest.strip_suffix('}').expect("closing brace");
                    let labels = body
                        .split("\",")
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let (k, v) = p.split_once("=\"").expect("label");
                            (k.to_string(), v.trim_end_matches('"').to_string())
                        })
                        .collect();
                    (name.to_string(), labels)
                }
            };
            samples.push((name, labels, value));
        }
        Scrape { samples }
    }

    /// The sum of every sample of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|(n, _, _)| n == name)
    }

    /// Metric family names: samples' names less the histogram suffixes.
    fn families(&self) -> BTreeSet<String> {
        self.samples
            .iter()
            .map(|(n, _, _)| {
                ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|s| n.strip_suffix(s))
                    .unwrap_or(n)
                    .to_string()
            })
            .collect()
    }
}

async fn raw_scrape(app: &TestApp, auth: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url("/metrics"));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req.send().await.expect("scrape sent")
}

async fn scrape(app: &TestApp) -> Scrape {
    let resp = raw_scrape(app, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(&resp.text().await.unwrap())
}

async fn error_code(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_token_guards_the_scrape_and_guessing_is_rate_limited() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics_token = Some("prometheus-secret-token".into());
        c.auth_rate_per_ip = 1.0; // a burst of 4, then one a second
    })
    .await;
    let resp = raw_scrape(&app, None).await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        error_code(resp).await,
        (StatusCode::UNAUTHORIZED, "auth_required".into())
    );
    for wrong in ["Bearer prometheus-secret-tokeN", "Basic cHJvbWV0aGV1cw=="] {
        let (status, code) = error_code(raw_scrape(&app, Some(wrong)).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}");
        let expected = if wrong.starts_with("Bearer") {
            "invalid_token"
        } else {
            "auth_required"
        };
        assert_eq!(code, expected);
    }
    // Each attempt spent a token of this address's identity bucket: the fourth was the last.
    let (_, code) = error_code(raw_scrape(&app, Some("Bearer guess")).await).await;
    assert_eq!(code, "invalid_token");
    let resp = raw_scrape(&app, Some("Bearer guess-again")).await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(
        error_code(resp).await,
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into())
    );
    // The right token is never limited.
    for _ in 0..3 {
        let resp = raw_scrape(&app, Some("Bearer prometheus-secret-token")).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let text = resp.text().await.unwrap();
        let s = Scrape::parse(&text);
        assert_eq!(s.sum("boxoffice_rate_limited_total", &[]), 1.0);
        assert_eq!(
            s.sum(
                "boxoffice_build_info",
                &[
                    ("backend", "sqlite"),
                    ("coordination", "memory"),
                    ("version", env!("CARGO_PKG_VERSION"))
                ]
            ),
            1.0
        );
    }
    // A body is bounded as everywhere else.
    let resp = app
        .client
        .get(app.url("/metrics"))
        .header("Authorization", "Bearer prometheus-secret-token")
        .body(vec![b'x'; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

/// The scenario behind the figures: on event E, a hold made and paid (2 seats), a hold
/// refused (the same seats), general admission held (3) and left to expire; a hold on an
/// event nobody knows; on event L (capacity 1), a line with one waiting and one admitted
/// by a tick.
async fn figures_follow_what_happened(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(2, 5, 20).await;
    let e = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&e).await);
    let (alice, bob, carol) = (app.token("alice"), app.token("bob"), app.token("carol"));

    let (s, held) = app.hold(&alice, &e, &seats[..2]).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, refused) = app.hold(&bob, &e, &seats[..2]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(refused["error"]["code"], "seat_unavailable");
    let (s, _) = app.buy(&carol, &e, &ga, 3).await;
    assert_eq!(s, StatusCode::CREATED);
    let res = held["reservation"]["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/reservations/{res}/pay"),
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // A hold on an event id that names nothing: counted, but not under that id.
    let nowhere = format!("{}x", &e[..e.len() - 1]);
    let (s, body) = app
        .send(
            app.client
                .post(app.url("/api/seats/reserve"))
                .bearer_auth(&bob)
                .header("X-Admission-Token", "nonsense")
                .json(&json!({"eventId": nowhere, "seatIds": [seats[5]]})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "event_not_found");
    // Carol's hold runs out.
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 1);

    // A line: capacity 1, so the second joiner waits until the first leaves.
    let line = app
        .create_event(json!({
            "name": "Tiny room", "startsAt": "2027-06-01T19:00:00Z", "capacity": 1,
            "admitRatePerSec": 100,
            "ticketTypes": [{"name": "GA", "price": 1000, "quantity": 10}]
        }))
        .await;
    let l = id(&line);
    for user in ["dan", "erin"] {
        let (s, _) = app
            .post(
                "/api/queue/join",
                Some(&app.token(user)),
                json!({"eventId": l}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    app.clock.advance(Duration::from_secs(1));
    app.state.waiting_room.tick_all().await.unwrap();
    let m = scrape(&app).await;
    assert_eq!(m.sum("boxoffice_queue_waiting", &[("event", &l)]), 1.0);
    assert_eq!(
        m.sum("boxoffice_queue_active_shoppers", &[("event", &l)]),
        1.0
    );
    assert_eq!(m.sum("boxoffice_admissions_total", &[("event", &l)]), 0.0);
    let (s, _) = app
        .post(
            "/api/queue/leave",
            Some(&app.token("dan")),
            json!({"eventId": l}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(app.state.waiting_room.tick_all().await.unwrap(), 1);

    // Pushes are emitted a batch window after their commit: wait for all four of E's
    // changes (held, held, paid, expired) to have gone out.
    let mut m = scrape(&app).await;
    for _ in 0..100 {
        if m.sum("boxoffice_push_latency_seconds_count", &[]) >= 4.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        m = scrape(&app).await;
    }
    assert_eq!(m.sum("boxoffice_push_latency_seconds_count", &[]), 4.0);
    assert!(m.sum("boxoffice_pushes_out_total", &[]) >= 1.0);

    let on_e = |outcome: &'static str| [("event", e.as_str()), ("outcome", outcome)];
    assert_eq!(m.sum("boxoffice_holds_total", &on_e("ok")), 2.0);
    assert_eq!(
        m.sum("boxoffice_holds_total", &on_e("seat_unavailable")),
        1.0
    );
    assert_eq!(m.sum("boxoffice_holds_total", &[("event", &e)]), 3.0);
    assert_eq!(
        m.sum(
            "boxoffice_holds_total",
            &[("event", "unknown"), ("outcome", "event_not_found")]
        ),
        1.0
    );
    assert_eq!(m.sum("boxoffice_holds_total", &[("event", &nowhere)]), 0.0);
    assert_eq!(
        m.sum("boxoffice_hold_duration_seconds_count", &[("event", &e)]),
        3.0
    );
    assert_eq!(
        m.sum(
            "boxoffice_hold_duration_seconds_bucket",
            &[("event", &e), ("le", "+Inf")]
        ),
        3.0
    );
    assert!(m.sum("boxoffice_hold_duration_seconds_sum", &[("event", &e)]) > 0.0);
    assert_eq!(m.sum("boxoffice_tickets_sold_total", &[("event", &e)]), 2.0);
    assert_eq!(
        m.sum("boxoffice_holds_expired_total", &[("event", &e)]),
        1.0
    );
    let cause = |c: &'static str| [("event", e.as_str()), ("cause", c)];
    assert_eq!(
        m.sum("boxoffice_reservation_changes_total", &cause("held")),
        2.0
    );
    assert_eq!(
        m.sum("boxoffice_reservation_changes_total", &cause("paid")),
        1.0
    );
    assert_eq!(
        m.sum("boxoffice_reservation_changes_total", &cause("expired")),
        1.0
    );
    assert_eq!(m.sum("boxoffice_customer_limit_total", &[]), 0.0);
    // Three shoppers joined E and were let in at once; on L one was admitted, one waited.
    let joins = |ev: &str, outcome: &'static str| {
        m.sum(
            "boxoffice_queue_joins_total",
            &[("event", ev), ("outcome", outcome)],
        )
    };
    assert_eq!(joins(&e, "admitted"), 3.0);
    assert_eq!((joins(&l, "admitted"), joins(&l, "waiting")), (1.0, 1.0));
    assert_eq!(m.sum("boxoffice_admissions_total", &[("event", &l)]), 1.0);
    assert_eq!(m.sum("boxoffice_queue_waiting", &[("event", &l)]), 0.0);
    assert_eq!(
        m.sum("boxoffice_queue_active_shoppers", &[("event", &l)]),
        1.0
    );

    // Requests by route pattern and status class, never by raw path.
    let reserve = |status: &'static str| {
        m.sum(
            "boxoffice_http_requests_total",
            &[
                ("route", "/api/seats/reserve"),
                ("method", "POST"),
                ("status", status),
            ],
        )
    };
    assert_eq!((reserve("2xx"), reserve("4xx")), (1.0, 2.0));
    assert_eq!(
        m.sum(
            "boxoffice_http_request_duration_seconds_count",
            &[("route", "/api/seats/reserve")]
        ),
        3.0
    );
    assert_eq!(
        m.sum(
            "boxoffice_http_requests_total",
            &[("route", "/api/events/{event_id}/seats"), ("status", "2xx")]
        ),
        1.0
    );
    assert!(!m
        .samples
        .iter()
        .any(|(_, l, _)| l.get("route").is_some_and(|r| r.contains(&e))));

    // Stores: every write began a transaction through the pool.
    assert!(m.sum("boxoffice_db_begin_wait_seconds_count", &[]) >= 5.0);
    assert!(m.has("boxoffice_db_connections"));
    assert!(m.sum("boxoffice_db_connections_max", &[]) >= 1.0);
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(
        m.sum("boxoffice_build_info", &[("backend", backend_name)]),
        1.0
    );

    // The JSON counters for administrators come from the same atomics.
    let (s, json) = app.get("/api/metrics", Some(&app.admin_token())).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        json["pushesOut"].as_f64().unwrap(),
        scrape(&app).await.sum("boxoffice_pushes_out_total", &[])
    );

    // Unmatched paths are one label value, whatever the path.
    for path in ["/api/no/such/thing", "/no-such-page-42"] {
        let _ = app.client.get(app.url(path)).send().await.unwrap();
    }
    let m = scrape(&app).await;
    assert_eq!(
        m.sum("boxoffice_http_requests_total", &[("route", "unmatched")]),
        2.0
    );

    dashboard_queries_exist(&m);
    app.stop().await;
}

on_both_databases!(figures_follow_what_happened);

/// Every metric `deploy/grafana/boxoffice.json` queries is in the scrape.
fn dashboard_queries_exist(m: &Scrape) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/grafana/boxoffice.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("valid JSON");
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() >= 10, "{} queries", exprs.len());
    let families = m.families();
    let mut queried = BTreeSet::new();
    for expr in &exprs {
        let mut rest = expr.as_str();
        while let Some(at) = rest.find("boxoffice_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            let family = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(&name)
                .to_string();
            queried.insert(family);
        }
    }
    let missing: Vec<_> = queried.difference(&families).collect();
    assert!(missing.is_empty(), "the dashboard queries {missing:?}");
}

fn collect_exprs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("expr", Value::String(s)) => out.push(s.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}
