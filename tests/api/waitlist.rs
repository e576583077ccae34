//! The waitlist of sold-out ticket types (issue 16): join only when sold out, FIFO places,
//! re-posting keeps the place, leaving; returned stock (cancel, refund, expiry, a lapsed
//! offer) is offered to the first waiting user and to nobody else; limits; no oversell.

use std::time::Duration;

use crate::helpers::{id, seat_ids, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

/// One row of two seats (type 0) and two standing tickets (type 1); 4 per customer.
async fn small_event(app: &TestApp) -> (String, String, String) {
    let event = app
        .create_event(json!({
            "name": "Sold Out Show",
            "venue": "Small Hall",
            "startsAt": "2027-06-01T19:00:00Z",
            "saleOpensAt": "2026-01-01T00:00:00Z",
            "holdSeconds": 60,
            "maxTicketsPerCustomer": 4,
            "ticketTypes": [
                {"name": "Seated", "price": 5000},
                {"name": "Standing", "price": 2000, "quantity": 2}
            ],
            "seatMap": {"sections": [{"name": "A", "rows": 1, "seatsPerRow": 2, "ticketTypeIndex": 0}]}
        }))
        .await;
    let seated = event["ticketTypes"][0]["id"].as_str().unwrap().to_string();
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    (id(&event), seated, ga)
}

async fn join(app: &TestApp, user: &str, event: &str, kind: &str, q: i64) -> (StatusCode, Value) {
    app.post(
        "/api/waitlist",
        Some(&app.token(user)),
        json!({"eventId": event, "ticketTypeId": kind, "quantity": q}),
    )
    .await
}

/// The user's entry for `kind` (None when not on that waitlist).
async fn entry(app: &TestApp, user: &str, event: &str, kind: &str) -> Option<Value> {
    let (status, body) = app
        .get(&format!("/api/waitlist/{event}"), Some(&app.token(user)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ticketTypeId"] == kind)
        .cloned()
}

async fn pay(app: &TestApp, user: &str, reservation: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/reservations/{reservation}/pay"),
        Some(&app.token(user)),
        json!({}),
    )
    .await
}

/// held + sold <= total on every type, and each customer's count equals their active items.
async fn invariants(app: &TestApp) {
    let db = app.db().await;
    for row in sqlx::query("SELECT total, held, sold FROM ticket_types")
        .fetch_all(&db)
        .await
        .unwrap()
    {
        let (t, h, s): (i64, i64, i64) = (
            row.try_get("total").unwrap(),
            row.try_get("held").unwrap(),
            row.try_get("sold").unwrap(),
        );
        assert!(h >= 0 && s >= 0 && h + s <= t, "{t} {h} {s}");
    }
    let active: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM reservation_items WHERE active = 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let counted: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM customer_tickets",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(active, counted, "customer counts follow the active items");
    let counters: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(held + sold), 0) AS BIGINT) FROM ticket_types",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(active, counters, "counters follow the active items");
}

