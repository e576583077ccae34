//! Creating events with their ticket types and seat maps, and reading them back.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::layout::LaidOutSeat;
use super::model::*;
use super::{audit, with_retry, Inventory};
use crate::db::{self, placeholders};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{EventId, TicketTypeId};

fn event_from_row(r: &AnyRow) -> Result<Event> {
    Ok(Event {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        venue: r.try_get("venue")?,
        currency: currency_from_row(r)?,
        time_zone: {
            let tz: String = r.try_get("time_zone")?;
            TimeZone::parse(&tz)
                .map_err(|_| anyhow::anyhow!("unknown time zone {tz:?} in database"))?
        },
        starts_at: r.try_get("starts_at")?,
        sale_opens_at: r.try_get("sale_opens_at")?,
        has_seat_map: r.try_get::<i64, _>("has_seat_map")? != 0,
        capacity: r.try_get("capacity")?,
        admit_rate_per_sec: r.try_get("admit_rate_per_sec")?,
        hold_seconds: r.try_get("hold_seconds")?,
        admission_ttl_seconds: r.try_get("admission_ttl_seconds")?,
        idle_timeout_seconds: r.try_get("idle_timeout_seconds")?,
        max_tickets_per_customer: r.try_get("max_tickets_per_customer")?,
        bot_check: r.try_get::<i64, _>("bot_check")? != 0,
        sales_paused: r.try_get::<i64, _>("sales_paused")? != 0,
        waiting_room: {
            let mode: String = r.try_get("waiting_room")?;
            WaitingRoomMode::parse(&mode)
                .ok_or_else(|| anyhow::anyhow!("unknown waiting room mode {mode:?} in database"))?
        },
        ticket_types: Vec::new(),
    })
}

/// The `currency` column of a row, as stored by a create that parsed it.
pub(super) fn currency_from_row(r: &AnyRow) -> Result<Currency> {
    let code: String = r.try_get("currency")?;
    Ok(Currency::parse(&code)
        .map_err(|_| anyhow::anyhow!("unknown currency {code:?} in database"))?)
}

fn ticket_type_from_row(r: &AnyRow) -> Result<TicketType> {
    Ok(TicketType {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        price: r.try_get("price")?,
        total: r.try_get("total")?,
        remaining_quantity: r.try_get("remaining")?,
        seated: r.try_get::<i64, _>("seated")? != 0,
        version: r.try_get("version")?,
    })
}

const EVENT_COLUMNS: &str =
    "id, name, venue, currency, time_zone, starts_at, sale_opens_at, has_seat_map, capacity, \
                             admit_rate_per_sec, hold_seconds, admission_ttl_seconds, \
                             idle_timeout_seconds, max_tickets_per_customer, bot_check, \
                             sales_paused, waiting_room";
const TICKET_TYPE_COLUMNS: &str =
    "id, event_id, name, price, total, total - held - sold AS remaining, seated, version";

