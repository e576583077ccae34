//! An event's seat map geometry, compact: sections, rows described by a start and a step (or
//! an arc) instead of seat by seat, seat ids by a prefix and the position, and ticket types by
//! index. `GET /api/events/{eventId}/seatmap` serves it; `docs/PROTOCOL-ADDITIONS.md` has the
//! format.
//!
//! Why apart from the seats' status: the geometry never changes once the event exists (seat
//! maps cannot be edited), so each instance builds it once from the seats, keeps the
//! serialized bytes and a strong `ETag` (a hash of the bytes), and browsers and CDNs keep it
//! for good (`immutable`); only the status changes, and it travels apart.
//!
//! The encoder works from the stored seats, so it describes events made before placement
//! existed too: a row whose seats lie on a line with one step is a straight row, on a circle
//! with one angular step an arc row, anything else (or numbers with gaps) an explicit list.
//! Every row's description is checked seat by seat against the stored seats (within
//! [`TOLERANCE`]) before it is used.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::layout::{self, Placement, Stage, StoredLayout};
use super::model::SeatMapPlan;
use super::Inventory;
use crate::error::Result;
use crate::ids::{EventId, TicketTypeId};

/// How far (map units) a decoded seat may be from its stored place: the contract promises
/// 0.01, half of that is kept for the reader's own rounding.
const TOLERANCE: f64 = 0.005;
/// Events whose geometry an instance keeps; past this the cache starts over.
const CACHE_MAX: usize = 100;

/// A seat map's geometry (the wire format of `GET /api/events/{eventId}/seatmap`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Geometry {
    /// `null` in a preview.
    pub event_id: Option<EventId>,
    pub seat_count: usize,
    /// Every seat (with a pitch of room) and the stage lie inside.
    pub bounds: Bounds,
    pub stage: Option<Stage>,
    /// The event's seated ticket types, which sections and rows name by index.
    pub ticket_type_ids: Vec<TicketTypeId>,
    pub ids: SeatIds,
    pub sections: Vec<GeoSection>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Bounds {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Seat ids in position order: the seat at position `p` is `prefix + (start + p)` in decimal,
/// or `list[p]` (events made before ids were derived from positions).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SeatIds {
    Prefix { prefix: String, start: u64 },
    List { list: Vec<String> },
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeoSection {
    pub name: String,
    /// Index into `ticketTypeIds` (in a preview: the section's `ticketTypeIndex`).
    pub ticket_type: usize,
    /// Centre of the front row, as placed.
    pub x: f64,
    pub y: f64,
    /// Degrees clockwise.
    pub rotation: f64,
    /// Degrees of arc each row spans.
    pub curve: f64,
    /// Position of the section's first seat; each row's seats follow on.
    pub first: usize,
    pub rows: Vec<GeoRow>,
}

/// One row: straight (`first`, `count`, `x`, `y`, `dx`, `dy`: seat k at (x + k·dx, y + k·dy),
/// number first + k), an arc (`first`, `count`, `cx`, `cy`, `r`, `a`, `da`: seat k at
/// (cx + r·cos(a + k·da), cy + r·sin(a + k·da)), radians), or explicit (`numbers`, `points`
/// as x0, y0, x1, y1, …). `ticketType` overrides the section's; `types` gives one per seat.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeoRow {
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numbers: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dx: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cx: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub da: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<f64>>,
}

/// One seat as the encoder needs it, in position order.
#[derive(Clone, Debug)]
pub struct GeoSeat<'a> {
    pub id: &'a str,
    pub section: &'a str,
    pub row: &'a str,
    pub number: i64,
    pub x: f64,
    pub y: f64,
    pub type_index: usize,
}

/// A geometry serialized once, with its strong `ETag`.
#[derive(Debug)]
pub struct PublishedGeometry {
    pub bytes: Bytes,
    /// Quoted, as the header carries it.
    pub etag: String,
}

impl PublishedGeometry {
    fn new(geometry: &Geometry) -> Result<Self> {
        let bytes = serde_json::to_vec(geometry).map_err(|e| anyhow::anyhow!("geometry: {e}"))?;
        let digest = Sha256::digest(&bytes);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Ok(PublishedGeometry {
            bytes: Bytes::from(bytes),
            etag: format!("\"{hex}\""),
        })
    }
}

/// Each event's published geometry, per instance, and a lock so that a crowd asking for an
/// event's geometry at once builds it once.
#[derive(Debug, Default)]
pub(super) struct GeometryCache {
    entries: RwLock<HashMap<EventId, Arc<PublishedGeometry>>>,
    building: tokio::sync::Mutex<()>,
}