async fn joins_only_when_sold_out_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (event, seated, ga) = small_event(&app).await;
    let (status, body) = join(&app, "a", &event, &ga, 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_sold_out");
    let (status, body) = join(&app, "a", &event, &seated, 1).await;
    assert_eq!(body["error"]["code"], "not_sold_out", "{status} {body}");

    let (status, held) = app.buy(&app.token("x"), &event, &ga, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    for (i, user) in ["a", "b", "c"].iter().enumerate() {
        let (status, body) = join(&app, user, &event, &ga, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["position"], i as i64 + 1, "{body}");
        assert_eq!(body["quantity"], 1);
        assert_eq!(body["eventId"], event.as_str());
        assert_eq!(body["ticketTypeId"], ga.as_str());
    }
    // Posting again changes the quantity and keeps the place.
    let (status, body) = join(&app, "a", &event, &ga, 2).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["position"].as_i64(), body["quantity"].as_i64()),
        (Some(1), Some(2))
    );
    let b = entry(&app, "b", &event, &ga).await.unwrap();
    assert_eq!(
        (b["position"].as_i64(), b["offer"].is_null()),
        (Some(2), true)
    );
    // Leaving: 204, also when not on it; the ones behind move up.
    let leave = format!("/api/waitlist/{event}/{ga}");
    let (status, _) = app.delete(&leave, Some(&app.token("b"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&leave, Some(&app.token("b"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(entry(&app, "b", &event, &ga).await.is_none());
    assert_eq!(entry(&app, "c", &event, &ga).await.unwrap()["position"], 2);
    // Rejoining goes to the back.
    let (status, body) = join(&app, "b", &event, &ga, 1).await;
    assert_eq!(
        (status, body["position"].as_i64()),
        (StatusCode::CREATED, Some(3))
    );

    // Bounds: per order, per customer (x holds 2 of 4), unknown type, signed out.
    for q in [0, 11, -1] {
        let (status, body) = join(&app, "d", &event, &ga, q).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "invalid_quantity");
    }
    let (status, body) = join(&app, "x", &event, &ga, 3).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "customer_limit");
    assert_eq!(
        (
            body["error"]["limit"].as_i64(),
            body["error"]["remaining"].as_i64()
        ),
        (Some(4), Some(2)),
        "{body}"
    );
    let other = app.simple_event(1, 1, 1).await;
    let foreign = other["ticketTypes"][1]["id"].as_str().unwrap();
    let (status, body) = join(&app, "d", &event, foreign, 1).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("ticket_type_not_found"))
    );
    let (status, _) = app
        .post(
            "/api/waitlist",
            None,
            json!({"eventId": event, "ticketTypeId": ga, "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .get(&format!("/api/waitlist/{}", "nope"), Some(&app.token("a")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    invariants(&app).await;
    app.stop().await;
}

async fn returned_stock_goes_to_the_first_in_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (event, _seated, ga) = small_event(&app).await;
    // x holds one ticket, y bought the other.
    let (_, x_hold) = app.buy(&app.token("x"), &event, &ga, 1).await;
    let (_, y_hold) = app.buy(&app.token("y"), &event, &ga, 1).await;
    let y_res = y_hold["reservation"]["id"].as_str().unwrap().to_string();
    assert_eq!(pay(&app, "y", &y_res).await.0, StatusCode::OK);
    for user in ["a", "b", "c"] {
        assert_eq!(
            join(&app, user, &event, &ga, 1).await.0,
            StatusCode::CREATED
        );
    }

    // Cancel: the unit is withheld from open sale and offered to a only.
    let x_res = x_hold["reservation"]["id"].as_str().unwrap();
    let (status, _) = app
        .delete(&format!("/api/reservations/{x_res}"), Some(&app.token("x")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.buy(&app.token("bot"), &event, &ga, 1).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("sold_out")),
        "{body}"
    );
    app.state.inventory.offer_waiting().await.unwrap();
    let a = entry(&app, "a", &event, &ga).await.unwrap();
    let offer = a["offer"].clone();
    assert_eq!(offer["status"], "pending", "{a}");
    assert_eq!(offer["items"][0]["quantity"], 1);
    assert_eq!(offer["items"][0]["ticketTypeId"], ga.as_str());
    assert!(entry(&app, "b", &event, &ga).await.unwrap()["offer"].is_null());
    assert_eq!(entry(&app, "b", &event, &ga).await.unwrap()["position"], 1);
    assert_eq!(entry(&app, "c", &event, &ga).await.unwrap()["position"], 2);
    assert_eq!(app.remaining(&event, 1).await, 0);
    let (status, _) = app.buy(&app.token("bot"), &event, &ga, 1).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Refund of a paid order: offered to b.
    let (status, _) = app
        .delete(&format!("/api/reservations/{y_res}"), Some(&app.token("y")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.buy(&app.token("bot"), &event, &ga, 1).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.state.inventory.offer_waiting().await.unwrap();
    let b_offer = entry(&app, "b", &event, &ga).await.unwrap()["offer"].clone();
    assert_eq!(b_offer["status"], "pending");
    assert!(entry(&app, "c", &event, &ga).await.unwrap()["offer"].is_null());
    assert_eq!(entry(&app, "c", &event, &ga).await.unwrap()["position"], 1);

    // b pays with the ordinary pay (no admission); a lets the offer lapse: c gets it.
    let (status, paid) = pay(&app, "b", b_offer["id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["reservation"]["status"], "paid");
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 1);
    let (status, _) = app.buy(&app.token("bot"), &event, &ga, 1).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the lapsed unit is not on open sale"
    );
    app.state.inventory.offer_waiting().await.unwrap();
    assert!(
        entry(&app, "a", &event, &ga).await.is_none(),
        "a lapsed and left"
    );
    assert!(
        entry(&app, "b", &event, &ga).await.is_none(),
        "b paid and left"
    );
    let c = entry(&app, "c", &event, &ga).await.unwrap();
    assert_eq!(c["offer"]["status"], "pending", "{c}");
    // a's lapsed offer cannot be paid.
    let (status, _) = pay(&app, "a", offer["id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.remaining(&event, 1).await, 0);
    invariants(&app).await;
    app.stop().await;
}

async fn expired_seats_are_offered_then_sold_openly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (event, seated, _ga) = small_event(&app).await;
    let seats = seat_ids(&app.seats(&event).await);
    let (status, _) = app.hold(&app.token("x"), &event, &seats).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        join(&app, "a", &event, &seated, 1).await.0,
        StatusCode::CREATED
    );
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 1);
    // Both seats free, a waiting for one: nobody else may take both.
    let (status, body) = app.hold(&app.token("bot"), &event, &seats).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = app
        .post_admitted(
            "/api/seats/best",
            &app.token("bot"),
            &event,
            json!({"eventId": event, "quantity": 2}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "best available skips them too: {body}"
    );
    assert_eq!(body["error"]["code"], "no_adjacent_seats");
    app.state.inventory.offer_waiting().await.unwrap();
    let a = entry(&app, "a", &event, &seated).await.unwrap();
    let offered: Vec<String> = a["offer"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["seatId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(offered.len(), 1, "{a}");
    // Nobody waits any more: the other seat is on open sale again.
    let other: Vec<String> = seats
        .iter()
        .filter(|s| !offered.contains(s))
        .cloned()
        .collect();
    let (status, body) = app.hold(&app.token("bot"), &event, &other).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app.hold(&app.token("bot2"), &event, &offered).await;
    assert_eq!(status, StatusCode::CONFLICT);
    invariants(&app).await;
    app.stop().await;
}

/// Offer rounds running at once (as on several instances) offer each unit once.
async fn concurrent_rounds_offer_each_unit_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (event, _seated, ga) = small_event(&app).await;
    let (_, x_hold) = app.buy(&app.token("x"), &event, &ga, 2).await;
    for user in ["a", "b", "c"] {
        assert_eq!(
            join(&app, user, &event, &ga, 1).await.0,
            StatusCode::CREATED
        );
    }
    let x_res = x_hold["reservation"]["id"].as_str().unwrap();
    let (status, _) = app
        .delete(&format!("/api/reservations/{x_res}"), Some(&app.token("x")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let inventory = &app.state.inventory;
    let rounds = futures::future::join_all((0..6).map(|_| inventory.offer_waiting())).await;
    for r in rounds {
        r.unwrap();
    }
    let offered: Vec<bool> =
        futures::future::join_all(["a", "b", "c"].map(|u| entry(&app, u, &event, &ga)))
            .await
            .into_iter()
            .map(|e| !e.unwrap()["offer"].is_null())
            .collect();
    assert_eq!(offered, [true, true, false]);
    let db = app.db().await;
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reservations WHERE status = 'pending' AND user_id IN ('a', 'b', 'c')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(pending, 2);
    assert_eq!(app.remaining(&event, 1).await, 0);
    invariants(&app).await;
    app.stop().await;
}

/// The waitlist calls, reads included, spend the per-user shopping bucket.
async fn waitlist_floods_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.shop_rate_per_user = 2.0).await;
    let (event, _seated, ga) = small_event(&app).await;
    let token = app.token("flooder");
    let mut limited = 0;
    for i in 0..30 {
        let (status, body) = match i % 3 {
            0 => {
                app.get(&format!("/api/waitlist/{event}"), Some(&token))
                    .await
            }
            1 => join(&app, "flooder", &event, &ga, 1).await,
            _ => {
                app.delete(&format!("/api/waitlist/{event}/{ga}"), Some(&token))
                    .await
            }
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["error"]["code"], "rate_limited");
            limited += 1;
        }
    }
    assert!(limited >= 20, "{limited} of 30 waitlist calls refused");
    app.stop().await;
}

on_both_databases!(
    waitlist_floods_are_rate_limited,
    concurrent_rounds_offer_each_unit_once,
    joins_only_when_sold_out_in_order,
    returned_stock_goes_to_the_first_in_line,
    expired_seats_are_offered_then_sold_openly,
);
