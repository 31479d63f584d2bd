//! Grants: the tokens the pages list. A grant keeps only the digest of its current refresh token.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use token_api::audit::LastRefresh;
use token_api::auth::Role;
use token_api::tokens::{BatchOutcome, Person, TokenRef, TokenStatus, TokenView};

pub use super::audit::Acting;
use super::audit::{record_change, Action, GrantRow, RETURNING_GRANT};
use super::policy::{joined, words};
use crate::{db, secrets};

/// Whose grants a statement may touch. Both bind the workspace as `$1` and the acting user as `$2`.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// The acting user's own grants, while they are a member of the workspace.
    Own { workspace_id: &'a str, user_id: &'a str },
    /// Every grant of the workspace, while the acting user is an admin there.
    Admin { workspace_id: &'a str, user_id: &'a str },
}

impl<'a> Scope<'a> {
    fn condition(self) -> &'static str {
        match self {
            // A member removed from the workspace acts on nothing there, their own tokens
            // included: those are kept, disabled, for the admins and the audit trail.
            Scope::Own { .. } => {
                "g.workspace_id = $1 AND g.user_id = $2 AND EXISTS (SELECT 1 FROM memberships a
                   WHERE a.workspace_id = $1 AND a.user_id = $2 AND a.removed_at IS NULL)"
            }
            Scope::Admin { .. } => {
                "g.workspace_id = $1 AND EXISTS (SELECT 1 FROM memberships a
                   WHERE a.workspace_id = $1 AND a.user_id = $2 AND a.role = 'admin' AND a.removed_at IS NULL)"
            }
        }
    }

    fn binds(self) -> (&'a str, &'a str) {
        match self {
            Scope::Own { workspace_id, user_id } | Scope::Admin { workspace_id, user_id } => (workspace_id, user_id),
        }
    }

    /// The person acting.
    fn actor(self) -> &'a str {
        self.binds().1
    }

    /// A statement under this scope's `condition`, its workspace and acting person bound as `$1`
    /// and `$2`: the statement's own values follow from `$3`.
    fn query<'q>(self, sql: &'q str) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>
    where
        'a: 'q,
    {
        let (ws, user) = self.binds();
        sqlx::query(sql).bind(ws).bind(user)
    }

    /// `query`, read into `O` by name.
    fn query_as<'q, O>(self, sql: &'q str) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>
    where
        'a: 'q,
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let (ws, user) = self.binds();
        sqlx::query_as(sql).bind(ws).bind(user)
    }
}

/// The columns `view_from_row` reads, each by its name; a statement's own columns follow them,
/// under names of their own.
pub(super) const VIEW_COLUMNS: &str = "g.id AS t_id, g.name AS t_name, g.workspace_id AS t_workspace,
    g.created_at AS t_created, g.expires_at AS t_expires, g.last_used_at AS t_used, g.disabled_at AS t_disabled,
    g.refresh_hint AS t_hint, o.id AS owner_id, o.email AS owner_email, o.name AS owner_name,
    d.id AS by_id, d.email AS by_email, d.name AS by_name, g.disabled_cause AS t_cause,
    g.disabled_reason AS t_reason, g.description AS t_description, g.scope AS t_scope, g.ranges AS t_ranges,
    rg.id AS next_id, rg.name AS next_name, rg.refresh_hint AS next_hint";
/// The joins `VIEW_COLUMNS` needs (`rg`: the token that replaced it).
pub(super) const VIEW_FROM: &str =
    "FROM grants g JOIN users o ON o.id = g.user_id LEFT JOIN users d ON d.id = g.disabled_by
    LEFT JOIN grants rg ON rg.id = g.replaced_by";

