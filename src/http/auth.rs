//! `/api/auth/*`: register, log in, guest, who am I.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::botcheck::BotCheckProof;
use super::extract::{ApiJson, CurrentUser};
use crate::auth::{Credentials, NewUser, User};
use crate::error::{Error, ErrorCode, Result};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/guest", post(guest))
        .route("/auth/me", get(me))
}

fn session(token: String, user: User) -> Json<Value> {
    Json(json!({ "token": token, "user": user }))
}

async fn register(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Value>)> {
    let (token, user) = state.users.register(new).await?;
    Ok((StatusCode::CREATED, session(token, user)))
}

async fn login(
    State(state): State<AppState>,
    ApiJson(creds): ApiJson<Credentials>,
) -> Result<Json<Value>> {
    let (token, user) = state.users.login(creds).await?;
    Ok(session(token, user))
}

async fn guest(State(state): State<AppState>, proof: BotCheckProof) -> Result<Json<Value>> {
    if !state.settings.allow_guests {
        return Err(Error::forbidden(
            ErrorCode::GuestsDisabled,
            "guest access is switched off",
        ));
    }
    state.bot_check.for_guest(proof.as_deref()).await?;
    let (token, user) = state.users.guest().await?;
    Ok(session(token, user))
}

async fn me(CurrentUser(user): CurrentUser) -> Json<Value> {
    Json(json!({ "user": { "id": user.id, "name": user.name, "role": user.role } }))
}
