//! Each event's currency and time zone (issue 18): defaults, the codes and names accepted and
//! refused (each with its field named), the price bound in the event's currency, what `PATCH`
//! may change, and that every event object, reservation, the orders CSV and the live figures
//! say the currency.

use crate::helpers::{id, Backend, TestApp};
use boxoffice::ids::EventId;
use boxoffice::inventory::Currency;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or("")
}

fn fields(b: &Value) -> Vec<String> {
    b["error"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// An event body with one seated type (2 × 3 seats at `price`) and a standing type.
fn body(price: i64, extra: Value) -> Value {
    let mut b = json!({
        "name": "Concert", "venue": "Hall",
        "startsAt": "2027-06-01T10:30:00Z", "saleOpensAt": "2026-01-01T00:00:00Z",
        "ticketTypes": [
            {"name": "R", "price": price},
            {"name": "Standing", "price": 88_000, "quantity": 10}
        ],
        "seatMap": {"sections": [{"name": "A", "rows": 2, "seatsPerRow": 3, "ticketTypeIndex": 0}]}
    });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

async fn create(app: &TestApp, spec: Value) -> (StatusCode, Value) {
    app.post("/api/admin/events", Some(&app.admin_token()), spec)
        .await
}

async fn patch(app: &TestApp, event_id: &str, spec: Value) -> (StatusCode, Value) {
    app.send(
        app.client
            .patch(app.url(&format!("/api/admin/events/{event_id}")))
            .bearer_auth(app.admin_token())
            .json(&spec),
    )
    .await
}

fn zone_and_currency(e: &Value) -> (&str, &str) {
    (
        e["currency"].as_str().unwrap_or("missing"),
        e["timeZone"].as_str().unwrap_or("missing"),
    )
}

async fn defaults_and_accepted_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plain = app.create_event(body(5_000, json!({}))).await;
    assert_eq!(zone_and_currency(&plain), ("USD", "UTC"), "{plain}");
    let seoul = app
        .create_event(body(
            99_000,
            json!({"currency": "KRW", "timeZone": "Asia/Seoul"}),
        ))
        .await;
    assert_eq!(zone_and_currency(&seoul), ("KRW", "Asia/Seoul"));
    // The zone is kept in the database's spelling, whatever case it came in.
    let tokyo = app
        .create_event(body(
            12_000,
            json!({"currency": "JPY", "timeZone": "asia/tokyo"}),
        ))
        .await;
    assert_eq!(zone_and_currency(&tokyo), ("JPY", "Asia/Tokyo"));

    // Every event object says them: one event, the list.
    let one = app.event(&id(&seoul)).await;
    assert_eq!(zone_and_currency(&one), ("KRW", "Asia/Seoul"));
    assert_eq!(one["ticketTypes"][0]["price"], 99_000);
    let (s, list) = app.get("/api/events", None).await;
    assert_eq!(s, StatusCode::OK);
    let mut seen: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let (c, z) = zone_and_currency(e);
            (c.to_string(), z.to_string())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("JPY".into(), "Asia/Tokyo".into()),
            ("KRW".into(), "Asia/Seoul".into()),
            ("USD".into(), "UTC".into())
        ]
    );
    app.stop().await;
}

