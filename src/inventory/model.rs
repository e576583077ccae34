//! What the inventory is made of, as clients see it, and the parsed inputs that change it.
//!
//! Inputs are parsed once at the edge into types that cannot hold a bad value
//! ([`NewEvent`], [`SeatSelection`], [`Quantity`], and the ids of [`crate::ids`]), so the
//! rest of the domain never re-checks.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::clock::{parse_rfc3339, serde_rfc3339, Millis};
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::ids::{EventId, ReservationId, SeatId, TicketTypeId};

pub use super::layout::{Placement, Stage};
pub use super::locale::{Currency, TimeZone};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: EventId,
    pub name: String,
    pub venue: String,
    /// ISO 4217 code of the currency every price of the event is in (in its minor units).
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "KRW")]
    pub currency: Currency,
    /// IANA name of the venue's time zone, in which the web app shows the event's times.
    #[schema(value_type = String, example = "Asia/Seoul")]
    pub time_zone: TimeZone,
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
    /// While true, holds answer `409 sales_paused` and the waiting room admits nobody
    /// (joins still take numbers, and keep them).
    pub sales_paused: bool,
    /// How the waiting room admits: `auto` (at once while there is room and nobody waits),
    /// `on` (everyone takes a number), `off` (everyone at once, whatever the capacity).
    pub waiting_room: WaitingRoomMode,
    pub ticket_types: Vec<TicketType>,
}

/// How an event's waiting room admits joiners.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitingRoomMode {
    /// Admit at once while there is room and nobody waits; otherwise take a number.
    #[default]
    Auto,
    /// Every joiner takes a number and waits for a tick, even with free capacity.
    On,
    /// The waiting room is off: a join admits at once, whatever the capacity.
    Off,
}

impl WaitingRoomMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitingRoomMode::Auto => "auto",
            WaitingRoomMode::On => "on",
            WaitingRoomMode::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(WaitingRoomMode::Auto),
            "on" => Some(WaitingRoomMode::On),
            "off" => Some(WaitingRoomMode::Off),
            _ => None,
        }
    }
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
    /// The seat's place in the event's ranking, 1 = best (front rows first, then the middle
    /// of each row): the order best available takes seats in. Always sent; optional in the
    /// schema only so that seats a client makes up itself (the admin map preview) need none.
    #[schema(minimum = 1, required = false)]
    pub rank: i64,
    /// The seat's 0-based index in the event's seat map in canonical order (sections in the
    /// order given, rows front to back, seats by number): its place in the geometry
    /// (`GET /api/events/{eventId}/seatmap`) and the compact status. Always sent; optional
    /// in the schema for the same reason as `rank`.
    #[schema(minimum = 0, required = false)]
    pub position: i64,
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
    /// Minor units of `currency`.
    pub total: i64,
    /// The event's currency (ISO 4217), which `total` and the items' prices are in.
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "KRW")]
    pub currency: Currency,
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
    /// ISO 4217 code the prices are in (minor units); default the server's `DEFAULT_CURRENCY`
    /// (`USD` unless set). Fixed once the event has a reservation.
    #[schema(pattern = "^[A-Z]{3}$", example = "KRW")]
    pub currency: Option<String>,
    /// IANA name of the venue's time zone; default `UTC`.
    #[schema(min_length = 1, max_length = 64, example = "Asia/Seoul")]
    pub time_zone: Option<String>,
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
    /// Minor units of the event's currency (cents of USD, won of KRW): at most 100,000,000
    /// whatever the currency (USD 1,000,000.00, KRW 100,000,000).
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price: i64,
    /// General-admission stock; a seated type's stock is its seats (leave out, or 0).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub quantity: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeatMapSpec {
    /// The stage, drawn on the map; the automatic layout (no section placed) arranges the
    /// sections around it, and supplies one when it is left out.
    #[serde(default)]
    pub stage: Option<StageSpec>,
    /// Distinct names; at most 50,000 seats in all. Either every section has `x` and `y` or
    /// none does (the automatic layout).
    #[schema(max_items = 50)]
    pub sections: Vec<SectionSpec>,
}

