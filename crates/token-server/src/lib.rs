//! Token Console's token service: the management API the pages call, the OAuth 2.0 endpoints real
//! clients use, and the built single-page app, all from one origin.

pub mod cli;
pub mod config;
pub mod csv;
pub mod db;
pub mod error;
pub mod extract;
pub mod http;
pub mod jwt;
pub mod keyfile;
pub mod maintenance;
pub mod metrics;
pub mod secrets;
pub mod seed;
pub mod server;
pub mod store;
pub mod throttle;

use std::sync::Arc;

use axum::Router;
use token_api::tokens::ACCESS_TOKEN_TTL_SECS;

use crate::config::Config;
use crate::jwt::{AccessClaims, Signer};

/// Password hashes computed at once: each takes a core for about 20 ms and 19 MiB, so more at
/// once than cores only queues them in the blocking pool while holding their memory.
const HASHES_AT_ONCE: usize = 2;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: db::Db,
    /// The refresh grant's batching writer.
    pub rotator: store::refresh::Rotator,
    pub signer: Arc<Signer>,
    pub config: Arc<Config>,
    /// Failed sign-ins, per address and per account: this instance's memory only.
    pub throttle: Arc<throttle::SignInThrottle>,
    /// Bounds how many password hashes run at once, off the async runtime.
    pub hashing: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Connects to the database, migrates it, loads (or creates) the signing key, and starts the
    /// refresh grant's writer task (so it must run inside a Tokio runtime).
    pub async fn new(config: Config) -> anyhow::Result<AppState> {
        let db = db::connect(&config.database_url).await?;
        let key = keyfile::load(&config, db.backend)?;
        let signer = Signer::load_or_create(&db.writer, &key).await?;
        let retry = std::time::Duration::from_secs(config.refresh_retry_seconds.into());
        let state = AppState {
            rotator: store::refresh::Rotator::start(db.writer.clone(), db.backend, retry),
            db,
            signer: Arc::new(signer),
            config: Arc::new(config),
            throttle: Arc::new(throttle::SignInThrottle::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(HASHES_AT_ONCE)),
        };
        maintenance::start(&state);
        Ok(state)
    }

    /// A fresh access token for a grant.
    pub fn issue_access_token(&self, user_id: &str, workspace_id: &str, client_id: &str, grant_id: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let issuer = self.config.issuer();
        self.signer.sign(&AccessClaims {
            iss: issuer.clone(),
            sub: user_id.to_owned(),
            aud: issuer,
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iat: now,
            jti: secrets::random_id(),
            client_id: client_id.to_owned(),
            workspace: workspace_id.to_owned(),
            grant_id: grant_id.to_owned(),
        })
    }
}

/// The whole service as a router, for `serve` and for tests driving it with `oneshot`.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Starts the service and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let seed = config.seed_demo;
    let scale = config.seed_scale_tokens;
    let rotate = config.rotate_signing_key;
    let state = AppState::new(config).await?;
    if rotate {
        let kid = state.signer.rotate(&state.db.writer).await?;
        println!("added signing key {kid}: published now, signing from 5 minutes from now");
        return Ok(());
    }
    if seed {
        seed::demo(&state).await?;
        if scale > 0 {
            seed::scale(&state, scale.div_ceil(100), scale).await?;
        }
    }
    if let Some(address) = state.config.metrics_listen {
        let listener = tokio::net::TcpListener::bind(address).await?;
        tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
        let router = metrics::router(state.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!("Token Console listening on http://{}", listener.local_addr()?);
    let limits = server::Limits::from(&*state.config);
    server::serve(listener, app(state), limits, shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
