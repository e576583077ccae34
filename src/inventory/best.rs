//! Best available: the seat ranking of an event, and the choice of the best block of adjacent
//! free seats in one row.
//!
//! **Ranking** (stored as `seats.seat_rank` when the seat map is made): sections in the order
//! given (the operator puts the best first), within a section rows front (row A) first, within
//! a row the seat nearest the row's middle first (by seat number: rotated and curved sections
//! have no common "top" or "middle of the map"), of two as near the lower number. Rank 1 is the
//! best seat. For the one-column layout of events made earlier this is the order the migration
//! `20261127120000_seat_rank.sql` ranked their seats in (front rows first by `y`, then the
//! middle of the map by `x`), so their ranks stand.
//!
//! **Choice**: a block is `quantity` seats of one section and row with consecutive numbers,
//! all free (and of the asked ticket type, in the asked section). Of all blocks, the one
//! leaving the fewest *lone gaps* (a single free seat left between the block and a taken
//! seat, a seat of another type or the row's end) wins; then the one leaving the fewest runs
//! of exactly three free seats (the run a pair cannot take without leaving a lone seat: with
//! this rule a sold-out hall of 2-4 seat groups kept 0-1 lone seats in the contention test,
//! against 0-10 without it); then the one whose seats' ranks add up to the least (so a front
//! row beats the one behind it, and the middle of a row its sides); then the one holding the
//! best single seat.
//!
//! **Taking it**: a best-available hold goes through the event's lane like any hold
//! ([`super::batch`]): its batch's transaction locks every free seat of the event (`FOR
//! UPDATE` on PostgreSQL; SQLite runs one writer) and chooses the block there, against what
//! the earlier holds of the same batch took. So a block cannot be lost between choosing and
//! taking: a block taken a moment earlier (by this instance or another) is simply not a
//! candidate, and the next best is taken in the same request; `409 no_adjacent_seats` only
//! when no block fits at all. The conditional `UPDATE … WHERE status = 'available'` and the
//! partial unique index still refuse any double sale.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sqlx::Row;

use super::batch::HoldRequest;
use super::events::EventTerms;
use super::layout::LaidOutSeat;
use super::model::*;
use super::Inventory;
use crate::admission::Admitted;
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::ids::{EventId, SeatId, TicketTypeId};

/// Each laid-out seat's rank (1 = best), in the order given: sections in the order given,
/// rows front first, then the seat nearest its row's middle (of two as near, the lower
/// number).
pub(super) fn rank_seats(seats: &[LaidOutSeat]) -> Vec<i64> {
    let key = |s: &LaidOutSeat| {
        // Twice the distance from the middle, in seats: whole numbers.
        let off = (2 * s.seat_index - (s.per_row - 1)).abs();
        (s.section_index, s.row_index, off, s.seat_index)
    };
    let mut order: Vec<usize> = (0..seats.len()).collect();
    order.sort_unstable_by_key(|&i| key(&seats[i]));
    let mut ranks = vec![0; seats.len()];
    for (rank, i) in order.into_iter().enumerate() {
        ranks[i] = rank as i64 + 1;
    }
    ranks
}

/// What a best-available hold asks for.
#[derive(Clone, Debug)]
pub(super) struct BestRequest {
    pub quantity: i64,
    pub ticket_type_id: Option<TicketTypeId>,
    pub section: Option<String>,
}

/// A seat of the event's layout.
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub id: SeatId,
    pub section: String,
    pub row: String,
    pub number: i64,
    pub rank: i64,
    pub ticket_type_id: TicketTypeId,
    /// Its index in the layout's flat order (the batch's free-seat bitmap).
    pub pos: usize,
}

/// An event's seats row by row (each row's seats by number), with each seat's index. A seat
/// map never changes once made, so each instance reads it once per event and keeps it; a
/// batch reads only which seats are free.
#[derive(Debug, Default)]
pub(super) struct Layout {
    rows: Vec<Vec<Place>>,
    index: HashMap<SeatId, usize>,
}

impl Layout {
    pub fn new(places: impl IntoIterator<Item = Place>) -> Self {
        let mut rows: BTreeMap<(String, String), Vec<Place>> = BTreeMap::new();
        for p in places {
            rows.entry((p.section.clone(), p.row.clone()))
                .or_default()
                .push(p);
        }
        let mut rows: Vec<Vec<Place>> = rows.into_values().collect();
        let mut index = HashMap::new();
        let mut pos = 0;
        for row in &mut rows {
            row.sort_by_key(|p| p.number);
            for p in row.iter_mut() {
                p.pos = pos;
                index.insert(p.id.clone(), pos);
                pos += 1;
            }
        }
        Layout { rows, index }
    }

