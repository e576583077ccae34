//! The operator console's controls (issue 15): `PATCH /api/admin/events/{id}`, field-level
//! validation errors, paused sales, the audit trail, and the orders CSV.

use crate::helpers::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use std::io::Read;

async fn patch(
    app: &TestApp,
    event_id: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .patch(app.url(&format!("/api/admin/events/{event_id}")))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    app.send(req).await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn patch_changes_settings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(2, 5, 10).await;
    let event_id = id(&event);
    assert_eq!(event["salesPaused"], false);
    assert_eq!(event["waitingRoom"], "auto");

    let admin = app.admin_token();
    let (s, b) = patch(
        &app,
        &event_id,
        Some(&admin),
        json!({"name": "Renamed", "capacity": 7, "admitRatePerSec": 2.5, "holdSeconds": 30,
               "salesPaused": true, "waitingRoom": "on", "saleOpensAt": "2026-02-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["name"], "Renamed");
    assert_eq!(b["capacity"], 7);
    assert_eq!(b["admitRatePerSec"], 2.5);
    assert_eq!(b["holdSeconds"], 30);
    assert_eq!(b["salesPaused"], true);
    assert_eq!(b["waitingRoom"], "on");
    assert_eq!(b["saleOpensAt"], "2026-02-01T00:00:00Z");
    assert_eq!(
        b["queue"]["capacity"], 7,
        "the answer is GET /api/events/{{id}}'s shape"
    );
    // Untouched fields stay.
    assert_eq!(b["venue"], "Test Hall");
    assert_eq!(b["ticketTypes"], event["ticketTypes"]);

    // The catalogue and the event page show it.
    let got = app.event(&event_id).await;
    assert_eq!(
        (got["capacity"].as_i64(), got["salesPaused"].as_bool()),
        (Some(7), Some(true))
    );
    let (_, list) = app.get("/api/events", None).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event_id.as_str())
        .unwrap();
    assert_eq!(listed["waitingRoom"], "on");
    assert_eq!(listed["salesPaused"], true);

    // An empty patch changes nothing and answers the event.
    let (s, b) = patch(&app, &event_id, Some(&admin), json!({})).await;
    assert_eq!((s, b["capacity"].as_i64()), (StatusCode::OK, Some(7)));
    app.stop().await;
}

async fn patch_refusals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&app.simple_event(1, 2, 1).await);
    let admin = app.admin_token();

    let (s, b) = patch(&app, &event_id, None, json!({"capacity": 5})).await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "auth_required"));
    let (s, b) = patch(
        &app,
        &event_id,
        Some(&app.token("shopper")),
        json!({"capacity": 5}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "admin_only"));
    let (s, b) = patch(&app, "nosuchevent", Some(&admin), json!({"capacity": 5})).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "event_not_found"));
    let (s, b) = patch(
        &app,
        &event_id,
        Some(&admin),
        json!({"capacity": 5, "colour": "red"}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_body"));
    let (s, b) = patch(&app, &event_id, Some(&admin), json!({"ticketTypes": []})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_body"),
        "ticket types are not patched"
    );
    let (s, b) = patch(&app, &event_id, Some(&admin), json!({"salesPaused": "yes"})).await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_body"));

    // Every bad field, each under its path; nothing changed.
    let (s, b) = patch(
        &app,
        &event_id,
        Some(&admin),
        json!({"name": " ", "capacity": 0, "admitRatePerSec": 0, "holdSeconds": 100000,
               "startsAt": "tomorrow", "waitingRoom": "maybe", "maxTicketsPerCustomer": 5}),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_field"),
        "{b}"
    );
    assert_eq!(b["error"]["field"], "name");
    let fields: Vec<&str> = b["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "startsAt",
            "capacity",
            "admitRatePerSec",
            "holdSeconds",
            "waitingRoom"
        ]
    );
    assert_eq!(
        b["error"]["fields"][2]["message"],
        "capacity must be between 1 and 10000000"
    );
    assert_eq!(b["error"]["message"], b["error"]["fields"][0]["message"]);
    let got = app.event(&event_id).await;
    assert_eq!(
        (
            got["capacity"].as_i64(),
            got["maxTicketsPerCustomer"].as_i64()
        ),
        (Some(1000), Some(10))
    );
    app.stop().await;
}

