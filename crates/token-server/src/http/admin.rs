//! What only workspace admins read: the filtered, paged list of every token, the counts, and the
//! audit trail. Their actions are the shared ones in `tokens`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::{Extension, Json};
use token_api::admin::{AddMemberRequest, AddedMember};
use token_api::admin::{FilterActionRequest, LookupRequest, LookupResult, MemberList, MemberRole, RemovedMember};
use token_api::admin::{TokenPage, TokenSummary};
use token_api::audit::{AuditAction, AuditPage, AuditQuery};
use token_api::auth::SET_PASSWORD_PATH;
use token_api::policy::WorkspacePolicy;
use token_api::query::DEFAULT_PAGE_SIZE;
use token_api::query::{SortDir, SortField, TokenPageQuery};
use token_api::token_format;
use token_api::tokens::TokenStatus;
use token_api::tokens::{BatchResult, Person};
use token_api::validate;
use token_api::validate::Invalid;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use super::tokens::require_admin;
use super::Secret;
use crate::csv;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ClientIp, Session};
use crate::store::audit::{Acting, Actor};
use crate::store::{admin, members, onboarding, policy};
use crate::AppState;

/// The routes, under `/api`. Each answers a member 403 and a stranger to the workspace 404
/// (`require_admin`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tokens))
        .routes(routes!(tokens_csv))
        .routes(routes!(batch_by_filter))
        .routes(routes!(lookup))
        .routes(routes!(audit_csv))
        .routes(routes!(members, add_member))
        .routes(routes!(remove_member))
        .routes(routes!(set_member_role))
        .routes(routes!(set_policy))
        .routes(routes!(summary))
        .routes(routes!(audit))
}

/// Reads the tokens page's query string; a bad value is a problem naming its parameter.
pub fn page_query(raw: Option<&str>) -> AppResult<TokenPageQuery> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    TokenPageQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|(field, invalid)| AppError::field(&field, invalid))
}

/// The admin list's filter and sort in the query string, as the document describes them; the
/// handlers read them with `TokenPageQuery::from_pairs`, and a test holds the two together.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct TokenFilterParams {
    owner: Option<String>,
    status: Option<TokenStatus>,
    expiring_within_days: Option<u32>,
    never_used: Option<bool>,
    unused_for_days: Option<u32>,
    /// Part of the name, any case.
    q: Option<String>,
    /// The last characters of a refresh token, as the list shows them.
    hint: Option<String>,
    /// Tokens that carry this permission, those of every permission among them.
    permission: Option<String>,
    sort: Option<SortField>,
    dir: Option<SortDir>,
}

/// The admin list's paging in the query string.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct TokenPagingParams {
    /// 50 or 100.
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    after: Option<String>,
    /// `exact` counts every match; without it the total stops at 5,000 (`total_capped`).
    count: Option<String>,
}

/// The audit trail's filter in the query string (`AuditQuery`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct AuditFilterParams {
    actor: Option<String>,
    owner: Option<String>,
    action: Option<AuditAction>,
    /// `true`: only the alarms (reuse detected, sign-in bursts).
    alarms: Option<bool>,
    /// One token's events.
    token: Option<String>,
    #[param(format = DateTime)]
    from: Option<String>,
    #[param(format = DateTime)]
    to: Option<String>,
}

/// Every token of the workspace under a filter and sort, one keyset page at a time, with the
/// total that match. The query string is `TokenPageQuery`'s.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/tokens", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), TokenFilterParams, TokenPagingParams),
    responses((status = 200, body = TokenPage), answer::BadRequest, answer::Forbidden, answer::NotFound))]
async fn tokens(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<TokenPage>> {
    let query = page_query(raw.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    admin::token_page(&mut conn, &ws, &session.user_id, &query, limit, true)
        .await?
        .map(Json)
        .map_err(|_| AppError::field("after", Invalid::InvalidType))
}

/// The counts at the top of the Admins page.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/tokens/summary", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)),
    responses((status = 200, body = TokenSummary), answer::Forbidden, answer::NotFound))]
async fn summary(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> AppResult<Json<TokenSummary>> {
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    Ok(Json(admin::summary(&mut conn, &ws, &session.user_id).await?))
}

/// The audit trail, newest first, filtered and keyset-paged.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/audit", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), AuditFilterParams, ("limit" = Option<u32>, Query), ("after" = Option<String>, Query)),
    responses((status = 200, body = AuditPage), answer::BadRequest, answer::Forbidden, answer::NotFound))]