async fn bad_codes_and_zones_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (currency, says) in [
        ("krw", "three capital letters"),
        ("₩", "three capital letters"),
        ("KRWX", "three capital letters"),
        ("ABC", "not an ISO 4217 currency"),
        ("XAU", "special"),
        ("HRK", "replaced by EUR"),
        ("IDR", "disagree"),
    ] {
        let (s, b) = create(&app, body(5_000, json!({"currency": currency}))).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{b}"
        );
        assert_eq!(b["error"]["field"], "currency", "{currency}: {b}");
        let message = b["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{currency}: {message}");
    }
    for zone in [
        "Mars/Olympus_Mons",
        "",
        "+09:00",
        "Etc/Unknown",
        "Asia/Seoul\u{0}",
    ] {
        let (s, b) = create(&app, body(5_000, json!({"timeZone": zone}))).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{b}"
        );
        assert_eq!(b["error"]["field"], "timeZone", "{zone:?}: {b}");
    }
    // Wrong JSON types are the body's form, as for every other field.
    let (s, b) = create(&app, body(5_000, json!({"currency": 410}))).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_body"),
        "{b}"
    );
    // Every bad field at once, in body order, and nothing created.
    let (s, b) = create(
        &app,
        body(
            -1,
            json!({"currency": "usd", "timeZone": "Nowhere", "capacity": 0}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        fields(&b),
        ["currency", "timeZone", "capacity", "ticketTypes[0].price"],
        "{b}"
    );
    // The currency is unknown, so the price bound is stated in minor units alone.
    assert_eq!(
        b["error"]["fields"][3]["message"],
        "ticketTypes[0].price must be between 0 and 100000000 (minor units)"
    );
    let (_, list) = app.get("/api/events", None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    app.stop().await;
}

async fn prices_are_bounded_in_the_events_currency(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // ₩99,000 and $25.00 are both ordinary prices.
    app.create_event(body(99_000, json!({"currency": "KRW"})))
        .await;
    app.create_event(body(2_500, json!({"currency": "USD"})))
        .await;
    // The highest price is 100,000,000 minor units whatever the currency.
    app.create_event(body(100_000_000, json!({"currency": "KRW"})))
        .await;
    for (currency, bound) in [
        ("KRW", "KRW 100,000,000"),
        ("JPY", "JPY 100,000,000"),
        ("USD", "USD 1,000,000.00"),
        ("BHD", "BHD 100,000.000"),
    ] {
        let (s, b) = create(&app, body(100_000_001, json!({"currency": currency}))).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{b}"
        );
        assert_eq!(b["error"]["field"], "ticketTypes[0].price");
        assert_eq!(
            b["error"]["message"],
            format!(
                "ticketTypes[0].price must be between 0 and 100000000 minor units of \
                 {currency} (at most {bound})"
            )
        );
    }
    app.stop().await;
}

async fn patch_changes_the_zone_and_the_currency_until_a_reservation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app.create_event(body(99_000, json!({}))).await;
    let event_id = id(&event);
    assert_eq!(zone_and_currency(&event), ("USD", "UTC"));

    // Before any reservation both may change (a wrong default is fixed this way).
    let (s, b) = patch(
        &app,
        &event_id,
        json!({"currency": "KRW", "timeZone": "Asia/Seoul"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(zone_and_currency(&b), ("KRW", "Asia/Seoul"));
    assert_eq!(
        b["ticketTypes"][0]["price"], 99_000,
        "prices are the same numbers"
    );
    assert_eq!(
        zone_and_currency(&app.event(&event_id).await),
        ("KRW", "Asia/Seoul")
    );
    let db = app.db().await;
    let details: String = sqlx::query_scalar(
        "SELECT details FROM admin_actions WHERE action = 'event.update' AND event_id = $1",
    )
    .bind(&event_id)
    .fetch_one(&db)
    .await
    .unwrap();
    let details: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(
        details["changes"],
        json!([
            {"field": "currency", "old": "USD", "new": "KRW"},
            {"field": "timeZone", "old": "UTC", "new": "Asia/Seoul"}
        ])
    );

    // Bad values are named, as in create.
    let (s, b) = patch(
        &app,
        &event_id,
        json!({"currency": "won", "timeZone": "Seoul"}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::BAD_REQUEST, "invalid_field"));
    assert_eq!(fields(&b), ["currency", "timeZone"]);

    // Once anyone holds a ticket, the currency is fixed; the zone is not.
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let (s, held) = app.buy(&app.token("ann"), &event_id, &ga, 1).await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    let (s, b) = patch(&app, &event_id, json!({"currency": "JPY"})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "currency_locked"),
        "{b}"
    );
    // Naming the currency it has is no change, so not refused.
    let (s, b) = patch(
        &app,
        &event_id,
        json!({"currency": "KRW", "timeZone": "UTC"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(zone_and_currency(&b), ("KRW", "UTC"));
    // Still locked after the hold is cancelled: its total was shown in won.
    let rid = id(&held["reservation"]);
    let (s, _) = app
        .delete(&format!("/api/reservations/{rid}"), Some(&app.token("ann")))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = patch(&app, &event_id, json!({"currency": "USD"})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "currency_locked"),
        "{b}"
    );
    assert_eq!(app.event(&event_id).await["currency"], "KRW");
    app.stop().await;
}

async fn reservations_csv_and_figures_carry_the_currency(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app
        .create_event(body(
            154_000,
            json!({"currency": "KRW", "timeZone": "Asia/Seoul"}),
        ))
        .await;
    let event_id = id(&event);
    let ann = app.token("ann");
    let seats: Vec<String> = app.seats(&event_id).await.iter().map(id).collect();

    let (s, held) = app.hold(&ann, &event_id, &seats[..2]).await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    assert_eq!(held["reservation"]["currency"], "KRW", "{held}");
    assert_eq!(held["reservation"]["total"], 308_000);
    let ga = event["ticketTypes"][1]["id"].as_str().unwrap().to_string();
    let (s, bought) = app.buy(&ann, &event_id, &ga, 2).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    assert_eq!(bought["reservation"]["currency"], "KRW");

    let rid = id(&held["reservation"]);
    let (s, paid) = app
        .post(
            &format!("/api/reservations/{rid}/pay"),
            Some(&ann),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!(paid["reservation"]["currency"], "KRW");
    let (s, mine) = app.get("/api/reservations", Some(&ann)).await;
    assert_eq!(s, StatusCode::OK);
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|r| r["currency"] == "KRW"), "{mine:?}");

    // Another event's orders in its own currency.
    let usd = app.create_event(body(5_000, json!({}))).await;
    let usd_seats: Vec<String> = app.seats(&id(&usd)).await.iter().map(id).collect();
    let (s, other) = app.hold(&ann, &id(&usd), &usd_seats[..1]).await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    assert_eq!(other["reservation"]["currency"], "USD");

    // The CSV: a currency column after amount.
    let resp = app
        .client
        .get(app.url(&format!("/api/admin/events/{event_id}/orders.csv")))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "order_id,paid_at,user_id,email,name,ticket_type,seats,quantity,amount,currency"
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].ends_with(",2,308000,KRW"), "{}", lines[1]);

    // The live figures' revenue says its currency.
    let stats = app
        .state
        .live
        .stats(&EventId::parse(&event_id).unwrap())
        .await
        .unwrap();
    let stats = serde_json::to_value(stats).unwrap();
    assert_eq!(
        (stats["revenue"].as_i64(), stats["currency"].as_str()),
        (Some(308_000), Some("KRW"))
    );
    app.stop().await;
}

async fn default_currency_setting_is_honoured(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.default_currency = Currency::parse("JPY").unwrap();
    })
    .await;
    let event = app.create_event(body(12_000, json!({}))).await;
    assert_eq!(zone_and_currency(&event), ("JPY", "UTC"));
    // A body's own currency wins.
    let event = app
        .create_event(body(2_500, json!({"currency": "USD"})))
        .await;
    assert_eq!(event["currency"], "USD");
    app.stop().await;
}

on_both_databases!(
    defaults_and_accepted_codes,
    bad_codes_and_zones_are_named,
    prices_are_bounded_in_the_events_currency,
    patch_changes_the_zone_and_the_currency_until_a_reservation,
    reservations_csv_and_figures_carry_the_currency,
    default_currency_setting_is_honoured,
);

/// A bad `DEFAULT_CURRENCY` stops the server at start, saying which setting is wrong.
#[test]
fn a_bad_default_currency_refuses_to_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .env_clear()
        .env("DEFAULT_CURRENCY", "dollars")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PORT", "0")
        .output()
        .expect("the boxoffice binary");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DEFAULT_CURRENCY"), "{stderr}");
    assert!(stderr.contains("three capital letters"), "{stderr}");
}
