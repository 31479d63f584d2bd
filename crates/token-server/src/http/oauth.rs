//! The OAuth 2.0 endpoints real clients use: the refresh grant (RFC 6749 §6, rotating per RFC
//! 9700), revocation (RFC 7009), introspection (RFC 7662), the JWKS, server metadata (RFC 8414),
//! and the protected resource that proves an access token works (RFC 6750).
//!
//! Clients are public: each workspace has one client id and no secret. A client sends its id in
//! the form (`none`), or as the user name of HTTP Basic with an empty password.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use token_api::oauth::{
    is_client_id, Introspection, OAuthError, OAuthErrorCode, TokenResponse, WhoAmI, INTROSPECT_PATH, JWKS_PATH,
    METADATA_PATH, REVOKE_PATH, TOKEN_PATH,
};
use token_api::token_format;
use token_api::tokens::ACCESS_TOKEN_TTL_SECS;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::ClientIp;
use crate::jwt::{AccessClaims, Signer};
use crate::store::refresh::{self, Refused};
use crate::AppState;

/// The endpoints at the issuer's root.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(revoke))
        .routes(routes!(introspect))
        .routes(routes!(jwks))
        .routes(routes!(metadata))
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
}

/// The protected resource, mounted under `/api`.
pub fn resource_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(whoami))
        .routes(routes!(check_permission))
}

/// The form of the token endpoint's refresh grant (RFC 6749 §6), as the OpenAPI document shows it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct RefreshForm {
    /// Always `refresh_token`.
    grant_type: String,
    refresh_token: String,
    /// The workspace's client id; or send it as the Basic user name with an empty password.
    client_id: Option<String>,
    /// Narrows the new access token to some of the token's permissions, separated by spaces
    /// (RFC 6749 §6); never widens them (`invalid_scope`). Absent: all it carries.
    scope: Option<String>,
}

/// The form of revocation (RFC 7009) and introspection (RFC 7662).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct TokenForm {
    token: String,
    token_type_hint: Option<String>,
    /// Revocation only: the workspace's client id.
    client_id: Option<String>,
}

/// A refusal at an OAuth endpoint: RFC 6749 §5.2 JSON at the authorization server, RFC 6750 §3
/// at the resource. Never cached, and never holding the token that was presented.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    kind: FailureKind,
    description: &'static str,
    /// The scope an `insufficient_scope` refusal needed, for its challenge (RFC 6750 §3).
    scope: Option<String>,
}

#[derive(Debug)]
enum FailureKind {
    OAuth(OAuthErrorCode),
    /// An RFC 6750 refusal (`invalid_token`, `insufficient_scope`), or none when no usable
    /// credentials were sent at all (its body then says `invalid_request`).
    Bearer(Option<OAuthErrorCode>),
}

impl Failure {
    fn oauth(status: StatusCode, code: OAuthErrorCode, description: &'static str) -> Failure {
        Failure {
            status,
            kind: FailureKind::OAuth(code),
            description,
            scope: None,
        }
    }

    fn invalid_request(description: &'static str) -> Failure {
        Failure::oauth(StatusCode::BAD_REQUEST, OAuthErrorCode::InvalidRequest, description)
    }

    fn invalid_client(description: &'static str) -> Failure {
        Failure::oauth(StatusCode::UNAUTHORIZED, OAuthErrorCode::InvalidClient, description)
    }

    /// One description for every reason, so a client learns nothing about other tokens.
    fn invalid_grant() -> Failure {
        Failure::oauth(
            StatusCode::BAD_REQUEST,
            OAuthErrorCode::InvalidGrant,
            "the refresh token is invalid, expired, disabled or revoked",
        )
    }

    fn bearer(status: StatusCode, code: Option<OAuthErrorCode>, description: &'static str) -> Failure {
        Failure {
            status,
            kind: FailureKind::Bearer(code),
            description,
            scope: None,
        }
    }
}

