//! The line survives losing its state: in Redis, the line's keys deleted mid-surge (as a
//! restart without persistence does); in memory (embedded mode), the process restarted on
//! the same database. Waiting users who come back with their receipts, in any order, keep
//! their relative order; newcomers queue behind them; the capacity is not exceeded; the
//! shopper admitted before the loss keeps shopping with their admission token.

use std::time::Duration;

use crate::helpers::{id, seat_ids, test_config, Backend, Line, TestApp};
use boxoffice::admission::QueuePosition;
use boxoffice::{EventId, UserId};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Subject {
    line: Line,
    prefix: String,
}

impl Subject {
    async fn spawn(line: Line) -> (Subject, TestApp) {
        let prefix = format!("bo-test-{}", uuid::Uuid::new_v4().simple());
        let app = match line {
            Line::Memory => TestApp::spawn(Backend::Sqlite).await,
            Line::Redis => {
                let p = prefix.clone();
                TestApp::spawn_with(Backend::Postgres, move |c| {
                    c.redis_url = Some(crate::helpers::redis_url());
                    c.redis_prefix = p;
                })
                .await
            }
        };
        (Subject { line, prefix }, app)
    }

    /// Loses the line: its Redis keys are deleted (every instance's view of Redis is now a
    /// restart without persistence), or the embedded process restarts on the same database.
    async fn lose(&self, app: TestApp) -> TestApp {
        match self.line {
            Line::Redis => {
                delete_keys(&format!("{}:line*", self.prefix)).await;
                app
            }
            Line::Memory => {
                let url = app.database_url.clone();
                let clock_now = app.clock.now_ms();
                app.stop().await;
                let mut config = test_config(url);
                config.redis_url = None;
                let app = TestApp::spawn_config(config).await;
                // The restarted process's clock carries on from where the old one was.
                let behind = clock_now - app.clock.now_ms();
                app.clock
                    .advance(Duration::from_millis(behind.max(0) as u64));
                app
            }
        }
    }
}

async fn delete_keys(pattern: &str) {
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "the line had keys to lose");
    let _: () = redis::cmd("DEL")
        .arg(keys)
        .query_async(&mut c)
        .await
        .unwrap();
}

async fn event(app: &TestApp, capacity: i64) -> String {
    id(&app
        .create_event(json!({
            "name": "Hot show",
            "startsAt": "2027-06-01T19:00:00Z",
            "capacity": capacity,
            "admitRatePerSec": 100,
            "idleTimeoutSeconds": 30,
            "admissionTtlSeconds": 600,
            "ticketTypes": [{"name": "Seat", "price": 5000}],
            "seatMap": {"sections": [{"name": "A", "rows": 2, "seatsPerRow": 5, "ticketTypeIndex": 0}]}
        }))
        .await)
}

