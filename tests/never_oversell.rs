//! Never oversell, on both databases: concurrent buyers over real HTTP, and the database's
//! own constraints refusing an oversell that bypasses the application.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use common::{id, reservation_seats, seat_ids, Backend, TestApp};
use rand::seq::SliceRandom;
use rand::Rng;
use reqwest::StatusCode;

/// 200 concurrent buyers each try to hold a random 1–4 of the same 50 seats.
async fn seat_contention(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let event = app.simple_event(5, 10, 0).await;
    let event_id = id(&event);
    let all = seat_ids(&app.seats(&event_id).await);
    assert_eq!(all.len(), 50);

    let mut tasks = Vec::new();
    for buyer in 0..200 {
        let app = app.clone();
        let event_id = event_id.clone();
        let mut rng = rand::thread_rng();
        let n = rng.gen_range(1..=4);
        let wanted: Vec<String> = all.choose_multiple(&mut rng, n).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let token = app.token(&format!("buyer-{buyer}"));
            let (status, body) = app.hold(&token, &event_id, &wanted).await;
            (buyer, wanted, status, body)
        }));
    }
    let mut winners: HashMap<String, usize> = HashMap::new(); // seat -> buyer
    let mut refusals = Vec::new();
    for t in tasks {
        let (buyer, wanted, status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => {
                let got = reservation_seats(&body["reservation"]);
                assert_eq!(
                    got.iter().collect::<HashSet<_>>(),
                    wanted.iter().collect::<HashSet<_>>(),
                    "a hold is all the seats asked for"
                );
                for s in got {
                    if let Some(other) = winners.insert(s.clone(), buyer) {
                        panic!("seat {s} held by buyers {other} and {buyer}");
                    }
                }
            }
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "seat_unavailable");
                let taken: Vec<String> =
                    serde_json::from_value(body["error"]["seatIds"].clone()).unwrap();
                assert!(!taken.is_empty(), "a 409 names the seats that were taken");
                assert!(
                    taken.iter().all(|s| wanted.contains(s)),
                    "named seats were asked for"
                );
                refusals.push((buyer, taken));
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(
        !winners.is_empty() && !refusals.is_empty(),
        "the test must see both outcomes"
    );
    // Nothing was released during the run, so every seat a 409 named must be held by a winner.
    for (buyer, taken) in &refusals {
        for s in taken {
            assert!(
                winners.contains_key(s),
                "seat {s} named to buyer {buyer} is not held by anyone"
            );
        }
        // All-or-nothing: a refused buyer holds nothing at all.
        let (_, mine) = app
            .get(
                "/api/reservations",
                Some(&app.token(&format!("buyer-{buyer}"))),
            )
            .await;
        assert_eq!(
            mine.as_array().unwrap().len(),
            0,
            "refused buyer {buyer} holds nothing"
        );
    }
    // The seat map agrees exactly with the winners.
    let seats = app.seats(&event_id).await;
    let held: HashSet<String> = seats
        .iter()
        .filter(|s| s["status"] == "held")
        .map(id)
        .collect();
    assert_eq!(held, winners.keys().cloned().collect::<HashSet<_>>());
    assert_eq!(
        app.remaining(&event_id, 0).await,
        50 - winners.len() as i64,
        "remainingQuantity = total - held - sold"
    );
    assert_invariants(&app).await;
}

/// 300 concurrent buyers of 1 ticket of a 100-ticket type: exactly 100 succeed.
async fn ticket_contention(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let event = app.simple_event(1, 1, 100).await;
    let event_id = id(&event);
    let type_id = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();

    let mut tasks = Vec::new();
    for buyer in 0..300 {
        let app = app.clone();
        let (event_id, type_id) = (event_id.clone(), type_id.clone());
        tasks.push(tokio::spawn(async move {
            let token = app.token(&format!("fan-{buyer}"));
            app.buy(&token, &event_id, &type_id, 1).await
        }));
    }
    let (mut ok, mut sold_out) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => ok += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "sold_out");
                sold_out += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, sold_out), (100, 200));
    assert_eq!(app.remaining(&event_id, 1).await, 0);
    assert_invariants(&app).await;
}

/// The constraints hold even against SQL that bypasses the application.
async fn database_refuses_oversell(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(1, 2, 5).await;
    let event_id = id(&event);
    let seats = seat_ids(&app.seats(&event_id).await);
    let (status, _) = app.hold(&app.token("u1"), &event_id, &seats[..1]).await;
    assert_eq!(status, StatusCode::CREATED);

    let pool = &app.db().await;
    // More held than the total.
    let over = sqlx::query("UPDATE ticket_types SET held = total + 1 WHERE event_id = $1")
        .bind(&event_id)
        .execute(pool)
        .await;
    assert!(
        over.is_err(),
        "CHECK (held + sold <= total) refuses an oversell"
    );
    // A second active reservation item for a seat that is already held.
    let res_id: String = sqlx::query_scalar("SELECT reservation_id FROM seats WHERE id = $1")
        .bind(&seats[0])
        .fetch_one(pool)
        .await
        .unwrap();
    let dup = sqlx::query(
        "INSERT INTO reservation_items (reservation_id, position, ticket_type_id, seat_id, quantity, price) \
         SELECT reservation_id, 99, ticket_type_id, seat_id, 1, price FROM reservation_items WHERE reservation_id = $1",
    )
    .bind(&res_id)
    .execute(pool)
    .await;
    assert!(
        dup.is_err(),
        "a seat cannot be in two active reservation items"
    );
    // A held seat without a reservation.
    let orphan = sqlx::query("UPDATE seats SET reservation_id = NULL WHERE id = $1")
        .bind(&seats[0])
        .execute(pool)
        .await;
    assert!(orphan.is_err(), "a held seat always names its reservation");
    assert_invariants(&app).await;
}

/// Cross-checks the counters against the rows they summarise, straight from the database.
async fn assert_invariants(app: &TestApp) {
    let pool = app.db().await;
    let bad_types: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket_types t WHERE t.seated = 1 AND t.held <> \
         (SELECT COUNT(*) FROM seats s WHERE s.ticket_type_id = t.id AND s.status = 'held')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(bad_types, 0, "seated held counters match held seats");
    let doubled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT seat_id FROM reservation_items WHERE active = 1 AND seat_id IS NOT NULL \
         GROUP BY seat_id HAVING COUNT(*) > 1) d",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(doubled, 0, "no seat in two active reservations");
    let ga_mismatch: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket_types t WHERE t.seated = 0 AND t.held + t.sold <> \
         COALESCE((SELECT CAST(SUM(i.quantity) AS BIGINT) FROM reservation_items i \
                   WHERE i.ticket_type_id = t.id AND i.active = 1), 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        ga_mismatch, 0,
        "general-admission counters match active items"
    );
}

on_both_databases!(
    seat_contention,
    ticket_contention,
    database_refuses_oversell
);
