//! The proof-of-work bot check over HTTP, on both databases: ALTCHA challenges, payloads
//! solved here as the widget solves them, single use (also across two instances sharing a
//! Redis), and where the check is required: guest sign-in with `BOT_CHECK=pow`, and joining
//! the line of an event created with `botCheck: true`.

use std::time::{Duration, Instant};

use crate::helpers::{id, redis_url, Backend, TestApp};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use boxoffice::botcheck::Mode;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// What the `altcha` widget does: find `number` with SHA-256(salt ‖ number) = challenge,
/// then send base64 of the JSON payload (with the widget's extra `took`).
fn solve(c: &Value) -> String {
    let salt = c["salt"].as_str().unwrap();
    let target = c["challenge"].as_str().unwrap();
    let max = c["maxnumber"].as_u64().unwrap();
    let number = (0..=max)
        .find(|n| hex::encode(Sha256::digest(format!("{salt}{n}"))) == target)
        .expect("a challenge is solvable within maxnumber");
    STANDARD.encode(
        json!({
            "algorithm": c["algorithm"], "challenge": c["challenge"], "number": number,
            "salt": c["salt"], "signature": c["signature"], "took": 1
        })
        .to_string(),
    )
}

fn decode(payload: &str) -> Value {
    serde_json::from_slice(&STANDARD.decode(payload).unwrap()).unwrap()
}

fn encode(v: &Value) -> String {
    STANDARD.encode(v.to_string())
}

async fn challenge(app: &TestApp) -> Value {
    let (s, c) = app.get("/api/botcheck/challenge", None).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

async fn solved(app: &TestApp) -> String {
    solve(&challenge(app).await)
}

async fn guest(app: &TestApp, proof: Option<&str>) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url("/api/auth/guest"));
    if let Some(p) = proof {
        req = req.header("X-Bot-Check", p);
    }
    app.send(req).await
}

async fn join(
    app: &TestApp,
    token: &str,
    event_id: &str,
    proof: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url("/api/queue/join"))
        .bearer_auth(token)
        .json(&json!({"eventId": event_id}));
    if let Some(p) = proof {
        req = req.header("X-Bot-Check", p);
    }
    app.send(req).await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn pow_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| c.bot_check = Mode::Pow).await
}

async fn challenges_are_altcha_v1(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.bot_check_max_number = 5000;
        c.bot_check_ttl_seconds = 120;
    })
    .await;
    let c = challenge(&app).await;
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys.len(),
        5,
        "exactly algorithm, challenge, salt, signature, maxnumber: {c}"
    );
    assert_eq!(c["algorithm"], "SHA-256");
    assert_eq!(c["maxnumber"], 5000);
    assert_eq!(c["challenge"].as_str().unwrap().len(), 64);
    assert_eq!(c["signature"].as_str().unwrap().len(), 64);
    let expires = (app.clock.now_ms() + 120_000) / 1000;
    assert!(
        c["salt"]
            .as_str()
            .unwrap()
            .ends_with(&format!("?expires={expires}&")),
        "{c}"
    );
    // Fresh every time, and never cached.
    assert_ne!(challenge(&app).await["challenge"], c["challenge"]);
    let resp = app
        .client
        .get(app.url("/api/botcheck/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    app.stop().await;
}

async fn guest_sign_in_needs_a_check_only_with_pow(backend: Backend) {
    let off = TestApp::spawn(backend).await;
    let (s, b) = guest(&off, None).await;
    assert_eq!(s, StatusCode::OK, "BOT_CHECK=off by default: {b}");
    off.stop().await;

    let app = pow_app(backend).await;
    let (s, b) = guest(&app, None).await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "bot_check_required"));
    let (s, b) = guest(&app, Some("")).await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "bot_check_required"));
    let proof = solved(&app).await;
    let (s, b) = guest(&app, Some(&proof)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["token"].as_str().is_some());
    let m = app.state.metrics.snapshot();
    assert_eq!((m.bot_check_required, m.bot_check_passed), (2, 1));
    app.stop().await;
}

