//! Stadium seat maps (issue 17), on both databases: every seat's `position` in canonical
//! order and the deterministic seat ids of new events.

use crate::helpers::{Backend, TestApp};
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
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    app.stop().await;
}

on_both_databases!(seats_carry_their_position_in_canonical_order);
