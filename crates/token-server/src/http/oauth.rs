//! The OAuth 2.0 endpoints real clients use: the refresh grant (RFC 6749 §6, rotating per RFC
//! 9700), revocation (RFC 7009), introspection (RFC 7662), the JWKS, server metadata (RFC 8414),
//! and the protected resource that proves an access token works (RFC 6750).
//!
//! Clients are public: each workspace has one client id and no secret. A client sends its id in
//! the form (`none`), or as the user name of HTTP Basic with an empty password.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use token_api::oauth::{
    Introspection, OAuthError, OAuthErrorCode, TokenResponse, WhoAmI, INTROSPECT_PATH, JWKS_PATH, METADATA_PATH,
    REVOKE_PATH, TOKEN_PATH,
};
use token_api::token_format;
use token_api::tokens::ACCESS_TOKEN_TTL_SECS;

use crate::extract::ClientIp;
use crate::jwt::AccessClaims;
use crate::store::refresh::{self, Refused};
use crate::AppState;

/// The endpoints at the issuer's root.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(REVOKE_PATH, post(revoke))
        .route(INTROSPECT_PATH, post(introspect))
        .route(JWKS_PATH, get(jwks))
        .route(METADATA_PATH, get(metadata))
}

/// The protected resource, mounted under `/api`.
pub fn resource_router() -> Router<AppState> {
    Router::new().route("/resource/workspaces/{ws}/whoami", get(whoami))
}

/// An OAuth error answer; never cached, never holding the presented token.
fn error(status: StatusCode, code: OAuthErrorCode, description: &str) -> Response {
    let body = OAuthError {
        error: code,
        error_description: Some(description.to_owned()),
    };
    no_store((status, Json(body)).into_response())
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn invalid_request(description: &str) -> Response {
    error(StatusCode::BAD_REQUEST, OAuthErrorCode::InvalidRequest, description)
}

fn invalid_grant() -> Response {
    // One description for every reason, so a client learns nothing about other tokens.
    error(
        StatusCode::BAD_REQUEST,
        OAuthErrorCode::InvalidGrant,
        "the refresh token is invalid, expired, disabled or revoked",
    )
}

fn internal(e: sqlx::Error) -> Response {
    tracing::error!(error = %e, "oauth endpoint failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        OAuthErrorCode::InvalidRequest,
        "internal error",
    )
}

/// A form body whose parameters each appear at most once (RFC 6749 §3.2).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Form, Response> {
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(invalid_request("the body must be application/x-www-form-urlencoded"));
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        for (i, (key, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(k, _)| k == key) {
                return Err(invalid_request(&format!("the parameter {key} is repeated")));
            }
        }
        Ok(Form(pairs))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn require(&self, key: &str) -> Result<&str, Response> {
        self.get(key)
            .ok_or_else(|| invalid_request(&format!("the parameter {key} is required")))
    }
}

/// The client id, from the form or from HTTP Basic (with an empty password: clients are public).
fn client_id(form: &Form, headers: &HeaderMap) -> Result<String, Response> {
    let basic = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(auth) if auth.len() > 6 && auth[..6].eq_ignore_ascii_case("basic ") => {
            let decoded = STANDARD
                .decode(auth[6..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Err(invalid_client("malformed Basic credentials"));
            };
            if !secret.is_empty() {
                return Err(invalid_client("clients of this server are public and have no secret"));
            }
            Some(
                form_urlencoded::parse(format!("id={id}").as_bytes())
                    .map(|(_, v)| v.into_owned())
                    .next(),
            )
        }
        _ => None,
    }
    .flatten();
    match (basic, form.get("client_id")) {
        (Some(a), Some(b)) if a != b => Err(invalid_request("client_id differs from the Basic credentials")),
        (Some(id), _) => Ok(id),
        (None, Some(id)) => Ok(id.to_owned()),
        (None, None) => Err(invalid_request("the parameter client_id is required")),
    }
}