/// A stage: its top-left corner and size in map units (one seat pitch = 24), and a label.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageSpec {
    #[schema(minimum = -100_000, maximum = 100_000)]
    pub x: f64,
    #[schema(minimum = -100_000, maximum = 100_000)]
    pub y: f64,
    #[schema(exclusive_minimum = 0, maximum = 100_000)]
    pub width: f64,
    #[schema(exclusive_minimum = 0, maximum = 100_000)]
    pub height: f64,
    /// Default `Stage`.
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub label: Option<String>,
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
    /// The centre of the front row (row A), in map units (one seat pitch = 24, y down).
    #[schema(minimum = -100_000, maximum = 100_000)]
    pub x: Option<f64>,
    #[schema(minimum = -100_000, maximum = 100_000)]
    pub y: Option<f64>,
    /// Degrees clockwise; 0 = rows run left to right with row A nearest the top (facing a
    /// stage above). Default 0.
    #[schema(minimum = -360, maximum = 360)]
    pub rotation: Option<f64>,
    /// Degrees of arc each row spans (0 = straight), rows concentric, bending around the
    /// front. Default 0.
    #[schema(minimum = 0, maximum = 180)]
    pub curve: Option<f64>,
}

/// A checked event, ready to store.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub name: String,
    pub venue: String,
    pub currency: Currency,
    pub time_zone: TimeZone,
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
    /// The stage the seat map was given, if any.
    pub stage: Option<Stage>,
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
    /// Where the operator put it; `None` for every section of an automatic layout.
    pub placement: Option<Placement>,
}

/// A checked seat map on its own (`POST /api/admin/seat-maps/preview`).
#[derive(Clone, Debug)]
pub struct SeatMapPlan {
    pub sections: Vec<NewSection>,
    pub stage: Option<Stage>,
}

impl SeatMapPlan {
    /// Checks a seat map by the rules of [`NewEvent::parse`], with any ticket type index
    /// an event may have (0-49), naming every bad field under `seatMap.`.
    pub fn parse(spec: SeatMapSpec) -> Result<SeatMapPlan> {
        let c = &mut Checks::default();
        let mut seats_per_type = vec![0i64; MAX_TICKET_TYPES];
        let (sections, stage) = seat_map(c, Some(spec), &mut seats_per_type);
        std::mem::take(c).finish()?;
        Ok(SeatMapPlan { sections, stage })
    }
}

/// Checks the seat map of a body (sections, placement, stage), counting each ticket type's
/// seats into `seats_per_type` (whose length is the number of ticket types).
// Over 80 lines on purpose: the flat list of field checks, one per line, in body order.
fn seat_map(
    c: &mut Checks,
    spec: Option<SeatMapSpec>,
    seats_per_type: &mut [i64],
) -> (Vec<NewSection>, Option<Stage>) {
    let Some(spec) = spec else {
        return (Vec::new(), None);
    };
    let stage = spec.stage.and_then(|st| {
        let x = c.coordinate("seatMap.stage.x", st.x);
        let y = c.coordinate("seatMap.stage.y", st.y);
        let width = c.extent("seatMap.stage.width", st.width);
        let height = c.extent("seatMap.stage.height", st.height);
        let label = c.text(
            "seatMap.stage.label",
            st.label.as_deref().unwrap_or("Stage"),
            0,
            50,
        );
        Some(Stage {
            x: x?,
            y: y?,
            width: width?,
            height: height?,
            label: label?,
        })
    });
    let sections_spec = spec.sections;
    if sections_spec.len() > 50 {
        c.fail("seatMap.sections", "a seat map has at most 50 sections");
    }
    let placed = sections_spec
        .iter()
        .filter(|s| s.x.is_some() || s.y.is_some())
        .count();
    let mut sections = Vec::with_capacity(sections_spec.len());
    let mut section_names = HashSet::new();
    let mut total_seats = 0i64;
    for (i, s) in sections_spec.into_iter().enumerate() {
        let at = format!("seatMap.sections[{i}]");
        let name = c.text(&format!("{at}.name"), &s.name, 1, 50);
        if let Some(name) = &name {
            if !section_names.insert(name.clone()) {
                c.fail(
                    format!("{at}.name"),
                    format!("section {name} is listed twice"),
                );
            }
        }
        let rows = c.in_range(&format!("{at}.rows"), s.rows, 1, 100);
        let seats_per_row = c.in_range(&format!("{at}.seatsPerRow"), s.seats_per_row, 1, 200);
        let idx = usize::try_from(s.ticket_type_index)
            .ok()
            .filter(|i| *i < seats_per_type.len());
        if idx.is_none() {
            c.fail(
                format!("{at}.ticketTypeIndex"),
                "ticketTypeIndex must point into ticketTypes",
            );
        }
        let placement = section_placement(c, &at, &s, placed > 0);
        let (Some(name), Some(rows), Some(seats_per_row), Some(idx), Some(placement)) =
            (name, rows, seats_per_row, idx, placement)
        else {
            continue;
        };
        seats_per_type[idx] += rows * seats_per_row;
        total_seats += rows * seats_per_row;
        sections.push(NewSection {
            name,
            rows,
            seats_per_row,
            ticket_type_index: idx,
            placement,
        });
    }
    if total_seats > MAX_SEATS_PER_EVENT {
        c.fail(
            "seatMap.sections",
            format!("a seat map has at most {MAX_SEATS_PER_EVENT} seats"),
        );
    }
    (sections, stage)
}

