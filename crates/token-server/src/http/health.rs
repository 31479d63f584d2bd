//! `GET /healthz`: the process is up and serving (for a liveness probe: restarting it will not
//! bring a database back). `GET /readyz`: it can reach its database (for a readiness probe or a
//! load balancer: send it no traffic until it can).

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::answer;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// `ok` while the process serves requests; it never touches the database.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// `ready` while the database answers, within the pool's acquire timeout (3 s).
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = String), answer::Unavailable))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::error!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
