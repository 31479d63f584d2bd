//! Background upkeep, once a minute on every instance: the signing keys read again (a rotation
//! made elsewhere arrives here), expired and idle sessions purged, expired set-password links
//! dropped, the sealed successors of refresh tokens whose retry window has closed erased, the
//! sign-in throttle's memory trimmed, and retention: routine audit events, and the address and
//! user agent of a token's last refresh, past `--audit-retention-days`, security events and failed sign-ins past
//! `--security-retention-days` (when set), and the rotated-out refresh digests of grants that
//! ended longer ago than the retry window (reuse of those can no longer matter: the grant is
//! over), the digests of leak reports past their replay window, and audit stream outboxes: the
//! rows of removed destinations, and the oldest events of a backlog past its bound. Each step is idempotent,
//! so instances running it at the same time on one database do no harm; a step that fails is
//! logged and tried next time. Removals go a small batch at a time, so none holds the writer for
//! long; a backlog drains over a few rounds.

use std::time::Duration;

use token_api::audit::AuditAction;

use crate::store::sql::{Arg, Sql};
use crate::{db, AppState};

/// How often the upkeep runs.
pub const PERIOD: Duration = Duration::from_secs(60);

/// Rows removed by one statement.
const PURGE_BATCH: u64 = 1_000;
/// Time one table's purge may take in a round: a backlog drains over a few rounds, and the
/// writer is free between statements.
const PURGE_BUDGET: Duration = Duration::from_secs(5);
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Starts the upkeep on the current runtime; it ends when the runtime does.
pub fn start(state: &AppState) {
    // The signing keys more often than the rest: a key the operator retired stops signing and
    // verifying on every instance within seconds.
    let keys = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::jwt::RELOAD_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = keys.signer.reload(&keys.db.pool).await {
                tracing::warn!(%error, "reading the signing keys again failed");
            }
        }
    });
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = run_once(&state).await {
                tracing::warn!(%error, "background upkeep failed; retrying in a minute");
            }
        }
    });
}

/// One round of upkeep. Each step runs whatever the others did; the first failure is returned.
pub async fn run_once(state: &AppState) -> anyhow::Result<()> {
    run_once_at(state, db::now_ms()).await
}

/// One round of upkeep as if it were `now` (ms since the epoch): the tests' clock.
pub async fn run_once_at(state: &AppState, now: i64) -> anyhow::Result<()> {
    state.throttle.tidy();
    let idle_ms = i64::from(state.config.session_idle_minutes) * 60_000;
    let window_ms = i64::from(state.config.refresh_retry_seconds) * 1000;
    let steps = [
        state.signer.reload(&state.db.pool).await.map_err(anyhow::Error::from),
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR COALESCE(last_seen_at, created_at) <= $2")
            .bind(now)
            .bind(now - idle_ms)
            .execute(&state.db.writer)
            .await
            .map(drop)
            .map_err(anyhow::Error::from),
        sqlx::query(
            "UPDATE rotated_refresh_tokens SET successor_sealed = NULL
             WHERE successor_sealed IS NOT NULL AND rotated_at <= $1",
        )
        .bind(now - window_ms)
        .execute(&state.db.writer)
        .await
        .map(drop)
        .map_err(anyhow::Error::from),
        sqlx::query("DELETE FROM password_setups WHERE expires_at <= $1")
            .bind(now)
            .execute(&state.db.writer)
            .await
            .map(drop)
            .map_err(anyhow::Error::from),
    ];
    let writer = &state.db.writer;
    let routine_cutoff = now - i64::from(state.config.audit_retention_days) * DAY_MS;
    let security = (state.config.security_retention_days > 0)
        .then(|| now - i64::from(state.config.security_retention_days) * DAY_MS);
    let mut retention = vec![
        purge(
            writer,
            "audit_events",
            "id",
            "action = 'refreshed' AND at <= $1",
            routine_cutoff,
        )
        .await,
        purge(
            writer,
            "rotated_refresh_tokens",
            "digest",
            "grant_id IN (SELECT id FROM grants WHERE expires_at <= $1 OR disabled_at <= $1)",
            now - window_ms,
        )
        .await,
    ];
    retention.push(forget_last_refresh(state, routine_cutoff).await);
    retention.push(crate::store::leaks::forget_old_reports(writer, now).await);
    retention.push(
        crate::store::streams::trim(&state.db, PURGE_BUDGET)
            .await
            .map_err(anyhow::Error::from),
    );
    if let Some(cutoff) = security {
        // By name, so the (action, at) index serves it.
        let security: Vec<String> = AuditAction::ALL
            .iter()
            .filter(|a| **a != AuditAction::Refreshed)
            .map(|a| format!("'{}'", a.as_str()))
            .collect();
        let condition = format!("action IN ({}) AND at <= $1", security.join(", "));
        retention.push(purge(writer, "audit_events", "id", &condition, cutoff).await);
        retention.push(purge(writer, "sign_in_failures", "id", "at <= $1", cutoff).await);
    }
    let steps = steps.into_iter().chain(retention.into_iter().map(|r| r.map(drop)));
    steps.collect()
}

/// Forgets where the last refresh of grants last refreshed by `cutoff` came from, as their
/// refresh events are forgotten: found on the reading pool (a scan of the grants, which must not
/// hold SQLite's one writer), then cleared by id, a batch at a time, unless refreshed meanwhile.
async fn forget_last_refresh(state: &AppState, cutoff: i64) -> anyhow::Result<u64> {
    let mut forgotten = 0;
    let started = std::time::Instant::now();
    while started.elapsed() < PURGE_BUDGET {
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM grants
             WHERE last_used_at <= $1 AND (last_used_ip IS NOT NULL OR last_used_agent IS NOT NULL)
             LIMIT {PURGE_BATCH}"
        ))
        .bind(cutoff)
        .fetch_all(&state.db.pool)
        .await?;
        if ids.is_empty() {
            break;
        }
        let mut sql = Sql::default();
        let cutoff = sql.arg(Arg::Int(cutoff));
        let list: Vec<String> = ids.into_iter().map(|id| sql.arg(Arg::Text(id))).collect();
        let text = format!(
            "UPDATE grants SET last_used_ip = NULL, last_used_agent = NULL
             WHERE last_used_at <= {cutoff} AND id IN ({})",
            list.join(", ")
        );
        forgotten += sql.query(&text).execute(&state.db.writer).await?.rows_affected();
    }
    Ok(forgotten)
}

/// Removes the rows of `table` (keyed by `key`) that `condition` picks, given `$1 = cutoff`, in
/// batches of `PURGE_BATCH`; returns how many went.
pub(crate) async fn purge(
    pool: &sqlx::AnyPool,
    table: &str,
    key: &str,
    condition: &str,
    cutoff: i64,
) -> anyhow::Result<u64> {
    let statement =
        format!("DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {condition} LIMIT {PURGE_BATCH})");
    let mut removed = 0;
    let started = std::time::Instant::now();
    while started.elapsed() < PURGE_BUDGET {
        let n = sqlx::query(&statement)
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected();
        removed += n;
        if n < PURGE_BATCH {
            break;
        }
    }
    if removed > 0 {
        tracing::info!(table, removed, "retention: removed old rows");
    }
    Ok(removed)
}