/// A section's placement: `Some(None)` for the automatic layout, `Some(Some(_))` placed,
/// `None` when a field is bad (and named).
fn section_placement(
    c: &mut Checks,
    at: &str,
    s: &SectionSpec,
    any_placed: bool,
) -> Option<Option<Placement>> {
    let mut ok = true;
    let mut angle = |c: &mut Checks, field: &str, v: Option<f64>, min: f64, max: f64| match v {
        None => 0.0,
        Some(v) => c
            .in_range_f(&format!("{at}.{field}"), v, min, max)
            .unwrap_or_else(|| {
                ok = false;
                0.0
            }),
    };
    let rotation = angle(c, "rotation", s.rotation, -360.0, 360.0);
    let curve = angle(c, "curve", s.curve, 0.0, 180.0);
    if !any_placed {
        // Checked all the same; the automatic layout then sets both.
        return ok.then_some(None);
    }
    let mut coordinate = |field: &str, v: Option<f64>| match v {
        Some(v) => c.coordinate(&format!("{at}.{field}"), v),
        None => {
            c.fail(
                format!("{at}.{field}"),
                "give x and y for every section or for none (the automatic layout)",
            );
            None
        }
    };
    let x = coordinate("x", s.x);
    let y = coordinate("y", s.y);
    let (x, y) = (x?, y?);
    ok.then_some(Some(Placement {
        x,
        y,
        rotation,
        curve,
    }))
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
const MAX_TICKET_TYPES: usize = 50;
/// The farthest a section or the stage may be put from the origin, in map units.
const MAX_COORDINATE: f64 = 100_000.0;
const MAX_GA_QUANTITY: i64 = 10_000_000;
/// The highest price, in minor units of any currency: USD 1,000,000.00, KRW 100,000,000.
pub const MAX_PRICE: i64 = 100_000_000;

/// Collects every bad field of a body, each under its path in the body (`capacity`,
/// `ticketTypes[0].price`, `seatMap.sections[1].rows`), so one answer names them all.
#[derive(Debug, Default)]
struct Checks(Vec<FieldError>);

impl Checks {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Trimmed text of `min..=max` characters, without control characters.
    fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> Option<String> {
        let v = value.trim();
        let n = v.chars().count();
        // Control characters have no place in a name, and PostgreSQL's text refuses NUL.
        if n < min || n > max || v.chars().any(char::is_control) {
            self.fail(
                field,
                format!("{field} must be {min}-{max} characters, without control characters"),
            );
            return None;
        }
        Some(v.to_string())
    }

    fn in_range(&mut self, field: &str, v: i64, min: i64, max: i64) -> Option<i64> {
        if v < min || v > max {
            self.fail(field, format!("{field} must be between {min} and {max}"));
            return None;
        }
        Some(v)
    }

    fn in_range_f(&mut self, field: &str, v: f64, min: f64, max: f64) -> Option<f64> {
        if !(v.is_finite() && v >= min && v <= max) {
            self.fail(field, format!("{field} must be between {min} and {max}"));
            return None;
        }
        Some(v)
    }

    /// A map coordinate, -100000 to 100000 units.
    fn coordinate(&mut self, field: &str, v: f64) -> Option<f64> {
        self.in_range_f(field, v, -MAX_COORDINATE, MAX_COORDINATE)
    }

    /// A length on the map, more than 0 and at most 100000 units.
    fn extent(&mut self, field: &str, v: f64) -> Option<f64> {
        if !(v.is_finite() && v > 0.0 && v <= MAX_COORDINATE) {
            self.fail(
                field,
                format!("{field} must be greater than 0 and at most {MAX_COORDINATE}"),
            );
            return None;
        }
        Some(v)
    }

    fn time(&mut self, field: &str, v: &str) -> Option<Millis> {
        let t = parse_rfc3339(v);
        if t.is_none() {
            self.fail(field, format!("{field} must be an RFC 3339 time"));
        }
        t
    }

    fn admit_rate(&mut self, v: f64) -> Option<f64> {
        if !(v.is_finite() && v > 0.0 && v <= 100_000.0) {
            self.fail(
                "admitRatePerSec",
                "admitRatePerSec must be greater than 0 and at most 100000",
            );
            return None;
        }
        Some(v)
    }

    fn currency(&mut self, v: &str) -> Option<Currency> {
        Currency::parse(v)
            .map_err(|m| self.fail("currency", m))
            .ok()
    }

    fn time_zone(&mut self, v: &str) -> Option<TimeZone> {
        TimeZone::parse(v)
            .map_err(|m| self.fail("timeZone", m))
            .ok()
    }

    /// A price in minor units, from 0 to [`MAX_PRICE`]; the message states the bound in the
    /// event's currency when that is known.
    fn price(&mut self, field: &str, v: i64, currency: Option<Currency>) -> Option<i64> {
        if (0..=MAX_PRICE).contains(&v) {
            return Some(v);
        }
        let message = match currency {
            Some(cur) => format!(
                "{field} must be between 0 and {MAX_PRICE} minor units of {cur} (at most {})",
                cur.show(MAX_PRICE)
            ),
            None => format!("{field} must be between 0 and {MAX_PRICE} (minor units)"),
        };
        self.fail(field, message);
        None
    }

    fn waiting_room(&mut self, v: &str) -> Option<WaitingRoomMode> {
        let m = WaitingRoomMode::parse(v);
        if m.is_none() {
            self.fail("waitingRoom", "waitingRoom must be auto, on or off");
        }
        m
    }

    /// `400 invalid_field` naming every bad field, or nothing when all were good.
    fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidFields(self.0))
        }
    }
}

