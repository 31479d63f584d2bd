//! The service's configuration: every flag can also come from the environment.

use std::{net::SocketAddr, path::PathBuf};

/// Token Console's token service: the REST API of the token pages, the OAuth 2.0 endpoints, and
/// the built single-page app, from one origin.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "token-server", version)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, global = true, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://data/token-console.db"
    )]
    pub database_url: String,

    /// The built single-page app (Trunk's `dist/`), served with an index.html fallback.
    #[arg(long, global = true, env = "DIST_DIR", default_value = "dist")]
    pub dist: PathBuf,

    /// The public URL clients reach this service at: the issuer of access tokens. Defaults to
    /// `http://LISTEN`. With `https://` the session cookie is `__Host-tc_session` and `Secure`,
    /// and every answer carries `Strict-Transport-Security`.
    #[arg(long, global = true, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Origins allowed to frame the `/embed/...` pages (the CSP's `frame-ancestors`), comma
    /// separated, such as `https://app.example.com`. None by default: nobody may frame any page.
    #[arg(long, global = true, env = "FRAME_ANCESTORS", value_delimiter = ',', value_parser = parse_origin)]
    pub frame_ancestors: Vec<String>,

    /// Create the demo workspaces, users and tokens if they are missing.
    #[arg(long, global = true, env = "SEED_DEMO")]
    pub seed_demo: bool,

    /// With --seed-demo, also add this many synthetic tokens to Acme, over one synthetic member
    /// per 100 tokens: a big workspace for benchmarks. Never on by default.
    #[arg(
        long,
        global = true,
        env = "SEED_SCALE_TOKENS",
        default_value_t = 0,
        requires = "seed_demo"
    )]
    pub seed_scale_tokens: usize,

    /// The file holding the key that encrypts the signing keys at rest: at least 32 random bytes
    /// (`head -c 32 /dev/urandom > FILE`), readable by the service only. Every instance of a
    /// deployment needs the same file; losing it loses the signing keys (every access token
    /// then fails, and a new key is needed). Without it, on SQLite the service creates
    /// `token-console.key` (0600) beside the database; on PostgreSQL it refuses to start.
    #[arg(long, global = true, env = "KEY_FILE")]
    pub key_file: Option<PathBuf>,

    /// Add a new signing key to the database and exit. Running instances publish it in the JWKS
    /// within seconds and sign with it 7 minutes from now, once resource servers' cached JWKS
    /// (5 minutes) have had time to see it; the old key stays published 67 minutes after that,
    /// until no access token it signed can be alive. Audited in every workspace.
    #[arg(long, global = true)]
    pub rotate_signing_key: bool,

    /// Retire a compromised signing key (its `kid`, from the JWKS) and exit: from now on the
    /// service's introspection and resource endpoints refuse every access token it signed,
    /// running instances stop signing, verifying and publishing it within seconds, and if it was the
    /// key that signs, a new key signs at once (resource servers holding a cached JWKS refuse
    /// the new tokens until they fetch it again, up to 5 minutes). Audited in every workspace.
    #[arg(long, global = true, value_name = "KID")]
    pub retire_signing_key: Option<String>,

    /// For how many seconds a refresh token that was just exchanged may be presented again (a
    /// client retrying after a lost response) and gets the same successor back, as long as the
    /// successor has not been used. 0 turns retries off: any second presentation is reuse.
    #[arg(long, global = true, env = "REFRESH_RETRY_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=300))]
    pub refresh_retry_seconds: u32,

    /// Connections held open at once; more wait in the kernel's backlog until one closes.
    #[arg(long, global = true, env = "MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Requests handled at once; past it a request is refused at once with 503 and `Retry-After`.
    #[arg(long, global = true, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_requests: u32,

    /// Seconds a client has to send a request's headers, and that an idle keep-alive connection
    /// stays open.
    #[arg(long, global = true, env = "HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub header_timeout_seconds: u32,

    /// Seconds one request may take, body and answer included (CSV exports stream past it once
    /// their answer has started); then 408.
    #[arg(long, global = true, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub request_timeout_seconds: u32,

    /// Reverse proxies and load balancers whose forwarding header (`--forwarded-header`) is
    /// believed, as CIDRs, comma separated (`10.0.0.0/8,127.0.0.1/32`). From any other peer it is
    /// ignored and the peer's own address is the client's. None by default.
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The one header the trusted proxies set: `x-forwarded-for` or `forwarded` (RFC 7239). The
    /// other is never read: a proxy that sets one passes the other through as the client wrote
    /// it.
    #[arg(long, global = true, env = "FORWARDED_HEADER", value_enum, default_value_t = ForwardedHeader::XForwardedFor)]
    pub forwarded_header: ForwardedHeader,

    /// Days routine audit events are kept: `refreshed`, one per token refresh (thousands a
    /// second at peak). Older ones are removed in the background, a small batch at a time.
    #[arg(long, global = true, env = "AUDIT_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub audit_retention_days: u32,

    /// Days security events are kept: every other audit event (created, disabled, deleted,
    /// reuse_detected) and failed sign-ins. 0, the default, keeps them for good.
    #[arg(long, global = true, env = "SECURITY_RETENTION_DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub security_retention_days: u32,

    /// Where to serve Prometheus metrics (`GET /metrics`), such as `127.0.0.1:9090`: an address
    /// of its own, for the operator's network only. Off by default (and then nothing is counted).
    #[arg(long, global = true, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// `text`, or `json`: one JSON object per line, for a log collector.
    #[arg(long, global = true, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Where the keys that sign GitHub's secret scanning reports are published:
    /// `https://api.github.com/meta/public_keys/secret_scanning` for github.com (https; http only
    /// on a loopback address). With it, `POST /api/secret-scanning/github` takes GitHub's leak
    /// reports and disables the live tokens they name; without it, that endpoint answers 404.
    #[arg(long, global = true, env = "SECRET_SCANNING_KEYS_URL", value_parser = parse_keys_url)]
    pub secret_scanning_keys_url: Option<String>,

    /// Minutes a session stays signed in without being used (beside the 12-hour absolute limit).
    #[arg(long, global = true, env = "SESSION_IDLE_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_idle_minutes: u32,

    /// Development mode: audit stream destinations may be `http://` on loopback, and any
    /// address. Never in production: an admin could then point the service at its own network.
    #[arg(long, global = true, env = "DEVELOPMENT")]
    pub development: bool,

    /// Audit stream destinations may be on private networks (10.0.0.0/8, 172.16.0.0/12,
    /// 192.168.0.0/16, fc00::/7, 100.64.0.0/10): a SIEM inside the operator's network. Loopback
    /// and link-local addresses (a cloud's metadata service) stay refused.
    #[arg(long, global = true, env = "STREAM_TO_PRIVATE_NETWORKS")]
    pub stream_to_private_networks: bool,

    /// The mail server that sends tokens' owners their notices (7 days and 1 day before a token
    /// expires; when someone else or the service disables one): `smtps://USER:PASSWORD@HOST:465`
    /// (TLS), `smtp://USER:PASSWORD@HOST:587?tls=required` (STARTTLS, required), or
    /// `smtp://HOST:PORT` unencrypted, to a loopback address only. Percent-encode the user and
    /// password. Never logged. Without it no email is sent (expiry notices are still audited).
    #[arg(
        long,
        global = true,
        env = "SMTP_URL",
        hide_env_values = true,
        requires = "smtp_from"
    )]
    pub smtp_url: Option<SmtpUrl>,

    /// The notices' sender, such as `Token Console <tokens@example.com>` (needed with --smtp-url).
    #[arg(long, global = true, env = "SMTP_FROM")]
    pub smtp_from: Option<String>,

    /// Seconds between two rounds of the notices' scan and sending; 0: none by itself (the tests
    /// drive it with `notices::run_once_at`).
    #[arg(long, global = true, env = "NOTICES_EVERY_SECONDS", default_value_t = 15, hide = true, value_parser = clap::value_parser!(u32).range(0..=3600))]
    pub notices_every_seconds: u32,
}

