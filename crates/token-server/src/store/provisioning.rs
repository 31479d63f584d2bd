//! The people and groups a workspace's identity provider pushes through SCIM (RFC 7643): each
//! person is joined to the account of their address, as a sign-in through the same provider
//! joins it, and their membership follows `active`. Deactivating or deleting a person runs the
//! offboarding an admin's removal runs, with the provider as the actor; activating them again
//! restores the membership and never a disabled token. Membership of the group named as the
//! connection's admin group makes an admin. Every change is one transaction with its audit
//! events, and one workspace's records are never read or written for another.

use sqlx::{AnyConnection, AnyPool};
use token_api::auth::Role;

use super::audit::{record_account_event, Acting, Action, Actor};
use super::members::{offboard, Remover};
use super::sso::BY_PROVIDER;
use crate::{db, secrets};

/// A person as the provider sends them, checked: the address valid and in a claimed domain is
/// checked here, in the transaction that writes.
#[derive(Clone, Debug, Default)]
pub struct PersonInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    /// The address, valid and in its one spelling.
    pub email: String,
    pub email_type: Option<String>,
    pub active: bool,
}

impl PersonInput {
    /// The name the pages show: the display name, else the formatted name, else the given and
    /// family names, else the address's local part.
    fn shown_name(&self) -> String {
        let parts = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        [self.display_name.clone(), self.formatted_name.clone(), Some(parts)]
            .into_iter()
            .flatten()
            .find_map(|n| token_api::validate::display_name(&n).ok())
            .unwrap_or_else(|| self.email.split('@').next().unwrap_or_default().to_owned())
    }
}

/// A person's record as stored, with their address and their groups.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonRecord {
    pub id: String,
    pub user_id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub email: String,
    pub email_type: Option<String>,
    pub active: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(skip)]
    pub groups: Vec<(String, String)>,
}

const PERSON_COLUMNS: &str = "s.id, s.user_id, s.user_name, s.external_id, s.display_name, s.given_name, \
     s.family_name, s.formatted_name, u.email, s.email_type, s.active, s.version, s.created_at, s.updated_at";

/// A group's record as stored, with its members (id and address).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupRecord {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(skip)]
    pub members: Vec<(String, String)>,
}

/// Why a change was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no such resource")]
    NotFound,
    /// Another record of the workspace has the same unique value (SCIM's `uniqueness`).
    #[error("{0}")]
    Uniqueness(String),
    /// A value the service cannot take (SCIM's `invalidValue`), naming the attribute.
    #[error("{0}")]
    InvalidValue(String),
    /// A change to an attribute that does not change once set (SCIM's `mutability`, RFC 7644
    /// §3.5.1): a person's address. Names the attribute.
    #[error("{0}")]
    Mutability(String),
    /// The record changed since the version the request names (`If-Match`).
    #[error("the resource changed since that version")]
    Stale,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Folds a `userName` or a group's name for uniqueness: SCIM compares them without case.
fn key(name: &str) -> String {
    name.to_lowercase()
}