/// The event settings create and patch share, each checked by the same rule in both.
struct Rules;

impl Rules {
    fn name(c: &mut Checks, v: &str) -> Option<String> {
        c.text("name", v, 1, 200)
    }
    fn venue(c: &mut Checks, v: &str) -> Option<String> {
        c.text("venue", v, 0, 200)
    }
    fn starts_at(c: &mut Checks, v: &str) -> Option<Millis> {
        c.time("startsAt", v)
    }
    fn sale_opens_at(c: &mut Checks, v: &str) -> Option<Millis> {
        c.time("saleOpensAt", v)
    }
    fn capacity(c: &mut Checks, v: i64) -> Option<i64> {
        c.in_range("capacity", v, 1, 10_000_000)
    }
    fn hold_seconds(c: &mut Checks, v: i64) -> Option<i64> {
        c.in_range("holdSeconds", v, 5, 86_400)
    }
    fn admission_ttl_seconds(c: &mut Checks, v: i64) -> Option<i64> {
        c.in_range("admissionTtlSeconds", v, 10, 86_400)
    }
    fn idle_timeout_seconds(c: &mut Checks, v: i64) -> Option<i64> {
        c.in_range("idleTimeoutSeconds", v, 5, 86_400)
    }
    fn max_tickets_per_customer(c: &mut Checks, v: i64) -> Option<i64> {
        c.in_range("maxTicketsPerCustomer", v, 1, MAX_TICKETS_PER_CUSTOMER)
    }
}

