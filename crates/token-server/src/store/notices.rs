//! Notices to tokens' owners, as rows (`crate::notices` sends them): found due by an idempotent
//! scan, claimed by one instance with a conditional UPDATE, finished as sent, retried later,
//! given up or skipped; and each member's choice of email per workspace.
//!
//! A notice exists once whichever instances scan: an expiry notice is unique per token and kind,
//! a disable notice per token and per the audit event that disabled it, and both are inserted
//! with `ON CONFLICT DO NOTHING`; the expiry notice's own audit event (`expiry_notice`) is written
//! in the same transaction, only by the insert that made the row.

use sqlx::{AnyPool, FromRow};
use token_api::audit::AuditAction;

use super::audit::{record_change, Acting, Action};
use crate::{db, secrets};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Rows a scan takes at a time; a backlog (the first start on a large database) drains over a
/// few rounds.
const SCAN_BATCH: i64 = 200;

/// How far back a scan looks for disabling events: a notice is for something that just happened,
/// and an instance down for less than this misses none. At the first start of this version, the
/// last day's disables are told too.
pub const DISABLED_LOOKBACK_MS: i64 = DAY_MS;

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The token's refresh token expires within 7 days (and not within 1).
    Expiry7d,
    /// The token's refresh token expires within a day.
    Expiry1d,
    /// Someone other than its owner disabled it, or reuse detection, or a leak report.
    Disabled,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Expiry7d, Kind::Expiry1d, Kind::Disabled];

    /// The stored name, and the metrics' `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Expiry7d => "expiry_7d",
            Kind::Expiry1d => "expiry_1d",
            Kind::Disabled => "disabled",
        }
    }

    pub fn parse(stored: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == stored)
    }

    /// For an expiry kind, the window before expiry it is due in: (lead, the next kind's lead).
    /// A token due for the 7-day notice only once it is within a day is told the 1-day one alone.
    fn window(self) -> Option<(i64, i64)> {
        match self {
            Kind::Expiry7d => Some((7 * DAY_MS, DAY_MS)),
            Kind::Expiry1d => Some((DAY_MS, 0)),
            Kind::Disabled => None,
        }
    }
}

/// The audit actions that disable a token and tell its owner: `disabled` only when someone other
/// than the owner did it (an admin, the operator, the identity provider); a client's revocation
/// (no actor) is the token's own holder's doing.
const DISABLING: [AuditAction; 3] = [
    AuditAction::Disabled,
    AuditAction::ReuseDetected,
    AuditAction::LeakReported,
];

/// A token whose expiry notice came due.
#[derive(Debug, FromRow)]
struct Expiring {
    id: String,
    workspace_id: String,
    user_id: String,
    name: String,
    expires_at: i64,
    wants_email: i64,
}

/// Makes the expiry notices of `kind` that are due at `now`, with their audit events, for live
/// tokens of members that were made at least the kind's lead before they expire (a 3-day token
/// gets no 7-day notice: its owner just chose it). `mail`: whether this instance sends email; a
/// notice made where none is sent, or for a member who turned email off, is made `skipped`.
/// Returns how many were made.
pub async fn scan_expiring(pool: &AnyPool, writer: &AnyPool, kind: Kind, now: i64, mail: bool) -> sqlx::Result<u64> {
    let Some((lead, next)) = kind.window() else {
        return Ok(0);
    };
    let due: Vec<Expiring> = sqlx::query_as(&format!(
        "SELECT g.id, g.workspace_id, g.user_id, g.name, g.expires_at, m.notices_email AS wants_email
         FROM grants g
         JOIN memberships m ON m.workspace_id = g.workspace_id AND m.user_id = g.user_id AND m.removed_at IS NULL
         WHERE g.expires_at > $1 AND g.expires_at <= $2 AND g.created_at <= g.expires_at - $3
           AND g.disabled_at IS NULL AND g.replaced_by IS NULL
           AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.grant_id = g.id AND n.kind = $4)
         ORDER BY g.expires_at, g.id LIMIT {SCAN_BATCH}"
    ))
    .bind(now + next)
    .bind(now + lead)
    .bind(lead)
    .bind(kind.as_str())
    .fetch_all(pool)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    // In one order (by time, then id), so two instances inserting the same rows at once wait
    // for each other rather than deadlock.
    let mut tx = db::begin_write(writer).await?;
    let mut made = 0;
    for token in &due {
        let send = mail && token.wants_email != 0;
        if !insert(&mut tx, kind, token, None, send, now).await? {
            continue;
        }
        made += 1;
        let reason = match days_left(token.expires_at, now) {
            1 => "expires in 1 day".to_owned(),
            n => format!("expires in {n} days"),
        };
        let grant = (
            token.id.clone(),
            token.workspace_id.clone(),
            token.user_id.clone(),
            token.name.clone(),
        );
        let acting = Acting {
            reason: Some(&reason),
            until: Some(token.expires_at),
            ..Acting::default()
        };
        record_change(&mut tx, Action::ExpiryNotice, &grant, None, acting).await?;
    }
    tx.commit().await?;
    Ok(made)
}

