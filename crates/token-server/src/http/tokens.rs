//! Tokens: a member's own (`/workspaces/{ws}/tokens`) and, for admins, every token of the
//! workspace (`/workspaces/{ws}/admin/tokens`). Disable, delete and batches are one set of
//! handlers for both; `ADMIN` picks the scope.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use sqlx::AnyConnection;
use token_api::admin::ActionRequest;
use token_api::audit::AuditQuery;
use token_api::audit::TokenHistory;
use token_api::auth::Role;
use token_api::tokens::{
    BatchAction, BatchItem, BatchOutcome, BatchRequest, BatchResult, CreateTokenRequest, CreatedToken,
    EditTokenRequest, TokenList, TokenView, ACCESS_TOKEN_TTL_SECS,
};
use token_api::validate::{self, Invalid};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use super::Secret;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ClientIp, OptionalJson, Session};
use crate::store::admin;
use crate::store::tokens::{self, Acting, NewGrant, NotCreated, Scope};
use crate::store::users;
use crate::AppState;

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(batch_own))
        .routes(routes!(disable_own))
        .routes(routes!(delete_own))
        .routes(routes!(batch_any))
        .routes(routes!(disable_any))
        .routes(routes!(delete_any))
        .routes(routes!(history))
        .routes(routes!(edit))
}

fn description_error(e: Invalid) -> AppError {
    match e {
        Invalid::TooLong => AppError::field_detail(
            "description",
            e,
            format!("must be at most {} characters", validate::DESCRIPTION_MAX_CHARS),
        ),
        e => AppError::field("description", e),
    }
}

/// Change a token's description (its owner only). Answers the token as listed.
#[utoipa::path(patch, path = "/workspaces/{ws}/tokens/{id}", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path), ("id" = String, Path)), request_body = EditTokenRequest,
    responses((status = 200, body = TokenView), answer::BadRequest, answer::NotFound))]
async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path((ws, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EditTokenRequest>,
) -> AppResult<Json<TokenView>> {
    let description = validate::description(body.description.as_deref()).map_err(description_error)?;
    let scope = Scope::Own {
        workspace_id: &ws,
        user_id: &session.user_id,
    };
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    if !tokens::describe(&mut tx, scope, &id, description.as_deref()).await? {
        return Err(AppError::NotFound);
    }
    let token = tokens::get(&mut tx, scope, &id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(token))
}

/// One token's history, newest first, fifty events a page: created, refreshed (from where),
/// disabled (by whom, why), deleted. For its owner, and for the workspace's admins; anyone else
/// gets the 404 of a token that does not exist.
#[utoipa::path(get, path = "/workspaces/{ws}/tokens/{id}/history", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path), ("id" = String, Path), ("after" = Option<String>, Query)),
    responses((status = 200, body = TokenHistory), answer::BadRequest, answer::NotFound))]