impl NewEvent {
    /// Checks an admin's event body field by field, in the order the body lists them, and
    /// refuses it naming every bad field.
    // Over 80 lines on purpose: a flat list of one-line checks (each field, its range, its
    // message), which reads like the contract's table of fields; splitting it into groups
    // would only add names to look up.
    pub fn parse(spec: EventSpec) -> Result<NewEvent> {
        NewEvent::parse_with_default(spec, Currency::USD)
    }

    /// As [`NewEvent::parse`], with `default_currency` (the `DEFAULT_CURRENCY` setting) for a
    /// body without `currency`.
    pub fn parse_with_default(spec: EventSpec, default_currency: Currency) -> Result<NewEvent> {
        let c = &mut Checks::default();
        let name = Rules::name(c, &spec.name);
        let venue = Rules::venue(c, &spec.venue);
        let currency = match &spec.currency {
            Some(v) => c.currency(v),
            None => Some(default_currency),
        };
        let time_zone = match &spec.time_zone {
            Some(v) => c.time_zone(v),
            None => Some(TimeZone::utc()),
        };
        let starts_at = Rules::starts_at(c, &spec.starts_at);
        let sale_opens_at = match &spec.sale_opens_at {
            Some(s) => Rules::sale_opens_at(c, s),
            None => Some(0),
        };
        let capacity = Rules::capacity(c, spec.capacity.unwrap_or(DEFAULT_CAPACITY));
        let admit_rate_per_sec =
            c.admit_rate(spec.admit_rate_per_sec.unwrap_or(DEFAULT_ADMIT_RATE));
        let hold_seconds =
            Rules::hold_seconds(c, spec.hold_seconds.unwrap_or(DEFAULT_HOLD_SECONDS));
        let admission_ttl_seconds = Rules::admission_ttl_seconds(
            c,
            spec.admission_ttl_seconds
                .unwrap_or(DEFAULT_ADMISSION_TTL_SECONDS),
        );
        let idle_timeout_seconds = Rules::idle_timeout_seconds(
            c,
            spec.idle_timeout_seconds
                .unwrap_or(DEFAULT_IDLE_TIMEOUT_SECONDS),
        );
        let max_tickets_per_customer = Rules::max_tickets_per_customer(
            c,
            spec.max_tickets_per_customer
                .unwrap_or(DEFAULT_MAX_TICKETS_PER_CUSTOMER),
        );
        if spec.ticket_types.is_empty() || spec.ticket_types.len() > 50 {
            c.fail("ticketTypes", "an event needs 1-50 ticket types");
        }
        let mut seats_per_type = vec![0i64; spec.ticket_types.len()];
        let (sections, stage) = seat_map(c, spec.seat_map, &mut seats_per_type);

        let mut ticket_types = Vec::with_capacity(spec.ticket_types.len());
        for (i, t) in spec.ticket_types.into_iter().enumerate() {
            let at = format!("ticketTypes[{i}]");
            let name = c.text(&format!("{at}.name"), &t.name, 1, 100);
            let price = c.price(&format!("{at}.price"), t.price, currency);
            let seated = seats_per_type.get(i).is_some_and(|n| *n > 0);
            let total = if seated {
                // A seated type's stock is its seats; a stated quantity must agree or be 0.
                match t.quantity {
                    None | Some(0) => Some(seats_per_type[i]),
                    Some(q) if q == seats_per_type[i] => Some(q),
                    Some(_) => {
                        c.fail(
                            format!("{at}.quantity"),
                            format!(
                                "ticket type {} takes its stock from its seats; leave quantity out",
                                name.as_deref().unwrap_or(t.name.as_str())
                            ),
                        );
                        None
                    }
                }
            } else {
                c.in_range(
                    &format!("{at}.quantity"),
                    t.quantity.unwrap_or(0),
                    0,
                    MAX_GA_QUANTITY,
                )
            };
            if let (Some(name), Some(price), Some(total)) = (name, price, total) {
                ticket_types.push(NewTicketType {
                    name,
                    price,
                    total,
                    seated,
                });
            }
        }

        let checks = std::mem::take(c);
        checks.finish()?;
        let missing = || Error::Internal(anyhow::anyhow!("a checked field has no value"));
        Ok(NewEvent {
            name: name.ok_or_else(missing)?,
            venue: venue.ok_or_else(missing)?,
            currency: currency.ok_or_else(missing)?,
            time_zone: time_zone.ok_or_else(missing)?,
            starts_at: starts_at.ok_or_else(missing)?,
            sale_opens_at: sale_opens_at.ok_or_else(missing)?,
            capacity: capacity.ok_or_else(missing)?,
            admit_rate_per_sec: admit_rate_per_sec.ok_or_else(missing)?,
            hold_seconds: hold_seconds.ok_or_else(missing)?,
            admission_ttl_seconds: admission_ttl_seconds.ok_or_else(missing)?,
            idle_timeout_seconds: idle_timeout_seconds.ok_or_else(missing)?,
            max_tickets_per_customer: max_tickets_per_customer.ok_or_else(missing)?,
            bot_check: spec.bot_check.unwrap_or(false),
            ticket_types,
            sections,
            stage,
        })
    }
}

