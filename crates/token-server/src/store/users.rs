//! Users, their memberships, and sign-in sessions.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sqlx::{AnyPool, Row};
use token_api::audit::AuditAction;
use token_api::auth::{Role, UserSummary, WorkspaceSummary};

use super::audit;
use crate::{db, secrets};

/// How long a sign-in lasts.
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// How long a cross-site frame's session lives (`Me::frame_session`): it is in the page's memory,
/// where a script could reach it, and the host gives the frame a new ticket when it ends.
pub const FRAME_SESSION_TTL_MS: i64 = 60 * 60 * 1000;

/// A password hash in PHC format (argon2id, the crate's default parameters).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&secrets::random_bytes::<16>()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hash: {e}"))
}

/// A valid hash of nothing anyone knows, verified when the email is unknown so that a wrong
/// email and a wrong password take the same time.
static DECOY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&secrets::random_secret()).unwrap_or_default());

/// A valid hash of a secret nobody knows: the password of an account made by an identity
/// provider, which signs in there only. A password tried on it costs what any wrong one costs.
pub fn unusable_hash() -> String {
    DECOY_HASH.clone()
}

/// The longest email address (RFC 5321's path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// An email address as accounts are keyed: trimmed, lower-cased, and cut at 254 characters, so
/// whatever is typed into the field costs the same to look up, count and throttle.
pub fn normalize_email(typed: &str) -> String {
    let cut: String = typed.trim().chars().take(EMAIL_MAX_LEN).collect();
    // The spelling accounts are stored under; what is no address at all matches nobody anyway.
    token_api::validate::email(&cut).unwrap_or_else(|_| cut.to_lowercase())
}

/// The user id and password hash of a normalized email; the decoy hash and no id when nobody has it.
pub async fn password_hash_of(pool: &AnyPool, email: &str) -> sqlx::Result<(Option<String>, String)> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some((id, hash)) => (Some(id), hash),
        None => (None, DECOY_HASH.clone()),
    })
}

/// Whether `password` matches the PHC `hash`: about 20 ms of one core, so callers run it on the
/// blocking pool, never on the async runtime.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Failed sign-ins to one account, from anywhere, within `BURST_WINDOW_MS`, that make a burst:
/// as many as one address may try before the throttle slows it, so someone trying from many
/// addresses or instances is seen as well.
pub const BURST_FAILURES: i64 = 5;

/// The window a burst is counted over, and the grain of its alarms: a quarter of an hour.
pub const BURST_WINDOW_MS: i64 = 15 * 60_000;

/// Records a failed sign-in: the account's address and where from; never the password, and
/// never what was typed for an address nobody has (people paste passwords into that field).
/// Returns whether it raised an alarm (see `raise_burst_alarm`).
pub async fn record_sign_in_failure(
    pool: &AnyPool,
    account: Option<(&str, &str)>,
    ip: Option<&str>,
) -> sqlx::Result<bool> {
    let now = db::now_ms();
    sqlx::query("INSERT INTO sign_in_failures (id, at, email, ip) VALUES ($1, $2, $3, $4)")
        .bind(secrets::random_id())
        .bind(now)
        .bind(account.map_or("", |(_, email)| email))
        .bind(ip)
        .execute(pool)
        .await?;
    // Asked for every failure, an address nobody has included (with no id, which no membership
    // has, and a blank address, which no row holds: accounts' addresses have no spaces): the
    // same two statements whether the account exists or not, so the time taken tells nothing.
    // A failure here is logged, and the answer stays a 401.
    let (user_id, email) = account.unwrap_or(("", " "));
    raise_burst_alarm(pool, user_id, email, ip, now)
        .await
        .inspect_err(|error| tracing::error!(%error, "the sign-in burst check failed"))
        .or(Ok(false))
}