impl From<sqlx::Error> for Failure {
    /// Whatever failed on the server's side (the database gone, a batch failing twice) is a 503
    /// the client may retry after a second: never a 500 that blames its request.
    fn from(e: sqlx::Error) -> Failure {
        tracing::error!(error = %e, "oauth endpoint failed");
        Failure::oauth(
            StatusCode::SERVICE_UNAVAILABLE,
            OAuthErrorCode::TemporarilyUnavailable,
            "the service is temporarily unavailable; retry shortly",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let challenge = match self.kind {
            FailureKind::OAuth(OAuthErrorCode::InvalidClient) => Some("Basic realm=\"token-console\"".to_owned()),
            FailureKind::OAuth(_) => None,
            FailureKind::Bearer(None) => Some("Bearer realm=\"token-console\"".to_owned()),
            FailureKind::Bearer(Some(code)) => Some(format!(
                "Bearer realm=\"token-console\", error=\"{}\", error_description=\"{}\"{}",
                code.as_str(),
                self.description,
                self.scope
                    .as_deref()
                    .map_or(String::new(), |s| format!(", scope=\"{s}\""))
            )),
        };
        let code = match self.kind {
            FailureKind::OAuth(code) | FailureKind::Bearer(Some(code)) => code,
            FailureKind::Bearer(None) => OAuthErrorCode::InvalidRequest,
        };
        let body = OAuthError {
            error: code,
            error_description: Some(self.description.to_owned()),
        };
        let mut response = no_store((self.status, Json(body)).into_response());
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(crate::error::RETRY_AFTER_SECS),
            );
        }
        response
    }
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The largest form an OAuth endpoint takes: a refresh token, a client id and a few names fit
/// many times over.
pub const FORM_LIMIT: usize = 8 * 1024;

/// The most parameters a form may carry.
const MAX_PARAMS: usize = 16;