/// The body of `PATCH /api/admin/events/{eventId}`, as sent: any of the event's settings.
/// Ticket types and the seat map are not changed here (an unknown field is `invalid_body`).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventPatchSpec {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub venue: Option<String>,
    /// Only while the event has no reservation at all (else `409 currency_locked`): the
    /// prices stay the same numbers, now in minor units of this currency.
    #[schema(pattern = "^[A-Z]{3}$", example = "KRW")]
    pub currency: Option<String>,
    /// IANA name of the venue's time zone.
    #[schema(min_length = 1, max_length = 64, example = "Asia/Seoul")]
    pub time_zone: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub sale_opens_at: Option<String>,
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub capacity: Option<i64>,
    #[schema(exclusive_minimum = 0, maximum = 100_000)]
    pub admit_rate_per_sec: Option<f64>,
    /// Applies to holds made from now on.
    #[schema(minimum = 5, maximum = 86_400)]
    pub hold_seconds: Option<i64>,
    #[schema(minimum = 10, maximum = 86_400)]
    pub admission_ttl_seconds: Option<i64>,
    #[schema(minimum = 5, maximum = 86_400)]
    pub idle_timeout_seconds: Option<i64>,
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_tickets_per_customer: Option<i64>,
    pub bot_check: Option<bool>,
    /// While true, holds answer `409 sales_paused` and the waiting room admits nobody.
    pub sales_paused: Option<bool>,
    #[schema(value_type = Option<WaitingRoomMode>)]
    pub waiting_room: Option<String>,
}

/// A checked patch: the settings to change, each in range.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventPatch {
    pub name: Option<String>,
    pub venue: Option<String>,
    pub currency: Option<Currency>,
    pub time_zone: Option<TimeZone>,
    pub starts_at: Option<Millis>,
    pub sale_opens_at: Option<Millis>,
    pub capacity: Option<i64>,
    pub admit_rate_per_sec: Option<f64>,
    pub hold_seconds: Option<i64>,
    pub admission_ttl_seconds: Option<i64>,
    pub idle_timeout_seconds: Option<i64>,
    pub max_tickets_per_customer: Option<i64>,
    pub bot_check: Option<bool>,
    pub sales_paused: Option<bool>,
    pub waiting_room: Option<WaitingRoomMode>,
}