impl Inventory {
    /// Creates an event, its ticket types and its seats in one transaction.
    #[tracing::instrument(skip_all, fields(name = %new.name))]
    pub async fn create_event(&self, new: NewEvent) -> Result<Event> {
        self.create_event_seeded(new, None, None)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("event creation without a seed cannot be skipped").into()
            })
    }

    /// Creates an event for an administrator, with the audit row in the same transaction.
    #[tracing::instrument(skip_all, fields(name = %new.name))]
    pub async fn create_event_by(&self, new: NewEvent, actor: &Actor) -> Result<Event> {
        self.create_event_seeded(new, None, Some(actor))
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("event creation without a seed cannot be skipped").into()
            })
    }

    /// Creates an event once per database under the seed name `seed`: of several instances
    /// seeding at the same moment, one creates it and the others get `None`.
    pub async fn create_event_once(&self, seed: &str, new: NewEvent) -> Result<Option<Event>> {
        self.create_event_seeded(new, Some(seed), None).await
    }

    // Over 80 lines on purpose: one transaction writes the event, its ticket types and
    // every seat, in the order the foreign keys need; split up, the steps would have to pass
    // the transaction and the generated ids around without making any of them clearer.
    async fn create_event_seeded(
        &self,
        new: NewEvent,
        seed: Option<&str>,
        actor: Option<&Actor>,
    ) -> Result<Option<Event>> {
        let now = self.clock.now_ms();
        let event_id = EventId::generate();
        let mut tx = self.db.begin().await?;
        if let Some(seed) = seed {
            let claimed = sqlx::query("INSERT INTO seeds (name, created_at) VALUES ($1, $2)")
                .bind(seed)
                .bind(now)
                .execute(&mut *tx)
                .await;
            match claimed {
                Ok(_) => {}
                Err(e) if db::classify(&e) == db::Failure::Duplicate => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        sqlx::query(
            "INSERT INTO events (id, name, venue, starts_at, sale_opens_at, capacity, \
             admit_rate_per_sec, hold_seconds, has_seat_map, created_at, \
             admission_ttl_seconds, idle_timeout_seconds, max_tickets_per_customer, bot_check, \
             currency, time_zone) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&event_id)
        .bind(&new.name)
        .bind(&new.venue)
        .bind(new.starts_at)
        .bind(new.sale_opens_at)
        .bind(new.capacity)
        .bind(new.admit_rate_per_sec)
        .bind(new.hold_seconds)
        .bind(i64::from(!new.sections.is_empty()))
        .bind(now)
        .bind(new.admission_ttl_seconds)
        .bind(new.idle_timeout_seconds)
        .bind(new.max_tickets_per_customer)
        .bind(i64::from(new.bot_check))
        .bind(new.currency.code())
        .bind(new.time_zone.as_str())
        .execute(&mut *tx)
        .await?;

        let mut type_ids = Vec::with_capacity(new.ticket_types.len());
        for (position, t) in new.ticket_types.iter().enumerate() {
            let id = TicketTypeId::generate();
            sqlx::query(
                "INSERT INTO ticket_types (id, event_id, position, name, price, seated, total) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(&event_id)
            .bind(position as i64)
            .bind(&t.name)
            .bind(t.price)
            .bind(i64::from(t.seated))
            .bind(t.total)
            .execute(&mut *tx)
            .await?;
            type_ids.push(id);
        }

        let layout = super::layout::lay_out_at_origin(&new.sections, new.stage.as_ref());
        if !layout.seats.is_empty() {
            let stored = serde_json::to_string(&layout.stored())
                .map_err(|e| anyhow::anyhow!("seat layout: {e}"))?;
            sqlx::query("UPDATE events SET seat_layout = $1 WHERE id = $2")
                .bind(stored)
                .bind(&event_id)
                .execute(&mut *tx)
                .await?;
        }
        let seats = &layout.seats;
        self.insert_seats(&mut tx, &event_id, &type_ids, seats)
            .await?;
        if let Some(actor) = actor {
            let details = serde_json::json!({
                "name": new.name,
                "currency": new.currency.code(),
                "timeZone": new.time_zone.as_str(),
                "ticketTypes": new.ticket_types.len(),
                "seats": seats.len(),
            });
            audit::record(
                &mut tx,
                now,
                actor,
                "event.create",
                Some(&event_id),
                details,
            )
            .await?;
        }
        tx.commit().await?;
        tracing::info!(event_id = %event_id, seats = seats.len(), "event created");
        self.event(&event_id).await.map(Some)
    }

    /// Writes a new event's seats in one statement: the rows travel as one JSON array
    /// (`[position, type, section, row, number, x, y, rank]` each) that the database unpacks
    /// (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL), and the id, event and
    /// status are made in SQL. Against multi-row `VALUES` of 500 rows with 11 parameters each,
    /// this binds 2 parameters instead of 550,000 and parses one statement instead of 100;
    /// figures in `docs/benchmarks.md`. Each seat's id is the event's id, a dash and its
    /// position: deterministic, so the geometry names every seat with one prefix; unique, as
    /// event ids are; at most 32 + 1 + 5 characters, within `SeatId::MAX_LEN`.
    async fn insert_seats(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        event_id: &EventId,
        type_ids: &[TicketTypeId],
        seats: &[LaidOutSeat],
    ) -> Result<()> {
        if seats.is_empty() {
            return Ok(());
        }
        let ranks = super::best::rank_seats(seats);
        let rows: Vec<serde_json::Value> = seats
            .iter()
            .zip(&ranks)
            .map(|(s, rank)| {
                serde_json::json!([
                    s.position,
                    type_ids[s.ticket_type_index],
                    s.section,
                    s.row,
                    s.number,
                    s.x,
                    s.y,
                    rank
                ])
            })
            .collect();
        let rows = serde_json::to_string(&rows).map_err(|e| anyhow::anyhow!("seats: {e}"))?;
        let sql = if self.db.is_postgres() {
            "INSERT INTO seats (id, event_id, ticket_type_id, section, row_label, number, x, y, \
             seat_rank, position) \
             SELECT $1 || '-' || (e->>0), $1, e->>1, e->>2, e->>3, (e->>4)::BIGINT, \
             (e->>5)::DOUBLE PRECISION, (e->>6)::DOUBLE PRECISION, (e->>7)::BIGINT, \
             (e->>0)::BIGINT \
             FROM jsonb_array_elements($2::JSONB) AS e"
        } else {
            "INSERT INTO seats (id, event_id, ticket_type_id, section, row_label, number, x, y, \
             seat_rank, position) \
             SELECT $1 || '-' || (value ->> 0), $1, value ->> 1, value ->> 2, value ->> 3, \
             value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 0 \
             FROM json_each($2)"
        };
        sqlx::query(sql)
            .bind(event_id)
            .bind(rows)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// All events, soonest first, with live stock.
    #[tracing::instrument(skip_all)]
    pub async fn events(&self) -> Result<Vec<Event>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events ORDER BY starts_at, id LIMIT 500"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        let mut events = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>>>()?;
        if events.is_empty() {
            return Ok(events);
        }
        let ids: Vec<&EventId> = events.iter().map(|e| &e.id).collect();
        let sql = format!(
            "SELECT {TICKET_TYPE_COLUMNS} FROM ticket_types WHERE event_id IN ({}) \
             ORDER BY event_id, position",
            placeholders(0, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut by_event: HashMap<EventId, Vec<TicketType>> = HashMap::new();
        for r in q.fetch_all(&self.db.pool).await? {
            by_event
                .entry(r.try_get("event_id")?)
                .or_default()
                .push(ticket_type_from_row(&r)?);
        }
        for e in &mut events {
            e.ticket_types = by_event.remove(&e.id).unwrap_or_default();
        }
        Ok(events)
    }

    /// One event with live stock, or `404 event_not_found`.
    #[tracing::instrument(skip(self))]
    pub async fn event(&self, event_id: &EventId) -> Result<Event> {
        let row = sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))
            .bind(event_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(event_not_found)?;
        let mut event = event_from_row(&row)?;
        event.ticket_types = self.ticket_types(event_id).await?;
        Ok(event)
    }

    /// True when the event exists (cheap; used to validate room joins).
    pub async fn event_exists(&self, event_id: &EventId) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 AS one FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(&self.db.pool)
            .await?
            .is_some())
    }

    /// The event's ticket types with live remaining counts and versions.
    pub async fn ticket_types(&self, event_id: &EventId) -> Result<Vec<TicketType>> {
        sqlx::query(&format!(
            "SELECT {TICKET_TYPE_COLUMNS} FROM ticket_types WHERE event_id = $1 ORDER BY position"
        ))
        .bind(event_id)
        .fetch_all(&self.db.pool)
        .await?
        .iter()
        .map(ticket_type_from_row)
        .collect()
    }

    /// The event's seat map with each seat's status and version, in canonical order: the
    /// seat at index `p` of the list has `position` `p` (sections as given, rows front to
    /// back, seats by number).
    #[tracing::instrument(skip(self))]
    pub async fn seats(&self, event_id: &EventId) -> Result<Vec<Seat>> {
        if !self.event_exists(event_id).await? {
            return Err(event_not_found());
        }
        sqlx::query(
            "SELECT id, section, row_label, number, x, y, ticket_type_id, status, version, \
             seat_rank, position FROM seats WHERE event_id = $1 ORDER BY position",
        )
        .bind(event_id)
        .fetch_all(&self.db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Seat {
                id: r.try_get("id")?,
                section: r.try_get("section")?,
                row: r.try_get("row_label")?,
                number: r.try_get("number")?,
                x: r.try_get("x")?,
                y: r.try_get("y")?,
                ticket_type_id: r.try_get("ticket_type_id")?,
                status: SeatStatus::parse(&r.try_get::<String, _>("status")?)?,
                version: r.try_get("version")?,
                rank: r.try_get("seat_rank")?,
                position: r.try_get("position")?,
            })
        })
        .collect()
    }

    /// True when something was seeded under `seed` ([`Inventory::create_event_once`]) in
    /// this database.
    pub async fn was_seeded(&self, seed: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 AS one FROM seeds WHERE name = $1")
            .bind(seed)
            .fetch_optional(&self.db.pool)
            .await?
            .is_some())
    }

    /// Number of events stored (the demo seeder only runs on an empty database).
    pub async fn event_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM events")
            .fetch_one(&self.db.pool)
            .await?)
    }
}

