//! Expiry of pending holds.
//!
//! Every instance runs a sweeper; they may all share one database. Each lapsed hold is
//! released exactly once: on PostgreSQL the sweepers split the work with
//! `FOR UPDATE SKIP LOCKED` (a row one sweeper has locked is skipped by the others, not waited
//! for), and on both databases the release itself is conditional on the hold still being
//! `pending`, so even two sweepers that read the same row cannot both release it.

use std::time::Duration;

use crate::tasks::Supervisor;

use super::holds::{head_from_row, release};
use super::model::ReservationStatus;
use super::{with_retry, Inventory};
use crate::error::Result;

/// Holds released per transaction: keeps each sweep transaction short.
const SWEEP_BATCH: i64 = 200;

impl Inventory {
    /// Releases every pending hold whose time is up; returns how many this call released.
    #[tracing::instrument(skip(self))]
    pub async fn expire_due(&self) -> Result<usize> {
        let mut released = 0;
        loop {
            let changes = with_retry(|| self.expire_batch()).await?;
            let n = changes.len();
            for change in changes {
                self.feed.publish(change);
            }
            released += n;
            if (n as i64) < SWEEP_BATCH {
                return Ok(released);
            }
        }
    }

    async fn expire_batch(&self) -> Result<Vec<super::InventoryChange>> {
        let now = self.clock.now_ms();
        let lock = if self.db.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let mut tx = self.db.begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT id, event_id, user_id, status, expires_at FROM reservations \
             WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2{lock}"
        ))
        .bind(now)
        .bind(SWEEP_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let head = head_from_row(row)?;
            changes.push(release(&mut tx, &head, ReservationStatus::Expired, now).await?);
        }
        tx.commit().await?;
        if !changes.is_empty() {
            tracing::info!(released = changes.len(), "expired holds released");
        }
        Ok(changes)
    }
}

/// Registers the sweep that runs [`Inventory::expire_due`] every `interval`.
pub fn supervise_sweeper(inventory: Inventory, interval: Duration, tasks: &mut Supervisor) {
    tasks.every("hold expiry sweep", interval, move || {
        let inventory = inventory.clone();
        async move {
            if let Err(e) = inventory.expire_due().await {
                tracing::warn!(error = %e, "expiry sweep failed; will retry");
            }
        }
    });
}