/// Locks the workspace's row, so membership changes take turns (as `members` does).
async fn lock(conn: &mut AnyConnection, workspace_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every person the provider pushed to the workspace, oldest first, with their groups.
pub async fn people(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Vec<PersonRecord>> {
    let mut conn = pool.acquire().await?;
    let mut people: Vec<PersonRecord> = sqlx::query_as(&format!(
        "SELECT {PERSON_COLUMNS} FROM scim_users s JOIN users u ON u.id = s.user_id
         WHERE s.workspace_id = $1 ORDER BY s.created_at, s.id"
    ))
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let links: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.member_id, g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
         WHERE g.workspace_id = $1 ORDER BY g.display_name, g.id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    for (member, group, name) in links {
        if let Some(p) = people.iter_mut().find(|p| p.id == member) {
            p.groups.push((group, name));
        }
    }
    Ok(people)
}

/// One person of the workspace, with their groups.
pub async fn person(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> sqlx::Result<Option<PersonRecord>> {
    let found: Option<PersonRecord> = sqlx::query_as(&format!(
        "SELECT {PERSON_COLUMNS} FROM scim_users s JOIN users u ON u.id = s.user_id
         WHERE s.workspace_id = $1 AND s.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(mut found) = found else { return Ok(None) };
    found.groups = sqlx::query_as(
        "SELECT g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
         WHERE m.member_id = $1 ORDER BY g.display_name, g.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(found))
}

/// Creates a person's record, joined to the account of their address (made if there is none),
/// and, when active, their membership. Refused: a `userName` the workspace has, an address
/// outside the domains the workspace claims, an account another workspace manages or that the
/// provider pushed already, an address that looks like another person's.
pub async fn create_person(pool: &AnyPool, workspace_id: &str, input: &PersonInput) -> Result<PersonRecord, Refusal> {
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    lock(&mut tx, workspace_id).await?;
    unique_user_name(&mut tx, workspace_id, &input.user_name, None).await?;
    let user_id = account_for(&mut tx, workspace_id, input, now).await?;
    let id = format!("su-{}", secrets::random_id());
    let inserted = sqlx::query(
        "INSERT INTO scim_users (id, workspace_id, user_id, user_name, user_name_key, external_id, display_name,
                                 given_name, family_name, formatted_name, email_type, active, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(&user_id)
    .bind(&input.user_name)
    .bind(key(&input.user_name))
    .bind(&input.external_id)
    .bind(&input.display_name)
    .bind(&input.given_name)
    .bind(&input.family_name)
    .bind(&input.formatted_name)
    .bind(&input.email_type)
    .bind(i64::from(input.active))
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if db::is_unique_violation(&e) => {
            return Err(Refusal::Uniqueness(
                "userName: the workspace has a person with this userName or this address already".to_owned(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let reason = format!("{id} created: userName {}", input.user_name);
    audit(&mut tx, workspace_id, Some(&user_id), &reason).await?;
    // The record says what the membership is: an active member pushed as inactive is offboarded.
    if input.active {
        activate(&mut tx, workspace_id, &user_id, &id).await?;
    } else {
        deactivate(&mut tx, workspace_id, &user_id).await?;
    }
    let created = person(&mut tx, workspace_id, &id).await?.ok_or(Refusal::NotFound)?;
    tx.commit().await?;
    Ok(created)
}

/// Replaces a person's record with `input` (PUT, or a PATCH applied): the account's address
/// never changes (it is the person's identity here), the name shown follows; `active` changing
/// offboards or restores them. `if_match`: the version the provider last read.
pub async fn replace_person(
    pool: &AnyPool,
    workspace_id: &str,
    id: &str,
    input: &PersonInput,
    if_match: Option<i64>,
) -> Result<PersonRecord, Refusal> {
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    lock(&mut tx, workspace_id).await?;
    let was = person(&mut tx, workspace_id, id).await?.ok_or(Refusal::NotFound)?;
    if if_match.is_some_and(|v| v != was.version) {
        return Err(Refusal::Stale);
    }
    if !was.email.eq_ignore_ascii_case(&input.email) {
        return Err(Refusal::Mutability(format!(
            "emails: a person's address is their identity here and does not change ({}); deprovision them and provision the new address",
            was.email
        )));
    }
    unique_user_name(&mut tx, workspace_id, &input.user_name, Some(id)).await?;
    let mut changed = Vec::new();
    if was.user_name != input.user_name {
        changed.push(format!("userName {} to {}", was.user_name, input.user_name));
    }
    if was.external_id != input.external_id {
        changed.push("externalId".to_owned());
    }
    let names_changed = was.display_name != input.display_name
        || was.given_name != input.given_name
        || was.family_name != input.family_name
        || was.formatted_name != input.formatted_name;
    if names_changed {
        changed.push("name".to_owned());
        sqlx::query("UPDATE users SET name = $1 WHERE id = $2 AND managed_by = $3")
            .bind(input.shown_name())
            .bind(&was.user_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    let active_changed = (was.active != 0) != input.active;
    let attributes_changed = !changed.is_empty() || was.email_type != input.email_type;
    if attributes_changed || active_changed {
        sqlx::query(
            "UPDATE scim_users SET user_name = $1, user_name_key = $2, external_id = $3, display_name = $4, given_name = $5,
                family_name = $6, formatted_name = $7, email_type = $8, active = $9, version = version + 1, updated_at = $10
             WHERE id = $11 AND workspace_id = $12",
        )
        .bind(&input.user_name)
        .bind(key(&input.user_name))
        .bind(&input.external_id)
        .bind(&input.display_name)
        .bind(&input.given_name)
        .bind(&input.family_name)
        .bind(&input.formatted_name)
        .bind(&input.email_type)
        .bind(i64::from(input.active))
        .bind(now)
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    }
    if !changed.is_empty() {
        let reason = format!("{id} changed: {}", changed.join(", "));
        audit(&mut tx, workspace_id, Some(&was.user_id), &reason).await?;
    }
    // What the provider says now, whatever the record said before: a person the operator put
    // back meanwhile is offboarded again by the next `active: false`.
    if input.active {
        if active_changed {
            activate(&mut tx, workspace_id, &was.user_id, id).await?;
        }
    } else {
        deactivate(&mut tx, workspace_id, &was.user_id).await?;
    }
    let now_is = person(&mut tx, workspace_id, id).await?.ok_or(Refusal::NotFound)?;
    tx.commit().await?;
    Ok(now_is)
}

/// Deletes a person's record and offboards them (their account, tokens and audit trail stay):
/// the provider may provision them again later, as a new record.
pub async fn delete_person(pool: &AnyPool, workspace_id: &str, id: &str, if_match: Option<i64>) -> Result<(), Refusal> {
    let mut tx = db::begin_write(pool).await?;
    lock(&mut tx, workspace_id).await?;
    let was = person(&mut tx, workspace_id, id).await?.ok_or(Refusal::NotFound)?;
    if if_match.is_some_and(|v| v != was.version) {
        return Err(Refusal::Stale);
    }
    deactivate(&mut tx, workspace_id, &was.user_id).await?;
    sqlx::query("DELETE FROM scim_users WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    let reason = format!("{id} deleted: userName {}", was.user_name);
    audit(&mut tx, workspace_id, Some(&was.user_id), &reason).await?;
    tx.commit().await?;
    Ok(())
}

/// Every group of the workspace, by name, with its members.
pub async fn groups(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Vec<GroupRecord>> {
    let mut conn = pool.acquire().await?;
    let mut groups: Vec<GroupRecord> = sqlx::query_as(
        "SELECT id, display_name, external_id, version, created_at, updated_at FROM scim_groups
         WHERE workspace_id = $1 ORDER BY created_at, id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let links: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.group_id, s.id, s.user_name FROM scim_group_members m JOIN scim_users s ON s.id = m.member_id
         WHERE s.workspace_id = $1 ORDER BY s.user_name_key",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    for (group, member, name) in links {
        if let Some(g) = groups.iter_mut().find(|g| g.id == group) {
            g.members.push((member, name));
        }
    }
    Ok(groups)
}

/// One group of the workspace, with its members.
pub async fn group(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> sqlx::Result<Option<GroupRecord>> {
    let found: Option<GroupRecord> = sqlx::query_as(
        "SELECT id, display_name, external_id, version, created_at, updated_at FROM scim_groups
         WHERE workspace_id = $1 AND id = $2",
    )
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(mut found) = found else { return Ok(None) };
    found.members = sqlx::query_as(
        "SELECT s.id, s.user_name FROM scim_group_members m JOIN scim_users s ON s.id = m.member_id
         WHERE m.group_id = $1 ORDER BY s.user_name_key",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(found))
}

/// A group as the provider sends it.
#[derive(Clone, Debug, Default)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// The members' SCIM ids.
    pub members: Vec<String>,
}

/// Creates a group (`id` `None`) or replaces one, members included; the members' roles follow
/// the admin group. Refused: a name the workspace has, a member who is not a person of this
/// workspace.
pub async fn save_group(
    pool: &AnyPool,
    workspace_id: &str,
    id: Option<&str>,
    input: &GroupInput,
    if_match: Option<i64>,
) -> Result<GroupRecord, Refusal> {
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    lock(&mut tx, workspace_id).await?;
    let was = match id {
        Some(id) => Some(group(&mut tx, workspace_id, id).await?.ok_or(Refusal::NotFound)?),
        None => None,
    };
    if let (Some(was), Some(v)) = (&was, if_match) {
        if was.version != v {
            return Err(Refusal::Stale);
        }
    }
    let mut members = input.members.clone();
    members.sort();
    members.dedup();
    for member in &members {
        let (here,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM scim_users WHERE id = $1 AND workspace_id = $2")
            .bind(member)
            .bind(workspace_id)
            .fetch_one(&mut *tx)
            .await?;
        if here == 0 {
            return Err(Refusal::InvalidValue(format!(
                "members: {member} is not a person provisioned to this workspace"
            )));
        }
    }
    let id = match &was {
        Some(was) => {
            let renamed = sqlx::query(
                "UPDATE scim_groups SET display_name = $1, display_name_key = $2, external_id = $3,
                    version = version + 1, updated_at = $4 WHERE id = $5 AND workspace_id = $6",
            )
            .bind(&input.display_name)
            .bind(key(&input.display_name))
            .bind(&input.external_id)
            .bind(now)
            .bind(&was.id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await;
            unique_group_name(renamed)?;
            was.id.clone()
        }
        None => {
            let id = format!("sg-{}", secrets::random_id());
            let inserted = sqlx::query(
                "INSERT INTO scim_groups (id, workspace_id, display_name, display_name_key, external_id, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
            )
            .bind(&id)
            .bind(workspace_id)
            .bind(&input.display_name)
            .bind(key(&input.display_name))
            .bind(&input.external_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
            unique_group_name(inserted)?;
            id
        }
    };
    let before: Vec<String> = was
        .as_ref()
        .map(|w| w.members.iter().map(|(m, _)| m.clone()).collect())
        .unwrap_or_default();
    sqlx::query("DELETE FROM scim_group_members WHERE group_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    for member in &members {
        sqlx::query("INSERT INTO scim_group_members (group_id, member_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(member)
            .execute(&mut *tx)
            .await?;
    }
    let added = members.iter().filter(|m| !before.contains(m)).count();
    let removed = before.iter().filter(|m| !members.contains(m)).count();
    let what = match &was {
        None => "created",
        Some(_) => "changed",
    };
    let reason = format!(
        "group {id} “{}” {what}: {} members, {added} added, {removed} removed",
        input.display_name,
        members.len()
    );
    audit(&mut tx, workspace_id, None, &reason).await?;
    // Everyone who was or is in the group, or in it under its old name: their role may change.
    let mut touched = before;
    touched.extend(members);
    touched.sort();
    touched.dedup();
    follow_admin_group(&mut tx, workspace_id, &touched).await?;
    let saved = group(&mut tx, workspace_id, &id).await?.ok_or(Refusal::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

/// Deletes a group; its members' roles follow.
pub async fn delete_group(pool: &AnyPool, workspace_id: &str, id: &str, if_match: Option<i64>) -> Result<(), Refusal> {
    let mut tx = db::begin_write(pool).await?;
    lock(&mut tx, workspace_id).await?;
    let was = group(&mut tx, workspace_id, id).await?.ok_or(Refusal::NotFound)?;
    if if_match.is_some_and(|v| v != was.version) {
        return Err(Refusal::Stale);
    }
    sqlx::query("DELETE FROM scim_groups WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    let reason = format!("group {id} “{}” deleted", was.display_name);
    audit(&mut tx, workspace_id, None, &reason).await?;
    let touched: Vec<String> = was.members.into_iter().map(|(m, _)| m).collect();
    follow_admin_group(&mut tx, workspace_id, &touched).await?;
    tx.commit().await?;
    Ok(())
}

fn unique_group_name(done: sqlx::Result<sqlx::any::AnyQueryResult>) -> Result<(), Refusal> {
    match done {
        Ok(_) => Ok(()),
        Err(e) if db::is_unique_violation(&e) => Err(Refusal::Uniqueness(
            "displayName: the workspace has a group of this name already".to_owned(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn unique_user_name(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_name: &str,
    except: Option<&str>,
) -> Result<(), Refusal> {
    let taken: Option<(String,)> =
        sqlx::query_as("SELECT id FROM scim_users WHERE workspace_id = $1 AND user_name_key = $2")
            .bind(workspace_id)
            .bind(key(user_name))
            .fetch_optional(&mut *conn)
            .await?;
    match taken {
        Some((other,)) if Some(other.as_str()) != except => Err(Refusal::Uniqueness(
            "userName: the workspace has a person with this userName already".to_owned(),
        )),
        _ => Ok(()),
    }
}

/// The account a new person's record joins: the existing account of their address, where the
/// workspace may join it, else a new account the workspace manages (no password anyone knows).
async fn account_for(
    conn: &mut AnyConnection,
    workspace_id: &str,
    input: &PersonInput,
    now: i64,
) -> Result<String, Refusal> {
    let email = &input.email;
    // A provider speaks for its own domains only, as its sign-ins do: anyone else it pushed
    // would take an address from whoever owns it.
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    let (claimed,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sso_domains d JOIN sso_connections c ON c.workspace_id = d.workspace_id
         WHERE d.workspace_id = $1 AND d.domain = $2",
    )
    .bind(workspace_id)
    .bind(domain)
    .fetch_one(&mut *conn)
    .await?;
    if claimed == 0 {
        return Err(Refusal::InvalidValue(format!(
            "emails: {domain} is not a domain this workspace claims (token-server sso set --domain)"
        )));
    }
    let existing: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT id, managed_by FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((user_id, managed_by)) = existing {
        // Another workspace's admin made that account and may know its password.
        if managed_by.is_some_and(|m| m != workspace_id) {
            return Err(Refusal::InvalidValue(
                "emails: the account of this address is managed by another workspace".to_owned(),
            ));
        }
        // Someone removed from the workspace (by an admin, the operator or the provider) does
        // not come back as a new record: the address may have been given to someone else since,
        // and the old account, its password and its sign-ins are not theirs. The operator
        // decides (`token-server user add`).
        let (removed,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NOT NULL",
        )
        .bind(workspace_id)
        .bind(&user_id)
        .fetch_one(&mut *conn)
        .await?;
        if removed > 0 {
            return Err(Refusal::Uniqueness(
                "emails: the account of this address was removed from the workspace; it does not come back as a new person (the operator may add it back: token-server user add)".to_owned(),
            ));
        }
        return Ok(user_id);
    }
    let skeleton = token_api::validate::skeleton(email);
    let alike: Option<(String,)> =
        sqlx::query_as("SELECT email FROM users WHERE email_skeleton = $1 AND email <> $2 LIMIT 1")
            .bind(&skeleton)
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    if alike.is_some_and(|(other,)| !(other.is_ascii() && email.is_ascii())) {
        return Err(Refusal::InvalidValue(
            "emails: the address looks like another person's".to_owned(),
        ));
    }
    let user_id = format!("u-{}", secrets::random_id());
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, managed_by, created_by, email_skeleton)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&user_id)
    .bind(email)
    .bind(input.shown_name())
    .bind(super::users::unusable_hash())
    .bind(now)
    .bind(workspace_id)
    .bind(BY_PROVIDER)
    .bind(&skeleton)
    .execute(&mut *conn)
    .await?;
    Ok(user_id)
}

/// Makes the person a member again (or for the first time), with the role the admin group
/// gives, audited. Their disabled tokens stay disabled. A membership an admin or the operator
/// ended is theirs to restore, not the provider's: refused.
async fn activate(conn: &mut AnyConnection, workspace_id: &str, user_id: &str, scim_id: &str) -> Result<(), Refusal> {
    let membership: Option<(String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT role, removed_at, removed_by FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    match &membership {
        // A member already (signed in through the provider before it pushed them).
        Some((_, None, _)) => return Ok(()),
        Some((_, Some(_), by)) if by.as_deref() != Some(BY_PROVIDER) => {
            return Err(Refusal::InvalidValue(
                "active: an admin or the operator removed this person from the workspace; only they can add them back"
                    .to_owned(),
            ))
        }
        _ => {}
    }
    let role = if in_admin_group(conn, workspace_id, scim_id).await? {
        Role::Admin
    } else {
        Role::Member
    };
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role, removed_at = NULL, removed_by = NULL, break_glass = 0",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(role.as_str())
    .execute(&mut *conn)
    .await?;
    let reason = match membership {
        None => format!("as {}, by the identity provider (SCIM)", role.as_str()),
        Some(_) => format!(
            "as {}, restored by the identity provider (SCIM); tokens disabled before stay disabled",
            role.as_str()
        ),
    };
    let here = [workspace_id.to_owned()];
    record_account_event(
        conn,
        Action::MemberAdded,
        &here,
        Actor::Provider,
        Some(user_id),
        Acting::by(None, Some(&reason)),
    )
    .await?;
    Ok(())
}

/// Offboards the person, as an admin's removal does, with the provider as the actor.
async fn deactivate(conn: &mut AnyConnection, workspace_id: &str, user_id: &str) -> sqlx::Result<()> {
    let (member,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    if member > 0 {
        offboard(conn, workspace_id, user_id, Remover::Provider, None).await?;
    }
    Ok(())
}

/// Whether the person is in the group the workspace's connection names as its admin group: by
/// its name, or by its `externalId` (Entra ID's groups claim names a group by its object id, and
/// its provisioning sends that id as the group's `externalId`).
async fn in_admin_group(conn: &mut AnyConnection, workspace_id: &str, scim_id: &str) -> sqlx::Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
         JOIN sso_connections c ON c.workspace_id = g.workspace_id
         WHERE m.member_id = $1 AND g.workspace_id = $2 AND c.admin_group IS NOT NULL
           AND (g.display_name_key = LOWER(c.admin_group) OR g.external_id = c.admin_group)",
    )
    .bind(scim_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Sets each active person's role to what the admin group says, audited; the workspace's last
/// admin stays one (a provider that empties the group would leave nobody to manage it).
async fn follow_admin_group(conn: &mut AnyConnection, workspace_id: &str, scim_ids: &[String]) -> sqlx::Result<()> {
    // Without an admin group, groups say nothing about roles: the Admins page sets them (as a
    // sign-in leaves them alone).
    let (named,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sso_connections WHERE workspace_id = $1 AND admin_group IS NOT NULL")
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?;
    if named == 0 {
        return Ok(());
    }
    let here = [workspace_id.to_owned()];
    for scim_id in scim_ids {
        let found: Option<(String, String)> = sqlx::query_as(
            "SELECT m.user_id, m.role FROM scim_users s JOIN memberships m
               ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id AND m.removed_at IS NULL
             WHERE s.id = $1 AND s.workspace_id = $2",
        )
        .bind(scim_id)
        .bind(workspace_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((user_id, was)) = found else { continue };
        let wanted = if in_admin_group(conn, workspace_id, scim_id).await? {
            Role::Admin
        } else {
            Role::Member
        };
        if wanted.as_str() == was {
            continue;
        }
        if wanted == Role::Member {
            let (admins,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' AND removed_at IS NULL",
            )
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?;
            if admins <= 1 {
                let reason = "kept as admin: the workspace's last, whom the admin group no longer holds";
                record_account_event(
                    conn,
                    Action::ScimProvisioned,
                    &here,
                    Actor::Provider,
                    Some(&user_id),
                    Acting::by(None, Some(reason)),
                )
                .await?;
                continue;
            }
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(wanted.as_str())
            .bind(workspace_id)
            .bind(&user_id)
            .execute(&mut *conn)
            .await?;
        let reason = super::members::role_change_reason(&was, wanted, "by the identity provider's admin group (SCIM)");
        record_account_event(
            conn,
            Action::RoleChanged,
            &here,
            Actor::Provider,
            Some(&user_id),
            Acting::by(None, Some(&reason)),
        )
        .await?;
    }
    Ok(())
}

async fn audit(conn: &mut AnyConnection, workspace_id: &str, subject: Option<&str>, reason: &str) -> sqlx::Result<()> {
    let here = [workspace_id.to_owned()];
    record_account_event(
        conn,
        Action::ScimProvisioned,
        &here,
        Actor::Provider,
        subject,
        Acting::by(None, Some(reason)),
    )
    .await
}

/// Whether the workspace is provisioned by SCIM (it has a standing credential), as the Admins
/// page shows it: the last push, the last refused request, the members pushed.
pub async fn status(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Option<token_api::scim::ScimStatus>> {
    let standing: Vec<super::scim::Credential> = super::scim::credentials(pool, workspace_id)
        .await?
        .into_iter()
        .filter(|c| c.revoked_at.is_none())
        .collect();
    if standing.is_empty() {
        return Ok(None);
    }
    let last_error = standing
        .iter()
        .filter_map(|c| Some((c.last_error_at?, c.last_error.clone()?)))
        .max();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT user_id FROM scim_users WHERE workspace_id = $1 ORDER BY user_id")
            .bind(workspace_id)
            .fetch_all(pool)
            .await?;
    Ok(Some(token_api::scim::ScimStatus {
        last_used_at: standing.iter().filter_map(|c| c.last_used_at).max().map(db::to_time),
        last_error_at: last_error.as_ref().map(|(at, _)| db::to_time(*at)),
        last_error: last_error.map(|(_, e)| e),
        provisioned: rows.into_iter().map(|(u,)| u).collect(),
    }))
}
