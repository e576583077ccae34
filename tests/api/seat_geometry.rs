//! Stadium seat maps (issue 17), on both databases: every seat's `position` in canonical
//! order and the deterministic seat ids of new events; the compact geometry
//! (`GET /api/events/{id}/seatmap`) decoded back into exactly the v1 seats, for the automatic
//! layout and for placed, rotated and curved sections; its `ETag`, `304` and `immutable`;
//! placement field errors; the admin preview; a 50,000-seat event and its compressed
//! geometry's size; compression and the web app's cache headers.

use std::time::Instant;

use crate::helpers::{Backend, TestApp};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn spec(sections: Value) -> Value {
    json!({
        "name": "Geometry Show",
        "venue": "Test Arena",
        "startsAt": "2027-06-01T19:00:00Z",
        "saleOpensAt": "2026-01-01T00:00:00Z",
        "ticketTypes": [
            {"name": "Floor", "price": 9000},
            {"name": "Upper", "price": 4000},
            {"name": "Standing", "price": 2000, "quantity": 10}
        ],
        "seatMap": {"sections": sections}
    })
}

/// Seats come in canonical order (sections as given, rows front to back, seats by
/// number), each carrying its index as `position`, named `<event id>-<position>`.
async fn seats_carry_their_position_in_canonical_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let event = app
        .create_event(spec(json!([
            {"name": "Upper", "rows": 2, "seatsPerRow": 5, "ticketTypeIndex": 1},
            {"name": "Floor", "rows": 3, "seatsPerRow": 4, "ticketTypeIndex": 0}
        ])))
        .await;
    let event_id = event["id"].as_str().unwrap();
    let seats = app.seats(event_id).await;
    assert_eq!(seats.len(), 22);
    let mut expected = Vec::new();
    for (section, rows, per_row) in [("Upper", 2, 5), ("Floor", 3, 4)] {
        for row in ["A", "B", "C"].into_iter().take(rows) {
            for number in 1..=per_row {
                expected.push((section.to_string(), row.to_string(), number));
            }
        }
    }
    for (p, (seat, (section, row, number))) in seats.iter().zip(&expected).enumerate() {
        assert_eq!(seat["position"], p as i64, "{seat}");
        assert_eq!(seat["id"], format!("{event_id}-{p}"), "{seat}");
        assert_eq!(seat["section"], section.as_str(), "{seat}");
        assert_eq!(seat["row"], row.as_str(), "{seat}");
        assert_eq!(seat["number"], *number as i64, "{seat}");
    }
    // The ids are ordinary seat ids: a hold takes them.
    let token = app.token("fan-1");
    let (status, body) = app
        .post_admitted(
            "/api/seats/reserve",
            &token,
            event_id,
            json!({"eventId": event_id, "seatIds": [format!("{event_id}-0"), format!("{event_id}-21")]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

on_both_databases!(seats_carry_their_position_in_canonical_order);

/// One decoded seat: id, section, row, number, ticket type id, x, y.
type Decoded = (String, String, String, i64, String, f64, f64);

/// Decodes a geometry by the rules of docs/PROTOCOL-ADDITIONS.md, in position order.
fn decode(g: &Value) -> Vec<Decoded> {
    let types: Vec<String> = g["ticketTypeIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let type_name = |i: &Value| {
        let i = i.as_u64().unwrap() as usize;
        types.get(i).cloned().unwrap_or_else(|| i.to_string())
    };
    let id_of = |p: usize| match g["ids"].get("list") {
        Some(list) => list[p].as_str().unwrap().to_string(),
        None => format!(
            "{}{}",
            g["ids"]["prefix"].as_str().unwrap(),
            g["ids"]["start"].as_u64().unwrap() as usize + p
        ),
    };
    let mut out = Vec::new();
    for section in g["sections"].as_array().unwrap() {
        assert_eq!(section["first"].as_u64().unwrap() as usize, out.len());
        let name = section["name"].as_str().unwrap();
        for row in section["rows"].as_array().unwrap() {
            let label = row["label"].as_str().unwrap();
            let mut seats: Vec<(i64, f64, f64)> = Vec::new();
            let f = |k: &str| row[k].as_f64().unwrap();
            if let Some(numbers) = row.get("numbers") {
                let points = row["points"].as_array().unwrap();
                for (k, n) in numbers.as_array().unwrap().iter().enumerate() {
                    let (x, y) = (
                        points[2 * k].as_f64().unwrap(),
                        points[2 * k + 1].as_f64().unwrap(),
                    );
                    seats.push((n.as_i64().unwrap(), x, y));
                }
            } else {
                let first = row["first"].as_i64().unwrap();
                for k in 0..row["count"].as_u64().unwrap() as usize {
                    let kf = k as f64;
                    let (x, y) = if row.get("dx").is_some() {
                        (f("x") + kf * f("dx"), f("y") + kf * f("dy"))
                    } else {
                        let t = f("a") + kf * f("da");
                        (f("cx") + f("r") * t.cos(), f("cy") + f("r") * t.sin())
                    };
                    seats.push((first + k as i64, x, y));
                }
            }
            for (k, (number, x, y)) in seats.into_iter().enumerate() {
                let t = match (row.get("types"), row.get("ticketType")) {
                    (Some(types), _) => type_name(&types[k]),
                    (None, Some(t)) => type_name(t),
                    (None, None) => type_name(&section["ticketType"]),
                };
                let p = out.len();
                out.push((
                    id_of(p),
                    name.to_string(),
                    label.to_string(),
                    number,
                    t,
                    x,
                    y,
                ));
            }
        }
    }
    assert_eq!(out.len() as u64, g["seatCount"].as_u64().unwrap());
    out
}

/// The geometry decodes to exactly the seats `GET /api/events/{id}/seats` lists, all inside
/// the bounds.
fn assert_decodes_to(g: &Value, seats: &[Value]) {
    let decoded = decode(g);
    assert_eq!(decoded.len(), seats.len());
    let b = &g["bounds"];
    let (bx, by) = (b["x"].as_f64().unwrap(), b["y"].as_f64().unwrap());
    let (bw, bh) = (b["width"].as_f64().unwrap(), b["height"].as_f64().unwrap());
    for (d, s) in decoded.iter().zip(seats) {
        assert_eq!(d.0, s["id"].as_str().unwrap());
        assert_eq!(d.1, s["section"].as_str().unwrap());
        assert_eq!(d.2, s["row"].as_str().unwrap());
        assert_eq!(d.3, s["number"].as_i64().unwrap());
        assert_eq!(d.4, s["ticketTypeId"].as_str().unwrap());
        let (x, y) = (s["x"].as_f64().unwrap(), s["y"].as_f64().unwrap());
        assert!(
            (d.5 - x).abs() <= 0.01 && (d.6 - y).abs() <= 0.01,
            "{d:?} decoded, {s} stored"
        );
        assert!(
            x >= bx && x <= bx + bw && y >= by && y <= by + bh,
            "{s} outside {b}"
        );
    }
}

async fn geometry(app: &TestApp, event_id: &str) -> (reqwest::Response, Value) {
    let res = app
        .client
        .get(app.url(&format!("/api/events/{event_id}/seatmap")))
        .send()
        .await
        .unwrap();
    let headers = res.headers().clone();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = app
        .client
        .get(app.url(&format!("/api/events/{event_id}/seatmap")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()[ETAG], headers[ETAG]);
    (again, body)
}

/// The automatic layout and placed, rotated, curved sections with a stage: the geometry is
/// the v1 seats, compactly; ETag, 304, immutable; 404 for no event; empty for a GA event.
async fn geometry_decodes_to_the_v1_seats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let auto = app
        .create_event(spec(json!([
            {"name": "Floor", "rows": 6, "seatsPerRow": 12, "ticketTypeIndex": 0},
            {"name": "Left", "rows": 4, "seatsPerRow": 9, "ticketTypeIndex": 1},
            {"name": "Right", "rows": 4, "seatsPerRow": 9, "ticketTypeIndex": 1}
        ])))
        .await;
    let placed = app
        .create_event(json!({
            "name": "Placed", "startsAt": "2027-06-01T19:00:00Z",
            "ticketTypes": [{"name": "Floor", "price": 9000}, {"name": "Upper", "price": 4000}],
            "seatMap": {
                "stage": {"x": 400, "y": 0, "width": 400, "height": 120, "label": "Main stage"},
                "sections": [
                    {"name": "Centre", "rows": 5, "seatsPerRow": 10, "ticketTypeIndex": 0,
                     "x": 600, "y": 300},
                    {"name": "Wing", "rows": 3, "seatsPerRow": 8, "ticketTypeIndex": 1,
                     "x": 1100, "y": 400, "rotation": -35.5},
                    {"name": "Bowl", "rows": 4, "seatsPerRow": 21, "ticketTypeIndex": 1,
                     "x": 600, "y": 700, "curve": 75},
                    {"name": "Turned", "rows": 3, "seatsPerRow": 6, "ticketTypeIndex": 0,
                     "x": 100, "y": 400, "rotation": 120, "curve": 180}
                ]}
        }))
        .await;
    for (event, kinds) in [(&auto, "auto"), (&placed, "placed")] {
        let event_id = event["id"].as_str().unwrap();
        let (res, g) = geometry(&app, event_id).await;
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(
            res.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let etag = res.headers()[ETAG].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
        assert_eq!(g["eventId"], event_id);
        assert_eq!(
            g["ids"],
            json!({"prefix": format!("{event_id}-"), "start": 0})
        );
        let seats = app.seats(event_id).await;
        assert_decodes_to(&g, &seats);
        let types: Vec<&Value> = event["ticketTypes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["seated"] == true)
            .map(|t| &t["id"])
            .collect();
        assert_eq!(
            g["ticketTypeIds"]
                .as_array()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            types
        );
        assert!(g["stage"].is_object(), "{kinds}: a stage");
        // Compact: no row is spelled out seat by seat.
        for section in g["sections"].as_array().unwrap() {
            for row in section["rows"].as_array().unwrap() {
                assert!(row.get("points").is_none(), "{kinds}: {row}");
            }
        }
        // Revalidation.
        let res = app
            .client
            .get(app.url(&format!("/api/events/{event_id}/seatmap")))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[ETAG].to_str().unwrap(), etag);
        // Compressed, the body is other bytes: its strong tag names the coding, and
        // revalidating with that tag is a 304 repeating it.
        for coding in ["gzip", "br"] {
            let res = app
                .client
                .get(app.url(&format!("/api/events/{event_id}/seatmap")))
                .header(ACCEPT_ENCODING, coding)
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()[CONTENT_ENCODING], coding);
            let coded = res.headers()[ETAG].to_str().unwrap().to_string();
            assert_eq!(coded, format!("{}-{coding}\"", &etag[..etag.len() - 1]));
            let res = app
                .client
                .get(app.url(&format!("/api/events/{event_id}/seatmap")))
                .header(ACCEPT_ENCODING, coding)
                .header(IF_NONE_MATCH, &coded)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{coding}");
            assert_eq!(res.headers()[ETAG].to_str().unwrap(), coded);
        }
        let res = app
            .client
            .get(app.url(&format!("/api/events/{event_id}/seatmap")))
            .header(IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // As placed: echoed, with the stage given.
    let (_, g) = geometry(&app, placed["id"].as_str().unwrap()).await;
    assert_eq!(
        g["stage"],
        json!({"x": 400.0, "y": 0.0, "width": 400.0, "height": 120.0, "label": "Main stage"})
    );
    let wing = &g["sections"][1];
    assert_eq!(
        (wing["x"].as_f64(), wing["y"].as_f64()),
        (Some(1100.0), Some(400.0))
    );
    assert_eq!(wing["rotation"].as_f64(), Some(-35.5));
    assert_eq!(g["sections"][2]["curve"].as_f64(), Some(75.0));
    assert!(
        g["sections"][2]["rows"][0].get("r").is_some(),
        "a curved row is an arc"
    );
    assert_eq!(wing["ticketType"], 1);

    // General admission only: an empty map. No such event: 404.
    let ga = app
        .create_event(json!({
            "name": "GA", "startsAt": "2027-06-01T19:00:00Z",
            "ticketTypes": [{"name": "Standing", "price": 100, "quantity": 5}]
        }))
        .await;
    let (_, g) = geometry(&app, ga["id"].as_str().unwrap()).await;
    assert_eq!(g["seatCount"], 0);
    assert_eq!(g["sections"], json!([]));
    let (status, body) = app.get("/api/events/nope/seatmap", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "event_not_found");
    app.stop().await;
}

/// Placement is all or nothing and bounded; every bad field is named with its path.
async fn placement_field_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app
        .post(
            "/api/admin/events",
            Some(&app.admin_token()),
            json!({
                "name": "Bad", "startsAt": "2027-06-01T19:00:00Z",
                "ticketTypes": [{"name": "Floor", "price": 9000}],
                "seatMap": {
                    "stage": {"x": 0, "y": 0, "width": 0, "height": 50},
                    "sections": [
                        {"name": "A", "rows": 2, "seatsPerRow": 2, "ticketTypeIndex": 0, "x": 10, "y": 10, "rotation": 400},
                        {"name": "B", "rows": 2, "seatsPerRow": 2, "ticketTypeIndex": 0, "curve": 181},
                        {"name": "C", "rows": 2, "seatsPerRow": 2, "ticketTypeIndex": 0, "x": 1e9, "y": 10}
                    ]}
            }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_field");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "seatMap.stage.width",
            "seatMap.sections[0].rotation",
            "seatMap.sections[1].curve",
            "seatMap.sections[1].x",
            "seatMap.sections[1].y",
            "seatMap.sections[2].x",
        ]
    );
    app.stop().await;
}

/// `POST /api/admin/seat-maps/preview`: admins only, the create body's checks, a geometry.
async fn preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let map = json!({"sections": [
        {"name": "Floor", "rows": 3, "seatsPerRow": 4, "ticketTypeIndex": 0},
        {"name": "Upper", "rows": 2, "seatsPerRow": 5, "ticketTypeIndex": 3}
    ]});
    let (status, body) = app
        .post("/api/admin/seat-maps/preview", None, map.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app
        .post(
            "/api/admin/seat-maps/preview",
            Some(&app.token("fan")),
            map.clone(),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_only"))
    );
    let admin = app.admin_token();
    let (status, g) = app
        .post("/api/admin/seat-maps/preview", Some(&admin), map)
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["eventId"], Value::Null);
    assert_eq!(g["ids"], json!({"prefix": "", "start": 0}));
    assert_eq!(g["ticketTypeIds"], json!([]));
    assert_eq!(g["seatCount"], 22);
    assert_eq!(g["sections"][1]["ticketType"], 3);
    assert!(g["stage"].is_object());
    let decoded = decode(&g);
    assert_eq!(decoded[12].0, "12");
    assert_eq!(
        (
            decoded[12].1.as_str(),
            decoded[12].2.as_str(),
            decoded[12].3
        ),
        ("Upper", "A", 1)
    );

    // The same event laid out for real has the same seats where the preview put them.
    let event = app
        .create_event(spec(json!([
            {"name": "Floor", "rows": 3, "seatsPerRow": 4, "ticketTypeIndex": 0},
            {"name": "Upper", "rows": 2, "seatsPerRow": 5, "ticketTypeIndex": 1}
        ])))
        .await;
    let seats = app.seats(event["id"].as_str().unwrap()).await;
    for (d, s) in decoded.iter().zip(&seats) {
        assert!((d.5 - s["x"].as_f64().unwrap()).abs() <= 0.01);
        assert!((d.6 - s["y"].as_f64().unwrap()).abs() <= 0.01);
    }

    let (status, body) = app
        .post(
            "/api/admin/seat-maps/preview",
            Some(&admin),
            json!({"sections": [{"name": "", "rows": 0, "seatsPerRow": 2, "ticketTypeIndex": 50}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_field");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "seatMap.sections[0].name",
            "seatMap.sections[0].rows",
            "seatMap.sections[0].ticketTypeIndex"
        ]
    );
    let (status, body) = app
        .post(
            "/api/admin/seat-maps/preview",
            Some(&admin),
            json!({"sections": [], "extra": 1}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_body"))
    );
    app.stop().await;
}

/// 20 sections × 50 rows × 50 seats: created (the time printed), its geometry decodes to the
/// 50,000 seats and is small compressed (asserted against 256 KiB, printed), and JSON answers
/// are compressed.
async fn fifty_thousand_seats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sections: Vec<Value> = (0..20)
        .map(|i| {
            json!({"name": format!("S{:02}", i + 1), "rows": 50, "seatsPerRow": 50,
                        "ticketTypeIndex": usize::from(i >= 8)})
        })
        .collect();
    let started = Instant::now();
    let event = app.create_event(spec(json!(sections))).await;
    println!(
        "{backend:?}: created a 50,000-seat event in {:?} (debug build)",
        started.elapsed()
    );
    let event_id = event["id"].as_str().unwrap();
    let (res, g) = geometry(&app, event_id).await;
    let raw = res.bytes().await.unwrap().len();
    let seats = app.seats(event_id).await;
    assert_eq!(seats.len(), 50_000);
    assert_decodes_to(&g, &seats);
    for (encoding, budget) in [("gzip", 256 * 1024), ("br", 256 * 1024)] {
        let res = app
            .client
            .get(app.url(&format!("/api/events/{event_id}/seatmap")))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()[CONTENT_ENCODING], encoding);
        let n = res.bytes().await.unwrap().len();
        println!("{backend:?}: geometry of 50,000 seats: {raw} bytes, {n} bytes {encoding}");
        assert!(n <= budget, "{n} bytes {encoding}");
    }
    // The v1 seats are compressed too (and much larger).
    let res = app
        .client
        .get(app.url(&format!("/api/events/{event_id}/seats")))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
    println!(
        "{backend:?}: v1 seats of 50,000 seats: {} bytes gzip",
        res.bytes().await.unwrap().len()
    );
    app.stop().await;
}

on_both_databases!(
    geometry_decodes_to_the_v1_seats,
    placement_field_errors,
    preview,
    fifty_thousand_seats
);

/// The web app: hashed assets kept a year, index.html and client routes revalidated (304),
/// both compressed when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_app_cache_headers_and_compression() {
    let dir = std::env::temp_dir().join(format!("bo-web-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    let html = format!(
        "<!doctype html><title>Boxoffice</title>{}",
        "<p>hello</p>".repeat(100)
    );
    std::fs::write(dir.join("index.html"), &html).unwrap();
    std::fs::write(
        dir.join("assets/app-3f2a1b.js"),
        "console.log('app');".repeat(200),
    )
    .unwrap();
    let web = dir.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| c.web_dir = web).await;
    let get = |path: &str| app.client.get(app.url(path));

    let res = get("/assets/app-3f2a1b.js")
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.headers()[CONTENT_ENCODING], "br");
    // A missing asset falls back to index.html, which is not kept under the asset's name.
    let res = get("/assets/gone-000000.js").send().await.unwrap();
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");

    for path in ["/", "/events/some-event"] {
        let res = get(path)
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CACHE_CONTROL], "no-cache", "{path}");
        assert_eq!(res.headers()[CONTENT_ENCODING], "gzip", "{path}");
        let modified = res.headers()["last-modified"].clone();
        let again = get(path)
            .header("if-modified-since", modified)
            .send()
            .await
            .unwrap();
        assert_eq!(
            again.status(),
            StatusCode::NOT_MODIFIED,
            "{path}: a reload revalidates"
        );
    }
    // JSON is compressed; an answer the client did not ask to compress is not.
    let res = get("/api/openapi.json")
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
    let res = get("/api/openapi.json").send().await.unwrap();
    assert!(res.headers().get(CONTENT_ENCODING).is_none());
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
