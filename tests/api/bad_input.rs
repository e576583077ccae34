//! Bad input gets the contract's 4xx with a stable code, never a 500, and changes nothing.

use crate::helpers::{id, seat_ids, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Everything a client can see of the event's state, to compare before and after.
async fn snapshot(app: &TestApp, event_id: &str) -> (Value, Vec<Value>) {
    let mut event = app.event(event_id).await;
    event.as_object_mut().unwrap().remove("queue");
    (event, app.seats(event_id).await)
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no code>")
}

async fn bad_shopping_requests_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.simple_event(2, 5, 10).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let other_event = id(&app.simple_event(1, 2, 1).await);
    let other_seat = seat_ids(&app.seats(&other_event).await)[0].clone();
    let token = app.token("mallory");
    let before = snapshot(&app, &event_id).await;

    let raw = |path: &str, body: &str, content_type: Option<&str>| {
        let mut req = app
            .client
            .post(app.url(path))
            .bearer_auth(&token)
            .body(body.to_string());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req
    };
    let json_ct = Some("application/json");
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            raw("/api/seats/reserve", "{\"eventId\": ", json_ct),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not JSON at all",
            raw("/api/reservations", "quantity=2", json_ct),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "no content type",
            raw("/api/reservations", "{}", None),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "seatIds is a string",
            raw(
                "/api/seats/reserve",
                &json!({"eventId": event_id, "seatIds": "abc"}).to_string(),
                json_ct,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "quantity is a string",
            raw(
                "/api/reservations",
                &json!({"eventId": event_id, "ticketTypeId": ga, "quantity": "two"}).to_string(),
                json_ct,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "quantity is fractional",
            raw(
                "/api/reservations",
                &format!(r#"{{"eventId":"{event_id}","ticketTypeId":"{ga}","quantity":1.5}}"#),
                json_ct,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "quantity overflows",
            raw(
                "/api/reservations",
                &format!(r#"{{"eventId":"{event_id}","ticketTypeId":"{ga}","quantity":1e30}}"#),
                json_ct,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "eventId missing",
            raw(
                "/api/reservations",
                &json!({"ticketTypeId": ga, "quantity": 1}).to_string(),
                json_ct,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "body is an array",
            raw("/api/seats/reserve", "[1,2,3]", json_ct),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ];
    for (what, req, status, expected) in cases {
        let (s, body) = app.send(req).await;
        assert_eq!((s, code(&body)), (status, expected), "{what}: {body}");
        assert!(body["error"]["message"].is_string(), "{what}: message");
    }

    let shop: Vec<(&str, &str, Value, StatusCode, &str)> = vec![
        (
            "zero quantity",
            "/api/reservations",
            json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 0}),
            StatusCode::BAD_REQUEST,
            "invalid_quantity",
        ),
        (
            "negative quantity",
            "/api/reservations",
            json!({"eventId": event_id, "ticketTypeId": ga, "quantity": -5}),
            StatusCode::BAD_REQUEST,
            "invalid_quantity",
        ),
        (
            "huge quantity",
            "/api/reservations",
            json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 9_007_199_254_740_991i64}),
            StatusCode::BAD_REQUEST,
            "too_many_tickets",
        ),
        (
            "more than in stock",
            "/api/reservations",
            json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 10}),
            StatusCode::CREATED,
            "",
        ),
        (
            "empty seatIds",
            "/api/seats/reserve",
            json!({"eventId": event_id, "seatIds": []}),
            StatusCode::BAD_REQUEST,
            "invalid_seat_ids",
        ),
        (
            "duplicated seatIds",
            "/api/seats/reserve",
            json!({"eventId": event_id, "seatIds": [seats[0], seats[0]]}),
            StatusCode::BAD_REQUEST,
            "duplicate_seat_ids",
        ),
        (
            "empty seat id",
            "/api/seats/reserve",
            json!({"eventId": event_id, "seatIds": [""]}),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            "unknown event",
            "/api/seats/reserve",
            json!({"eventId": "no-such-event", "seatIds": [seats[0]]}),
            StatusCode::NOT_FOUND,
            "event_not_found",
        ),
        (
            "unknown event (GA)",
            "/api/reservations",
            json!({"eventId": "no-such-event", "ticketTypeId": ga, "quantity": 1}),
            StatusCode::NOT_FOUND,
            "event_not_found",
        ),
        (
            "unknown seat",
            "/api/seats/reserve",
            json!({"eventId": event_id, "seatIds": [seats[0], "no-such-seat"]}),
            StatusCode::NOT_FOUND,
            "seat_not_found",
        ),
        (
            "another event's seat",
            "/api/seats/reserve",
            json!({"eventId": event_id, "seatIds": [other_seat]}),
            StatusCode::NOT_FOUND,
            "seat_not_found",
        ),
        (
            "unknown ticket type",
            "/api/reservations",
            json!({"eventId": event_id, "ticketTypeId": "nope", "quantity": 1}),
            StatusCode::NOT_FOUND,
            "ticket_type_not_found",
        ),
        (
            "seated type by quantity",
            "/api/reservations",
            json!({"eventId": event_id, "ticketTypeId": event["ticketTypes"][0]["id"], "quantity": 1}),
            StatusCode::BAD_REQUEST,
            "seated_ticket_type",
        ),
        (
            "id far too long",
            "/api/seats/reserve",
            json!({"eventId": "e".repeat(5000), "seatIds": [seats[0]]}),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
    ];
    for (what, path, body, status, expected) in shop {
        // Admitted, so that each request is refused for what it is, not for lacking an
        // admission.
        let (s, b) = app.post_admitted(path, &token, &event_id, body).await;
        assert_eq!(s, status, "{what}: {b}");
        if status == StatusCode::CREATED {
            // Undo the one legitimate purchase so the state compares equal at the end.
            let rid = id(&b["reservation"]);
            let (s, _) = app
                .delete(&format!("/api/reservations/{rid}"), Some(&token))
                .await;
            assert_eq!(s, StatusCode::OK);
        } else {
            assert_eq!(code(&b), expected, "{what}: {b}");
        }
    }

    // 10,000 seat ids (short ones, so the body stays under the size limit).
    let many: Vec<String> = (0..10_000).map(base62).collect();
    let body = json!({"eventId": event_id, "seatIds": many});
    assert!(body.to_string().len() < 64 * 1024);
    let (s, b) = app.post("/api/seats/reserve", Some(&token), body).await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "too_many_tickets"));

    // Bodies over 64 KiB.
    let padding = "x".repeat(70 * 1024);
    let (s, b) = app
        .post(
            "/api/seats/reserve",
            Some(&token),
            json!({"eventId": event_id, "seatIds": [padding]}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let (s, b) = app
        .send(
            app.client
                .post(app.url("/api/reservations"))
                .bearer_auth(&token)
                .header("Idempotency-Key", "big")
                .json(&json!({"pad": "y".repeat(70 * 1024)})),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );

    // Unknown reservations and routes.
    let (s, b) = app
        .post("/api/reservations/nope/pay", Some(&token), json!({}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::NOT_FOUND, "reservation_not_found")
    );
    let (s, b) = app.delete("/api/reservations/nope", Some(&token)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::NOT_FOUND, "reservation_not_found")
    );
    let (s, b) = app.get("/api/events/nope", None).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "event_not_found"));
    let (s, b) = app.get("/api/events/nope/seats", None).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "event_not_found"));
    let (s, b) = app.get("/api/no/such/route", None).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found"));

    assert_eq!(
        snapshot(&app, &event_id).await,
        before_after_undo(before),
        "state unchanged"
    );
    let (_, mine) = app.get("/api/reservations", Some(&token)).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "cancelled"),
        "only the undone purchase exists"
    );
}

