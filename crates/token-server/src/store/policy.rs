//! A workspace's rules for new tokens: read with the workspace, changed by its admins (audited
//! from what to what), enforced where a token is generated.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use token_api::policy::{Creators, WorkspacePolicy};

use super::audit::{record_account_event, Acting, Action, Actor};

/// The columns `from_row` reads, in order.
pub const COLUMNS: &str =
    "w.max_lifetime_days AS max_lifetime_days, w.creators AS creators, w.max_active_per_member AS max_active,
     w.permissions AS permissions, w.allow_all_permissions AS allow_all, w.member_permissions AS member_permissions,
     w.allowed_ranges AS allowed_ranges";

/// Names stored separated by spaces (a scope, a list of ranges), as a list.
pub fn words(stored: Option<String>) -> Vec<String> {
    stored
        .unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A list as stored: separated by spaces, NULL when empty.
pub fn joined(list: &[String]) -> Option<String> {
    (!list.is_empty()).then(|| list.join(" "))
}

/// A policy from a row holding `COLUMNS`, by their names. An unknown spelling of who may create
/// (a newer instance's) reads as the stricter one.
pub fn from_row(r: &AnyRow) -> sqlx::Result<WorkspacePolicy> {
    let count = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(WorkspacePolicy {
        max_lifetime_days: count(r.try_get::<i64, _>("max_lifetime_days")?),
        creators: r.try_get::<String, _>("creators")?.parse().unwrap_or(Creators::Admins),
        max_active_per_member: r.try_get::<Option<i64>, _>("max_active")?.map(count),
        // A catalogue this build cannot read is none: nothing can then be chosen from it, and
        // tokens asking for its permissions are refused rather than granted something else.
        permissions: r
            .try_get::<Option<String>, _>("permissions")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
        allow_all_permissions: r.try_get::<i64, _>("allow_all")? != 0,
        member_permissions: r
            .try_get::<Option<String>, _>("member_permissions")?
            .map(|m| words(Some(m))),
        allowed_ranges: words(r.try_get("allowed_ranges")?),
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
    let names = |p: &WorkspacePolicy| p.permissions.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let (old_names, new_names) = (names(old), names(new));
    let added: Vec<&str> = new_names
        .iter()
        .filter(|n| !old_names.contains(n))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = old_names
        .iter()
        .filter(|n| !new_names.contains(n))
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        parts.push(format!("permissions added: {}", added.join(" ")));
    }
    if !removed.is_empty() {
        parts.push(format!("permissions removed: {}", removed.join(" ")));
    }
    if added.is_empty() && removed.is_empty() && old.permissions != new.permissions {
        parts.push("permission descriptions changed".to_owned());
    }
    if old.allow_all_permissions != new.allow_all_permissions {
        let word = |b: bool| if b { "allowed" } else { "forbidden" };
        parts.push(format!(
            "all permissions {} -> {}",
            word(old.allow_all_permissions),
            word(new.allow_all_permissions)
        ));
    }
    if old.member_permissions != new.member_permissions {
        let said = |m: &Option<Vec<String>>| m.as_ref().map_or("any".to_owned(), |m| m.join(" "));
        parts.push(format!(
            "members may choose {} -> {}",
            said(&old.member_permissions),
            said(&new.member_permissions)
        ));
    }
    if old.allowed_ranges != new.allowed_ranges {
        let said = |r: &[String]| {
            if r.is_empty() {
                "anywhere".to_owned()
            } else {
                r.join(" ")
            }
        };
        parts.push(format!(
            "token ranges {} -> {}",
            said(&old.allowed_ranges),
            said(&new.allowed_ranges)
        ));
    }
    parts.join("; ")
}

/// Sets a workspace's policy, acting as an admin there (checked here again, in the statement
/// that writes) or as the operator, and audits what changed; a policy that changes nothing
/// writes nothing. Existing tokens are not touched. `None` when there is no such workspace, or
/// the person is not an admin there.
pub async fn set(
    conn: &mut AnyConnection,
    workspace_id: &str,
    by: Actor<'_>,
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
    // An admin removed meanwhile is not one; the operator is always allowed.
    let admin = match by {
        Actor::Person(id) => Some(id),
        _ => None,
    };
    let set = sqlx::query(
        "UPDATE workspaces SET max_lifetime_days = $2, creators = $3, max_active_per_member = $4,
            permissions = $6, allow_all_permissions = $7, member_permissions = $8, allowed_ranges = $9
         WHERE id = $1 AND ($5 IS NULL OR EXISTS (SELECT 1 FROM memberships a
           WHERE a.workspace_id = $1 AND a.user_id = $5 AND a.role = 'admin' AND a.removed_at IS NULL))",
    )
    .bind(workspace_id)
    .bind(i64::from(policy.max_lifetime_days))
    .bind(policy.creators.as_str())
    .bind(policy.max_active_per_member.map(i64::from))
    .bind(admin)
    .bind((!policy.permissions.is_empty()).then(|| serde_json::to_string(&policy.permissions).unwrap_or_default()))
    .bind(i64::from(policy.allow_all_permissions))
    .bind(policy.member_permissions.as_ref().map(|m| m.join(" ")))
    .bind(joined(&policy.allowed_ranges))
    .execute(&mut *conn)
    .await?;
    if set.rows_affected() == 0 {
        return Ok(None);
    }
    let workspaces = [workspace_id.to_owned()];
    let acting = Acting::by(ip, Some(&said));
    record_account_event(conn, Action::PolicyChanged, &workspaces, by, None, acting).await?;
    Ok(Some(policy.clone()))
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
            ..WorkspacePolicy::default()
        };
        assert_eq!(
            change(&old, &new),
            "max lifetime 365 -> 30 days; who may create members -> admins; max active per member no limit -> 5"
        );
        assert_eq!(change(&new, &new), "");
    }
}
