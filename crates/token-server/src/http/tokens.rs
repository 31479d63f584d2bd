//! A member's own tokens in one workspace: list, generate, disable, delete, and batches of both.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use token_api::tokens::{
    BatchAction, BatchItem, BatchOutcome, BatchRequest, BatchResult, CreateTokenRequest, CreatedToken, TokenList,
    TokenView, ACCESS_TOKEN_TTL_SECS,
};
use token_api::validate;

use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ClientIp, Session};
use crate::store::tokens::{self, Acting, Scope};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces/{ws}/tokens", get(list).post(create))
        .route("/workspaces/{ws}/tokens/batch", post(batch))
        .route("/workspaces/{ws}/tokens/{id}/disable", post(disable))
        .route("/workspaces/{ws}/tokens/{id}", axum::routing::delete(delete))
}

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

async fn create(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    let name = validate::token_name(&body.name).map_err(|e| AppError::field("name", e))?;
    let lifetime =
        validate::lifetime_days(i64::from(body.lifetime_days)).map_err(|e| AppError::field("lifetime_days", e))?;
    let user = session.user_id.as_str();
    // Read before the transaction: on SQLite one that reads first cannot wait for the write lock.
    let client_id = tokens::client_id_for_member(&mut *state.db.pool.acquire().await?, &ws, user)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.pool.begin().await?;
    let (id, refresh_token) = tokens::create(&mut tx, &ws, user, &name, lifetime, ip.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let token = tokens::get(
        &mut tx,
        Scope::Own {
            workspace_id: &ws,
            user_id: user,
        },
        &id,
    )
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("created grant not found")))?;
    tx.commit().await?;
    let access_token = state.issue_access_token(user, &ws, &client_id, &id);
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: ACCESS_TOKEN_TTL_SECS,
        }),
    ))
}

async fn disable(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
) -> AppResult<Json<TokenView>> {
    let scope = Scope::Own {
        workspace_id: &ws,
        user_id: &session.user_id,
    };
    let mut tx = state.db.pool.begin().await?;
    let outcome = tokens::disable(
        &mut tx,
        scope,
        &id,
        Acting {
            ip: ip.as_deref(),
            reason: None,
        },
    )
    .await?;
    let view = match outcome {
        BatchOutcome::NotFound => None,
        _ => tokens::get(&mut tx, scope, &id).await?,
    };
    tx.commit().await?;
    view.map(Json).ok_or(AppError::NotFound)
}

async fn delete(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path((ws, id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let scope = Scope::Own {
        workspace_id: &ws,
        user_id: &session.user_id,
    };
    let mut tx = state.db.pool.begin().await?;
    let outcome = tokens::delete(
        &mut tx,
        scope,
        &id,
        Acting {
            ip: ip.as_deref(),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    match outcome {
        BatchOutcome::NotFound => Err(AppError::NotFound),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

async fn batch(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(ws): Path<String>,
    ApiJson(body): ApiJson<BatchRequest>,
) -> AppResult<Json<BatchResult>> {
    validate::batch_ids(&body.ids).map_err(|e| AppError::field("ids", e))?;
    let scope = Scope::Own {
        workspace_id: &ws,
        user_id: &session.user_id,
    };
    let acting = Acting {
        ip: ip.as_deref(),
        reason: None,
    };
    let mut tx = state.db.pool.begin().await?;
    let mut results = Vec::with_capacity(body.ids.len());
    for id in body.ids {
        let outcome = match body.action {
            BatchAction::Disable => tokens::disable(&mut tx, scope, &id, acting).await?,
            BatchAction::Delete => tokens::delete(&mut tx, scope, &id, acting).await?,
        };
        results.push(BatchItem { id, outcome });
    }
    tx.commit().await?;
    Ok(Json(BatchResult { results }))
}