impl EventPatch {
    /// Checks a patch by the rules of [`NewEvent::parse`], naming every bad field.
    pub fn parse(spec: EventPatchSpec) -> Result<EventPatch> {
        let c = &mut Checks::default();
        let patch = EventPatch {
            name: spec.name.and_then(|v| Rules::name(c, &v)),
            venue: spec.venue.and_then(|v| Rules::venue(c, &v)),
            currency: spec.currency.and_then(|v| c.currency(&v)),
            time_zone: spec.time_zone.and_then(|v| c.time_zone(&v)),
            starts_at: spec.starts_at.and_then(|v| Rules::starts_at(c, &v)),
            sale_opens_at: spec.sale_opens_at.and_then(|v| Rules::sale_opens_at(c, &v)),
            capacity: spec.capacity.and_then(|v| Rules::capacity(c, v)),
            admit_rate_per_sec: spec.admit_rate_per_sec.and_then(|v| c.admit_rate(v)),
            hold_seconds: spec.hold_seconds.and_then(|v| Rules::hold_seconds(c, v)),
            admission_ttl_seconds: spec
                .admission_ttl_seconds
                .and_then(|v| Rules::admission_ttl_seconds(c, v)),
            idle_timeout_seconds: spec
                .idle_timeout_seconds
                .and_then(|v| Rules::idle_timeout_seconds(c, v)),
            max_tickets_per_customer: spec
                .max_tickets_per_customer
                .and_then(|v| Rules::max_tickets_per_customer(c, v)),
            bot_check: spec.bot_check,
            sales_paused: spec.sales_paused,
            waiting_room: spec.waiting_room.and_then(|v| c.waiting_room(&v)),
        };
        std::mem::take(c).finish()?;
        Ok(patch)
    }
}

impl EventPatch {
    /// Applies the patch to `event`; returns each field whose value it changed, with the
    /// value before and after (times in RFC 3339), in body order.
    pub fn apply(&self, event: &mut Event) -> Vec<FieldChange> {
        use serde_json::{json, Value};
        fn set<T: PartialEq + Clone>(
            changes: &mut Vec<FieldChange>,
            field: &'static str,
            slot: &mut T,
            new: &Option<T>,
            show: impl Fn(&T) -> Value,
        ) {
            if let Some(new) = new {
                if slot != new {
                    changes.push(FieldChange {
                        field,
                        old: show(slot),
                        new: show(new),
                    });
                    *slot = new.clone();
                }
            }
        }
        let time = |t: &Millis| json!(crate::clock::to_rfc3339(*t));
        let c = &mut Vec::new();
        set(c, "name", &mut event.name, &self.name, |v| json!(v));
        set(c, "venue", &mut event.venue, &self.venue, |v| json!(v));
        set(c, "currency", &mut event.currency, &self.currency, |v| {
            json!(v.code())
        });
        set(c, "timeZone", &mut event.time_zone, &self.time_zone, |v| {
            json!(v.as_str())
        });
        set(c, "startsAt", &mut event.starts_at, &self.starts_at, time);
        set(
            c,
            "saleOpensAt",
            &mut event.sale_opens_at,
            &self.sale_opens_at,
            time,
        );
        set(c, "capacity", &mut event.capacity, &self.capacity, |v| {
            json!(v)
        });
        set(
            c,
            "admitRatePerSec",
            &mut event.admit_rate_per_sec,
            &self.admit_rate_per_sec,
            |v| json!(v),
        );
        set(
            c,
            "holdSeconds",
            &mut event.hold_seconds,
            &self.hold_seconds,
            |v| json!(v),
        );
        set(
            c,
            "admissionTtlSeconds",
            &mut event.admission_ttl_seconds,
            &self.admission_ttl_seconds,
            |v| json!(v),
        );
        set(
            c,
            "idleTimeoutSeconds",
            &mut event.idle_timeout_seconds,
            &self.idle_timeout_seconds,
            |v| json!(v),
        );
        set(
            c,
            "maxTicketsPerCustomer",
            &mut event.max_tickets_per_customer,
            &self.max_tickets_per_customer,
            |v| json!(v),
        );
        set(c, "botCheck", &mut event.bot_check, &self.bot_check, |v| {
            json!(v)
        });
        set(
            c,
            "salesPaused",
            &mut event.sales_paused,
            &self.sales_paused,
            |v| json!(v),
        );
        set(
            c,
            "waitingRoom",
            &mut event.waiting_room,
            &self.waiting_room,
            |v| json!(v.as_str()),
        );
        std::mem::take(c)
    }
}

/// One field an admin changed: its path in the body, the value before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

