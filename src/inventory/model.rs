//! What the inventory is made of, as clients see it, and the parsed inputs that change it.
//!
//! Inputs are parsed once at the edge into types that cannot hold a bad value
//! ([`NewEvent`], [`SeatSelection`], [`Quantity`], and the ids of [`crate::ids`]), so the
//! rest of the domain never re-checks.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::clock::{parse_rfc3339, serde_rfc3339, Millis};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: EventId,
    pub name: String,
    pub venue: String,
    #[serde(with = "serde_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Millis,
    #[serde(with = "serde_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub sale_opens_at: Millis,
    pub has_seat_map: bool,
    pub capacity: i64,
    pub admit_rate_per_sec: f64,
    pub hold_seconds: i64,
    /// How long an admission from the waiting room lasts (renewed while the shopper is active).
    pub admission_ttl_seconds: i64,
    /// How long an admitted shopper may idle before the slot goes to the next in line.
    pub idle_timeout_seconds: i64,
    /// Seats and tickets one user may have in pending and paid reservations of this event.
    pub max_tickets_per_customer: i64,
    /// Joining this event's waiting room needs a solved proof-of-work bot check.
    pub bot_check: bool,
    pub ticket_types: Vec<TicketType>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketType {
    pub id: TicketTypeId,
    pub name: String,
    /// Minor units (cents).
    pub price: i64,
    pub total: i64,
    pub remaining_quantity: i64,
    /// True when the stock is the seats of a seat map (hold seats, not quantities).
    pub seated: bool,
    pub version: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeatStatus {
    Available,
    Held,
    Sold,
}

impl SeatStatus {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "available" => Ok(SeatStatus::Available),
            "held" => Ok(SeatStatus::Held),
            "sold" => Ok(SeatStatus::Sold),
            other => Err(anyhow::anyhow!("unknown seat status {other:?} in database").into()),
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seat {
    pub id: SeatId,
    pub section: String,
    pub row: String,
    pub number: i64,
    pub x: f64,
    pub y: f64,
    pub ticket_type_id: TicketTypeId,
    pub status: SeatStatus,
    pub version: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReservationStatus {
    Pending,
    Paid,
    Cancelled,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Pending => "pending",
            ReservationStatus::Paid => "paid",
            ReservationStatus::Cancelled => "cancelled",
            ReservationStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(ReservationStatus::Pending),
            "paid" => Ok(ReservationStatus::Paid),
            "cancelled" => Ok(ReservationStatus::Cancelled),
            "expired" => Ok(ReservationStatus::Expired),
            other => {
                Err(anyhow::anyhow!("unknown reservation status {other:?} in database").into())
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub id: ReservationId,
    pub event_id: EventId,
    pub status: ReservationStatus,
    #[serde(with = "serde_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Millis,
    #[serde(with = "serde_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    pub items: Vec<ReservationItem>,
    /// Minor units (cents).
    pub total: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationItem {
    /// The seat, for a seated item.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub seat_id: Option<SeatId>,
    pub ticket_type_id: TicketTypeId,
    pub quantity: i64,
    pub price: i64,
}

/// A customer's standing against an event's per-customer limit.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Allowance {
    pub event_id: EventId,
    /// The event's `maxTicketsPerCustomer`.
    pub limit: i64,
    /// Seats and tickets in the customer's pending and paid reservations of the event.
    pub held: i64,
    /// How many more they may hold.
    pub remaining: i64,
    /// The most seats or tickets one reservation may hold (`MAX_TICKETS_PER_ORDER`).
    pub per_order: i64,
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// A non-empty set of distinct seat ids, no more than one order may hold.
#[derive(Clone, Debug)]
pub struct SeatSelection(Vec<SeatId>);

impl SeatSelection {
    /// Parses each id ([`SeatId::parse`]) and the list as a whole.
    pub fn parse(ids: Vec<String>, max: u32) -> Result<Self> {
        if ids.is_empty() {
            return Err(Error::invalid(
                ErrorCode::InvalidSeatIds,
                "seatIds must name at least one seat",
            ));
        }
        if ids.len() > max as usize {
            return Err(Error::invalid(
                ErrorCode::TooManyTickets,
                format!("at most {max} seats per order"),
            ));
        }
        let mut seen = HashSet::with_capacity(ids.len());
        let mut parsed = Vec::with_capacity(ids.len());
        for id in ids {
            let id = SeatId::parse(id)?;
            if !seen.insert(id.clone()) {
                return Err(Error::invalid(
                    ErrorCode::DuplicateSeatIds,
                    format!("seat {id} is listed twice"),
                ));
            }
            parsed.push(id);
        }
        let mut ids = parsed;
        // A fixed order everywhere means two holds lock rows in the same order and cannot
        // deadlock each other on PostgreSQL.
        ids.sort();
        Ok(SeatSelection(ids))
    }

    pub fn ids(&self) -> &[SeatId] {
        &self.0
    }
}

/// A ticket quantity from 1 to the per-order maximum.
#[derive(Clone, Copy, Debug)]
pub struct Quantity(i64);

impl Quantity {
    pub fn parse(q: i64, max: u32) -> Result<Self> {
        if q < 1 {
            return Err(Error::invalid(
                ErrorCode::InvalidQuantity,
                "quantity must be at least 1",
            ));
        }
        if q > i64::from(max) {
            return Err(Error::invalid(
                ErrorCode::TooManyTickets,
                format!("at most {max} tickets per order"),
            ));
        }
        Ok(Quantity(q))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// The body of `POST /api/admin/events`, as sent.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventSpec {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub venue: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// RFC 3339; default: open now.
    #[schema(format = DateTime)]
    pub sale_opens_at: Option<String>,
    /// Shoppers admitted at once; default 1000.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub capacity: Option<i64>,
    /// Default 10.
    #[schema(exclusive_minimum = 0, maximum = 100_000)]
    pub admit_rate_per_sec: Option<f64>,
    /// How long a hold lasts; default 600.
    #[schema(minimum = 5, maximum = 86_400)]
    pub hold_seconds: Option<i64>,
    /// How long a turn lasts; default 600.
    #[schema(minimum = 10, maximum = 86_400)]
    pub admission_ttl_seconds: Option<i64>,
    /// Default 300.
    #[schema(minimum = 5, maximum = 86_400)]
    pub idle_timeout_seconds: Option<i64>,
    /// Default 10.
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_tickets_per_customer: Option<i64>,
    /// Joining the line needs a solved bot check; default false.
    pub bot_check: Option<bool>,
    #[schema(min_items = 1, max_items = 50)]
    pub ticket_types: Vec<TicketTypeSpec>,
    pub seat_map: Option<SeatMapSpec>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketTypeSpec {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// Minor units (cents).
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price: i64,
    /// General-admission stock; a seated type's stock is its seats (leave out, or 0).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub quantity: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeatMapSpec {
    /// Distinct names; at most 50,000 seats in all.
    #[schema(max_items = 50)]
    pub sections: Vec<SectionSpec>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SectionSpec {
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(minimum = 1, maximum = 100)]
    pub rows: i64,
    #[schema(minimum = 1, maximum = 200)]
    pub seats_per_row: i64,
    /// Index into `ticketTypes` of the type these seats are.
    #[schema(minimum = 0, maximum = 49)]
    pub ticket_type_index: i64,
}

/// A checked event, ready to store.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub name: String,
    pub venue: String,
    pub starts_at: Millis,
    pub sale_opens_at: Millis,
    pub capacity: i64,
    pub admit_rate_per_sec: f64,
    pub hold_seconds: i64,
    pub admission_ttl_seconds: i64,
    pub idle_timeout_seconds: i64,
    pub max_tickets_per_customer: i64,
    pub bot_check: bool,
    pub ticket_types: Vec<NewTicketType>,
    pub sections: Vec<NewSection>,
}

#[derive(Clone, Debug)]
pub struct NewTicketType {
    pub name: String,
    pub price: i64,
    /// General-admission stock; for seated types, the number of seats pointing at it.
    pub total: i64,
    pub seated: bool,
}

#[derive(Clone, Debug)]
pub struct NewSection {
    pub name: String,
    pub rows: i64,
    pub seats_per_row: i64,
    pub ticket_type_index: usize,
}

pub const DEFAULT_CAPACITY: i64 = 1000;
pub const DEFAULT_ADMIT_RATE: f64 = 10.0;
pub const DEFAULT_HOLD_SECONDS: i64 = 600;
pub const DEFAULT_ADMISSION_TTL_SECONDS: i64 = 600;
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: i64 = 300;
pub const DEFAULT_MAX_TICKETS_PER_CUSTOMER: i64 = 10;
/// The largest per-customer limit an event may set (a box office for resellers is not the aim).
const MAX_TICKETS_PER_CUSTOMER: i64 = 10_000;
const MAX_SEATS_PER_EVENT: i64 = 50_000;
const MAX_GA_QUANTITY: i64 = 10_000_000;
const MAX_PRICE: i64 = 100_000_000; // one million in major units

fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String> {
    let v = value.trim();
    let n = v.chars().count();
    // Control characters have no place in a name, and PostgreSQL's text refuses NUL.
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(Error::invalid(
            ErrorCode::InvalidField,
            format!("{field} must be {min}-{max} characters, without control characters"),
        ));
    }
    Ok(v.to_string())
}

fn in_range(field: &'static str, v: i64, min: i64, max: i64) -> Result<i64> {
    if v < min || v > max {
        return Err(Error::invalid(
            ErrorCode::InvalidField,
            format!("{field} must be between {min} and {max}"),
        ));
    }
    Ok(v)
}

impl NewEvent {
    /// Checks an admin's event body field by field, in the order the body lists them.
    // Over 80 lines on purpose: a flat list of one-line checks (each field, its range, its
    // message), which reads like the contract's table of fields; splitting it into groups
    // would only add names to look up.
    pub fn parse(spec: EventSpec) -> Result<NewEvent> {
        let name = text("name", &spec.name, 1, 200)?;
        let venue = text("venue", &spec.venue, 0, 200)?;
        let starts_at = parse_rfc3339(&spec.starts_at).ok_or_else(|| {
            Error::invalid(ErrorCode::InvalidField, "startsAt must be an RFC 3339 time")
        })?;
        let sale_opens_at = match &spec.sale_opens_at {
            Some(s) => parse_rfc3339(s).ok_or_else(|| {
                Error::invalid(
                    ErrorCode::InvalidField,
                    "saleOpensAt must be an RFC 3339 time",
                )
            })?,
            None => 0,
        };
        let capacity = in_range(
            "capacity",
            spec.capacity.unwrap_or(DEFAULT_CAPACITY),
            1,
            10_000_000,
        )?;
        let admit_rate_per_sec = spec.admit_rate_per_sec.unwrap_or(DEFAULT_ADMIT_RATE);
        if !(admit_rate_per_sec.is_finite()
            && admit_rate_per_sec > 0.0
            && admit_rate_per_sec <= 100_000.0)
        {
            return Err(Error::invalid(
                ErrorCode::InvalidField,
                "admitRatePerSec must be greater than 0 and at most 100000",
            ));
        }
        let hold_seconds = in_range(
            "holdSeconds",
            spec.hold_seconds.unwrap_or(DEFAULT_HOLD_SECONDS),
            5,
            86_400,
        )?;

        let admission_ttl_seconds = in_range(
            "admissionTtlSeconds",
            spec.admission_ttl_seconds
                .unwrap_or(DEFAULT_ADMISSION_TTL_SECONDS),
            10,
            86_400,
        )?;
        let idle_timeout_seconds = in_range(
            "idleTimeoutSeconds",
            spec.idle_timeout_seconds
                .unwrap_or(DEFAULT_IDLE_TIMEOUT_SECONDS),
            5,
            86_400,
        )?;
        let max_tickets_per_customer = in_range(
            "maxTicketsPerCustomer",
            spec.max_tickets_per_customer
                .unwrap_or(DEFAULT_MAX_TICKETS_PER_CUSTOMER),
            1,
            MAX_TICKETS_PER_CUSTOMER,
        )?;
        if spec.ticket_types.is_empty() || spec.ticket_types.len() > 50 {
            return Err(Error::invalid(
                ErrorCode::InvalidField,
                "an event needs 1-50 ticket types",
            ));
        }
        let sections_spec = spec.seat_map.map(|m| m.sections).unwrap_or_default();
        if sections_spec.len() > 50 {
            return Err(Error::invalid(
                ErrorCode::InvalidField,
                "a seat map has at most 50 sections",
            ));
        }

        let mut seats_per_type = vec![0i64; spec.ticket_types.len()];
        let mut sections = Vec::with_capacity(sections_spec.len());
        let mut section_names = HashSet::new();
        let mut total_seats = 0i64;
        for s in sections_spec {
            let name = text("section name", &s.name, 1, 50)?;
            if !section_names.insert(name.clone()) {
                return Err(Error::invalid(
                    ErrorCode::InvalidField,
                    format!("section {name} is listed twice"),
                ));
            }
            let rows = in_range("rows", s.rows, 1, 100)?;
            let seats_per_row = in_range("seatsPerRow", s.seats_per_row, 1, 200)?;
            let idx = usize::try_from(s.ticket_type_index)
                .ok()
                .filter(|i| *i < seats_per_type.len())
                .ok_or_else(|| {
                    Error::invalid(
                        ErrorCode::InvalidField,
                        "ticketTypeIndex must point into ticketTypes",
                    )
                })?;
            seats_per_type[idx] += rows * seats_per_row;
            total_seats += rows * seats_per_row;
            sections.push(NewSection {
                name,
                rows,
                seats_per_row,
                ticket_type_index: idx,
            });
        }
        if total_seats > MAX_SEATS_PER_EVENT {
            return Err(Error::invalid(
                ErrorCode::InvalidField,
                format!("a seat map has at most {MAX_SEATS_PER_EVENT} seats"),
            ));
        }

        let mut ticket_types = Vec::with_capacity(spec.ticket_types.len());
        for (i, t) in spec.ticket_types.into_iter().enumerate() {
            let name = text("ticket type name", &t.name, 1, 100)?;
            let price = in_range("price", t.price, 0, MAX_PRICE)?;
            let seated = seats_per_type[i] > 0;
            let total = if seated {
                // A seated type's stock is its seats; a stated quantity must agree or be 0.
                match t.quantity {
                    None | Some(0) => seats_per_type[i],
                    Some(q) if q == seats_per_type[i] => q,
                    Some(_) => {
                        return Err(Error::invalid(
                            ErrorCode::InvalidField,
                            format!(
                            "ticket type {name} takes its stock from its seats; leave quantity out"
                        ),
                        ))
                    }
                }
            } else {
                in_range("quantity", t.quantity.unwrap_or(0), 0, MAX_GA_QUANTITY)?
            };
            ticket_types.push(NewTicketType {
                name,
                price,
                total,
                seated,
            });
        }

        Ok(NewEvent {
            name,
            venue,
            starts_at,
            sale_opens_at,
            capacity,
            admit_rate_per_sec,
            hold_seconds,
            admission_ttl_seconds,
            idle_timeout_seconds,
            max_tickets_per_customer,
            bot_check: spec.bot_check.unwrap_or(false),
            ticket_types,
            sections,
        })
    }
}

/// Row labels A…Z, then AA, AB… for deep sections.
pub fn row_label(mut i: i64) -> String {
    let mut s = Vec::new();
    loop {
        s.push((b'A' + (i % 26) as u8) as char);
        i = i / 26 - 1;
        if i < 0 {
            break;
        }
    }
    s.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_labels() {
        assert_eq!(row_label(0), "A");
        assert_eq!(row_label(25), "Z");
        assert_eq!(row_label(26), "AA");
        assert_eq!(row_label(27), "AB");
    }

    #[test]
    fn seat_selection_rejects_bad_lists() {
        assert!(SeatSelection::parse(vec![], 10).is_err());
        assert!(SeatSelection::parse(vec!["a".into(), "a".into()], 10).is_err());
        assert!(SeatSelection::parse((0..11).map(|i| i.to_string()).collect(), 10).is_err());
        assert!(SeatSelection::parse(vec!["x".repeat(65)], 10).is_err());
        let s = SeatSelection::parse(vec!["b".into(), "a".into()], 10).unwrap();
        assert_eq!(s.ids(), ["a", "b"]);
    }

    #[test]
    fn quantity_bounds() {
        assert!(Quantity::parse(0, 10).is_err());
        assert!(Quantity::parse(-3, 10).is_err());
        assert!(Quantity::parse(11, 10).is_err());
        assert_eq!(Quantity::parse(10, 10).unwrap().get(), 10);
    }

    #[test]
    fn names_refuse_control_characters() {
        // PostgreSQL refuses NUL in text: found by scripts/fuzz.sh as a 500.
        assert!(text("name", "Gala\0", 1, 200).is_err());
        assert!(text("venue", "Hall\u{1b}", 0, 200).is_err());
        assert_eq!(text("name", " Gala ", 1, 200).unwrap(), "Gala");
    }
}
