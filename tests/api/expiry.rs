//! Holds expire after the event's holdSeconds; sweepers on several instances release each
//! lapsed hold exactly once; paying a lapsed hold is refused.

use std::collections::HashSet;
use std::time::Duration;

use crate::helpers::{id, reservation_seats, seat_ids, Backend, TestApp};
use boxoffice::clock::Clock;
use boxoffice::db::Db;
use boxoffice::inventory::{ChangeCause, ChangeFeed, Inventory};
use reqwest::StatusCode;

async fn holds_expire_and_stock_comes_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(2, 5, 20).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let token = app.token("sleepy");

    let (s1, held) = app.hold(&token, &event_id, &seats[..3]).await;
    assert_eq!(s1, StatusCode::CREATED);
    let (s2, _) = app.buy(&token, &event_id, &ga, 4).await;
    assert_eq!(s2, StatusCode::CREATED);
    assert_eq!(app.remaining(&event_id, 0).await, 7);
    assert_eq!(app.remaining(&event_id, 1).await, 16);

    // 59 s into a 60 s hold: nothing is due.
    app.clock.advance(Duration::from_secs(59));
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 0);
    assert_eq!(app.remaining(&event_id, 0).await, 7);

    app.clock.advance(Duration::from_secs(2));
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 2);
    assert_eq!(app.remaining(&event_id, 0).await, 10);
    assert_eq!(app.remaining(&event_id, 1).await, 20);
    let map = app.seats(&event_id).await;
    for s in reservation_seats(&held["reservation"]) {
        let seat = map.iter().find(|m| id(m) == s).unwrap();
        assert_eq!(seat["status"], "available");
        assert_eq!(seat["version"], 3, "created 1, held 2, released 3");
    }
    let (_, mine) = app.get("/api/reservations", Some(&token)).await;
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "expired"));
    // A second sweep finds nothing more.
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 0);

    // Paying an expired hold.
    let res = held["reservation"]["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/reservations/{res}/pay"),
            Some(&token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "hold_expired");
}

/// A hold that lapsed before any sweep: paying it is refused and releases it on the spot.
async fn paying_a_lapsed_hold_releases_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&app.simple_event(1, 4, 0).await);
    let seats = seat_ids(&app.seats(&event_id).await);
    let token = app.token("late");
    let (_, held) = app.hold(&token, &event_id, &seats[..2]).await;
    let res = held["reservation"]["id"].as_str().unwrap().to_string();
    let mut feed = app.state.inventory.feed().subscribe();

    app.clock.advance(Duration::from_secs(61));
    let (status, body) = app
        .post(
            &format!("/api/reservations/{res}/pay"),
            Some(&token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "hold_expired");
    let change = feed.try_recv().expect("the release is published");
    assert_eq!(change.cause, ChangeCause::Expired);
    assert_eq!(app.remaining(&event_id, 0).await, 4);
    // The sweeper finds nothing left to do: released exactly once.
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 0);
    assert!(feed.try_recv().is_err());
}

/// Two instances' sweepers over one database, racing: every hold released exactly once.
async fn two_sweepers_release_each_hold_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(10, 10, 1000).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let mut holds = 0;
    for (i, pair) in seats.chunks(2).enumerate() {
        let (s, _) = app
            .hold(&app.token(&format!("u{i}")), &event_id, pair)
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = app
            .buy(&app.token(&format!("g{i}")), &event_id, &ga, 3)
            .await;
        assert_eq!(s, StatusCode::CREATED);
        holds += 2;
    }
    assert_eq!(holds, 100);

    // A second "instance": its own pool, clock and feed over the same database.
    let other_clock = Clock::manual(app.clock.now_ms());
    let other = Inventory::new(
        Db::connect(&app.database_url, 8).await.unwrap(),
        other_clock.clone(),
        ChangeFeed::new(1024),
        10,
    );
    let mut feed_a = app.state.inventory.feed().subscribe();
    let mut feed_b = other.feed().subscribe();
    app.clock.advance(Duration::from_secs(120));
    other_clock.advance(Duration::from_secs(120));

    let a = app.state.inventory.clone();
    let b = other.clone();
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { a.expire_due().await.unwrap() }),
        tokio::spawn(async move { b.expire_due().await.unwrap() }),
    );
    let (na, nb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(na + nb, 100, "released {na} + {nb}");

    let mut released = HashSet::new();
    for feed in [&mut feed_a, &mut feed_b] {
        while let Ok(c) = feed.try_recv() {
            assert_eq!(c.cause, ChangeCause::Expired);
            assert!(
                released.insert(c.reservation_id.clone()),
                "released twice: {}",
                c.reservation_id
            );
        }
    }
    assert_eq!(released.len(), 100);
    assert_eq!(app.remaining(&event_id, 0).await, 100);
    assert_eq!(app.remaining(&event_id, 1).await, 1000);
    assert!(app
        .seats(&event_id)
        .await
        .iter()
        .all(|s| s["status"] == "available"));
}

on_both_databases!(
    holds_expire_and_stock_comes_back,
    paying_a_lapsed_hold_releases_it,
    two_sweepers_release_each_hold_once
);

/// The sweeper task started by the server releases holds on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sweeper_runs() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.sweep_interval_ms = 20).await;
    let event_id = id(&app.simple_event(1, 3, 0).await);
    let seats = seat_ids(&app.seats(&event_id).await);
    let (s, _) = app.hold(&app.token("x"), &event_id, &seats).await;
    assert_eq!(s, StatusCode::CREATED);
    app.clock.advance(Duration::from_secs(61));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.remaining(&event_id, 0).await != 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sweeper did not release the hold"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
