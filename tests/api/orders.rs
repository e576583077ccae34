//! Orders: pay, cancel, refund, list mine, ownership, idempotency keys, the per-order limit,
//! and the change feed each of them publishes.

use crate::helpers::{id, reservation_seats, seat_ids, Backend, TestApp};
use boxoffice::inventory::{ChangeCause, SeatStatus};
use reqwest::StatusCode;
use serde_json::json;

async fn pay_cancel_refund_cycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(2, 5, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let ann = app.token("ann");
    let bob = app.token("bob");

    let (_, held) = app.hold(&ann, &event_id, &seats[..2]).await;
    let res = held["reservation"].clone();
    assert_eq!(res["status"], "pending");
    assert_eq!(res["total"], 10_000);
    let rid = id(&res);

    // Only the owner may pay or cancel.
    let (s, b) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(&bob),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_owner"))
    );
    let (s, b) = app
        .delete(&format!("/api/reservations/{rid}"), Some(&bob))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_owner"))
    );

    let (s, paid) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(&ann),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(paid["reservation"]["status"], "paid");
    let map = app.seats(&event_id).await;
    assert!(map
        .iter()
        .filter(|m| seats[..2].contains(&id(m)))
        .all(|m| m["status"] == "sold"));
    assert_eq!(app.remaining(&event_id, 0).await, 8);
    let (s, b) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(&ann),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_paid"))
    );
    // Bob cannot take sold seats.
    let (s, b) = app.hold(&bob, &event_id, &seats[1..3]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(b["error"]["seatIds"], json!([seats[1]]));

    // Refund: the paid order is cancelled and its seats come back.
    let (s, cancelled) = app
        .delete(&format!("/api/reservations/{rid}"), Some(&ann))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cancelled["reservation"]["status"], "cancelled");
    assert_eq!(app.remaining(&event_id, 0).await, 10);
    let (s, b) = app
        .delete(&format!("/api/reservations/{rid}"), Some(&ann))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("reservation_cancelled"))
    );
    let (s, _) = app.hold(&bob, &event_id, &seats[..2]).await;
    assert_eq!(s, StatusCode::CREATED, "released seats can be held again");

    // General admission: cancel a pending hold.
    let (_, g) = app.buy(&ann, &event_id, &ga, 4).await;
    assert_eq!(app.remaining(&event_id, 1).await, 6);
    let (s, _) = app
        .delete(
            &format!("/api/reservations/{}", id(&g["reservation"])),
            Some(&ann),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.remaining(&event_id, 1).await, 10);

    // My reservations: newest first, only mine.
    let (s, mine) = app.get("/api/reservations", Some(&ann)).await;
    assert_eq!(s, StatusCode::OK);
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["status"], "cancelled");
    assert_eq!(mine[0]["items"][0]["quantity"], 4);
    assert_eq!(mine[1]["id"], rid);
    let (_, bobs) = app.get("/api/reservations", Some(&bob)).await;
    assert_eq!(bobs.as_array().unwrap().len(), 1);
}

async fn idempotency_key_replays_first_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 4, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let token = app.token("twice");
    let body = json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 2});
    let admission = app.admission(&token, &event_id).await;

    let send = || {
        app.client
            .post(app.url("/api/reservations"))
            .bearer_auth(&token)
            .header("X-Admission-Token", &admission)
            .header("Idempotency-Key", "order-123")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first, second, "the same answer, byte for byte");

    let (_, mine) = app.get("/api/reservations", Some(&token)).await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        1,
        "one reservation, not two"
    );
    assert_eq!(app.remaining(&event_id, 1).await, 8);

    // The same key with a different body is refused, and changes nothing.
    let (s, b) = app
        .send(
            app.client
                .post(app.url("/api/reservations"))
                .bearer_auth(&token)
                .header("X-Admission-Token", &admission)
                .header("Idempotency-Key", "order-123")
                .json(&json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 3})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("idempotency_key_reused"))
    );
    // Another user's identical key is their own.
    let other = app.token("someone-else");
    let other_admission = app.admission(&other, &event_id).await;
    let (s, _) = app
        .send(
            app.client
                .post(app.url("/api/reservations"))
                .bearer_auth(&other)
                .header("X-Admission-Token", other_admission)
                .header("Idempotency-Key", "order-123")
                .json(&body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.remaining(&event_id, 1).await, 6);

    // Pay twice with one key: one payment, the same answer.
    let rid = id(&first["reservation"]);
    let pay = || {
        app.client
            .post(app.url(&format!("/api/reservations/{rid}/pay")))
            .bearer_auth(&token)
            .header("Idempotency-Key", "pay-1")
            .send()
    };
    let p1 = pay().await.unwrap();
    let p2 = pay().await.unwrap();
    assert_eq!((p1.status(), p2.status()), (StatusCode::OK, StatusCode::OK));
}

