//! Bringing people in without the demo: workspaces, people and their memberships, and the
//! one-time links with which a new person sets their password. Used by the `token-server`
//! subcommands, so an operator goes from an empty database to a signed-in admin.

use sqlx::{AnyConnection, AnyPool};
use token_api::auth::Role;

use super::audit::{
    record_account_event, record_changes, workspaces_of, Acting, Action, Actor, GrantRow, OPERATOR, RETURNING_GRANT,
};
use super::users::hash_password;
use crate::{db, secrets};

/// How long a set-password link works.
pub const SETUP_LINK_HOURS: i64 = 72;

/// A workspace: its id and the client id its OAuth clients send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub client_id: String,
}

/// The workspace of this name, created if there is none: running the command twice is safe.
/// Returns it, and whether it is new.
pub async fn create_workspace(pool: &AnyPool, name: &str) -> sqlx::Result<(Workspace, bool)> {
    let fresh = secrets::random_id().to_lowercase().replace(['-', '_'], "");
    let inserted = sqlx::query(
        "INSERT INTO workspaces (id, name, client_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
    )
    .bind(format!("ws-{}", &fresh[..12]))
    .bind(name)
    .bind(format!("tcc_{}", &fresh[..16]))
    .bind(db::now_ms())
    .execute(pool)
    .await?
    .rows_affected();
    let (id, name, client_id): (String, String, String) =
        sqlx::query_as("SELECT id, name, client_id FROM workspaces WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?;
    Ok((Workspace { id, name, client_id }, inserted == 1))
}

/// Every workspace, by name.
pub async fn workspaces(pool: &AnyPool) -> sqlx::Result<Vec<Workspace>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, name, client_id FROM workspaces ORDER BY name")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, client_id)| Workspace { id, name, client_id })
        .collect())
}

/// Who made an existing account, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Made {
    /// The admin's email, `the operator`, or that it was made before this was recorded.
    pub by: String,
    /// When, in Unix milliseconds.
    pub at: i64,
    /// The name of the workspace that manages it (its admin made it), if any.
    pub managed_by: Option<String>,
}

/// What a take-over ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ended {
    pub tokens: u64,
    pub sessions: u64,
    pub feeds: u64,
}

/// What adding a person did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    pub user_id: String,
    /// Their name as stored (a person who had an account keeps theirs).
    pub name: String,
    /// The secret of a new set-password link, when no password was given to a new or taken-over
    /// account: shown once.
    pub setup_secret: Option<String>,
    /// The account existed already: who made it and when.
    pub existing: Option<Made>,
    /// The operator took the account over: what that ended.
    pub taken_over: Option<Ended>,
}

/// Why a person could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("no workspace has the id `{0}` (`token-server workspace list` lists them)")]
    NoSuchWorkspace(String),
    /// The admin who asked is not (any more) an admin of the workspace.
    #[error("not an admin of the workspace")]
    NotAdmin,
    /// An admin adding someone who has an account: a member here already, or not.
    #[error("the person has an account already")]
    Exists { member_here: bool },
    /// The operator adding to another workspace an account that a workspace's admin made,
    /// without taking it over.
    #[error("the account is managed by the workspace “{}”", .0.managed_by.as_deref().unwrap_or_default())]
    ManagedElsewhere(Made),
    /// The operator adding to another workspace an account made before the service recorded
    /// who made accounts (an admin may have), neither taking it over nor keeping its credential.
    #[error("nobody knows who made the account")]
    MakerUnknown(Made),
    /// The address looks like another person's (the same confusable skeleton): theirs.
    #[error("the address looks like {0}")]
    Lookalike(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] anyhow::Error),
}