async fn a_solution_counts_once(backend: Backend) {
    let app = pow_app(backend).await;
    let proof = solved(&app).await;
    let (s, b) = guest(&app, Some(&proof)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for _ in 0..2 {
        let (s, b) = guest(&app, Some(&proof)).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "bot_check_failed"),
            "{b}"
        );
    }
    // The same solution dressed differently (no padding, other `took`) is the same solution.
    let mut again = decode(&proof);
    again["took"] = json!(999);
    let (s, b) = guest(&app, Some(encode(&again).trim_end_matches('='))).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "bot_check_failed"),
        "{b}"
    );
    assert_eq!(app.state.metrics.snapshot().bot_check_failed, 3);
    app.stop().await;
}

async fn forged_and_stale_payloads_fail(backend: Backend) {
    let app = pow_app(backend).await;
    let good = decode(&solved(&app).await);
    let n = good["number"].as_u64().unwrap();
    let mut cases: Vec<(&str, String)> = Vec::new();

    let mut v = good.clone();
    let sig = v["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    v["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    cases.push(("tampered signature", encode(&v)));

    let mut v = good.clone();
    v["number"] = json!(n + 1);
    cases.push(("wrong number", encode(&v)));

    // A challenge of our own making, signed with a key we guessed.
    let mut v = good.clone();
    let salt = "0123456789abcdef01234567?expires=9999999999&";
    let c = hex::encode(Sha256::digest(format!("{salt}7")));
    v["salt"] = json!(salt);
    v["challenge"] = json!(c);
    v["number"] = json!(7);
    cases.push(("self-made challenge", encode(&v)));

    // Digits moved from the number into the salt: same hash, same signature.
    if n >= 10 {
        let digits = n.to_string();
        let mut v = good.clone();
        v["salt"] = json!(format!(
            "{}{}",
            good["salt"].as_str().unwrap(),
            &digits[..1]
        ));
        v["number"] = json!(digits[1..].parse::<u64>().unwrap());
        cases.push(("digits moved into the salt", encode(&v)));
    }

    let mut v = good.clone();
    v["algorithm"] = json!("SHA-1");
    cases.push(("other algorithm", encode(&v)));

    cases.push(("not base64", "%%%".into()));
    cases.push(("not JSON", STANDARD.encode("hello")));
    // Over the 1 KiB bound, under the server-wide 32 KiB limit on request heads.
    cases.push(("oversized", "A".repeat(4 * 1024)));

    for (what, proof) in &cases {
        let (s, b) = guest(&app, Some(proof)).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "bot_check_failed"),
            "{what}: {b}"
        );
    }
    // None of those spent the genuine solution.
    let (s, b) = guest(&app, Some(&encode(&good))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Time does: past its TTL (300 s in tests) a solution is refused as expired.
    let stale = solved(&app).await;
    app.clock.advance(Duration::from_secs(301));
    let (s, b) = guest(&app, Some(&stale)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "bot_check_failed"),
        "expired: {b}"
    );
    let m = app.state.metrics.snapshot();
    assert_eq!(
        (m.bot_check_failed, m.bot_check_passed),
        (cases.len() as u64 + 1, 1)
    );
    // A fresh challenge works again.
    let (s, b) = guest(&app, Some(&solved(&app).await)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app.stop().await;
}

async fn queue_joins_need_a_check_for_bot_check_events(backend: Backend) {
    // Guest sign-in stays open (BOT_CHECK=off); the event asks for the check.
    let app = TestApp::spawn(backend).await;
    let spec = |bot_check: Option<bool>| {
        let mut e = json!({
            "name": "Checked", "startsAt": "2027-06-01T19:00:00Z",
            "ticketTypes": [{"name": "GA", "price": 1000, "quantity": 10}]
        });
        if let Some(b) = bot_check {
            e["botCheck"] = json!(b);
        }
        e
    };
    let checked = app.create_event(spec(Some(true))).await;
    assert_eq!(checked["botCheck"], true, "{checked}");
    let plain = app.create_event(spec(None)).await;
    assert_eq!(plain["botCheck"], false, "default false: {plain}");
    assert_eq!(app.event(&id(&checked)).await["botCheck"], true);

    let token = app.token("joiner-1");
    let (s, b) = join(&app, &token, &id(&checked), None).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "bot_check_required"),
        "{b}"
    );
    let (s, b) = join(&app, &token, &id(&checked), Some("garbage")).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "bot_check_failed"),
        "{b}"
    );
    // Refused joins changed nothing: the user is not in the line.
    let (s, b) = app
        .get(&format!("/api/queue/status/{}", id(&checked)), Some(&token))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["admitted"], false, "{b}");
    assert!(b["position"].is_null(), "{b}");

    // A proof sent where none is needed is not spent…
    let proof = solved(&app).await;
    let (s, b) = join(&app, &token, &id(&plain), Some(&proof)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // …so it still opens the checked event's line, once.
    let (s, b) = join(&app, &token, &id(&checked), Some(&proof)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["admitted"], true, "{b}");
    let (s, b) = join(&app, &app.token("joiner-2"), &id(&checked), Some(&proof)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "bot_check_failed"),
        "{b}"
    );
    // Unknown events are still 404, not a bot check.
    let (s, b) = join(&app, &token, &uuid::Uuid::new_v4().to_string(), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    app.stop().await;
}