fn invalid_client(description: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, OAuthErrorCode::InvalidClient, description);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"token-console\""),
    );
    response
}

async fn token(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&headers, &body) {
        Ok(form) => form,
        Err(response) => return response,
    };
    match form.require("grant_type") {
        Ok("refresh_token") => {}
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                OAuthErrorCode::UnsupportedGrantType,
                "only grant_type=refresh_token is supported",
            )
        }
        Err(response) => return response,
    }
    let (client_id, presented) = match (client_id(&form, &headers), form.require("refresh_token")) {
        (Ok(c), Ok(r)) => (c, r),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    // A malformed token needs no database round trip.
    if token_format::check(presented).is_err() {
        return invalid_grant();
    }
    // The client lookup stays outside the transaction: on SQLite a transaction that reads before
    // it writes cannot wait for the write lock, and fails with "database is locked" under load.
    let rotated = async {
        if refresh::workspace_of_client(&mut *state.db.pool.acquire().await?, &client_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let mut tx = state.db.pool.begin().await?;
        let result = refresh::rotate(&mut tx, &client_id, presented, ip.as_deref()).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Some(result))
    }
    .await;
    match rotated {
        Err(e) => internal(e),
        Ok(None) => invalid_client("unknown client_id"),
        Ok(Some(Err(Refused::Invalid | Refused::Reused))) => invalid_grant(),
        Ok(Some(Ok(r))) => {
            let access_token = state.issue_access_token(&r.user_id, &r.workspace_id, &client_id, &r.grant_id);
            no_store(
                Json(TokenResponse {
                    access_token,
                    token_type: "Bearer".into(),
                    expires_in: ACCESS_TOKEN_TTL_SECS,
                    refresh_token: r.refresh_token,
                })
                .into_response(),
            )
        }
    }
}

async fn revoke(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&headers, &body) {
        Ok(form) => form,
        Err(response) => return response,
    };
    let (client_id, presented) = match (client_id(&form, &headers), form.require("token")) {
        (Ok(c), Ok(t)) => (c, t),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    if token_format::check(presented).is_err() {
        // An access token lives until it expires; anything else is unknown, which is a 200.
        return if state
            .signer
            .verify(presented, &state.config.issuer(), now_secs())
            .is_ok()
        {
            error(
                StatusCode::BAD_REQUEST,
                OAuthErrorCode::UnsupportedTokenType,
                "access tokens cannot be revoked; they expire within an hour",
            )
        } else {
            no_store(StatusCode::OK.into_response())
        };
    }
    let mut conn = match state.db.pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return internal(e),
    };
    match refresh::revoke(&mut conn, &client_id, presented, ip.as_deref()).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => internal(e),
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The access token of an `Authorization: Bearer` header, verified; or the RFC 6750 answer.
fn bearer(state: &AppState, headers: &HeaderMap) -> Result<AccessClaims, Response> {
    let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(bearer_error(
            StatusCode::UNAUTHORIZED,
            None,
            "an access token is required",
        ));
    };
    let token = match auth.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(bearer_error(StatusCode::UNAUTHORIZED, None, "use the Bearer scheme")),
    };
    state
        .signer
        .verify(token, &state.config.issuer(), now_secs())
        .map_err(|e| {
            bearer_error(
                StatusCode::UNAUTHORIZED,
                Some("invalid_token"),
                &format!("the access token is invalid: {e}"),
            )
        })
}

