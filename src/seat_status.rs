//! The compact seat status of an event: every seat's status and version in a few kilobytes,
//! for stadium-size maps (`docs/PROTOCOL-ADDITIONS.md`, "Stadium seat maps").
//!
//! A v1 seat list repeats each seat's id, section, row, number and coordinates next to its
//! status: about 180 bytes a seat, 9 MB at 50,000 seats, and all of it but the status and
//! version never changes. The geometry (`GET /api/events/:id/seatmap`) carries what never
//! changes once, cacheable for ever; this carries the rest, indexed by the seat's `position`
//! (its place in the event's canonical seat order):
//!
//! - `status`: 2 bits a seat, seat `p` in byte `p >> 2` at bits `(p & 3) * 2` and
//!   `(p & 3) * 2 + 1`, least significant first (0 available, 1 held, 2 sold), base64
//!   (standard alphabet, padded): 12.5 KB of bytes, 16.7 KB of text at 50,000 seats;
//! - `versions`: each seat's version in position order, run-length encoded as
//!   `[[version, run], …]`: a fresh event is one run, and a busy one compresses well.
//!
//! Pure functions here (encode, decode for tests and the load tool); the per-event cache
//! that keeps an encoded snapshot current lives with the `join:event` snapshots in
//! [`crate::realtime::snapshots`], which the change feed and the cluster relay already keep
//! current. The HTTP edge reads it through [`SeatStatusSource`], so it never reaches into
//! the Socket.IO layer, and the Socket.IO layer never answers HTTP.

use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::EventId;
use crate::inventory::SeatStatus;

/// One event's compact seat status, as `GET /api/events/:id/seat-status` and a compact
/// `join:event` ack carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompactStatus {
    pub event_id: String,
    /// Seats in the event's map (0 for general admission).
    pub seat_count: usize,
    /// Base64 (standard, padded) of 2 bits a seat in position order, least significant first:
    /// 0 available, 1 held, 2 sold.
    pub status: String,
    /// Seat versions in position order, run-length encoded: `[version, run]` pairs.
    #[schema(value_type = Vec<Vec<i64>>)]
    pub versions: Vec<(i64, u64)>,
}

/// The 2-bit code of a status.
pub fn code(status: SeatStatus) -> u8 {
    match status {
        SeatStatus::Available => 0,
        SeatStatus::Held => 1,
        SeatStatus::Sold => 2,
    }
}

/// Packs statuses 4 a byte, seat `p` at bits `(p & 3) * 2 ..`, least significant first.
pub fn pack(statuses: impl IntoIterator<Item = SeatStatus>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (p, s) in statuses.into_iter().enumerate() {
        if p & 3 == 0 {
            bytes.push(0);
        }
        let last = bytes.len() - 1;
        bytes[last] |= code(s) << ((p & 3) * 2);
    }
    bytes
}

/// The status codes of the first `n` seats of packed bytes (codes past the bytes are 0).
pub fn unpack(bytes: &[u8], n: usize) -> Vec<u8> {
    (0..n)
        .map(|p| bytes.get(p >> 2).map_or(0, |b| (b >> ((p & 3) * 2)) & 3))
        .collect()
}

