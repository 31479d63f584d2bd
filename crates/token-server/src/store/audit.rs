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

/// The columns every statement that changes a grant returns, for its audit event.
pub const RETURNING_GRANT: &str = "RETURNING id, workspace_id, user_id, name";

/// A changed grant as `RETURNING_GRANT` gives it: id, workspace, owner, name.
pub type GrantRow = (String, String, String, String);

/// From where, and why, a change was made.
#[derive(Clone, Copy, Debug, Default)]
pub struct Acting<'a> {
    pub ip: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// Records `action` on a changed grant; `actor_id` is `None` when the service itself acted
/// (reuse detection, a client's revocation).
pub async fn record_change(
    conn: &mut AnyConnection,
    action: Action,
    grant: &GrantRow,
    actor_id: Option<&str>,
    acting: Acting<'_>,
) -> sqlx::Result<()> {
    let (grant_id, workspace_id, owner_id, grant_name) = grant;
    record(
        conn,
        Event {
            workspace_id,
            action,
            actor_id,
            owner_id,
            grant_id,
            grant_name,
            ip: acting.ip,
            reason: acting.reason,
        },
    )
    .await
}

/// One event about one grant.
#[derive(Clone, Debug)]
struct Event<'a> {
    workspace_id: &'a str,
    action: Action,
    actor_id: Option<&'a str>,
    owner_id: &'a str,
    grant_id: &'a str,
    grant_name: &'a str,
    ip: Option<&'a str>,
    reason: Option<&'a str>,
}

/// Records the event.
async fn record(conn: &mut AnyConnection, e: Event<'_>) -> sqlx::Result<()> {
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