/// A token view from a row that starts with `VIEW_COLUMNS`.
pub(super) fn view_from_row(r: &AnyRow, now_ms: i64) -> sqlx::Result<TokenView> {
    let disabled_at: Option<i64> = r.try_get("t_disabled")?;
    let expires_at: i64 = r.try_get("t_expires")?;
    let scope: Option<String> = r.try_get("t_scope")?;
    let disabled_by = match r.try_get::<Option<String>, _>("by_id")? {
        Some(id) => Some(Person {
            id,
            email: r.try_get("by_email")?,
            name: r.try_get("by_name")?,
        }),
        None => None,
    };
    Ok(TokenView {
        id: r.try_get("t_id")?,
        name: r.try_get("t_name")?,
        workspace_id: r.try_get("t_workspace")?,
        created_at: db::to_time(r.try_get("t_created")?),
        expires_at: db::to_time(expires_at),
        last_used_at: r.try_get::<Option<i64>, _>("t_used")?.map(db::to_time),
        status: TokenStatus::at(disabled_at.is_some(), db::to_time(expires_at), db::to_time(now_ms)),
        disabled_at: disabled_at.map(db::to_time),
        disabled_by,
        // An unknown spelling (a newer instance's) reads as no cause rather than failing the list.
        disabled_cause: r.try_get::<Option<String>, _>("t_cause")?.and_then(|c| c.parse().ok()),
        disabled_reason: r.try_get("t_reason")?,
        description: r.try_get("t_description")?,
        hint: r.try_get("t_hint")?,
        replaced_by: match r.try_get::<Option<String>, _>("next_id")? {
            Some(id) => Some(TokenRef {
                id,
                name: r.try_get("next_name")?,
                hint: r.try_get("next_hint")?,
            }),
            None => None,
        },
        owner: Person {
            id: r.try_get("owner_id")?,
            email: r.try_get("owner_email")?,
            name: r.try_get("owner_name")?,
        },
        all_permissions: scope.is_none(),
        permissions: words(scope),
        ranges: words(r.try_get("t_ranges")?),
    })
}

/// The grants in scope, newest first.
pub async fn list(conn: &mut AnyConnection, scope: Scope<'_>) -> sqlx::Result<Vec<TokenView>> {
    let sql = format!(
        "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE {} ORDER BY g.created_at DESC, g.id DESC",
        scope.condition()
    );
    let now = db::now_ms();
    scope
        .query(&sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| view_from_row(r, now))
        .collect()
}

/// One grant in scope.
pub async fn get(conn: &mut AnyConnection, scope: Scope<'_>, id: &str) -> sqlx::Result<Option<TokenView>> {
    let sql = format!(
        "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE {} AND g.id = $3",
        scope.condition()
    );
    let row = scope.query(&sql).bind(id).fetch_optional(conn).await?;
    row.map(|r| view_from_row(&r, db::now_ms())).transpose()
}

/// Where a grant's last refresh came from; `None` if it was never refreshed. The caller has
/// checked that the reader may see the grant.
pub async fn last_refresh(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<LastRefresh>> {
    let row: Option<(Option<i64>, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT last_used_at, last_used_ip, last_used_agent FROM grants WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(at, ip, user_agent)| {
        Some(LastRefresh {
            at: db::to_time(at?),
            ip,
            user_agent,
        })
    }))
}

/// Why a token was not generated.
#[derive(Debug, PartialEq, Eq)]
pub enum NotCreated {
    /// Not a member of the workspace.
    NotMember,
    /// The workspace lets only its admins generate tokens.
    AdminsOnly,
    /// Longer than the workspace allows: its maximum.
    AboveMaxLifetime(u32),
    /// The member holds as many active tokens as the workspace allows: that many.
    TooManyActive(u32),
    /// The token to replace is not one of the member's, or is disabled or replaced already.
    NothingToReplace,
    /// What it would carry (permissions, ranges) is not what the policy allows: the field and why.
    Refused(&'static str, token_api::validate::Invalid),
}

/// What a new grant is: its name and lifetime, what it carries and from where, and for a
/// regenerated token the one it replaces (whose permissions and ranges it keeps).
#[derive(Clone, Copy, Debug)]
pub struct NewGrant<'a> {
    pub name: &'a str,
    pub lifetime_days: u32,
    pub description: Option<&'a str>,
    pub replaces: Option<&'a token_api::tokens::Replaces>,
    pub all_permissions: bool,
    pub permissions: &'a [String],
    pub ranges: &'a [String],
}

/// A grant just made: its id, its refresh token (the only copy), and what its first access
/// token carries.
#[derive(Debug)]
pub struct Created {
    pub id: String,
    pub refresh_token: String,
    pub carries: Carries,
}

/// What an access token carries: the permissions as a `scope` (empty: none), and the ranges the
/// grant may be refreshed from, for resource servers that enforce them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carries {
    pub scope: String,
    pub ranges: Vec<String>,
}

