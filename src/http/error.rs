//! How errors look on the wire: the contract's `{"error": {"code", "message", ...details}}`
//! with the status each stands for. Two kinds reach here: the domain's [`Error`], and the
//! [`Rejection`]s only the HTTP edge makes (a body too large, headers too large, JSON sent
//! without its content type, a flood). Internal failures are logged here with their details
//! and answered with a bare `internal` code: nothing about the database or the code reaches
//! the client.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::{Error, ErrorCode};

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } | Error::InvalidFields(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound { .. } | Error::UnknownSeats { .. } => StatusCode::NOT_FOUND,
            Error::SeatUnavailable { .. }
            | Error::Conflict { .. }
            | Error::CustomerLimit { .. }
            | Error::NoAdjacentSeats { .. }
            | Error::Duplicate => StatusCode::CONFLICT,
            Error::Unavailable(_) | Error::Busy { .. } | Error::LineLost => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Contention(_) | Error::Database(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The contract's error body.
fn body(code: ErrorCode, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if let Error::Busy { .. } = self {
            // Saturation on purpose is not a failure worth an error log.
            self.to_string()
        } else if status.is_server_error() {
            tracing::error!(error = %self, ?self, "request failed");
            match status {
                StatusCode::SERVICE_UNAVAILABLE => {
                    "a backing service is unavailable; retry shortly".to_string()
                }
                _ => "internal error".to_string(),
            }
        } else {
            self.to_string()
        };
        let mut body = body(self.code(), &message);
        match &self {
            Error::SeatUnavailable { seat_ids } | Error::UnknownSeats { seat_ids } => {
                body["seatIds"] = json!(seat_ids);
            }
            Error::InvalidFields(fields) => {
                if let Some(first) = fields.first() {
                    body["field"] = json!(first.field);
                }
                body["fields"] = json!(fields);
            }
            Error::CustomerLimit { limit, remaining } => {
                body["limit"] = json!(limit);
                body["remaining"] = json!(remaining);
            }
            Error::NoAdjacentSeats { quantity } => {
                body["quantity"] = json!(quantity);
            }
            _ => {}
        }
        let mut resp = (status, Json(json!({ "error": body }))).into_response();
        if let Error::Busy {
            retry_after_secs, ..
        } = &self
        {
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        resp
    }
}

/// What the HTTP edge refuses by itself, before a request means anything to the domain; or,
/// from extractors, the domain's error.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// 413: the request body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 431: the request's headers are larger than the server accepts.
    #[error("request headers too large")]
    HeadersTooLarge,
    /// 415: a JSON body was sent without `Content-Type: application/json`.
    #[error("expected a JSON body with content-type application/json")]
    UnsupportedMediaType,
    /// 429 with `Retry-After`: the caller is sending too much.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Error(#[from] Error),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Rejection::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            Rejection::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ErrorCode::HeadersTooLarge,
            ),
            Rejection::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            ),
            Rejection::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
            }
            Rejection::Error(e) => return e.into_response(),
        };
        let mut resp = (
            status,
            Json(json!({ "error": body(code, &self.to_string()) })),
        )
            .into_response();
        if let Rejection::RateLimited { retry_after_secs } = self {
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        resp
    }
}