async fn join(app: &TestApp, user: &str, event_id: &str, receipt: Option<&Value>) -> Value {
    let mut body = json!({"eventId": event_id});
    if let Some(r) = receipt {
        body["receipt"] = r.clone();
    }
    let (s, b) = app
        .post("/api/queue/join", Some(&app.token(user)), body)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn status(app: &TestApp, user: &str, event_id: &str, admission: Option<&str>) -> Value {
    let mut req = app
        .client
        .get(app.url(&format!("/api/queue/status/{event_id}")))
        .bearer_auth(app.token(user));
    if let Some(a) = admission {
        req = req.header("X-Admission-Token", a);
    }
    let (s, b) = app.send(req).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn tick(app: &TestApp, secs: u64) -> usize {
    app.clock.advance(Duration::from_secs(secs));
    app.state.waiting_room.tick_all().await.unwrap()
}

async fn hold(
    app: &TestApp,
    user: &str,
    event_id: &str,
    seat: &str,
    admission: &str,
) -> StatusCode {
    let req = app
        .client
        .post(app.url("/api/seats/reserve"))
        .bearer_auth(app.token(user))
        .header("X-Admission-Token", admission)
        .json(&json!({"eventId": event_id, "seatIds": [seat]}));
    app.send(req).await.0
}

async fn leave(app: &TestApp, user: &str, event_id: &str) {
    let (s, b) = app
        .post(
            "/api/queue/leave",
            Some(&app.token(user)),
            json!({"eventId": event_id}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
}

/// Ticks (a second apart) until someone is admitted; returns who, checking the capacity
/// of 1 on the way.
/// A user's place, straight from the domain: the HTTP status call is rate-limited per user.
async fn position(app: &TestApp, event: &str, user: &str) -> QueuePosition {
    let (event, user) = (EventId::parse(event).unwrap(), UserId::parse(user).unwrap());
    app.state
        .waiting_room
        .position(&event, &user)
        .await
        .unwrap()
}

async fn next_admitted(app: &TestApp, e: &str, candidates: &[&str]) -> String {
    for _ in 0..200 {
        tick(app, 1).await;
        let q = app.event(e).await["queue"].clone();
        assert!(
            q["activeShoppers"].as_i64().unwrap() <= 1,
            "capacity 1 exceeded: {q}"
        );
        for u in candidates {
            if position(app, e, u).await.admitted {
                return u.to_string();
            }
        }
    }
    panic!("nobody of {candidates:?} was admitted");
}

async fn losing_the_line_keeps_everyones_place(line: Line) {
    let (subject, app) = Subject::spawn(line).await;
    let e = event(&app, 1).await;
    let seats = seat_ids(&app.seats(&e).await);

    // One shopping, four waiting at places 1-4, each with a receipt.
    let a = join(&app, "a", &e, None).await;
    assert_eq!(a["admitted"], true);
    assert!(
        a["receipt"].is_null(),
        "an admitted shopper has no place to keep"
    );
    let token_a = a["admissionToken"].as_str().unwrap().to_string();
    assert_eq!(
        hold(&app, "a", &e, &seats[0], &token_a).await,
        StatusCode::CREATED
    );
    let waiting = ["b", "c", "d", "e"];
    let mut before = Vec::new();
    for (i, u) in waiting.iter().enumerate() {
        let p = join(&app, u, &e, None).await;
        assert_eq!(p["position"], i as i64 + 1);
        assert!(p["receipt"].is_string(), "{p}");
        assert_eq!(p["recovering"], false);
        before.push(p);
    }
    // Status answers carry the receipt too.
    assert_eq!(
        status(&app, "b", &e, None).await["receipt"],
        before[0]["receipt"]
    );
    tick(&app, 1).await;

    let app = subject.lose(app).await;
    // Noticed within a tick (Redis), or at start-up (a restarted process; in the background).
    for _ in 0..100 {
        tick(&app, 0).await;
        if app.state.metrics.snapshot().line_losses > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.state.metrics.snapshot().line_losses,
        1,
        "the loss is counted once"
    );
    let gone = status(&app, "b", &e, None).await;
    assert!(gone["position"].is_null(), "{gone}");
    assert_eq!(gone["recovering"], true, "{gone}");
    let q = app.event(&e).await["queue"].clone();
    assert_eq!(q["activeShoppers"], 1, "the shopper's slot is held: {q}");

    // They come back in reverse order, each with their receipt: same numbers, same places.
    for (i, u) in waiting.iter().enumerate().rev() {
        let p = join(&app, u, &e, Some(&before[i]["receipt"])).await;
        assert_eq!(p["number"], before[i]["number"], "{u}: {p}");
        assert_eq!(p["position"], i as i64 + 1, "{u}: {p}");
        assert_eq!(p["recovering"], true);
    }
    // A forged receipt (another user's) proves nothing: a newcomer, behind all of them.
    let newcomer = join(&app, "f", &e, Some(&before[0]["receipt"])).await;
    assert!(newcomer["number"].is_null(), "{newcomer}");
    assert_eq!(newcomer["position"], 5, "{newcomer}");
    assert_eq!(newcomer["admitted"], false);

    // The shopper from before the loss keeps shopping with their admission token.
    let back = status(&app, "a", &e, Some(&token_a)).await;
    assert_eq!(back["admitted"], true, "{back}");
    assert_eq!(
        hold(&app, "a", &e, &seats[1], &token_a).await,
        StatusCode::CREATED
    );
    // Past the pause: still nobody else is let in while the shopper shops.
    for _ in 0..15 {
        tick(&app, 1).await;
    }
    for u in waiting {
        assert!(!position(&app, &e, u).await.admitted, "{u}");
    }
    let q = app.event(&e).await["queue"].clone();
    assert_eq!(q["activeShoppers"], 1, "{q}");
    assert_eq!(q["totalWaiting"], 5, "{q}");

    // Then the line moves in the old order, and the newcomer comes last.
    leave(&app, "a", &e).await;
    let mut order = Vec::new();
    let mut left: Vec<&str> = vec!["b", "c", "d", "e", "f"];
    while !left.is_empty() {
        let u = next_admitted(&app, &e, &left).await;
        left.retain(|x| *x != u);
        leave(&app, &u, &e).await;
        order.push(u);
    }
    assert_eq!(order, ["b", "c", "d", "e", "f"]);
    app.stop().await;
}

async fn receipts_restore_nothing_outside_a_recovery(line: Line) {
    let (_subject, app) = Subject::spawn(line).await;
    let e = event(&app, 1).await;
    join(&app, "a", &e, None).await;
    let b = join(&app, "b", &e, None).await;
    let c = join(&app, "c", &e, None).await;
    assert_eq!(c["position"], 2);
    // b leaves and comes back with the receipt: no jumping the line without a loss.
    leave(&app, "b", &e).await;
    let again = join(&app, "b", &e, Some(&b["receipt"])).await;
    assert!(
        again["number"].as_i64().unwrap() > c["number"].as_i64().unwrap(),
        "{again}"
    );
    assert_eq!(again["recovering"], false);
    app.stop().await;
}

on_both_lines!(
    losing_the_line_keeps_everyones_place,
    receipts_restore_nothing_outside_a_recovery,
);

/// A failover that dropped the last writes: the line's epoch survives, but its numbers went
/// back. The tick notices and the dropped waiter's receipt restores their place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_that_dropped_writes_is_noticed() {
    let (subject, app) = Subject::spawn(Line::Redis).await;
    let e = event(&app, 1).await;
    join(&app, "a", &e, None).await;
    let b = join(&app, "b", &e, None).await;
    let c = join(&app, "c", &e, None).await;
    tick(&app, 1).await;
    // As a replica that never got c's join would have it.
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let k = |name: &str| format!("{}:line:{{{e}}}:{name}", subject.prefix);
    let n = c["number"].as_i64().unwrap();
    let _: () = redis::pipe()
        .hset(k("meta"), "next", n - 1)
        .hincr(k("meta"), "waiting", -1)
        .hdel(k("u2n"), "c")
        .hdel(k("n2u"), n)
        .query_async(&mut conn)
        .await
        .unwrap();
    tick(&app, 1).await;
    assert_eq!(app.state.metrics.snapshot().line_losses, 1);
    let back = join(&app, "c", &e, Some(&c["receipt"])).await;
    assert_eq!(back["number"], c["number"], "{back}");
    assert_eq!(status(&app, "b", &e, None).await["number"], b["number"]);
    // A newcomer waits behind both.
    let d = join(&app, "d", &e, None).await;
    assert_eq!(d["position"], 3, "{d}");
    app.stop().await;
}

/// Receipts are bounded and a valid one stands in for the bot check its holder passed.
#[tokio::test]
async fn oversized_receipts_are_refused_and_valid_ones_skip_the_bot_check() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let e = id(&app
        .create_event(json!({
            "name": "Guarded show",
            "startsAt": "2027-06-01T19:00:00Z",
            "capacity": 1,
            "botCheck": true,
            "ticketTypes": [{"name": "GA", "price": 1000, "quantity": 10}]
        }))
        .await);
    let (s, b) = app
        .post(
            "/api/queue/join",
            Some(&app.token("x")),
            json!({"eventId": e, "receipt": "a".repeat(2000)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["code"], "invalid_field");
    // Without a proof of work, no join; a junk receipt changes nothing.
    let (s, b) = app
        .post(
            "/api/queue/join",
            Some(&app.token("x")),
            json!({"eventId": e, "receipt": "junk.junk"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "bot_check_required");
    app.stop().await;
}