on_both_databases!(
    challenges_are_altcha_v1,
    guest_sign_in_needs_a_check_only_with_pow,
    a_solution_counts_once,
    forged_and_stale_payloads_fail,
    queue_joins_need_a_check_for_bot_check_events,
);

/// Two instances sharing one Redis (one prefix, one JWT secret): a solution used on one is
/// refused on the other, whichever comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solution_counts_once_across_instances() {
    let prefix = format!("bo-test-{}", uuid::Uuid::new_v4().simple());
    let cluster = |c: &mut boxoffice::config::Config| {
        c.redis_url = Some(redis_url());
        c.redis_prefix = prefix.clone();
        c.bot_check = Mode::Pow;
    };
    let a = TestApp::spawn_with(Backend::Postgres, cluster).await;
    let b = TestApp::spawn_with(Backend::Postgres, cluster).await;

    let from_a = solved(&a).await;
    let from_b = solved(&b).await;
    // Challenges from either instance verify on the other (shared key)…
    let (s, body) = guest(&b, Some(&from_a)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = guest(&a, Some(&from_b)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // …and count once in the whole cluster.
    for (app, proof) in [(&a, &from_a), (&b, &from_a), (&a, &from_b), (&b, &from_b)] {
        let (s, body) = guest(app, Some(proof)).await;
        assert_eq!(
            (s, code(&body)),
            (StatusCode::FORBIDDEN, "bot_check_failed"),
            "{body}"
        );
    }

    // Ten concurrent uses of one solution, spread over both: exactly one wins.
    let proof = solved(&a).await;
    let tries = (0..10).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        guest(app, Some(&proof))
    });
    let results = futures::future::join_all(tries).await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == StatusCode::OK || code(b) == "bot_check_failed"));
    a.stop().await;
    b.stop().await;
}

/// Verification cost, printed (not asserted: timings are for reading, not for failing).
/// `cargo test --release --test api -- --nocapture bot_check::verification_cost`
#[tokio::test]
async fn verification_cost() {
    // Verifying costs the same at any difficulty; an easy one keeps the solving quick.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.bot_check_max_number = 10).await;
    let n = 20_000;
    let mut proofs = Vec::with_capacity(n);
    for _ in 0..n {
        proofs.push(solve(
            &serde_json::to_value(app.state.bot_check.challenge()).unwrap(),
        ));
    }
    // The check alone (base64, JSON, SHA-256, HMAC), with the key the server derives…
    let key = boxoffice::botcheck::altcha::Key::derive(crate::helpers::SECRET.as_bytes());
    let now = app.clock.now_ms();
    let started = Instant::now();
    for p in &proofs {
        boxoffice::botcheck::altcha::verify(&key, p, now).unwrap();
    }
    let check = started.elapsed().as_nanos() / n as u128;
    // …and the whole rule as a join runs it, single use (memory ledger) included.
    let started = Instant::now();
    for p in &proofs {
        app.state.bot_check.require(true, Some(p)).await.unwrap();
    }
    let per = started.elapsed().as_nanos() / n as u128;
    println!(
        "bot check: {check} ns per payload check; {per} ns per verification with the memory \
         ledger ({n} payloads)"
    );
    assert_eq!(app.state.metrics.snapshot().bot_check_passed, n as u64);
    app.stop().await;
}