async fn history(
    State(state): State<AppState>,
    session: Session,
    Path((ws, id)): Path<(String, String)>,
    paging: Result<Query<HistoryPaging>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<TokenHistory>> {
    let Query(paging) = paging?;
    let mut conn = state.db.pool.acquire().await?;
    let user = session.user_id.as_str();
    let admin = tokens::get(
        &mut conn,
        Scope::Admin {
            workspace_id: &ws,
            user_id: user,
        },
        &id,
    )
    .await?
    .is_some();
    if !admin {
        tokens::get(
            &mut conn,
            Scope::Own {
                workspace_id: &ws,
                user_id: user,
            },
            &id,
        )
        .await?
        .ok_or(AppError::NotFound)?;
    }
    let query = AuditQuery {
        token: Some(id.clone()),
        limit: Some(50),
        after: paging.after,
        ..AuditQuery::default()
    };
    let first = query.after.is_none();
    let mut page = admin::audit_page(&mut conn, &ws, user, &query, false)
        .await?
        .map_err(|_| AppError::field("after", Invalid::InvalidType))?;
    // A member sees where their own actions and their token's refreshes came from, never an
    // admin's address.
    if !admin {
        for event in &mut page.events {
            if event.actor.as_ref().is_some_and(|a| a.id != user) {
                event.ip = None;
            }
        }
    }
    let last_refresh = match first {
        true => tokens::last_refresh(&mut conn, &id).await?,
        false => None,
    };
    Ok(Json(TokenHistory {
        events: page.events,
        next_cursor: page.next_cursor,
        last_refresh,
    }))
}

/// A history page's place: the `next_cursor` of the page before.
#[derive(serde::Deserialize)]
struct HistoryPaging {
    after: Option<String>,
}

/// The scope of a route: the user's own tokens, or the workspace's for its admins.
fn scope<'a, const ADMIN: bool>(workspace_id: &'a str, user_id: &'a str) -> Scope<'a> {
    if ADMIN {
        Scope::Admin { workspace_id, user_id }
    } else {
        Scope::Own { workspace_id, user_id }
    }
}

/// Admin routes answer a member 403 and a stranger to the workspace 404, before any work; the
/// statements check again.
pub async fn require_admin(conn: &mut AnyConnection, workspace_id: &str, user_id: &str) -> AppResult<()> {
    match users::role_in(conn, workspace_id, user_id).await? {
        Some(Role::Admin) => Ok(()),
        Some(Role::Member) => Err(AppError::Forbidden("only admins of this workspace may do this")),
        None => Err(AppError::NotFound),
    }
}

async fn check_scope<const ADMIN: bool>(state: &AppState, ws: &str, user: &str) -> AppResult<()> {
    if ADMIN {
        require_admin(&mut *state.db.pool.acquire().await?, ws, user).await?;
    }
    Ok(())
}

/// The signed-in user's own tokens in the workspace, newest first.
#[utoipa::path(get, path = "/workspaces/{ws}/tokens", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path, description = "workspace id")),
    responses((status = 200, body = TokenList), answer::NotFound))]
async fn list(State(state): State<AppState>, session: Session, Path(ws): Path<String>) -> AppResult<Json<TokenList>> {
    let mut conn = state.db.pool.acquire().await?;
    // Not a member: the same 404 as a workspace that does not exist.
    tokens::client_id_for_member(&mut conn, &ws, &session.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tokens = tokens::list(
        &mut conn,
        Scope::Own {
            workspace_id: &ws,
            user_id: &session.user_id,
        },
    )
    .await?;
    Ok(Json(TokenList { tokens }))
}

/// Generate a token, within the workspace's policy (403 admins only, 409 at the active-token
/// limit, 400 `above_policy` past the longest lifetime); or regenerate one (`replaces`). The
/// only response that ever holds its secrets; served `no-store`.
#[utoipa::path(post, path = "/workspaces/{ws}/tokens", tag = "tokens", security(("session" = [])),
    params(("ws" = String, Path, description = "workspace id")), request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), answer::BadRequest, answer::Forbidden, answer::NotFound,
        answer::Conflict))]