async fn create_names_every_bad_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, b) = app
        .post(
            "/api/admin/events",
            Some(&app.admin_token()),
            json!({
                "name": "Gala", "startsAt": "2027-06-01T19:00:00Z", "capacity": 0,
                "ticketTypes": [{"name": "A", "price": 100}, {"name": "", "price": -1}],
                "seatMap": {"sections": [
                    {"name": "S", "rows": 2, "seatsPerRow": 2, "ticketTypeIndex": 0},
                    {"name": "T", "rows": 0, "seatsPerRow": 2, "ticketTypeIndex": 9}
                ]}
            }),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_field"),
        "{b}"
    );
    assert_eq!(b["error"]["field"], "capacity");
    assert_eq!(
        b["error"]["fields"],
        json!([
            {"field": "capacity", "message": "capacity must be between 1 and 10000000"},
            {"field": "seatMap.sections[1].rows", "message": "seatMap.sections[1].rows must be between 1 and 100"},
            {"field": "seatMap.sections[1].ticketTypeIndex", "message": "ticketTypeIndex must point into ticketTypes"},
            {"field": "ticketTypes[1].name", "message": "ticketTypes[1].name must be 1-100 characters, without control characters"},
            {"field": "ticketTypes[1].price", "message": "ticketTypes[1].price must be between 0 and 100000000 minor units of USD (at most USD 1,000,000.00)"},
        ])
    );
    let (_, list) = app.get("/api/events", None).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing was created"
    );
    app.stop().await;
}

async fn paused_sales_refuse_holds_but_not_payments(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 4, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats: Vec<String> = app.seats(&event_id).await.iter().map(id).collect();
    let ann = app.token("ann");
    let bob = app.token("bob");
    let (s, held) = app.buy(&ann, &event_id, &ga, 2).await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    let rid = id(&held["reservation"]);
    let bob_admission = app.admission(&bob, &event_id).await;
    let hold_as_bob = |body: Value, path: &'static str| {
        app.send(
            app.client
                .post(app.url(path))
                .bearer_auth(&bob)
                .header("X-Admission-Token", &bob_admission)
                .json(&body),
        )
    };

    let admin = app.admin_token();
    let (s, _) = patch(&app, &event_id, Some(&admin), json!({"salesPaused": true})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = hold_as_bob(
        json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 1}),
        "/api/reservations",
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "sales_paused"), "{b}");
    assert_eq!(b["error"]["message"], "Sales are paused");
    let (s, b) = hold_as_bob(
        json!({"eventId": event_id, "seatIds": [seats[0]]}),
        "/api/seats/reserve",
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "sales_paused"), "{b}");
    assert_eq!(app.remaining(&event_id, 0).await, 4, "no seat moved");

    // A hold made before the pause can still be paid.
    let (s, paid) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(&ann),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!(paid["reservation"]["status"], "paid");

    let (s, _) = patch(&app, &event_id, Some(&admin), json!({"salesPaused": false})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = hold_as_bob(
        json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 1}),
        "/api/reservations",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "resumed: {b}");
    app.stop().await;
}

