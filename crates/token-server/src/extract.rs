//! Extractors: a JSON body whose rejections are problems naming the field, the signed-in session
//! (with its CSRF check), and the client's address for the audit trail.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use axum_extra::extract::cookie::Cookie;
use serde::de::DeserializeOwned;
use token_api::validate::Invalid;
use token_api::{CSRF_HEADER, SESSION_HEADER};

use crate::config::Config;
use crate::error::AppError;
use crate::http::context::ClientAddr;
use crate::store::users;
use crate::{db, secrets, AppState};

/// The session cookie's name over plain HTTP (development, loopback).
pub const SESSION_COOKIE: &str = "tc_session";

/// Its name when the public URL is https: the `__Host-` prefix makes browsers refuse it unless
/// it is `Secure`, has `Path=/` and no `Domain`, so no sibling subdomain can plant or shadow it.
pub const SESSION_COOKIE_HTTPS: &str = "__Host-tc_session";

/// How often a session's last use is written: idle expiry needs no finer grain.
const LAST_SEEN_GRAIN_MS: i64 = 60_000;

/// A JSON request body. Malformed JSON, a wrong type, a missing or unknown field: each is a 400
/// problem that names the field, and the handler never runs.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| AppError::TooLarge)?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(ApiJson).map_err(json_problem)
    }
}

/// A JSON body that may be left out: an empty body, or JSON `null` (what the document's
/// optional body allows), is `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let empty = req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v == "0")
            || !req.headers().contains_key(header::CONTENT_TYPE);
        if empty {
            return Ok(OptionalJson(T::default()));
        }
        ApiJson::<Option<T>>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(v.unwrap_or_default()))
    }
}

/// Turns a serde error into a problem without echoing the value that was sent (it may be a password).
pub(crate) fn json_problem(e: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = e.path().to_string();
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return AppError::BadRequest {
            detail: format!("malformed JSON at line {} column {}", inner.line(), inner.column()),
            errors: vec![],
        };
    }
    let message = inner.to_string();
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|field| {
                if path == "." {
                    field.to_owned()
                } else {
                    format!("{path}.{field}")
                }
            })
    };
    if let Some(field) = named("missing field `") {
        AppError::field(&field, Invalid::Required)
    } else if message.starts_with("unknown field `") {
        // The path already ends in the unknown field's name.
        AppError::field(&path, Invalid::UnknownField)
    } else {
        AppError::field(&path, Invalid::InvalidType)
    }
}

/// The signed-in session. On any method but GET/HEAD/OPTIONS it also requires the session's CSRF
/// token in the `x-csrf-token` header.
///
/// A session reaches a workspace (a path with `{ws}`) only where it may: one an identity
/// provider vouched for reaches that provider's workspace alone (any other is 404, as if it did
/// not exist), and a password session does not reach a workspace that requires its provider,
/// unless the account is a break-glass one there (403). Checked here, once, for every route.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: String,
    pub csrf_token: String,
    /// The workspace whose identity provider vouched for the session; `None`: a password one.
    pub sso_workspace_id: Option<String>,
}

/// The live session a cookie names. Reads only.
pub async fn live_session(state: &AppState, cookie: &str) -> sqlx::Result<Option<users::LiveSession>> {
    users::live_session(&state.db.pool, cookie, state.config.session_idle_minutes).await
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let cookie = session_secret(&parts.headers, &state.config).ok_or(AppError::Unauthenticated)?;
        let digest = secrets::digest(&cookie);
        let now = db::now_ms();
        let row = live_session(state, &cookie).await?;
        let users::LiveSession {
            user_id,
            csrf_token,
            last_seen,
            sso_workspace_id,
        } = row.ok_or(AppError::Unauthenticated)?;
        if now - last_seen > LAST_SEEN_GRAIN_MS {
            users::session_seen(&state.db.writer, &digest, now).await?;
        }
        if !parts.method.is_safe() {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !secrets::same(sent, &csrf_token) {
                return Err(AppError::Forbidden("missing or wrong CSRF token"));
            }
        }
        // The route's workspace, decoded as the handler's `Path` will decode it.
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .ok();
        let ws = params
            .as_ref()
            .and_then(|p| p.iter().find(|(name, _)| *name == "ws").map(|(_, v)| v));
        if let Some(ws) = ws {
            match &sso_workspace_id {
                Some(only) if only != ws => return Err(AppError::NotFound),
                Some(_) => {}
                None => {
                    let mut conn = state.db.pool.acquire().await?;
                    if crate::store::sso::provider_required(&mut conn, ws, &user_id).await? {
                        return Err(AppError::Forbidden(
                            "this workspace signs in through its identity provider: sign in with SSO",
                        ));
                    }
                }
            }
        }
        Ok(Session {
            user_id,
            csrf_token,
            sso_workspace_id,
        })
    }
}

/// The session cookie's name for this deployment.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.https() {
        SESSION_COOKIE_HTTPS
    } else {
        SESSION_COOKIE
    }
}

/// The values of every cookie named `name` the request carries, in order, read by the cookie
/// crate's parser (axum-extra's `CookieJar` keeps only the last of a name, so a cookie planted
/// beside the real one, from a sibling subdomain, could hide it).
pub fn cookies(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .collect()
}

/// The session the request carries: a frame's `x-tc-session` header, else the session cookie.
pub fn session_secret(headers: &HeaderMap, config: &Config) -> Option<String> {
    let header = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok());
    header.map(str::to_owned).or_else(|| session_cookie(headers, config))
}

/// The value of the session cookie, if the request carries one: the first, as browsers send the
/// most specific first.
pub fn session_cookie(headers: &HeaderMap, config: &Config) -> Option<String> {
    cookies(headers, session_cookie_name(config)).into_iter().next()
}

/// The client's IP address, for the audit trail, throttling and "last used from": as
/// `http::context` believes it (through trusted proxies only); `None` where the server was not
/// told (in-process tests).
#[derive(Clone, Debug)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let believed = parts.extensions.get::<ClientAddr>().map(|ClientAddr(ip)| *ip);
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_canonical())
        };
        Ok(ClientIp(believed.or_else(peer).map(|ip| ip.to_string())))
    }
}
