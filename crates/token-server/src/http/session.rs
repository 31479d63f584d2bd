//! Sign-in and sign-out with a session cookie, and the signed-in user.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use token_api::auth::{Me, SetPasswordRequest, SignInRequest, SignedOut};
use token_api::validate::{self, Invalid};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use super::Secret;
use crate::error::{AppError, AppResult};
use crate::extract::{cookies, session_cookie_name, session_secret, ApiJson, ClientIp, Session};
use crate::store::{audit, onboarding, sso, users};
use crate::AppState;
use token_api::audit::AuditAction;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(me))
        .routes(routes!(set_password))
}

/// How long a sign-in waits for its turn to hash before it is answered 503.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

use token_api::auth::SETUP_SECRET_MAX;

/// Set a password with the one-time secret of a set-password link (`token-server user add`
/// prints one; the page at `/set-password` sends it). The link is used up and the person's
/// sessions end. An unknown, used or expired link is refused naming `token`.
#[utoipa::path(post, path = "/password", tag = "session", request_body = SetPasswordRequest,
    responses((status = 204, description = "The password is set; sign in with it."), answer::BadRequest, answer::Unavailable))]
async fn set_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SetPasswordRequest>,
) -> AppResult<StatusCode> {
    if body.token.is_empty() || body.token.len() > SETUP_SECRET_MAX {
        return Err(AppError::field("token", Invalid::Expired));
    }
    validate::password(&body.password).map_err(|e| AppError::field("password", e))?;
    if !onboarding::link_is_live(&state.db.pool, &body.token).await? {
        return Err(AppError::field("token", Invalid::Expired));
    }
    let permit = tokio::time::timeout(HASHING_WAIT, state.hashing.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|e| AppError::Internal(e.into()))?;
    let hash = tokio::task::spawn_blocking(move || {
        let hash = users::hash_password(&body.password);
        drop(permit);
        hash
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::Internal)?;
    if onboarding::set_password(&state.db.writer, &body.token, &hash, ip.as_deref()).await? {
        tracing::info!("a password was set with a set-password link");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::field("token", Invalid::Expired))
    }
}

/// Sign in; sets the session cookie and returns the user with the session's CSRF token.
/// Failed sign-ins are recorded and throttled per address and per account (429 with
/// `Retry-After`); the password is checked off the async runtime, a bounded number at once.
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignInRequest,
    responses((status = 200, body = Me), answer::Unauthorized, answer::TooManyRequests, answer::Unavailable))]