/// If the account's failures within `BURST_WINDOW_MS` make a burst, an alarm in each workspace
/// the person belongs to: a `sign_in_burst` event naming the account and this failure's address,
/// one per workspace and quarter of an hour however long the guessing goes on. Its id is made
/// of the three, so instances counting the same burst write it once, in workspace order so two
/// of them never wait on each other. The count stops at `BURST_FAILURES` rows.
async fn raise_burst_alarm(
    pool: &AnyPool,
    user_id: &str,
    email: &str,
    ip: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let raised = sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, at, action, owner_id, owner_email, owner_name, ip)
         SELECT $1 || m.workspace_id, m.workspace_id, $2, $3, u.id, u.email, u.name, $4
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.user_id = $5 AND m.removed_at IS NULL
           AND (SELECT COUNT(*) FROM (SELECT 1 FROM sign_in_failures f
                                      WHERE f.email = $6 AND f.at > $7 LIMIT $8) AS recent) >= $8
         ORDER BY m.workspace_id
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(format!("burst:{}:{user_id}:", now / BURST_WINDOW_MS))
    .bind(now)
    .bind(AuditAction::SignInBurst.as_str())
    .bind(ip)
    .bind(user_id)
    .bind(email)
    .bind(now - BURST_WINDOW_MS)
    .bind(BURST_FAILURES)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(raised > 0)
}

/// A new session: returns the cookie value (the only copy of it) and the CSRF token. The
/// session's id is new at every sign-in, so one planted before sign-in is worth nothing after.
/// Opens a session for a person whose password was just checked against `checked_hash`, only
/// while that is still their password: a take-over or a new password committed while the hash
/// was being checked (up to seconds, waiting for a hashing slot) opens nothing (`None`). On
/// PostgreSQL the row is read `FOR SHARE`, so a change in flight is waited for, then seen.
pub async fn create_session(
    pool: &AnyPool,
    backend: db::Backend,
    user_id: &str,
    checked_hash: &str,
) -> sqlx::Result<Option<(String, String)>> {
    let cookie = secrets::random_secret();
    let csrf = secrets::random_secret();
    let now = db::now_ms();
    let lock = if backend == db::Backend::Postgres {
        " FOR SHARE"
    } else {
        ""
    };
    let opened = sqlx::query(&format!(
        "INSERT INTO sessions (id_digest, user_id, csrf_token, created_at, expires_at)
         SELECT $1, id, $3, $4, $5 FROM users WHERE id = $2 AND password_hash = $6{lock}"
    ))
    .bind(secrets::digest(&cookie))
    .bind(user_id)
    .bind(&csrf)
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .bind(checked_hash)
    .execute(pool)
    .await?
    .rows_affected();
    Ok((opened == 1).then_some((cookie, csrf)))
}

/// Opens a session that reaches one workspace only (its identity provider, or a host's ticket,
/// vouched for it: `by_provider`), for `lifetime_ms`, in the caller's transaction: its cookie
/// and CSRF token.
pub async fn create_scoped_session(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    workspace_id: &str,
    by_provider: bool,
    lifetime_ms: i64,
) -> sqlx::Result<(String, String)> {
    let cookie = secrets::random_secret();
    let csrf = secrets::random_secret();
    let now = db::now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_digest, user_id, csrf_token, created_at, expires_at, sso_workspace_id, by_provider)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(secrets::digest(&cookie))
    .bind(user_id)
    .bind(&csrf)
    .bind(now)
    .bind(now + lifetime_ms)
    .bind(workspace_id)
    .bind(i64::from(by_provider))
    .execute(conn)
    .await?;
    Ok((cookie, csrf))
}

/// Ends every session of a user: sign out everywhere.
pub async fn delete_sessions_of(pool: &AnyPool, user_id: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected())
}

