//! SCIM credentials: the bearer secrets a workspace's identity provider provisions its people
//! with (RFC 7644 §2). The operator issues one for a workspace connected to its provider; it is
//! shown once and kept as a digest, reaches that workspace only, and is revoked by its id. Each
//! issue and revocation is audited.

use sqlx::AnyPool;
use token_api::scim::SCIM_CREDENTIAL_PREFIX;

use super::audit::{record_account_event, Acting, Action, Actor};
use crate::{db, secrets};

/// A credential as the operator lists it, and as a request presenting it is known by.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Credential {
    pub id: String,
    pub workspace_id: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

const COLUMNS: &str = "id, workspace_id, created_at, revoked_at, last_used_at, last_error, last_error_at";

/// Why no credential was issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("no workspace has the id {0}")]
    NoSuchWorkspace(String),
    /// Provisioning joins the provider's people to the identities its sign-ins vouch for, in
    /// the domains the workspace claims: without a connection there are neither.
    #[error("the workspace {0} is not connected to an identity provider: connect it first (token-server sso set)")]
    NoProvider(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Issues a credential for a workspace connected to its identity provider, audited: its id and
/// the secret, which is shown once and kept as a digest.
pub async fn issue(pool: &AnyPool, workspace_id: &str) -> Result<(String, String), IssueError> {
    let mut tx = db::begin_write(pool).await?;
    let (known, connected): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM workspaces WHERE id = $1),
                (SELECT COUNT(*) FROM sso_connections WHERE workspace_id = $1)",
    )
    .bind(workspace_id)
    .fetch_one(&mut *tx)
    .await?;
    if known == 0 {
        return Err(IssueError::NoSuchWorkspace(workspace_id.to_owned()));
    }
    if connected == 0 {
        return Err(IssueError::NoProvider(workspace_id.to_owned()));
    }
    let id = format!("sc-{}", secrets::random_id());
    let secret = format!("{SCIM_CREDENTIAL_PREFIX}{}", secrets::random_secret());
    sqlx::query("INSERT INTO scim_credentials (id, workspace_id, digest, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(workspace_id)
        .bind(secrets::digest(&secret))
        .bind(db::now_ms())
        .execute(&mut *tx)
        .await?;
    let reason = format!("{id} issued");
    record_changed(&mut tx, workspace_id, &reason).await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// A workspace's credentials, oldest first, revoked ones too.
pub async fn credentials(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Vec<Credential>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM scim_credentials WHERE workspace_id = $1 ORDER BY created_at, id"
    ))
    .bind(workspace_id)
    .fetch_all(pool)
    .await
}

/// Revokes a credential, audited; the provider's next request with it is refused. `false` when
/// it does not exist or was revoked already.
pub async fn revoke(pool: &AnyPool, id: &str) -> sqlx::Result<bool> {
    let mut tx = db::begin_write(pool).await?;
    let revoked: Option<(String,)> = sqlx::query_as(
        "UPDATE scim_credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING workspace_id",
    )
    .bind(db::now_ms())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((workspace_id,)) = revoked else {
        return Ok(false);
    };
    record_changed(&mut tx, &workspace_id, &format!("{id} revoked")).await?;
    tx.commit().await?;
    Ok(true)
}

/// Revokes every standing credential of the workspace, each audited with `why`: the provider
/// they were issued for is no longer the workspace's.
pub async fn revoke_all(conn: &mut sqlx::AnyConnection, workspace_id: &str, why: &str) -> sqlx::Result<()> {
    let revoked: Vec<(String,)> = sqlx::query_as(
        "UPDATE scim_credentials SET revoked_at = $1 WHERE workspace_id = $2 AND revoked_at IS NULL RETURNING id",
    )
    .bind(db::now_ms())
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    for (id,) in revoked {
        record_changed(conn, workspace_id, &format!("{id} revoked: {why}")).await?;
    }
    Ok(())
}

async fn record_changed(conn: &mut sqlx::AnyConnection, workspace_id: &str, reason: &str) -> sqlx::Result<()> {
    let here = [workspace_id.to_owned()];
    let acting = Acting::by(None, Some(reason));
    record_account_event(
        conn,
        Action::ScimCredentialChanged,
        &here,
        Actor::Operator,
        None,
        acting,
    )
    .await
}

/// How often a credential's last use is written: a provider pushing thousands of people would
/// otherwise write once per request.
const USE_RECORDED_EVERY_MS: i64 = 60_000;

/// The standing credential a presented secret is, its use recorded (to the minute). `None` for
/// anything else: unknown, revoked, or not a SCIM credential at all.
pub async fn credential_of(pool: &AnyPool, secret: &str) -> sqlx::Result<Option<Credential>> {
    if !secret.starts_with(SCIM_CREDENTIAL_PREFIX) {
        return Ok(None);
    }
    let found: Option<Credential> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM scim_credentials WHERE digest = $1 AND revoked_at IS NULL"
    ))
    .bind(secrets::digest(secret))
    .fetch_optional(pool)
    .await?;
    let Some(credential) = found else {
        return Ok(None);
    };
    let now = db::now_ms();
    if credential
        .last_used_at
        .is_none_or(|at| now - at >= USE_RECORDED_EVERY_MS)
    {
        sqlx::query("UPDATE scim_credentials SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&credential.id)
            .execute(pool)
            .await?;
    }
    Ok(Some(credential))
}

/// Records a request the service refused as the credential's last error (what the Admins page
/// shows), cut to 300 characters.
pub async fn record_error(pool: &AnyPool, id: &str, error: &str) -> sqlx::Result<()> {
    let error: String = error.chars().take(300).collect();
    sqlx::query("UPDATE scim_credentials SET last_error = $1, last_error_at = $2 WHERE id = $3")
        .bind(error)
        .bind(db::now_ms())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