fn base62(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![DIGITS[n % 62]];
    n /= 62;
    while n > 0 {
        out.push(DIGITS[n % 62]);
        n /= 62;
    }
    String::from_utf8(out).unwrap()
}

/// The one legitimate purchase above was made and cancelled: stock is back, with two
/// version bumps on that ticket type.
fn before_after_undo(mut before: (Value, Vec<Value>)) -> (Value, Vec<Value>) {
    let v = before.0["ticketTypes"][1]["version"].as_i64().unwrap();
    before.0["ticketTypes"][1]["version"] = json!(v + 2);
    before
}

async fn bad_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event_id = id(&app.simple_event(1, 3, 0).await);
    let seats = seat_ids(&app.seats(&event_id).await);
    let before = snapshot(&app, &event_id).await;
    let body = json!({"eventId": event_id, "seatIds": [seats[0]]});

    let other_key = boxoffice::auth::Jwt::new(b"some-other-secret-some-other-secret!", 60)
        .unwrap()
        .issue(
            &boxoffice::UserId::parse("mallory").unwrap(),
            boxoffice::auth::Role::Admin,
            None,
        )
        .unwrap();
    let valid = app.token("mallory");
    let mut parts: Vec<&str> = valid.split('.').collect();
    // {"alg":"none","typ":"JWT"}
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    parts[0] = none_header;
    let alg_none = format!("{}.{}.", parts[0], parts[1]);
    let tampered = {
        let mut p: Vec<String> = valid.split('.').map(str::to_string).collect();
        // {"sub":"admin-1","exp":9999999999,"role":"admin"} with the original signature.
        p[1] = "eyJzdWIiOiJhZG1pbi0xIiwiZXhwIjo5OTk5OTk5OTk5LCJyb2xlIjoiYWRtaW4ifQ".into();
        p.join(".")
    };
    let cases = [
        ("expired", app.expired_token("mallory"), "token_expired"),
        ("other key", other_key, "invalid_token"),
        ("alg none", alg_none, "invalid_token"),
        ("tampered payload", tampered, "invalid_token"),
        ("garbage", "not-a-jwt".to_string(), "invalid_token"),
    ];
    for (what, token, expected) in &cases {
        let (s, b) = app
            .post("/api/seats/reserve", Some(token), body.clone())
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNAUTHORIZED, *expected),
            "{what}"
        );
        let (s, _) = app.get("/api/reservations", Some(token)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}");
        let (s, _) = app.post("/api/admin/events", Some(token), json!({})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}");
    }
    let (s, b) = app.post("/api/seats/reserve", None, body.clone()).await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "auth_required"));
    let (s, b) = app
        .send(
            app.client
                .get(app.url("/api/reservations"))
                .header("authorization", "Basic abc"),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "auth_required"));
    // A regular user is not an administrator.
    let (s, b) = app.post("/api/admin/events", Some(&valid), json!({})).await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "admin_only"));
    assert_eq!(snapshot(&app, &event_id).await, before);
}

