//! Sign-in and sign-out with a session cookie, and the signed-in user.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use token_api::auth::{Me, SignInRequest};
use token_api::problem::Problem;

use crate::error::{AppError, AppResult};
use crate::extract::{session_cookie, ApiJson, Session, SESSION_COOKIE};
use crate::store::users;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(sign_in).delete(sign_out))
        .route("/me", get(me))
}

/// Sign in; sets the session cookie and returns the user with the session's CSRF token.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = SignInRequest,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 400, body = Problem)))]
async fn sign_in(State(state): State<AppState>, ApiJson(body): ApiJson<SignInRequest>) -> AppResult<Response> {
    let user_id = users::check_password(&state.db.pool, &body.email, &body.password)
        .await?
        .ok_or(AppError::WrongCredentials)?;
    let (cookie, csrf_token) = users::create_session(&state.db.writer, &user_id).await?;
    let me = load_me(&state, &user_id, csrf_token).await?;
    let max_age = users::SESSION_TTL_MS / 1000;
    let secure = if state.config.https() { "; Secure" } else { "" };
    let set_cookie = format!("{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    let mut response = Json(me).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(response)
}

/// Sign out.
#[utoipa::path(delete, path = "/api/session", tag = "session", security(("session" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn sign_out(State(state): State<AppState>, _session: Session, headers: HeaderMap) -> AppResult<Response> {
    if let Some(cookie) = session_cookie(&headers) {
        users::delete_session(&state.db.writer, cookie).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// The signed-in user, their workspaces and roles, and the CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "session", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, session: Session) -> AppResult<Json<Me>> {
    load_me(&state, &session.user_id, session.csrf_token).await.map(Json)
}

async fn load_me(state: &AppState, user_id: &str, csrf_token: String) -> AppResult<Me> {
    let (user, workspaces) = users::profile(&state.db.pool, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Me {
        user,
        workspaces,
        csrf_token,
    })
}