/// An RFC 6750 §3 error: the code and description in `WWW-Authenticate` and in the body.
fn bearer_error(status: StatusCode, code: Option<&str>, description: &str) -> Response {
    let challenge = match code {
        Some(code) => format!("Bearer realm=\"token-console\", error=\"{code}\", error_description=\"{description}\""),
        None => "Bearer realm=\"token-console\"".to_owned(),
    };
    let body = serde_json::json!({ "error": code.unwrap_or("invalid_request"), "error_description": description });
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // The caller proves itself with an access token, and learns only about its own workspace.
    let caller = match bearer(&state, &headers) {
        Ok(claims) => claims,
        Err(response) => return response,
    };
    let form = match Form::parse(&headers, &body) {
        Ok(form) => form,
        Err(response) => return response,
    };
    let presented = match form.require("token") {
        Ok(t) => t,
        Err(response) => return response,
    };
    let inactive = || no_store(Json(Introspection::default()).into_response());
    if token_format::check(presented).is_err() {
        return match state.signer.verify(presented, &state.config.issuer(), now_secs()) {
            Ok(c) if c.workspace == caller.workspace => no_store(
                Json(Introspection {
                    active: true,
                    token_type: Some("Bearer".into()),
                    client_id: Some(c.client_id),
                    sub: Some(c.sub),
                    exp: Some(c.exp),
                    iat: Some(c.iat),
                    iss: Some(c.iss),
                    workspace: Some(c.workspace),
                    username: None,
                })
                .into_response(),
            ),
            _ => inactive(),
        };
    }
    let mut conn = match state.db.pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return internal(e),
    };
    match refresh::find_active(&mut conn, &caller.workspace, presented).await {
        Err(e) => internal(e),
        Ok(None) => inactive(),
        Ok(Some(found)) => no_store(
            Json(Introspection {
                active: true,
                token_type: Some("refresh_token".into()),
                client_id: Some(caller.client_id),
                sub: Some(found.user_id),
                username: Some(found.email),
                exp: Some(found.expires_at / 1000),
                iat: Some(found.created_at / 1000),
                iss: Some(state.config.issuer()),
                workspace: Some(caller.workspace),
            })
            .into_response(),
        ),
    }
}

async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = Json(state.signer.jwks()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

#[derive(Serialize)]
struct Metadata {
    issuer: String,
    token_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    jwks_uri: String,
    grant_types_supported: [&'static str; 1],
    response_types_supported: [&'static str; 0],
    token_endpoint_auth_methods_supported: [&'static str; 2],
    revocation_endpoint_auth_methods_supported: [&'static str; 2],
    introspection_endpoint_auth_methods_supported: [&'static str; 1],
}

async fn metadata(State(state): State<AppState>) -> Json<Metadata> {
    let issuer = state.config.issuer();
    Json(Metadata {
        token_endpoint: format!("{issuer}{TOKEN_PATH}"),
        revocation_endpoint: format!("{issuer}{REVOKE_PATH}"),
        introspection_endpoint: format!("{issuer}{INTROSPECT_PATH}"),
        jwks_uri: format!("{issuer}{JWKS_PATH}"),
        grant_types_supported: ["refresh_token"],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ["none", "client_secret_basic"],
        revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic"],
        introspection_endpoint_auth_methods_supported: ["bearer"],
        issuer,
    })
}

async fn whoami(State(state): State<AppState>, Path(ws): Path<String>, headers: HeaderMap) -> Response {
    let claims = match bearer(&state, &headers) {
        Ok(claims) => claims,
        Err(response) => return response,
    };
    if claims.workspace != ws {
        return bearer_error(
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            "the access token works in another workspace only",
        );
    }
    let row: Result<Option<(String, String)>, _> = sqlx::query_as(
        "SELECT u.email, w.name FROM users u JOIN memberships m ON m.user_id = u.id JOIN workspaces w ON w.id = m.workspace_id
         WHERE u.id = $1 AND w.id = $2",
    )
    .bind(&claims.sub)
    .bind(&ws)
    .fetch_optional(&state.db.pool)
    .await;
    match row {
        Err(e) => internal(e),
        Ok(None) => bearer_error(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "the user left the workspace",
        ),
        Ok(Some((email, workspace_name))) => Json(WhoAmI {
            user_id: claims.sub,
            email,
            workspace_id: claims.workspace,
            workspace_name,
            client_id: claims.client_id,
            token_id: claims.grant_id,
            expires_at: claims.exp,
        })
        .into_response(),
    }
}