/// Who adds a person, which decides what they may do with an existing account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddedBy<'a> {
    /// A workspace's admin (Add member), by id, from an address. Only a person new to the
    /// service may be added, and their account is then managed by that workspace: the admin
    /// receives its set-password link, so the account joins no other workspace until the
    /// operator takes it over.
    Admin { id: &'a str, ip: Option<&'a str> },
    /// The operator (`token-server user add`). An existing account keeps its credential and
    /// sessions (and is told who made it), unless the operator takes it over: then it gets a
    /// new credential and every session, token, calendar feed and link it had ends. An account
    /// managed by another workspace is added to a workspace only by taking it over; one whose
    /// maker is unknown (made before this was recorded) by taking it over or by saying its
    /// credential is the person's own (`keep_credential`).
    Operator { take_over: bool, keep_credential: bool },
}

/// The reason written on every token a take-over disabled.
pub const TAKEN_OVER: &str = "the operator took its owner's account over";

/// Adds the person of `email` (already validated) to a workspace with a role, creating them if
/// they are new, as `by` may. With `password` it is set; without, a new or taken-over account
/// gets a one-time set-password link's secret (and any earlier link of theirs stops working).
/// Running it again for the same person and workspace sets the role: safe to repeat. Every
/// change is audited: the member added or their role changed, the take-over, a password set.
pub async fn add_user(
    pool: &AnyPool,
    (email, name): (&str, &str),
    workspace_id: &str,
    role: Role,
    password: Option<&str>,
    by: AddedBy<'_>,
) -> Result<Added, AddError> {
    // Nobody knows the password of a person who has not set one yet: a hash of a random secret,
    // so signing in as them costs what any wrong password costs.
    let hash = hash_password(password.map_or_else(secrets::random_secret, str::to_owned).as_str())?;
    let now = db::now_ms();
    let mut tx = crate::db::begin_write(pool).await?;
    let known: Option<(String,)> = sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Err(AddError::NoSuchWorkspace(workspace_id.to_owned()));
    }
    let (actor, ip) = match by {
        AddedBy::Admin { id, ip } => (Actor::Person(id), ip),
        AddedBy::Operator { .. } => (Actor::Operator, None),
    };
    if let AddedBy::Admin { id, .. } = by {
        // Still an admin here, read in the transaction that writes: one demoted a moment ago
        // adds no one.
        if super::users::role_in(&mut tx, workspace_id, id).await? != Some(Role::Admin) {
            return Err(AddError::NotAdmin);
        }
        // The account's row is locked first (PostgreSQL; SQLite has one writer), so an
        // operator's take-over that commits meanwhile is seen, not overwritten.
        sqlx::query("UPDATE users SET managed_by = managed_by WHERE email = $1")
            .bind(email)
            .execute(&mut *tx)
            .await?;
    }
    let (user_id, name, existing, managed_by) = match (account_of(&mut tx, email).await?, by) {
        (None, _) => {
            let skeleton = token_api::validate::skeleton(email);
            let alike: Option<(String,)> =
                sqlx::query_as("SELECT email FROM users WHERE email_skeleton = $1 AND email <> $2 LIMIT 1")
                    .bind(&skeleton)
                    .bind(email)
                    .fetch_optional(&mut *tx)
                    .await?;
            // Two plain-ASCII addresses that only look alike (`rn` and `m`) are told apart by
            // their readers; one in another script is how a lookalike is made.
            if let Some((other,)) = alike.filter(|(other,)| !(other.is_ascii() && email.is_ascii())) {
                return Err(AddError::Lookalike(other));
            }
            let (managed_by, created_by) = match by {
                AddedBy::Admin { id, .. } => (Some(workspace_id), id),
                AddedBy::Operator { .. } => (None, OPERATOR),
            };
            let id = format!("u-{}", secrets::random_id());
            let created = sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, created_at, managed_by, created_by, email_skeleton)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email) DO NOTHING",
            )
            .bind(&id)
            .bind(email)
            .bind(name)
            .bind(&hash)
            .bind(now)
            .bind(managed_by)
            .bind(created_by)
            .bind(&skeleton)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if created == 0 {
                // Made by someone else a moment ago: as if it had been there.
                return Err(AddError::Exists { member_here: false });
            }
            (id, name.to_owned(), None, None)
        }
        (Some(account), AddedBy::Admin { .. }) => {
            // (removed_at, removed_by) of their membership here, if they ever had one.
            let here: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
                "SELECT removed_at, removed_by FROM memberships WHERE user_id = $1 AND workspace_id = $2",
            )
            .bind(&account.id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
            // A former member an admin here removed comes back with their own credential (no
            // link: the admin learns nothing new), unless another workspace manages the account
            // or the operator has taken it over since: that took it out of this workspace's
            // reach on purpose.
            // One the identity provider deprovisioned comes back through the provider only.
            let removed_by_admin =
                matches!(&here, Some((Some(_), Some(by))) if by != OPERATOR && by != super::sso::BY_PROVIDER);
            let taken_over = account.managed_by.is_none() && account.made_by_admin;
            let ours = account.managed_by.as_deref().is_none_or(|m| m == workspace_id);
            if !(removed_by_admin && ours && !taken_over) {
                return Err(AddError::Exists {
                    member_here: matches!(here, Some((None, _))),
                });
            }
            (account.id, account.name, Some(account.made), account.managed_by)
        }
        (
            Some(account),
            AddedBy::Operator {
                take_over,
                keep_credential,
            },
        ) => {
            if !take_over && account.managed_by.as_deref().is_some_and(|m| m != workspace_id) {
                return Err(AddError::ManagedElsewhere(account.made));
            }
            if !take_over && !keep_credential && account.maker_unknown {
                let (here,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND workspace_id = $2 AND removed_at IS NULL",
                )
                .bind(&account.id)
                .bind(workspace_id)
                .fetch_one(&mut *tx)
                .await?;
                if here == 0 {
                    return Err(AddError::MakerUnknown(account.made));
                }
            }
            (account.id, account.name, Some(account.made), account.managed_by)
        }
    };
    let take_over = existing.is_some() && matches!(by, AddedBy::Operator { take_over: true, .. });
    let taken_over = if take_over {
        Some(take_over_account(&mut tx, &user_id, &hash, workspace_id, managed_by.as_deref()).await?)
    } else if existing.is_some() && password.is_some() {
        // The operator sets an existing account's password (a reset): whoever was signed in is
        // not now, and no earlier link works.
        end_links(&mut tx, &user_id, Some(&hash)).await?;
        let sessions = end_sessions(&mut tx, &user_id).await?;
        let workspaces = workspaces_of(&mut tx, &user_id).await?;
        let reason = format!("by the operator; {sessions} sessions ended");
        let acting = Acting {
            reason: Some(&reason),
            ..Acting::default()
        };
        record_account_event(&mut tx, Action::PasswordSet, &workspaces, actor, Some(&user_id), acting).await?;
        None
    } else {
        None
    };
    let before: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT role, removed_at FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(&user_id)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role, removed_at = NULL, removed_by = NULL, \
         break_glass = CASE WHEN memberships.removed_at IS NULL THEN memberships.break_glass ELSE 0 END",
    )
    .bind(workspace_id)
    .bind(&user_id)
    .bind(role.as_str())
    .execute(&mut *tx)
    .await?;
    let here = [workspace_id.to_owned()];
    let how = match by {
        AddedBy::Admin { .. } => "through the Admins page",
        AddedBy::Operator { .. } => "through the command line",
    };
    let change = match before {
        Some((was, None)) if was == role.as_str() => None,
        Some((was, None)) => Some((Action::RoleChanged, super::members::role_change_reason(&was, role, how))),
        _ => Some((
            Action::MemberAdded,
            format!(
                "as {}, {how}{}",
                role.as_str(),
                match (&existing, &before) {
                    (None, _) => ", a new account",
                    (Some(_), Some(_)) => ", a former member back",
                    (Some(_), None) => "",
                }
            ),
        )),
    };
    if let Some((action, reason)) = change {
        let acting = Acting {
            ip,
            reason: Some(&reason),
            owner: None,
            ..Default::default()
        };
        record_account_event(&mut tx, action, &here, actor, Some(&user_id), acting).await?;
    }
    let setup_secret = if password.is_none() && (existing.is_none() || take_over) {
        end_links(&mut tx, &user_id, None).await?;
        let secret = secrets::random_secret();
        sqlx::query("INSERT INTO password_setups (digest, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
            .bind(secrets::digest(&secret))
            .bind(&user_id)
            .bind(now + SETUP_LINK_HOURS * 3_600_000)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Some(secret)
    } else {
        None
    };
    tx.commit().await?;
    Ok(Added {
        user_id,
        name,
        setup_secret,
        existing,
        taken_over,
    })
}

