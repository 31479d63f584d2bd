//! The token service set up for a load test of the refresh grant: the whole app, plus
//! `POST /bench/sign`, a handler that only signs an access token of the same shape and answers
//! the same JSON as the token endpoint (the reference: what the hardware can do without the
//! database). It first creates `--tokens` grants for Ben in Acme and writes their refresh tokens,
//! one per line, to `--tokens-file`, each to be used once (they rotate). Loopback only.
//!
//! With `--observe`, what an operator runs in production is on: the access log (JSON, one line
//! per request, to a file) and the metrics recorder; without it neither is.
//!
//! With `--stream`, Acme streams its audit trail to a receiver in this process (on the next
//! port; its work is charged to the service's core, so the figure errs against streaming), and
//! two more routes report on it: `GET /bench/streamed` (events received, and waiting in the
//! outbox) and `POST /bench/drain?events=N` (the destination paused, N audit events recorded,
//! the destination resumed, and the time until the outbox is empty).
//!
//! cargo run --release -p token-server --example load_server -- \
//!     --listen 127.0.0.1:18383 --database-url sqlite:///tmp/load.db --tokens 50000 --tokens-file /tmp/tokens.txt [--observe]

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use token_api::oauth::TokenResponse;
use token_api::tokens::ACCESS_TOKEN_TTL_SECS;
use token_server::config::Config;
use token_server::{app, secrets, seed, AppState};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The same work as a refresh minus the database: sign a JWT, make a new refresh token.
async fn sign_only(State(state): State<AppState>) -> impl IntoResponse {
    let access_token = state.issue_access_token("u-ben", "ws-acme", "tcc_acme", "bench-grant", Default::default());
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ACCESS_TOKEN_TTL_SECS,
            refresh_token: secrets::new_refresh_token(),
            scope: None,
        }),
    )
}