/// `--smtp-url`: it may hold the relay's password, so it is never printed, not even in `Debug`,
/// and a bad one is refused at start without being repeated (`notices::mail::Mailer::new`).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    /// The URL itself, for the mail transport only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl(..)")
    }
}

/// Every text is taken here (clap would repeat a refused value, password and all, in its error);
/// it is checked when the service starts.
impl std::str::FromStr for SmtpUrl {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<SmtpUrl, Self::Err> {
        Ok(SmtpUrl(value.trim().to_owned()))
    }
}

/// The `token-server` command line: what to do, and the configuration every command reads (the
/// same flags and environment as the server's, before or after the command).
#[derive(Debug, clap::Parser)]
#[command(
    name = "token-server",
    version,
    about = "Token Console's token service and its administration."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

/// What `token-server` does; `serve` when no command is given.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the API, the OAuth 2.0 endpoints and the app (the default).
    Serve,
    /// Create or bring up to date the database's tables, then exit. Every command does this
    /// first; run it alone before starting new versions of several instances.
    Migrate,
    /// Copy a SQLite database, consistent while the service runs (`VACUUM INTO`), to a new
    /// file. Back up the key file beside it: the copy's signing keys open with it only. For
    /// PostgreSQL use `pg_dump`.
    Backup {
        /// The copy to write; it must not exist yet.
        path: std::path::PathBuf,
    },
    /// Workspaces: each has its own tokens, members and OAuth client id.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// People and their memberships.
    #[command(subcommand)]
    User(UserCommand),
    /// Sign-in through a workspace's identity provider (OpenID Connect). Register
    /// `<public URL>/api/sso/callback` as the client's redirect URI with the provider.
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Keys for host apps that embed the panel: with one, a host's backend asks for one-time
    /// tickets that sign its people in to the panel with no form (POST /api/host/tickets).
    #[command(subcommand)]
    HostKey(HostKeyCommand),
    /// Credentials a workspace's identity provider provisions its people with (SCIM 2.0). The
    /// workspace must be connected to its provider first (`sso set`).
    #[command(subcommand)]
    ScimCredential(ScimCredentialCommand),
    /// The catalogue of permissions a workspace's APIs understand, which its tokens carry as
    /// their `scope` (also kept by its admins on the Policy tab).
    #[command(subcommand)]
    Permission(PermissionCommand),
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum PermissionCommand {
    /// List a workspace's permissions: name, description (tab separated).
    List {
        #[arg(long)]
        workspace: String,
    },
    /// Add a permission to a workspace's catalogue, or change its description.
    Add {
        #[arg(long)]
        workspace: String,
        /// An RFC 6749 scope token, such as `datasets:read`.
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Remove a permission from the catalogue: no new token can choose it, and tokens of every
    /// permission no longer carry it. Tokens that name it keep its name.
    Remove {
        #[arg(long)]
        workspace: String,
        name: String,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum ScimCredentialCommand {
    /// Issue a credential for a workspace. Prints `id=...` and `scim_credential=...`: the
    /// credential is shown only now, and kept as a digest.
    Create {
        #[arg(long)]
        workspace: String,
    },
    /// List a workspace's credentials: id, created, revoked, last used (tab separated).
    List {
        #[arg(long)]
        workspace: String,
    },
    /// Revoke a credential: the provider's next request with it is refused.
    Revoke {
        /// The credential's id (`sc-...`).
        id: String,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum HostKeyCommand {
    /// Issue a host key for a workspace and the host's origin. Prints `id=...` and
    /// `host_key=...`: the key is shown only now, and kept as a digest.
    Create {
        #[arg(long)]
        workspace: String,
        /// The host's origin (`https://app.example.com`), from which its tickets are exchanged.
        #[arg(long)]
        origin: String,
    },
    /// List a workspace's host keys: id, origin, created, revoked (tab separated).
    List {
        #[arg(long)]
        workspace: String,
    },
    /// Revoke a host key: it issues no more tickets, and its outstanding ones stop working.
    Revoke {
        /// The key's id (`hk-...`).
        id: String,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum SsoCommand {
    /// Connect a workspace to its OpenID Provider, or change the connection (the provider is
    /// discovered first: nothing is written if it cannot be). The client secret is read from
    /// standard input, never from the command line.
    Set {
        /// The workspace's id (`token-server workspace list`).
        #[arg(long)]
        workspace: String,
        /// The provider's issuer URL, exactly as its discovery document spells it (https; http
        /// only on a loopback address).
        #[arg(long)]
        issuer: String,
        /// The client id the provider gave this service.
        #[arg(long)]
        client_id: String,
        /// Read the client secret from standard input (one line).
        #[arg(long, required = true)]
        client_secret_stdin: bool,
        /// The group (in the `groups` claim) whose members are the workspace's admins; everyone
        /// else is a member. Checked at every sign-in. Without it, roles are left as they are.
        #[arg(long)]
        admin_group: Option<String>,
        /// An email domain the workspace claims (repeat for several): a verified email there may
        /// join the existing account of that address. A domain is one workspace's.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Refuse password sign-in to the workspace (break-glass accounts excepted).
        #[arg(long)]
        required: bool,
        /// Count the provider's addresses in the claimed domains as verified even when it does
        /// not say so (Entra ID sends no email_verified). Only for a provider that alone gives
        /// out those addresses (one organisation's tenant, no self-registration).
        #[arg(long)]
        trust_emails: bool,
        /// Signing out of a session the provider opened ends the person's session at the
        /// provider too, where its discovery document offers an `end_session_endpoint`
        /// (OpenID Connect RP-Initiated Logout): the browser goes there, then back to the
        /// sign-in page at the printed `post_logout_redirect_uri`, which the provider must know.
        #[arg(long)]
        sign_out_at_provider: bool,
    },
    /// Show a workspace's connection: `key=value` lines, without the secret.
    Show {
        #[arg(long)]
        workspace: String,
    },
    /// Disconnect a workspace from its provider; the sessions it vouched for end.
    Remove {
        #[arg(long)]
        workspace: String,
    },
    /// Let a member sign in with their password to a workspace that requires its provider (an
    /// operator's way in when the provider is down), or stop it with --off. Every such sign-in
    /// is audited.
    BreakGlass {
        #[arg(long)]
        workspace: String,
        /// The member's email address.
        email: String,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace, or find the one of this name (safe to repeat). Prints `id=...` and
    /// `client_id=...`, one per line.
    Create {
        /// Its name, as people will see it (1 to 100 characters).
        name: String,
    },
    /// List the workspaces: id, name and client id, tab separated.
    List,
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a person to a workspace with a role, creating them if they are new (safe to repeat:
    /// the role is set again). Prints `user_id=...`, then for a new account `link=...`: a link
    /// that sets their password, once, within 72 hours. With --password-stdin the password is
    /// read from standard input instead (never from the command line, which other users of the
    /// machine can see). An existing account keeps its password and sessions, and the command
    /// says who made it and when; --take-over gives it a new credential instead.
    Add {
        /// Their email address: what they sign in with.
        email: String,
        /// The workspace's id (`token-server workspace list`).
        #[arg(long)]
        workspace: String,
        /// `admin` (sees and acts on every token of the workspace) or `member`.
        #[arg(long, value_parser = parse_role)]
        role: token_api::auth::Role,
        /// Their name as the pages show it; the email's part before `@` when not given.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (one line) instead of printing a link.
        #[arg(long)]
        password_stdin: bool,
        /// Take an existing account over: it gets a new credential (a link, or
        /// --password-stdin), and every session, token, calendar feed and set-password link it
        /// had ends. Required to add to another workspace an account a workspace's admin made
        /// (that admin may know its password); also the way to reset a compromised account.
        #[arg(long)]
        take_over: bool,
        /// Add to another workspace an account made before this service recorded who made
        /// accounts, keeping its password and sessions: only when you know its password is the
        /// person's own (a workspace's admin may have set it). Without it, or --take-over, such
        /// an account joins no further workspace.
        #[arg(long, conflicts_with = "take_over")]
        keep_credential: bool,
    },
    /// List the people: email, name, and workspace:role pairs, tab separated.
    List,
}

fn parse_role(value: &str) -> Result<token_api::auth::Role, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a role: `admin` or `member`"))
}

/// The forwarding header the trusted proxies set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    XForwardedFor,
    Forwarded,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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

    /// Where a provider sends the browser back after signing it out there (`sso set
    /// --sign-out-at-provider`): the sign-in page, one address for every workspace.
    pub fn post_logout_uri(&self) -> String {
        format!("{}/signin", self.issuer())
    }

    /// Whether the session cookie must be `Secure` (and `__Host-`), and HSTS is sent.
    pub fn https(&self) -> bool {
        self.issuer().starts_with("https://")
    }

    /// The configuration of a service on `database_url` with every other flag at its default:
    /// for tests, benchmarks and examples.
    pub fn with_database(database_url: &str) -> Config {
        <Config as clap::Parser>::parse_from(["token-server", "--database-url", database_url])
    }
}

/// A network such as `10.0.0.0/8`, or one address (`127.0.0.1`, `::1`).
fn parse_cidr(value: &str) -> Result<ipnet::IpNet, String> {
    let value = value.trim();
    value
        .parse::<ipnet::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{value}` is not a network such as 10.0.0.0/8 or an address such as 127.0.0.1"))
}

/// An `https://` URL, or `http://` on a loopback address (a test's keys server).
fn parse_keys_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    let url = reqwest::Url::parse(value).map_err(|e| format!("`{value}` is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(value.to_owned()),
        "http" if loopback => Ok(value.to_owned()),
        _ => Err(format!("`{value}` is not an https:// URL")),
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
    use super::{parse_cidr, parse_keys_url, parse_origin};

    #[test]
    fn the_keys_url_is_https_or_loopback() {
        let github = "https://api.github.com/meta/public_keys/secret_scanning";
        assert_eq!(parse_keys_url(github).unwrap(), github);
        assert!(parse_keys_url("http://127.0.0.1:9/keys").is_ok());
        for bad in ["http://api.github.com/keys", "ftp://x/y", "keys.json", ""] {
            assert!(parse_keys_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_networks_or_addresses() {
        assert_eq!(parse_cidr(" 10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("127.0.0.1").unwrap().to_string(), "127.0.0.1/32");
        assert_eq!(parse_cidr("::1").unwrap().to_string(), "::1/128");
        for bad in ["", "10.0.0.0/33", "localhost", "*"] {
            assert!(parse_cidr(bad).unwrap_err().contains("is not a network"), "{bad}");
        }
    }

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