impl Carries {
    /// From what a grant stores: its scope (`None`: all, so the workspace's catalogue, whose
    /// names `all` lists) and its ranges.
    pub fn of(scope: Option<String>, all: impl FnOnce() -> Vec<String>, ranges: Option<String>) -> Carries {
        let mut names = match scope {
            Some(s) => words(Some(s)),
            None => all(),
        };
        names.sort();
        Carries {
            scope: names.join(" "),
            ranges: words(ranges),
        }
    }
}

impl Carries {
    /// Whether the permissions asked for (`None`: all it carries) are among those it carries.
    pub fn holds(&self, asked: Option<&[String]>) -> bool {
        asked.is_none_or(|names| names.iter().all(|n| self.scope.split(' ').any(|c| c == n)))
    }

    /// Narrowed to the permissions asked for (`holds` checked them); `None` keeps them all.
    pub fn narrowed(self, asked: Option<&[String]>) -> Carries {
        match asked {
            Some(names) => Carries {
                scope: names.join(" "),
                ..self
            },
            None => self,
        }
    }
}

/// What a grant carries, from its stored scope (`None`: all), its workspace's catalogue as
/// stored (JSON; read only for a grant of every permission), the members' cap as stored (read
/// only for such a grant of a member: an admin's "all" is the whole catalogue, a member's what
/// members may choose of it, as the policy says now) and its stored ranges.
pub fn carried(
    scope: Option<String>,
    catalogue: Option<String>,
    cap: Option<String>,
    ranges: Option<String>,
) -> Carries {
    let all = || {
        let cap = cap.map(|c| words(Some(c)));
        catalogue
            .and_then(|j| serde_json::from_str::<Vec<token_api::permissions::Permission>>(&j).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.name)
            .filter(|n| cap.as_ref().is_none_or(|c| c.contains(n)))
            .collect()
    };
    Carries::of(scope, all, ranges)
}

