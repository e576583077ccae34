//! Request extractors that turn what arrives into checked values or a contract error:
//! JSON bodies, the bearer token, the admission token.

use std::borrow::Cow;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::error::Rejection;
use crate::auth::AuthUser;
use crate::error::{Error, ErrorCode};
use crate::state::AppState;

/// `Json<T>` whose rejections are the contract's JSON errors (400/413/415), not axum's text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> Rejection {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => Error::invalid(
            ErrorCode::MalformedJson,
            format!("body is not valid JSON: {}", e.body_text()),
        )
        .into(),
        JsonRejection::JsonDataError(e) => {
            Error::invalid(ErrorCode::InvalidBody, e.body_text()).into()
        }
        JsonRejection::MissingJsonContentType(_) => Rejection::UnsupportedMediaType,
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Rejection::PayloadTooLarge,
        other => Error::invalid(ErrorCode::InvalidBody, other.body_text()).into(),
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
struct Verified(Option<Result<AuthUser, (ErrorCode, Cow<'static, str>)>>);

/// The caller proven by the request's bearer token: `None` without one, `Some(Err)` (401
/// `invalid_token` / `token_expired`) with a bad one. Verified once per request: the
/// outcome stays in the request's extensions for every later asker.
pub fn verified_user(parts: &mut Parts, state: &AppState) -> Option<Result<AuthUser, Error>> {
    let outcome = match parts.extensions.get::<Verified>() {
        Some(Verified(v)) => v.clone(),
        None => {
            let v = bearer(parts).map(|token| {
                state.users.jwt().verify(token).map_err(|e| match e {
                    Error::Unauthenticated { code, message } => (code, message),
                    _ => (ErrorCode::InvalidToken, Cow::Borrowed("Invalid token")),
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
                ErrorCode::AuthRequired,
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
                ErrorCode::AdminOnly,
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::auth::Role;
    use crate::config::Config;
    use crate::startup::Application;

    /// A POST with an `Idempotency-Key` passes the rate limit, the idempotency layer and the
    /// handler's extractor, each of which needs the caller: the token is verified once.
    #[tokio::test]
    async fn a_request_verifies_its_token_once() {
        let dir = std::env::temp_dir().join(format!(
            "boxoffice-verify-once-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut config = Config::for_tests(format!("sqlite://{}", dir.join("t.db").display()));
        config.data_dir = dir.clone();
        let app = Application::build(config)
            .await
            .expect("application builds");
        let state = app.state().clone();
        let jwt = state.users.jwt();
        let someone = crate::ids::UserId::parse("someone").unwrap();
        let good = jwt.issue(&someone, Role::User, None).unwrap();
        let router = crate::http::app(state.clone());

        let cases = [
            ("a valid token", good.as_str(), StatusCode::NOT_FOUND),
            ("a bad token", "not-a-token", StatusCode::UNAUTHORIZED),
        ];
        for (case, token, status) in cases {
            let request = Request::post("/api/queue/leave")
                .header("authorization", format!("Bearer {token}"))
                .header("idempotency-key", case)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"eventId":"no-such-event"}"#))
                .unwrap();
            let before = jwt.session_verifications();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), status, "{case}");
            assert_eq!(jwt.session_verifications() - before, 1, "{case}");
        }
        drop(app);
        let _ = std::fs::remove_dir_all(dir);
    }
}
