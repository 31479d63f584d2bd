//! The audit trail: one row for everything done to a token, written in the same transaction.
//! Rows hold ids and a snapshot of who acted and whose token it was, and reference nothing that
//! can be deleted, so no deletion of a person, a membership or a token takes a row away.

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
    record_changes(conn, action, &[(grant, acting)], actor_id).await
}

/// Records `action` on each of many changed grants, a few hundred rows per statement (both
/// databases cap the number of parameters in one).
pub async fn record_changes(
    conn: &mut AnyConnection,
    action: Action,
    changes: &[(&GrantRow, Acting<'_>)],
    actor_id: Option<&str>,
) -> sqlx::Result<()> {
    const COLUMNS: usize = 10;
    const ROWS: usize = 500;
    let at = db::now_ms();
    for chunk in changes.chunks(ROWS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = |c: usize| format!("${}", i * COLUMNS + c);
                let params: Vec<String> = (1..=COLUMNS).map(p).collect();
                // Who acted and whose it is, as they are now: kept when the person is deleted.
                let (actor, owner) = (p(5), p(6));
                format!(
                    "({}, (SELECT email FROM users WHERE id = {actor}), (SELECT name FROM users WHERE id = {actor}),
                      (SELECT email FROM users WHERE id = {owner}), (SELECT name FROM users WHERE id = {owner}))",
                    params.join(", ")
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, owner_id, grant_id, grant_name, ip, reason,
                                       actor_email, actor_name, owner_email, owner_name)
             VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for ((grant_id, workspace_id, owner_id, grant_name), acting) in chunk {
            query = query
                .bind(secrets::random_id())
                .bind(workspace_id.as_str())
                .bind(at)
                .bind(action.as_str())
                .bind(actor_id)
                .bind(owner_id.as_str())
                .bind(grant_id.as_str())
                .bind(grant_name.as_str())
                .bind(acting.ip)
                .bind(acting.reason);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
