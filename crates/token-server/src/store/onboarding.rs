//! Bringing people in without the demo: workspaces, people and their memberships, and the
//! one-time links with which a new person sets their password. Used by the `token-server`
//! subcommands, so an operator goes from an empty database to a signed-in admin.

use sqlx::{AnyConnection, AnyPool};
use token_api::auth::Role;

use super::users::{delete_sessions_of, hash_password};
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

/// What adding a person did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    pub user_id: String,
    /// Their name as stored (a person who had an account keeps theirs).
    pub name: String,
    /// The secret of a new set-password link, when no password was given: shown once.
    pub setup_secret: Option<String>,
}

/// Why a person could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("no workspace has the id `{0}` (`token-server workspace list` lists them)")]
    NoSuchWorkspace(String),
    /// `Link::OnlyNew` and the person has an account: a member here already, or not.
    #[error("the person has an account already")]
    Exists { member_here: bool },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] anyhow::Error),
}

/// Who may be given a set-password link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Anyone without a password given here: the operator's command, which may reset anyone's.
    Always,
    /// Only a person created now, and nobody else may be added: a workspace admin adding
    /// someone. An admin who added an existing account would be trusted by its other
    /// workspaces with a password they may have set themselves through an earlier link.
    OnlyNew,
}

/// Adds the person of `email` (already validated) to a workspace with a role, creating them if
/// they are new. With `password` it is set; without, a one-time set-password link's secret is
/// made as `link` allows (and any earlier link of theirs stops working). Running it again for
/// the same person and workspace sets the role: safe to repeat.
pub async fn add_user(
    pool: &AnyPool,
    (email, name): (&str, &str),
    workspace_id: &str,
    role: Role,
    password: Option<&str>,
    link: Link,
) -> Result<Added, AddError> {
    // Nobody knows the password of a person who has not set one yet: a hash of a random secret,
    // so signing in as them costs what any wrong password costs.
    let hash = hash_password(password.map_or_else(secrets::random_secret, str::to_owned).as_str())?;
    let now = db::now_ms();
    let mut tx = pool.begin().await?;
    let known: Option<(String,)> = sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Err(AddError::NoSuchWorkspace(workspace_id.to_owned()));
    }
    let created = sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING")
        .bind(format!("u-{}", secrets::random_id()))
        .bind(email)
        .bind(name)
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !created && link == Link::OnlyNew {
        let here: Option<(String,)> =
            sqlx::query_as("SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.workspace_id = $2 AND m.removed_at IS NULL")
                .bind(email)
                .bind(workspace_id)
                .fetch_optional(&mut *tx)
                .await?;
        return Err(AddError::Exists {
            member_here: here.is_some(),
        });
    }
    let link = password.is_none();
    let (user_id, name): (String, String) = sqlx::query_as("SELECT id, name FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&mut *tx)
        .await?;
    if password.is_some() || link {
        end_links(&mut tx, &user_id, password.is_some().then_some(hash.as_str())).await?;
    }
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role, removed_at = NULL, removed_by = NULL",
    )
    .bind(workspace_id)
    .bind(&user_id)
    .bind(role.as_str())
    .execute(&mut *tx)
    .await?;
    let setup_secret = if link {
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
    if password.is_some() && !created {
        // A new password, as to reset a compromised account: whoever was signed in is not now.
        delete_sessions_of(pool, &user_id).await?;
    }
    Ok(Added {
        user_id,
        name,
        setup_secret,
    })
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
pub async fn set_password(pool: &AnyPool, secret: &str, hash: &str) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
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
    tx.commit().await?;
    delete_sessions_of(pool, &user_id).await?;
    Ok(true)
}
