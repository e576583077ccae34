//! Best available (`POST /api/seats/best`), on both databases: 200 concurrent shoppers over
//! 100 seats (no seat twice, every block adjacent in one row, the lone gaps left counted and
//! printed), the ranking, no block left, the section and type filters, the per-customer
//! limit and paused sales.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::helpers::{id, Backend, TestApp};
use crate::never_oversell::assert_invariants;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// 100 seats: "Stalls" 6 rows × 10 in front, "Balcony" 4 rows × 10 behind; one GA type.
async fn hall(app: &TestApp, limit: i64) -> Value {
    app.create_event(json!({
        "name": "Best Show",
        "venue": "Test Hall",
        "startsAt": "2027-06-01T19:00:00Z",
        "saleOpensAt": "2026-01-01T00:00:00Z",
        "holdSeconds": 60,
        "maxTicketsPerCustomer": limit,
        "ticketTypes": [
            {"name": "Stalls", "price": 5000},
            {"name": "Balcony", "price": 3000},
            {"name": "Standing", "price": 2000, "quantity": 10}
        ],
        "seatMap": {"sections": [
            {"name": "Stalls", "rows": 6, "seatsPerRow": 10, "ticketTypeIndex": 0},
            {"name": "Balcony", "rows": 4, "seatsPerRow": 10, "ticketTypeIndex": 1}
        ]}
    }))
    .await
}

async fn best(app: &TestApp, token: &str, event_id: &str, body: Value) -> (StatusCode, Value) {
    app.post_admitted("/api/seats/best", token, event_id, body)
        .await
}

/// (section, row) -> the row's seats by number: (number, id, free).
type Rows = BTreeMap<(String, String), Vec<(i64, String, bool)>>;

fn rows(seats: &[Value]) -> Rows {
    let mut rows: Rows = BTreeMap::new();
    for s in seats {
        rows.entry((
            s["section"].as_str().unwrap().to_string(),
            s["row"].as_str().unwrap().to_string(),
        ))
        .or_default()
        .push((
            s["number"].as_i64().unwrap(),
            id(s),
            s["status"] == "available",
        ));
    }
    for row in rows.values_mut() {
        row.sort();
    }
    rows
}

/// Lengths of the runs of consecutive free seats, row by row.
fn free_runs(rows: &Rows) -> Vec<usize> {
    let mut runs = Vec::new();
    for row in rows.values() {
        let mut run = 0;
        for (_, _, free) in row {
            if *free {
                run += 1;
            } else {
                if run > 0 {
                    runs.push(run);
                }
                run = 0;
            }
        }
        if run > 0 {
            runs.push(run);
        }
    }
    runs
}

/// Checks that `seat_ids` are consecutive seats of one row, in seat order; returns the row.
fn assert_one_block(by_id: &HashMap<String, Value>, seat_ids: &[String]) -> (String, String) {
    let seats: Vec<&Value> = seat_ids.iter().map(|s| &by_id[s]).collect();
    let place = |s: &Value| {
        (
            s["section"].as_str().unwrap().to_string(),
            s["row"].as_str().unwrap().to_string(),
        )
    };
    let first = place(seats[0]);
    for (i, s) in seats.iter().enumerate() {
        assert_eq!(place(s), first, "a block is one row: {seat_ids:?}");
        assert_eq!(
            s["number"].as_i64().unwrap(),
            seats[0]["number"].as_i64().unwrap() + i as i64,
            "a block is consecutive seats in seat order: {seat_ids:?}"
        );
    }
    first
}

fn reservation_seats(body: &Value) -> Vec<String> {
    crate::helpers::reservation_seats(&body["reservation"])
}

