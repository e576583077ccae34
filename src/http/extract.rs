//! Request extractors that turn what arrives into checked values or a contract error:
//! JSON bodies, the bearer token, the admission token.

use std::borrow::Cow;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::auth::AuthUser;
use crate::error::Error;
use crate::state::AppState;

/// `Json<T>` whose rejections are the contract's JSON errors (400/413/415), not axum's text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => Error::invalid(
            "malformed_json",
            format!("body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => Error::invalid("invalid_body", e.body_text()),
        JsonRejection::MissingJsonContentType(_) => Error::UnsupportedMediaType,
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
        other => Error::invalid("invalid_body", other.body_text()),
    }
}

/// The bearer token from `Authorization`, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_header(&parts.headers)
}

pub fn bearer_header(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The outcome of verifying a request's bearer token, kept in the request's extensions so
/// that whichever layer asks first (rate limit, idempotency, the handler's extractor) does
/// the one verification and the others reuse it.
#[derive(Clone)]
struct Verified(Option<Result<AuthUser, (&'static str, Cow<'static, str>)>>);

/// The caller proven by the request's bearer token: `None` without one, `Some(Err)` (401
/// `invalid_token` / `token_expired`) with a bad one. Verified once per request.
pub fn verified_user(parts: &mut Parts, state: &AppState) -> Option<Result<AuthUser, Error>> {
    let outcome = match parts.extensions.get::<Verified>() {
        Some(Verified(v)) => v.clone(),
        None => {
            let v = bearer(parts).map(|token| {
                state.users.jwt().verify(token).map_err(|e| match e {
                    Error::Unauthenticated { code, message } => (code, message),
                    _ => ("invalid_token", Cow::Borrowed("Invalid token")),
                })
            });
            parts.extensions.insert(Verified(v.clone()));
            v
        }
    };
    outcome.map(|r| r.map_err(|(code, message)| Error::unauthenticated(code, message)))
}

/// The signed-in caller: `401 auth_required` without a token, `401 invalid_token` /
/// `token_expired` with a bad one.
pub struct CurrentUser(pub AuthUser);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match verified_user(parts, state) {
            Some(user) => Ok(CurrentUser(user?)),
            None => Err(Error::unauthenticated(
                "auth_required",
                "Authentication required",
            )),
        }
    }
}

/// A signed-in caller with role `admin`, else `403 admin_only`.
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if !user.is_admin() {
            return Err(Error::forbidden(
                "admin_only",
                "this needs an administrator",
            ));
        }
        Ok(AdminUser(user))
    }
}

/// The `X-Admission-Token` header, if sent.
pub struct AdmissionToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for AdmissionToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(AdmissionToken(
            parts
                .headers
                .get("x-admission-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ))
    }
}
