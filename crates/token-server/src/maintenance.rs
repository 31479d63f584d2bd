//! Background upkeep, once a minute on every instance: the signing keys read again (a rotation
//! made elsewhere arrives here), expired and idle sessions purged, the sealed successors of
//! refresh tokens whose retry window has closed erased, old failed sign-ins dropped, and the
//! sign-in throttle's memory trimmed. Each step is idempotent, so instances running it at the
//! same time on one database do no harm; a step that fails is logged and tried next time.

use std::time::Duration;

use crate::{db, AppState};

/// How often the upkeep runs.
pub const PERIOD: Duration = Duration::from_secs(60);

/// How long failed sign-ins are kept.
const SIGN_IN_FAILURES_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// Starts the upkeep on the current runtime; it ends when the runtime does.
pub fn start(state: &AppState) {
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
    state.throttle.tidy();
    let now = db::now_ms();
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
        sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1")
            .bind(now - SIGN_IN_FAILURES_KEPT_MS)
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
    steps.into_iter().collect()
}
