//! Where the seats go: sections placed by the operator (`x`, `y`, `rotation`, `curve`), or
//! arranged automatically in tiers around a stage, and every seat's position worked out from
//! its section's placement.
//!
//! Why the layout is computed once, here, and stored seat by seat: v1 clients read `x`/`y`
//! off every seat and must keep working, and the geometry ([`super::geometry`]) only has to
//! describe seats that already have their places. Map units: one seat pitch is
//! [`SEAT_PITCH`]; y grows downward.
//!
//! **A section's seats.** `x, y` is the centre of the front row (row A); rows go back (away
//! from the stage) one pitch apart. `rotation` turns the section clockwise, in degrees: 0 has
//! rows running left to right with row A nearest the top, facing a stage above. `curve` is the
//! angle, in degrees, each row spans (0 = straight): the rows are then arcs around one centre
//! in front of the section, the front row of radius `(seatsPerRow - 1) × pitch / curve`, each
//! row behind one pitch further out, so the rows bend around the stage.
//!
//! **The automatic layout** (no section placed): the stage at the top, its front edge's middle
//! the focus; sections in the order given fill tiers (rings around the focus) from the front,
//! left to right, tier n (from 0) holding at most 2n + 1 sections (the first section alone
//! and centred in front of the stage, then three, five, …), each tier at most
//! [`FAN_DEGREES`] wide and centred below the stage, each
//! section turned to face the focus and curved along its ring. A tier's sections take disjoint
//! angular wedges (seen from the focus) and each tier starts behind the farthest seat of the
//! one before, so no two sections overlap; every seat is farther from the focus than the
//! stage's farthest corner, so none overlaps the stage.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::model::{row_label, NewSection};

/// Seat pitch in map units: the web app draws one unit per pixel at zoom 1.
pub const SEAT_PITCH: f64 = 24.0;
/// The widest angle one tier of the automatic layout spans, seen from the stage.
pub const FAN_DEGREES: f64 = 200.0;
/// The gap between neighbouring sections and between tiers (an aisle: two pitches).
const AISLE: f64 = 2.0 * SEAT_PITCH;

/// The stage, a rectangle (top-left corner, size) with a label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stage {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub label: String,
}

/// Where a section is: the centre of its front row, its clockwise turn and its rows' arc, in
/// degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub x: f64,
    pub y: f64,
    pub rotation: f64,
    pub curve: f64,
}

/// What `events.seat_layout` keeps: the stage and every section's placement, in the order
/// the sections were given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredLayout {
    pub stage: Option<Stage>,
    pub sections: Vec<Placement>,
}

/// One seat of a new seat map, in canonical order.
#[derive(Clone, Debug)]
pub struct LaidOutSeat {
    /// Index in canonical order (sections as given, rows front to back, seats by number).
    pub position: usize,
    pub section: String,
    pub row: String,
    pub number: i64,
    pub x: f64,
    pub y: f64,
    pub ticket_type_index: usize,
    /// The section's index in the order given, the row's (0 = front) and the seat's in its
    /// row (0 = number 1), and the row's length: what the ranking needs.
    pub section_index: usize,
    pub row_index: i64,
    pub seat_index: i64,
    pub per_row: i64,
}

/// A laid-out seat map: the stage (if any), each section's placement, every seat.
#[derive(Clone, Debug)]
pub struct VenueLayout {
    pub stage: Option<Stage>,
    pub placements: Vec<Placement>,
    pub seats: Vec<LaidOutSeat>,
}

impl VenueLayout {
    pub fn stored(&self) -> StoredLayout {
        StoredLayout {
            stage: self.stage.clone(),
            sections: self.placements.clone(),
        }
    }
}

/// Lays out `sections`: as placed when they carry placements (every one does, or none:
/// [`super::model`] checks), otherwise automatically around `stage` (or a stage it supplies).
pub fn lay_out(sections: &[NewSection], stage: Option<&Stage>) -> VenueLayout {
    if sections.is_empty() {
        return VenueLayout {
            stage: stage.cloned(),
            placements: Vec::new(),
            seats: Vec::new(),
        };
    }
    let placed: Option<Vec<Placement>> = sections.iter().map(|s| s.placement).collect();
    let (stage, placements) = match placed {
        Some(p) => (stage.cloned(), p),
        None => {
            let (stage, p) = auto_place(sections, stage);
            (Some(stage), p)
        }
    };
    let mut seats = Vec::with_capacity(
        sections
            .iter()
            .map(|s| (s.rows * s.seats_per_row) as usize)
            .sum(),
    );
    for (i, (s, p)) in sections.iter().zip(&placements).enumerate() {
        for r in 0..s.rows {
            let row = row_label(r);
            for k in 0..s.seats_per_row {
                let (x, y) = seat_point(p, s.seats_per_row, r, k);
                seats.push(LaidOutSeat {
                    position: seats.len(),
                    section: s.name.clone(),
                    row: row.clone(),
                    number: k + 1,
                    x,
                    y,
                    ticket_type_index: s.ticket_type_index,
                    section_index: i,
                    row_index: r,
                    seat_index: k,
                    per_row: s.seats_per_row,
                });
            }
        }
    }
    VenueLayout {
        stage,
        placements,
        seats,
    }
}

