//! `/api/events*`: the catalogue, one event with its line, the seat map (v1 seats, and the
//! compact geometry), its compact status.

use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::CurrentUser;
use super::openapi::{ApiError, RateLimited, Unauthorized, Unavailable};
use crate::admission::QueueSummary;
use crate::error::Result;
use crate::ids::EventId;
use crate::inventory::{Allowance, Event, Geometry, Seat};
use crate::seat_status::CompactStatus;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(seats))
        .routes(routes!(seatmap))
        .routes(routes!(seat_status))
        .routes(routes!(allowance))
}

/// An event as `GET /api/events/:id` returns it: the event plus its waiting line.
#[derive(Serialize, ToSchema)]
pub struct EventWithQueue {
    #[serde(flatten)]
    pub event: Event,
    pub queue: QueueSummary,
}

/// An event's seat map.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatMap {
    pub event_id: EventId,
    pub seats: Vec<Seat>,
}

pub async fn with_queue(state: &AppState, event: Event) -> Result<EventWithQueue> {
    let queue = state.waiting_room.summary(&event).await?;
    Ok(EventWithQueue { event, queue })
}

/// Every event, soonest first.
#[utoipa::path(get, path = "/events", tag = "events", operation_id = "listEvents",
    responses(
        (status = 200, description = "The catalogue", body = Vec<Event>),
        (status = 503, response = Unavailable),
    ))]
async fn list(State(state): State<AppState>) -> Result<Json<Vec<Event>>> {
    Ok(Json(state.inventory.events().await?))
}

/// One event with its waiting line.
#[utoipa::path(get, path = "/events/{event_id}", tag = "events", operation_id = "getEvent",
    params(("event_id" = EventId, Path)),
    responses(
        (status = 200, description = "The event and its line", body = EventWithQueue),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 503, response = Unavailable),
    ))]
async fn one(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<EventWithQueue>> {
    let event = state.inventory.event(&EventId::parse(event_id)?).await?;
    Ok(Json(with_queue(&state, event).await?))
}

/// The event's seats and their status (none for an event without a seat map).
#[utoipa::path(get, path = "/events/{event_id}/seats", tag = "events", operation_id = "getSeats",
    params(("event_id" = EventId, Path)),
    responses(
        (status = 200, description = "The seat map", body = SeatMap),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 503, response = Unavailable),
    ))]
async fn seats(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<SeatMap>> {
    let event_id = EventId::parse(event_id)?;
    let seats = state.inventory.seats(&event_id).await?;
    Ok(Json(SeatMap { event_id, seats }))
}

/// What the geometry's `Cache-Control` says: it never changes once the event exists.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The event's seat map geometry, compact (sections, rows by start and step or arc, seat ids
/// by prefix): it never changes, so it carries a strong `ETag` and is cached for good.
#[utoipa::path(get, path = "/events/{event_id}/seatmap", tag = "events", operation_id = "getSeatMapGeometry",
    params(
        ("event_id" = EventId, Path),
        ("If-None-Match" = Option<String>, Header, description = "A geometry's `ETag`: `304` when it matches"),
    ),
    responses(
        (status = 200, description = "The geometry (`ETag`; `Cache-Control: public, max-age=31536000, immutable`)", body = Geometry),
        (status = 304, description = "Not modified: the `If-None-Match` named this geometry"),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 503, response = Unavailable),
    ))]
async fn seatmap(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let event_id = EventId::parse(event_id)?;
    let geometry = state.inventory.geometry(&event_id).await?;
    let etag =
        HeaderValue::from_str(&geometry.etag).map_err(|e| anyhow::anyhow!("geometry etag: {e}"))?;
    let cache = [
        (ETAG, etag),
        (CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
    ];
    if super::etag::matches(&headers, &geometry.etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        geometry.bytes.clone(),
    )
        .into_response())
}

/// The event's seats' status and versions, 2 bits a seat in position order (the order of the
/// seat map's geometry): a few kilobytes where `/seats` is megabytes at stadium size. Served
/// from this instance's snapshot cache, kept current by the change feed (no database read
/// per request while fresh); gzipped once per change for clients that accept it.
#[utoipa::path(get, path = "/events/{event_id}/seat-status", tag = "events", operation_id = "getSeatStatus",
    params(
        ("event_id" = EventId, Path),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The compact seat status", body = CompactStatus,
            headers(("ETag" = String), ("Cache-Control" = String, description = "`no-cache`"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 503, response = Unavailable),
    ))]
async fn seat_status(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let event_id = EventId::parse(event_id)?;
    let encoded = state.seat_status.seat_status(&event_id).await?;
    let etag = HeaderValue::from_str(&encoded.etag).expect("hex is a header value");
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (VARY, HeaderValue::from_static("accept-encoding")),
        (ETAG, etag),
    ];
    if super::etag::matches(&headers, &encoded.etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    Ok(match &encoded.gzip {
        Some(gz) if accepts_gzip(&headers) => (
            cache,
            json,
            [(CONTENT_ENCODING, HeaderValue::from_static("gzip"))],
            gz.clone(),
        )
            .into_response(),
        _ => (cache, json, encoded.json.clone()).into_response(),
    })
}

/// True when `Accept-Encoding` takes gzip (`gzip` or `*`, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// How many more seats and tickets of the event the caller may take (the per-customer limit).
#[utoipa::path(get, path = "/events/{event_id}/allowance", tag = "events", operation_id = "getAllowance",
    params(("event_id" = EventId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's allowance", body = Allowance),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn allowance(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(event_id): Path<String>,
) -> Result<Json<Allowance>> {
    let event_id = EventId::parse(event_id)?;
    Ok(Json(state.inventory.allowance(&event_id, &user.id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: axum::http::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(&headers(ACCEPT_ENCODING, "gzip, deflate, br")));
        assert!(accepts_gzip(&headers(
            ACCEPT_ENCODING,
            "br;q=1.0, GZIP;q=0.5"
        )));
        assert!(accepts_gzip(&headers(ACCEPT_ENCODING, "*")));
        assert!(!accepts_gzip(&headers(ACCEPT_ENCODING, "gzip;q=0")));
        assert!(!accepts_gzip(&headers(ACCEPT_ENCODING, "br, identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