async fn audit(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<AuditPage>> {
    let Query(query) = query?;
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    admin::audit_page(&mut conn, &ws, &session.user_id, &query, true)
        .await?
        .map(Json)
        .map_err(|_| AppError::field("after", Invalid::InvalidType))
}

/// Disable or delete every token a filter matches, as counted at `as_of`: the filter is
/// re-applied in the statement that acts, and a changed count changes nothing (409).
#[utoipa::path(post, path = "/workspaces/{ws}/admin/tokens/batch-by-filter", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), request_body = FilterActionRequest,
    responses((status = 200, body = BatchResult), answer::BadRequest, answer::Forbidden, answer::NotFound,
        answer::Conflict))]
async fn batch_by_filter(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<FilterActionRequest>,
) -> AppResult<Json<BatchResult>> {
    let reason = validate::reason(body.reason.as_deref()).map_err(|e| AppError::field("reason", e))?;
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let acting = Acting::by(ip.as_deref(), reason.as_deref());
    match admin::act_on_filter(&mut tx, &ws, &session.user_id, &body, acting).await? {
        Ok(results) => {
            tx.commit().await?;
            Ok(Json(BatchResult { results }))
        }
        Err(now_matching) => Err(AppError::Conflict(format!(
            "{now_matching} tokens match now, not {}; nothing was changed. Review the count and confirm again.",
            body.expected_count
        ))),
    }
}

/// Find whose a pasted refresh token is, in this workspace only. The format and checksum are
/// checked first: a malformed string costs no lookup.
#[utoipa::path(post, path = "/workspaces/{ws}/admin/tokens/lookup", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), request_body = LookupRequest,
    responses((status = 200, body = LookupResult), answer::BadRequest, answer::Forbidden, answer::NotFound))]
async fn lookup(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<LookupRequest>,
) -> AppResult<Json<LookupResult>> {
    let presented = body.token.trim();
    token_format::check(presented).map_err(|_| AppError::field("token", Invalid::InvalidType))?;
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    let (token, current) = admin::lookup(&mut conn, &ws, &session.user_id, presented)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(LookupResult { token, current }))
}

/// Rows read per query while streaming an export.
const EXPORT_CHUNK: u32 = 500;

fn csv_response(filename: String, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A CSV body: the header line, then each page's lines, fetched one page at a time while the
/// client reads. `page` returns a page's lines and the query of the next page, if any.
fn csv_stream<Q, F, Fut>(header: String, first: Q, page: F) -> Body
where
    Q: Send + 'static,
    F: Fn(Q) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = sqlx::Result<Option<(String, Option<Q>)>>> + Send,
{
    let start = Some((first, format!("{}{header}", csv::BOM)));
    // Fused: a reader may poll again after the end (the compression layer does), and `unfold`
    // panics when it is.
    Body::from_stream(futures_util::StreamExt::fuse(futures_util::stream::unfold(
        start,
        move |step| {
            let page = page.clone();
            async move {
                let (query, mut chunk) = step?;
                match page(query).await {
                    Ok(Some((lines, next))) => {
                        chunk.push_str(&lines);
                        Some((
                            Ok::<_, std::io::Error>(Bytes::from(chunk)),
                            next.map(|q| (q, String::new())),
                        ))
                    }
                    Ok(None) => None,
                    Err(e) => Some((Err(std::io::Error::other(e)), None)),
                }
            }
        },
    )))
}

fn token_line(t: &token_api::tokens::TokenView) -> String {
    let status = t.status.as_str();
    let disabled_by = t.disabled_by.as_ref().map(|p| p.email.as_str()).unwrap_or("");
    csv::line([
        t.id.as_str(),
        &t.name,
        &t.owner.name,
        &t.owner.email,
        status,
        &time(Some(t.created_at)),
        &time(Some(t.expires_at)),
        &time(t.last_used_at),
        &time(t.disabled_at),
        disabled_by,
        &t.hint,
        if t.all_permissions { "all" } else { "" },
        &t.permissions.join(" "),
        &t.ranges.join(" "),
    ])
}

fn audit_line(e: &token_api::audit::AuditEvent) -> String {
    let email = |p: &Option<Person>| p.as_ref().map(|p| p.email.clone()).unwrap_or_default();
    csv::line([
        time(Some(e.at)).as_str(),
        e.action.as_str(),
        &email(&e.actor),
        &email(&e.owner),
        e.token_id.as_deref().unwrap_or(""),
        e.token_name.as_deref().unwrap_or(""),
        e.ip.as_deref().unwrap_or(""),
        e.reason.as_deref().unwrap_or(""),
        e.other_token.as_ref().map_or("", |o| o.id.as_str()),
        e.other_token.as_ref().map_or("", |o| o.name.as_str()),
        &time(e.until),
    ])
}

/// The tokens matching the list's filter, as CSV, streamed a chunk at a time.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/tokens.csv", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), TokenFilterParams),
    responses((status = 200, content_type = "text/csv", body = String), answer::BadRequest, answer::Forbidden,
        answer::NotFound))]
