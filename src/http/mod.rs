//! The HTTP edge: routes under `/api`, the web app at `/`.
//!
//! Handlers parse input into domain types and call the domain; they hold no SQL and no
//! business rules. Each area exposes a `router()`; [`app`] puts them together.

mod admin;
mod auth;
pub mod body_limit;
mod botcheck;
pub mod error;
mod etag;
mod events;
pub mod extract;
mod idempotency;
mod observe;
pub mod openapi;
mod ops;
mod queue;
pub mod rate_limit;
pub mod request_id;
mod reservations;
pub mod security;
mod waitlist;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method};
use axum::response::{Html, IntoResponse};
use axum::{Json, Router};
use serde::Serialize;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowHeaders, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Error, ErrorCode};
use crate::metrics::MetricsSnapshot;
use crate::state::AppState;
use extract::AdminUser;

/// Every route under `/api` (without the prefix), each with its OpenAPI operation: a route
/// is added with `routes!(handler)`, which takes its method and path from the handler's
/// `#[utoipa::path]`, so none is served undocumented ([`openapi::document`]).
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(events::router())
        .merge(admin::router())
        .merge(reservations::router())
        .merge(queue::router())
        .merge(waitlist::router())
        .merge(botcheck::router())
        .merge(openapi::router())
        .routes(routes!(health))
        .routes(routes!(metrics))
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let api = api
        .fallback(api_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::layer,
        ))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes));

    // `/healthz` and `/readyz` (outside the REST document: see `ops`), and `GET /metrics`
    // (`observe`).
    let mut router = Router::new()
        .nest("/api", api)
        .merge(ops::router())
        .merge(observe::router());
    let index = state.settings.web_dir.join("index.html");
    router = if index.exists() {
        // Client-side routes (/events/…, /queue/…) all load the app's index.html.
        let web = ServeDir::new(&state.settings.web_dir).fallback(ServeFile::new(index));
        router.fallback_service(
            Router::new()
                .fallback_service(web)
                .layer(axum::middleware::from_fn(static_cache)),
        )
    } else {
        router.fallback(web_app_missing)
    };

    // Outside every route: each body is read whole (or refused and drained) before anything
    // can answer without reading it, the web app's routes included.
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            body_limit::layer,
        ))
        // Per route: counts and times every answer (body-limit refusals included).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::record,
        ));
    // JSON and the web app's files, gzip or br as the client accepts; answers already encoded,
    // tiny ones and images pass as they are. Socket.IO's layer sits outside this router, so
    // its traffic is never touched.
    let router = router
        .layer(CompressionLayer::new().gzip(true).br(true))
        // A compressed answer's strong ETag names its coding (etag.rs says why).
        .layer(axum::middleware::from_fn(etag::per_coding));
    // The request's span (with its id) is opened outside, for Socket.IO too: request_id.rs.
    let router = match state
        .settings
        .frontend_url
        .as_deref()
        .map(HeaderValue::from_str)
    {
        Some(Ok(origin)) => router.layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers(AllowHeaders::mirror_request())
                .allow_credentials(true),
        ),
        Some(Err(_)) => {
            tracing::warn!("FRONTEND_URL is not a valid origin; CORS stays same-origin");
            router
        }
        None => router,
    };
    router.with_state(state)
}

/// `GET /api/health`: the process serves, and which stores it runs on.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: String,
    /// `memory` or `redis`.
    coordination: &'static str,
}

/// The process serves; which database and coordination it runs on.
#[utoipa::path(get, path = "/health", tag = "meta", operation_id = "health",
    responses((status = 200, description = "Serving", body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        database: format!("{:?}", state.settings.backend).to_lowercase(),
        coordination: state.coord.kind(),
    })
}

/// Administrators only: the counters describe load and abuse, which is nobody else's business.
#[utoipa::path(get, path = "/metrics", tag = "meta", operation_id = "metrics",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "This instance's counters", body = MetricsSnapshot),
        (status = 401, response = openapi::Unauthorized),
        (status = 403, response = openapi::AdminOnly),
    ))]
async fn metrics(_: AdminUser, State(state): State<AppState>) -> Json<MetricsSnapshot> {
    Json(state.metrics.snapshot())
}

/// The web app's caching: Vite names its built assets (`/assets/*`) by their content's hash,
/// so they never change and browsers keep them a year (`immutable`); everything else
/// (`index.html`, the client-side routes that load it) is revalidated on every load
/// (`no-cache`: `304` while unchanged, by `Last-Modified`), so a new release shows at once.
async fn static_cache(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    let asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    // A missing asset is answered with index.html (the client-side routes' fallback): that
    // one must not be kept for a year under the asset's name.
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let immutable = asset && !html && (res.status().is_success() || res.status().as_u16() == 304);
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

async fn api_not_found() -> Error {
    Error::not_found(ErrorCode::NotFound, "no such API route")
}

/// What `/` shows when the web app has not been built: the API still works, and the page
/// says how to get the web app instead of a bare 404.
async fn web_app_missing(State(state): State<AppState>) -> impl IntoResponse {
    (
        axum::http::StatusCode::NOT_FOUND,
        Html(format!(
            "<!doctype html><title>Boxoffice</title><h1>Boxoffice</h1>\
             <p>The API is running under <a href=\"/api/events\">/api</a>, but the web app is not \
             built: no <code>{}</code>. Start the box office with <code>./scripts/start.sh</code>, \
             which builds it.</p>",
            state.settings.web_dir.join("index.html").display()
        )),
    )
}
