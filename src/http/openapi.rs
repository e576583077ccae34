//! The REST API's OpenAPI 3.1 document, generated from the handlers and the types they
//! read and write, and served at `GET /api/openapi.json` (public, cacheable).
//!
//! Built with **utoipa 5** and **utoipa-axum 0.2** (both on axum 0.8), chosen over aide
//! because:
//! - a handler's `#[utoipa::path]` attribute is where its route is declared: utoipa-axum's
//!   `routes!` registers the handler with axum under the method and path the attribute
//!   names, so a route cannot be served undocumented, nor documented under another path;
//! - schemas come from `#[derive(ToSchema)]` on the very types serde sends and reads, and
//!   follow their serde attributes (`rename_all`, `flatten`, `skip_serializing_if`), so the
//!   document follows the code;
//! - handlers keep their signatures and our own extractors (`ApiJson`, `CurrentUser`,
//!   `AdmissionToken`, `BotCheckProof`): aide would want its `ApiRouter`, an
//!   `OperationInput`/`OperationOutput` impl for each of them, and `JsonSchema` on every type.
//!
//! What every operation can meet at the edge, before its handler (413, 431, 500, and the
//! `Idempotency-Key` header with its 400/409 on signed-in POSTs), is added by [`Edges`] in one
//! place, by the same rules the middleware follow.
//!
//! The document needs no running server: `boxoffice --print-openapi` prints it, and
//! `web/openapi.json` is that output, committed; the web build turns it into
//! `web/src/api.gen.ts` (openapi-typescript) and `scripts/test.sh` checks both are current.
//! `scripts/fuzz.sh` runs schemathesis against it.

use std::sync::LazyLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, Required, Response as ApiResponse,
    ResponseBuilder,
};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorCode;
use crate::state::AppState;

/// The parts of the document no handler states: its description, the bearer scheme, the
/// error body and the answers the edge gives for any route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Boxoffice",
        description = "REST API of the Boxoffice on-sale server. The wire contract is \
            shared/PROTOCOL.md with docs/PROTOCOL-ADDITIONS.md; Socket.IO (at /socket.io/) is \
            not described here. Every non-2xx answer is an `ApiError`.",
    ),
    components(schemas(ApiError, ErrorDetail, ErrorCode)),
    modifiers(&Edges),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "events", description = "The catalogue and seat maps"),
        (name = "queue", description = "The waiting room"),
        (name = "shopping", description = "Holds, payment, cancelling"),
        (name = "admin", description = "Administrators only"),
        (name = "botcheck", description = "Proof-of-work bot check (ALTCHA)"),
        (name = "meta", description = "Health, metrics and this document"),
    )
)]
struct ApiDoc;

/// The contract's error body: every non-2xx answer is one.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    pub error: ErrorDetail,
}

/// What went wrong: a stable `code` to match on, a human `message`, and for some codes
/// details beside them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// `seat_unavailable`: the seats someone else holds or bought; `seat_not_found`: the
    /// seats that are not the event's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub seat_ids: Option<Vec<String>>,
    /// `customer_limit`: the event's per-customer limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub limit: Option<i64>,
    /// `customer_limit`: how many more the caller may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub remaining: Option<i64>,
    /// `invalid_field`: the first bad field's path in the body (`capacity`,
    /// `ticketTypes[0].price`, `seatMap.sections[1].rows`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// `invalid_field`: every bad field found, in body order.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub fields: Option<Vec<crate::error::FieldError>>,
}

/// The name of the bearer security scheme, for `security(("bearer" = []))`.
pub const BEARER: &str = "bearer";