async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignInRequest>,
) -> AppResult<Response> {
    let ip = ip.as_deref();
    let email = users::normalize_email(&body.email);
    let (user_id, hash) = users::password_hash_of(&state.db.pool, &email).await?;
    // A browser that signed in to this account, with its current password, is held by its own
    // budget, not the account's, which strangers can spend.
    let device = trusted_device(&state, &headers, &email, &hash);
    let device = device.as_deref();
    let throttled = || {
        let refused = state.throttle.refused(&email, ip, device)?;
        metrics::counter!("sign_in_throttled_total").increment(1);
        Some(AppError::TooManyRequests(refused))
    };
    if let Some(refused) = throttled() {
        return Err(refused);
    }
    let checked_hash = hash.clone();
    // At most two hashes at once; a sign-in that cannot get its turn soon is told to come back.
    let permit = tokio::time::timeout(HASHING_WAIT, state.hashing.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|e| AppError::Internal(e.into()))?;
    // Failures recorded while this one waited count: parallel guesses cannot outrun the budget.
    if let Some(refused) = throttled() {
        return Err(refused);
    }
    let (password, throttle) = (body.password, state.throttle.clone());
    let (counted_email, counted_ip) = (email.clone(), ip.map(str::to_owned));
    let counted_device = device.map(str::to_owned);
    let matches = tokio::task::spawn_blocking(move || {
        let matches = users::verify_password(&hash, &password);
        // Counted before the slot is given up, so the next in line sees this failure.
        if !matches {
            throttle.failed(&counted_email, counted_ip.as_deref(), counted_device.as_deref());
        }
        drop(permit);
        matches
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let user_id = match user_id {
        Some(id) if matches => id,
        known => {
            let account = known.as_deref().map(|id| (id, email.as_str()));
            tracing::warn!(
                account = account.map_or("(no such account)", |a| a.1),
                ip,
                "failed sign-in"
            );
            if users::record_sign_in_failure(&state.db.writer, account, ip).await? {
                metrics::counter!("sign_in_bursts_total").increment(1);
                tracing::warn!(
                    account = account.map(|a| a.1),
                    ip,
                    "a burst of failed sign-ins: an alarm for the admins"
                );
            }
            return Err(AppError::WrongCredentials);
        }
    };
    // Where the workspaces require their identity provider, a password opens none of them (a
    // break-glass account's excepted, and its use audited). Told only to whoever knows the
    // password, so the refusal says nothing to someone guessing.
    let (kept_out, break_glass) = sso::password_limits(&state.db.pool, &user_id).await?;
    if !kept_out.is_empty() {
        let mut conn = state.db.pool.acquire().await?;
        if audit::workspaces_of(&mut conn, &user_id).await?.len() == kept_out.len() {
            return Err(AppError::field("email", Invalid::ProviderRequired));
        }
    }
    if !break_glass.is_empty() {
        tracing::warn!(user = %user_id, ip, "a break-glass account signed in with its password");
        let mut conn = state.db.writer.acquire().await?;
        let acting = audit::Acting::by(ip, Some("with its password, where the identity provider is required"));
        audit::record_account_event(
            &mut conn,
            AuditAction::BreakGlassSignIn,
            &break_glass,
            audit::Actor::Person(&user_id),
            Some(&user_id),
            acting,
        )
        .await?;
    }
    // The session this browser had before, if any, ends: one browser, one session.
    if let Some(old) = session_secret(&headers, &state.config) {
        users::delete_session(&state.db.writer, &old).await?;
    }
    // Only while the password checked is still theirs: a take-over or a new password committed
    // during the check opens nothing.
    let (cookie, csrf_token) = users::create_session(&state.db.writer, state.db.backend, &user_id, &checked_hash)
        .await?
        .ok_or(AppError::WrongCredentials)?;
    record_locale(&state, &user_id, &headers).await;
    let me = load_me(&state, &user_id, None, csrf_token).await?;
    let jar = CookieJar::new()
        .add(session_set_cookie(&state, cookie, users::SESSION_TTL_MS / 1000))
        .add(device_set_cookie(&state, &email, &checked_hash));
    Ok((jar, Extension(Secret), Json(me)).into_response())
}

/// Records the language the person signs in with (`Accept-Language`), which their notices are
/// written in; a request that names none leaves what they had. Every way of signing in calls it,
/// once the session exists: a failure to record it is logged, and the sign-in goes on (the
/// notices fall back to what was recorded before).
pub(super) async fn record_locale(state: &AppState, user_id: &str, headers: &HeaderMap) {
    let Some(locale) = crate::locale::Locale::from_headers(headers) else {
        return;
    };
    if let Err(error) = users::set_locale(&state.db.writer, user_id, locale).await {
        tracing::warn!(%error, user = %user_id, "the sign-in's language was not recorded");
    }
}

/// How long a browser stays trusted for an account after signing in to it: a year.
const DEVICE_COOKIE_SECS: i64 = 365 * 24 * 3600;

/// The device cookie's name: `__Secure-` over https. It is sent to the sign-in endpoint only.
fn device_cookie_name(state: &AppState) -> &'static str {
    if state.config.https() {
        "__Secure-tc_device"
    } else {
        "tc_device"
    }
}

/// What a device cookie seals: the account's email and a tag of its password hash, so a
/// cookie is worth nothing for another account, or once the password changes (a take-over, a
/// set-password link, the operator's reset).
fn device_claim(email: &str, hash: &str) -> Vec<u8> {
    format!("{email}\n{}", &crate::secrets::digest(hash)[..16]).into_bytes()
}

/// A new device cookie for the account signed in to: `device_claim` sealed under the service's
/// device key (ChaCha20-Poly1305 with a random nonce, so each browser's differs and none can be
/// made or moved to another account without the key).
fn device_set_cookie(state: &AppState, email: &str, hash: &str) -> Cookie<'static> {
    let sealed = crate::secrets::seal(&state.device_key, &device_claim(email, hash));
    strict_cookie(
        state,
        device_cookie_name(state),
        sealed,
        "/api/session",
        DEVICE_COOKIE_SECS,
    )
}

