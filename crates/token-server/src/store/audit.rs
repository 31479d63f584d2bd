//! The audit trail: one row for everything done to a token, written in the same transaction.

use sqlx::AnyConnection;

use crate::{db, secrets};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    Disabled,
    Deleted,
    Refreshed,
    /// A rotated-out refresh token was presented again; the grant was disabled.
    ReuseDetected,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Disabled => "disabled",
            Action::Deleted => "deleted",
            Action::Refreshed => "refreshed",
            Action::ReuseDetected => "reuse_detected",
        }
    }
}

/// One event about one grant.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub workspace_id: &'a str,
    pub action: Action,
    pub actor_id: Option<&'a str>,
    pub owner_id: &'a str,
    pub grant_id: &'a str,
    pub grant_name: &'a str,
    pub ip: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// Records the event.
pub async fn record(conn: &mut AnyConnection, e: Event<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, owner_id, grant_id, grant_name, ip, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(secrets::random_id())
    .bind(e.workspace_id)
    .bind(db::now_ms())
    .bind(e.action.as_str())
    .bind(e.actor_id)
    .bind(e.owner_id)
    .bind(e.grant_id)
    .bind(e.grant_name)
    .bind(e.ip)
    .bind(e.reason)
    .execute(conn)
    .await?;
    Ok(())
}
