//! The audit trail: one row for everything done to a token, written in the same transaction.
//! Rows hold ids and a snapshot of who acted and whose token it was, and reference nothing that
//! can be deleted, so no deletion of a person, a membership or a token takes a row away.

use sqlx::AnyConnection;

use super::sql::{Arg, Sql};
use crate::{db, secrets};

/// What was done: the contract's audit actions, stored by their wire names.
pub use token_api::audit::AuditAction as Action;

/// The columns every statement that changes a grant returns, for its audit event.
pub const RETURNING_GRANT: &str = "RETURNING id, workspace_id, user_id, name";

/// A changed grant as `RETURNING_GRANT` gives it: id, workspace, owner, name.
pub type GrantRow = (String, String, String, String);

/// A `GrantRow` from a row of `RETURNING_GRANT`, by the columns' names.
pub fn grant_row(r: &sqlx::any::AnyRow) -> sqlx::Result<GrantRow> {
    use sqlx::Row;
    Ok((
        r.try_get("id")?,
        r.try_get("workspace_id")?,
        r.try_get("user_id")?,
        r.try_get("name")?,
    ))
}

/// From where, and why, a change was made.
#[derive(Clone, Copy, Debug, Default)]
pub struct Acting<'a> {
    pub ip: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// The owner's email and name, where the caller has them at hand.
    pub owner: Option<(&'a str, &'a str)>,
    /// The other token the event names (id, name): a regeneration's predecessor or successor.
    pub other: Option<(&'a str, &'a str)>,
    /// When the token (or the predecessor) stops, in ms; `None`: at once, or not relevant.
    pub until: Option<i64>,
}

impl<'a> Acting<'a> {
    /// Someone acting from `ip`, for `reason`: what a request tells of its actor.
    pub fn by(ip: Option<&'a str>, reason: Option<&'a str>) -> Acting<'a> {
        Acting {
            ip,
            reason,
            ..Acting::default()
        }
    }
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
                    "({}, {}, {at}, {action}, {actor}, {owner}, {owner_names}, {}, {}, {}, {}, {}, {}, {})",
                    sql.arg(Arg::Text(secrets::random_id())),
                    sql.arg(text(workspace_id)),
                    sql.arg(text(grant_id)),
                    sql.arg(text(grant_name)),
                    sql.arg(maybe(acting.ip)),
                    sql.arg(maybe(acting.reason)),
                    sql.arg(maybe(acting.other.map(|o| o.0))),
                    sql.arg(maybe(acting.other.map(|o| o.1))),
                    sql.arg(Arg::MaybeInt(acting.until)),
                )
            })
            .collect();
        let statement = format!(
            "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, actor_email, actor_name,
                                       owner_id, owner_email, owner_name, grant_id, grant_name, ip, reason,
                                       other_grant_id, other_grant_name, until_at)
             VALUES {}",
            rows.join(", ")
        );
        let query = sql.query(&statement);
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The `actor_id` the operator's actions are recorded under: no person has it (people's ids
/// start `u-`), so the audit trail shows the operator as an actor of its own.
pub const OPERATOR: &str = "operator";

/// Who did something to a person or to the deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    /// A signed-in person, by id.
    Person(&'a str),
    /// The operator, through the `token-server` command line.
    Operator,
    /// The service itself (a sign-in it refused): no actor.
    Service,
    /// The workspace's identity provider, through SCIM.
    Provider,
}

impl Actor<'_> {
    fn id(self) -> Option<String> {
        match self {
            Actor::Person(id) => Some(id.to_owned()),
            Actor::Operator => Some(OPERATOR.to_owned()),
            Actor::Service => None,
            Actor::Provider => Some(super::sso::BY_PROVIDER.to_owned()),
        }
    }
}

/// Records `action` done to a person (`subject`, who is also the row's owner) or to the whole
/// deployment (`None`), once in each of `workspaces`, naming the actor and the subject as they
/// are now. No token is involved.
pub async fn record_account_event(
    conn: &mut AnyConnection,
    action: Action,
    workspaces: &[String],
    actor: Actor<'_>,
    subject: Option<&str>,
    acting: Acting<'_>,
) -> sqlx::Result<()> {
    let at = db::now_ms();
    for workspace_id in workspaces {
        sqlx::query(
            "INSERT INTO audit_events (id, workspace_id, at, action, actor_id, actor_email, actor_name,
                                       owner_id, owner_email, owner_name, ip, reason)
             VALUES ($1, $2, $3, $4, $5, (SELECT email FROM users WHERE id = $5), (SELECT name FROM users WHERE id = $5),
                     $6, (SELECT email FROM users WHERE id = $6), (SELECT name FROM users WHERE id = $6), $7, $8)",
        )
        .bind(secrets::random_id())
        .bind(workspace_id)
        .bind(at)
        .bind(action.as_str())
        .bind(actor.id())
        .bind(subject)
        .bind(acting.ip)
        .bind(acting.reason)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The workspaces a person is a member of now, by id.
pub async fn workspaces_of(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT workspace_id FROM memberships WHERE user_id = $1 AND removed_at IS NULL ORDER BY workspace_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(w,)| w).collect())
}

/// Every workspace, by id: a deployment-wide event (a signing key) is told to each.
pub async fn all_workspaces(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM workspaces ORDER BY id")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(w,)| w).collect())
}