/// A cookie scripts cannot read, sent to this site only, at `path`, for `max_age_secs`; `Secure`
/// over https.
fn strict_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: &'static str,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .secure(state.config.https())
        .build()
}

/// The digest of the request's device cookie when it opens to this account and its current
/// password: the throttle's key for a browser that signed in to it before.
fn trusted_device(state: &AppState, headers: &HeaderMap, email: &str, hash: &str) -> Option<String> {
    let claim = device_claim(email, hash);
    cookies(headers, device_cookie_name(state))
        .into_iter()
        .find(|value| crate::secrets::open(&state.device_key, value).is_some_and(|c| c == claim))
        .map(|value| crate::secrets::digest(&value))
}

/// Sign out. A session a workspace's identity provider opened, where the operator asked that
/// signing out end the provider's session too and the provider offers that, is answered 200
/// with the provider's sign-out address for the page to go to; any other, 204.
#[utoipa::path(delete, path = "/session", tag = "session", security(("session" = [])),
    responses((status = 200, body = SignedOut), (status = 204, description = "Signed out.")))]
async fn sign_out(State(state): State<AppState>, _session: Session, headers: HeaderMap) -> AppResult<Response> {
    let Some(secret) = session_secret(&headers, &state.config) else {
        return Ok(cleared_cookie(&state));
    };
    let Some(workspace) = users::end_session(&state.db.writer, &secret).await? else {
        return Ok(cleared_cookie(&state));
    };
    match super::sso::provider_sign_out(&state, &workspace).await? {
        Some(provider_sign_out_url) => {
            let clear = session_set_cookie(&state, String::new(), 0);
            Ok((CookieJar::new().add(clear), Json(SignedOut { provider_sign_out_url })).into_response())
        }
        None => Ok(cleared_cookie(&state)),
    }
}

/// Sign out everywhere: ends every session of the signed-in user, this one included.
#[utoipa::path(delete, path = "/sessions", tag = "session", security(("session" = [])), responses((status = 204)))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
) -> AppResult<Response> {
    let only = session.sso_workspace_id.as_deref();
    let ended = users::sign_out_everywhere(&state.db.writer, &session.user_id, only, ip.as_deref()).await?;
    tracing::info!(user = %session.user_id, ended, "signed out everywhere");
    Ok(cleared_cookie(&state))
}

/// 204 with the session cookie cleared.
fn cleared_cookie(state: &AppState) -> Response {
    let clear = session_set_cookie(state, String::new(), 0);
    (StatusCode::NO_CONTENT, CookieJar::new().add(clear)).into_response()
}

/// The session cookie: `__Host-` and `Secure` over https.
pub(super) fn session_set_cookie(state: &AppState, value: String, max_age_secs: i64) -> Cookie<'static> {
    strict_cookie(state, session_cookie_name(&state.config), value, "/", max_age_secs)
}

/// The signed-in user, their workspaces and roles, and the CSRF token.
#[utoipa::path(get, path = "/me", tag = "session", security(("session" = [])), responses((status = 200, body = Me)))]
async fn me(State(state): State<AppState>, session: Session) -> AppResult<(Extension<Secret>, Json<Me>)> {
    let me = load_me(
        &state,
        &session.user_id,
        session.sso_workspace_id.as_deref(),
        session.csrf_token,
    )
    .await?;
    Ok((Extension(Secret), Json(me)))
}

/// The user and the workspaces the session reaches: the one whose identity provider vouched for
/// it, or for a password session those that do not require their provider.
pub(super) async fn load_me(
    state: &AppState,
    user_id: &str,
    sso_workspace: Option<&str>,
    csrf_token: String,
) -> AppResult<Me> {
    let (user, mut workspaces) = users::profile(&state.db.pool, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    match sso_workspace {
        Some(only) => workspaces.retain(|w| w.id == only),
        None => {
            let (kept_out, _) = sso::password_limits(&state.db.pool, user_id).await?;
            workspaces.retain(|w| !kept_out.contains(&w.id));
        }
    }
    Ok(Me {
        user,
        workspaces,
        csrf_token,
        frame_session: None,
    })
}
