//! The demo events a fresh embedded box office starts with, so `git clone` plus one command
//! shows a working on-sale in the browser: one in English priced in US dollars, and one in
//! Seoul priced in won (issue 18), for the Korean side of the web app.

use crate::clock::{to_rfc3339, Clock};
use crate::error::Result;
use crate::inventory::{EventSpec, Inventory, NewEvent, SeatMapSpec, SectionSpec, TicketTypeSpec};

/// The seed names the demo events are created under, once per database.
const DEMO_SEED: &str = "demo-event";
const SEOUL_SEED: &str = "demo-event-seoul";

const DAY_MS: i64 = 24 * 3600 * 1000;

fn section(name: &str, rows: i64, seats_per_row: i64, ticket_type_index: i64) -> SectionSpec {
    SectionSpec {
        name: name.into(),
        rows,
        seats_per_row,
        ticket_type_index,
        x: None,
        y: None,
        rotation: None,
        curve: None,
    }
}

fn ticket(name: &str, price: i64, quantity: Option<i64>) -> TicketTypeSpec {
    TicketTypeSpec {
        name: name.into(),
        price,
        quantity,
    }
}

/// The demo: 332 seats in three priced sections plus two general-admission types, in US
/// dollars, times in UTC.
pub fn demo_event(clock: &Clock) -> EventSpec {
    let now = clock.now_ms();
    EventSpec {
        name: "Boxoffice Live: Opening Night".into(),
        venue: "The Demo Hall".into(),
        currency: Some("USD".into()),
        time_zone: None,
        starts_at: to_rfc3339(now + 30 * DAY_MS),
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
        // No placement: the automatic layout arranges the sections around a stage.
        seat_map: Some(SeatMapSpec {
            stage: None,
            sections: vec![
                section("Orchestra", 10, 14, 0),
                section("Mezzanine", 8, 12, 1),
                section("Balcony", 6, 16, 2),
            ],
        }),
    }
}

/// The Seoul demo: a concert at a hall in Seoul, in Korean, priced in won (KRW has no minor
/// unit: 99,000 is ₩99,000), times in Asia/Seoul. 316 seats in three priced sections plus a
/// standing area. It starts at 19:30 Seoul time 31 days from now; on sale from an hour ago.
pub fn seoul_event(clock: &Clock) -> EventSpec {
    let now = clock.now_ms();
    // 10:30 UTC is 19:30 in Seoul (UTC+9, no daylight saving time).
    let starts_at = (now + 31 * DAY_MS) / DAY_MS * DAY_MS + 10 * 3600 * 1000 + 30 * 60 * 1000;
    EventSpec {
        name: "박스오피스 라이브: 서울 갈라 콘서트".into(),
        venue: "한강아트센터 콘서트홀".into(),
        currency: Some("KRW".into()),
        time_zone: Some("Asia/Seoul".into()),
        starts_at: to_rfc3339(starts_at),
        sale_opens_at: Some(to_rfc3339(now - 3600 * 1000)),
        capacity: Some(1000),
        admit_rate_per_sec: Some(10.0),
        hold_seconds: Some(600),
        admission_ttl_seconds: None,
        idle_timeout_seconds: None,
        max_tickets_per_customer: Some(4),
        bot_check: None,
        ticket_types: vec![
            ticket("R석", 154_000, None),
            ticket("S석", 132_000, None),
            ticket("A석", 99_000, None),
            ticket("스탠딩 (자유석)", 88_000, Some(300)),
        ],
        seat_map: Some(SeatMapSpec {
            stage: None,
            sections: vec![
                section("1층 R석", 8, 14, 0),
                section("1층 S석", 6, 16, 1),
                section("2층 A석", 6, 18, 2),
            ],
        }),
    }
}

/// Creates the demo events, each once per database even when several instances start
/// together: the English one on a database with no events yet, as always; the Seoul one on
/// such a database too, and on one that already has the English demo (seeded by an older
/// version), so every demo database gets it exactly once. A database with events of its own
/// and no demo gets neither.
pub async fn seed(inventory: &Inventory) -> Result<()> {
    let empty = inventory.event_count().await? == 0;
    if empty {
        let spec = NewEvent::parse(demo_event(inventory.clock()))?;
        if let Some(event) = inventory.create_event_once(DEMO_SEED, spec).await? {
            tracing::info!(event_id = %event.id, "created the demo event");
        }
    }
    if empty || inventory.was_seeded(DEMO_SEED).await? {
        let spec = NewEvent::parse(seoul_event(inventory.clock()))?;
        if let Some(event) = inventory.create_event_once(SEOUL_SEED, spec).await? {
            tracing::info!(event_id = %event.id, "created the Seoul demo event");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_demo_events_are_valid() {
        let clock = Clock::system();
        let demo = NewEvent::parse(demo_event(&clock)).unwrap();
        assert_eq!(demo.currency.code(), "USD");
        assert_eq!(demo.time_zone.as_str(), "UTC");
        let seoul = NewEvent::parse(seoul_event(&clock)).unwrap();
        assert_eq!(seoul.currency.code(), "KRW");
        assert_eq!(seoul.time_zone.as_str(), "Asia/Seoul");
        assert_eq!(seoul.ticket_types[2].price, 99_000);
        let starts = crate::clock::to_rfc3339(seoul.starts_at);
        assert!(starts.contains("T10:30:00"), "19:30 in Seoul: {starts}");
    }
}
