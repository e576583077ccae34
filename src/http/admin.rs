//! `/api/admin/*`: creating and changing events, exporting their orders (role `admin`).
//! Every action is audited by the domain, in the transaction of the change.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::events::{with_queue, EventWithQueue};
use super::extract::{AdminUser, ApiJson};
use super::openapi::{AdminOnly, ApiError, RateLimited, Unauthorized, Unavailable};
use crate::auth::AuthUser;
use crate::error::Result;
use crate::ids::EventId;
use crate::inventory::{
    Actor, EventPatch, EventPatchSpec, EventSpec, Geometry, Inventory, NewEvent, OrdersCursor,
    PaidOrder, SeatMapPlan, SeatMapSpec,
};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_event))
        .routes(routes!(update_event))
        .routes(routes!(export_orders))
        .routes(routes!(preview_seat_map))
}

fn actor(admin: &AuthUser) -> Actor {
    Actor {
        id: admin.id.clone(),
        name: admin.name.clone(),
    }
}

/// Creates an event with its ticket types and seat map.
#[utoipa::path(post, path = "/admin/events", tag = "admin", operation_id = "createEvent",
    request_body = EventSpec,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The event, as `GET /api/events/{event_id}` shows it", body = EventWithQueue),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_field` (with `field` and `fields`)", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, response = AdminOnly),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn create_event(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(spec): ApiJson<EventSpec>,
) -> Result<(StatusCode, Json<EventWithQueue>)> {
    let new = NewEvent::parse_with_default(spec, state.settings.default_currency)?;
    let event = state.inventory.create_event_by(new, &actor(&admin)).await?;
    Ok((StatusCode::CREATED, Json(with_queue(&state, event).await?)))
}

/// What a seat map would look like: the body is the `seatMap` of a create body, checked by the
/// same rules (errors name fields as `seatMap.sections[0].rows`), laid out as creating the event
/// would, and answered as a geometry with `eventId: null`, seat ids the bare positions and each
/// section's `ticketType` its `ticketTypeIndex`. Nothing is stored.
#[utoipa::path(post, path = "/admin/seat-maps/preview", tag = "admin", operation_id = "previewSeatMap",
    request_body = SeatMapSpec,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The geometry the seat map would have", body = Geometry),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_field` (with `field` and `fields`)", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, response = AdminOnly),
        (status = 413, description = "`payload_too_large`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
    ))]
async fn preview_seat_map(
    AdminUser(_admin): AdminUser,
    ApiJson(spec): ApiJson<SeatMapSpec>,
) -> Result<Json<Geometry>> {
    let plan = SeatMapPlan::parse(spec)?;
    // Up to 50,000 seats of trigonometry: off the async workers.
    let geometry = tokio::task::spawn_blocking(move || crate::inventory::preview_seat_map(&plan))
        .await
        .map_err(|e| anyhow::anyhow!("preview: {e}"))?;
    Ok(Json(geometry))
}

/// Changes an event's settings: any of its fields but the ticket types and the seat map
/// (`currency` only while the event has no reservation).
/// Every instance applies the change within a second and tells the event's sockets
/// (`event:updated`).
#[utoipa::path(patch, path = "/admin/events/{event_id}", tag = "admin", operation_id = "updateEvent",
    params(("event_id" = EventId, Path)),
    request_body = EventPatchSpec,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event, as `GET /api/events/{event_id}` shows it", body = EventWithQueue),
        (status = 400, description = "`malformed_json`, `invalid_body` (an unknown field), `invalid_id`, `invalid_field` (with `field` and `fields`)", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, response = AdminOnly),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 409, description = "`currency_locked`: a different `currency` once the event has a reservation", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn update_event(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(event_id): Path<String>,
    ApiJson(spec): ApiJson<EventPatchSpec>,
) -> Result<Json<EventWithQueue>> {
    let event_id = EventId::parse(event_id)?;
    let patch = EventPatch::parse(spec)?;
    let event = state
        .inventory
        .update_event(&event_id, &patch, &actor(&admin))
        .await?;
    // The line's settings apply from this instance's next operation on (the others follow
    // through the settings watcher).
    state.waiting_room.forget_settings(&event_id);
    Ok(Json(with_queue(&state, event).await?))
}

/// Paid orders read per database query while an export streams.
const EXPORT_PAGE: usize = 500;

/// The export's header row.
pub const ORDERS_CSV_HEADER: &str =
    "order_id,paid_at,user_id,email,name,ticket_type,seats,quantity,amount,currency\r\n";