/// What a hold needs to know of an event: the hold length, whether sales are paused, and
/// each ticket type's price and kind. Cached per instance, so a hold costs no extra query.
/// Prices and kinds never change; the event's settings may (`PATCH`), and every change is
/// forgotten from the cache on every instance within a second ([`super::settings`]).
#[derive(Debug)]
pub(super) struct EventTerms {
    pub hold_ms: i64,
    /// An administrator paused sales: holds answer `409 sales_paused`.
    pub sales_paused: bool,
    /// Joining the event's line needs a solved bot check.
    pub bot_check: bool,
    /// What the event's prices are in: every reservation says it.
    pub currency: Currency,
    pub types: HashMap<TicketTypeId, TypeTerms>,
}

#[derive(Debug)]
pub(super) struct TypeTerms {
    pub price: i64,
    pub seated: bool,
}

/// Cached terms kept at most; past this the cache starts over (events are admin-created, so
/// this only bounds memory against a pathological catalogue).
const TERMS_CACHE_MAX: usize = 10_000;

impl Inventory {
    /// True when joining the event's waiting room needs a solved bot check. Served from the
    /// per-instance terms cache: a join flood costs no database read.
    pub async fn bot_check_required(&self, event_id: &EventId) -> Result<bool> {
        Ok(self.terms(event_id).await?.bot_check)
    }