/// An existing account, as adding a person reads it.
struct Account {
    id: String,
    name: String,
    /// The workspace id that manages it.
    managed_by: Option<String>,
    /// Made before the service recorded who made accounts.
    maker_unknown: bool,
    /// Made by a workspace's admin (with `managed_by` empty: taken over by the operator since).
    made_by_admin: bool,
    made: Made,
}

/// What `account_of` reads: id, name, managing workspace's id and name, creator's id and email,
/// when made.
type AccountRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

async fn account_of(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Option<Account>> {
    let row: Option<AccountRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.managed_by, w.name, u.created_by, c.email, u.created_at
             FROM users u LEFT JOIN workspaces w ON w.id = u.managed_by LEFT JOIN users c ON c.id = u.created_by
             WHERE u.email = $1",
    )
    .bind(email)
    .fetch_optional(conn)
    .await?;
    Ok(
        row.map(|(id, name, managed_by, managed_name, created_by, creator, at)| {
            let by = match (created_by.as_deref(), creator) {
                (Some(OPERATOR), _) => "the operator".to_owned(),
                (_, Some(email)) => email,
                (Some(_), None) => "a person since deleted".to_owned(),
                (None, _) => "someone unknown (before this service recorded who made accounts)".to_owned(),
            };
            Account {
                id,
                name,
                maker_unknown: created_by.is_none(),
                made_by_admin: created_by.as_deref().is_some_and(|c| c != OPERATOR),
                managed_by,
                made: Made {
                    by,
                    at,
                    managed_by: managed_name,
                },
            }
        }),
    )
}