/// A new grant for `user_id`, within the workspace's policy. Returns its id and the refresh
/// token (the only copy). The member's row is written first, so on PostgreSQL two requests of
/// one member take turns and cannot both pass the active-token limit (SQLite has one writer).
///
/// A regenerated token (`replaces`) does not count its predecessor against the limit; the
/// predecessor is disabled at once, or its expiry brought forward to the end of the overlap,
/// and the whole is audited as one `regenerated` event on the new token.
pub async fn create(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
    new: NewGrant<'_>,
    ip: Option<&str>,
) -> sqlx::Result<Result<Created, NotCreated>> {
    let NewGrant {
        name,
        lifetime_days,
        description,
        replaces,
        ..
    } = new;
    let now = db::now_ms();
    let member = sqlx::query(
        "UPDATE memberships SET role = role WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if member == 0 {
        return Ok(Err(NotCreated::NotMember));
    }
    let row = sqlx::query(&format!(
        "SELECT {}, m.role AS role,
            (SELECT COUNT(*) FROM grants g WHERE g.workspace_id = $1 AND g.user_id = $2
               AND g.disabled_at IS NULL AND g.expires_at > $3 AND g.id <> $4) AS active
         FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
         WHERE w.id = $1 AND m.user_id = $2",
        super::policy::COLUMNS
    ))
    .bind(workspace_id)
    .bind(user_id)
    .bind(now)
    .bind(replaces.map_or("", |r| r.token_id.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    let policy = super::policy::from_row(&row)?;
    let (role, active): (String, i64) = (row.try_get("role")?, row.try_get("active")?);
    let admin = Role::parse_or_least(&role) == Role::Admin;
    if policy.creators == token_api::policy::Creators::Admins && !admin {
        return Ok(Err(NotCreated::AdminsOnly));
    }
    if lifetime_days > policy.max_lifetime_days {
        return Ok(Err(NotCreated::AboveMaxLifetime(policy.max_lifetime_days)));
    }
    if let Some(cap) = policy.max_active_per_member.filter(|cap| active >= i64::from(*cap)) {
        return Ok(Err(NotCreated::TooManyActive(cap)));
    }
    // The predecessor: the member's own, not disabled and not replaced already by a token that
    // still exists (an expired one may be regenerated; one whose successor was deleted, too).
    let replaced: Option<(String, i64, Option<String>, Option<String>)> = match replaces {
        Some(r) => {
            let found: Option<(String, i64, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT name, expires_at, scope, ranges FROM grants
                 WHERE id = $1 AND workspace_id = $2 AND user_id = $3 AND disabled_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM grants s WHERE s.id = grants.replaced_by)",
            )
            .bind(&r.token_id)
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
            match found {
                Some(f) => Some(f),
                None => return Ok(Err(NotCreated::NothingToReplace)),
            }
        }
        None => None,
    };
    // A regenerated token carries what its predecessor did, if the policy still allows it.
    let (all, names, ranges) = match &replaced {
        Some((_, _, scope, ranges)) => {
            if new.all_permissions || !new.permissions.is_empty() || !new.ranges.is_empty() {
                return Ok(Err(NotCreated::Refused(
                    "replaces",
                    token_api::validate::Invalid::UnknownField,
                )));
            }
            (scope.is_none(), words(scope.clone()), words(ranges.clone()))
        }
        None => (new.all_permissions, new.permissions.to_vec(), new.ranges.to_vec()),
    };
    let (names, ranges) = match policy.check_token(admin, all, &names, &ranges) {
        Ok(checked) => checked,
        Err((field, why)) => return Ok(Err(NotCreated::Refused(field, why))),
    };
    let scope = if all { None } else { joined(&names) };
    let cap = policy.member_permissions.as_ref().filter(|_| !admin);
    let catalogue = || {
        let names = policy.permissions.iter().map(|p| p.name.clone());
        names.filter(|n| cap.is_none_or(|c| c.contains(n))).collect()
    };
    let carries = Carries::of(scope.clone(), catalogue, joined(&ranges));
    let id = secrets::random_id();
    let refresh = secrets::new_refresh_token();
    let expires = now + i64::from(lifetime_days) * 86_400_000;
    let inserted = sqlx::query(
        "INSERT INTO grants (id, workspace_id, user_id, name, name_folded, created_at, expires_at, refresh_digest, refresh_hint,
                             description, description_folded, scope, ranges)
         SELECT $1, m.workspace_id, m.user_id, $4, $9, $5, $6, $7, $8, $10, $11, $12, $13
         FROM memberships m WHERE m.workspace_id = $2 AND m.user_id = $3 AND m.removed_at IS NULL",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(user_id)
    .bind(name)
    .bind(now)
    .bind(expires)
    .bind(secrets::digest(&refresh))
    .bind(token_api::token_format::hint(&refresh))
    .bind(token_api::search::fold(name))
    .bind(description)
    .bind(description.map(token_api::search::fold))
    .bind(scope)
    .bind(joined(&ranges))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(NotCreated::NotMember));
    }
    let grant = (id, workspace_id.to_owned(), user_id.to_owned(), name.to_owned());
    let Some((r, (old_name, old_expires, _, _))) = replaces.zip(replaced) else {
        record_change(
            conn,
            Action::Created,
            &grant,
            Some(user_id),
            Acting {
                ip,
                ..Default::default()
            },
        )
        .await?;
        return Ok(Ok(Created {
            id: grant.0,
            refresh_token: refresh,
            carries,
        }));
    };
    // The predecessor points to its successor, and stops at once or at the end of the overlap
    // (its expiry only ever moves earlier). Still not disabled as it is written: a disable that
    // came in between (an admin's, a reuse detection) keeps its who and why, and this
    // regeneration is refused (the caller rolls back).
    let overlap = r.overlap.duration().num_milliseconds();
    let changed = sqlx::query(
        "UPDATE grants SET replaced_by = $2,
            disabled_at = CASE WHEN $4 = 0 THEN $3 ELSE disabled_at END,
            disabled_by = CASE WHEN $4 = 0 THEN $5 ELSE disabled_by END,
            disabled_cause = CASE WHEN $4 = 0 THEN 'regenerated' ELSE disabled_cause END,
            expires_at = CASE WHEN $4 > 0 AND expires_at > $3 + $4 THEN $3 + $4 ELSE expires_at END
         WHERE id = $1 AND disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM grants s WHERE s.id = grants.replaced_by)",
    )
    .bind(&r.token_id)
    .bind(&grant.0)
    .bind(now)
    .bind(overlap)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    if changed.rows_affected() == 0 {
        return Ok(Err(NotCreated::NothingToReplace));
    }
    let until = (overlap > 0).then(|| old_expires.min(now + overlap));
    // Each token's history tells the other half: the new one what it replaced, the old one
    // what replaced it, and both when the old one stops.
    let old = (r.token_id.clone(), grant.1.clone(), grant.2.clone(), old_name);
    for (action, row, other) in [(Action::Regenerated, &grant, &old), (Action::Replaced, &old, &grant)] {
        let acting = Acting {
            ip,
            other: Some((&other.0, &other.3)),
            until,
            ..Default::default()
        };
        record_change(conn, action, row, Some(user_id), acting).await?;
    }
    Ok(Ok(Created {
        id: grant.0,
        refresh_token: refresh,
        carries,
    }))
}

