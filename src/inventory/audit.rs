//! The audit trail of administrators' actions: a row in `admin_actions`, written in the
//! transaction of the change it records (so a change without its row cannot commit), and a
//! structured log line (target `audit`) once it has.

use sqlx::{Any, Transaction};

use super::model::Actor;
use crate::clock::Millis;
use crate::error::Result;
use crate::ids::EventId;

/// Writes the audit row of `action` by `actor` inside `tx`, and logs it.
pub(super) async fn record(
    tx: &mut Transaction<'static, Any>,
    at: Millis,
    actor: &Actor,
    action: &'static str,
    event_id: Option<&EventId>,
    details: serde_json::Value,
) -> Result<()> {
    let details = details.to_string();
    sqlx::query(
        "INSERT INTO admin_actions (id, at, admin_id, action, event_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(at)
    .bind(actor.id.as_str())
    .bind(action)
    .bind(event_id.map(EventId::as_str))
    .bind(&details)
    .execute(&mut **tx)
    .await?;
    tracing::info!(
        target: "audit",
        admin_id = %actor.id,
        admin_name = actor.name.as_deref().unwrap_or(""),
        action,
        event_id = event_id.map(EventId::as_str).unwrap_or(""),
        details = %details,
        "admin action"
    );
    Ok(())
}
