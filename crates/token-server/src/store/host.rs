//! Host keys and their one-time sign-in tickets: a host app's backend, holding a key the operator
//! issued for one workspace and its origin, asks for a ticket for one of that workspace's
//! members; the panel exchanges it once, within a minute, from that origin, for a session that
//! reaches that workspace only. Only digests of keys and tickets are kept.

use sqlx::AnyPool;
use token_api::host::{HOST_KEY_PREFIX, TICKET_PREFIX, TICKET_TTL_SECS};

use super::audit::{record_account_event, Acting, Action, Actor};
use crate::{db, secrets};

/// A host key as the operator lists it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HostKey {
    pub id: String,
    pub workspace_id: String,
    pub origin: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Issues a host key for a workspace and the host's origin, audited: its id and the secret,
/// which is shown once and kept as a digest. `None` when the workspace does not exist.
pub async fn create_key(pool: &AnyPool, workspace_id: &str, origin: &str) -> sqlx::Result<Option<(String, String)>> {
    let mut tx = db::begin_write(pool).await?;
    let known: Option<(String,)> = sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Ok(None);
    }
    let id = format!("hk-{}", secrets::random_id());
    let secret = format!("{HOST_KEY_PREFIX}{}", secrets::random_secret());
    sqlx::query("INSERT INTO host_keys (id, workspace_id, digest, origin, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(workspace_id)
        .bind(secrets::digest(&secret))
        .bind(origin)
        .bind(db::now_ms())
        .execute(&mut *tx)
        .await?;
    let reason = format!("{id} issued for {origin}");
    let here = [workspace_id.to_owned()];
    record_account_event(
        &mut tx,
        Action::HostKeyChanged,
        &here,
        Actor::Operator,
        None,
        Acting::by(None, Some(&reason)),
    )
    .await?;
    tx.commit().await?;
    Ok(Some((id, secret)))
}

/// A workspace's host keys, oldest first.
pub async fn keys(pool: &AnyPool, workspace_id: &str) -> sqlx::Result<Vec<HostKey>> {
    sqlx::query_as(
        "SELECT id, workspace_id, origin, created_at, revoked_at FROM host_keys WHERE workspace_id = $1
         ORDER BY created_at, id",
    )
    .bind(workspace_id)
    .fetch_all(pool)
    .await
}

