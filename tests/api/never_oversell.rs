//! Never oversell, on both databases: concurrent buyers over real HTTP, and the database's
//! own constraints refusing an oversell that bypasses the application.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::helpers::{id, reservation_seats, seat_ids, Backend, TestApp};
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
pub(crate) async fn assert_invariants(app: &TestApp) {
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
    let customer_mismatch: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT r.event_id, r.user_id, CAST(SUM(i.quantity) AS BIGINT) AS n \
         FROM reservations r JOIN reservation_items i ON i.reservation_id = r.id \
         WHERE i.active = 1 GROUP BY r.event_id, r.user_id) a \
         LEFT JOIN customer_tickets c ON c.event_id = a.event_id AND c.user_id = a.user_id \
         WHERE COALESCE(c.quantity, 0) <> a.n",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        customer_mismatch, 0,
        "per-customer counts match active items"
    );
}

/// One user fires 50 concurrent holds (seats and tickets mixed) at an event whose limit is
/// 10 per customer: together they never pass it, whatever the interleaving.
async fn one_customer_cannot_pass_the_limit(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, |c| c.shop_rate_per_user = 0.0).await);
    let event = app.simple_event(5, 20, 1000).await;
    let event_id = id(&event);
    assert_eq!(event["maxTicketsPerCustomer"], 10, "the default limit");
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let token = app.token("bot-army");
    let admission = app.admission(&token, &event_id).await;

    let mut tasks = Vec::new();
    for i in 0..50usize {
        let app = app.clone();
        let (event_id, ga, token, admission) = (
            event_id.clone(),
            ga.clone(),
            token.clone(),
            admission.clone(),
        );
        // Odd requests hold two seats of their own, even ones two standing tickets.
        let (path, body, n) = if i % 2 == 1 {
            let mine = seats[i * 2..i * 2 + 2].to_vec();
            (
                "/api/seats/reserve",
                serde_json::json!({"eventId": event_id, "seatIds": mine}),
                2,
            )
        } else {
            (
                "/api/reservations",
                serde_json::json!({"eventId": event_id, "ticketTypeId": ga, "quantity": 2}),
                2,
            )
        };
        tasks.push(tokio::spawn(async move {
            let req = app
                .client
                .post(app.url(path))
                .bearer_auth(&token)
                .header("X-Admission-Token", admission)
                .json(&body);
            let (status, body) = app.send(req).await;
            (status, body, n)
        }));
    }
    let mut granted = 0;
    for t in tasks {
        let (status, body, n) = t.await.unwrap();
        match status {
            StatusCode::CREATED => granted += n,
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "customer_limit", "{body}");
                assert_eq!(body["error"]["limit"], 10);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(granted, 10, "exactly the limit was granted");
    // The database agrees: seats held plus tickets held by this user.
    let (_, mine) = app.get("/api/reservations", Some(&token)).await;
    let held: i64 = mine
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["items"].as_array().unwrap().clone())
        .map(|i| i["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(held, 10);
    let seats_held = app
        .seats(&event_id)
        .await
        .iter()
        .filter(|s| s["status"] == "held")
        .count() as i64;
    assert_eq!(seats_held + (1000 - app.remaining(&event_id, 1).await), 10);
    assert_invariants(&app).await;
}

/// 1,000 buyers, admitted first, then released at once through a barrier so their holds
/// arrive together (and go in batches): half ask for 1–4 of 200 seats, half for 1–2 of 300
/// standing tickets. No seat is held twice, no ticket is sold past the stock, every hold is
/// all or nothing and refused with its own code, and the change feed carries exactly one
/// change per won hold, each counter version once.
async fn thousand_buyers_race(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, |c| c.shop_rate_per_user = 0.0).await);
    let event = app
        .create_event(serde_json::json!({
            "name": "Race", "startsAt": "2027-06-01T19:00:00Z",
            "saleOpensAt": "2026-01-01T00:00:00Z", "capacity": 5000, "holdSeconds": 600,
            "ticketTypes": [
                {"name": "Seated", "price": 5000},
                {"name": "Standing", "price": 2000, "quantity": 300}
            ],
            "seatMap": {"sections": [{"name": "A", "rows": 10, "seatsPerRow": 20, "ticketTypeIndex": 0}]}
        }))
        .await;
    let event_id = id(&event);
    let seated = event["ticketTypes"][0]["id"].as_str().unwrap().to_string();
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let all = seat_ids(&app.seats(&event_id).await);
    assert_eq!(all.len(), 200);
    let mut feed = app.state.inventory.feed().subscribe();

    const BUYERS: usize = 1000;
    let barrier = Arc::new(tokio::sync::Barrier::new(BUYERS));
    let mut tasks = Vec::new();
    for buyer in 0..BUYERS {
        let (app, barrier) = (app.clone(), barrier.clone());
        let (event_id, ga) = (event_id.clone(), ga.clone());
        let mut rng = rand::thread_rng();
        let (path, body, wanted) = if buyer % 2 == 0 {
            let n = rng.gen_range(1..=4);
            let wanted: Vec<String> = all.choose_multiple(&mut rng, n).cloned().collect();
            let body = serde_json::json!({"eventId": event_id, "seatIds": wanted});
            ("/api/seats/reserve", body, wanted)
        } else {
            let q = rng.gen_range(1..=2);
            let body = serde_json::json!({"eventId": event_id, "ticketTypeId": ga, "quantity": q});
            ("/api/reservations", body, Vec::new())
        };
        tasks.push(tokio::spawn(async move {
            let token = app.token(&format!("racer-{buyer}"));
            let admission = app.admission(&token, &event_id).await;
            barrier.wait().await;
            let req = app
                .client
                .post(app.url(path))
                .bearer_auth(&token)
                .header("X-Admission-Token", admission)
                .json(&body);
            let (status, answer) = app.send(req).await;
            (buyer, body, wanted, status, answer)
        }));
    }
    let mut seat_owner: HashMap<String, usize> = HashMap::new();
    let (mut tickets_sold, mut won, mut sold_out, mut seat_refused) = (0i64, 0usize, 0, 0);
    let mut won_ids = HashSet::new();
    for t in tasks {
        let (buyer, body, wanted, status, answer) = t.await.unwrap();
        match (status, buyer % 2) {
            (StatusCode::CREATED, 0) => {
                let got = reservation_seats(&answer["reservation"]);
                assert_eq!(
                    got.iter().collect::<HashSet<_>>(),
                    wanted.iter().collect::<HashSet<_>>(),
                    "a hold is all the seats asked for"
                );
                for s in got {
                    if let Some(other) = seat_owner.insert(s.clone(), buyer) {
                        panic!("seat {s} held by buyers {other} and {buyer}");
                    }
                }
                won += 1;
                won_ids.insert(id(&answer["reservation"]));
            }
            (StatusCode::CREATED, _) => {
                let items = answer["reservation"]["items"].as_array().unwrap();
                assert_eq!(items.len(), 1);
                assert_eq!(items[0]["quantity"], body["quantity"]);
                tickets_sold += body["quantity"].as_i64().unwrap();
                won += 1;
                won_ids.insert(id(&answer["reservation"]));
            }
            (StatusCode::CONFLICT, 0) => {
                assert_eq!(answer["error"]["code"], "seat_unavailable", "{answer}");
                let taken: Vec<String> =
                    serde_json::from_value(answer["error"]["seatIds"].clone()).unwrap();
                assert!(!taken.is_empty() && taken.iter().all(|s| wanted.contains(s)));
                seat_refused += 1;
            }
            (StatusCode::CONFLICT, _) => {
                assert_eq!(answer["error"]["code"], "sold_out", "{answer}");
                sold_out += 1;
            }
            (other, _) => panic!("unexpected {other}: {answer}"),
        }
    }
    assert!(
        seat_refused > 0 && sold_out > 0,
        "the race must be lost too"
    );
    assert!(
        tickets_sold <= 300,
        "{tickets_sold} standing tickets sold of 300"
    );
    assert!(
        tickets_sold >= 299,
        "stock is sold until less than any order is left: {tickets_sold}"
    );
    assert_eq!(app.remaining(&event_id, 1).await, 300 - tickets_sold);
    assert_eq!(
        app.remaining(&event_id, 0).await,
        200 - seat_owner.len() as i64
    );
    let held: HashSet<String> = app
        .seats(&event_id)
        .await
        .iter()
        .filter(|s| s["status"] == "held")
        .map(id)
        .collect();
    assert_eq!(held, seat_owner.keys().cloned().collect::<HashSet<_>>());
    assert_invariants(&app).await;

    // One change per won hold, and each counter version handed out once, in order.
    let mut versions: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    let mut published = HashSet::new();
    while published.len() < won {
        let change = tokio::time::timeout(std::time::Duration::from_secs(10), feed.recv())
            .await
            .expect("every won hold is published")
            .expect("the feed kept up");
        assert!(
            published.insert(change.reservation_id.to_string()),
            "published once"
        );
        for s in &change.ticket_types {
            versions
                .entry(s.ticket_type_id.to_string())
                .or_default()
                .push((s.version, s.remaining_quantity));
        }
    }
    assert_eq!(published, won_ids);
    assert!(feed.try_recv().is_err(), "nothing else was published");
    for (type_id, mut seen) in versions {
        seen.sort();
        let before = if type_id == seated { 200 } else { 300 };
        let mut last = (0, before);
        for (version, remaining) in seen {
            assert!(
                version > last.0,
                "version {version} of {type_id} handed out once"
            );
            assert!(remaining < last.1, "stock only falls as versions rise");
            last = (version, remaining);
        }
        let expect = if type_id == seated {
            200 - seat_owner.len() as i64
        } else {
            300 - tickets_sold
        };
        assert_eq!(
            last.1, expect,
            "the last change of {type_id} shows the final stock"
        );
    }
}