/// Takes an account over for the operator: a new password hash (nobody's, or the operator's),
/// no workspace manages it any more, and every session, set-password link, calendar feed and
/// active token it had ends, each token audited as disabled and the whole as
/// `account_taken_over` in every workspace it is in, and in `joining`. It leaves the workspace
/// that managed it (`managed_by`), unless it is joining that one: that workspace's admin made
/// it, and should not go on seeing the person's addresses and actions.
async fn take_over_account(
    tx: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    joining: &str,
    managed_by: Option<&str>,
) -> sqlx::Result<Ended> {
    sqlx::query("UPDATE users SET managed_by = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    end_links(&mut *tx, user_id, Some(hash)).await?;
    let sessions = end_sessions(&mut *tx, user_id).await?;
    // An identity provider's link is a credential too: whoever it names signs in no more.
    sqlx::query("DELETE FROM sso_identities WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let feeds = sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let disabled: Vec<GrantRow> = sqlx::query_as(&format!(
        "UPDATE grants SET disabled_at = $2, disabled_reason = $3, disabled_cause = 'taken_over'
         WHERE user_id = $1 AND disabled_at IS NULL {RETURNING_GRANT}"
    ))
    .bind(user_id)
    .bind(db::now_ms())
    .bind(TAKEN_OVER)
    .fetch_all(&mut *tx)
    .await?;
    let acting = Acting {
        reason: Some(TAKEN_OVER),
        ..Acting::default()
    };
    let changes: Vec<_> = disabled.iter().map(|g| (g, acting)).collect();
    record_changes(&mut *tx, Action::Disabled, &changes, Some(OPERATOR)).await?;
    let ended = Ended {
        tokens: disabled.len() as u64,
        sessions,
        feeds,
    };
    let mut workspaces = workspaces_of(&mut *tx, user_id).await?;
    if !workspaces.iter().any(|w| w == joining) {
        workspaces.push(joining.to_owned());
    }
    // Each workspace reads what happened, not what the account held elsewhere.
    let acting = Acting {
        reason: Some("a new credential; every session, token, calendar feed and link it had ended"),
        ..Acting::default()
    };
    record_account_event(
        tx,
        Action::AccountTakenOver,
        &workspaces,
        Actor::Operator,
        Some(user_id),
        acting,
    )
    .await?;
    if let Some(maker) = managed_by.filter(|&m| m != joining) {
        let left = sqlx::query(
            "UPDATE memberships SET removed_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL",
        )
        .bind(maker)
        .bind(user_id)
        .bind(db::now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if left == 1 {
            let acting = Acting {
                reason: Some("the operator took the account over from this workspace"),
                ..Acting::default()
            };
            let maker = [maker.to_owned()];
            record_account_event(
                tx,
                Action::MemberRemoved,
                &maker,
                Actor::Operator,
                Some(user_id),
                acting,
            )
            .await?;
        }
    }
    Ok(ended)
}

/// Ends every session of a person, in the caller's transaction: how many.
async fn end_sessions(tx: &mut AnyConnection, user_id: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(tx)
        .await?
        .rows_affected())
}