async fn bad_event_definitions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let good = json!({
        "name": "Show", "venue": "Hall", "startsAt": "2027-01-01T20:00:00Z",
        "ticketTypes": [{"name": "GA", "price": 1000, "quantity": 10}]
    });
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut with = |what, f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        cases.push((what, v));
    };
    with("empty name", &|v| v["name"] = json!(""));
    with("bad time", &|v| v["startsAt"] = json!("next tuesday"));
    with("negative price", &|v| {
        v["ticketTypes"][0]["price"] = json!(-1)
    });
    with("negative quantity", &|v| {
        v["ticketTypes"][0]["quantity"] = json!(-10)
    });
    with("huge quantity", &|v| {
        v["ticketTypes"][0]["quantity"] = json!(1_000_000_000_000i64)
    });
    with("no ticket types", &|v| v["ticketTypes"] = json!([]));
    with("zero capacity", &|v| v["capacity"] = json!(0));
    with("zero admit rate", &|v| v["admitRatePerSec"] = json!(0));
    with("hold of 0 s", &|v| v["holdSeconds"] = json!(0));
    with(
        "section points nowhere",
        &|v| {
            v["seatMap"] = json!({"sections": [{"name": "A", "rows": 2, "seatsPerRow": 2, "ticketTypeIndex": 5}]})
        },
    );
    with(
        "negative rows",
        &|v| v["seatMap"] = json!({"sections": [{"name": "A", "rows": -2, "seatsPerRow": 2, "ticketTypeIndex": 0}]}),
    );
    with(
        "huge seat map",
        &|v| v["seatMap"] = json!({"sections": (0..10).map(|i| json!({"name": format!("S{i}"), "rows": 100, "seatsPerRow": 200, "ticketTypeIndex": 0})).collect::<Vec<_>>()}),
    );
    with("unknown field", &|v| v["colour"] = json!("red"));
    for (what, spec) in cases {
        let (s, b) = app.post("/api/admin/events", Some(&admin), spec).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {b}");
    }
    let (_, events) = app.get("/api/events", None).await;
    assert_eq!(events.as_array().unwrap().len(), 0, "no event was created");
    let (s, _) = app.post("/api/admin/events", Some(&admin), good).await;
    assert_eq!(s, StatusCode::CREATED);
}

on_both_databases!(
    bad_shopping_requests_change_nothing,
    bad_tokens_are_refused,
    bad_event_definitions
);