/// Seat `k` (0-based) of row `r` (0 = front) of a section of `per_row` seats a row placed at
/// `p`.
pub fn seat_point(p: &Placement, per_row: i64, r: i64, k: i64) -> (f64, f64) {
    let (u, v) = local_point(p.curve, per_row, r, k);
    let (sin, cos) = p.rotation.to_radians().sin_cos();
    (p.x + u * cos - v * sin, p.y + u * sin + v * cos)
}

/// The seat in the section's own frame: `u` across (left to right), `v` back from the front
/// row's centre.
fn local_point(curve: f64, per_row: i64, r: i64, k: i64) -> (f64, f64) {
    let phi = curve.to_radians();
    if phi > 0.0 && per_row > 1 {
        let r0 = (per_row - 1) as f64 * SEAT_PITCH / phi;
        let rho = r0 + r as f64 * SEAT_PITCH;
        let alpha = -phi / 2.0 + k as f64 * phi / (per_row - 1) as f64;
        (rho * alpha.sin(), -r0 + rho * alpha.cos())
    } else {
        (
            (k as f64 - (per_row - 1) as f64 / 2.0) * SEAT_PITCH,
            r as f64 * SEAT_PITCH,
        )
    }
}

/// The stage the automatic layout supplies: as wide as the widest section (within reason),
/// its front edge's middle at the origin.
fn default_stage(sections: &[NewSection]) -> Stage {
    let widest = sections.iter().map(|s| s.seats_per_row).max().unwrap_or(1) as f64 * SEAT_PITCH;
    let width = widest.clamp(240.0, 1200.0).round();
    let height = (width / 4.0).clamp(96.0, 240.0).round();
    Stage {
        x: -width / 2.0,
        y: -height,
        width,
        height,
        label: "Stage".into(),
    }
}

/// The curve that bends a section's rows along a ring of radius `radius` around the focus,
/// flattened for deep sections so back rows stay within 1.5 pitches apart.
fn auto_curve(s: &NewSection, radius: f64) -> f64 {
    if s.seats_per_row < 2 {
        return 0.0;
    }
    let r0 = radius.max(2.0 * s.rows as f64 * SEAT_PITCH);
    ((s.seats_per_row - 1) as f64 * SEAT_PITCH / r0)
        .min(2.0 * PI / 3.0)
        .to_degrees()
}

/// How wide an angle (radians, seen from the focus) the section takes with its front row's
/// centre at `radius` straight below the focus, half a pitch of room included; and how far its
/// farthest seat is from the focus.
fn footprint(s: &NewSection, radius: f64) -> (f64, f64) {
    let p = Placement {
        x: 0.0,
        y: radius,
        rotation: 0.0,
        curve: auto_curve(s, radius),
    };
    let (mut half, mut far) = (0.0f64, 0.0f64);
    for r in 0..s.rows {
        for k in [0, s.seats_per_row - 1] {
            let (x, y) = seat_point(&p, s.seats_per_row, r, k);
            half = half.max((x.abs() + SEAT_PITCH / 2.0).atan2(y));
            far = far.max(x.hypot(y));
        }
    }
    (2.0 * half, far + SEAT_PITCH / 2.0)
}