/// Sets the description of one of the user's own grants (`None` removes it); `false` when there
/// is no such grant.
pub async fn describe(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    id: &str,
    description: Option<&str>,
) -> sqlx::Result<bool> {
    let sql = format!(
        "UPDATE grants AS g SET description = $4, description_folded = $5 WHERE g.id = $3 AND {}",
        scope.condition()
    );
    let changed = scope
        .query(&sql)
        .bind(id)
        .bind(description)
        .bind(description.map(token_api::search::fold))
        .execute(conn)
        .await?;
    Ok(changed.rows_affected() == 1)
}

/// Disables a grant in scope. Disabling a disabled grant changes nothing.
pub async fn disable(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    id: &str,
    acting: Acting<'_>,
) -> sqlx::Result<BatchOutcome> {
    let sql = format!(
        "UPDATE grants AS g SET disabled_at = $4, disabled_by = $2, disabled_reason = $5, disabled_cause = 'person'
         WHERE g.id = $3 AND g.disabled_at IS NULL AND {} {RETURNING_GRANT}",
        scope.condition()
    );
    let changed: Option<GrantRow> = scope
        .query_as(&sql)
        .bind(id)
        .bind(db::now_ms())
        .bind(acting.reason)
        .fetch_optional(&mut *conn)
        .await?;
    match changed {
        Some(grant) => {
            record_change(conn, Action::Disabled, &grant, Some(scope.actor()), acting).await?;
            Ok(BatchOutcome::Done)
        }
        None if exists(conn, scope, id).await? => Ok(BatchOutcome::AlreadyDisabled),
        None => Ok(BatchOutcome::NotFound),
    }
}

/// Deletes a grant in scope, with its rotated-out refresh tokens.
pub async fn delete(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    id: &str,
    acting: Acting<'_>,
) -> sqlx::Result<BatchOutcome> {
    let sql = format!(
        "DELETE FROM grants AS g WHERE g.id = $3 AND {} {RETURNING_GRANT}",
        scope.condition()
    );
    let deleted: Option<GrantRow> = scope.query_as(&sql).bind(id).fetch_optional(&mut *conn).await?;
    let Some(grant) = deleted else {
        return Ok(BatchOutcome::NotFound);
    };
    record_change(conn, Action::Deleted, &grant, Some(scope.actor()), acting).await?;
    Ok(BatchOutcome::Done)
}

async fn exists(conn: &mut AnyConnection, scope: Scope<'_>, id: &str) -> sqlx::Result<bool> {
    let sql = format!("SELECT g.id FROM grants g WHERE g.id = $3 AND {}", scope.condition());
    let row: Option<(String,)> = scope.query_as(&sql).bind(id).fetch_optional(conn).await?;
    Ok(row.is_some())
}

/// The workspace's OAuth 2.0 client id, if `user_id` is a member there.
pub async fn client_id_for_member(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT w.client_id FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
         WHERE w.id = $1 AND m.user_id = $2 AND m.removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(c,)| c))
}

/// Whether the grant of a verified access token still works: not disabled nor deleted, its owner
/// still a member of its workspace, and the key that signed it (`kid`) not retired.
pub async fn access_is_live(
    pool: &sqlx::AnyPool,
    grant_id: &str,
    workspace_id: &str,
    user_id: &str,
    kid: &str,
) -> sqlx::Result<bool> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT g.id FROM grants g
         JOIN memberships m ON m.workspace_id = g.workspace_id AND m.user_id = g.user_id AND m.removed_at IS NULL
         WHERE g.id = $1 AND g.workspace_id = $2 AND g.user_id = $3 AND g.disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM signing_key_ring k WHERE k.kid = $4 AND k.retired_at IS NOT NULL)",
    )
    .bind(grant_id)
    .bind(workspace_id)
    .bind(user_id)
    .bind(kid)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}
