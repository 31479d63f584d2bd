//! The audit trail: one row for everything done to a token, written in the same transaction.
//! Rows hold ids and a snapshot of who acted and whose token it was, and reference nothing that
//! can be deleted, so no deletion of a person, a membership or a token takes a row away.

use sqlx::AnyConnection;

use super::sql::{Arg, Sql};
use crate::{db, secrets};

/// What was done: the contract's audit actions, stored by their wire names.
pub use token_api::admin::AuditAction as Action;

/// The columns every statement that changes a grant returns, for its audit event.
pub const RETURNING_GRANT: &str = "RETURNING id, workspace_id, user_id, name";

/// A changed grant as `RETURNING_GRANT` gives it: id, workspace, owner, name.
pub type GrantRow = (String, String, String, String);

/// From where, and why, a change was made.
#[derive(Clone, Copy, Debug, Default)]
pub struct Acting<'a> {
    pub ip: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// The owner's email and name, where the caller has them at hand.
    pub owner: Option<(&'a str, &'a str)>,
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
/// databases cap the number of parameters in one). Each row keeps who acted and whose token it
/// was as they are now, so the names survive the person's deletion: the owner's from
/// `Acting::owner` where the caller already read it (the refresh grant, in the statement that
/// rotated), else read in the statement.
pub async fn record_changes(
    conn: &mut AnyConnection,
    action: Action,
    changes: &[(&GrantRow, Acting<'_>)],
    actor_id: Option<&str>,
) -> sqlx::Result<()> {
    const ROWS: usize = 500;
    let at = db::now_ms();
    let text = |v: &str| Arg::Text(v.to_owned());
    let maybe = |v: Option<&str>| Arg::MaybeText(v.map(str::to_owned));
    for chunk in changes.chunks(ROWS) {
        let mut sql = Sql::default();
        let (at, action) = (sql.arg(Arg::Int(at)), sql.arg(text(action.as_str())));
        let actor = match actor_id {
            Some(id) => {
                let id = sql.arg(text(id));
                format!("{id}, (SELECT email FROM users WHERE id = {id}), (SELECT name FROM users WHERE id = {id})")
            }
            None => "NULL, NULL, NULL".to_owned(),
        };
        let rows: Vec<String> = chunk
            .iter()
            .map(|((grant_id, workspace_id, owner_id, grant_name), acting)| {
                let owner = sql.arg(text(owner_id));
                let owner_names = match acting.owner {
                    Some((email, name)) => format!("{}, {}", sql.arg(text(email)), sql.arg(text(name))),
                    None => format!(
                        "(SELECT email FROM users WHERE id = {owner}), (SELECT name FROM users WHERE id = {owner})"
                    ),
                };
                format!(
                    "({}, {}, {at}, {action}, {actor}, {owner}, {owner_names}, {}, {}, {}, {})",
                    sql.arg(Arg::Text(secrets::random_id())),
                    sql.arg(text(workspace_id)),
                    sql.arg(text(grant_id)),
                    sql.arg(text(grant_name)),
                    sql.arg(maybe(acting.ip)),
                    sql.arg(maybe(acting.reason)),
                )
            })
            .collect();
        let statement = format!(
            "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, actor_email, actor_name,
                                       owner_id, owner_email, owner_name, grant_id, grant_name, ip, reason)
             VALUES {}",
            rows.join(", ")
        );
        let query = sql.query(&statement);
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
