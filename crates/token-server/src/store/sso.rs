//! Workspaces' identity providers: the connection the operator sets, the sign-ins under way, and
//! what a checked identity becomes: the person it was before, a new member (just in time), or
//! an existing account joined to it, each in one transaction with its audit events.

use sqlx::{AnyConnection, AnyPool};
use token_api::auth::Role;
use token_api::sso::{SsoConnection, SsoRefusal, SsoState};

use super::audit::{record_account_event, Acting, Action, Actor};
use crate::oidc::Identity;
use crate::{db, secrets};

/// How long a sign-in may take at the provider, from the start to its answer.
pub const LOGIN_TTL_MS: i64 = 10 * 60_000;

/// The `created_by` of an account a workspace's identity provider made.
pub const BY_PROVIDER: &str = "identity-provider";

/// A workspace's connection as stored (its secret still sealed).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConnectionRow {
    pub workspace_id: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub admin_group: Option<String>,
    pub required: i64,
    pub trust_emails: i64,
    pub sign_out_at_provider: i64,
    pub last_sign_in_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

/// What the operator sets.
#[derive(Clone, Debug)]
pub struct Settings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub admin_group: Option<String>,
    pub domains: Vec<String>,
    pub required: bool,
    /// The provider's addresses in the claimed domains count as verified (`--trust-emails`).
    pub trust_emails: bool,
    /// Signing out of a session the provider opened ends the provider's session too.
    pub sign_out_at_provider: bool,
}