async fn admin_actions_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&app.simple_event(1, 2, 1).await);
    let admin = app.admin_token();
    let (s, _) = patch(
        &app,
        &event_id,
        Some(&admin),
        json!({"capacity": 3, "venue": "Test Hall"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // A refused patch and a patch that changes nothing leave no row.
    patch(&app, &event_id, Some(&admin), json!({"capacity": -1})).await;
    patch(&app, &event_id, Some(&admin), json!({"capacity": 3})).await;

    let db = app.db().await;
    let rows = sqlx::query(
        "SELECT admin_id, action, event_id, details FROM admin_actions ORDER BY at, action",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let rows: Vec<(String, String, String, Value)> = rows
        .iter()
        .map(|r| {
            (
                r.get("admin_id"),
                r.get("action"),
                r.get("event_id"),
                serde_json::from_str(&r.get::<String, _>("details")).unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("admin-1", "event.create")
    );
    assert_eq!(rows[0].2, event_id);
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("admin-1", "event.update")
    );
    assert_eq!(
        rows[1].3,
        json!({"changes": [{"field": "capacity", "old": 1000, "new": 3}]}),
        "only what changed, old and new"
    );
    app.stop().await;
}

async fn orders_csv(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 4, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats: Vec<String> = app.seats(&event_id).await.iter().map(id).collect();

    // A buyer whose name is a formula and has a comma and quotes in it.
    let (s, reg) = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": "eve@example.com", "password": "correct horse", "name": "=HYPERLINK(\"x\",\"y\")"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{reg}");
    let eve = reg["token"].as_str().unwrap().to_string();
    let eve_id = reg["user"]["id"].as_str().unwrap().to_string();
    let (_, seated) = app.hold(&eve, &event_id, &seats[..2]).await;
    let seated_id = id(&seated["reservation"]);
    app.post(
        &format!("/api/reservations/{seated_id}/pay"),
        Some(&eve),
        json!({}),
    )
    .await;
    // A buyer unknown to the database (another issuer's token), general admission.
    let bob = app.token("bob");
    let (_, ga_hold) = app.buy(&bob, &event_id, &ga, 3).await;
    let ga_id = id(&ga_hold["reservation"]);
    app.clock.advance(std::time::Duration::from_secs(5));
    let (s, _) = app
        .post(
            &format!("/api/reservations/{ga_id}/pay"),
            Some(&bob),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // A pending hold is no order.
    app.buy(&app.token("cat"), &event_id, &ga, 1).await;

    let path = format!("/api/admin/events/{event_id}/orders.csv");
    let resp = app
        .client
        .get(app.url(&path))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let header = |n: &str| resp.headers()[n].to_str().unwrap().to_string();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"{event_id}-orders.csv\"")
    );
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        "order_id,paid_at,user_id,email,name,ticket_type,seats,quantity,amount,currency"
    );
    let paid_at = lines[1].split(',').nth(1).unwrap();
    assert!(
        paid_at.ends_with('Z') && paid_at.starts_with("20"),
        "RFC 3339: {paid_at}"
    );
    assert_eq!(
        lines[1],
        format!(
            "{seated_id},{paid_at},{eve_id},eve@example.com,\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",Seated,A/A/1; A/A/2,2,10000,USD"
        ),
        "quoted (RFC 4180) and the formula defused"
    );
    assert_eq!(
        lines[2].split(',').collect::<Vec<_>>()[2..],
        ["bob", "", "", "Standing", "", "3", "6000", "USD"],
        "{}",
        lines[2]
    );

    // Compressed when the client accepts it (the compression layer): the same file, complete.
    // The stream used to be polled again after its end under gzip and br, a panic.
    for encoding in ["gzip", "br"] {
        let resp = app
            .client
            .get(app.url(&path))
            .bearer_auth(app.admin_token())
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-encoding"], encoding);
        let body = resp.bytes().await.expect("the whole compressed body");
        if encoding == "gzip" {
            let mut unpacked = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut unpacked)
                .unwrap();
            assert_eq!(unpacked, text);
        }
    }

    // Shoppers may not; the export is audited.
    let (s, b) = app.get(&path, Some(&bob)).await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "admin_only"));
    let (s, b) = app.get(&path, None).await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "auth_required"));
    let (s, b) = app
        .get(
            "/api/admin/events/nosuchevent/orders.csv",
            Some(&app.admin_token()),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "event_not_found"));
    let db = app.db().await;
    let exports: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM admin_actions WHERE action = 'orders.export' AND event_id = $1",
    )
    .bind(&event_id)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(exports, 3, "the plain, gzip and br downloads");
    app.stop().await;
}

/// Two servers on one database (no Redis): a pause through one reaches the other's cached
/// terms within a second, through its settings watcher alone.
async fn a_second_instance_follows_within_a_second(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let mut config = crate::helpers::test_config(first.database_url.clone());
    config.database_max_connections = 5;
    let second = TestApp::spawn_config(config).await;
    let event = first.simple_event(1, 2, 100).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    // Room for every hold made while polling for the pause.
    let admin = first.admin_token();
    let (s, _) = patch(
        &first,
        &event_id,
        Some(&admin),
        json!({"maxTicketsPerCustomer": 10000}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let ann = second.token("ann");
    let admission = second.admission(&ann, &event_id).await;
    let hold = || {
        second.send(
            second
                .client
                .post(second.url("/api/reservations"))
                .bearer_auth(&ann)
                .header("X-Admission-Token", &admission)
                .json(&json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 1})),
        )
    };
    // The second instance has the event's terms cached now.
    assert_eq!(hold().await.0, StatusCode::CREATED);

    let (s, _) = patch(
        &first,
        &event_id,
        Some(&first.admin_token()),
        json!({"salesPaused": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let paused_at = std::time::Instant::now();
    loop {
        let (s, b) = hold().await;
        if s == StatusCode::CONFLICT && code(&b) == "sales_paused" {
            eprintln!(
                "the second instance refused holds {:?} after the pause",
                paused_at.elapsed()
            );
            break;
        }
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert!(
            paused_at.elapsed() < std::time::Duration::from_secs(1),
            "the second instance still sells a second after the pause"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    second.stop().await;
    first.stop().await;
}

on_both_databases!(
    a_second_instance_follows_within_a_second,
    orders_csv,
    patch_changes_settings,
    patch_refusals,
    create_names_every_bad_field,
    paused_sales_refuse_holds_but_not_payments,
    admin_actions_are_audited,
);