/// Run-length encodes versions: consecutive equal versions become one `(version, run)`.
pub fn runs(versions: impl IntoIterator<Item = i64>) -> Vec<(i64, u64)> {
    let mut out: Vec<(i64, u64)> = Vec::new();
    for v in versions {
        match out.last_mut() {
            Some((last, run)) if *last == v => *run += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// Expands runs back into one version a seat.
pub fn expand(runs: &[(i64, u64)]) -> Vec<i64> {
    runs.iter()
        .flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
        .collect()
}

impl CompactStatus {
    /// Encodes seats given in position order as `(status, version)`.
    pub fn encode(event_id: &str, seats: &[(SeatStatus, i64)]) -> Self {
        CompactStatus {
            event_id: event_id.to_owned(),
            seat_count: seats.len(),
            status: base64::engine::general_purpose::STANDARD
                .encode(pack(seats.iter().map(|s| s.0))),
            versions: runs(seats.iter().map(|s| s.1)),
        }
    }

    /// Every seat's `(status code, version)` in position order; `None` when the text is not
    /// a valid encoding of `seat_count` seats.
    pub fn decode(&self) -> Option<Vec<(u8, i64)>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.status)
            .ok()?;
        let versions = expand(&self.versions);
        if bytes.len() != self.seat_count.div_ceil(4) || versions.len() != self.seat_count {
            return None;
        }
        Some(
            unpack(&bytes, self.seat_count)
                .into_iter()
                .zip(versions)
                .collect(),
        )
    }
}

/// A compact status ready to serve: the object, its JSON, the JSON gzipped (when it pays)
/// and an entity tag of its content. Encoded once per change, shared by every reader.
#[derive(Debug)]
pub struct Encoded {
    pub status: CompactStatus,
    pub json: bytes::Bytes,
    pub gzip: Option<bytes::Bytes>,
    /// A strong `ETag` (quoted): a hash of the JSON.
    pub etag: String,
}

/// Below this many bytes of JSON, gzip is not worth a header.
const GZIP_MIN: usize = 1024;

impl Encoded {
    pub fn new(status: CompactStatus) -> Self {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(&status).expect("a compact status serializes");
        let hash = Sha256::digest(&json);
        let etag = format!("\"{}\"", hex::encode(&hash[..12]));
        let gzip = (json.len() >= GZIP_MIN).then(|| gzip(&json).into());
        Encoded {
            status,
            json: json.into(),
            gzip,
            etag,
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// Where the HTTP edge gets an event's compact status: the instance's snapshot cache (no
/// database read while it is fresh). An unknown event is `404 event_not_found`.
#[async_trait::async_trait]
pub trait SeatStatusSource: Send + Sync {
    async fn seat_status(&self, event_id: &EventId) -> Result<Arc<Encoded>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use SeatStatus::{Available as A, Held as H, Sold as S};

    #[test]
    fn two_bits_a_seat_least_significant_first() {
        // Seats 0..5: A H S A | H
        assert_eq!(pack([A, H, S, A, H]), vec![0b00_10_01_00, 0b01]);
        assert_eq!(pack([S, S, S, S]), vec![0b1010_1010]);
        assert!(pack([]).is_empty());
        assert_eq!(unpack(&[0b00_10_01_00, 0b01], 5), vec![0, 1, 2, 0, 1]);
    }

    #[test]
    fn versions_run_length_encoded() {
        assert_eq!(runs([1, 1, 1, 3, 3, 1]), vec![(1, 3), (3, 2), (1, 1)]);
        assert!(runs([]).is_empty());
        assert_eq!(expand(&[(1, 3), (3, 2), (1, 1)]), vec![1, 1, 1, 3, 3, 1]);
    }

    #[test]
    fn base64_is_standard_and_padded() {
        let c = CompactStatus::encode("e", &[(S, 2), (H, 2), (A, 1), (A, 1), (S, 9)]);
        // Bytes 0b0000_0110 = 6, 0b10 = 2 -> "BgI=" (padded).
        assert_eq!(c.status, "BgI=");
        assert_eq!(c.seat_count, 5);
        assert_eq!(c.versions, vec![(2, 2), (1, 2), (9, 1)]);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"eventId": "e", "seatCount": 5, "status": "BgI=",
                "versions": [[2, 2], [1, 2], [9, 1]]})
        );
    }

    #[test]
    fn round_trip_at_stadium_size() {
        let seats: Vec<(SeatStatus, i64)> = (0..50_003)
            .map(|i| ([A, H, S][(i * 7 % 11) % 3], 1 + (i / 100) as i64 % 4))
            .collect();
        let c = CompactStatus::encode("e", &seats);
        assert_eq!(c.status.len(), 50_003usize.div_ceil(4).div_ceil(3) * 4);
        let back = c.decode().unwrap();
        assert_eq!(back.len(), seats.len());
        for (got, want) in back.iter().zip(&seats) {
            assert_eq!(*got, (code(want.0), want.1));
        }
        // Serialized, then parsed back: the same thing.
        let e = Encoded::new(c.clone());
        let again: CompactStatus = serde_json::from_slice(&e.json).unwrap();
        assert_eq!(again, c);
        assert!(e.gzip.as_ref().unwrap().len() < e.json.len());
        assert!(e.etag.starts_with('"') && e.etag.len() == 26);
    }

    #[test]
    fn decoding_refuses_inconsistent_lengths() {
        let mut c = CompactStatus::encode("e", &[(A, 1), (H, 2)]);
        c.seat_count = 9;
        assert!(c.decode().is_none());
        let empty = CompactStatus::encode("e", &[]);
        assert_eq!(empty.status, "");
        assert_eq!(empty.decode().unwrap(), vec![]);
        assert!(Encoded::new(empty).gzip.is_none());
    }

    #[test]
    fn the_etag_follows_the_content() {
        let a = Encoded::new(CompactStatus::encode("e", &[(A, 1)]));
        let b = Encoded::new(CompactStatus::encode("e", &[(H, 2)]));
        let c = Encoded::new(CompactStatus::encode("e", &[(A, 1)]));
        assert_ne!(a.etag, b.etag);
        assert_eq!(a.etag, c.etag);
    }
}