/// 200 concurrent requests of 2–4 seats for 100 seats: no seat twice, every block adjacent
/// in one row; every refusal is `no_adjacent_seats`, and true at the end (seats only go);
/// the lone gaps left are counted, printed and few.
async fn contention(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, |c| c.shop_rate_per_user = 0.0).await);
    let event = hall(&app, 10).await;
    let event_id = id(&event);
    let before = app.seats(&event_id).await;
    assert_eq!(before.len(), 100);
    let by_id: HashMap<String, Value> = before.iter().map(|s| (id(s), s.clone())).collect();

    let mut tasks = Vec::new();
    for buyer in 0..200 {
        let (app, event_id) = (app.clone(), event_id.clone());
        let quantity: i64 = rand::thread_rng().gen_range(2..=4);
        tasks.push(tokio::spawn(async move {
            let token = app.token(&format!("best-{buyer}"));
            let body = json!({"eventId": event_id, "quantity": quantity});
            let (status, body) = best(&app, &token, &event_id, body).await;
            (quantity, status, body)
        }));
    }
    let mut holder: HashMap<String, usize> = HashMap::new();
    let (mut won, mut refused_sizes) = (0, HashSet::new());
    for (buyer, t) in tasks.into_iter().enumerate() {
        let (quantity, status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => {
                let seats = reservation_seats(&body);
                assert_eq!(seats.len() as i64, quantity, "{body}");
                assert_one_block(&by_id, &seats);
                for s in seats {
                    if let Some(other) = holder.insert(s.clone(), buyer) {
                        panic!("seat {s} held by {other} and {buyer}");
                    }
                }
                won += 1;
            }
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "no_adjacent_seats", "{body}");
                assert_eq!(body["error"]["quantity"], quantity, "{body}");
                refused_sizes.insert(quantity as usize);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let after = rows(&app.seats(&event_id).await);
    let runs = free_runs(&after);
    let lone = runs.iter().filter(|r| **r == 1).count();
    let free: usize = runs.iter().sum();
    println!(
        "best available on {backend:?}: {won} holds of 200 won, {} seats taken, {free} free, \
         lone single-seat gaps: {lone}, free runs: {runs:?}",
        holder.len()
    );
    assert_eq!(holder.len() + free, 100, "every seat is taken once or free");
    // A refusal of `q` meant no run of `q` free seats was left; seats only went after it.
    for q in refused_sizes {
        assert!(
            runs.iter().all(|r| *r < q),
            "a request of {q} was refused but a run of {q} is free: {runs:?}"
        );
    }
    assert!(lone <= 3, "too many lone gaps: {lone} ({runs:?})");
    assert_invariants(&app).await;
}

