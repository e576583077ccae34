//! Sales figures of one event, for operators watching an on-sale: what each ticket type has
//! sold and holds, its revenue, and the seat map's counts. One read of the ticket types'
//! counters (kept in the same transactions as every hold, payment and release), so it costs
//! the same whatever the number of reservations.

use serde::Serialize;
use sqlx::Row;

use super::{Inventory, StockView};
use crate::error::Result;
use crate::ids::{EventId, TicketTypeId};

/// One ticket type's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketTypeFigures {
    pub ticket_type_id: TicketTypeId,
    pub name: String,
    /// Minor units (cents), per ticket.
    pub price: i64,
    pub total: i64,
    pub sold: i64,
    /// In pending holds.
    pub held: i64,
    pub remaining_quantity: i64,
    /// `sold × price`, minor units: a ticket type's price never changes once it is created,
    /// and every reservation item is priced at it, so this is what the paid orders add up to.
    pub revenue: i64,
    #[serde(skip)]
    pub seated: bool,
}

/// Seats of the seat map by status (all zero for a general-admission event).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeatFigures {
    pub available: i64,
    pub held: i64,
    pub sold: i64,
}

/// An event's sales as the database has them now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesFigures {
    /// Tickets and seats sold, every type.
    pub sold: i64,
    /// Minor units, every type.
    pub revenue: i64,
    pub ticket_types: Vec<TicketTypeFigures>,
    pub seats: SeatFigures,
}

impl SalesFigures {
    fn from_types(ticket_types: Vec<TicketTypeFigures>) -> Self {
        let mut seats = SeatFigures::default();
        for t in ticket_types.iter().filter(|t| t.seated) {
            // A seated type's counters move with its seats' statuses, in the same
            // transactions, and its total is its number of seats.
            seats.available += t.remaining_quantity;
            seats.held += t.held;
            seats.sold += t.sold;
        }
        SalesFigures {
            sold: ticket_types.iter().map(|t| t.sold).sum(),
            revenue: ticket_types.iter().map(|t| t.revenue).sum(),
            ticket_types,
            seats,
        }
    }
}

impl Inventory {
    /// The event's sales figures (no check that the event exists: an unknown event has no
    /// ticket types, so all zero).
    pub async fn sales_figures(&self, event_id: &EventId) -> Result<SalesFigures> {
        let rows = sqlx::query(
            "SELECT id, name, price, total, held, sold, seated FROM ticket_types \
             WHERE event_id = $1 ORDER BY position",
        )
        .bind(event_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut types = Vec::with_capacity(rows.len());
        for r in &rows {
            let (price, total, held, sold): (i64, i64, i64, i64) = (
                r.try_get("price")?,
                r.try_get("total")?,
                r.try_get("held")?,
                r.try_get("sold")?,
            );
            types.push(TicketTypeFigures {
                ticket_type_id: r.try_get("id")?,
                name: r.try_get("name")?,
                price,
                total,
                sold,
                held,
                remaining_quantity: total - held - sold,
                revenue: sold.saturating_mul(price),
                seated: r.try_get::<i64, _>("seated")? != 0,
            });
        }
        Ok(SalesFigures::from_types(types))
    }
}

impl StockView {
    /// As [`Inventory::sales_figures`].
    pub async fn sales_figures(&self, event_id: &EventId) -> Result<SalesFigures> {
        self.0.sales_figures(event_id).await
    }
}
