//! The refresh grant: check and rotate in one statement, and what a rotated-out token means.

use sqlx::AnyConnection;

use super::audit::{record_change, Acting, Action, GrantRow, RETURNING_GRANT};
use crate::{db, secrets};

const REUSE: &str = "refresh token reuse detected";
const REVOKED: &str = "revoked by the client";

/// The grant a refresh token was exchanged for, with its new refresh token (the only copy).
#[derive(Debug)]
pub struct Rotated {
    pub grant_id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub refresh_token: String,
}

/// Why a refresh token was refused. All of them are `invalid_grant` to the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Unknown, expired, disabled, deleted, or for another workspace.
    Invalid,
    /// A refresh token that was already rotated out: the grant is now disabled.
    Reused,
}

/// Exchanges `presented` for a new refresh token, if it is the grant's current one, the grant
/// is active, and it belongs to the workspace of `client_id`. The check and the rotation are
/// one UPDATE, so of many concurrent exchanges of one token exactly one wins.
pub async fn rotate(
    conn: &mut AnyConnection,
    client_id: &str,
    presented: &str,
    ip: Option<&str>,
) -> sqlx::Result<Result<Rotated, Refused>> {
    let old = secrets::digest(presented);
    let new = secrets::new_refresh_token();
    let now = db::now_ms();
    let sql = format!(
        "UPDATE grants SET refresh_digest = $1, refresh_hint = $2, last_used_at = $3
         WHERE refresh_digest = $4 AND disabled_at IS NULL AND expires_at > $3
           AND workspace_id = (SELECT w.id FROM workspaces w WHERE w.client_id = $5) {RETURNING_GRANT}"
    );
    let row: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(secrets::digest(&new))
        .bind(token_api::token_format::hint(&new))
        .bind(now)
        .bind(&old)
        .bind(client_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(grant) = row else {
        return Ok(Err(reuse_check(conn, &old, ip).await?));
    };
    sqlx::query("INSERT INTO rotated_refresh_tokens (digest, grant_id, rotated_at) VALUES ($1, $2, $3)")
        .bind(&old)
        .bind(&grant.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    record_change(conn, Action::Refreshed, &grant, None, Acting { ip, reason: None }).await?;
    let (grant_id, workspace_id, user_id, _) = grant;
    Ok(Ok(Rotated {
        grant_id,
        workspace_id,
        user_id,
        refresh_token: new,
    }))
}

/// A token that is not current may be one rotated out earlier: then someone replays it (RFC
/// 9700 §4.14.2), and the whole grant is disabled.
async fn reuse_check(conn: &mut AnyConnection, digest: &str, ip: Option<&str>) -> sqlx::Result<Refused> {
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $3
         WHERE disabled_at IS NULL AND id = (SELECT r.grant_id FROM rotated_refresh_tokens r WHERE r.digest = $2)
         {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(db::now_ms())
        .bind(digest)
        .bind(REUSE)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(grant) = disabled else {
        let rotated: Option<(String,)> =
            sqlx::query_as("SELECT grant_id FROM rotated_refresh_tokens WHERE digest = $1")
                .bind(digest)
                .fetch_optional(&mut *conn)
                .await?;
        return Ok(if rotated.is_some() {
            Refused::Reused
        } else {
            Refused::Invalid
        });
    };
    tracing::warn!(grant = %grant.0, "refresh token reuse detected; grant disabled");
    record_change(
        conn,
        Action::ReuseDetected,
        &grant,
        None,
        Acting {
            ip,
            reason: Some(REUSE),
        },
    )
    .await?;
    Ok(Refused::Reused)
}

/// The active grant a current refresh token belongs to, in the workspace of `client_id`.
#[derive(Debug)]
pub struct Found {
    pub grant_id: String,
    pub user_id: String,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Looks up an active grant by its current refresh token, within one workspace.
pub async fn find_active(conn: &mut AnyConnection, workspace_id: &str, presented: &str) -> sqlx::Result<Option<Found>> {
    let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT g.id, g.user_id, u.email, g.created_at, g.expires_at FROM grants g JOIN users u ON u.id = g.user_id
         WHERE g.refresh_digest = $1 AND g.workspace_id = $2 AND g.disabled_at IS NULL AND g.expires_at > $3",
    )
    .bind(secrets::digest(presented))
    .bind(workspace_id)
    .bind(db::now_ms())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(grant_id, user_id, email, created_at, expires_at)| Found {
        grant_id,
        user_id,
        email,
        created_at,
        expires_at,
    }))
}

/// Revocation (RFC 7009) of a current refresh token by its workspace's client: disables the
/// grant. Unknown and already revoked tokens change nothing.
pub async fn revoke(conn: &mut AnyConnection, client_id: &str, presented: &str, ip: Option<&str>) -> sqlx::Result<()> {
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $4
         WHERE refresh_digest = $2 AND disabled_at IS NULL
           AND workspace_id = (SELECT w.id FROM workspaces w WHERE w.client_id = $3) {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(db::now_ms())
        .bind(secrets::digest(presented))
        .bind(client_id)
        .bind(REVOKED)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(grant) = disabled {
        record_change(
            conn,
            Action::Disabled,
            &grant,
            None,
            Acting {
                ip,
                reason: Some(REVOKED),
            },
        )
        .await?;
    }
    Ok(())
}

/// The workspace id and name of a client id.
pub async fn workspace_of_client(conn: &mut AnyConnection, client_id: &str) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT id, name FROM workspaces WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(conn)
        .await
}