/// Floods get 429 with Retry-After, before doing any work, and change nothing.
async fn floods_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        // 0.25/s: a burst of one, and a refill slow enough that a slow machine cannot
        // blur the count.
        c.auth_rate_per_ip = 0.25;
        c.shop_rate_per_user = 5.0;
    })
    .await;
    // Sign-in flood from one address: the burst passes, then 429.
    let mut limited = 0;
    for i in 0..30 {
        let (s, b) = app
            .post(
                "/api/auth/login",
                None,
                json!({"email": format!("nobody{i}@example.com"), "password": "wrong password"}),
            )
            .await;
        match s {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(code(&b), "rate_limited");
                limited += 1;
            }
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert!(limited >= 20, "{limited} of 30 sign-ins refused");
    let resp = app
        .client
        .post(app.url("/api/auth/guest"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());

    // One user hammering holds: refused once over the limit; stock untouched by the refused.
    // (A per-customer limit above the 60 tried, so only the rate limit refuses.)
    let event = app
        .create_event(json!({
            "name": "Flood", "startsAt": "2027-06-01T19:00:00Z", "maxTicketsPerCustomer": 1000,
            "ticketTypes": [{"name": "Seated", "price": 1}, {"name": "GA", "price": 1, "quantity": 1000}],
            "seatMap": {"sections": [{"name": "A", "rows": 1, "seatsPerRow": 2, "ticketTypeIndex": 0}]}
        }))
        .await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let token = app.token("hammer");
    let admission = app.admission(&token, &event_id).await;
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..60 {
        let (s, _) = app
            .send(
                app.client
                    .post(app.url("/api/reservations"))
                    .bearer_auth(&token)
                    .header("X-Admission-Token", &admission)
                    .json(&json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 1})),
            )
            .await;
        match s {
            StatusCode::CREATED => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused > 0 && ok > 0, "{ok} held, {refused} refused");
    assert_eq!(
        app.remaining(&event_id, 1).await,
        1000 - ok,
        "refused requests changed nothing"
    );
    // Someone else is not slowed down by it.
    let (s, _) = app.buy(&app.token("bystander"), &event_id, &ga, 1).await;
    assert_eq!(s, StatusCode::CREATED);

    // One user polling their allowance (a database read each) is bounded the same way.
    let peeker = app.token("peeker");
    let mut refused = 0;
    for _ in 0..60 {
        let (s, b) = app
            .get(&format!("/api/events/{event_id}/allowance"), Some(&peeker))
            .await;
        match s {
            StatusCode::OK => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(code(&b), "rate_limited");
                refused += 1;
            }
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert!(refused > 0, "an allowance flood is rate-limited");
}

on_both_databases!(floods_are_rate_limited);

/// A 200 KB body (over the 64 KiB limit) gets its 413, and the client's next request on the
/// same keep-alive connection is answered: the server read and discarded the rest of the
/// body instead of closing with it unread (which made the kernel reset the connection).
/// Twenty times each, with Content-Length and chunked, so an intermittent reset would show.
async fn oversized_bodies_keep_the_connection(backend: Backend) {
    use crate::helpers::RawConn;
    let app = TestApp::spawn(backend).await;
    let token = app.token("big-sender");
    let body = json!({"eventId": "e", "seatIds": ["x".repeat(200 * 1024)]}).to_string();
    let health = b"GET /api/health HTTP/1.1\r\nhost: t\r\n\r\n";
    for round in 0..20 {
        let mut conn = RawConn::connect(&app).await;
        let head = format!(
            "POST /api/seats/reserve HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        conn.send(head.as_bytes()).await.unwrap();
        conn.send(body.as_bytes()).await.unwrap();
        let r = conn.read_response().await.unwrap();
        assert_eq!(r.status, 413, "round {round}");
        assert_eq!(code(&r.json()), "payload_too_large");
        conn.send(health).await.unwrap();
        let r = conn
            .read_response()
            .await
            .unwrap_or_else(|e| panic!("round {round}: next request on the connection: {e}"));
        assert_eq!(r.status, 200, "round {round}");
        assert_eq!(r.json()["status"], "ok");

        // The same body chunked, with no Content-Length: refused once it passes the limit.
        let mut conn = RawConn::connect(&app).await;
        let head = format!(
            "POST /api/seats/reserve HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        conn.send(head.as_bytes()).await.unwrap();
        for piece in body.as_bytes().chunks(16 * 1024) {
            conn.send(format!("{:x}\r\n", piece.len()).as_bytes())
                .await
                .unwrap();
            conn.send(piece).await.unwrap();
            conn.send(b"\r\n").await.unwrap();
        }
        conn.send(b"0\r\n\r\n").await.unwrap();
        let r = conn.read_response().await.unwrap();
        assert_eq!(r.status, 413, "chunked round {round}");
        assert_eq!(code(&r.json()), "payload_too_large");
        conn.send(health).await.unwrap();
        let r = conn
            .read_response()
            .await
            .unwrap_or_else(|e| panic!("chunked round {round}: next request: {e}"));
        assert_eq!(r.status, 200, "chunked round {round}");
    }

    // A client that waits for 100-continue has sent nothing: it is told at once, and the
    // connection closes cleanly.
    let mut conn = RawConn::connect(&app).await;
    conn.send(
        b"POST /api/seats/reserve HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n\
          expect: 100-continue\r\ncontent-length: 10000000\r\n\r\n",
    )
    .await
    .unwrap();
    let r = conn.read_response().await.unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(
        conn.read_to_end().await.unwrap(),
        0,
        "a clean end, not a reset"
    );

    let (_, m) = app.get("/api/metrics", Some(&app.admin_token())).await;
    assert!(m["payloadTooLarge"].as_u64().unwrap() >= 41, "{m}");
}

/// Without TRUSTED_PROXIES, X-Forwarded-For is the client's own word and changes nothing:
/// every header value lands in the one bucket of the TCP peer. With the peer trusted, two
/// clients behind it get two buckets, and a spoofed left-most entry is ignored: the
/// right-most address the proxy did not vouch for is the client.
async fn forwarded_for_only_from_trusted_proxies(backend: Backend) {
    // 0.01/s: one request per bucket, the next only after 100 s, so no refill mid-test.
    let login = |app: &TestApp, xff: &str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", xff.to_string())
            .json(&json!({"email": "not-an-email", "password": "whatever1"}))
            .send()
    };
    let untrusted = TestApp::spawn_with(backend, |c| c.auth_rate_per_ip = 0.01).await;
    let first = login(&untrusted, "1.1.1.1").await.unwrap();
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    for spoof in ["2.2.2.2", "3.3.3.3, 4.4.4.4", "127.0.0.2"] {
        let r = login(&untrusted, spoof).await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{spoof}: one bucket"
        );
    }
    untrusted.stop().await;

    let trusted = TestApp::spawn_with(backend, |c| {
        c.auth_rate_per_ip = 0.01;
        c.trusted_proxies =
            boxoffice::http::rate_limit::TrustedProxies::parse("127.0.0.1/32").unwrap();
    })
    .await;
    let status = |xff: &'static str| {
        let app = &trusted;
        async move { login(app, xff).await.unwrap().status() }
    };
    assert_eq!(status("1.1.1.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(status("1.1.1.1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        status("2.2.2.2").await,
        StatusCode::UNAUTHORIZED,
        "a second client has its own bucket"
    );
    assert_eq!(
        status("9.9.9.9, 1.1.1.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed left-most entry is ignored"
    );
    assert_eq!(
        status("1.1.1.1, 127.0.0.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "trusted hops are skipped, right to left"
    );
    let (_, m) = trusted
        .get("/api/metrics", Some(&trusted.admin_token()))
        .await;
    assert_eq!(m["rateLimited"], 3, "{m}");
}

on_both_databases!(
    oversized_bodies_keep_the_connection,
    forwarded_for_only_from_trusted_proxies
);

async fn idempotency_rows(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    use sqlx::Row;
    let pool = app.db().await;
    sqlx::query("SELECT scope, idem_key, response FROM idempotency_keys ORDER BY created_at")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Idempotency-Key is a signed-in caller's: anonymous callers' keys are ignored (two
/// strangers with one key got one guest token), no stored answer holds a token, a claim
/// whose request never answered is taken again after 30 s, a client that hangs up does not
/// leave its key blocked, and old rows are swept.
async fn idempotency_keys_are_per_user_and_hold_no_tokens(backend: Backend) {
    use boxoffice::idempotency::{request_hash, Claim};
    let app = TestApp::spawn(backend).await;

    // Two anonymous callers, one key: two different guests, nothing stored.
    let guest = || {
        app.send(
            app.client
                .post(app.url("/api/auth/guest"))
                .header("Idempotency-Key", "shared-key")
                .json(&json!({})),
        )
    };
    let ((s1, g1), (s2, g2)) = (guest().await, guest().await);
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{g1} {g2}");
    assert_ne!(
        g1["token"], g2["token"],
        "each caller gets a token of their own"
    );
    assert_ne!(g1["user"]["id"], g2["user"]["id"]);
    // A signed-in caller signing in again with a key: /auth/* is never stored either.
    let (s, _) = app
        .send(
            app.client
                .post(app.url("/api/auth/guest"))
                .bearer_auth(g1["token"].as_str().unwrap())
                .header("Idempotency-Key", "shared-key")
                .json(&json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(idempotency_rows(&app).await.is_empty());

    // A queue join answers with an admission token: run, answered, not stored.
    let event = app.simple_event(1, 2, 100).await;
    let event_id = id(&event);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let token = app.token("keyed");
    let join = || {
        app.send(
            app.client
                .post(app.url("/api/queue/join"))
                .bearer_auth(&token)
                .header("Idempotency-Key", "join-1")
                .json(&json!({"eventId": event_id})),
        )
    };
    let (s, j1) = join().await;
    assert_eq!(s, StatusCode::OK);
    assert!(j1["admissionToken"].is_string());
    let (s, j2) = join().await;
    assert_eq!(s, StatusCode::OK);
    assert!(j2["admissionToken"].is_string());
    assert!(idempotency_rows(&app).await.is_empty(), "no token stored");

    // A hold is stored under the user, without any token, and replayed.
    let admission = j2["admissionToken"].as_str().unwrap().to_string();
    let body = json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 1});
    let hold = |key: &'static str| {
        app.client
            .post(app.url("/api/reservations"))
            .bearer_auth(&token)
            .header("X-Admission-Token", &admission)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = hold("hold-1").await.unwrap();
    assert_eq!(
        first.status(),
        StatusCode::CREATED,
        "{}",
        first.text().await.unwrap()
    );
    let again = hold("hold-1").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let rows = idempotency_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("keyed", "hold-1")
    );
    let stored = rows[0].2.clone().unwrap();
    assert!(!stored.contains(&token) && !stored.contains(&admission));
    assert!(!stored.contains("\"token\"") && !stored.contains("admissionToken"));

    // A claim left by a request that never answered (a crash): in use for now...
    let fingerprint = request_hash("POST", "/reservations", &serde_json::to_vec(&body).unwrap());
    let claim = app
        .state
        .idempotency
        .claim("keyed", "crashed", &fingerprint)
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Fresh));
    let r = hold("crashed").await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let b: Value = r.json().await.unwrap();
    assert_eq!(code(&b), "idempotency_key_in_use");
    // ...and taken over once 30 s have passed: the request runs, once.
    app.clock.advance(std::time::Duration::from_secs(31));
    let r = hold("crashed").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().get("idempotent-replayed").is_none());
    let r = hold("crashed").await.unwrap();
    assert_eq!(r.headers()["idempotent-replayed"], "true");
    assert_eq!(
        app.remaining(&event_id, 1).await,
        98,
        "two holds, not three"
    );

    // A client that hangs up right after sending: its request still finishes and is saved,
    // so the retry replays it (or, if it is still running, is told to retry).
    let mut conn = crate::helpers::RawConn::connect(&app).await;
    let raw_body = body.to_string();
    conn.send(
        format!(
            "POST /api/reservations HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {token}\r\n\
             x-admission-token: {admission}\r\nidempotency-key: hung-up\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{raw_body}",
            raw_body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    drop(conn);
    let mut status = StatusCode::CONFLICT;
    for _ in 0..100 {
        status = hold("hung-up").await.unwrap().status();
        if status != StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the key is usable after a hang-up"
    );
    assert_eq!(
        app.remaining(&event_id, 1).await,
        97,
        "and the hold happened once"
    );

    // A day later the sweep deletes what is older than a day, and nothing newer.
    app.clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 60));
    let admission = app.admission(&token, &event_id).await;
    let r = app
        .client
        .post(app.url("/api/reservations"))
        .bearer_auth(&token)
        .header("X-Admission-Token", &admission)
        .header("Idempotency-Key", "fresh")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let deleted = app.state.idempotency.sweep().await.unwrap();
    assert_eq!(deleted, 3, "hold-1, crashed, hung-up");
    let rows = idempotency_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "fresh");
}

on_both_databases!(idempotency_keys_are_per_user_and_hold_no_tokens);
