//! Checkpoints: where each live line stood, in the database, about once a second.
//!
//! Redis (or this process) can lose a line; the database does not. When a line is lost and
//! no instance remembers it (all restarted, or embedded mode after a restart), the checkpoint
//! says how far numbering and serving had gone and how many shoppers held slots, so the line
//! is rebuilt without reusing a number and without admitting past capacity. Receipts then
//! restore who held which number.

use sqlx::Row;

use crate::clock::Millis;
use crate::db::Db;
use crate::error::Result;
use crate::ids::EventId;

#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub event_id: EventId,
    pub next: i64,
    pub serving: i64,
    pub active: i64,
    pub waiting: i64,
    pub presale: i64,
    pub updated_at: Millis,
}

impl Checkpoint {
    /// Someone was in line or shopping.
    pub fn live(&self) -> bool {
        self.waiting > 0 || self.presale > 0 || self.active > 0
    }
}

#[derive(Clone)]
pub struct Checkpoints {
    db: Db,
}

impl Checkpoints {
    pub fn new(db: Db) -> Self {
        Checkpoints { db }
    }

    /// Records where a line stands; numbers never go back.
    pub async fn save(&self, c: &Checkpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO line_checkpoints \
               (event_id, next_number, serving_number, active_shoppers, waiting, presale, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (event_id) DO UPDATE SET \
               next_number = CASE WHEN excluded.next_number > line_checkpoints.next_number \
                 THEN excluded.next_number ELSE line_checkpoints.next_number END, \
               serving_number = CASE WHEN excluded.serving_number > line_checkpoints.serving_number \
                 THEN excluded.serving_number ELSE line_checkpoints.serving_number END, \
               active_shoppers = excluded.active_shoppers, waiting = excluded.waiting, \
               presale = excluded.presale, updated_at = excluded.updated_at",
        )
        .bind(&c.event_id)
        .bind(c.next)
        .bind(c.serving)
        .bind(c.active)
        .bind(c.waiting)
        .bind(c.presale)
        .bind(c.updated_at)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    pub async fn load(&self, event_id: &EventId) -> Result<Option<Checkpoint>> {
        let row = sqlx::query(&format!("{SELECT} WHERE event_id = $1"))
            .bind(event_id)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(row.map(|r| read(&r)))
    }

    /// Lines that were live at their last checkpoint, written since `since`.
    pub async fn live_since(&self, since: Millis) -> Result<Vec<Checkpoint>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE updated_at >= $1 \
             AND (waiting > 0 OR presale > 0 OR active_shoppers > 0) LIMIT 10000"
        ))
        .bind(since)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(read).collect())
    }
}

const SELECT: &str = "SELECT event_id, next_number, serving_number, active_shoppers, waiting, \
                      presale, updated_at FROM line_checkpoints";

fn read(r: &sqlx::any::AnyRow) -> Checkpoint {
    Checkpoint {
        event_id: r.get(0),
        next: r.get(1),
        serving: r.get(2),
        active: r.get(3),
        waiting: r.get(4),
        presale: r.get(5),
        updated_at: r.get(6),
    }
}
