//! Sign-in through a workspace's identity provider: the start (the provider's address for this
//! browser), the provider's answer (a session for the workspace, or back to the sign-in page with
//! the reason), and the connection as the workspace's admins see it.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use token_api::sso::{self, SsoConnection, SsoRefusal, SsoStartRequest, CALLBACK_PATH};
use token_api::validate;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use crate::error::{AppError, AppResult};
use crate::extract::{cookies, session_secret, ClientIp, Session};
use crate::oidc::{Failure, Identity, Provider};
use crate::store::sso::{self as store, Login, Refused, Rules};
use crate::store::users;
use crate::AppState;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(callback))
        .routes(routes!(connection))
}

/// The cookie that binds a sign-in under way to the browser that started it.
fn browser_cookie_name(state: &AppState) -> &'static str {
    if state.config.https() {
        "__Secure-tc_sso"
    } else {
        "tc_sso"
    }
}

/// The binding cookie: `Lax`, since the provider sends the browser back with a top-level
/// navigation from its own site, which a `Strict` cookie would miss; sent to the callback only.
fn browser_cookie(state: &AppState, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((browser_cookie_name(state), value))
        .path(CALLBACK_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .secure(state.config.https())
        .build()
}

/// A workspace's redirect URI, registered with its provider.
pub fn redirect_uri(state: &AppState, workspace: &str) -> String {
    format!("{}{}", state.config.issuer(), sso::callback_path(workspace))
}

/// Where to send the browser to end its session at the provider of `workspace`, after the
/// service ended its own: where the operator asked for it and the provider offers it. A
/// provider that cannot be asked now (down, its secret not opening) leaves it at our own.
pub async fn provider_sign_out(state: &AppState, workspace: &str) -> AppResult<Option<String>> {
    let Some(row) = store::connection(&state.db.pool, workspace).await? else {
        return Ok(None);
    };
    if row.sign_out_at_provider == 0 {
        return Ok(None);
    }
    let Ok(provider) = provider(state, &row) else {
        return Ok(None);
    };
    Ok(state
        .oidc
        .end_session_url(&provider, &state.config.post_logout_uri())
        .await)
}

/// A workspace's provider with its client secret opened: one sealed under another key file
/// opens nothing, and the provider would refuse the client anyway.
fn provider(state: &AppState, row: &store::ConnectionRow) -> Result<Provider, Failure> {
    let secret = crate::secrets::open(&state.sso_key, &row.client_secret_sealed)
        .and_then(|s| String::from_utf8(s).ok())
        .ok_or_else(|| Failure {
            refusal: SsoRefusal::ClientRefused,
            detail: "the client secret does not open with this key file".to_owned(),
        })?;
    Ok(Provider {
        issuer: row.issuer.clone(),
        client_id: row.client_id.clone(),
        client_secret: secret,
    })
}

/// Start signing in through a workspace's identity provider: the sign-in page's link (the
/// email's `domain`, or `workspace`, and `return_to`). The workspace is the one that claims the
/// domain, or the one chosen. Answers 303 to the provider, with a cookie that binds the sign-in
/// to this browser; or 303 back to the sign-in page with `sso_error` (and `next`, so a retry
/// still lands where the person was going).
#[utoipa::path(get, path = "/sso/start", tag = "session", params(SsoStartRequest),
    responses((status = 303, description = "To the identity provider; or to the sign-in page with `sso_error`."),
        answer::BadRequest, answer::Unavailable))]