/// Whole days until `expires_at`, a part of a day counted as one: what "expires in N days" says.
pub fn days_left(expires_at: i64, now: i64) -> i64 {
    (expires_at - now + DAY_MS - 1).div_euclid(DAY_MS)
}

/// A disabling audit event with no notice yet.
#[derive(Debug, FromRow)]
struct Disabling {
    id: String,
    workspace_id: String,
    user_id: String,
    grant_id: String,
    wants_email: i64,
}

/// Makes a notice of each event of the last `DISABLED_LOOKBACK_MS` that disabled a token and
/// tells its owner (`DISABLING`). Returns how many were made.
pub async fn scan_disabled(pool: &AnyPool, writer: &AnyPool, now: i64, mail: bool) -> sqlx::Result<u64> {
    let actions: Vec<String> = DISABLING.iter().map(|a| format!("'{}'", a.as_str())).collect();
    let due: Vec<Disabling> = sqlx::query_as(&format!(
        "SELECT e.id, e.workspace_id, e.owner_id AS user_id, e.grant_id, COALESCE(m.notices_email, 1) AS wants_email
         FROM audit_events e
         LEFT JOIN memberships m ON m.workspace_id = e.workspace_id AND m.user_id = e.owner_id
         WHERE e.action IN ({}) AND e.at > $1 AND e.grant_id IS NOT NULL AND e.owner_id IS NOT NULL
           AND (e.action <> 'disabled' OR (e.actor_id IS NOT NULL AND e.actor_id <> e.owner_id))
           AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.event_id = e.id)
         ORDER BY e.at, e.id LIMIT {SCAN_BATCH}",
        actions.join(", ")
    ))
    .bind(now - DISABLED_LOOKBACK_MS)
    .fetch_all(pool)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = db::begin_write(writer).await?;
    let mut made = 0;
    for event in &due {
        let row = Row {
            workspace_id: &event.workspace_id,
            user_id: &event.user_id,
            grant_id: &event.grant_id,
        };
        let send = mail && event.wants_email != 0;
        if insert(&mut tx, Kind::Disabled, row, Some(&event.id), send, now).await? {
            made += 1;
        }
    }
    tx.commit().await?;
    Ok(made)
}

/// What a notice row names.
#[derive(Clone, Copy)]
struct Row<'a> {
    workspace_id: &'a str,
    user_id: &'a str,
    grant_id: &'a str,
}

impl<'a> From<&'a Expiring> for Row<'a> {
    fn from(t: &'a Expiring) -> Row<'a> {
        Row {
            workspace_id: &t.workspace_id,
            user_id: &t.user_id,
            grant_id: &t.id,
        }
    }
}

/// Inserts a notice unless it exists; whether this insert made it.
async fn insert<'a>(
    conn: &mut sqlx::AnyConnection,
    kind: Kind,
    row: impl Into<Row<'a>>,
    event_id: Option<&str>,
    send: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let row = row.into();
    let made = sqlx::query(
        "INSERT INTO notices (id, kind, workspace_id, user_id, grant_id, event_id, state, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT DO NOTHING",
    )
    .bind(secrets::random_id())
    .bind(kind.as_str())
    .bind(row.workspace_id)
    .bind(row.user_id)
    .bind(row.grant_id)
    .bind(event_id)
    .bind(if send { "pending" } else { "skipped" })
    .bind(now)
    .execute(conn)
    .await?;
    Ok(made.rows_affected() == 1)
}

/// Up to `limit` notices to send at `now`, oldest due first: pending, due, and not held by
/// another instance. Claim each before sending (`claim`): another instance may have read them too.
pub async fn due(pool: &AnyPool, now: i64, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(&format!(
        "SELECT id FROM notices
         WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_attempt_at, id LIMIT {limit}"
    ))
    .bind(now)
    .fetch_all(pool)
    .await
}

/// Takes a due notice for this instance until `now + lease_ms`, counting the attempt: one
/// conditional UPDATE, so of instances trying at once exactly one changes the row. The lease
/// token that finishing it must name; `None` when another instance has it, or it is not due.
pub async fn claim(writer: &AnyPool, id: &str, now: i64, lease_ms: i64) -> sqlx::Result<Option<String>> {
    let token = secrets::random_id();
    let claimed = sqlx::query(
        "UPDATE notices SET lease_until = $1, lease_token = $2, attempts = attempts + 1
         WHERE id = $3 AND state = 'pending' AND next_attempt_at <= $4 AND (lease_until IS NULL OR lease_until <= $4)",
    )
    .bind(now + lease_ms)
    .bind(&token)
    .bind(id)
    .bind(now)
    .execute(writer)
    .await?;
    Ok((claimed.rows_affected() == 1).then_some(token))
}

/// What a claimed notice says, and to whom: the person, the workspace and their choice there.
#[derive(Debug, FromRow)]
pub struct Notice {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub workspace_id: String,
    pub workspace_name: String,
    pub grant_id: String,
    pub event_id: Option<String>,
    pub email: String,
    pub person_name: String,
    pub locale: Option<String>,
    pub wants_email: i64,
}