/// A form body whose parameters each appear at most once (RFC 6749 §3.2). Parsed in one pass
/// that stops at the first excess parameter, so no body costs more than reading it (a 128 KiB
/// body of 31,000 keys took 2.5 s when every key was compared with every earlier one).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Form, Failure> {
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(Failure::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut keys = std::collections::HashSet::new();
        for (key, value) in form_urlencoded::parse(body) {
            if pairs.len() == MAX_PARAMS {
                return Err(Failure::invalid_request("the form has too many parameters"));
            }
            if !keys.insert(key.clone()) {
                return Err(Failure::invalid_request("a parameter is repeated"));
            }
            pairs.push((key.into_owned(), value.into_owned()));
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

    fn require(&self, key: &'static str, missing: &'static str) -> Result<&str, Failure> {
        self.get(key).ok_or(Failure::invalid_request(missing))
    }
}

/// The client id, from the form or from HTTP Basic (with an empty password: clients are public).
fn client_id(form: &Form, headers: &HeaderMap) -> Result<String, Failure> {
    let basic = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(auth) if auth.len() > 6 && auth[..6].eq_ignore_ascii_case("basic ") => {
            let decoded = STANDARD
                .decode(auth[6..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let (id, secret) = decoded
                .as_deref()
                .and_then(|d| d.split_once(':'))
                .ok_or(Failure::invalid_client("malformed Basic credentials"))?;
            if !secret.is_empty() {
                return Err(Failure::invalid_client(
                    "clients of this server are public and have no secret",
                ));
            }
            // RFC 6749 §2.3.1: the id is form-encoded inside the Basic credentials.
            form_urlencoded::parse(format!("id={id}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
        }
        _ => None,
    };
    let id = match (basic, form.get("client_id")) {
        (Some(a), Some(b)) if a != b => {
            return Err(Failure::invalid_request("client_id differs from the Basic credentials"))
        }
        (Some(id), _) => id,
        (None, Some(id)) => id.to_owned(),
        (None, None) => return Err(Failure::invalid_request("the parameter client_id is required")),
    };
    // Not a client id this service could have issued: no need to ask the database.
    if !is_client_id(&id) {
        return Err(Failure::invalid_client("unknown client_id"));
    }
    Ok(id)
}

/// The refresh grant: exchanges a refresh token for an access token and a new refresh token.
#[utoipa::path(post, path = TOKEN_PATH, tag = "oauth2",
    request_body(content = RefreshForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = 400, body = OAuthError), (status = 401, body = OAuthError),
        (status = 413, body = OAuthError), (status = 503, body = OAuthError)))]
async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let form = Form::parse(&headers, &body)?;
    if form.require("grant_type", "the parameter grant_type is required")? != "refresh_token" {
        return Err(Failure::oauth(
            StatusCode::BAD_REQUEST,
            OAuthErrorCode::UnsupportedGrantType,
            "only grant_type=refresh_token is supported",
        ));
    }
    let client_id = client_id(&form, &headers)?;
    let presented = form.require("refresh_token", "the parameter refresh_token is required")?;
    // A scope narrows what the new access token carries; more than the token has is refused
    // after the lookup, without rotating (RFC 6749 §6).
    let scope = match form.get("scope") {
        Some(s) => Some(token_api::permissions::parse_scope(s).map_err(|_| invalid_scope())?),
        None => None,
    };
    // A malformed token needs no database round trip.
    if token_format::check(presented).is_err() {
        return Err(Failure::invalid_grant());
    }
    let r = match state
        .rotator
        .rotate(
            &client_id,
            presented,
            ip.as_deref(),
            headers.get(header::USER_AGENT).map(|v| v.as_bytes()),
            scope,
        )
        .await?
    {
        Ok(r) => r,
        Err(Refused::UnknownClient) => return Err(Failure::invalid_client("unknown client_id")),
        Err(Refused::Invalid | Refused::Reused) => return Err(Failure::invalid_grant()),
        Err(Refused::Scope) => return Err(invalid_scope()),
    };
    let scope = Some(r.carries.scope.clone()).filter(|s| !s.is_empty());
    let access_token = state.issue_access_token(&r.user_id, &r.workspace_id, &client_id, &r.grant_id, r.carries);
    Ok(no_store(
        Json(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ACCESS_TOKEN_TTL_SECS,
            refresh_token: r.refresh_token,
            scope,
        })
        .into_response(),
    ))
}

fn invalid_scope() -> Failure {
    Failure::oauth(
        StatusCode::BAD_REQUEST,
        OAuthErrorCode::InvalidScope,
        "scope must name permissions the token carries, separated by spaces",
    )
}

/// Revokes a refresh token (disabling its token); unknown tokens get a 200 too.
#[utoipa::path(post, path = REVOKE_PATH, tag = "oauth2",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200), (status = 400, body = OAuthError), (status = 401, body = OAuthError),
        (status = 413, body = OAuthError), (status = 503, body = OAuthError)))]
async fn revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let form = Form::parse(&headers, &body)?;
    let client_id = client_id(&form, &headers)?;
    let presented = form.require("token", "the parameter token is required")?;
    if token_format::check(presented).is_ok() {
        if let Err(Refused::UnknownClient) =
            refresh::revoke(&state.db.writer, &client_id, presented, ip.as_deref()).await?
        {
            return Err(Failure::invalid_client("unknown client_id"));
        }
    } else if refresh::workspace_of_client(&mut *state.db.pool.acquire().await?, &client_id)
        .await?
        .is_none()
    {
        return Err(Failure::invalid_client("unknown client_id"));
    } else if state
        .signer
        .verify(presented, &state.config.issuer(), now_secs())
        .is_ok()
    {
        return Err(Failure::oauth(
            StatusCode::BAD_REQUEST,
            OAuthErrorCode::UnsupportedTokenType,
            "access tokens cannot be revoked; they expire within an hour",
        ));
    }
    // Revoked now, revoked before, or never ours: all the same 200 (RFC 7009 §2.2).
    Ok(no_store(StatusCode::OK.into_response()))
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The access token of an `Authorization: Bearer` header, verified, with its signing key's kid.
fn bearer(state: &AppState, headers: &HeaderMap) -> Result<(AccessClaims, String), Failure> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Failure::bearer(
            StatusCode::UNAUTHORIZED,
            None,
            "an access token is required",
        ))?;
    let token = match auth.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(Failure::bearer(StatusCode::UNAUTHORIZED, None, "use the Bearer scheme")),
    };
    let invalid = || {
        Failure::bearer(
            StatusCode::UNAUTHORIZED,
            Some(OAuthErrorCode::InvalidToken),
            "the access token is invalid or expired",
        )
    };
    let claims = state
        .signer
        .verify(token, &state.config.issuer(), now_secs())
        .map_err(|_| invalid())?;
    Ok((claims, Signer::kid_of(token).ok_or_else(invalid)?))
}

