//! An event's paid orders, for the administrators' export (`orders.csv`): read a page at a
//! time in the order they were paid, so an export of any size holds one page in memory.

use std::collections::HashMap;

use sqlx::Row;

use super::events::event_not_found;
use super::model::{Actor, Currency};
use super::{audit, Inventory};
use crate::clock::Millis;
use crate::db::placeholders;
use crate::error::Result;
use crate::ids::{EventId, ReservationId};

/// One paid order (a reservation in status `paid`).
#[derive(Clone, Debug, PartialEq)]
pub struct PaidOrder {
    pub id: ReservationId,
    /// When it was paid.
    pub paid_at: Millis,
    pub user_id: String,
    /// The buyer's account, when the buyer is a user of this database (tokens of another
    /// issuer may name users it does not know); guests have no email.
    pub email: Option<String>,
    pub name: Option<String>,
    /// The ticket types' names, each once, in item order.
    pub ticket_types: Vec<String>,
    /// Seat labels, `section/row/number`, in item order (none for general admission).
    pub seats: Vec<String>,
    pub quantity: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    /// The event's currency, which every order of the event is in (it cannot change once
    /// the event has a reservation).
    pub currency: Currency,
}

/// Where the next page starts: after this order (paid at, id).
pub type OrdersCursor = (Millis, ReservationId);

impl Inventory {
    /// Up to `limit` paid orders of `event_id` paid after `after` (from the first when
    /// `None`), in the order they were paid; `404 event_not_found` for no such event.
    pub async fn paid_orders(
        &self,
        event_id: &EventId,
        after: Option<&OrdersCursor>,
        limit: usize,
    ) -> Result<Vec<PaidOrder>> {
        if after.is_none() && !self.event_exists(event_id).await? {
            return Err(event_not_found());
        }
        let (at, id) = after
            .map(|(at, id)| (*at, id.as_str().to_string()))
            .unwrap_or((i64::MIN, String::new()));
        let rows = sqlx::query(
            "SELECT r.id, r.updated_at, r.user_id, r.total, u.email, u.name, e.currency \
             FROM reservations r JOIN events e ON e.id = r.event_id \
             LEFT JOIN users u ON u.id = r.user_id \
             WHERE r.event_id = $1 AND r.status = 'paid' \
               AND (r.updated_at > $2 OR (r.updated_at = $2 AND r.id > $3)) \
             ORDER BY r.updated_at, r.id LIMIT $4",
        )
        .bind(event_id)
        .bind(at)
        .bind(&id)
        .bind(limit as i64)
        .fetch_all(&self.db.pool)
        .await?;
        let mut orders = Vec::with_capacity(rows.len());
        for r in &rows {
            orders.push(PaidOrder {
                id: r.try_get("id")?,
                paid_at: r.try_get("updated_at")?,
                user_id: r.try_get("user_id")?,
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                ticket_types: Vec::new(),
                seats: Vec::new(),
                quantity: 0,
                amount: r.try_get("total")?,
                currency: super::events::currency_from_row(r)?,
            });
        }
        if orders.is_empty() {
            return Ok(orders);
        }
        let sql = format!(
            "SELECT i.reservation_id, i.quantity, t.name AS type_name, \
                    s.section, s.row_label, s.number \
             FROM reservation_items i JOIN ticket_types t ON t.id = i.ticket_type_id \
             LEFT JOIN seats s ON s.id = i.seat_id \
             WHERE i.reservation_id IN ({}) \
             ORDER BY i.reservation_id, s.section, s.row_label, s.number, i.position",
            placeholders(0, orders.len())
        );
        let mut q = sqlx::query(&sql);
        for o in &orders {
            q = q.bind(&o.id);
        }
        let index: HashMap<ReservationId, usize> = orders
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();
        for r in q.fetch_all(&self.db.pool).await? {
            let rid: ReservationId = r.try_get("reservation_id")?;
            let Some(o) = index.get(&rid).map(|i| &mut orders[*i]) else {
                continue;
            };
            o.quantity += r.try_get::<i64, _>("quantity")?;
            let type_name: String = r.try_get("type_name")?;
            if !o.ticket_types.contains(&type_name) {
                o.ticket_types.push(type_name);
            }
            if let Some(section) = r.try_get::<Option<String>, _>("section")? {
                let row: String = r.try_get("row_label")?;
                let number: i64 = r.try_get("number")?;
                o.seats.push(format!("{section}/{row}/{number}"));
            }
        }
        Ok(orders)
    }

    /// Records that `actor` exported `event_id`'s orders (its own transaction: an export
    /// changes nothing).
    pub async fn record_export(&self, event_id: &EventId, actor: &Actor, what: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let details = serde_json::json!({ "format": what });
        audit::record(
            &mut tx,
            self.clock.now_ms(),
            actor,
            "orders.export",
            Some(event_id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
