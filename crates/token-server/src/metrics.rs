//! Prometheus metrics, served on their own address (`--metrics-listen`), never on the public
//! one: what an operator graphs and alerts on.
//!
//! | metric | kind | labels |
//! | --- | --- | --- |
//! | `http_requests_total` | counter | `method`, `route` (the template), `status` |
//! | `http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `refresh_batch_size` | histogram | |
//! | `refresh_queue_wait_seconds` | histogram | |
//! | `sign_in_throttled_total` | counter | |
//! | `sign_in_bursts_total` | counter | |
//! | `db_pool_connections` | gauge | `pool` (`read`, `write`), `state` (`idle`, `in_use`) |
//! | `sessions_active` | gauge | |
//! | `audit_outbox_events` | gauge | |
//! | `audit_outbox_oldest_seconds` | gauge | |
//! | `audit_streams_paused` | gauge | |
//! | `audit_stream_deliveries_total` | counter | `outcome` (`delivered`, `failed`) |
//! | `audit_stream_events_total` | counter | |
//! | `audit_stream_delivery_seconds` | histogram | |
//! | `notices_sent_total` | counter | `kind` (`expiry_7d`, `expiry_1d`, `disabled`) |
//! | `notices_failed_total` | counter | `kind`: notices given up after their last try |
//! | `notices_waiting` | gauge | |
//!
//! Alert on `audit_outbox_oldest_seconds > 900` (an event waiting a quarter of an hour: a
//! destination is failing or the instances cannot keep up), on `audit_streams_paused > 0` (a
//! destination failed for a day; its admins see it on the Admins page), and on
//! `audit_outbox_events` nearing one million per destination (`store::streams::BACKLOG_MAX`:
//! past it the oldest events are dropped).
//!
//! The gauges are read when `/metrics` is scraped; the rest are counted as things happen.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{db, AppState};

/// Latency buckets in seconds: a millisecond to ten seconds.
const SECONDS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Batch sizes of the refresh writer (it takes at most 64 at once).
const BATCH: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use: every instance of the service in this
/// process counts into it (one in production; several in the tests).
pub fn recorder() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("refresh_batch_size".to_owned()), &BATCH))
            .expect("static buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test harness); ours then only renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The metrics router: `GET /metrics`.
pub fn router(state: AppState) -> Router {
    recorder();
    Router::new().route("/metrics", get(render)).with_state(state)
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    for (name, pool) in [("read", &state.db.pool), ("write", &state.db.writer)] {
        let (size, idle) = (pool.size() as f64, pool.num_idle() as f64);
        metrics::gauge!("db_pool_connections", "pool" => name, "state" => "idle").set(idle);
        metrics::gauge!("db_pool_connections", "pool" => name, "state" => "in_use").set(size - idle);
    }
    let active: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE expires_at > $1")
        .bind(db::now_ms())
        .fetch_one(&state.db.pool)
        .await;
    if let Ok((n,)) = active {
        metrics::gauge!("sessions_active").set(n as f64);
    }
    if let Ok((events, oldest_ms)) = crate::store::streams::depth(&state.db.pool, db::now_ms()).await {
        metrics::gauge!("audit_outbox_events").set(events as f64);
        metrics::gauge!("audit_outbox_oldest_seconds").set(oldest_ms as f64 / 1000.0);
    }
    let paused: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM audit_destinations WHERE state = 'paused'")
        .fetch_one(&state.db.pool)
        .await;
    if let Ok((n,)) = paused {
        metrics::gauge!("audit_streams_paused").set(n as f64);
    }
    if let Ok(n) = crate::store::notices::waiting(&state.db.pool).await {
        metrics::gauge!("notices_waiting").set(n as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        recorder().render(),
    )
}