async fn start(State(state): State<AppState>, Query(body): Query<SsoStartRequest>) -> AppResult<Response> {
    let return_to = sso::return_to(body.return_to.as_deref().filter(|r| !r.is_empty())).to_owned();
    let back = |refusal: SsoRefusal| Ok(refused_redirect(refusal, Some(&return_to)));
    let chosen = body.workspace.as_deref().filter(|w| !w.is_empty());
    let workspace_id = match (chosen, body.domain.as_deref().map(str::trim).filter(|d| !d.is_empty())) {
        (Some(ws), _) => Some(ws.to_owned()),
        // The domain as accounts spell it (IDNA, lower case), read through an address of it.
        (None, Some(domain)) => match validate::email(&format!("x@{domain}")) {
            Ok(email) => {
                let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
                store::workspace_for_domain(&state.db.pool, domain).await?
            }
            Err(_) => None,
        },
        (None, None) => None,
    };
    let Some(row) = (match workspace_id {
        Some(ws) => store::connection(&state.db.pool, &ws).await?,
        None => None,
    }) else {
        return back(SsoRefusal::NoProvider);
    };
    let started = match provider(&state, &row) {
        Ok(provider) => {
            state
                .oidc
                .start(&provider, &redirect_uri(&state, &row.workspace_id))
                .await
        }
        Err(failure) => Err(failure),
    };
    let started = match started {
        Ok(started) => started,
        Err(failure) => {
            tracing::warn!(workspace = %row.workspace_id, detail = %failure.detail, "cannot start a sign-in through the identity provider");
            store::record_failure(&state.db.writer, &row.workspace_id, failure.refusal).await?;
            return back(failure.refusal);
        }
    };
    let browser = crate::secrets::random_secret();
    let login = Login {
        workspace_id: row.workspace_id,
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to,
    };
    if !store::begin_login(&state.db.writer, &started.state, &browser, &login).await? {
        tracing::warn!("a sign-in through an identity provider refused: too many under way");
        return Err(AppError::Busy);
    }
    let ttl = store::LOGIN_TTL_MS / 1000;
    let jar = CookieJar::new().add(browser_cookie(&state, browser, ttl));
    Ok((jar, see_other(&started.authorize_url)).into_response())
}

/// The provider's answer, as RFC 6749 §4.1.2 and RFC 9207 spell it.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Answer {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    /// The issuer that answered (RFC 9207), where the provider says.
    iss: Option<String>,
}

/// Where the provider sends the browser back. A session for the workspace and a redirect to
/// where the sign-in was headed; or a redirect to the sign-in page with the reason
/// (`sso_error`), the refusal audited, and nothing else written.
#[utoipa::path(get, path = "/sso/callback/{workspace}", tag = "session",
    params(("workspace" = String, Path, description = "the workspace whose provider answers"), Answer),
    responses((status = 303, description = "To where the sign-in was headed, signed in; or to the sign-in page with `sso_error`.")))]
async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(workspace): Path<String>,
    Query(answer): Query<Answer>,
) -> AppResult<Response> {
    let ip = ip.as_deref();
    let browsers = cookies(&headers, browser_cookie_name(&state));
    let clear = CookieJar::new().add(browser_cookie(&state, String::new(), 0));
    let login = match answer.state.as_deref() {
        Some(s) if !s.is_empty() && s.len() <= 512 => store::take_login(&state.db.writer, s, &browsers).await?,
        _ => None,
    };
    let Some(login) = login else {
        // Not started in this browser, used, or too old: nobody to tell but the log.
        tracing::warn!(
            ip,
            "a sign-in through an identity provider came back with an unknown state"
        );
        metrics::counter!("sso_refused_total", "reason" => SsoRefusal::Expired.as_str()).increment(1);
        return Ok((clear, refused_redirect(SsoRefusal::Expired, None)).into_response());
    };
    let ws = login.workspace_id.clone();
    // A sign-in of one workspace answered at another's address: one provider passing the
    // browser to another (a mix-up). Refused before any code goes to a token endpoint.
    let answered = if workspace == ws {
        finish(&state, &login, &answer, ip).await
    } else {
        tracing::warn!(started = %ws, answered = %workspace, ip, "a sign-in came back at another workspace's address");
        Err(Fail::Refused(SsoRefusal::InvalidToken, None))
    };
    match answered {
        Ok(signed_in) => {
            if let Some(old) = session_secret(&headers, &state.config) {
                users::delete_session(&state.db.writer, &old).await?;
            }
            super::session::record_locale(&state, &signed_in.user_id, &headers).await;
            metrics::counter!("sso_sign_ins_total").increment(1);
            tracing::info!(user = %signed_in.user_id, workspace = %ws, "signed in through the identity provider");
            let session = super::session::session_set_cookie(&state, signed_in.cookie, users::SESSION_TTL_MS / 1000);
            let jar = clear.add(session);
            Ok((jar, see_other(&login.return_to)).into_response())
        }
        Err(Fail::Refused(refusal, who)) => {
            metrics::counter!("sso_refused_total", "reason" => refusal.as_str()).increment(1);
            tracing::warn!(workspace = %ws, reason = refusal.as_str(), ip, "a sign-in through the identity provider was refused");
            // Audited where the provider named someone; a refusal that names nobody (a declined
            // consent, a made-up code) is anyone's to cause, and goes to the log and metrics.
            if let Some(who) = who.as_deref() {
                store::record_refusal(&state.db.writer, &ws, refusal, who, ip).await?;
            }
            Ok((clear, refused_redirect(refusal, Some(&login.return_to))).into_response())
        }
        Err(Fail::App(e)) => Err(e),
    }
}