/// Who did an admin action, for the audit trail.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: crate::ids::UserId,
    /// The display name the admin's token carries, if any.
    pub name: Option<String>,
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

    fn spec(v: serde_json::Value) -> EventSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let err = NewEvent::parse(spec(serde_json::json!({
            "name": "", "startsAt": "soon", "capacity": 0, "admitRatePerSec": -1.0,
            "ticketTypes": [{"name": "A", "price": -5}, {"name": "B", "price": 1, "quantity": -1}],
            "seatMap": {"sections": [
                {"name": "S", "rows": 1, "seatsPerRow": 1, "ticketTypeIndex": 0},
                {"name": "T", "rows": 0, "seatsPerRow": 500, "ticketTypeIndex": 7}
            ]}
        })))
        .unwrap_err();
        let Error::InvalidFields(fields) = err else {
            panic!("not a field error: {err:?}")
        };
        let paths: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            paths,
            [
                "name",
                "startsAt",
                "capacity",
                "admitRatePerSec",
                "seatMap.sections[1].rows",
                "seatMap.sections[1].seatsPerRow",
                "seatMap.sections[1].ticketTypeIndex",
                "ticketTypes[0].price",
                "ticketTypes[1].quantity",
            ]
        );
        assert_eq!(fields[2].message, "capacity must be between 1 and 10000000");
    }

    #[test]
    fn a_patch_is_checked_by_the_create_rules_and_applied_field_by_field() {
        let bad: EventPatchSpec = serde_json::from_value(serde_json::json!({
            "capacity": 0, "holdSeconds": 4, "waitingRoom": "sometimes"
        }))
        .unwrap();
        let Error::InvalidFields(fields) = EventPatch::parse(bad).unwrap_err() else {
            panic!("not a field error")
        };
        let paths: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(paths, ["capacity", "holdSeconds", "waitingRoom"]);
        assert!(
            serde_json::from_value::<EventPatchSpec>(serde_json::json!({"ticketTypes": []}))
                .is_err()
        );

        let new = NewEvent::parse(spec(serde_json::json!({
            "name": "Gala", "startsAt": "2027-01-01T00:00:00Z",
            "ticketTypes": [{"name": "A", "price": 1, "quantity": 5}]
        })))
        .unwrap();
        let mut event = Event {
            id: EventId::generate(),
            name: new.name,
            venue: new.venue,
            currency: new.currency,
            time_zone: new.time_zone,
            starts_at: new.starts_at,
            sale_opens_at: new.sale_opens_at,
            has_seat_map: false,
            capacity: new.capacity,
            admit_rate_per_sec: new.admit_rate_per_sec,
            hold_seconds: new.hold_seconds,
            admission_ttl_seconds: new.admission_ttl_seconds,
            idle_timeout_seconds: new.idle_timeout_seconds,
            max_tickets_per_customer: new.max_tickets_per_customer,
            bot_check: false,
            sales_paused: false,
            waiting_room: WaitingRoomMode::Auto,
            ticket_types: Vec::new(),
        };
        let patch = EventPatch::parse(
            serde_json::from_value(serde_json::json!({
                "capacity": 5, "salesPaused": true, "name": "Gala", "waitingRoom": "on"
            }))
            .unwrap(),
        )
        .unwrap();
        let changes = patch.apply(&mut event);
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        // The unchanged name is not a change.
        assert_eq!(fields, ["capacity", "salesPaused", "waitingRoom"]);
        assert_eq!(changes[0].old, 1000);
        assert_eq!(changes[0].new, 5);
        assert_eq!(changes[2].new, "on");
        assert!(event.sales_paused);
        assert_eq!(event.capacity, 5);
    }

    #[test]
    fn names_refuse_control_characters() {
        // PostgreSQL refuses NUL in text: found by scripts/fuzz.sh as a 500.
        let mut c = Checks::default();
        assert!(c.text("name", "Gala\0", 1, 200).is_none());
        assert!(c.text("venue", "Hall\u{1b}", 0, 200).is_none());
        assert_eq!(c.text("name", " Gala ", 1, 200).unwrap(), "Gala");
        assert_eq!(c.0.len(), 2);
    }
}