async fn tokens_csv(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let mut query = page_query(raw.as_deref())?;
    query.after = None;
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let header = csv::line([
        "id",
        "name",
        "owner_name",
        "owner_email",
        "status",
        "created_at",
        "expires_at",
        "last_used_at",
        "disabled_at",
        "disabled_by",
        "hint",
        "all_permissions",
        "permissions",
        "ranges",
    ]);
    let (user, filename) = (
        session.user_id,
        format!("tokens-{ws}-{}.csv", chrono::Utc::now().format("%Y-%m-%d")),
    );
    let body = csv_stream(header, query, move |query: TokenPageQuery| {
        let (state, ws, user) = (state.clone(), ws.clone(), user.clone());
        async move {
            let mut conn = state.db.pool.acquire().await?;
            let Ok(page) = admin::token_page(&mut conn, &ws, &user, &query, EXPORT_CHUNK, false).await? else {
                return Ok(None);
            };
            let lines: String = page.tokens.iter().map(token_line).collect();
            Ok(Some((
                lines,
                page.next_cursor.map(|after| TokenPageQuery {
                    after: Some(after),
                    ..query
                }),
            )))
        }
    });
    Ok(csv_response(filename, body))
}

/// The audit trail under its filter, as CSV, streamed a chunk at a time.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/audit.csv", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), AuditFilterParams),
    responses((status = 200, content_type = "text/csv", body = String), answer::BadRequest, answer::Forbidden,
        answer::NotFound))]
async fn audit_csv(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Response> {
    let Query(mut query) = query?;
    query.after = None;
    query.limit = Some(EXPORT_CHUNK);
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let header = csv::line([
        "at",
        "action",
        "actor_email",
        "owner_email",
        "token_id",
        "token_name",
        "ip",
        "reason",
        "other_token_id",
        "other_token_name",
        "until",
    ]);
    let (user, filename) = (
        session.user_id,
        format!("audit-{ws}-{}.csv", chrono::Utc::now().format("%Y-%m-%d")),
    );
    let body = csv_stream(header, query, move |query: AuditQuery| {
        let (state, ws, user) = (state.clone(), ws.clone(), user.clone());
        async move {
            let mut conn = state.db.pool.acquire().await?;
            let Ok(page) = admin::audit_page(&mut conn, &ws, &user, &query, false).await? else {
                return Ok(None);
            };
            let lines: String = page.events.iter().map(audit_line).collect();
            Ok(Some((
                lines,
                page.next_cursor.map(|after| AuditQuery {
                    after: Some(after),
                    ..query
                }),
            )))
        }
    });
    Ok(csv_response(filename, body))
}

/// Add a person new to the service to the workspace with a role (admins): the answer carries
/// the link that sets their password, once, within 72 hours (this answer only). The account is
/// managed by this workspace: it joins no other until the operator takes it over (the admin
/// may hold its password). A former member an admin here removed comes back with their own
/// password and no link; their tokens stay disabled. Anyone else who has an account is refused
/// naming `email` (`already_member`, or `has_account`: the operator adds existing accounts).
/// Audited as `member_added`.
#[utoipa::path(post, path = "/workspaces/{ws}/admin/members", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), request_body = AddMemberRequest,
    responses((status = 200, body = AddedMember), answer::BadRequest, answer::Forbidden, answer::NotFound))]
async fn add_member(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<AddMemberRequest>,
) -> AppResult<(Extension<Secret>, Json<AddedMember>)> {
    let (email, name) =
        validate::person(&body.email, body.name.as_deref()).map_err(|(field, e)| AppError::field(field, e))?;
    {
        let mut conn = state.db.pool.acquire().await?;
        require_admin(&mut conn, &ws, &session.user_id).await?;
    }
    let added = onboarding::add_user(
        &state.db.writer,
        (&email, &name),
        &ws,
        body.role,
        None,
        onboarding::AddedBy::Admin {
            id: &session.user_id,
            ip: ip.as_deref(),
        },
    )
    .await
    .map_err(|e| match e {
        onboarding::AddError::Exists { member_here: true } => AppError::field("email", Invalid::AlreadyMember),
        onboarding::AddError::Exists { member_here: false } => AppError::field("email", Invalid::HasAccount),
        onboarding::AddError::Lookalike(_) => AppError::field("email", Invalid::Lookalike),
        onboarding::AddError::NotAdmin => AppError::Forbidden("admins only"),
        onboarding::AddError::Database(e) => AppError::from(e),
        other => AppError::Internal(other.into()),
    })?;
    let back = added.existing.is_some();
    tracing::info!(admin = %session.user_id, member = %added.user_id, role = body.role.as_str(), back, "a member was added");
    Ok((
        Extension(Secret),
        Json(AddedMember {
            member: Person {
                id: added.user_id,
                email,
                name: added.name,
            },
            role: body.role,
            set_password_link: added
                .setup_secret
                .map(|secret| format!("{}{SET_PASSWORD_PATH}#{secret}", state.config.issuer())),
        }),
    ))
}