/// Why `finish` did not sign in.
enum Fail {
    /// Refused, with the identity where the provider got as far as naming one.
    Refused(SsoRefusal, Option<Box<Identity>>),
    App(AppError),
}

impl From<AppError> for Fail {
    fn from(e: AppError) -> Fail {
        Fail::App(e)
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Fail {
        Fail::App(e.into())
    }
}

/// The provider's answer checked and turned into a session.
async fn finish(state: &AppState, login: &Login, answer: &Answer, ip: Option<&str>) -> Result<store::SignedIn, Fail> {
    let refuse = |r: SsoRefusal| Err(Fail::Refused(r, None));
    let Some(row) = store::connection(&state.db.pool, &login.workspace_id).await? else {
        return refuse(SsoRefusal::NotConfigured);
    };
    if let Some(error) = answer.error.as_deref() {
        // RFC 6749 §4.1.2.1: the person declined, or the provider would not let them in.
        return refuse(match error {
            "server_error" | "temporarily_unavailable" => SsoRefusal::Unreachable,
            _ => SsoRefusal::AccessDenied,
        });
    }
    // RFC 9207: an answer that says another issuer sent it is a mix-up.
    if answer.iss.as_deref().is_some_and(|iss| iss != row.issuer) {
        return refuse(SsoRefusal::InvalidToken);
    }
    let Some(code) = answer.code.as_deref() else {
        return refuse(SsoRefusal::AccessDenied);
    };
    let provider = match provider(state, &row) {
        Ok(p) => p,
        Err(failure) => {
            tracing::error!(detail = %failure.detail, workspace = %login.workspace_id, "cannot use the identity provider");
            return refuse(failure.refusal);
        }
    };
    let who = state
        .oidc
        .finish(
            &provider,
            &redirect_uri(state, &login.workspace_id),
            code,
            &login.nonce,
            &login.pkce_verifier,
        )
        .await;
    let who = match who {
        Ok(who) => who,
        Err(failure) => {
            tracing::warn!(workspace = %login.workspace_id, detail = %failure.detail, "the identity provider's answer was not taken");
            store::record_failure(&state.db.writer, &login.workspace_id, failure.refusal).await?;
            return refuse(failure.refusal);
        }
    };
    let domains = store::domains(&state.db.pool, &login.workspace_id).await?;
    let rules = Rules {
        workspace_id: &login.workspace_id,
        issuer: &row.issuer,
        client_id: &row.client_id,
        admin_group: row.admin_group.as_deref(),
        domains: &domains,
        trust_emails: row.trust_emails != 0,
    };
    match store::sign_in(&state.db.writer, &rules, &who, ip).await {
        Ok(signed_in) => Ok(signed_in),
        Err(Refused::Because(r)) => Err(Fail::Refused(r, Some(Box::new(who)))),
        Err(Refused::Db(e)) => Err(e.into()),
    }
}

/// 303 to a path of this origin.
fn see_other(path: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, path.to_owned())]).into_response()
}

/// 303 to the sign-in page, saying why, and where the person was going (so a retry lands there).
fn refused_redirect(refusal: SsoRefusal, return_to: Option<&str>) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair(sso::REFUSAL_PARAM, refusal.as_str());
    if let Some(next) = return_to.filter(|r| *r != sso::DEFAULT_RETURN_TO) {
        query.append_pair("next", next);
    }
    see_other(&format!("/signin?{}", query.finish()))
}

/// The workspace's connection to its identity provider, for its admins: the issuer, client id,
/// domains, whether it is required, and how its last sign-ins went. 404 when it has none.
#[utoipa::path(get, path = "/workspaces/{ws}/sso", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path, description = "workspace id")),
    responses((status = 200, body = SsoConnection), answer::Forbidden, answer::NotFound))]
async fn connection(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> AppResult<Json<SsoConnection>> {
    super::tokens::require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    store::summary(&state.db.pool, &ws)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}