/// The event's paid orders as CSV, one row per order, in the order they were paid. Streamed
/// a page of 500 orders at a time: an export of any size holds one page in memory.
#[utoipa::path(get, path = "/admin/events/{event_id}/orders.csv", tag = "admin", operation_id = "exportOrders",
    params(("event_id" = EventId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "RFC 4180 CSV (CRLF line ends): `order_id,paid_at,user_id,email,name,ticket_type,seats,quantity,amount,currency`; \
            `paid_at` RFC 3339, `ticket_type` the order's ticket types joined with `; `, `seats` its seat labels \
            (`section/row/number`) joined with `; `, `amount` in minor units of `currency` (the event's ISO 4217 code). A cell that starts with \
            `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`.",
            content_type = "text/csv", body = String,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"<eventId>-orders.csv\"`"))),
        (status = 400, description = "`invalid_id`", body = ApiError),
        (status = 401, response = Unauthorized),
        (status = 403, response = AdminOnly),
        (status = 404, description = "`event_not_found`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn export_orders(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(event_id): Path<String>,
) -> Result<Response> {
    let event_id = EventId::parse(event_id)?;
    // The first page before the answer starts: an unknown event or a database failure is
    // still an error status, not a truncated file.
    let first = state
        .inventory
        .paid_orders(&event_id, None, EXPORT_PAGE)
        .await?;
    state
        .inventory
        .record_export(&event_id, &actor(&admin), "csv")
        .await?;
    let rows = pages(state.inventory.clone(), event_id.clone(), first);
    let header = Bytes::from_static(ORDERS_CSV_HEADER.as_bytes());
    // Fused: a compression layer polls the body once more after its end, which an unfused
    // `unfold` answers with a panic.
    let body = futures::stream::once(async { Ok::<_, std::io::Error>(header) })
        .chain(rows)
        .fuse();
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{event_id}-orders.csv\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

struct Export {
    inventory: Inventory,
    event_id: EventId,
    page: Option<Vec<PaidOrder>>,
    after: Option<OrdersCursor>,
    done: bool,
}

/// The CSV rows of every page, starting with `first`.
fn pages(
    inventory: Inventory,
    event_id: EventId,
    first: Vec<PaidOrder>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let start = Export {
        inventory,
        event_id,
        page: Some(first),
        after: None,
        done: false,
    };
    futures::stream::unfold(start, |mut x| async move {
        if x.done {
            return None;
        }
        let page = match x.page.take() {
            Some(p) => p,
            None => match x
                .inventory
                .paid_orders(&x.event_id, x.after.as_ref(), EXPORT_PAGE)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    // The status is sent: ending the body early is all that is left.
                    tracing::error!(error = %e, event_id = %x.event_id, "orders export failed midway");
                    x.done = true;
                    return Some((Err(std::io::Error::other("orders export failed")), x));
                }
            },
        };
        x.done = page.len() < EXPORT_PAGE;
        x.after = page.last().map(|o| (o.paid_at, o.id.clone()));
        if page.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(page.len() * 128);
        for o in &page {
            out.push_str(&order_row(o));
        }
        Some((Ok(Bytes::from(out)), x))
    })
}

/// One order as a CSV row (CRLF-terminated), written by the `csv` crate (RFC 4180 quoting)
/// from cells defused by [`csv_cell`].
pub fn order_row(o: &PaidOrder) -> String {
    let cells = [
        o.id.as_str().to_string(),
        crate::clock::to_rfc3339(o.paid_at),
        o.user_id.clone(),
        o.email.clone().unwrap_or_default(),
        o.name.clone().unwrap_or_default(),
        o.ticket_types.join("; "),
        o.seats.join("; "),
        o.quantity.to_string(),
        o.amount.to_string(),
        o.currency.code().to_string(),
    ];
    csv_line(&cells)
}

/// One CSV line, CRLF-terminated: the `csv` crate's RFC 4180 quoting over cells defused by
/// [`csv_cell`].
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(128));
    w.write_record(cells.iter().map(|c| csv_cell(c.as_ref()).into_owned()))
        .expect("writing to memory cannot fail");
    let bytes = w.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("the cells were UTF-8")
}

/// One cell as a spreadsheet may safely open it: a leading `'` on a cell it would run as a
/// formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return). Quoting is
/// the `csv` writer's.
pub fn csv_cell(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

#[cfg(test)]
mod tests {
    use super::{csv_cell, csv_line};

    #[test]
    fn formulas_are_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "'\rx");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn lines_are_quoted_and_defused() {
        assert_eq!(csv_line(&["plain", "", "7"]), "plain,,7\r\n");
        assert_eq!(csv_line(&["a,b"]), "\"a,b\"\r\n");
        assert_eq!(csv_line(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(csv_line(&["two\nlines"]), "\"two\nlines\"\r\n");
        assert_eq!(csv_line(&["\rx"]), "\"'\rx\"\r\n");
        assert_eq!(
            csv_line(&["=HYPERLINK(\"x\",\"y\")", "ok"]),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",ok\r\n"
        );
    }
}
