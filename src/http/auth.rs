//! `/api/auth/*`: register, log in, guest, who am I.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::botcheck::BotCheckProof;
use super::extract::{ApiJson, CurrentUser};
use super::openapi::{ApiError, RateLimited, Unauthorized, Unavailable};
use crate::auth::{Credentials, NewUser, Role, User};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::UserId;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(guest))
        .routes(routes!(me))
}

/// A signed-in session: the bearer token and its user.
#[derive(Serialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub user: User,
}

/// `GET /api/auth/me`: who the bearer token names.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: TokenUser,
}

/// The user a token names, as the token says.
#[derive(Serialize, ToSchema)]
pub struct TokenUser {
    pub id: UserId,
    #[schema(required = true)]
    pub name: Option<String>,
    pub role: Role,
}

/// Creates an account and signs it in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", operation_id = "register",
    request_body = NewUser,
    responses(
        (status = 201, description = "Registered and signed in", body = Session),
        (status = 400, description = "`malformed_json`, `invalid_body`, `invalid_email`, `invalid_password`, `invalid_name`", body = ApiError),
        (status = 409, description = "`email_taken`, `conflict`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn register(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Session>)> {
    let (token, user) = state.users.register(new).await?;
    Ok((StatusCode::CREATED, Json(Session { token, user })))
}

/// Signs in with email and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 400, description = "`malformed_json`, `invalid_body`", body = ApiError),
        (status = 401, description = "`invalid_credentials`", body = ApiError),
        (status = 415, description = "`unsupported_media_type`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn login(
    State(state): State<AppState>,
    ApiJson(creds): ApiJson<Credentials>,
) -> Result<Json<Session>> {
    let (token, user) = state.users.login(creds).await?;
    Ok(Json(Session { token, user }))
}

/// A throwaway identity. Needs a solved bot check when `BOT_CHECK=pow`.
#[utoipa::path(post, path = "/auth/guest", tag = "auth", operation_id = "guest",
    params(("X-Bot-Check" = Option<String>, Header, description = "A solved ALTCHA payload (base64)")),
    responses(
        (status = 200, description = "A guest session", body = Session),
        (status = 403, description = "`guests_disabled`, `bot_check_required`, `bot_check_failed`", body = ApiError),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ))]
async fn guest(State(state): State<AppState>, proof: BotCheckProof) -> Result<Json<Session>> {
    if !state.settings.allow_guests {
        return Err(Error::forbidden(
            ErrorCode::GuestsDisabled,
            "guest access is switched off",
        ));
    }
    state.bot_check.for_guest(proof.as_deref()).await?;
    let (token, user) = state.users.guest().await?;
    Ok(Json(Session { token, user }))
}

/// Who the bearer token names.
#[utoipa::path(get, path = "/auth/me", tag = "auth", operation_id = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = Me),
        (status = 401, response = Unauthorized),
    ))]
async fn me(CurrentUser(user): CurrentUser) -> Json<Me> {
    Json(Me {
        user: TokenUser {
            id: user.id,
            name: user.name,
            role: user.role,
        },
    })
}
