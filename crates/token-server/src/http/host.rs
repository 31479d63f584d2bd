//! A host app's backend asks for a sign-in ticket for one of its people with its host key, and
//! the embedded panel exchanges the ticket for its session: no form inside the host's page.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use token_api::auth::Me;
use token_api::host::{Ticket, TicketExchange, TicketRequest, HOST_KEY_PREFIX, TICKET_PREFIX};
use token_api::validate;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use super::Secret;
use crate::error::{AppError, AppResult};
use crate::extract::{session_cookie, ApiJson, ClientIp};
use crate::store::{host, users};
use crate::AppState;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_ticket))
        .routes(routes!(exchange))
}

/// The longest secret either endpoint reads: a key or a ticket is 48 characters.
const SECRET_MAX: usize = 100;

/// Ask for a one-time sign-in ticket for the member of the host key's workspace who has this
/// email (`Authorization: Bearer <host key>`, from the host's backend, never a browser). The
/// ticket works once, within a minute, from the key's origin. 401 for a key that is unknown or
/// revoked; 404 when nobody with that email is a member of the workspace.
#[utoipa::path(post, path = "/host/tickets", tag = "host", request_body = TicketRequest,
    security(("host_key" = [])),
    responses((status = 201, body = Ticket), answer::BadRequest, answer::Unauthorized, answer::NotFound))]
async fn issue_ticket(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TicketRequest>,
) -> AppResult<Response> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|s| s.starts_with(HOST_KEY_PREFIX) && s.len() <= SECRET_MAX)
        .ok_or(AppError::Unauthenticated)?;
    let key = host::key_of(&state.db.pool, secret)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let email = validate::email(&body.email).map_err(|e| AppError::field("email", e))?;
    let (ticket, expires_at) = host::issue_ticket(&state.db.writer, &key, &email, ip.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    metrics::counter!("host_tickets_issued_total").increment(1);
    let answer = Ticket {
        ticket,
        expires_at: crate::db::to_time(expires_at),
    };
    Ok((StatusCode::CREATED, Extension(Secret), Json(answer)).into_response())
}

/// Exchange a ticket for a session (the embedded panel does, from the host's origin): sets the
/// session cookie and answers the person with the CSRF token, their one workspace listed. A
/// ticket is tried once: used, expired, from another origin, or of a revoked key, it is 401.
#[utoipa::path(post, path = "/host/session", tag = "host", request_body = TicketExchange,
    responses((status = 200, body = Me), answer::Unauthorized))]
async fn exchange(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TicketExchange>,
) -> AppResult<Response> {
    if !body.ticket.starts_with(TICKET_PREFIX) || body.ticket.len() > SECRET_MAX {
        return Err(AppError::WrongCredentials);
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let opened = match host::exchange(&state.db.writer, &body.ticket, origin, ip.as_deref()).await? {
        Ok(opened) => opened,
        Err(why) => {
            metrics::counter!("host_tickets_refused_total").increment(1);
            tracing::warn!(?why, origin, ip, "a sign-in ticket was refused");
            return Err(AppError::WrongCredentials);
        }
    };
    // The session this browser had before, if any, ends: one browser, one session.
    if let Some(old) = session_cookie(&headers, &state.config) {
        users::delete_session(&state.db.writer, &old).await?;
    }
    metrics::counter!("host_tickets_used_total").increment(1);
    tracing::info!(user = %opened.user_id, workspace = %opened.workspace_id, "signed in by a host's ticket");
    let me = super::session::load_me(&state, &opened.user_id, Some(&opened.workspace_id), opened.csrf_token).await?;
    let cookie = super::session::session_set_cookie(&state, opened.cookie, users::SESSION_TTL_MS / 1000);
    Ok((CookieJar::new().add(cookie), Extension(Secret), Json(me)).into_response())
}