/// Tells whether a token of the caller's workspace is active. The caller sends its own access token.
#[utoipa::path(post, path = INTROSPECT_PATH, tag = "oauth2", security(("bearer" = [])),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Introspection), (status = 400, body = OAuthError), (status = 401, body = OAuthError),
        (status = 503, body = OAuthError)))]
async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, Failure> {
    // The caller proves itself with an access token, and learns only about its own workspace.
    let (caller, kid) = bearer(&state, &headers)?;
    if !live(&state, &caller, &kid).await? {
        return Err(not_live());
    }
    let form = Form::parse(&headers, &body)?;
    // A client that names itself must be the one the access token was issued to.
    if form.get("client_id").is_some_and(|id| id != caller.client_id) {
        return Err(Failure::invalid_client("unknown client_id"));
    }
    let presented = form.require("token", "the parameter token is required")?;
    let answer = if token_format::check(presented).is_err() {
        let verified = state.signer.verify(presented, &state.config.issuer(), now_secs());
        let kid = Signer::kid_of(presented).unwrap_or_default();
        let claims = match verified {
            // Inactive from the moment its grant is disabled or its owner leaves the workspace.
            Ok(c) if c.workspace == caller.workspace && live(&state, &c, &kid).await? => Some(c),
            _ => None,
        };
        match claims {
            Some(c) => Introspection {
                active: true,
                token_type: Some("Bearer".into()),
                client_id: Some(c.client_id),
                sub: Some(c.sub),
                exp: Some(c.exp),
                iat: Some(c.iat),
                iss: Some(c.iss),
                workspace: Some(c.workspace),
                username: None,
                scope: c.scope,
                ranges: c.ranges,
            },
            None => Introspection::default(),
        }
    } else {
        let mut conn = state.db.pool.acquire().await?;
        let window = std::time::Duration::from_secs(state.config.refresh_retry_seconds.into());
        let found = match refresh::find_active(&mut conn, &caller.workspace, presented).await? {
            None => refresh::find_retryable(&mut conn, &caller.workspace, presented, window).await?,
            found => found,
        };
        match found {
            None => Introspection::default(),
            Some(found) => Introspection {
                active: true,
                token_type: Some("refresh_token".into()),
                client_id: Some(caller.client_id),
                sub: Some(found.user_id),
                username: Some(found.email),
                exp: Some(found.expires_at / 1000),
                iat: Some(found.created_at / 1000),
                iss: Some(state.config.issuer()),
                workspace: Some(caller.workspace),
                scope: Some(found.carries.scope).filter(|s| !s.is_empty()),
                ranges: found.carries.ranges,
            },
        }
    };
    Ok(no_store(Json(answer).into_response()))
}

/// Whether a verified access token still works where the service is asked: its grant is not
/// disabled (by its owner, an admin, its client's revocation or reuse detection) nor deleted,
/// its owner is still a member of its workspace, and its signing key was not retired. An access
/// token is signed, not stored, so a resource server that verifies it alone accepts it until it
/// expires (an hour at most); one that asks here learns at once.
async fn live(state: &AppState, claims: &AccessClaims, kid: &str) -> Result<bool, Failure> {
    let pool = &state.db.pool;
    Ok(crate::store::tokens::access_is_live(pool, &claims.grant_id, &claims.workspace, &claims.sub, kid).await?)
}

