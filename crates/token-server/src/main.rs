//! `token-server`: the binary operators deploy. Reads its configuration, then serves.

use clap::Parser;
use token_server::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "token_server=info,tower_http=warn".into()),
        )
        .init();
    token_server::serve(Config::parse()).await
}