    /// Seats in the layout.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when a row of the layout is in `section`.
    pub fn has_section(&self, section: &str) -> bool {
        self.rows
            .iter()
            .any(|row| row.first().is_some_and(|p| p.section == section))
    }

    /// The seat's index, if it is the event's.
    pub fn pos(&self, id: &SeatId) -> Option<usize> {
        self.index.get(id).copied()
    }
}

/// Layouts kept at most per instance; past this the cache starts over.
const LAYOUT_CACHE_MAX: usize = 1_000;

/// How good a block is: fewer lone gaps, then fewer runs of three left, then a smaller rank
/// sum, then a better best seat.
type Score = (u8, u8, i64, i64);

/// Chooses the best block for `request` among the seats of `layout` marked in `free` (free
/// in the database and not taken by an earlier hold of the batch); its items in seat order,
/// or `409 no_adjacent_seats`.
pub(super) fn decide(
    request: &BestRequest,
    layout: &Layout,
    free: &[bool],
    terms: &EventTerms,
) -> Result<Vec<ReservationItem>> {
    let q = request.quantity.max(1) as usize;
    let mut best: Option<(Score, Vec<&Place>)> = None;
    for row in &layout.rows {
        if request
            .section
            .as_ref()
            .is_some_and(|s| row.first().is_some_and(|p| &p.section != s))
        {
            continue;
        }
        let mut run: Vec<&Place> = Vec::new();
        for p in row {
            let usable = free.get(p.pos).copied().unwrap_or(false)
                && request
                    .ticket_type_id
                    .as_ref()
                    .is_none_or(|t| *t == p.ticket_type_id);
            let follows = run
                .last()
                .is_some_and(|l| l.number + 1 == p.number && l.ticket_type_id == p.ticket_type_id);
            if !(usable && (run.is_empty() || follows)) {
                consider(&run, q, &mut best);
                run.clear();
            }
            if usable {
                run.push(p);
            }
        }
        consider(&run, q, &mut best);
    }
    let Some((_, block)) = best else {
        return Err(Error::NoAdjacentSeats {
            quantity: request.quantity,
        });
    };
    block
        .into_iter()
        .map(|p| {
            let price = terms
                .types
                .get(&p.ticket_type_id)
                .ok_or_else(|| anyhow::anyhow!("seat without a ticket type"))?
                .price;
            Ok(ReservationItem {
                seat_id: Some(p.id.clone()),
                ticket_type_id: p.ticket_type_id.clone(),
                quantity: 1,
                price,
            })
        })
        .collect()
}

/// Scores every block of `q` seats of one run of consecutive free seats, keeping the best.
fn consider<'a>(run: &[&'a Place], q: usize, best: &mut Option<(Score, Vec<&'a Place>)>) {
    if run.len() < q {
        return;
    }
    let mut sum: i64 = run[..q].iter().map(|p| p.rank).sum();
    for start in 0..=run.len() - q {
        if start > 0 {
            sum += run[start + q - 1].rank - run[start - 1].rank;
        }
        let (left, right) = (start, run.len() - q - start);
        let lone = u8::from(left == 1) + u8::from(right == 1);
        let top = run[start..start + q]
            .iter()
            .map(|p| p.rank)
            .min()
            .unwrap_or(0);
        let three = u8::from(left == 3) + u8::from(right == 3);
        let score = (lone, three, sum, top);
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            *best = Some((score, run[start..start + q].to_vec()));
        }
    }
}

