//! Leak reports: a signed report's matches turned into disabled grants, in one transaction with
//! the report's digest (a replay finds it and changes nothing), and the digests purged once the
//! replay window has passed.
//!
//! A match is one of ours when it is a well-formed refresh token (`token_format::check`) whose
//! digest is a grant's current refresh token, or one the grant rotated out: a leaked rotated-out
//! token means the client's store leaked, and whoever holds it may hold the current one too.
//! A live grant (not disabled, not expired) is disabled as `leaked`, once per report however
//! many of its tokens the report names, and audited in its own workspace as `leak_reported`
//! with GitHub's secret scanning as the actor.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::{AnyConnection, AnyPool};
use token_api::leaks::{leak_reason, LeakMatch};
use token_api::token_format;

use super::audit::{record_change, Acting, Action, GrantRow, RETURNING_GRANT};
use crate::{db, secrets};

/// The `actor_id` of the events a leak report causes: no person has it (people's ids start
/// `u-`), so the audit trail shows GitHub's secret scanning as an actor of its own.
pub const BY_SECRET_SCANNING: &str = "github-secret-scanning";

/// How long a report's digest is kept: the same body within it is a replay. GitHub sends each
/// report once (a retry after a failure is a new delivery of a report that changed nothing).
pub const REPLAY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The report was taken already (within `REPLAY_WINDOW`): nothing was done.
#[derive(Debug, PartialEq, Eq)]
pub struct Replayed;

/// Takes a verified report, identified by `digest` (of its raw body): for each match, in order,
/// whether it is one of our tokens; live grants among them are disabled and audited.
pub async fn take_report(
    pool: &AnyPool,
    digest: &str,
    matches: &[LeakMatch],
    ip: Option<&str>,
) -> sqlx::Result<Result<Vec<bool>, Replayed>> {
    let mut tx = db::begin_write(pool).await?;
    let now = db::now_ms();
    let fresh =
        sqlx::query("INSERT INTO leak_reports (digest, received_at) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
            .bind(digest)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if fresh == 0 {
        return Ok(Err(Replayed));
    }
    let mut ours = Vec::with_capacity(matches.len());
    let mut handled = HashSet::new();
    for m in matches {
        let Some(grant_id) = grant_of(&mut tx, &m.token).await? else {
            ours.push(false);
            continue;
        };
        ours.push(true);
        if handled.insert(grant_id.clone()) {
            disable(&mut tx, &grant_id, &leak_reason(m.url.as_deref()), ip, now).await?;
        }
    }
    tx.commit().await?;
    Ok(Ok(ours))
}

/// The grant a presented string is a refresh token of, current or rotated out, whatever its
/// state; `None` when it is not one of ours.
async fn grant_of(conn: &mut AnyConnection, presented: &str) -> sqlx::Result<Option<String>> {
    if token_format::check(presented).is_err() {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT id FROM grants WHERE refresh_digest = $1
         UNION ALL
         SELECT grant_id FROM rotated_refresh_tokens WHERE digest = $1",
    )
    .bind(secrets::digest(presented))
    .fetch_optional(conn)
    .await
}

/// Disables a live grant as leaked and audits it as an alarm; a disabled or expired one is left
/// as it is.
async fn disable(
    conn: &mut AnyConnection,
    grant_id: &str,
    reason: &str,
    ip: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $2, disabled_cause = 'leaked'
         WHERE id = $3 AND disabled_at IS NULL AND expires_at > $1 {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(now)
        .bind(reason)
        .bind(grant_id)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(grant) = disabled {
        tracing::warn!(grant = %grant.0, workspace = %grant.1, "a leak report named a live token; it is disabled");
        let acting = Acting::by(ip, Some(reason));
        record_change(conn, Action::LeakReported, &grant, Some(BY_SECRET_SCANNING), acting).await?;
    }
    Ok(())
}

/// Forgets the digests of reports older than `REPLAY_WINDOW` (the upkeep's step).
pub async fn forget_old_reports(writer: &AnyPool, now: i64) -> anyhow::Result<u64> {
    let window = i64::try_from(REPLAY_WINDOW.as_millis()).unwrap_or(i64::MAX);
    crate::maintenance::purge(writer, "leak_reports", "digest", "received_at <= $1", now - window).await
}
