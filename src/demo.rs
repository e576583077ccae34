//! The demo event a fresh embedded box office starts with, so `git clone` plus one command
//! shows a working on-sale in the browser.

use crate::clock::{to_rfc3339, Clock};
use crate::error::Result;
use crate::inventory::{EventSpec, Inventory, NewEvent, SeatMapSpec, SectionSpec, TicketTypeSpec};

/// The demo: 332 seats in three priced sections plus two general-admission types.
pub fn demo_event(clock: &Clock) -> EventSpec {
    let now = clock.now_ms();
    let day = 24 * 3600 * 1000;
    let section = |name: &str, rows, seats_per_row, ticket_type_index| SectionSpec {
        name: name.into(),
        rows,
        seats_per_row,
        ticket_type_index,
    };
    let ticket = |name: &str, price, quantity| TicketTypeSpec {
        name: name.into(),
        price,
        quantity,
    };
    EventSpec {
        name: "Boxoffice Live: Opening Night".into(),
        venue: "The Demo Hall".into(),
        starts_at: to_rfc3339(now + 30 * day),
        sale_opens_at: Some(to_rfc3339(now - 3600 * 1000)),
        capacity: Some(1000),
        admit_rate_per_sec: Some(10.0),
        hold_seconds: Some(600),
        admission_ttl_seconds: None,
        idle_timeout_seconds: None,
        max_tickets_per_customer: None,
        bot_check: None,
        ticket_types: vec![
            ticket("Orchestra", 12_000, None),
            ticket("Mezzanine", 8_500, None),
            ticket("Balcony", 4_500, None),
            ticket("Standing (general admission)", 4_000, Some(400)),
            ticket("VIP lounge pass", 25_000, Some(40)),
        ],
        seat_map: Some(SeatMapSpec {
            sections: vec![
                section("Orchestra", 10, 14, 0),
                section("Mezzanine", 8, 12, 1),
                section("Balcony", 6, 16, 2),
            ],
        }),
    }
}

/// Creates the demo event when the database holds no events yet, once per database even
/// when several instances start together.
pub async fn seed_if_empty(inventory: &Inventory) -> Result<()> {
    if inventory.event_count().await? > 0 {
        return Ok(());
    }
    let spec = NewEvent::parse(demo_event(inventory.clock()))?;
    if let Some(event) = inventory.create_event_once("demo-event", spec).await? {
        tracing::info!(event_id = %event.id, "created the demo event");
    }
    Ok(())
}