    pub(super) async fn terms(&self, event_id: &EventId) -> Result<Arc<EventTerms>> {
        if let Some(t) = self.terms.read().expect("terms lock").get(event_id) {
            return Ok(t.clone());
        }
        let row = sqlx::query(
            "SELECT hold_seconds, bot_check, sales_paused, currency FROM events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(event_not_found)?;
        let hold_seconds: i64 = row.try_get("hold_seconds")?;
        let bot_check = row.try_get::<i64, _>("bot_check")? != 0;
        let sales_paused = row.try_get::<i64, _>("sales_paused")? != 0;
        let currency = currency_from_row(&row)?;
        let types = sqlx::query("SELECT id, price, seated FROM ticket_types WHERE event_id = $1")
            .bind(event_id)
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<TicketTypeId, _>("id")?,
                    TypeTerms {
                        price: r.try_get("price")?,
                        seated: r.try_get::<i64, _>("seated")? != 0,
                    },
                ))
            })
            .collect::<Result<HashMap<_, _>>>()?;
        let terms = Arc::new(EventTerms {
            hold_ms: hold_seconds * 1000,
            sales_paused,
            bot_check,
            currency,
            types,
        });
        let mut cache = self.terms.write().expect("terms lock");
        if cache.len() >= TERMS_CACHE_MAX {
            cache.clear();
        }
        cache.insert(event_id.clone(), terms.clone());
        Ok(terms)
    }
}