/// Arranges sections in tiers around the stage (see the module's documentation).
fn auto_place(sections: &[NewSection], stage: Option<&Stage>) -> (Stage, Vec<Placement>) {
    let stage = stage.cloned().unwrap_or_else(|| default_stage(sections));
    let focus = (stage.x + stage.width / 2.0, stage.y + stage.height);
    let fan = FAN_DEGREES.to_radians();
    let mut radius = (stage.width / 2.0).hypot(stage.height) + AISLE;
    let mut placements = Vec::with_capacity(sections.len());
    let mut i = 0;
    let mut tier = 0;
    while i < sections.len() {
        // The tier: sections in order while they fit in the fan; a first section too wide
        // for the fan at this radius moves the tier back until it fits.
        let mut members: Vec<(usize, f64)> = Vec::new();
        let mut used = 0.0;
        let mut far = radius;
        // Tier n holds at most 2n + 1 sections: the first section alone, centred in front of
        // the stage (the best seats), then rings of three, five, … around it; without the
        // cap, two small sections filled the first ring side by side and left the middle
        // in front of the stage empty.
        let most = 2 * tier + 1;
        while i + members.len() < sections.len() && members.len() < most {
            let s = &sections[i + members.len()];
            let (width, reach) = footprint(s, radius);
            let gap = if members.is_empty() {
                0.0
            } else {
                AISLE / radius
            };
            if used + gap + width > fan {
                if members.is_empty() {
                    radius *= 1.25;
                    continue;
                }
                break;
            }
            used += gap + width;
            far = far.max(reach);
            members.push((i + members.len(), width));
        }
        let mut cursor = -used / 2.0;
        for (n, (j, width)) in members.iter().enumerate() {
            if n > 0 {
                cursor += AISLE / radius;
            }
            let beta = cursor + width / 2.0;
            cursor += width;
            placements.push(Placement {
                x: focus.0 + radius * beta.sin(),
                y: focus.1 + radius * beta.cos(),
                rotation: -beta.to_degrees(),
                curve: auto_curve(&sections[*j], radius),
            });
        }
        i += members.len();
        tier += 1;
        radius = far + AISLE;
    }
    (stage, placements)
}

/// Moves a whole layout by `(dx, dy)`.
pub fn translate(layout: &mut VenueLayout, dx: f64, dy: f64) {
    if let Some(s) = &mut layout.stage {
        s.x += dx;
        s.y += dy;
    }
    for p in &mut layout.placements {
        p.x += dx;
        p.y += dy;
    }
    for s in &mut layout.seats {
        s.x += dx;
        s.y += dy;
    }
}

/// The smallest whole-unit rectangle holding every seat (with a pitch of room around it) and
/// the stage: `(x, y, width, height)`.
pub fn bounds(points: impl Iterator<Item = (f64, f64)>, stage: Option<&Stage>) -> [f64; 4] {
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in points {
        x0 = x0.min(x - SEAT_PITCH);
        y0 = y0.min(y - SEAT_PITCH);
        x1 = x1.max(x + SEAT_PITCH);
        y1 = y1.max(y + SEAT_PITCH);
    }
    if let Some(s) = stage {
        x0 = x0.min(s.x);
        y0 = y0.min(s.y);
        x1 = x1.max(s.x + s.width);
        y1 = y1.max(s.y + s.height);
    }
    if !x0.is_finite() {
        return [0.0; 4];
    }
    let (x0, y0) = (x0.floor(), y0.floor());
    [x0, y0, x1.ceil() - x0, y1.ceil() - y0]
}