impl GeometryCache {
    fn get(&self, event_id: &EventId) -> Option<Arc<PublishedGeometry>> {
        self.entries
            .read()
            .expect("geometry lock")
            .get(event_id)
            .cloned()
    }
}

impl Inventory {
    /// The event's geometry, serialized, built once per instance; `404 event_not_found`.
    #[tracing::instrument(skip(self))]
    pub async fn geometry(&self, event_id: &EventId) -> Result<Arc<PublishedGeometry>> {
        if let Some(g) = self.geometries.get(event_id) {
            return Ok(g);
        }
        // An unknown id is refused before the build lock: a flood of made-up ids must not
        // hold up the first build of a real event's geometry.
        if !self.event_exists(event_id).await? {
            return Err(super::events::event_not_found());
        }
        let _building = self.geometries.building.lock().await;
        if let Some(g) = self.geometries.get(event_id) {
            return Ok(g);
        }
        let seats = self.seats(event_id).await?;
        let types: Vec<TicketTypeId> = self
            .ticket_types(event_id)
            .await?
            .into_iter()
            .filter(|t| t.seated)
            .map(|t| t.id)
            .collect();
        let stored: Option<String> = sqlx::query("SELECT seat_layout FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_one(&self.db.pool)
            .await?
            .try_get("seat_layout")?;
        let stored: Option<StoredLayout> = match stored {
            Some(s) => {
                Some(serde_json::from_str(&s).map_err(|e| anyhow::anyhow!("seat_layout: {e}"))?)
            }
            None => None,
        };
        let index: HashMap<&TicketTypeId, usize> =
            types.iter().enumerate().map(|(i, t)| (t, i)).collect();
        let geo_seats = seats
            .iter()
            .map(|s| {
                Ok(GeoSeat {
                    id: s.id.as_str(),
                    section: &s.section,
                    row: &s.row,
                    number: s.number,
                    x: s.x,
                    y: s.y,
                    type_index: *index
                        .get(&s.ticket_type_id)
                        .ok_or_else(|| anyhow::anyhow!("a seat of a type not seated"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let geometry = encode(
            Some(event_id.clone()),
            &geo_seats,
            types.clone(),
            stored.as_ref(),
        );
        let published = Arc::new(PublishedGeometry::new(&geometry)?);
        let mut entries = self.geometries.entries.write().expect("geometry lock");
        if entries.len() >= CACHE_MAX {
            entries.clear();
        }
        entries.insert(event_id.clone(), published.clone());
        Ok(published)
    }
}

/// The geometry a seat map would have (`POST /api/admin/seat-maps/preview`): laid out as
/// creating the event would, seat ids the bare positions, sections' types their
/// `ticketTypeIndex`.
pub fn preview(plan: &SeatMapPlan) -> Geometry {
    let layout = layout::lay_out_at_origin(&plan.sections, plan.stage.as_ref());
    let ids: Vec<String> = (0..layout.seats.len()).map(|p| p.to_string()).collect();
    let seats: Vec<GeoSeat> = layout
        .seats
        .iter()
        .zip(&ids)
        .map(|(s, id)| GeoSeat {
            id,
            section: &s.section,
            row: &s.row,
            number: s.number,
            x: s.x,
            y: s.y,
            type_index: s.ticket_type_index,
        })
        .collect();
    encode(None, &seats, Vec::new(), Some(&layout.stored()))
}

/// Describes `seats` (in position order) compactly.
pub fn encode(
    event_id: Option<EventId>,
    seats: &[GeoSeat],
    ticket_type_ids: Vec<TicketTypeId>,
    stored: Option<&StoredLayout>,
) -> Geometry {
    let stage = stored.and_then(|s| s.stage.clone());
    let [x, y, width, height] = layout::bounds(seats.iter().map(|s| (s.x, s.y)), stage.as_ref());
    let mut sections = Vec::new();
    let mut start = 0;
    while start < seats.len() {
        let end = start
            + seats[start..]
                .iter()
                .take_while(|s| s.section == seats[start].section)
                .count();
        let placement = stored.and_then(|s| s.sections.get(sections.len()).copied());
        sections.push(encode_section(&seats[start..end], start, placement));
        start = end;
    }
    Geometry {
        event_id,
        seat_count: seats.len(),
        bounds: Bounds {
            x,
            y,
            width,
            height,
        },
        stage,
        ticket_type_ids,
        ids: encode_ids(seats),
        sections,
    }
}

/// The prefix form when every id is one prefix followed by its position, else the list.
fn encode_ids(seats: &[GeoSeat]) -> SeatIds {
    let prefix = seats
        .first()
        .and_then(|s| s.id.strip_suffix('0'))
        .unwrap_or("");
    let fits = seats.iter().enumerate().all(|(p, s)| {
        s.id.strip_prefix(prefix)
            .is_some_and(|rest| rest == p.to_string())
    });
    if fits {
        SeatIds::Prefix {
            prefix: prefix.to_string(),
            start: 0,
        }
    } else {
        SeatIds::List {
            list: seats.iter().map(|s| s.id.to_string()).collect(),
        }
    }
}

fn encode_section(seats: &[GeoSeat], first: usize, placement: Option<Placement>) -> GeoSection {
    let ticket_type = seats[0].type_index;
    let mut rows = Vec::new();
    let mut start = 0;
    while start < seats.len() {
        let end = start
            + seats[start..]
                .iter()
                .take_while(|s| s.row == seats[start].row)
                .count();
        rows.push(encode_row(&seats[start..end], ticket_type));
        start = end;
    }
    let placement = placement.unwrap_or_else(|| {
        // Not stored (events made before placement): the front row's centre, unturned.
        let front = &seats[..seats.iter().take_while(|s| s.row == seats[0].row).count()];
        let (a, b) = (&front[0], &front[front.len() - 1]);
        Placement {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
            rotation: 0.0,
            curve: 0.0,
        }
    });
    GeoSection {
        name: seats[0].section.to_string(),
        ticket_type,
        x: placement.x,
        y: placement.y,
        rotation: placement.rotation,
        curve: placement.curve,
        first,
        rows,
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    let r = (v * scale).round() / scale;
    if r == 0.0 {
        0.0 // never "-0.0"
    } else {
        r
    }
}

fn near(a: (f64, f64), s: &GeoSeat) -> bool {
    (a.0 - s.x).abs() <= TOLERANCE && (a.1 - s.y).abs() <= TOLERANCE
}

fn encode_row(seats: &[GeoSeat], section_type: usize) -> GeoRow {
    let mut row = GeoRow {
        label: seats[0].row.to_string(),
        ..GeoRow::default()
    };
    let t = seats[0].type_index;
    if seats.iter().all(|s| s.type_index == t) {
        if t != section_type {
            row.ticket_type = Some(t);
        }
    } else {
        row.types = Some(seats.iter().map(|s| s.type_index).collect());
    }
    let n = seats.len();
    let consecutive = seats
        .iter()
        .enumerate()
        .all(|(k, s)| s.number == seats[0].number + k as i64);
    if consecutive {
        if let Some(line) = straight(seats) {
            row.first = Some(seats[0].number);
            row.count = Some(n);
            [row.x, row.y, row.dx, row.dy] = line.map(Some);
            return row;
        }
        if let Some(arc) = arc(seats) {
            row.first = Some(seats[0].number);
            row.count = Some(n);
            [row.cx, row.cy, row.r, row.a, row.da] = arc.map(Some);
            return row;
        }
    }
    row.numbers = Some(seats.iter().map(|s| s.number).collect());
    row.points = Some(
        seats
            .iter()
            .flat_map(|s| [round(s.x, 3), round(s.y, 3)])
            .collect(),
    );
    row
}

/// `[x, y, dx, dy]` when the seats lie one step apart on a line.
fn straight(seats: &[GeoSeat]) -> Option<[f64; 4]> {
    let n = seats.len();
    let (a, b) = (&seats[0], &seats[n - 1]);
    let steps = (n.max(2) - 1) as f64;
    let line = [
        round(a.x, 6),
        round(a.y, 6),
        round((b.x - a.x) / steps, 6),
        round((b.y - a.y) / steps, 6),
    ];
    let [x, y, dx, dy] = line;
    seats
        .iter()
        .enumerate()
        .all(|(k, s)| near((x + k as f64 * dx, y + k as f64 * dy), s))
        .then_some(line)
}

/// `[cx, cy, r, a, da]` when the seats lie one angular step apart on a circle.
fn arc(seats: &[GeoSeat]) -> Option<[f64; 5]> {
    let n = seats.len();
    if n < 3 {
        return None;
    }
    let (p, q, s) = (&seats[0], &seats[n / 2], &seats[n - 1]);
    // The circle through three points.
    let d = 2.0 * (p.x * (q.y - s.y) + q.x * (s.y - p.y) + s.x * (p.y - q.y));
    if d.abs() < 1e-9 {
        return None;
    }
    let sq = |g: &GeoSeat| g.x * g.x + g.y * g.y;
    let cx = (sq(p) * (q.y - s.y) + sq(q) * (s.y - p.y) + sq(s) * (p.y - q.y)) / d;
    let cy = (sq(p) * (s.x - q.x) + sq(q) * (p.x - s.x) + sq(s) * (q.x - p.x)) / d;
    let r = (p.x - cx).hypot(p.y - cy);
    let angle = |g: &GeoSeat| (g.y - cy).atan2(g.x - cx);
    let wrap = |v: f64| {
        let t = std::f64::consts::TAU;
        v - t * (v / t).round()
    };
    let a = angle(p);
    let step = wrap(angle(&seats[1]) - a);
    // The whole sweep, taken the way the first step goes (it may reach half a turn).
    let mut total = wrap(angle(s) - a);
    let expected = step * (n - 1) as f64;
    let t = std::f64::consts::TAU;
    total += t * ((expected - total) / t).round();
    let arc = [
        round(cx, 6),
        round(cy, 6),
        round(r, 6),
        round(a, 9),
        round(total / (n - 1) as f64, 12),
    ];
    let [cx, cy, r, a, da] = arc;
    seats
        .iter()
        .enumerate()
        .all(|(k, g)| {
            let t = a + k as f64 * da;
            near((cx + r * t.cos(), cy + r * t.sin()), g)
        })
        .then_some(arc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat<'a>(id: &'a str, row: &'a str, number: i64, x: f64, y: f64) -> GeoSeat<'a> {
        GeoSeat {
            id,
            section: "A",
            row,
            number,
            x,
            y,
            type_index: 0,
        }
    }

    #[test]
    fn ids_not_in_prefix_form_are_listed() {
        let seats = [
            seat("x0", "A", 1, 0.0, 0.0),
            seat("x1", "A", 2, 24.0, 0.0),
            seat("x2", "A", 3, 48.0, 0.0),
        ];
        let g = encode(None, &seats, Vec::new(), None);
        assert!(matches!(&g.ids, SeatIds::Prefix { prefix, start: 0 } if prefix == "x"));
        let seats = [
            seat("0193a", "A", 1, 0.0, 0.0),
            seat("0193b", "A", 2, 24.0, 0.0),
        ];
        let g = encode(None, &seats, Vec::new(), None);
        let SeatIds::List { list } = &g.ids else {
            panic!("{:?}", g.ids)
        };
        assert_eq!(list, &["0193a", "0193b"]);
        // "x01" is not "x" + 1.
        let seats = [seat("x0", "A", 1, 0.0, 0.0), seat("x01", "A", 2, 24.0, 0.0)];
        assert!(matches!(
            encode(None, &seats, Vec::new(), None).ids,
            SeatIds::List { .. }
        ));
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // three rows built side by side read better by index
    fn rows_are_straight_arcs_or_explicit() {
        let ids: Vec<String> = (0..30).map(|p| p.to_string()).collect();
        let mut seats = Vec::new();
        // A straight row, an arc of 120° and a row with a gap in its numbers.
        for k in 0..10 {
            seats.push(seat(
                &ids[k],
                "A",
                k as i64 + 1,
                10.0 + 24.0 * k as f64,
                5.0,
            ));
        }
        for k in 0..10 {
            let t = 0.3 + k as f64 * (120f64.to_radians() / 9.0);
            seats.push(seat(
                &ids[10 + k],
                "B",
                k as i64 + 1,
                500.0 + 300.0 * t.cos(),
                400.0 + 300.0 * t.sin(),
            ));
        }
        for k in 0..10 {
            let number = if k < 5 { k as i64 + 1 } else { k as i64 + 3 };
            seats.push(seat(&ids[20 + k], "C", number, 24.0 * k as f64, 900.0));
        }
        let g = encode(None, &seats, Vec::new(), None);
        let rows = &g.sections[0].rows;
        assert_eq!(rows[0].dx, Some(24.0));
        assert!(rows[1].r.is_some() && rows[1].dx.is_none(), "{:?}", rows[1]);
        assert!(rows[2].points.is_some() && rows[2].first.is_none());
        assert_eq!(g.seat_count, 30);
    }
}