async fn per_order_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.max_tickets_per_order = 3).await;
    let event = app.simple_event(1, 5, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let t = app.token("greedy");
    let (s, b) = app.buy(&t, &event_id, &ga, 4).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("too_many_tickets"))
    );
    let (s, b) = app.hold(&t, &event_id, &seats[..4]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("too_many_tickets"))
    );
    let (s, _) = app.buy(&t, &event_id, &ga, 3).await;
    assert_eq!(s, StatusCode::CREATED);
}

/// `(limit, held, remaining)` of the caller's allowance for the event.
async fn allowance(app: &TestApp, token: &str, event_id: &str) -> (i64, i64, i64) {
    let (s, b) = app
        .get(&format!("/api/events/{event_id}/allowance"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let n = |k: &str| b[k].as_i64().unwrap();
    (n("limit"), n("held"), n("remaining"))
}

/// The per-customer limit counts seats and tickets of pending and paid reservations together;
/// what is cancelled, refunded or lapses comes back; a refusal changes nothing.
async fn per_customer_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut spec = json!({
        "name": "Limited Show", "startsAt": "2027-06-01T19:00:00Z", "holdSeconds": 60,
        "maxTicketsPerCustomer": 5,
        "ticketTypes": [{"name": "Seated", "price": 5000}, {"name": "Standing", "price": 2000, "quantity": 100}],
        "seatMap": {"sections": [{"name": "A", "rows": 2, "seatsPerRow": 10, "ticketTypeIndex": 0}]}
    });
    let event = app.create_event(spec.clone()).await;
    assert_eq!(event["maxTicketsPerCustomer"], 5);
    assert_eq!(event["botCheck"], false);
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let t = app.token("hoarder");
    assert_eq!(allowance(&app, &t, &event_id).await, (5, 0, 5));

    // 2 seats pending, then 2 tickets paid: 4 of 5.
    let (s, seats_hold) = app.hold(&t, &event_id, &seats[..2]).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = app.buy(&t, &event_id, &ga, 2).await;
    assert_eq!(s, StatusCode::CREATED);
    let paid = id(&b["reservation"]);
    let (s, _) = app
        .post(
            &format!("/api/reservations/{paid}/pay"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(allowance(&app, &t, &event_id).await, (5, 4, 1));

    // Two more would pass the limit, by seats or by tickets: refused, nothing held.
    let before = app.remaining(&event_id, 1).await;
    let (s, b) = app.buy(&t, &event_id, &ga, 2).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "customer_limit");
    assert_eq!(
        (
            b["error"]["limit"].as_i64(),
            b["error"]["remaining"].as_i64()
        ),
        (Some(5), Some(1))
    );
    assert_eq!(
        app.remaining(&event_id, 1).await,
        before,
        "a refusal holds nothing"
    );
    let (s, b) = app.hold(&t, &event_id, &seats[2..4]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("customer_limit"))
    );
    let (_, metrics) = app.get("/api/metrics", Some(&app.admin_token())).await;
    assert_eq!(
        metrics["customerLimit"], 2,
        "refusals are counted: {metrics}"
    );
    let after: Vec<_> = app.seats(&event_id).await;
    assert!(
        after[2..4].iter().all(|s| s["status"] == "available"),
        "a refusal holds no seat"
    );

    // Another customer is not affected.
    let other = app.token("someone-else");
    let (s, _) = app.hold(&other, &event_id, &seats[10..15]).await;
    assert_eq!(s, StatusCode::CREATED);

    // Cancelling the pending seats gives 2 back; refunding the paid order 2 more.
    let (s, _) = app
        .delete(
            &format!("/api/reservations/{}", id(&seats_hold["reservation"])),
            Some(&t),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(allowance(&app, &t, &event_id).await, (5, 2, 3));
    let (s, _) = app
        .delete(&format!("/api/reservations/{paid}"), Some(&t))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(allowance(&app, &t, &event_id).await, (5, 0, 5));

    // A hold that lapses gives its tickets back too.
    let (s, _) = app.buy(&t, &event_id, &ga, 5).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(allowance(&app, &t, &event_id).await.2, 0);
    app.clock.advance(std::time::Duration::from_secs(61));
    app.state.inventory.expire_due().await.unwrap();
    assert_eq!(allowance(&app, &t, &event_id).await, (5, 0, 5));

    // Out-of-range limits are refused at creation.
    for bad in [json!(0), json!(-1), json!(10_001)] {
        spec["maxTicketsPerCustomer"] = bad;
        let (s, b) = app
            .post("/api/admin/events", Some(&app.admin_token()), spec.clone())
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_field"))
        );
    }
    let (s, b) = app
        .get(&format!("/api/events/{event_id}/allowance"), None)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth_required"))
    );
    let (s, _) = app.get("/api/events/nope/allowance", Some(&t)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Every committed change is published once, after commit, with the new versions; a
/// rolled-back hold publishes nothing.
async fn change_feed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 4, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let mut feed = app.state.inventory.feed().subscribe();
    let ann = app.token("ann");

    let (_, held) = app.hold(&ann, &event_id, &seats[..2]).await;
    let c = feed.try_recv().expect("hold published");
    assert_eq!(c.cause, ChangeCause::Held);
    assert_eq!(c.event_id, event_id);
    assert_eq!(c.user_id, "ann");
    assert_eq!(
        c.seats
            .iter()
            .map(|s| s.seat_id.clone())
            .collect::<Vec<_>>(),
        seats[..2].to_vec()
    );
    assert!(c
        .seats
        .iter()
        .all(|s| s.status == SeatStatus::Held && s.version == 2));
    assert_eq!(c.ticket_types.len(), 1);
    assert_eq!(c.ticket_types[0].remaining_quantity, 2);
    assert!(feed.try_recv().is_err(), "published once");

    // A hold that fails after taking one of its seats rolls back: nothing is published,
    // and the seat it briefly took is untouched.
    let (s, _) = app
        .hold(
            &app.token("bob"),
            &event_id,
            &[seats[1].clone(), seats[2].clone()],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        feed.try_recv().is_err(),
        "nothing published for a rolled-back hold"
    );
    let map = app.seats(&event_id).await;
    let s2 = map.iter().find(|m| id(m) == seats[2]).unwrap();
    assert_eq!(
        (s2["status"].as_str(), s2["version"].as_i64()),
        (Some("available"), Some(1))
    );
    // Sold out: nothing published either.
    let (s, _) = app.buy(&app.token("bob"), &event_id, &ga, 10).await;
    assert_eq!(s, StatusCode::CREATED);
    let _ = feed.try_recv().expect("ga hold published");
    let (s, _) = app.buy(&app.token("carl"), &event_id, &ga, 1).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(feed.try_recv().is_err());

    // Pay and cancel publish their versions; the versions match what GET shows.
    let rid = id(&held["reservation"]);
    app.post(
        &format!("/api/reservations/{rid}/pay"),
        Some(&ann),
        json!({}),
    )
    .await;
    let c = feed.try_recv().expect("payment published");
    assert_eq!(c.cause, ChangeCause::Paid);
    assert!(c
        .seats
        .iter()
        .all(|s| s.status == SeatStatus::Sold && s.version == 3));
    app.delete(&format!("/api/reservations/{rid}"), Some(&ann))
        .await;
    let c = feed.try_recv().expect("refund published");
    assert_eq!(c.cause, ChangeCause::Refunded);
    let map = app.seats(&event_id).await;
    for change in &c.seats {
        assert_eq!(change.status, SeatStatus::Available);
        let seat = map.iter().find(|m| id(m) == change.seat_id).unwrap();
        assert_eq!(seat["version"].as_i64(), Some(change.version));
    }
    let ev = app.event(&event_id).await;
    assert_eq!(
        ev["ticketTypes"][0]["version"].as_i64(),
        Some(c.ticket_types[0].version)
    );
    assert_eq!(reservation_seats(&held["reservation"]).len(), 2);
}

/// A list of reservations is never cut inside a reservation: 205 holds of 10 seats each are
/// 2,050 joined item rows, past the old row limit of 2,000; every one comes back whole.
async fn long_lists_keep_every_item(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.shop_rate_per_user = 0.0).await;
    let ev = app
        .create_event(json!({
            "name": "Big order history",
            "startsAt": "2027-06-01T19:00:00Z",
            "capacity": 10,
            "maxTicketsPerCustomer": 5000,
            "ticketTypes": [{"name": "Seat", "price": 100}],
            "seatMap": {"sections": [{"name": "A", "rows": 21, "seatsPerRow": 100, "ticketTypeIndex": 0}]}
        }))
        .await;
    let e = id(&ev);
    let seats = seat_ids(&app.seats(&e).await);
    let token = app.token("collector");
    for chunk in seats.chunks(10).take(205) {
        let (s, b) = app.hold(&token, &e, chunk).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, list) = app.get("/api/reservations", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 205);
    assert!(list
        .iter()
        .all(|r| r["items"].as_array().unwrap().len() == 10));
}

on_both_databases!(
    long_lists_keep_every_item,
    pay_cancel_refund_cycle,
    idempotency_key_replays_first_answer,
    per_order_limit,
    per_customer_limit,
    change_feed
);