/// The automatic layout moved so that its bounds start at the origin.
pub fn lay_out_at_origin(sections: &[NewSection], stage: Option<&Stage>) -> VenueLayout {
    let mut layout = lay_out(sections, stage);
    let auto = sections.iter().any(|s| s.placement.is_none());
    if auto && stage.is_none() && !layout.seats.is_empty() {
        let [x, y, _, _] = bounds(
            layout.seats.iter().map(|s| (s.x, s.y)),
            layout.stage.as_ref(),
        );
        translate(&mut layout, -x, -y);
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(name: &str, rows: i64, per_row: i64) -> NewSection {
        NewSection {
            name: name.into(),
            rows,
            seats_per_row: per_row,
            ticket_type_index: 0,
            placement: None,
        }
    }

    /// No two seats of different sections closer than a pitch, none inside the stage.
    fn assert_apart(layout: &VenueLayout) {
        let seats = &layout.seats;
        // A grid of pitch-sized cells keeps this linear for 50,000 seats.
        let mut cells: std::collections::HashMap<(i64, i64), Vec<usize>> = Default::default();
        for (i, s) in seats.iter().enumerate() {
            let key = (
                (s.x / SEAT_PITCH).floor() as i64,
                (s.y / SEAT_PITCH).floor() as i64,
            );
            cells.entry(key).or_default().push(i);
        }
        for (i, s) in seats.iter().enumerate() {
            let (cx, cy) = (
                (s.x / SEAT_PITCH).floor() as i64,
                (s.y / SEAT_PITCH).floor() as i64,
            );
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for &j in cells.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                        let o = &seats[j];
                        if j != i && o.section_index != s.section_index {
                            let d = (s.x - o.x).hypot(s.y - o.y);
                            assert!(
                                d >= SEAT_PITCH,
                                "{} {}{} and {} {}{} are {d:.1} apart",
                                s.section,
                                s.row,
                                s.number,
                                o.section,
                                o.row,
                                o.number
                            );
                        }
                    }
                }
            }
            if let Some(st) = &layout.stage {
                let inside = s.x > st.x - SEAT_PITCH / 2.0
                    && s.x < st.x + st.width + SEAT_PITCH / 2.0
                    && s.y > st.y - SEAT_PITCH / 2.0
                    && s.y < st.y + st.height + SEAT_PITCH / 2.0;
                assert!(
                    !inside,
                    "{} {}{} is on the stage",
                    s.section, s.row, s.number
                );
            }
        }
    }

    #[test]
    fn the_automatic_layout_keeps_sections_apart_and_off_the_stage() {
        for sections in [
            vec![section("A", 5, 10)],
            vec![
                section("A", 10, 14),
                section("B", 8, 12),
                section("C", 6, 16),
            ],
            vec![section("A", 1, 1), section("B", 100, 200)],
            (0..20)
                .map(|i| section(&format!("S{i}"), 50, 50))
                .collect::<Vec<_>>(),
        ] {
            let layout = lay_out_at_origin(&sections, None);
            assert!(layout.stage.is_some());
            let n: i64 = sections.iter().map(|s| s.rows * s.seats_per_row).sum();
            assert_eq!(layout.seats.len() as i64, n);
            assert_apart(&layout);
            let [x, y, w, h] = bounds(
                layout.seats.iter().map(|s| (s.x, s.y)),
                layout.stage.as_ref(),
            );
            assert_eq!((x, y), (0.0, 0.0));
            // Around the stage, not a strip: the map is never more than 4 times as tall as
            // wide or the other way round.
            assert!(w / h < 4.0 && h / w < 4.0, "{w} × {h}");
        }
    }

    #[test]
    fn the_automatic_layout_faces_the_stage() {
        let sections: Vec<_> = (0..3).map(|i| section(&format!("S{i}"), 4, 8)).collect();
        let layout = lay_out(&sections, None);
        let st = layout.stage.clone().unwrap();
        let focus = (st.x + st.width / 2.0, st.y + st.height);
        for p in &layout.placements {
            // The front (towards smaller v) points at the focus: rotate (0, -1).
            let (sin, cos) = p.rotation.to_radians().sin_cos();
            let forward = (sin, -cos);
            let to_focus = (focus.0 - p.x, focus.1 - p.y);
            let len = to_focus.0.hypot(to_focus.1);
            let dot = (forward.0 * to_focus.0 + forward.1 * to_focus.1) / len;
            assert!((dot - 1.0).abs() < 1e-9, "{p:?} does not face the stage");
        }
        // The first section alone and centred in front of the stage; the next two behind
        // it, left to right in the order given.
        let [first, second, third] = &layout.placements[..] else {
            panic!("three placements")
        };
        assert!((first.x - focus.0).abs() < 1e-9, "{first:?} is centred");
        let reach = |p: &Placement| (p.x - focus.0).hypot(p.y - focus.1);
        assert!(reach(second) > reach(first) && reach(third) > reach(first));
        assert!(second.x < focus.0 && focus.0 < third.x);
    }

    #[test]
    fn rotation_and_curve_place_seats_as_documented() {
        // Straight, turned 90° clockwise: rows run top to bottom, the front row on the right
        // (facing a stage to the right), seat 1 at the top.
        let p = Placement {
            x: 100.0,
            y: 100.0,
            rotation: 90.0,
            curve: 0.0,
        };
        let (x, y) = seat_point(&p, 3, 0, 0);
        assert!(
            (x - 100.0).abs() < 1e-9 && (y - 76.0).abs() < 1e-9,
            "{x},{y}"
        );
        let (x, y) = seat_point(&p, 3, 1, 1);
        assert!(
            (x - 76.0).abs() < 1e-9 && (y - 100.0).abs() < 1e-9,
            "{x},{y}"
        );
        // Curved by 90°: the front row's ends lie on a circle around a centre in front.
        let p = Placement {
            x: 0.0,
            y: 0.0,
            rotation: 0.0,
            curve: 90.0,
        };
        let r0 = 10.0 * SEAT_PITCH / (PI / 2.0);
        for r in 0..3 {
            for k in 0..11 {
                let (x, y) = seat_point(&p, 11, r, k);
                let d = x.hypot(y + r0);
                assert!((d - (r0 + r as f64 * SEAT_PITCH)).abs() < 1e-9);
            }
        }
        let (x0, y0) = seat_point(&p, 11, 0, 0);
        let (x1, y1) = seat_point(&p, 11, 0, 10);
        assert!(x0 < 0.0 && x1 > 0.0 && (y0 - y1).abs() < 1e-9 && y0 < 0.0);
        // The middle seat of the front row is the placement's point.
        let (x, y) = seat_point(&p, 11, 0, 5);
        assert!(x.abs() < 1e-9 && y.abs() < 1e-9);
    }
}
