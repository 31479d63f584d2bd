//! A workspace's members: who they are, changing a role, and removing one (offboarding): the
//! membership is marked removed, never deleted (a deletion would take their tokens with it),
//! and their active tokens are disabled and marked as their owner's leaving, all in one
//! transaction with the audit rows. Both changes keep at least one admin.

use sqlx::AnyConnection;
use token_api::admin::{MemberList, OpenTokens};
use token_api::auth::Role;
use token_api::tokens::{DisabledCause, Person};

use super::audit::{record_account_event, record_changes, Acting, Action, Actor, GrantRow, RETURNING_GRANT};
use crate::db;

/// A member as `list` reads them.
#[derive(sqlx::FromRow)]
struct MemberRow {
    id: String,
    email: String,
    name: String,
    role: String,
    open: i64,
}

/// The workspace's members, by name, with its admins and each member's tokens not disabled yet.
pub async fn list(conn: &mut AnyConnection, workspace_id: &str) -> sqlx::Result<MemberList> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, m.role,
            (SELECT COUNT(*) FROM grants g WHERE g.workspace_id = m.workspace_id AND g.user_id = u.id
               AND g.disabled_at IS NULL) AS open
         FROM users u JOIN memberships m ON m.user_id = u.id
         WHERE m.workspace_id = $1 AND m.removed_at IS NULL ORDER BY u.name, u.email",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    let mut list = MemberList {
        members: Vec::with_capacity(rows.len()),
        admins: Vec::new(),
        open_tokens: Vec::new(),
        sso: None,
        scim: None,
    };
    for MemberRow {
        id,
        email,
        name,
        role,
        open,
    } in rows
    {
        if role == Role::Admin.as_str() {
            list.admins.push(id.clone());
        }
        if open > 0 {
            list.open_tokens.push(OpenTokens {
                id: id.clone(),
                count: open as u64,
            });
        }
        list.members.push(Person { id, email, name });
    }
    Ok(list)
}

/// A role change's audit reason: from what to what, and through which door.
pub fn role_change_reason(was: &str, now: Role, how: &str) -> String {
    format!("from {was} to {}, {how}", now.as_str())
}

/// Changes member `user_id`'s role, acting as `admin_id` (an admin there): `true` when
/// it changed (audited as `role_changed`), `false` when it was that already. The last admin
/// cannot become a member. The caller commits, or on an error rolls back.
pub async fn set_role(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    user_id: &str,
    role: Role,
    ip: Option<&str>,
) -> sqlx::Result<Result<bool, NotRemoved>> {
    let Some(was) = lock_and_read(conn, workspace_id, admin_id, user_id).await? else {
        return Ok(Err(NotRemoved::NotFound));
    };
    if was == role.as_str() {
        return Ok(Ok(false));
    }
    sqlx::query("UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL")
        .bind(workspace_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await?;
    if !admins_left(conn, workspace_id).await? {
        return Ok(Err(NotRemoved::LastAdmin));
    }
    let reason = role_change_reason(&was, role, "through the Admins page");
    let acting = Acting {
        ip,
        reason: Some(&reason),
        ..Default::default()
    };
    let here = [workspace_id.to_owned()];
    record_account_event(
        conn,
        Action::RoleChanged,
        &here,
        Actor::Person(admin_id),
        Some(user_id),
        acting,
    )
    .await?;
    Ok(Ok(true))
}

/// Locks the workspace's row, so changes to its members take turns (a write to it locks it on
/// PostgreSQL; SQLite takes one writer at a time anyway): two admins demoting or removing each
/// other at once cannot both see the other still there and leave the workspace with none.
/// Then, read in the transaction that writes: `user_id`'s role there, if `admin_id` is an
/// admin there and `user_id` a member.
async fn lock_and_read(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
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
    Ok(role.filter(|_| is_admin == 1))
}

/// Whether the workspace still has an admin.
async fn admins_left(conn: &mut AnyConnection, workspace_id: &str) -> sqlx::Result<bool> {
    let (admins,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .fetch_one(conn)
    .await?;
    Ok(admins > 0)
}

/// Why a member's role could not be changed, or they could not be removed.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRemoved {
    /// Not a member of this workspace (or removed already), or the caller is not its admin.
    NotFound,
    /// They are the workspace's last admin: nobody could manage it after them (or as a member).
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
    let Some(role) = lock_and_read(conn, workspace_id, admin_id, user_id).await? else {
        return Ok(Err(NotRemoved::NotFound));
    };
    let disabled = offboard(conn, workspace_id, user_id, Remover::Admin(admin_id), ip).await?;
    if role == Role::Admin.as_str() && !admins_left(conn, workspace_id).await? {
        return Ok(Err(NotRemoved::LastAdmin));
    }
    Ok(Ok(disabled))
}

/// Who ends a membership.
#[derive(Clone, Copy, Debug)]
pub enum Remover<'a> {
    /// An admin of the workspace, by id.
    Admin(&'a str),
    /// The workspace's identity provider, through SCIM: the person left the organisation.
    Provider,
}

/// The reason written on each token of a person the identity provider deprovisioned.
pub const DEPROVISIONED: &str = "removed by the identity provider";

/// Ends `user_id`'s current membership of the workspace: marked removed (never deleted), their
/// calendar feed there ended, every token of theirs there not disabled yet disabled and marked
/// as their owner's leaving, each change audited with `by` as the actor. Returns how many tokens
/// were disabled. The caller has checked that `by` may, and commits.
pub async fn offboard(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
    by: Remover<'_>,
    ip: Option<&str>,
) -> sqlx::Result<u64> {
    let now = db::now_ms();
    let (remover, actor, cause, reason) = match by {
        Remover::Admin(id) => (id, Actor::Person(id), DisabledCause::OwnerLeft, OWNER_LEFT),
        Remover::Provider => (
            super::sso::BY_PROVIDER,
            Actor::Provider,
            DisabledCause::Deprovisioned,
            DEPROVISIONED,
        ),
    };
    sqlx::query(
        "UPDATE memberships SET removed_at = $4, removed_by = $2
         WHERE workspace_id = $1 AND user_id = $3 AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(remover)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    // Their calendar feed here ends with the membership: added back later, the old link must
    // not serve again.
    sqlx::query("DELETE FROM calendar_feeds WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    // A session the provider opened reaches this workspace only: it ends too.
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND sso_workspace_id = $2")
        .bind(user_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    let disabled_by = match by {
        Remover::Admin(id) => Some(id),
        Remover::Provider => None,
    };
    let disabled: Vec<GrantRow> = sqlx::query_as(&format!(
        "UPDATE grants SET disabled_at = $3, disabled_by = $4, disabled_reason = $5, disabled_cause = $6
         WHERE workspace_id = $1 AND user_id = $2 AND disabled_at IS NULL {RETURNING_GRANT}"
    ))
    .bind(workspace_id)
    .bind(user_id)
    .bind(now)
    .bind(disabled_by)
    .bind(reason)
    .bind(cause.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let acting = Acting {
        ip,
        reason: Some(reason),
        owner: None,
        ..Default::default()
    };
    let changes: Vec<_> = disabled.iter().map(|g| (g, acting)).collect();
    record_changes(conn, Action::Disabled, &changes, Some(remover)).await?;
    // The removal itself: who removed whom, names kept as they are now.
    let here = [workspace_id.to_owned()];
    let acting = Acting::by(ip, matches!(by, Remover::Provider).then_some(DEPROVISIONED));
    record_account_event(conn, Action::MemberRemoved, &here, actor, Some(user_id), acting).await?;
    Ok(disabled.len() as u64)
}
