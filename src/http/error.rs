//! How [`Error`] looks on the wire: the contract's
//! `{"error": {"code", "message", ...details}}` with the status each variant stands for.
//! Internal failures are logged here with their details and answered with a bare
//! `internal` code: nothing about the database or the code reaches the client.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::{is_unavailable, is_unique_violation, Error};

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound { .. } | Error::UnknownSeats { .. } => StatusCode::NOT_FOUND,
            Error::SeatUnavailable { .. }
            | Error::Conflict { .. }
            | Error::CustomerLimit { .. } => StatusCode::CONFLICT,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) | Error::Busy { .. } | Error::LineLost => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Database(e) if is_unique_violation(e) => StatusCode::CONFLICT,
            Error::Database(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
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
        } else if let Error::Database(_) = self {
            "the request conflicts with existing data".to_string()
        } else {
            self.to_string()
        };
        let mut body = json!({ "code": self.code(), "message": message });
        match &self {
            Error::SeatUnavailable { seat_ids } | Error::UnknownSeats { seat_ids } => {
                body["seatIds"] = json!(seat_ids);
            }
            Error::CustomerLimit { limit, remaining } => {
                body["limit"] = json!(limit);
                body["remaining"] = json!(remaining);
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