/// `count` grants for Ben in Acme, inserted directly; returns their refresh tokens.
async fn grants(state: &AppState, count: usize) -> anyhow::Result<Vec<String>> {
    let ben: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'ben@acme.test'")
        .fetch_one(&state.db.pool)
        .await?;
    let now = chrono::Utc::now().timestamp_millis();
    let expires = now + 30 * 86_400_000;
    // Ids of this start's own, so a grant of an earlier run is never taken for one of these.
    let run = &secrets::random_id()[..8];
    let mut tokens = Vec::with_capacity(count);
    let mut tx = state.db.writer.begin().await?;
    // A run before this one on the same database left its grants: each run starts from the
    // same number of rows, so runs compare.
    sqlx::query("DELETE FROM grants WHERE id LIKE 'load-%'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM audit_events WHERE grant_id LIKE 'load-%'")
        .execute(&mut *tx)
        .await?;
    for start in (0..count).step_by(500) {
        let mut rows = Vec::new();
        for i in start..(start + 500).min(count) {
            let i = format!("{run}-{i:06}");
            let refresh = secrets::new_refresh_token();
            rows.push(format!(
                "('load-{i}', 'ws-acme', '{ben}', 'load {i}', 'load {i}', {now}, {expires}, '{}', '{}')",
                secrets::digest(&refresh),
                token_api::token_format::hint(&refresh)
            ));
            tokens.push(refresh);
        }
        sqlx::query(&format!(
            "INSERT INTO grants (id, workspace_id, user_id, name, name_folded, created_at, expires_at, refresh_digest, refresh_hint) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    // The rows deleted above are still on disk until vacuumed, and each round left 150,000 of
    // them more: without this every round was slower than the one before (on PostgreSQL 4,369
    // then 3,826 req/s, the same build), a drift the comparison of two settings read as a cost.
    sqlx::query(if state.db.backend == token_server::db::Backend::Postgres {
        "VACUUM ANALYZE grants"
    } else {
        "VACUUM"
    })
    .execute(&state.db.writer)
    .await?;
    Ok(tokens)
}

/// The receiver: counts the events of each delivery (without checking its signature: the
/// tests do that) and answers 204.
#[derive(Default)]
struct Sink {
    events: std::sync::atomic::AtomicU64,
}

async fn receive(State(sink): State<std::sync::Arc<Sink>>, body: axum::body::Bytes) -> axum::http::StatusCode {
    let n = body.windows(9).filter(|w| w == b"\"action\":").count() as u64;
    sink.events.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    axum::http::StatusCode::NO_CONTENT
}

#[derive(Clone)]
struct Streaming {
    state: AppState,
    sink: std::sync::Arc<Sink>,
    destination: String,
}

async fn streamed(State(s): State<Streaming>) -> String {
    let (waiting, _) = token_server::store::streams::depth(&s.state.db.pool, 0)
        .await
        .unwrap_or_default();
    format!(
        "received {} events; {waiting} waiting in the outbox\n",
        s.sink.events.load(std::sync::atomic::Ordering::Relaxed)
    )
}

/// Pauses the destination, records `events` audit events in Acme a statement of 500 at a time,
/// resumes it, and times the drain.
async fn drain(
    State(s): State<Streaming>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, usize>>,
) -> String {
    use token_api::streams::StreamState;
    use token_server::store::audit::Actor;
    let n = q.get("events").copied().unwrap_or(100_000);
    let pause = |to| {
        let s = s.clone();
        async move {
            let mut tx = s.state.db.writer.begin().await.unwrap();
            token_server::store::streams::set_state(&mut tx, "ws-acme", &s.destination, to, Actor::Operator, None)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    pause(StreamState::Paused).await;
    let before = s.sink.events.load(std::sync::atomic::Ordering::Relaxed);
    let at = chrono::Utc::now().timestamp_millis();
    let started = std::time::Instant::now();
    for chunk in (0..n).step_by(500) {
        let rows: Vec<String> = (chunk..(chunk + 500).min(n))
            .map(|i| {
                format!(
                    "('drain-{at}-{i}', 'ws-acme', {}, 'refreshed', 'u-ben', 'load-drain', 'load drain')",
                    at + i as i64 / 100
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO audit_events (id, workspace_id, at, action, owner_id, grant_id, grant_name) VALUES {}",
            rows.join(",")
        ))
        .execute(&s.state.db.writer)
        .await
        .unwrap();
    }
    let recorded = started.elapsed();
    let (backlog, _) = token_server::store::streams::depth(&s.state.db.pool, 0).await.unwrap();
    let started = std::time::Instant::now();
    pause(StreamState::Active).await;
    loop {
        let (waiting, _) = token_server::store::streams::depth(&s.state.db.pool, 0).await.unwrap();
        if waiting == 0 || started.elapsed() > std::time::Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let drained = started.elapsed();
    let received = s.sink.events.load(std::sync::atomic::Ordering::Relaxed) - before;
    format!(
        "a backlog of {backlog} events (recorded in {:.1} s) drained in {:.1} s: {:.0} events/s; the receiver got {received}\n",
        recorded.as_secs_f64(),
        drained.as_secs_f64(),
        received as f64 / drained.as_secs_f64()
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listen: SocketAddr = arg("--listen").unwrap_or_else(|| "127.0.0.1:18383".into()).parse()?;
    anyhow::ensure!(listen.ip().is_loopback(), "a load test listens on loopback only");
    let count: usize = arg("--tokens").unwrap_or_else(|| "50000".into()).parse()?;
    let file = arg("--tokens-file").unwrap_or_else(|| "tokens.txt".into());
    let dir = std::env::temp_dir().join(format!("token-console-load-{}", std::process::id()));
    // `--observe` turns both on; `LOAD_OBSERVE=logs` or `=metrics` one of them, to tell their
    // costs apart.
    if std::env::args().any(|a| a == "--observe") {
        let only = std::env::var("LOAD_OBSERVE").unwrap_or_default();
        if only != "metrics" {
            std::fs::create_dir_all(&dir)?;
            let log = std::fs::File::create(dir.join("access.log"))?;
            tracing_subscriber::fmt()
                .with_env_filter("token_server=info")
                .with_writer(std::sync::Mutex::new(log))
                .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                .event_format(token_server::http::context::WithRequestId(
                    tracing_subscriber::fmt::format().json(),
                ))
                .init();
        }
        if only != "logs" {
            token_server::metrics::recorder();
        }
    }
    std::fs::create_dir_all(dir.join("dist"))?;
    let mut config =
        Config::with_database(&arg("--database-url").unwrap_or_else(|| format!("sqlite://{}/load.db", dir.display())));
    if config.database_url.starts_with("postgres") {
        // Beside the tokens file, and kept: a second start on the same database needs the key
        // that sealed its signing keys.
        let key = std::path::PathBuf::from(format!("{file}.key"));
        if !key.exists() {
            token_server::keyfile::write_new(&key)?;
        }
        config.key_file = Some(key);
    }
    config.listen = listen;
    config.dist = dir.join("dist");
    config.seed_demo = true;
    let stream = std::env::args().any(|a| a == "--stream");
    // A receiver on loopback: development mode is what allows it.
    config.development = stream;
    let state = AppState::new(config).await?;
    seed::demo(&state).await?;
    let tokens = grants(&state, count).await?;
    std::fs::write(&file, tokens.join("\n") + "\n")?;
    let state_config = state.config.clone();
    let mut router: Router = app(state.clone()).merge(
        Router::new()
            .route("/bench/sign", post(sign_only))
            .with_state(state.clone()),
    );
    if stream {
        let sink = std::sync::Arc::new(Sink::default());
        let at = SocketAddr::new(listen.ip(), listen.port() + 1);
        let receiver = tokio::net::TcpListener::bind(at).await?;
        let collect = Router::new().route("/collect", post(receive)).with_state(sink.clone());
        tokio::spawn(async move { axum::serve(receiver, collect).await });
        // Only this run's events: the destination's own and the refreshes'.
        sqlx::query("DELETE FROM audit_destinations")
            .execute(&state.db.writer)
            .await?;
        sqlx::query("DELETE FROM audit_outbox")
            .execute(&state.db.writer)
            .await?;
        let mut tx = state.db.writer.begin().await?;
        let added = token_server::store::streams::add(
            &mut tx,
            &state.stream_key,
            "ws-acme",
            &format!("http://{at}/collect"),
            &[],
            token_server::store::audit::Actor::Operator,
            None,
        )
        .await?
        .map_err(|_| anyhow::anyhow!("Acme streams to three destinations already"))?;
        tx.commit().await?;
        let streaming = Streaming {
            state: state.clone(),
            sink,
            destination: added.0.id,
        };
        router = router.merge(
            Router::new()
                .route("/bench/streamed", axum::routing::get(streamed))
                .route("/bench/drain", post(drain))
                .with_state(streaming),
        );
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening on http://{listen} with {count} refresh tokens in {file}");
    // The production server, limits and all, so the figures are the deployed service's.
    let limits = token_server::server::Limits::from(&*state_config);
    token_server::server::serve(listener, router, limits, std::future::pending()).await?;
    Ok(())
}
