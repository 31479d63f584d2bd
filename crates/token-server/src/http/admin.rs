//! What only workspace admins read: the filtered, paged list of every token, the counts, and the
//! audit trail. Their actions are the shared ones in `tokens`.

use axum::extract::{Path, Query, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use token_api::admin::{
    AuditAction, AuditPage, AuditQuery, SortDir, SortField, TokenPage, TokenPageQuery, TokenSummary,
};
use token_api::problem::Problem;
use token_api::tokens::TokenStatus;
use token_api::validate::Invalid;

use super::tokens::require_admin;
use crate::error::{AppError, AppResult};
use crate::extract::Session;
use crate::store::admin;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces/{ws}/admin/tokens", get(tokens))
        .route("/workspaces/{ws}/admin/tokens/summary", get(summary))
        .route("/workspaces/{ws}/admin/audit", get(audit))
}

/// Reads the tokens page's query string; a bad value is a problem naming its parameter.
pub fn page_query(raw: Option<&str>) -> AppResult<TokenPageQuery> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    TokenPageQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|(field, invalid)| AppError::field(&field, invalid))
}

/// Every token of the workspace under a filter and sort, one keyset page at a time, with the
/// total that match. The query string is `TokenPageQuery`'s.
#[utoipa::path(get, path = "/api/workspaces/{ws}/admin/tokens", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("owner" = Option<String>, Query), ("status" = Option<TokenStatus>, Query),
        ("expiring_within_days" = Option<u32>, Query), ("never_used" = Option<bool>, Query),
        ("unused_for_days" = Option<u32>, Query), ("q" = Option<String>, Query), ("hint" = Option<String>, Query),
        ("sort" = Option<SortField>, Query), ("dir" = Option<SortDir>, Query), ("limit" = Option<u32>, Query),
        ("after" = Option<String>, Query)),
    responses((status = 200, body = TokenPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn tokens(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<TokenPage>> {
    let query = page_query(raw.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    admin::token_page(&mut conn, &ws, &session.user_id, &query)
        .await?
        .map(Json)
        .map_err(|_| AppError::field("after", Invalid::InvalidType))
}

/// The counts at the top of the Admins page.
#[utoipa::path(get, path = "/api/workspaces/{ws}/admin/tokens/summary", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path)), responses((status = 200, body = TokenSummary), (status = 403, body = Problem)))]
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
#[utoipa::path(get, path = "/api/workspaces/{ws}/admin/audit", tag = "admin", security(("session" = [])),
    params(("ws" = String, Path), ("actor" = Option<String>, Query), ("owner" = Option<String>, Query),
        ("action" = Option<AuditAction>, Query), ("from" = Option<String>, Query, format = DateTime),
        ("to" = Option<String>, Query, format = DateTime), ("limit" = Option<u32>, Query), ("after" = Option<String>, Query)),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn audit(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<AuditPage>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        detail: e.body_text(),
        errors: vec![],
    })?;
    let mut conn = state.db.pool.acquire().await?;
    require_admin(&mut conn, &ws, &session.user_id).await?;
    admin::audit_page(&mut conn, &ws, &session.user_id, &query)
        .await?
        .map(Json)
        .map_err(|_| AppError::field("after", Invalid::InvalidType))
}
