//! The database: one pool over SQLite or PostgreSQL, chosen by the URL, with the same SQL for both.

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

/// Which database the URL named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pools and their backend.
#[derive(Clone, Debug)]
pub struct Db {
    /// For reads.
    pub pool: AnyPool,
    /// For every statement or transaction that writes. On SQLite it holds one connection, so
    /// writers queue in the process, first come first served, instead of colliding on SQLite's
    /// single write lock and sleeping in its busy handler (which took the refresh grant's p99 to
    /// 140 ms at 64 connections); on PostgreSQL it is the same pool as `pool`.
    pub writer: AnyPool,
    pub backend: Backend,
}

/// One set of migrations for both databases: the schema uses only what both understand.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects, applies the migrations, and for SQLite turns on WAL, a busy timeout and foreign keys.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Backend::Postgres
    } else {
        anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://");
    };
    let url = match backend {
        Backend::Sqlite => create_sqlite_parent(url)?,
        Backend::Postgres => url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
    let pool = pool_options(
        backend,
        match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        },
    )
    .connect_with(options.clone())
    .await?;
    let writer = match backend {
        Backend::Sqlite => pool_options(backend, 1).connect_with(options).await?,
        Backend::Postgres => pool.clone(),
    };
    MIGRATIONS.run(&writer).await?;
    if backend == Backend::Postgres {
        name_search_index(&writer).await;
    }
    Ok(Db { pool, writer, backend })
}

/// PostgreSQL only, so outside the shared migrations: a trigram index over the lower-cased
/// token names, which the admin list's name search (`LOWER(g.name) LIKE '%q%'`) uses instead of
/// reading every name of the workspace (count and deep page on 100,000 tokens: 36-70 ms
/// without it, 12 ms with it). `pg_trgm` ships with PostgreSQL and is a trusted extension, so
/// the database's owner may create it; where it cannot be created the search still works, by
/// a scan, and the log says why.
async fn name_search_index(pool: &AnyPool) {
    let statements = [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX IF NOT EXISTS grants_name_trgm ON grants USING gin (LOWER(name) gin_trgm_ops)",
    ];
    for statement in statements {
        if let Err(error) = pool.execute(statement).await {
            tracing::warn!(%error, "no trigram index for the admin list's name search: it will scan");
            return;
        }
    }
}

/// A pool of at most `max` connections; SQLite's get WAL, a busy timeout and foreign keys.
fn pool_options(backend: Backend, max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
}

/// SQLite creates the file but not its folder; `mode=rwc` asks it to create the file.
fn create_sqlite_parent(url: &str) -> anyhow::Result<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = std::path::Path::new(path).parent() {
            std::fs::create_dir_all(parent)?;
        }
    }
    Ok(if url.contains('?') {
        url.to_owned()
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Now, in the database's unit: Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A database time back to a chrono time.
pub fn to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
