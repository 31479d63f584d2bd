//! A workspace's rules for new tokens: read with the workspace, changed by its admins (audited
//! from what to what), enforced where a token is generated.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use token_api::policy::{Creators, WorkspacePolicy};

use super::audit::Action;
use crate::{db, secrets};

/// The columns `from_row` reads, in order.
pub const COLUMNS: &str =
    "w.max_lifetime_days AS max_lifetime_days, w.creators AS creators, w.max_active_per_member AS max_active";

/// A policy from a row holding `COLUMNS`, by their names. An unknown spelling of who may create
/// (a newer instance's) reads as the stricter one.
pub fn from_row(r: &AnyRow) -> sqlx::Result<WorkspacePolicy> {
    let count = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(WorkspacePolicy {
        max_lifetime_days: count(r.try_get::<i64, _>("max_lifetime_days")?),
        creators: r.try_get::<String, _>("creators")?.parse().unwrap_or(Creators::Admins),
        max_active_per_member: r.try_get::<Option<i64>, _>("max_active")?.map(count),
    })
}

/// The policy of a workspace, if it exists.
pub async fn of(conn: &mut AnyConnection, workspace_id: &str) -> sqlx::Result<Option<WorkspacePolicy>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM workspaces w WHERE w.id = $1"))
        .bind(workspace_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| from_row(&r)).transpose()
}

/// What changed, in the audit trail's words: "max lifetime 365 -> 30 days; ...".
fn change(old: &WorkspacePolicy, new: &WorkspacePolicy) -> String {
    let cap = |n: Option<u32>| n.map_or("no limit".to_owned(), |n| n.to_string());
    let mut parts = Vec::new();
    if old.max_lifetime_days != new.max_lifetime_days {
        parts.push(format!(
            "max lifetime {} -> {} days",
            old.max_lifetime_days, new.max_lifetime_days
        ));
    }
    if old.creators != new.creators {
        parts.push(format!(
            "who may create {} -> {}",
            old.creators.as_str(),
            new.creators.as_str()
        ));
    }
    if old.max_active_per_member != new.max_active_per_member {
        parts.push(format!(
            "max active per member {} -> {}",
            cap(old.max_active_per_member),
            cap(new.max_active_per_member)
        ));
    }
    parts.join("; ")
}

/// Sets a workspace's policy, acting as an admin there (checked by the caller), and audits what
/// changed; a policy that changes nothing writes nothing. Existing tokens are not touched.
pub async fn set(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    policy: &WorkspacePolicy,
    ip: Option<&str>,
) -> sqlx::Result<Option<WorkspacePolicy>> {
    let Some(old) = of(conn, workspace_id).await? else {
        return Ok(None);
    };
    let said = change(&old, policy);
    if said.is_empty() {
        return Ok(Some(old));
    }
    // The admin check again, in the statement that writes (an admin removed meanwhile is not one).
    let set = sqlx::query(
        "UPDATE workspaces SET max_lifetime_days = $2, creators = $3, max_active_per_member = $4
         WHERE id = $1 AND EXISTS (SELECT 1 FROM memberships a
           WHERE a.workspace_id = $1 AND a.user_id = $5 AND a.role = 'admin' AND a.removed_at IS NULL)",
    )
    .bind(workspace_id)
    .bind(i64::from(policy.max_lifetime_days))
    .bind(policy.creators.as_str())
    .bind(policy.max_active_per_member.map(i64::from))
    .bind(admin_id)
    .execute(&mut *conn)
    .await?;
    if set.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, actor_email, actor_name, ip, reason)
         SELECT $1, $2, $3, $4, a.id, a.email, a.name, $6, $7 FROM users a WHERE a.id = $5",
    )
    .bind(secrets::random_id())
    .bind(workspace_id)
    .bind(db::now_ms())
    .bind(Action::PolicyChanged.as_str())
    .bind(admin_id)
    .bind(ip)
    .bind(&said)
    .execute(&mut *conn)
    .await?;
    Ok(Some(*policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_says_from_what_to_what_and_only_what_changed() {
        let old = WorkspacePolicy::default();
        let new = WorkspacePolicy {
            max_lifetime_days: 30,
            creators: Creators::Admins,
            max_active_per_member: Some(5),
        };
        assert_eq!(
            change(&old, &new),
            "max lifetime 365 -> 30 days; who may create members -> admins; max active per member no limit -> 5"
        );
        assert_eq!(change(&new, &new), "");
    }
}