fn not_live() -> Failure {
    Failure::bearer(
        StatusCode::UNAUTHORIZED,
        Some(OAuthErrorCode::InvalidToken),
        "the access token's grant was disabled or its owner left the workspace",
    )
}

/// The public signing key, as a JWK Set.
#[utoipa::path(get, path = JWKS_PATH, tag = "oauth2", responses((status = 200, body = Object)))]
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

/// Authorization server metadata (RFC 8414).
#[utoipa::path(get, path = METADATA_PATH, tag = "oauth2", responses((status = 200, body = Object)))]
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

/// The protected resource: who the access token is for, in which workspace. RFC 6750 errors.
#[utoipa::path(get, path = "/resource/workspaces/{ws}/whoami", tag = "resource", security(("bearer" = [])),
    params(("ws" = String, Path)),
    responses((status = 200, body = WhoAmI),
        (status = 401, body = OAuthError, headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
        (status = 403, body = OAuthError)))]
async fn whoami(
    State(state): State<AppState>,
    Path(ws): Path<String>,
    headers: HeaderMap,
) -> Result<Json<WhoAmI>, Failure> {
    who(&state, &ws, &headers, None).await.map(Json)
}

/// How an API checks a permission: the caller's access token must carry `permission` in its
/// `scope`, or the answer is 403 `insufficient_scope` with a challenge naming it (RFC 6750
/// §3.1). Answers as `whoami` when it does.
#[utoipa::path(get, path = "/resource/workspaces/{ws}/can/{permission}", tag = "resource", security(("bearer" = [])),
    params(("ws" = String, Path), ("permission" = String, Path, description = "a permission name, such as datasets:write")),
    responses((status = 200, body = WhoAmI),
        (status = 401, body = OAuthError, headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
        (status = 403, body = OAuthError, headers(("WWW-Authenticate" = String,
            description = "`insufficient_scope`, with the scope needed")))))]
async fn check_permission(
    State(state): State<AppState>,
    Path((ws, permission)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<WhoAmI>, Failure> {
    who(&state, &ws, &headers, Some(&permission)).await.map(Json)
}

/// The protected resource's checks, in order: a valid access token, of this workspace, carrying
/// `needs` if given, whose grant still works.
async fn who(state: &AppState, ws: &str, headers: &HeaderMap, needs: Option<&str>) -> Result<WhoAmI, Failure> {
    let (claims, kid) = bearer(state, headers)?;
    if claims.workspace != ws {
        return Err(Failure::bearer(
            StatusCode::FORBIDDEN,
            Some(OAuthErrorCode::InsufficientScope),
            "the access token works in another workspace only",
        ));
    }
    let row = crate::store::users::member_and_workspace(&state.db.pool, &claims.sub, ws).await?;
    let (email, workspace_name) = row.ok_or_else(not_live)?;
    if !live(state, &claims, &kid).await? {
        return Err(not_live());
    }
    if let Some(needed) = needs {
        let carried = claims
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .any(|s| s == needed);
        if !carried {
            // Named in the challenge only when it could be a permission: never echo junk.
            let nameable = token_api::permissions::permission_name(needed).is_ok();
            return Err(Failure {
                scope: nameable.then(|| needed.to_owned()),
                ..Failure::bearer(
                    StatusCode::FORBIDDEN,
                    Some(OAuthErrorCode::InsufficientScope),
                    "the access token does not carry the permission this operation needs",
                )
            });
        }
    }
    Ok(WhoAmI {
        user_id: claims.sub,
        email,
        workspace_id: claims.workspace,
        workspace_name,
        client_id: claims.client_id,
        token_id: claims.grant_id,
        expires_at: claims.exp,
        scope: claims.scope,
        ranges: claims.ranges,
    })
}
