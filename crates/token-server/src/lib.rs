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
pub mod leaks;
pub mod locale;
pub mod maintenance;
pub mod metrics;
pub mod notices;
pub mod oidc;
pub mod scim;
pub mod secrets;
pub mod seed;
pub mod server;
pub mod store;
pub mod streams;
pub mod throttle;

use std::sync::Arc;

use axum::Router;
use token_api::audit::AuditAction;
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
    /// Seals the device cookies of browsers that signed in (from the key file, so every
    /// instance of a deployment opens every other's).
    pub device_key: [u8; 32],
    /// Seals the client secrets of workspaces' identity providers (from the key file).
    pub sso_key: [u8; 32],
    /// The service as a relying party of workspaces' identity providers.
    pub oidc: Arc<oidc::RelyingParty>,
    /// Each SCIM credential's request budget on this instance.
    pub scim_limits: Arc<throttle::Buckets>,
    /// The keys GitHub's secret scanning signs its leak reports with; `None` when
    /// `--secret-scanning-keys-url` is not set (the endpoint then answers 404).
    pub leak_keys: Option<Arc<leaks::KeyRing>>,
    /// Each address's budget of leak reports on this instance.
    pub leak_limits: Arc<throttle::Buckets>,
    /// Seals audit stream destinations' secrets and headers (from the key file).
    pub stream_key: [u8; 32],
    /// Posts audit stream deliveries.
    pub streams: streams::Sender,
    /// Stops this instance's audit stream worker (`stop_streaming`).
    pub stream_stop: Arc<tokio::sync::watch::Sender<bool>>,
    /// The mail server notices go through; `None` when `--smtp-url` is not set (no email).
    pub mailer: Option<Arc<notices::mail::Mailer>>,
}

/// What audit stream destinations' secrets and headers are sealed for, from the key file.
pub const STREAM_KEY_PURPOSE: &str = "token-console audit stream v1";

/// What the identity providers' client secrets are sealed for, from the key file.
pub const SSO_KEY_PURPOSE: &str = "token-console sso client secret v1";

/// How long a call to an identity provider may take.
const PROVIDER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the device cookies' key is derived for, from the key file.
const DEVICE_KEY_PURPOSE: &str = "token-console device cookie v1";

impl AppState {
    /// Connects to the database, migrates it, loads (or creates) the signing key, and starts the
    /// refresh grant's writer task (so it must run inside a Tokio runtime).
    pub async fn new(config: Config) -> anyhow::Result<AppState> {
        // Before anything is written: a mail server refused is the operator's to mend first.
        let mailer = notices::mail::Mailer::from_config(&config)?.map(Arc::new);
        let db = db::connect(&config.database_url).await?;
        let key = keyfile::load(&config, db.backend)?;
        let signer = Signer::load_or_create(&db.writer, &key).await?;
        let retry = std::time::Duration::from_secs(config.refresh_retry_seconds.into());
        let leak_keys = match &config.secret_scanning_keys_url {
            Some(url) => Some(Arc::new(leaks::KeyRing::new(url)?)),
            None => None,
        };
        let streams = streams::Sender::new(&config)?;
        let state = AppState {
            rotator: store::refresh::Rotator::start(db.writer.clone(), db.backend, retry),
            db,
            signer: Arc::new(signer),
            config: Arc::new(config),
            throttle: Arc::new(throttle::SignInThrottle::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(HASHES_AT_ONCE)),
            device_key: secrets::derive_key(DEVICE_KEY_PURPOSE, &key),
            sso_key: secrets::derive_key(SSO_KEY_PURPOSE, &key),
            oidc: Arc::new(oidc::RelyingParty::new(PROVIDER_TIMEOUT)?),
            scim_limits: Arc::new(http::scim::limiter()),
            leak_keys,
            leak_limits: Arc::new(http::leaks::limiter()),
            stream_key: secrets::derive_key(STREAM_KEY_PURPOSE, &key),
            streams,
            stream_stop: Arc::new(tokio::sync::watch::channel(false).0),
            mailer,
        };
        maintenance::start(&state);
        streams::start(&state);
        notices::start(&state);
        Ok(state)
    }

    /// Stops this instance's audit stream worker, as a process that dies would: deliveries
    /// under way are dropped unanswered, their leases left to run out.
    pub fn stop_streaming(&self) {
        self.stream_stop.send_replace(true);
    }

    /// A fresh access token for a grant, carrying its permissions (`scope`) and ranges.
    pub fn issue_access_token(
        &self,
        user_id: &str,
        workspace_id: &str,
        client_id: &str,
        grant_id: &str,
        carries: store::tokens::Carries,
    ) -> String {
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
            scope: Some(carries.scope).filter(|s| !s.is_empty()),
            ranges: carries.ranges,
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
    let retire = config.retire_signing_key.clone();
    let state = AppState::new(config).await?;
    if rotate {
        let kid = state.signer.rotate(&state.db.writer).await?;
        let minutes = |ms: i64| ms / 60_000;
        let reason = format!("key {kid}, signing from {} minutes on", minutes(jwt::PUBLISH_AHEAD_MS));
        operator_event(&state, AuditAction::SigningKeyRotated, &reason).await?;
        println!(
            "added signing key {kid}: running instances publish it within seconds and sign with it \
             {} minutes from now; the previous key stays published {} minutes after that",
            minutes(jwt::PUBLISH_AHEAD_MS),
            minutes(jwt::RETIRE_AFTER_MS)
        );
        return Ok(());
    }
    if let Some(kid) = retire {
        let Some(replacement) = state.signer.retire(&state.db.writer, &kid).await? else {
            anyhow::bail!("no live signing key has the kid `{kid}` (the JWKS at /oauth2/jwks lists them)");
        };
        let reason = match &replacement {
            Some(new) => format!("key {kid}, at once; key {new} signs from now"),
            None => format!("key {kid}, at once"),
        };
        operator_event(&state, AuditAction::SigningKeyRetired, &reason).await?;
        println!("retired signing key {kid}: introspection and the resource endpoint refuse its tokens now; running instances stop signing, verifying and publishing it within 5 seconds");
        if let Some(new) = replacement {
            println!("it was signing: key {new} signs from now (resource servers refuse its tokens until they fetch the JWKS again, up to 5 minutes)");
        }
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

/// Records an operator's deployment-wide action in every workspace's audit trail.
async fn operator_event(state: &AppState, action: AuditAction, reason: &str) -> anyhow::Result<()> {
    let mut tx = crate::db::begin_write(&state.db.writer).await?;
    let workspaces = store::audit::all_workspaces(&mut tx).await?;
    let acting = store::audit::Acting {
        reason: Some(reason),
        ..Default::default()
    };
    store::audit::record_account_event(
        &mut tx,
        action,
        &workspaces,
        store::audit::Actor::Operator,
        None,
        acting,
    )
    .await?;
    tx.commit().await?;
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