/// The workspace's members (for the owner filter's type-ahead and the Members tab), and how
/// they sign in: the workspace's identity provider, if it has one.
#[utoipa::path(get, path = "/workspaces/{ws}/admin/members", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), responses((status = 200, body = MemberList), answer::Forbidden, answer::NotFound))]
async fn members(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> AppResult<Json<MemberList>> {
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    let mut list = members::list(&mut conn, &ws).await?;
    drop(conn);
    list.sso = crate::store::sso::summary(&state.db.pool, &ws)
        .await?
        .as_ref()
        .map(Into::into);
    list.scim = crate::store::provisioning::status(&state.db.pool, &ws).await?;
    Ok(Json(list))
}

/// Change a member's role (admins). The last admin cannot become a member (409); setting the
/// role they have changes nothing. Audited as `role_changed`, from what to what.
#[utoipa::path(put, path = "/workspaces/{ws}/admin/members/{user}/role", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("user" = String, Path)), request_body = MemberRole,
    responses((status = 200, body = MemberRole), answer::BadRequest, answer::Forbidden, answer::NotFound,
        answer::Conflict))]
async fn set_member_role(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<MemberRole>,
) -> AppResult<Json<MemberRole>> {
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    match members::set_role(&mut tx, &ws, &session.user_id, &user, body.role, ip.as_deref()).await? {
        Ok(changed) => {
            tx.commit().await?;
            if changed {
                tracing::info!(admin = %session.user_id, member = %user, role = body.role.as_str(), "a member's role was changed");
            }
            Ok(Json(body))
        }
        Err(members::NotRemoved::NotFound) => Err(AppError::NotFound),
        Err(members::NotRemoved::LastAdmin) => Err(last_admin()),
    }
}

/// The refusal to leave a workspace without an admin.
fn last_admin() -> AppError {
    AppError::Conflict("they are the workspace's last admin: make someone else an admin first".to_owned())
}

/// Set the workspace's policy for new tokens: the longest lifetime, who may generate tokens, the
/// most active tokens per member, the catalogue of permissions, whether a token may carry them
/// all, which of them members may choose, and the ranges tokens must stay inside. Existing tokens are not touched; the change is audited
/// (`policy_changed`, from what to what). A bad value is refused naming its field.
#[utoipa::path(put, path = "/workspaces/{ws}/admin/policy", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), request_body = WorkspacePolicy,
    responses((status = 200, body = WorkspacePolicy), answer::BadRequest, answer::Forbidden, answer::NotFound))]
async fn set_policy(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<WorkspacePolicy>,
) -> AppResult<Json<WorkspacePolicy>> {
    body.check().map_err(|(field, e)| AppError::field(field, e))?;
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let set = policy::set(&mut tx, &ws, Actor::Person(&session.user_id), &body, ip.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    tracing::info!(admin = %session.user_id, workspace = %ws, "the workspace policy was changed");
    Ok(Json(set))
}

/// Remove a member from the workspace (offboarding): their active tokens are disabled at once
/// and marked as their owner's leaving (kept, never deleted, in the list and the audit trail),
/// and their access tokens are refused by the resource endpoint and reported inactive by
/// introspection from that moment. The last admin cannot be removed (409).
#[utoipa::path(delete, path = "/workspaces/{ws}/admin/members/{user}", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("user" = String, Path)),
    responses((status = 200, body = RemovedMember), answer::Forbidden, answer::NotFound, answer::Conflict))]
async fn remove_member(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, user)): Path<(String, String)>,
) -> AppResult<Json<RemovedMember>> {
    require_admin(&mut *state.db.pool.acquire().await?, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    match members::remove(&mut tx, &ws, &session.user_id, &user, ip.as_deref()).await? {
        Ok(disabled) => {
            tx.commit().await?;
            tracing::info!(admin = %session.user_id, member = %user, disabled, "a member was removed");
            Ok(Json(RemovedMember { disabled }))
        }
        Err(members::NotRemoved::NotFound) => Err(AppError::NotFound),
        Err(members::NotRemoved::LastAdmin) => Err(last_admin()),
    }
}
