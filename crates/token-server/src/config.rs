//! The service's configuration: every flag can also come from the environment.

use std::{net::SocketAddr, path::PathBuf};

/// Token Console's token service: the REST API of the token pages, the OAuth 2.0 endpoints, and
/// the built single-page app, from one origin.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "token-server", version)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/token-console.db")]
    pub database_url: String,

    /// The built single-page app (Trunk's `dist/`), served with an index.html fallback.
    #[arg(long, env = "DIST_DIR", default_value = "dist")]
    pub dist: PathBuf,

    /// The public URL clients reach this service at: the issuer of access tokens. Defaults to
    /// `http://LISTEN`.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Origins allowed to frame the `/embed/...` pages (the CSP's `frame-ancestors`), comma
    /// separated, such as `https://app.example.com`. None by default: nobody may frame any page.
    #[arg(long, env = "FRAME_ANCESTORS", value_delimiter = ',', value_parser = parse_origin)]
    pub frame_ancestors: Vec<String>,

    /// Create the demo workspaces, users and tokens if they are missing.
    #[arg(long, env = "SEED_DEMO")]
    pub seed_demo: bool,

    /// With --seed-demo, also add this many synthetic tokens to Acme, over one synthetic member
    /// per 100 tokens: a big workspace for benchmarks. Never on by default.
    #[arg(long, env = "SEED_SCALE_TOKENS", default_value_t = 0, requires = "seed_demo")]
    pub seed_scale_tokens: usize,
}

impl Config {
    /// The issuer: the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Whether the session cookie must be `Secure`.
    pub fn https(&self) -> bool {
        self.issuer().starts_with("https://")
    }
}

/// `scheme://host[:port]`, nothing more: a CSP source that cannot widen into a wildcard or a path.
fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    token_api::validate::bare_origin(value)
        .map(str::to_owned)
        .ok_or_else(|| format!("`{value}` is not an origin such as https://app.example.com"))
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn frame_ancestors_are_bare_origins() {
        assert_eq!(
            parse_origin("https://app.example.com/").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:18182").unwrap(),
            "http://127.0.0.1:18182"
        );
        for bad in [
            "*",
            "https://*.example.com",
            "app.example.com",
            "https://a.example/x",
            "data:",
            "'self'",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