/// Holds that queue while an event's batches are in their transactions go together in the
/// next one; when that batch fails in the database (here a trigger refuses one of its
/// reservations), every hold in it is answered 500 and none is kept, while the batches before
/// it stand and a later hold succeeds. PostgreSQL only: a row lock taken from outside holds
/// the first two batches (as many as run at once) open so the third one's make-up is certain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_fails_only_its_own_holds() {
    let app =
        Arc::new(TestApp::spawn_with(Backend::Postgres, |c| c.shop_rate_per_user = 0.0).await);
    let event = app.simple_event(1, 10, 0).await;
    let event_id = id(&event);
    let seated = event["ticketTypes"][0]["id"].as_str().unwrap().to_string();
    let seats = seat_ids(&app.seats(&event_id).await);
    let pool = app.db().await;
    sqlx::query(
        "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
         IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ \
         LANGUAGE plpgsql",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER poison BEFORE INSERT ON reservations FOR EACH ROW EXECUTE FUNCTION poison()")
        .execute(&pool)
        .await
        .unwrap();
    let users = ["first", "second", "poison", "x", "y"];
    let mut admitted = HashMap::new();
    for u in users {
        let token = app.token(u);
        let admission = app.admission(&token, &event_id).await;
        admitted.insert(u, (token, admission));
    }
    let hold = |user: &'static str, seat: usize| {
        let (app, event_id) = (app.clone(), event_id.clone());
        let (token, admission) = admitted[user].clone();
        let seat = seats[seat].clone();
        tokio::spawn(async move {
            let req = app
                .client
                .post(app.url("/api/seats/reserve"))
                .bearer_auth(&token)
                .header("X-Admission-Token", admission)
                .json(&serde_json::json!({"eventId": event_id, "seatIds": [seat]}));
            // Not `app.send`: a 500 is what this test expects of some.
            let resp = req.send().await.unwrap();
            let status = resp.status();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        })
    };

    // Hold the seated counter row: the first batch waits on it, just before its COMMIT.
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM ticket_types WHERE id = $1 FOR UPDATE")
        .bind(&seated)
        .fetch_one(&mut *blocker)
        .await
        .unwrap();
    let waiting_on_locks = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let mut earlier = Vec::new();
    for (n, (user, seat)) in [("first", 0), ("second", 4)].into_iter().enumerate() {
        earlier.push(hold(user, seat));
        let mut waited = 0;
        while waiting_on_locks().await <= n as i64 {
            waited += 1;
            assert!(waited < 200, "batch {n} never reached the counter row");
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
    // These queue behind them and go together.
    let second = [hold("poison", 1), hold("x", 2), hold("y", 3)];
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    blocker.commit().await.unwrap();

    for h in earlier {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for h in second {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(body["error"]["code"], "internal");
    }
    let held: Vec<String> = app
        .seats(&event_id)
        .await
        .iter()
        .filter(|s| s["status"] != "available")
        .map(id)
        .collect();
    assert_eq!(
        held,
        [seats[0].clone(), seats[4].clone()],
        "only the earlier batches' holds are kept"
    );
    let (status, body) = hold("x", 2).await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "a later batch goes on: {body}");
    assert_invariants(&app).await;
}

on_both_databases!(
    thousand_buyers_race,
    one_customer_cannot_pass_the_limit,
    seat_contention,
    ticket_contention,
    database_refuses_oversell
);
