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
use crate::extract::{session_secret, ApiJson, ClientIp};
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

/// Exchange a ticket for a session, once. A panel in the host's page does, from the host's
/// origin: the answer sets the session cookie. The service's `/embed/...` page in the host's
/// iframe does, from the service's own origin, naming the host's origin as `parent` (one the
/// service lets frame it): a cross-site frame never gets the cookie, so the answer carries the
/// session as `frame_session` instead, for the frame to keep in memory and send in the
/// `x-tc-session` header. Either way the person comes with the CSRF token, their one workspace
/// listed. A ticket is tried once: used, expired, from another origin, or of a revoked key, it
/// is 401.
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
    // The origin the ticket must be bound to: the request's own, or for the service's frame,
    // the host that framed it. Anything else is tried as the request's origin, and refused.
    let framed = body.parent.as_deref().filter(|parent| {
        origin == Some(own_origin(&state).as_str()) && state.config.frame_ancestors.iter().any(|a| a == parent)
    });
    let bound = if body.parent.is_some() { framed } else { origin };
    let opened = match host::exchange(&state.db.writer, &body.ticket, bound, framed.is_some(), ip.as_deref()).await? {
        Ok(opened) => opened,
        Err(why) => {
            metrics::counter!("host_tickets_refused_total").increment(1);
            tracing::warn!(?why, origin, parent = body.parent, ip, "a sign-in ticket was refused");
            return Err(AppError::WrongCredentials);
        }
    };
    // The session this browser had before, if any, ends: one browser, one session.
    if let Some(old) = session_secret(&headers, &state.config) {
        users::delete_session(&state.db.writer, &old).await?;
    }
    super::session::record_locale(&state, &opened.user_id, &headers).await;
    metrics::counter!("host_tickets_used_total").increment(1);
    tracing::info!(user = %opened.user_id, workspace = %opened.workspace_id, framed = framed.is_some(), "signed in by a host's ticket");
    let mut me =
        super::session::load_me(&state, &opened.user_id, Some(&opened.workspace_id), opened.csrf_token).await?;
    if framed.is_some() {
        me.frame_session = Some(opened.cookie);
        return Ok((Extension(Secret), Json(me)).into_response());
    }
    let cookie = super::session::session_set_cookie(&state, opened.cookie, users::SESSION_TTL_MS / 1000);
    Ok((CookieJar::new().add(cookie), Extension(Secret), Json(me)).into_response())
}

/// The service's own origin, as its pages' requests send it: the public URL's scheme and host.
fn own_origin(state: &AppState) -> String {
    let issuer = state.config.issuer();
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    let end = issuer[after_scheme..]
        .find('/')
        .map_or(issuer.len(), |i| after_scheme + i);
    issuer[..end].to_owned()
}