/// Seats carry their rank; the first block of an empty hall is the middle of the front row.
async fn ranking_front_and_middle_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&hall(&app, 10).await);
    let seats = app.seats(&event_id).await;
    let rank_of = |section: &str, row: &str, number: i64| {
        seats
            .iter()
            .find(|s| s["section"] == section && s["row"] == row && s["number"] == number)
            .unwrap()["rank"]
            .as_i64()
            .unwrap()
    };
    let mut ranks: Vec<i64> = seats.iter().map(|s| s["rank"].as_i64().unwrap()).collect();
    ranks.sort();
    assert_eq!(ranks, (1..=100).collect::<Vec<_>>(), "ranks 1..=100");
    assert_eq!(rank_of("Stalls", "A", 5), 1);
    assert_eq!(rank_of("Stalls", "A", 6), 2);
    assert_eq!(rank_of("Stalls", "A", 1), 9);
    assert_eq!(rank_of("Stalls", "B", 5), 11);
    assert_eq!(rank_of("Balcony", "A", 5), 61);

    let token = app.token("ann");
    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let by_id: HashMap<String, Value> = seats.iter().map(|s| (id(s), s.clone())).collect();
    let got: Vec<(String, i64)> = reservation_seats(&b)
        .iter()
        .map(|s| {
            (
                by_id[s]["row"].as_str().unwrap().to_string(),
                by_id[s]["number"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("A".to_string(), 5), ("A".to_string(), 6)]);
    assert_eq!(b["reservation"]["status"], "pending");
    assert_eq!(b["reservation"]["total"], 10000);
}

/// When no row has the block: `409 no_adjacent_seats` with the quantity; a smaller block
/// still fits. Without admission: `403 not_admitted`.
async fn no_block_left(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 3, 0).await;
    let event_id = id(&event);
    let token = app.token("ann");
    let (s, b) = app
        .post(
            "/api/seats/best",
            Some(&token),
            json!({"eventId": event_id, "quantity": 2}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_admitted"))
    );
    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let bob = app.token("bob");
    let (s, b) = best(
        &app,
        &bob,
        &event_id,
        json!({"eventId": event_id, "quantity": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "no_adjacent_seats");
    assert_eq!(b["error"]["quantity"], 2);
    let (s, b) = best(
        &app,
        &bob,
        &event_id,
        json!({"eventId": event_id, "quantity": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = best(
        &app,
        &bob,
        &event_id,
        json!({"eventId": event_id, "quantity": 1}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_adjacent_seats"))
    );
    for q in [0, 11] {
        let (s, b) = best(
            &app,
            &bob,
            &event_id,
            json!({"eventId": event_id, "quantity": q}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {b}");
    }
    assert_invariants(&app).await;
}

/// `section` and `ticketTypeId` narrow the choice; an unknown section is `400
/// invalid_field` (`section`), a general-admission type `400 invalid_field`
/// (`ticketTypeId`), an unknown type `404 ticket_type_not_found`.
async fn section_and_type_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = hall(&app, 10).await;
    let event_id = id(&event);
    let by_id: HashMap<String, Value> = app
        .seats(&event_id)
        .await
        .iter()
        .map(|s| (id(s), s.clone()))
        .collect();
    let token = app.token("ann");
    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 3, "section": "Balcony"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (section, row) = assert_one_block(&by_id, &reservation_seats(&b));
    assert_eq!((section.as_str(), row.as_str()), ("Balcony", "A"));

    let balcony = event["ticketTypes"][1]["id"].as_str().unwrap();
    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 2, "ticketTypeId": balcony}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for seat in reservation_seats(&b) {
        assert_eq!(by_id[&seat]["ticketTypeId"], balcony);
    }

    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 2, "section": "Gallery"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(
        (b["error"]["code"].as_str(), b["error"]["field"].as_str()),
        (Some("invalid_field"), Some("section"))
    );
    let standing = event["ticketTypes"][2]["id"].as_str().unwrap();
    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 2, "ticketTypeId": standing}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["field"], "ticketTypeId");
    let (s, b) = best(
        &app,
        &token,
        &event_id,
        json!({"eventId": event_id, "quantity": 2, "ticketTypeId": "nope"}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("ticket_type_not_found"))
    );
}

/// The per-customer limit counts best-available holds like any other; paused sales refuse
/// them.
async fn customer_limit_and_paused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&hall(&app, 4).await);
    let ann = app.token("ann");
    let (s, b) = best(
        &app,
        &ann,
        &event_id,
        json!({"eventId": event_id, "quantity": 3}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = best(
        &app,
        &ann,
        &event_id,
        json!({"eventId": event_id, "quantity": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "customer_limit");
    assert_eq!(b["error"]["remaining"], 1);

    let bob = app.token("bob");
    let admission = app.admission(&bob, &event_id).await;
    let (s, _) = app
        .send(
            app.client
                .patch(app.url(&format!("/api/admin/events/{event_id}")))
                .bearer_auth(app.admin_token())
                .json(&json!({"salesPaused": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .send(
            app.client
                .post(app.url("/api/seats/best"))
                .bearer_auth(&bob)
                .header("X-Admission-Token", admission)
                .json(&json!({"eventId": event_id, "quantity": 2})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("sales_paused")),
        "{b}"
    );
    assert_invariants(&app).await;
}

/// The same `Idempotency-Key` and body replays the first answer: one block, not two.
async fn idempotent_replay(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&hall(&app, 10).await);
    let ann = app.token("ann");
    let admission = app.admission(&ann, &event_id).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let resp = app
            .client
            .post(app.url("/api/seats/best"))
            .bearer_auth(&ann)
            .header("X-Admission-Token", &admission)
            .header("Idempotency-Key", "best-once")
            .json(&json!({"eventId": event_id, "quantity": 2}))
            .send()
            .await
            .unwrap();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        answers.push((replayed, id(&body["reservation"])));
    }
    assert_eq!(answers[0].1, answers[1].1, "one reservation");
    assert_eq!((answers[0].0, answers[1].0), (false, true));
    let free = app
        .seats(&event_id)
        .await
        .iter()
        .filter(|s| s["status"] == "available")
        .count();
    assert_eq!(free, 98);
}

on_both_databases!(
    contention,
    idempotent_replay,
    ranking_front_and_middle_first,
    no_block_left,
    section_and_type_filters,
    customer_limit_and_paused,
);