/// A notice with its person and workspace; `None` when either is gone.
pub async fn notice(pool: &AnyPool, id: &str) -> sqlx::Result<Option<Notice>> {
    sqlx::query_as(
        "SELECT n.id, n.kind, n.attempts, n.workspace_id, w.name AS workspace_name, n.grant_id, n.event_id,
                u.email, u.name AS person_name, u.locale, COALESCE(m.notices_email, 1) AS wants_email
         FROM notices n
         JOIN workspaces w ON w.id = n.workspace_id
         JOIN users u ON u.id = n.user_id
         LEFT JOIN memberships m ON m.workspace_id = n.workspace_id AND m.user_id = n.user_id
         WHERE n.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The token an expiry notice is about, while it still is to expire: live, not replaced, its
/// owner a member. `None`: nothing to tell any more.
#[derive(Debug, FromRow)]
pub struct StillExpiring {
    pub name: String,
    pub expires_at: i64,
}

pub async fn still_expiring(pool: &AnyPool, grant_id: &str, now: i64) -> sqlx::Result<Option<StillExpiring>> {
    sqlx::query_as(
        "SELECT g.name, g.expires_at FROM grants g
         JOIN memberships m ON m.workspace_id = g.workspace_id AND m.user_id = g.user_id AND m.removed_at IS NULL
         WHERE g.id = $1 AND g.disabled_at IS NULL AND g.replaced_by IS NULL AND g.expires_at > $2",
    )
    .bind(grant_id)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// The audit event that disabled a token, as its notice tells it.
#[derive(Debug, FromRow)]
pub struct Disabled {
    pub action: String,
    pub at: i64,
    pub grant_name: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub reason: Option<String>,
}

/// The event; `None` once retention removed it.
pub async fn disabling_event(pool: &AnyPool, event_id: &str) -> sqlx::Result<Option<Disabled>> {
    sqlx::query_as(
        "SELECT action, at, grant_name, actor_id, actor_name, actor_email, reason FROM audit_events WHERE id = $1",
    )
    .bind(event_id)
    .fetch_optional(pool)
    .await
}

/// How a claimed notice ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Nothing sent, and nothing will be: turned off, or nothing left to tell.
    Skipped,
    /// Failed (why); tried again at this time.
    RetryAt(i64, String),
    /// Failed for the last time (why).
    GaveUp(String),
}

/// Records how the notice held under `lease` ended; a lease that lapsed and went to another
/// instance changes nothing (that instance records its own).
pub async fn finish(writer: &AnyPool, id: &str, lease: &str, now: i64, outcome: &Outcome) -> sqlx::Result<()> {
    let (state, next, error) = match outcome {
        Outcome::Sent => ("sent", None, None),
        Outcome::Skipped => ("skipped", None, None),
        Outcome::RetryAt(at, error) => ("pending", Some(*at), Some(error.as_str())),
        Outcome::GaveUp(error) => ("failed", None, Some(error.as_str())),
    };
    sqlx::query(
        "UPDATE notices SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), last_error = COALESCE($3, last_error),
                sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END, lease_until = NULL, lease_token = NULL
         WHERE id = $5 AND lease_token = $6",
    )
    .bind(state)
    .bind(next)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(lease)
    .execute(writer)
    .await?;
    Ok(())
}

/// How many notices wait to be sent (the `notices_waiting` gauge).
pub async fn waiting(pool: &AnyPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE state = 'pending'")
        .fetch_one(pool)
        .await
}

/// How long a finished notice is kept: long after any scan could find its token or event due
/// again (a disable is looked for a day back; an expiry notice is made at most 7 days before the
/// token expires, after which no scan picks the token).
pub const KEPT_MS: i64 = 30 * DAY_MS;

/// Removes finished notices older than `KEPT_MS`.
pub async fn forget_old(writer: &AnyPool, now: i64) -> anyhow::Result<u64> {
    crate::maintenance::purge(
        writer,
        "notices",
        "id",
        "state <> 'pending' AND created_at <= $1",
        now - KEPT_MS,
    )
    .await
}

/// Whether the member gets email notices in the workspace; `None` when they are not a member.
pub async fn preference(pool: &AnyPool, workspace_id: &str, user_id: &str) -> sqlx::Result<Option<bool>> {
    let row: Option<i64> = sqlx::query_scalar(
        "SELECT notices_email FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|on| on != 0))
}

/// Sets whether the member gets email notices in the workspace; false when they are not a member.
pub async fn set_preference(writer: &AnyPool, workspace_id: &str, user_id: &str, email: bool) -> sqlx::Result<bool> {
    let set = sqlx::query(
        "UPDATE memberships SET notices_email = $1 WHERE workspace_id = $2 AND user_id = $3 AND removed_at IS NULL",
    )
    .bind(i64::from(email))
    .bind(workspace_id)
    .bind(user_id)
    .execute(writer)
    .await?;
    Ok(set.rows_affected() == 1)
}