/// Why a connection was not set.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("no workspace has the id {0}")]
    NoSuchWorkspace(String),
    #[error("the domain {domain} is claimed by the workspace “{workspace}”: a domain is one workspace's")]
    DomainTaken { domain: String, workspace: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Connects a workspace to its provider, or changes the connection: audited as
/// `sso_connection_changed` by the operator (never the secret).
pub async fn set(pool: &AnyPool, workspace_id: &str, settings: &Settings) -> Result<(), SetError> {
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    let known: Option<(String,)> = sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Err(SetError::NoSuchWorkspace(workspace_id.to_owned()));
    }
    for domain in &settings.domains {
        let owner: Option<(String,)> = sqlx::query_as(
            "SELECT w.name FROM sso_domains d JOIN workspaces w ON w.id = d.workspace_id
             WHERE d.domain = $1 AND d.workspace_id <> $2",
        )
        .bind(domain)
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((workspace,)) = owner {
            return Err(SetError::DomainTaken {
                domain: domain.clone(),
                workspace,
            });
        }
    }
    // Another provider, or another client at it: the sessions the old one vouched for end.
    let before: Option<(String, String)> =
        sqlx::query_as("SELECT issuer, client_id FROM sso_connections WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    let ended = match before {
        Some((issuer, client)) if issuer != settings.issuer || client != settings.client_id => {
            // Its SCIM credentials were the old provider's: they stop too.
            super::scim::revoke_all(&mut tx, workspace_id, "the workspace's identity provider changed").await?;
            sqlx::query("DELETE FROM sessions WHERE sso_workspace_id = $1")
                .bind(workspace_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }
        _ => 0,
    };
    sqlx::query(
        "INSERT INTO sso_connections (workspace_id, issuer, client_id, client_secret_sealed, admin_group, required,
                                      trust_emails, sign_out_at_provider, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $8, $9, $7, $7)
         ON CONFLICT (workspace_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
             client_secret_sealed = excluded.client_secret_sealed, admin_group = excluded.admin_group,
             required = excluded.required, trust_emails = excluded.trust_emails,
             sign_out_at_provider = excluded.sign_out_at_provider, updated_at = excluded.updated_at,
             last_error = NULL, last_error_at = NULL",
    )
    .bind(workspace_id)
    .bind(&settings.issuer)
    .bind(&settings.client_id)
    .bind(&settings.client_secret_sealed)
    .bind(settings.admin_group.as_deref())
    .bind(i64::from(settings.required))
    .bind(now)
    .bind(i64::from(settings.trust_emails))
    .bind(i64::from(settings.sign_out_at_provider))
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM sso_domains WHERE workspace_id = $1")
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    for domain in &settings.domains {
        sqlx::query("INSERT INTO sso_domains (domain, workspace_id) VALUES ($1, $2)")
            .bind(domain)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    let reason = format!(
        "issuer {}, client {}, admin group {}, domains {}, {}{}; {ended} sessions through the one before ended",
        settings.issuer,
        settings.client_id,
        settings.admin_group.as_deref().unwrap_or("(none)"),
        if settings.domains.is_empty() {
            "(none)".to_owned()
        } else {
            settings.domains.join(" ")
        },
        match (settings.required, settings.trust_emails) {
            (true, false) => "required",
            (false, false) => "passwords allowed",
            (true, true) => "required, its emails trusted",
            (false, true) => "passwords allowed, its emails trusted",
        },
        if settings.sign_out_at_provider {
            ", signing out there too"
        } else {
            ""
        }
    );
    let here = [workspace_id.to_owned()];
    let acting = Acting::by(None, Some(&reason));
    record_account_event(
        &mut tx,
        Action::SsoConnectionChanged,
        &here,
        Actor::Operator,
        None,
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disconnects a workspace from its provider: `false` when it had none. Sessions its provider
/// vouched for end; identities stay, so connecting it again finds the same people.
pub async fn remove(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<bool> {
    let mut tx = db::begin_write(pool).await?;
    let removed = sqlx::query("DELETE FROM sso_connections WHERE workspace_id = $1")
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM sso_domains WHERE workspace_id = $1")
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE sso_workspace_id = $1")
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    // A connection set again later is a new trust: the old SCIM credentials do not come back.
    super::scim::revoke_all(&mut tx, workspace_id, "the workspace's identity provider was removed").await?;
    let reason = format!("removed; {ended} sessions through it ended");
    let here = [workspace_id.to_owned()];
    let acting = Acting::by(None, Some(&reason));
    record_account_event(
        &mut tx,
        Action::SsoConnectionChanged,
        &here,
        Actor::Operator,
        None,
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The workspace's connection, if it has one.
pub async fn connection(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Option<ConnectionRow>> {
    sqlx::query_as(
        "SELECT workspace_id, issuer, client_id, client_secret_sealed, admin_group, required, trust_emails,
                sign_out_at_provider, last_sign_in_at, last_error, last_error_at
         FROM sso_connections WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(pool)
    .await
}

/// The domains a workspace claims, sorted.
pub async fn domains(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT domain FROM sso_domains WHERE workspace_id = $1 ORDER BY domain")
        .bind(workspace_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// The connection as its admins see it: no secret.
pub async fn summary(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Option<SsoConnection>> {
    let Some(row) = connection(pool, workspace_id).await? else {
        return Ok(None);
    };
    let at = |ms: Option<i64>| ms.and_then(chrono::DateTime::from_timestamp_millis);
    let last_error = row.last_error.as_deref().and_then(|e| e.parse().ok());
    let state = match (row.last_sign_in_at, row.last_error_at) {
        (_, Some(failed)) if row.last_sign_in_at.is_none_or(|ok| failed > ok) => SsoState::Failing,
        (Some(_), _) => SsoState::Working,
        _ => SsoState::Unused,
    };
    Ok(Some(SsoConnection {
        domains: domains(pool, workspace_id).await?,
        issuer: row.issuer,
        client_id: row.client_id,
        admin_group: row.admin_group,
        required: row.required != 0,
        sign_out_at_provider: row.sign_out_at_provider != 0,
        state,
        last_sign_in_at: at(row.last_sign_in_at),
        last_error,
        last_error_at: at(row.last_error_at),
    }))
}

/// The workspace that claims an email's domain.
pub async fn workspace_for_domain(pool: &AnyPool, domain: &str) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT d.workspace_id FROM sso_domains d JOIN sso_connections c ON c.workspace_id = d.workspace_id
         WHERE d.domain = $1",
    )
    .bind(domain)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(w,)| w))
}

/// Records the connection's last failure on the service's or the provider's side.
pub async fn record_failure(pool: &AnyPool, workspace_id: &str, refusal: SsoRefusal) -> sqlx::Result<()> {
    sqlx::query("UPDATE sso_connections SET last_error = $1, last_error_at = $2 WHERE workspace_id = $3")
        .bind(refusal.as_str())
        .bind(db::now_ms())
        .bind(workspace_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a refused sign-in in the workspace's audit trail: the reason's word and the identity
/// it came with (the subject and email as the provider sent them; never a token).
pub async fn record_refusal(
    pool: &AnyPool,
    workspace_id: &str,
    refusal: SsoRefusal,
    who: &Identity,
    ip: Option<&str>,
) -> sqlx::Result<()> {
    let reason = format!(
        "{}: {} as {} ({})",
        refusal.as_str(),
        who.issuer,
        who.subject,
        who.email.as_deref().unwrap_or("no email")
    );
    let mut conn = pool.acquire().await?;
    let here = [workspace_id.to_owned()];
    record_account_event(
        &mut conn,
        Action::SsoRefused,
        &here,
        Actor::Service,
        None,
        Acting::by(ip, Some(&reason)),
    )
    .await
}

/// Marks, or unmarks, a member's account as break-glass in a workspace: it may sign in with its
/// password where the provider is required. `false` when they are no member there.
pub async fn set_break_glass(pool: &AnyPool, workspace_id: &str, email: &str, on: bool) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE memberships SET break_glass = $1
         WHERE workspace_id = $2 AND removed_at IS NULL AND user_id = (SELECT id FROM users WHERE email = $3)",
    )
    .bind(i64::from(on))
    .bind(workspace_id)
    .bind(email)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// A sign-in under way, as the start leaves it for the callback.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Login {
    pub workspace_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
}

/// Keeps a started sign-in for its callback, under the digest of its `state`, bound to the
/// digest of the browser's cookie. Sign-ins past their time are swept on the way.
/// At most this many sign-ins under way at once, service-wide: a flood of starts fills no disk.
pub const LOGINS_AT_ONCE: i64 = 10_000;

/// `false` (and nothing kept) when `LOGINS_AT_ONCE` are under way already.
pub async fn begin_login(pool: &AnyPool, state: &str, browser: &str, login: &Login) -> sqlx::Result<bool> {
    let now = db::now_ms();
    sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1")
        .bind(now)
        .execute(pool)
        .await?;
    let (under_way,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sso_logins")
        .fetch_one(pool)
        .await?;
    if under_way >= LOGINS_AT_ONCE {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO sso_logins (state_digest, browser_digest, workspace_id, nonce, pkce_verifier, return_to, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(secrets::digest(state))
    .bind(secrets::digest(browser))
    .bind(&login.workspace_id)
    .bind(&login.nonce)
    .bind(&login.pkce_verifier)
    .bind(&login.return_to)
    .bind(now + LOGIN_TTL_MS)
    .execute(pool)
    .await?;
    Ok(true)
}

/// Takes the sign-in a `state` names, once: only from the browser that started it, and only in
/// its time. A replayed, swapped or stale `state` finds nothing.
pub async fn take_login(pool: &AnyPool, state: &str, browsers: &[String]) -> sqlx::Result<Option<Login>> {
    // Used up whatever the outcome, in the statement that reads it: of two answers with one
    // `state`, one finds it.
    let found: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
        "DELETE FROM sso_logins WHERE state_digest = $1
         RETURNING browser_digest, workspace_id, nonce, pkce_verifier, return_to, expires_at",
    )
    .bind(secrets::digest(state))
    .fetch_optional(pool)
    .await?;
    let Some((browser, workspace_id, nonce, pkce_verifier, return_to, expires_at)) = found else {
        return Ok(None);
    };
    let same_browser = browsers.iter().any(|b| secrets::same(&secrets::digest(b), &browser));
    Ok((same_browser && expires_at > db::now_ms()).then_some(Login {
        workspace_id,
        nonce,
        pkce_verifier,
        return_to,
    }))
}

/// A session a provider vouched for: its cookie and CSRF token, and whose it is.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: String,
    pub cookie: String,
    pub csrf_token: String,
}

/// What the workspace's connection decides a checked identity may become.
pub struct Rules<'a> {
    pub workspace_id: &'a str,
    /// The connection the answer was checked against: a sign-in that meets it changed or
    /// removed since is refused.
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub admin_group: Option<&'a str>,
    pub domains: &'a [String],
    /// The operator vouches for the provider's addresses in the claimed domains.
    pub trust_emails: bool,
}

/// Signs in a checked identity to the workspace whose provider vouched for it: the person it was
/// before, or a new member made just in time, or the existing account of its email (only when
/// the provider verified the email and its domain is one the workspace claims, and no other
/// workspace manages the account). The role follows the admin group on every sign-in. All in
/// one transaction with its audit events; a refusal leaves nothing behind.
pub async fn sign_in(pool: &AnyPool, rules: &Rules<'_>, who: &Identity, ip: Option<&str>) -> Result<SignedIn, Refused> {
    let ws = rules.workspace_id;
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    let known: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM sso_identities WHERE workspace_id = $1 AND issuer = $2 AND subject = $3")
            .bind(ws)
            .bind(&who.issuer)
            .bind(&who.subject)
            .fetch_optional(&mut *tx)
            .await?;
    let mut how = Vec::new();
    let user_id = match known {
        Some((user_id,)) => user_id,
        None => {
            let user_id = join(&mut tx, rules, who, now, &mut how).await?;
            let linked = sqlx::query(
                "INSERT INTO sso_identities (workspace_id, issuer, subject, user_id, created_at, last_sign_in_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(ws)
            .bind(&who.issuer)
            .bind(&who.subject)
            .bind(&user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
            match linked {
                Ok(_) => user_id,
                // Another subject of the provider took the account a moment ago, or this one
                // signed in twice at once: either way, not this sign-in's to make.
                Err(e) if db::is_unique_violation(&e) => return Err(Refused::Because(SsoRefusal::AccountTaken)),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let membership: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT role, removed_at FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws)
            .bind(&user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let here = [ws.to_owned()];
    let wanted = rules.admin_group.map(|group| {
        if who.groups.iter().any(|g| g == group) {
            Role::Admin
        } else {
            Role::Member
        }
    });
    match membership {
        Some((_, Some(_))) => return Err(Refused::Because(SsoRefusal::Removed)),
        Some((was, None)) => {
            // The group claim never leaves the workspace without an admin (a provider that stops
            // sending groups would demote them all): the last one stays, and the sign-in says so.
            let last_admin = if was == Role::Admin.as_str() && wanted == Some(Role::Member) {
                let (admins,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' AND removed_at IS NULL",
                )
                .bind(ws)
                .fetch_one(&mut *tx)
                .await?;
                admins <= 1
            } else {
                false
            };
            if last_admin {
                how.push("kept as admin: the workspace's last, whom the admin group no longer names".to_owned());
            } else if let Some(role) = wanted.filter(|r| r.as_str() != was) {
                sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
                    .bind(role.as_str())
                    .bind(ws)
                    .bind(&user_id)
                    .execute(&mut *tx)
                    .await?;
                let reason = super::members::role_change_reason(&was, role, "by the identity provider's admin group");
                let acting = Acting::by(ip, Some(&reason));
                record_account_event(
                    &mut tx,
                    Action::RoleChanged,
                    &here,
                    Actor::Person(&user_id),
                    Some(&user_id),
                    acting,
                )
                .await?;
            }
        }
        None => {
            let role = wanted.unwrap_or(Role::Member);
            sqlx::query("INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)")
                .bind(ws)
                .bind(&user_id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            let reason = format!("as {}, by the identity provider {}", role.as_str(), who.issuer);
            let acting = Acting::by(ip, Some(&reason));
            record_account_event(
                &mut tx,
                Action::MemberAdded,
                &here,
                Actor::Person(&user_id),
                Some(&user_id),
                acting,
            )
            .await?;
        }
    }
    sqlx::query(
        "UPDATE sso_identities SET last_sign_in_at = $1 WHERE workspace_id = $2 AND issuer = $3 AND subject = $4",
    )
    .bind(now)
    .bind(ws)
    .bind(&who.issuer)
    .bind(&who.subject)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sso_connections SET last_sign_in_at = $1 WHERE workspace_id = $2")
        .bind(now)
        .bind(ws)
        .execute(&mut *tx)
        .await?;
    let (cookie, csrf_token) =
        super::users::create_scoped_session(&mut tx, &user_id, ws, true, super::users::SESSION_TTL_MS).await?;
    how.insert(0, format!("through {} as {}", who.issuer, who.subject));
    let reason = how.join("; ");
    let acting = Acting::by(ip, Some(&reason));
    record_account_event(
        &mut tx,
        Action::SsoSignIn,
        &here,
        Actor::Person(&user_id),
        Some(&user_id),
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn {
        user_id,
        cookie,
        csrf_token,
    })
}

/// Why an identity was not signed in.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("refused: {}", .0.as_str())]
    Because(SsoRefusal),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The account a new identity signs in as: the existing account of its email where it may join
/// it, else a new account the workspace manages (no password anyone knows).
async fn join(
    conn: &mut AnyConnection,
    rules: &Rules<'_>,
    who: &Identity,
    now: i64,
    how: &mut Vec<String>,
) -> Result<String, Refused> {
    let refuse = |r| Err(Refused::Because(r));
    let Some(email) = who.email.as_deref().and_then(|e| token_api::validate::email(e).ok()) else {
        return refuse(SsoRefusal::UnverifiedEmail);
    };
    // An email alone is no identity, and a provider speaks for its own domains only: an account
    // is joined or made for an address the provider verified, in a domain the workspace claims.
    // Anyone else a multi-tenant or social provider signs in is nobody here.
    if !who.email_verified && !rules.trust_emails {
        return refuse(SsoRefusal::UnverifiedEmail);
    }
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    if !rules.domains.iter().any(|d| d == domain) {
        return refuse(SsoRefusal::UnknownDomain);
    }
    let existing: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT id, managed_by FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((user_id, managed_by)) = existing {
        // Another workspace's admin made that account and may know its password.
        if managed_by.is_some_and(|m| m != rules.workspace_id) {
            return refuse(SsoRefusal::ManagedElsewhere);
        }
        // One identity of the provider per account: a second subject with the same address is
        // someone the address was given to since, not the account's owner.
        let (linked,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sso_identities WHERE workspace_id = $1 AND issuer = $2 AND user_id = $3",
        )
        .bind(rules.workspace_id)
        .bind(&who.issuer)
        .bind(&user_id)
        .fetch_one(&mut *conn)
        .await?;
        if linked > 0 {
            return refuse(SsoRefusal::AccountTaken);
        }
        how.push("joined to the existing account of its verified email".to_owned());
        return Ok(user_id);
    }
    // A new address that looks like someone else's (the same letters to the eye, TS #39) is
    // refused, as adding a member is.
    let skeleton = token_api::validate::skeleton(&email);
    let alike: Option<(String,)> =
        sqlx::query_as("SELECT email FROM users WHERE email_skeleton = $1 AND email <> $2 LIMIT 1")
            .bind(&skeleton)
            .bind(&email)
            .fetch_optional(&mut *conn)
            .await?;
    if alike.is_some_and(|(other,)| !(other.is_ascii() && email.is_ascii())) {
        return refuse(SsoRefusal::AccountTaken);
    }
    let name = who
        .name
        .as_deref()
        .and_then(|n| token_api::validate::display_name(n).ok())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let user_id = format!("u-{}", secrets::random_id());
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, managed_by, created_by, email_skeleton)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&user_id)
    .bind(&email)
    .bind(&name)
    .bind(super::users::unusable_hash())
    .bind(now)
    .bind(rules.workspace_id)
    .bind(BY_PROVIDER)
    .bind(&skeleton)
    .execute(&mut *conn)
    .await?;
    how.push("a new account".to_owned());
    Ok(user_id)
}

/// Whether a password session of `user_id` is kept out of the workspace: it requires its
/// provider and the account is not a break-glass one there.
pub async fn provider_required(conn: &mut AnyConnection, workspace_id: &str, user_id: &str) -> sqlx::Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT COALESCE(m.break_glass, 0) FROM sso_connections c
         LEFT JOIN memberships m ON m.workspace_id = c.workspace_id AND m.user_id = $2
         WHERE c.workspace_id = $1 AND c.required <> 0",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some_and(|(break_glass,)| break_glass == 0))
}

/// The workspaces, among the user's, that a password session may not enter, and those where the
/// account signs in by breaking the glass: `(kept_out, break_glass)`.
pub async fn password_limits(pool: &AnyPool, user_id: &str) -> sqlx::Result<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT m.workspace_id, m.break_glass FROM memberships m JOIN sso_connections c ON c.workspace_id = m.workspace_id
         WHERE m.user_id = $1 AND m.removed_at IS NULL AND c.required <> 0 ORDER BY m.workspace_id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    let (glass, kept): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, g)| *g != 0);
    Ok((
        kept.into_iter().map(|(w, _)| w).collect(),
        glass.into_iter().map(|(w, _)| w).collect(),
    ))
}
