//! The operators' live figures (`crate::stats`, sent as `admin:stats`): sales from the
//! database after holds, payments, cancellations and refunds; the line's figures; and the
//! instances' published snapshots summed (in one process, the memory coordination sums
//! itself). The cluster over Redis, with three processes, is `tests/realtime/admin-stats.test.mjs`.

use crate::helpers::{id, seat_ids, Backend, Line, TestApp};
use boxoffice::ids::EventId;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn figures(app: &TestApp, event_id: &str) -> Value {
    let stats = app
        .state
        .live
        .stats(&EventId::parse(event_id).unwrap())
        .await
        .expect("figures");
    serde_json::to_value(stats).unwrap()
}

async fn pay(app: &TestApp, token: &str, reservation: &Value) {
    let rid = id(reservation);
    let (s, b) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "pay: {b}");
}

async fn cancel(app: &TestApp, token: &str, reservation: &Value) {
    let rid = id(reservation);
    let (s, b) = app
        .delete(&format!("/api/reservations/{rid}"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "cancel: {b}");
}

async fn sales_follow_holds_pays_and_cancels(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 2 × 5 seats at 50.00, 10 standing at 20.00.
    let event = app.simple_event(2, 5, 10).await;
    let event_id = id(&event);
    let seated = event["ticketTypes"][0]["id"].as_str().unwrap().to_string();
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);

    let f = figures(&app, &event_id).await;
    assert_eq!(f["eventId"], event_id);
    assert_eq!(
        (f["sold"].as_i64(), f["revenue"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(f["seats"], json!({"available": 10, "held": 0, "sold": 0}));
    assert_eq!(
        f["remaining"],
        json!([
            {"ticketTypeId": seated, "remainingQuantity": 10},
            {"ticketTypeId": ga, "remainingQuantity": 10}
        ])
    );
    assert_eq!(f["salesPaused"], false);
    assert_eq!(f["waitingRoom"], "auto");
    assert!(boxoffice::clock::parse_rfc3339(f["at"].as_str().unwrap()).is_some());

    let (ann, bob, cy) = (app.token("ann"), app.token("bob"), app.token("cy"));
    // Ann holds 3 seats and pays; Bob holds 4 standing and pays; Cy holds 2 standing.
    let (s, a) = app.hold(&ann, &event_id, &seats[..3]).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, b) = app.buy(&bob, &event_id, &ga, 4).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, c) = app.buy(&cy, &event_id, &ga, 2).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");

    let f = figures(&app, &event_id).await;
    assert_eq!(
        (f["sold"].as_i64(), f["revenue"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(f["seats"], json!({"available": 7, "held": 3, "sold": 0}));
    assert_eq!(
        f["ticketTypes"][1],
        json!({"ticketTypeId": ga, "name": "Standing", "price": 2000, "total": 10,
               "sold": 0, "held": 6, "remainingQuantity": 4, "revenue": 0})
    );
    // The three admissions (joins let in at once) were counted.
    assert_eq!(f["activeShoppers"], 3);
    assert_eq!(f["waiting"], 0);

    pay(&app, &ann, &a["reservation"]).await;
    pay(&app, &bob, &b["reservation"]).await;
    let f = figures(&app, &event_id).await;
    assert_eq!(f["sold"], 7);
    assert_eq!(f["revenue"], 3 * 5000 + 4 * 2000);
    assert_eq!(f["seats"], json!({"available": 7, "held": 0, "sold": 3}));
    assert_eq!(
        f["ticketTypes"][0],
        json!({"ticketTypeId": seated, "name": "Seated", "price": 5000, "total": 10,
               "sold": 3, "held": 0, "remainingQuantity": 7, "revenue": 15000})
    );
    assert_eq!(f["ticketTypes"][1]["held"], 2);
    assert_eq!(f["ticketTypes"][1]["sold"], 4);
    assert_eq!(f["ticketTypes"][1]["revenue"], 8000);

    // Cy gives up the hold; Ann's paid order is refunded.
    cancel(&app, &cy, &c["reservation"]).await;
    cancel(&app, &ann, &a["reservation"]).await;
    let f = figures(&app, &event_id).await;
    assert_eq!(f["sold"], 4);
    assert_eq!(f["revenue"], 8000);
    assert_eq!(f["seats"], json!({"available": 10, "held": 0, "sold": 0}));
    assert_eq!(
        f["remaining"],
        json!([
            {"ticketTypeId": seated, "remainingQuantity": 10},
            {"ticketTypeId": ga, "remainingQuantity": 6}
        ])
    );
    // What the API says stays what the figures say.
    assert_eq!(app.remaining(&event_id, 1).await, 6);

    // An event that does not exist: 404 event_not_found, not zeroes.
    let missing = app
        .state
        .live
        .stats(&EventId::parse("no-such-event").unwrap())
        .await
        .unwrap_err();
    assert_eq!(missing.code().as_str(), "event_not_found");
    app.stop().await;
}

on_both_databases!(sales_follow_holds_pays_and_cancels);

/// A general-admission-only event has no seats to count.
async fn a_general_admission_event_counts_no_seats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app
        .create_event(json!({
            "name": "Standing Only",
            "venue": "Field",
            "startsAt": "2027-06-01T19:00:00Z",
            "saleOpensAt": "2026-01-01T00:00:00Z",
            "ticketTypes": [{"name": "GA", "price": 1500, "quantity": 100}]
        }))
        .await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][0]["id"].as_str().unwrap().to_string();
    let (s, r) = app.buy(&app.token("ann"), &event_id, &ga, 3).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    pay(&app, &app.token("ann"), &r["reservation"]).await;
    let f = figures(&app, &event_id).await;
    assert_eq!(f["seats"], json!({"available": 0, "held": 0, "sold": 0}));
    assert_eq!(
        (f["sold"].as_i64(), f["revenue"].as_i64()),
        (Some(3), Some(4500))
    );
    app.stop().await;
}

on_both_databases!(a_general_admission_event_counts_no_seats);

/// One instance: its own published snapshot is the cluster (memory coordination sums
/// itself; the Redis one with a private prefix too). Holds made show as holds per second,
/// admissions as admissions per second, over the interval since the last snapshot.
async fn one_instance_sums_itself(line: Line) {
    let app = TestApp::spawn_line(line).await;
    let event = app.simple_event(1, 5, 50).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let live = &app.state.live;
    live.publish().await.unwrap();
    for i in 0..4 {
        let (s, b) = app
            .buy(&app.token(&format!("u{i}")), &event_id, &ga, 1)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // Counted on the instance that made them.
    let counts = app.state.metrics.recorded.live.counts();
    let key = EventId::parse(&event_id).unwrap();
    assert_eq!(counts[&key].holds, 4);
    assert!(counts[&key].admitted >= 4, "{:?}", counts[&key]);

    let own = live.snapshot();
    assert_eq!(own.instance, live.instance());
    // Cumulative counts in the snapshot (the rates are `stats::rates_between`'s, unit-tested;
    // the per-second task may have taken this interval's holds into its own snapshot).
    assert_eq!(own.events[&key].counts, counts[&key]);
    assert!(own.at_ms > 0);
    live.publish().await.unwrap();
    let cluster = live.cluster().await;
    assert_eq!(cluster.instances, 1);
    assert_eq!(cluster.connections, 0);

    // Through the service as the real-time layer reads it.
    let f = figures(&app, &event_id).await;
    assert_eq!(f["instances"], 1);
    assert_eq!(f["connections"], 0);
    assert_eq!(f["pushDrops"], 0);
    assert_eq!(f["ticketTypes"][1]["held"], 4);
    assert!(f["holdsPerSec"].as_f64().unwrap() >= 0.0);
    app.stop().await;
}

on_both_lines!(one_instance_sums_itself);

/// Rates over a known interval: the per-second task publishes while the test makes holds;
/// within a few seconds, some snapshot shows a positive holds-per-second rate.
async fn holds_show_as_a_rate(line: Line) {
    let app = TestApp::spawn_line(line).await;
    let event = app.simple_event(1, 5, 200).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut i = 0;
    loop {
        for _ in 0..5 {
            let (s, b) = app
                .buy(&app.token(&format!("r{i}")), &event_id, &ga, 1)
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            i += 1;
        }
        let f = figures(&app, &event_id).await;
        if f["holdsPerSec"].as_f64().unwrap() > 0.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no rate after {i} holds: {f}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    app.stop().await;
}

on_both_lines!(holds_show_as_a_rate);

/// The operator's settings show as the event has them: paused sales, the waiting room's mode.
async fn settings_show_as_set(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 2, 5).await;
    let event_id = id(&event);
    let f = figures(&app, &event_id).await;
    assert_eq!(
        (&f["salesPaused"], &f["waitingRoom"]),
        (&json!(false), &json!("auto"))
    );
    let (s, b) = app
        .send(
            app.client
                .patch(app.url(&format!("/api/admin/events/{event_id}")))
                .bearer_auth(app.admin_token())
                .json(&json!({"salesPaused": true, "waitingRoom": "on", "capacity": 7})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let f = figures(&app, &event_id).await;
    assert_eq!(
        (&f["salesPaused"], &f["waitingRoom"]),
        (&json!(true), &json!("on"))
    );
    assert_eq!(f["capacity"], 7);
    app.stop().await;
}

on_both_databases!(settings_show_as_set);
