//! Calendar feeds of tokens' expiry dates: a member makes one (shown once: its URL holds the
//! secret a calendar app subscribes with), revokes it, and calendar apps read it.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use token_api::tokens::CalendarFeed;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use super::Secret;
use crate::error::{AppError, AppResult};
use crate::extract::Session;
use crate::store::calendar;
use crate::AppState;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, revoke))
        .routes(routes!(feed))
}

/// Make the member's calendar feed of their tokens' expiry dates in the workspace, replacing
/// (revoking) any earlier one. The answer holds its URL, with the secret, this once.
#[utoipa::path(post, path = "/workspaces/{ws}/calendar", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path)), responses((status = 201, body = CalendarFeed), answer::NotFound))]
async fn create(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> AppResult<(StatusCode, Extension<Secret>, Json<CalendarFeed>)> {
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let secret = calendar::create(&mut tx, &ws, &session.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let url = format!("{}/api/calendar/{secret}.ics", state.config.issuer());
    Ok((StatusCode::CREATED, Extension(Secret), Json(CalendarFeed { url })))
}

/// Revoke the member's calendar feed in the workspace: its URL answers 404 from now on.
#[utoipa::path(delete, path = "/workspaces/{ws}/calendar", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path)), responses((status = 204), answer::NotFound))]
async fn revoke(State(state): State<AppState>, session: Session, Path(ws): Path<String>) -> AppResult<StatusCode> {
    let mut conn = state.db.writer.acquire().await?;
    calendar::revoke(&mut conn, &ws, &session.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A calendar feed, as iCalendar, for calendar apps: no session, the secret in the path (the
/// access log records the route's template, never the path). 404 once revoked, or once its
/// member has left the workspace.
#[utoipa::path(get, path = "/calendar/{feed}", tag = "tokens",
    params(("feed" = String, Path, description = "the secret, then .ics")),
    responses((status = 200, content_type = "text/calendar"), answer::NotFound))]
async fn feed(State(state): State<AppState>, Path(feed): Path<String>) -> AppResult<Response> {
    let secret = feed.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    let (workspace, tokens) = calendar::feed(&mut conn, secret).await?.ok_or(AppError::NotFound)?;
    let issuer = state.config.issuer();
    let host = issuer.split("://").nth(1).unwrap_or(&issuer);
    let body = calendar::ics(&workspace, &tokens, host, chrono::Utc::now());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    Ok(response)
}