/// Shared answers, each a response component that handlers name with
/// `(status = ..., response = Name)`.
macro_rules! shared_answers {
    ($($(#[doc = $doc:literal])* $name:ident = $description:literal $(, retry_after = $retry:literal)?;)*) => {
        $(
            $(#[doc = $doc])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<ApiResponse>) {
                    #[allow(unused_mut)]
                    let mut response = error_response($description);
                    $(
                        response.headers.insert(
                            "Retry-After".into(),
                            HeaderBuilder::new()
                                .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
                                .description(Some($retry))
                                .build(),
                        );
                    )?
                    (stringify!($name), RefOr::T(response))
                }
            }
        )*

        /// Every shared answer, as (component name, response).
        fn shared_answers() -> Vec<(&'static str, RefOr<ApiResponse>)> {
            vec![$(<$name as ToResponse>::response(),)*]
        }
    };
}

shared_answers! {
    /// 401 for an operation that needs a bearer token.
    Unauthorized = "`auth_required` (no bearer token), `invalid_token`, `token_expired`";
    /// 403 for an administrator's operation.
    AdminOnly = "`admin_only`: the token is not an administrator's";
    /// 429 from the per-IP identity bucket or the per-user shopping bucket.
    RateLimited = "`rate_limited`: too many requests from this client or user",
        retry_after = "Seconds until a request may succeed";
    /// 503 for an operation that reads or writes the database or Redis.
    Unavailable = "`service_unavailable`, `auth_busy` (with Retry-After), `line_recovering`: \
        a backing service is down or saturated; retry";
    /// 413, any operation: the body is over `MAX_BODY_BYTES` (`crate::http::body_limit`).
    PayloadTooLarge = "`payload_too_large`: the body is over MAX_BODY_BYTES";
    /// 431, any operation (`crate::http::body_limit`).
    HeadersTooLarge = "`headers_too_large`: the request line and headers are over 32 KiB";
    /// 500, any operation.
    Internal = "`internal`: an unexpected failure (logged, never detailed)";
}

/// Adds to the document what the middleware and the edge do for every route.
struct Edges;

impl Modify for Edges {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An HS256 session token from /api/auth/* (or any issuer sharing JWT_SECRET)",
                    ))
                    .build(),
            ),
        );
        for (name, response) in shared_answers() {
            components.responses.insert(name.to_string(), response);
        }
    }
}

fn error_response(description: &str) -> ApiResponse {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiError")))
                .build(),
        )
        .build()
}

/// Adds the answers of the edge, and `Idempotency-Key`, to every operation of `doc`.
fn add_edges(doc: &mut Document) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", item.get.as_mut()),
            ("POST", item.post.as_mut()),
            ("DELETE", item.delete.as_mut()),
            ("PUT", item.put.as_mut()),
            ("PATCH", item.patch.as_mut()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let responses = &mut op.responses.responses;
            for (status, name) in [
                ("413", "PayloadTooLarge"),
                ("431", "HeadersTooLarge"),
                ("500", "Internal"),
            ] {
                responses
                    .entry(status.into())
                    .or_insert_with(|| Ref::from_response_name(name).into());
            }
            // `crate::http::idempotency`: any POST by a signed-in caller, except /auth/*.
            let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if method == "POST" && signed_in && !path.starts_with("/api/auth/") {
                op.parameters.get_or_insert_with(Vec::new).push(
                    ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "The same key and body within 24 h replays the first answer \
                             (with `Idempotent-Replayed: true`); another request with the key is \
                             `400 idempotency_key_reused`; a key whose first request is still \
                             running is `409 idempotency_key_in_use`",
                        ))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(255)),
                        ))
                        .build(),
                );
                for (status, codes) in [
                    ("400", "`invalid_idempotency_key`, `idempotency_key_reused`"),
                    ("409", "`idempotency_key_in_use`"),
                ] {
                    match responses.get_mut(status) {
                        Some(RefOr::T(response)) => {
                            response.description = format!("{}; {codes}", response.description);
                        }
                        Some(RefOr::Ref(_)) => {}
                        None => {
                            responses.insert(status.into(), error_response(codes).into());
                        }
                    }
                }
            }
        }
    }
}

/// The routes of this module: the document itself.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// The whole document, as served and as written to `web/openapi.json`.
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(
        OpenApiRouter::new()
            .nest("/api", super::api_routes())
            .into_openapi(),
    );
    add_edges(&mut doc);
    doc
}

/// The document as pretty JSON with a final newline (the form committed in `web/`).
pub fn json() -> String {
    let mut s = document()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

/// The served document and its entity tag, made once.
static SERVED: LazyLock<(String, HeaderValue)> = LazyLock::new(|| {
    let json = json();
    let digest = Sha256::digest(json.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..12]));
    (
        json,
        HeaderValue::from_str(&etag).expect("hex is a header value"),
    )
});

/// This document. Public and cacheable: it changes only with the server's version.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document",
            content_type = "application/json", body = serde_json::Value,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag sent"),
    )
)]
async fn openapi_json(headers: HeaderMap) -> axum::response::Response {
    let (json, etag) = &*SERVED;
    let cache = [
        (
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ),
        (ETAG, etag.clone()),
    ];
    let unchanged = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag || t.trim() == "*");
    if unchanged {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn doc() -> Value {
        serde_json::from_str(&json()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
        ops
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_error_body() {
        let doc = doc();
        assert_eq!(doc["openapi"], "3.1.0");
        let codes = doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode is an enum of strings");
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(codes.contains(&code.as_str().into()), "{code}");
        }
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
    }

    /// Every route is registered through `routes!` (which documents it): a plain axum
    /// `.route(` in `src/http` would serve a route the document does not have (the
    /// operational routes outside `/api` excepted, below).
    #[test]
    fn no_route_is_registered_outside_the_document() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("openapi.rs") {
                continue; // this test's own words
            }
            // The exceptions: operational routes outside /api, fixed by the contract, with
            // bodies that are not the API's, so not part of the REST document: /healthz and
            // /readyz (see the module docs of ops.rs), and GET /metrics, in the Prometheus
            // text format (observe.rs).
            if path.ends_with("ops.rs") || path.ends_with("observe.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for needle in [".route(", ".route_service("] {
                assert!(
                    !source.contains(needle),
                    "{} registers a route with `{needle}`: use `.routes(routes!(handler))` \
                     with a #[utoipa::path] on the handler",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn every_operation_documents_its_answers() {
        let doc = doc();
        let ops = operations(&doc);
        assert!(ops.len() >= 21, "{} operations", ops.len());
        for (method, path, op) in ops {
            let name = format!("{method} {path}");
            assert!(path.starts_with("/api/"), "{name}");
            assert!(op["operationId"].is_string(), "{name}: an operationId");
            let responses = op["responses"].as_object().unwrap();
            for status in ["413", "431", "500"] {
                assert!(responses.contains_key(status), "{name}: {status}");
            }
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{name}: a success"
            );
            // Every error answer is the contract's error body.
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let body = response.to_string();
                    assert!(
                        body.contains("#/components/schemas/ApiError")
                            || body.contains("#/components/responses/"),
                        "{name} {status}: not an ApiError"
                    );
                }
            }
            // A bearer-token operation says what a missing or bad token gets.
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{name}: 401");
            }
            let headers: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "header")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            // `crate::http::idempotency`: signed-in POSTs outside /auth/.
            let idempotent =
                method == "POST" && op.get("security").is_some() && !path.starts_with("/api/auth/");
            assert_eq!(
                headers.contains(&"Idempotency-Key"),
                idempotent,
                "{name}: Idempotency-Key"
            );
        }
    }

    #[test]
    fn the_headers_that_matter_are_documented() {
        let doc = doc();
        let header = |path: &str, method: &str, name: &str| {
            doc["paths"][path][method]["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "header" && p["name"] == name))
        };
        assert!(header("/api/seats/reserve", "post", "X-Admission-Token"));
        assert!(header("/api/reservations", "post", "X-Admission-Token"));
        assert!(header(
            "/api/queue/status/{event_id}",
            "get",
            "X-Admission-Token"
        ));
        assert!(header("/api/queue/join", "post", "X-Bot-Check"));
        assert!(header("/api/auth/guest", "post", "X-Bot-Check"));
        assert!(doc["paths"]["/api/events"]["get"].get("security").is_none());
        assert!(doc["paths"]["/api/reservations"]["get"]["security"].is_array());
    }

    #[tokio::test]
    async fn the_document_is_served_cacheable() {
        let answer = openapi_json(HeaderMap::new()).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let headers = answer.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert_eq!(headers[CACHE_CONTROL], "public, max-age=3600");
        let body = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body, json().as_bytes());

        let mut again = HeaderMap::new();
        again.insert(IF_NONE_MATCH, headers[ETAG].clone());
        let answer = openapi_json(again).await;
        assert_eq!(answer.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(answer.headers()[ETAG], headers[ETAG]);
    }
}
