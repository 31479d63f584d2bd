//! Removing a member from a workspace (offboarding): the membership is marked removed, never
//! deleted (a deletion would take their tokens with it), and their active tokens are disabled
//! and marked as their owner's leaving, all in one transaction with the audit rows.

use sqlx::AnyConnection;

use super::audit::{record_changes, Acting, Action, GrantRow, RETURNING_GRANT};
use crate::{db, secrets};

/// Why a member could not be removed.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRemoved {
    /// Not a member of this workspace (or removed already), or the caller is not its admin.
    NotFound,
    /// They are the workspace's last admin: nobody could manage it after them.
    LastAdmin,
}

/// The reason written on each of their tokens, in the audit trail.
pub const OWNER_LEFT: &str = "owner removed from the workspace";

/// Removes `user_id` from the workspace, acting as `admin_id` (an admin there): returns how many
/// of their tokens were disabled (every one not disabled yet, expired ones too, so that all say
/// their owner left). The caller commits, or on an error rolls back.
pub async fn remove(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    user_id: &str,
    ip: Option<&str>,
) -> sqlx::Result<Result<u64, NotRemoved>> {
    let now = db::now_ms();
    // Removals in one workspace take turns: a write to its row locks it on PostgreSQL (SQLite
    // takes one writer at a time anyway), so two admins removing each other at once cannot
    // both see the other still there and leave the workspace with none.
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    // The admin check and the last-admin check are read in the transaction that writes.
    let (is_admin, role): (i64, Option<String>) = sqlx::query_as(
        "SELECT
            (SELECT COUNT(*) FROM memberships a WHERE a.workspace_id = $1 AND a.user_id = $2
               AND a.role = 'admin' AND a.removed_at IS NULL),
            (SELECT m.role FROM memberships m WHERE m.workspace_id = $1 AND m.user_id = $3 AND m.removed_at IS NULL)",
    )
    .bind(workspace_id)
    .bind(admin_id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    let Some(role) = role.filter(|_| is_admin == 1) else {
        return Ok(Err(NotRemoved::NotFound));
    };
    sqlx::query(
        "UPDATE memberships SET removed_at = $4, removed_by = $2
         WHERE workspace_id = $1 AND user_id = $3 AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(admin_id)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if role == "admin" {
        let (admins_left,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' AND removed_at IS NULL",
        )
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
        if admins_left == 0 {
            return Ok(Err(NotRemoved::LastAdmin));
        }
    }
    let disabled: Vec<GrantRow> = sqlx::query_as(&format!(
        "UPDATE grants SET disabled_at = $3, disabled_by = $4, disabled_reason = $5, disabled_cause = 'owner_left'
         WHERE workspace_id = $1 AND user_id = $2 AND disabled_at IS NULL {RETURNING_GRANT}"
    ))
    .bind(workspace_id)
    .bind(user_id)
    .bind(now)
    .bind(admin_id)
    .bind(OWNER_LEFT)
    .fetch_all(&mut *conn)
    .await?;
    let acting = Acting {
        ip,
        reason: Some(OWNER_LEFT),
        owner: None,
        ..Default::default()
    };
    let changes: Vec<_> = disabled.iter().map(|g| (g, acting)).collect();
    record_changes(conn, Action::Disabled, &changes, Some(admin_id)).await?;
    // The removal itself: who removed whom, names kept as they are now.
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, actor_email, actor_name,
                                   owner_id, owner_email, owner_name, ip)
         SELECT $1, $2, $3, $4, a.id, a.email, a.name, o.id, o.email, o.name, $7
         FROM users a, users o WHERE a.id = $5 AND o.id = $6",
    )
    .bind(secrets::random_id())
    .bind(workspace_id)
    .bind(now)
    .bind(Action::MemberRemoved.as_str())
    .bind(admin_id)
    .bind(user_id)
    .bind(ip)
    .execute(&mut *conn)
    .await?;
    Ok(Ok(disabled.len() as u64))
}
