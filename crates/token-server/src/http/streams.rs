//! Audit streaming, for workspace admins: the destinations the workspace's audit trail is
//! delivered to (at most three), each with a secret shown once, pausing and resuming, removal,
//! and a test event. Every change is audited (`stream_changed`, `stream_tested`). A member is
//! answered 403, a stranger to the workspace 404 (`require_admin`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use token_api::audit::AuditAction;
use token_api::streams::{CreatedDestination, DestinationChange, DestinationList, NewDestination, TestDelivery};
use token_api::streams::{Destination, MAX_DESTINATIONS};
use token_api::tokens::Person;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use super::tokens::require_admin;
use super::Secret;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ClientIp, Session};
use crate::store::audit::{record_account_event, Acting, Actor};
use crate::store::streams as store;
use crate::streams::Reach;
use crate::AppState;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(change, remove))
        .routes(routes!(test))
}

/// The workspace's audit stream destinations: their state, backlog, last delivery and last
/// error; never a secret or a header's value.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/streams", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)),
    responses((status = 200, body = DestinationList), answer::Forbidden, answer::NotFound))]
async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> AppResult<Json<DestinationList>> {
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    Ok(Json(DestinationList {
        destinations: store::list(&mut conn, &ws).await?,
    }))
}

/// Stream the workspace's audit trail to a new destination: every event from now on is posted
/// to it, signed with the secret in this answer (shown this once). `https://` to a public
/// address (`not_a_url` otherwise); at most three destinations (409).
#[utoipa::path(post, path = "/workspaces/{ws}/admin/streams", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), request_body = NewDestination,
    responses((status = 201, body = CreatedDestination), answer::BadRequest, answer::Forbidden, answer::NotFound, answer::Conflict))]
async fn add(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<NewDestination>,
) -> AppResult<(StatusCode, Extension<Secret>, Json<CreatedDestination>)> {
    body.check().map_err(|(field, e)| AppError::field(field, e))?;
    let url = Reach::of(&state.config)
        .check_url(&body.url)
        .map_err(|e| AppError::field("url", e))?;
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let added = store::add(
        &mut tx,
        &state.stream_key,
        &ws,
        &url,
        &body.headers,
        Actor::Person(&session.user_id),
        ip.as_deref(),
    )
    .await?
    .map_err(|store::Full| {
        AppError::Conflict(format!(
            "the workspace streams to {MAX_DESTINATIONS} destinations already: remove one first"
        ))
    })?;
    tx.commit().await?;
    let (destination, secret) = added;
    tracing::info!(admin = %session.user_id, workspace = %ws, destination = %destination.id, "an audit stream destination was added");
    Ok((
        StatusCode::CREATED,
        Extension(Secret),
        Json(CreatedDestination { destination, secret }),
    ))
}

/// Pause or resume a destination. Paused, its events wait (up to the service's bound); resumed,
/// it is tried at once and its failures are forgotten.
#[utoipa::path(patch, path = "/workspaces/{ws}/admin/streams/{id}", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("id" = String, Path)), request_body = DestinationChange,
    responses((status = 200, body = Destination), answer::BadRequest, answer::Forbidden, answer::NotFound))]
async fn change(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DestinationChange>,
) -> AppResult<Json<Destination>> {
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let changed = store::set_state(
        &mut tx,
        &ws,
        &id,
        body.state,
        Actor::Person(&session.user_id),
        ip.as_deref(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    tracing::info!(admin = %session.user_id, workspace = %ws, destination = %id, state = body.state.as_str(), "an audit stream destination was paused or resumed");
    Ok(Json(changed))
}

/// Stop streaming to a destination: it is removed with the events still waiting for it.
#[utoipa::path(delete, path = "/workspaces/{ws}/admin/streams/{id}", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("id" = String, Path)),
    responses((status = 204), answer::Forbidden, answer::NotFound))]
async fn remove(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    if !store::remove(&mut tx, &ws, &id, Actor::Person(&session.user_id), ip.as_deref()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    tracing::info!(admin = %session.user_id, workspace = %ws, destination = %id, "an audit stream destination was removed");
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test event to a destination now (a delivery marked `test`, outside the audit trail's
/// order), and say what it answered. Audited (`stream_tested`).
#[utoipa::path(post, path = "/workspaces/{ws}/admin/streams/{id}/test", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TestDelivery), answer::Forbidden, answer::NotFound))]
async fn test(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
) -> AppResult<Json<TestDelivery>> {
    let (target, admin) = {
        let mut conn = state.db.pool.acquire().await?;
        require_admin(&mut conn, &ws, &session.user_id).await?;
        let target = store::target(&mut conn, &state.stream_key, &ws, &id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (email, name): (String, String) = sqlx::query_as("SELECT email, name FROM users WHERE id = $1")
            .bind(&session.user_id)
            .fetch_one(&mut *conn)
            .await?;
        let admin = Person {
            id: session.user_id.clone(),
            email,
            name,
        };
        (target, admin)
    };
    let answered = crate::streams::send_test(&state, &target, admin).await;
    let reason = match (&answered.error, answered.status) {
        (None, Some(status)) => format!("{} answered HTTP {status}", target.shown),
        (Some(error), _) => format!("{} failed: {error}", target.shown),
        (None, None) => target.shown.clone(),
    };
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    record_account_event(
        &mut tx,
        AuditAction::StreamTested,
        std::slice::from_ref(&ws),
        Actor::Person(&session.user_id),
        None,
        Acting::by(ip.as_deref(), Some(&reason)),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(answered))
}