async fn create(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> AppResult<(StatusCode, Extension<Secret>, Json<CreatedToken>)> {
    let name = validate::token_name(&body.name).map_err(|e| AppError::field("name", e))?;
    let description = validate::description(body.description.as_deref()).map_err(description_error)?;
    let lifetime =
        validate::lifetime_days(i64::from(body.lifetime_days)).map_err(|e| AppError::field("lifetime_days", e))?;
    let user = session.user_id.as_str();
    // Read before the transaction: on SQLite one that reads first cannot wait for the write lock.
    let client_id = tokens::client_id_for_member(&mut *state.db.pool.acquire().await?, &ws, user)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let new = NewGrant {
        name: &name,
        lifetime_days: lifetime,
        description: description.as_deref(),
        replaces: body.replaces.as_ref(),
        all_permissions: body.all_permissions,
        permissions: &body.permissions,
        ranges: &body.ranges,
    };
    let created = match tokens::create(&mut tx, &ws, user, new, ip.as_deref()).await? {
        Ok(created) => created,
        Err(NotCreated::NotMember) => return Err(AppError::NotFound),
        Err(NotCreated::AdminsOnly) => {
            return Err(AppError::Forbidden(
                "this workspace's policy lets only its admins generate tokens",
            ))
        }
        Err(NotCreated::AboveMaxLifetime(max)) => {
            return Err(AppError::field_detail(
                "lifetime_days",
                Invalid::AbovePolicy,
                format!("this workspace's policy allows at most {max} days"),
            ))
        }
        Err(NotCreated::NothingToReplace) => {
            return Err(AppError::field_detail(
                "replaces",
                Invalid::Expired,
                "is not one of your tokens here, or is disabled".to_owned(),
            ))
        }
        Err(NotCreated::Refused(field, why)) => return Err(AppError::field(field, why)),
        Err(NotCreated::TooManyActive(cap)) => {
            return Err(AppError::Conflict(format!(
                "this workspace's policy allows {cap} active tokens per member, and you have {cap}: disable one first"
            )))
        }
    };
    let token = tokens::get(
        &mut tx,
        Scope::Own {
            workspace_id: &ws,
            user_id: user,
        },
        &created.id,
    )
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("created grant not found")))?;
    tx.commit().await?;
    let access_token = state.issue_access_token(user, &ws, &client_id, &created.id, created.carries);
    Ok((
        StatusCode::CREATED,
        Extension(Secret),
        Json(CreatedToken {
            token,
            access_token,
            refresh_token: created.refresh_token,
            token_type: "Bearer".into(),
            expires_in: ACCESS_TOKEN_TTL_SECS,
        }),
    ))
}

/// One route's documented handler over the shared one: `$scope` is `false` for the user's own
/// tokens and `true` for an admin's view of the workspace.
macro_rules! scoped {
    ($(#[$doc:meta])* $name:ident = $inner:ident::<$scope:literal>($($arg:ident: $ty:ty),*) -> $out:ty) => {
        $(#[$doc])*
        async fn $name($($arg: $ty),*) -> $out {
            $inner::<$scope>($($arg),*).await
        }
    };
}

scoped!(
    /// Disable one of the user's tokens: irreversible, and a second disable changes nothing.
    /// Access tokens already issued work until they expire.
    #[utoipa::path(post, path = "/workspaces/{ws}/tokens/{id}/disable", tag = "tokens", security(("session" = [])),
        params(("ws" = String, Path), ("id" = String, Path)), request_body(content = Option<ActionRequest>),
        responses((status = 200, body = TokenView), answer::BadRequest, answer::NotFound))]
    disable_own = disable::<false>(s: State<AppState>, u: Session, ip: ClientIp, p: Path<(String, String)>, b: OptionalJson<ActionRequest>) -> AppResult<Json<TokenView>>
);
scoped!(
    /// Disable any token of the workspace (admins), with an optional reason for the audit trail.
    #[utoipa::path(post, path = "/workspaces/{ws}/admin/tokens/{id}/disable", tag = "admin", security(("session" = [])),
        params(("ws" = String, Path), ("id" = String, Path)), request_body(content = Option<ActionRequest>),
        responses((status = 200, body = TokenView), answer::BadRequest, answer::Forbidden, answer::NotFound))]
    disable_any = disable::<true>(s: State<AppState>, u: Session, ip: ClientIp, p: Path<(String, String)>, b: OptionalJson<ActionRequest>) -> AppResult<Json<TokenView>>
);
scoped!(
    /// Delete one of the user's tokens.
    #[utoipa::path(delete, path = "/workspaces/{ws}/tokens/{id}", tag = "tokens", security(("session" = [])),
        params(("ws" = String, Path), ("id" = String, Path)), request_body(content = Option<ActionRequest>),
        responses((status = 204), answer::BadRequest, answer::NotFound))]
    delete_own = remove::<false>(s: State<AppState>, u: Session, ip: ClientIp, p: Path<(String, String)>, b: OptionalJson<ActionRequest>) -> AppResult<StatusCode>
);
scoped!(
    /// Delete any token of the workspace (admins).
    #[utoipa::path(delete, path = "/workspaces/{ws}/admin/tokens/{id}", tag = "admin", security(("session" = [])),
        params(("ws" = String, Path), ("id" = String, Path)), request_body(content = Option<ActionRequest>),
        responses((status = 204), answer::BadRequest, answer::Forbidden, answer::NotFound))]
    delete_any = remove::<true>(s: State<AppState>, u: Session, ip: ClientIp, p: Path<(String, String)>, b: OptionalJson<ActionRequest>) -> AppResult<StatusCode>
);
scoped!(
    /// Disable or delete up to 1,000 of the user's tokens, with an outcome per id.
    ///
    /// In a workspace the user is not a member of, every id is not found: no 404.
    #[utoipa::path(post, path = "/workspaces/{ws}/tokens/batch", tag = "tokens", security(("session" = [])),
        params(("ws" = String, Path)), request_body = BatchRequest,
        responses((status = 200, body = BatchResult), answer::BadRequest))]
    batch_own = batch::<false>(s: State<AppState>, u: Session, ip: ClientIp, p: Path<String>, b: ApiJson<BatchRequest>) -> AppResult<Json<BatchResult>>
);
scoped!(
    /// Disable or delete up to 1,000 tokens of the workspace (admins), with an outcome per id.
    #[utoipa::path(post, path = "/workspaces/{ws}/admin/tokens/batch", tag = "admin", security(("session" = [])),
        params(("ws" = String, Path)), request_body = BatchRequest,
        responses((status = 200, body = BatchResult), answer::BadRequest, answer::Forbidden, answer::NotFound))]
    batch_any = batch::<true>(s: State<AppState>, u: Session, ip: ClientIp, p: Path<String>, b: ApiJson<BatchRequest>) -> AppResult<Json<BatchResult>>
);