/// Revokes a host key, audited; its outstanding tickets stop working with it. `false` when it
/// does not exist or was revoked already.
pub async fn revoke_key(pool: &AnyPool, id: &str) -> sqlx::Result<bool> {
    let mut tx = db::begin_write(pool).await?;
    let revoked: Option<(String, String)> = sqlx::query_as(
        "UPDATE host_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING workspace_id, origin",
    )
    .bind(db::now_ms())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((workspace_id, origin)) = revoked else {
        return Ok(false);
    };
    let reason = format!("{id} for {origin} revoked");
    let here = [workspace_id];
    record_account_event(
        &mut tx,
        Action::HostKeyChanged,
        &here,
        Actor::Operator,
        None,
        Acting::by(None, Some(&reason)),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The standing key a secret opens.
pub async fn key_of(pool: &AnyPool, secret: &str) -> sqlx::Result<Option<HostKey>> {
    sqlx::query_as(
        "SELECT id, workspace_id, origin, created_at, revoked_at FROM host_keys WHERE digest = $1 AND revoked_at IS NULL",
    )
    .bind(secrets::digest(secret))
    .fetch_optional(pool)
    .await
}

/// Issues a ticket for the member of the key's workspace with this (normalised) email, audited:
/// the ticket and when it stops working, in ms. `None` when nobody with that email is a member.
/// Tickets past their time are swept on the way.
pub async fn issue_ticket(
    pool: &AnyPool,
    key: &HostKey,
    email: &str,
    ip: Option<&str>,
) -> sqlx::Result<Option<(String, i64)>> {
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    sqlx::query("DELETE FROM host_tickets WHERE expires_at < $1")
        .bind(now - 3_600_000)
        .execute(&mut *tx)
        .await?;
    let member: Option<(String,)> = sqlx::query_as(
        "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
         WHERE u.email = $1 AND m.workspace_id = $2 AND m.removed_at IS NULL",
    )
    .bind(email)
    .bind(&key.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id,)) = member else {
        return Ok(None);
    };
    let ticket = format!("{TICKET_PREFIX}{}", secrets::random_secret());
    let expires_at = now + TICKET_TTL_SECS * 1000;
    sqlx::query(
        "INSERT INTO host_tickets (digest, host_key_id, workspace_id, user_id, origin, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(secrets::digest(&ticket))
    .bind(&key.id)
    .bind(&key.workspace_id)
    .bind(&user_id)
    .bind(&key.origin)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let reason = format!("by {} for {}", key.id, key.origin);
    let here = [key.workspace_id.clone()];
    let acting = Acting::by(ip, Some(&reason));
    record_account_event(
        &mut tx,
        Action::HostTicketIssued,
        &here,
        Actor::Service,
        Some(&user_id),
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(Some((ticket, expires_at)))
}

/// A session a ticket opened: whose, where, and its cookie and CSRF token.
#[derive(Debug)]
pub struct Opened {
    pub user_id: String,
    pub workspace_id: String,
    pub cookie: String,
    pub csrf_token: String,
}

/// Why a ticket opened nothing. A used, expired, foreign or revoked ticket is used up all the
/// same: it is tried once.
#[derive(Debug, PartialEq, Eq)]
pub enum NotOpened {
    /// No such ticket, or used already.
    Unknown,
    Expired,
    /// Exchanged from another origin than its host's.
    OtherOrigin,
    /// Its host key was revoked, or its member left the workspace.
    Revoked,
}

impl NotOpened {
    fn as_str(&self) -> &'static str {
        match self {
            NotOpened::Unknown => "unknown or used",
            NotOpened::Expired => "expired",
            NotOpened::OtherOrigin => "another origin",
            NotOpened::Revoked => "host key revoked or member gone",
        }
    }
}

/// Exchanges a ticket, once, from `origin`, for a session that reaches the ticket's workspace
/// only (for a host's frame, `framed`, one that lives an hour); audited either way where the
/// ticket is known.
pub async fn exchange(
    pool: &AnyPool,
    ticket: &str,
    origin: Option<&str>,
    framed: bool,
    ip: Option<&str>,
) -> sqlx::Result<Result<Opened, NotOpened>> {
    let now = db::now_ms();
    let mut tx = db::begin_write(pool).await?;
    // Used up at the first try, whatever comes of it.
    let taken: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "UPDATE host_tickets SET used_at = $1 WHERE digest = $2 AND used_at IS NULL
         RETURNING host_key_id, workspace_id, user_id, origin, expires_at",
    )
    .bind(now)
    .bind(secrets::digest(ticket))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((key_id, workspace_id, user_id, bound_origin, expires_at)) = taken else {
        // A ticket presented again is told to its workspace's admins: someone holds a copy.
        let used: Option<(String, String, String)> =
            sqlx::query_as("SELECT host_key_id, workspace_id, user_id FROM host_tickets WHERE digest = $1")
                .bind(secrets::digest(ticket))
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((key_id, workspace_id, user_id)) = used {
            let reason = format!("used already: by {key_id}, from {}", origin.unwrap_or("no origin"));
            let here = [workspace_id];
            let acting = Acting::by(ip, Some(&reason));
            record_account_event(
                &mut tx,
                Action::HostTicketRefused,
                &here,
                Actor::Service,
                Some(&user_id),
                acting,
            )
            .await?;
            tx.commit().await?;
        }
        return Ok(Err(NotOpened::Unknown));
    };
    let standing: Option<(i64,)> = sqlx::query_as(
        "SELECT COUNT(*) FROM host_keys k JOIN memberships m ON m.workspace_id = k.workspace_id
         WHERE k.id = $1 AND k.revoked_at IS NULL AND m.user_id = $2 AND m.removed_at IS NULL",
    )
    .bind(&key_id)
    .bind(&user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let refusal = if expires_at <= now {
        Some(NotOpened::Expired)
    } else if origin != Some(bound_origin.as_str()) {
        Some(NotOpened::OtherOrigin)
    } else if standing.is_none_or(|(n,)| n == 0) {
        Some(NotOpened::Revoked)
    } else {
        None
    };
    let here = [workspace_id.clone()];
    if let Some(refusal) = refusal {
        let reason = format!(
            "{}: by {key_id}, from {}",
            refusal.as_str(),
            origin.unwrap_or("no origin")
        );
        let acting = Acting::by(ip, Some(&reason));
        record_account_event(
            &mut tx,
            Action::HostTicketRefused,
            &here,
            Actor::Service,
            Some(&user_id),
            acting,
        )
        .await?;
        tx.commit().await?;
        return Ok(Err(refusal));
    }
    let lifetime = if framed {
        super::users::FRAME_SESSION_TTL_MS
    } else {
        super::users::SESSION_TTL_MS
    };
    let (cookie, csrf_token) =
        super::users::create_scoped_session(&mut tx, &user_id, &workspace_id, false, lifetime).await?;
    let place = if framed { "in its frame on" } else { "from" };
    let reason = format!("by {key_id}, {place} {bound_origin}");
    let acting = Acting::by(ip, Some(&reason));
    record_account_event(
        &mut tx,
        Action::HostTicketUsed,
        &here,
        Actor::Person(&user_id),
        Some(&user_id),
        acting,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Opened {
        user_id,
        workspace_id,
        cookie,
        csrf_token,
    }))
}
