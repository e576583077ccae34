//! Inventory changes relayed between instances, for their snapshot caches (cluster mode).
//!
//! The inventory's change feed only carries this instance's changes; other instances' room
//! pushes reach sockets through the socketioxide adapter, which the snapshot cache cannot
//! read. So the fan-out publishes each window's batches once more, compactly, on
//! `{prefix}:inventory-changes`, *before* it broadcasts their room messages, on the same
//! Redis connection (see [`super::snapshots`] for why that order matters). Every instance
//! applies what it receives to its cache, skipping its own messages.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use socketioxide_redis::drivers::Driver;

use super::fanout::Batch;
use super::redis_driver::{CountingDriver, DriverError, Inline};
use super::snapshots::SnapshotCache;
use crate::ids::EventId;
use crate::inventory::SeatStatus;

/// One instance's side of the relay.
pub struct Relay {
    driver: CountingDriver,
    chan: String,
    origin: String,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    /// The publishing instance.
    o: String,
    b: Vec<WireBatch>,
}

/// One event's batch: seats as `[id, status, version]`, stock as `[id, remaining, version]`.
#[derive(Serialize, Deserialize)]
struct WireBatch {
    e: String,
    s: Vec<(String, String, i64)>,
    t: Vec<(String, i64, i64)>,
}

fn status_name(s: SeatStatus) -> &'static str {
    match s {
        SeatStatus::Available => "available",
        SeatStatus::Held => "held",
        SeatStatus::Sold => "sold",
    }
}

impl WireBatch {
    fn from_batch(event_id: &EventId, b: &Batch) -> Self {
        WireBatch {
            e: event_id.to_string(),
            s: b.seats
                .iter()
                .map(|(id, (status, v))| (id.clone(), status_name(*status).to_string(), *v))
                .collect(),
            t: b.stock
                .iter()
                .map(|(id, (remaining, v))| (id.clone(), *remaining, *v))
                .collect(),
        }
    }

    fn into_batch(self) -> Option<(String, Batch)> {
        let mut batch = Batch::default();
        for (id, status, v) in self.s {
            batch
                .seats
                .insert(id, (SeatStatus::parse(&status).ok()?, v));
        }
        for (id, remaining, v) in self.t {
            batch.stock.insert(id, (remaining, v));
        }
        Some((self.e, batch))
    }
}

impl Relay {
    /// Subscribes this instance's cache to every instance's changes.
    pub async fn start(
        driver: CountingDriver,
        prefix: &str,
        cache: Arc<SnapshotCache>,
    ) -> Result<Relay, DriverError> {
        let chan = format!("{prefix}:inventory-changes");
        let origin = uuid::Uuid::new_v4().simple().to_string();
        let me = origin.clone();
        driver
            .subscribe_inline(chan.clone(), move |msg| match msg {
                Inline::Message(bytes) => receive(&cache, &me, bytes),
                Inline::MaybeLost => cache.invalidate_all(),
            })
            .await?;
        Ok(Relay {
            driver,
            chan,
            origin,
        })
    }

    /// Publishes one window's batches (returns once Redis has taken them).
    pub async fn publish(&self, batches: &[(EventId, Arc<Batch>)]) -> Result<(), DriverError> {
        let wire = Wire {
            o: self.origin.clone(),
            b: batches
                .iter()
                .map(|(event_id, b)| WireBatch::from_batch(event_id, b))
                .collect(),
        };
        let bytes = serde_json::to_vec(&wire).expect("plain data serializes");
        self.driver.publish(self.chan.clone(), bytes).await
    }
}

fn receive(cache: &SnapshotCache, me: &str, bytes: &[u8]) {
    let wire: Wire = match serde_json::from_slice(bytes) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "unreadable inventory change from another instance");
            cache.invalidate_all();
            return;
        }
    };
    if wire.o == me {
        return;
    }
    let mut by_event: HashMap<String, Batch> = HashMap::new();
    for b in wire.b {
        match b.into_batch() {
            Some((event_id, batch)) => {
                by_event.insert(event_id, batch);
            }
            None => cache.invalidate_all(),
        }
    }
    for (event_id, batch) in by_event {
        cache.apply(&event_id, &Arc::new(batch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_survives_the_wire() {
        let mut b = Batch::default();
        b.seats.insert("s1".into(), (SeatStatus::Sold, 7));
        b.stock.insert("t1".into(), (3, 9));
        let bytes = serde_json::to_vec(&Wire {
            o: "a".into(),
            b: vec![WireBatch::from_batch(&EventId::parse("e1").unwrap(), &b)],
        })
        .unwrap();
        let wire: Wire = serde_json::from_slice(&bytes).unwrap();
        let (event_id, back) = wire.b.into_iter().next().unwrap().into_batch().unwrap();
        assert_eq!(event_id, "e1");
        assert_eq!(back.seats["s1"], (SeatStatus::Sold, 7));
        assert_eq!(back.stock["t1"], (3, 9));
    }
}