/// Sets a person's password hash, where one is given, and ends every set-password link of theirs.
async fn end_links(tx: &mut AnyConnection, user_id: &str, hash: Option<&str>) -> sqlx::Result<()> {
    if let Some(hash) = hash {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM password_setups WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A person and their memberships: workspace name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub name: String,
    pub memberships: Vec<(String, Role)>,
}

/// Every person, by email, with their workspaces.
pub async fn people(pool: &AnyPool) -> sqlx::Result<Vec<Person>> {
    let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT u.email, u.name, w.name, m.role FROM users u \
         LEFT JOIN memberships m ON m.user_id = u.id AND m.removed_at IS NULL LEFT JOIN workspaces w ON w.id = m.workspace_id \
         ORDER BY u.email, w.name",
    )
    .fetch_all(pool)
    .await?;
    let mut people: Vec<Person> = Vec::new();
    for (email, name, workspace, role) in rows {
        if people.last().is_none_or(|p| p.email != email) {
            people.push(Person {
                email,
                name,
                memberships: Vec::new(),
            });
        }
        if let (Some(workspace), Some(role), Some(person)) = (workspace, role, people.last_mut()) {
            person.memberships.push((workspace, Role::parse_or_least(&role)));
        }
    }
    Ok(people)
}

/// Whether `secret` is a live set-password link: checked before any password is hashed, so a
/// request without one costs a lookup, not a hash.
pub async fn link_is_live(pool: &AnyPool, secret: &str) -> sqlx::Result<bool> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT expires_at FROM password_setups WHERE digest = $1 AND expires_at > $2")
            .bind(secrets::digest(secret))
            .bind(db::now_ms())
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Sets the password hash of the person whose live link `secret` is, once: the link is used up,
/// any other link of theirs too, and their sessions end. `false` when the link is unknown, used
/// or expired (they are not told apart).
pub async fn set_password(pool: &AnyPool, secret: &str, hash: &str, ip: Option<&str>) -> sqlx::Result<bool> {
    let mut tx = crate::db::begin_write(pool).await?;
    let taken: Option<(String,)> =
        sqlx::query_as("DELETE FROM password_setups WHERE digest = $1 AND expires_at > $2 RETURNING user_id")
            .bind(secrets::digest(secret))
            .bind(db::now_ms())
            .fetch_optional(&mut *tx)
            .await?;
    let Some((user_id,)) = taken else {
        return Ok(false);
    };
    end_links(&mut tx, &user_id, Some(hash)).await?;
    let sessions = end_sessions(&mut tx, &user_id).await?;
    let workspaces = workspaces_of(&mut tx, &user_id).await?;
    let reason = format!("through a set-password link; {sessions} sessions ended");
    let acting = Acting {
        ip,
        reason: Some(&reason),
        owner: None,
        ..Default::default()
    };
    record_account_event(
        &mut tx,
        Action::PasswordSet,
        &workspaces,
        Actor::Person(&user_id),
        Some(&user_id),
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