/// Ends every session of a person at their own asking, audited as `sessions_ended` in each of
/// their workspaces: how many ended.
///
/// A session a workspace's identity provider (or a host's ticket) vouched for reaches that
/// workspace only (`only`), and so does its signing out: that workspace's such sessions end, and
/// only its audit trail is told; the person's other sessions are not its to end.
pub async fn sign_out_everywhere(
    pool: &AnyPool,
    user_id: &str,
    only: Option<&str>,
    ip: Option<&str>,
) -> sqlx::Result<u64> {
    let mut tx = crate::db::begin_write(pool).await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR sso_workspace_id = $2)")
        .bind(user_id)
        .bind(only)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let workspaces = match only {
        Some(ws) => vec![ws.to_owned()],
        None => audit::workspaces_of(&mut tx, user_id).await?,
    };
    let reason = format!("signed out everywhere; {ended} sessions ended");
    let acting = audit::Acting {
        ip,
        reason: Some(&reason),
        owner: None,
        ..Default::default()
    };
    let me = audit::Actor::Person(user_id);
    audit::record_account_event(
        &mut tx,
        audit::Action::SessionsEnded,
        &workspaces,
        me,
        Some(user_id),
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Ends the session the cookie names.
pub async fn delete_session(pool: &AnyPool, cookie: &str) -> sqlx::Result<()> {
    end_session(pool, cookie).await.map(drop)
}

/// Ends a session: the workspace whose identity provider opened it, if one did.
pub async fn end_session(pool: &AnyPool, cookie: &str) -> sqlx::Result<Option<String>> {
    let ended: Option<(Option<String>, i64)> =
        sqlx::query_as("DELETE FROM sessions WHERE id_digest = $1 RETURNING sso_workspace_id, by_provider")
            .bind(secrets::digest(cookie))
            .fetch_optional(pool)
            .await?;
    Ok(ended.and_then(|(workspace, by_provider)| workspace.filter(|_| by_provider != 0)))
}

/// The user and their workspaces, workspaces by name.
pub async fn profile(pool: &AnyPool, user_id: &str) -> sqlx::Result<Option<(UserSummary, Vec<WorkspaceSummary>)>> {
    let user: Option<(String, String, String)> = sqlx::query_as("SELECT id, email, name FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
    let Some((id, email, name)) = user else {
        return Ok(None);
    };
    let workspaces = sqlx::query(&format!(
        "SELECT w.id, w.name, m.role, w.client_id, {}
         FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
         WHERE m.user_id = $1 AND m.removed_at IS NULL ORDER BY w.name",
        super::policy::COLUMNS
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(WorkspaceSummary {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            role: Role::parse_or_least(&r.try_get::<String, _>("role")?),
            client_id: r.try_get("client_id")?,
            policy: super::policy::from_row(&r)?,
        })
    })
    .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(Some((UserSummary { id, email, name }, workspaces)))
}

/// Records the language a person signed in with (`crate::locale`), which their notices are
/// written in; written only when it changed.
pub async fn set_locale(writer: &AnyPool, user_id: &str, locale: crate::locale::Locale) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2 AND (locale IS NULL OR locale <> $1)")
        .bind(locale.tag())
        .bind(user_id)
        .execute(writer)
        .await?;
    Ok(())
}

/// The user's role in the workspace, if they are a member.
pub async fn role_in(conn: &mut sqlx::AnyConnection, workspace_id: &str, user_id: &str) -> sqlx::Result<Option<Role>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL")
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(r,)| Role::parse_or_least(&r)))
}

/// A live session, as its cookie finds it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LiveSession {
    pub user_id: String,
    pub csrf_token: String,
    pub last_seen: i64,
    /// The workspace whose identity provider vouched for the session: the only one it reaches.
    /// `None`: a password session.
    pub sso_workspace_id: Option<String>,
}

/// The live session a cookie names (not expired, not idle for `idle_minutes`). Reads only.
pub async fn live_session(pool: &AnyPool, cookie: &str, idle_minutes: u32) -> sqlx::Result<Option<LiveSession>> {
    let now = db::now_ms();
    let idle_since = now - i64::from(idle_minutes) * 60_000;
    sqlx::query_as(
        "SELECT user_id, csrf_token, COALESCE(last_seen_at, created_at) AS last_seen, sso_workspace_id FROM sessions
         WHERE id_digest = $1 AND expires_at > $2 AND COALESCE(last_seen_at, created_at) > $3",
    )
    .bind(secrets::digest(cookie))
    .bind(now)
    .bind(idle_since)
    .fetch_optional(pool)
    .await
}

/// Records that the session of this cookie digest was seen at `now`.
pub async fn session_seen(writer: &AnyPool, digest: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_digest = $2")
        .bind(now)
        .bind(digest)
        .execute(writer)
        .await?;
    Ok(())
}

/// The member's email and the workspace's name, while they are a member of it.
pub async fn member_and_workspace(
    pool: &AnyPool,
    user_id: &str,
    workspace_id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT u.email, w.name FROM users u JOIN memberships m ON m.user_id = u.id JOIN workspaces w ON w.id = m.workspace_id
         WHERE u.id = $1 AND w.id = $2 AND m.removed_at IS NULL",
    )
    .bind(user_id)
    .bind(workspace_id)
    .fetch_optional(pool)
    .await
}