impl Inventory {
    /// Changes an event's settings for an administrator: the change, the next settings
    /// revision (which every instance polls, [`super::settings`]) and the audit row in one
    /// transaction. This instance forgets its cached terms at once and announces the change;
    /// the others within a second. A patch that changes nothing writes nothing.
    #[tracing::instrument(skip(self, patch, actor))]
    pub async fn update_event(
        &self,
        event_id: &EventId,
        patch: &EventPatch,
        actor: &Actor,
    ) -> Result<Event> {
        let revision = with_retry(|| self.try_update_event(event_id, patch, actor)).await?;
        if let Some(revision) = revision {
            self.settings.changed(event_id, revision);
        }
        self.event(event_id).await
    }

    async fn try_update_event(
        &self,
        event_id: &EventId,
        patch: &EventPatch,
        actor: &Actor,
    ) -> Result<Option<i64>> {
        let mut tx = self.db.begin().await?;
        let lock = if self.db.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1{lock}"
        ))
        .bind(event_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(event_not_found)?;
        let mut event = event_from_row(&row)?;
        let currency_before = event.currency;
        let changes = patch.apply(&mut event);
        if changes.is_empty() {
            return Ok(None);
        }
        if event.currency != currency_before {
            refuse_once_reserved(&mut tx, event_id, self.db.is_postgres()).await?;
        }
        // Taken last, under the one row's lock until commit: revisions commit in order.
        let revision: i64 = sqlx::query_scalar(
            "UPDATE settings_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision",
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE events SET name = $1, venue = $2, starts_at = $3, sale_opens_at = $4, \
             capacity = $5, admit_rate_per_sec = $6, hold_seconds = $7, \
             admission_ttl_seconds = $8, idle_timeout_seconds = $9, \
             max_tickets_per_customer = $10, bot_check = $11, sales_paused = $12, \
             waiting_room = $13, revision = $14, currency = $15, time_zone = $16 WHERE id = $17",
        )
        .bind(&event.name)
        .bind(&event.venue)
        .bind(event.starts_at)
        .bind(event.sale_opens_at)
        .bind(event.capacity)
        .bind(event.admit_rate_per_sec)
        .bind(event.hold_seconds)
        .bind(event.admission_ttl_seconds)
        .bind(event.idle_timeout_seconds)
        .bind(event.max_tickets_per_customer)
        .bind(i64::from(event.bot_check))
        .bind(i64::from(event.sales_paused))
        .bind(event.waiting_room.as_str())
        .bind(revision)
        .bind(event.currency.code())
        .bind(event.time_zone.as_str())
        .bind(event_id)
        .execute(&mut *tx)
        .await?;
        let details = serde_json::json!({ "changes": changes });
        audit::record(
            &mut tx,
            self.clock.now_ms(),
            actor,
            "event.update",
            Some(event_id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(revision))
    }
}

/// `409 currency_locked` once the event has any reservation (pending, paid, cancelled or
/// expired): its prices and totals were shown and stored in the currency it has, and a new
/// code would re-denominate them. On PostgreSQL the event's ticket type rows are locked first:
/// every hold updates one of them in its transaction, so a hold either committed before this
/// check (and is seen) or waits until the change is committed.
async fn refuse_once_reserved(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    event_id: &EventId,
    postgres: bool,
) -> Result<()> {
    if postgres {
        sqlx::query("SELECT id FROM ticket_types WHERE event_id = $1 FOR UPDATE")
            .bind(event_id)
            .fetch_all(&mut **tx)
            .await?;
    }
    let reserved = sqlx::query("SELECT 1 AS one FROM reservations WHERE event_id = $1 LIMIT 1")
        .bind(event_id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if reserved {
        return Err(Error::conflict(
            ErrorCode::CurrencyLocked,
            "the currency cannot change once the event has a reservation",
        ));
    }
    Ok(())
}

pub(super) fn event_not_found() -> Error {
    Error::not_found(ErrorCode::EventNotFound, "no such event")
}