fn reason(raw: Option<&str>) -> AppResult<Option<String>> {
    validate::reason(raw).map_err(|e| AppError::field("reason", e))
}

async fn disable<const ADMIN: bool>(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<ActionRequest>,
) -> AppResult<Json<TokenView>> {
    let reason = reason(body.reason.as_deref())?;
    check_scope::<ADMIN>(&state, &ws, &session.user_id).await?;
    let scope = scope::<ADMIN>(&ws, &session.user_id);
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let acting = Acting::by(ip.as_deref(), reason.as_deref());
    let outcome = tokens::disable(&mut tx, scope, &id, acting).await?;
    let view = match outcome {
        BatchOutcome::NotFound => None,
        _ => tokens::get(&mut tx, scope, &id).await?,
    };
    tx.commit().await?;
    view.map(Json).ok_or(AppError::NotFound)
}

async fn remove<const ADMIN: bool>(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<ActionRequest>,
) -> AppResult<StatusCode> {
    let reason = reason(body.reason.as_deref())?;
    check_scope::<ADMIN>(&state, &ws, &session.user_id).await?;
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let acting = Acting::by(ip.as_deref(), reason.as_deref());
    let outcome = tokens::delete(&mut tx, scope::<ADMIN>(&ws, &session.user_id), &id, acting).await?;
    tx.commit().await?;
    match outcome {
        BatchOutcome::NotFound => Err(AppError::NotFound),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

async fn batch<const ADMIN: bool>(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<BatchRequest>,
) -> AppResult<Json<BatchResult>> {
    validate::batch_ids(&body.ids).map_err(|e| AppError::field("ids", e))?;
    let reason = reason(body.reason.as_deref())?;
    check_scope::<ADMIN>(&state, &ws, &session.user_id).await?;
    let results = run_batch(
        &state,
        scope::<ADMIN>(&ws, &session.user_id),
        body.action,
        body.ids,
        Acting::by(ip.as_deref(), reason.as_deref()),
    )
    .await?;
    Ok(Json(BatchResult { results }))
}

/// Applies one action to many ids in one transaction, with an outcome per id, in order.
pub async fn run_batch(
    state: &AppState,
    scope: Scope<'_>,
    action: BatchAction,
    ids: Vec<String>,
    acting: Acting<'_>,
) -> AppResult<Vec<BatchItem>> {
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = match action {
            BatchAction::Disable => tokens::disable(&mut tx, scope, &id, acting).await?,
            BatchAction::Delete => tokens::delete(&mut tx, scope, &id, acting).await?,
        };
        results.push(BatchItem { id, outcome });
    }
    tx.commit().await?;
    Ok(results)
}
