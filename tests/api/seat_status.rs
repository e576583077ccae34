//! `GET /api/events/:id/seat-status`: the compact status (2 bits a seat, versions run-length
//! encoded) decodes to exactly what the v1 seat list says, after holds, payments, cancels
//! and expiry; gzip when accepted, `304` on a matching ETag, `404` for unknown events.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::helpers::{id, reservation_seats, seat_ids, Backend, TestApp};
use boxoffice::seat_status::CompactStatus;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The compact status as served (plain JSON).
async fn compact(app: &TestApp, event_id: &str) -> CompactStatus {
    let resp = app
        .client
        .get(app.url(&format!("/api/events/{event_id}/seat-status")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    assert!(resp.headers().get("content-encoding").is_none());
    resp.json().await.unwrap()
}

/// The v1 seats as `(status code, version)` in position order (the list's order).
fn v1(seats: &[Value]) -> Vec<(u8, i64)> {
    seats
        .iter()
        .map(|s| {
            let code = match s["status"].as_str().unwrap() {
                "available" => 0,
                "held" => 1,
                "sold" => 2,
                other => panic!("status {other}"),
            };
            (code, s["version"].as_i64().unwrap())
        })
        .collect()
}

/// Waits (bounded) until the compact status decodes to the v1 seats: the cache follows the
/// change feed, one push window behind a commit.
async fn converges(app: &TestApp, event_id: &str, what: &str) -> CompactStatus {
    let want = v1(&app.seats(event_id).await);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = compact(app, event_id).await;
        assert_eq!(c.event_id, event_id);
        assert_eq!(c.seat_count, want.len());
        let got = c.decode().expect("a valid encoding");
        if got == want {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: compact status never matched the seats:\n got {got:?}\nwant {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn compact_status_follows_every_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&app.simple_event(3, 7, 10).await);
    let seats = seat_ids(&app.seats(&event_id).await);
    let fresh = converges(&app, &event_id, "fresh").await;
    assert_eq!(fresh.versions, vec![(1, 21)], "one run: {fresh:?}");

    // Holds by two buyers, one paid, one cancelled, one left to expire.
    let (alice, bob, carol) = (app.token("alice"), app.token("bob"), app.token("carol"));
    let (s, paid) = app.hold(&alice, &event_id, &seats[0..3]).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, cancelled) = app.hold(&bob, &event_id, &seats[10..12]).await;
    assert_eq!(s, StatusCode::CREATED);
    converges(&app, &event_id, "after holds").await;
    let rid = paid["reservation"]["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let rid = cancelled["reservation"]["id"].as_str().unwrap();
    let (s, _) = app
        .delete(&format!("/api/reservations/{rid}"), Some(&bob))
        .await;
    assert!(s.is_success());
    let (s, lapsing) = app.hold(&carol, &event_id, &seats[20..21]).await;
    assert_eq!(s, StatusCode::CREATED);
    let c = converges(&app, &event_id, "after pay and cancel").await;
    let codes = c.decode().unwrap();
    assert_eq!(codes[0], (2, 3), "held 2, sold 3");
    assert_eq!(codes[10], (0, 3), "held 2, released 3");
    assert_eq!(codes[20], (1, 2));

    app.clock.advance(Duration::from_secs(61));
    assert_eq!(app.state.inventory.expire_due().await.unwrap(), 1);
    let c = converges(&app, &event_id, "after expiry").await;
    assert_eq!(c.decode().unwrap()[20], (0, 3));
    assert_eq!(
        reservation_seats(&lapsing["reservation"]),
        vec![seats[20].clone()]
    );

    // Gzip when accepted: the same object; a matching ETag is 304.
    let url = app.url(&format!("/api/events/{event_id}/seat-status"));
    let resp = app
        .client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    let gz = resp.headers().get("content-encoding").cloned();
    let body = resp.bytes().await.unwrap();
    let text = if gz.is_some_and(|v| v == "gzip") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        // Small maps are not worth gzip.
        String::from_utf8(body.to_vec()).unwrap()
    };
    assert_eq!(serde_json::from_str::<CompactStatus>(&text).unwrap(), c);
    let resp = app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()["etag"], etag.as_str());

    // A change: a new ETag.
    let (s, _) = app.hold(&bob, &event_id, &seats[5..6]).await;
    assert_eq!(s, StatusCode::CREATED);
    converges(&app, &event_id, "after another hold").await;
    let resp = app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_ne!(resp.headers()["etag"], etag.as_str());
    app.stop().await;
}

async fn unknown_and_general_admission_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, body) = app.get("/api/events/no-such-event/seat-status", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "event_not_found");
    let ga = app
        .create_event(json!({
            "name": "Standing only", "startsAt": "2027-06-01T19:00:00Z",
            "ticketTypes": [{"name": "GA", "price": 1000, "quantity": 5}]
        }))
        .await;
    let c = compact(&app, &id(&ga)).await;
    assert_eq!((c.seat_count, c.status.as_str()), (0, ""));
    assert!(c.versions.is_empty());
    app.stop().await;
}

/// A run of made-up event ids: each is a 404 (the cache keeps no entry for them), and a real
/// event still answers afterwards.
async fn made_up_ids_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..200 {
        let (s, _) = app
            .get(&format!("/api/events/made-up-{i}/seat-status"), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let event_id = id(&app.simple_event(1, 3, 0).await);
    converges(&app, &event_id, "after the flood").await;
    app.stop().await;
}

on_both_databases!(
    compact_status_follows_every_change,
    unknown_and_general_admission_events,
    made_up_ids_are_not_found,
);