impl Inventory {
    /// The event's seat layout, read once per instance and kept.
    pub(super) async fn layout(&self, event_id: &EventId) -> Result<Arc<Layout>> {
        if let Some(l) = self.layouts.read().expect("layouts lock").get(event_id) {
            return Ok(l.clone());
        }
        let rows = sqlx::query(
            "SELECT id, section, row_label, number, seat_rank, ticket_type_id FROM seats \
             WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_all(&self.db.pool)
        .await?;
        let places = rows
            .iter()
            .map(|r| {
                Ok(Place {
                    id: r.try_get("id")?,
                    section: r.try_get("section")?,
                    row: r.try_get("row_label")?,
                    number: r.try_get("number")?,
                    rank: r.try_get("seat_rank")?,
                    ticket_type_id: r.try_get("ticket_type_id")?,
                    pos: 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let layout = Arc::new(Layout::new(places));
        let mut cache = self.layouts.write().expect("layouts lock");
        if cache.len() >= LAYOUT_CACHE_MAX {
            cache.clear();
        }
        cache.insert(event_id.clone(), layout.clone());
        Ok(layout)
    }

    /// Holds the best block of `quantity` adjacent free seats in one row for the admitted
    /// user (of `ticket_type_id`, in `section`, when given), in the event's next batch.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn hold_best(
        &self,
        admitted: &Admitted,
        quantity: Quantity,
        ticket_type_id: Option<&TicketTypeId>,
        section: Option<&str>,
    ) -> Result<Reservation> {
        let (event_id, user_id) = (admitted.event(), admitted.user());
        let terms = self.terms(event_id).await?;
        if terms.sales_paused {
            return Err(Error::conflict(ErrorCode::SalesPaused, "Sales are paused"));
        }
        if let Some(t) = ticket_type_id {
            match terms.types.get(t) {
                None => {
                    return Err(Error::not_found(
                        ErrorCode::TicketTypeNotFound,
                        "no such ticket type for this event",
                    ))
                }
                Some(t) if !t.seated => {
                    return Err(invalid_field(
                        "ticketTypeId",
                        "best available picks seats: name a seated ticket type",
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some(section) = section {
            // From the cached layout: a made-up section costs no database read.
            if !self.layout(event_id).await?.has_section(section) {
                return Err(invalid_field(
                    "section",
                    "no such section in this event's seat map",
                ));
            }
        }
        let request = HoldRequest::Best(BestRequest {
            quantity: quantity.get(),
            ticket_type_id: ticket_type_id.cloned(),
            section: section.map(str::to_string),
        });
        self.hold_batched(event_id, user_id, request, terms).await
    }
}

fn invalid_field(field: &str, message: &str) -> Error {
    Error::InvalidFields(vec![FieldError {
        field: field.to_string(),
        message: message.to_string(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn terms() -> EventTerms {
        EventTerms {
            hold_ms: 60_000,
            sales_paused: false,
            bot_check: false,
            currency: crate::inventory::Currency::USD,
            types: HashMap::from([(
                TicketTypeId::parse("tt").unwrap(),
                super::super::events::TypeTerms {
                    price: 100,
                    seated: true,
                },
            )]),
        }
    }

    /// One row of `n` seats, ranked from the middle out; `free` says which are free.
    fn row(free: &[bool]) -> Layout {
        let n = free.len() as i64;
        let centre = (n + 1) as f64 / 2.0;
        let mut by_distance: Vec<i64> = (1..=n).collect();
        by_distance.sort_by(|a, b| {
            ((*a as f64 - centre).abs())
                .total_cmp(&(*b as f64 - centre).abs())
                .then(a.cmp(b))
        });
        Layout::new((1..=n).map(|i| Place {
            id: SeatId::parse(format!("s{i}")).unwrap(),
            section: "A".into(),
            row: "A".into(),
            number: i,
            rank: by_distance.iter().position(|x| *x == i).unwrap() as i64 + 1,
            ticket_type_id: TicketTypeId::parse("tt").unwrap(),
            pos: 0,
        }))
    }

    fn pick(free: &[bool], quantity: i64) -> Option<Vec<String>> {
        let request = BestRequest {
            quantity,
            ticket_type_id: None,
            section: None,
        };
        decide(&request, &row(free), free, &terms())
            .ok()
            .map(|items| {
                items
                    .into_iter()
                    .map(|i| i.seat_id.unwrap().to_string())
                    .collect()
            })
    }

    #[test]
    fn the_middle_of_an_empty_row_first() {
        assert_eq!(pick(&[true; 10], 2).unwrap(), ["s5", "s6"]);
        // Three from the middle (4-6) would leave a run of three (7-10 is four, 1-3 three):
        // one seat further left leaves two and five instead.
        assert_eq!(pick(&[true; 10], 3).unwrap(), ["s3", "s4", "s5"]);
        assert_eq!(pick(&[true; 7], 3).unwrap(), ["s3", "s4", "s5"]);
    }

    #[test]
    fn a_lone_gap_is_avoided_when_another_block_fits() {
        // Free: 1-3 and 6-10. Two seats at 2-3 would leave seat 1 alone; 1-2 leaves 3 alone;
        // 6-7 leaves 8-10, no lone seat.
        let free = [true, true, true, false, false, true, true, true, true, true];
        let got = pick(&free, 2).unwrap();
        assert!(got != ["s2", "s3"] && got != ["s1", "s2"], "{got:?}");
        // Only a block leaving a lone seat fits: it is taken all the same.
        let free = [
            true, true, true, false, false, false, false, false, false, false,
        ];
        assert_eq!(pick(&free, 2).unwrap().len(), 2);
    }

    #[test]
    fn no_block_is_no_adjacent_seats() {
        let free = [
            true, false, true, false, true, true, false, true, true, false,
        ];
        assert_eq!(pick(&free, 3), None);
        assert_eq!(pick(&free, 2).unwrap().len(), 2);
    }
}
