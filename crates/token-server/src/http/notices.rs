//! A member's email notices in one workspace (`crate::notices`): whether they get them, read and
//! set by the member for themselves. A person's own choice, so not an audit event.

use axum::extract::{Path, State};
use axum::Json;
use token_api::notices::NoticePreferences;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, Session};
use crate::store::notices;
use crate::AppState;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preferences, set_preferences))
}

/// Whether the signed-in member gets email notices about their tokens in the workspace: 7 days
/// and 1 day before one expires, and when someone else or the service disables one. On by
/// default.
#[utoipa::path(get, path = "/workspaces/{ws}/notices", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path)), responses((status = 200, body = NoticePreferences), answer::NotFound))]
async fn preferences(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> AppResult<Json<NoticePreferences>> {
    let email = notices::preference(&state.db.pool, &ws, &session.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(NoticePreferences { email }))
}

/// Turn the signed-in member's email notices in the workspace on or off; other workspaces keep
/// theirs. Off stops the emails only: expiry notices are still recorded in the audit trail.
#[utoipa::path(put, path = "/workspaces/{ws}/notices", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path)), request_body = NoticePreferences,
    responses((status = 200, body = NoticePreferences), answer::NotFound))]
async fn set_preferences(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<NoticePreferences>,
) -> AppResult<Json<NoticePreferences>> {
    if !notices::set_preference(&state.db.writer, &ws, &session.user_id, body.email).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = %session.user_id, workspace = %ws, email = body.email, "email notices set");
    Ok(Json(body))
}
