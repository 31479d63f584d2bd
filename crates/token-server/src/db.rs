//! The database: one pool over SQLite or PostgreSQL, chosen by the URL, with the same SQL for both.

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Executor};

/// Which database the URL named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if it is one of the two.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// The backend a pool's connections talk to.
    pub fn of_pool(pool: &AnyPool) -> Backend {
        Backend::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Backend::Postgres)
    }

    /// The backend a connection talks to.
    pub fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
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
    let Some(backend) = Backend::of_url(url) else {
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
    migrate(&writer, backend).await?;
    fold_names(&writer).await?;
    fill_skeletons(&writer).await?;
    stream_trigger(&writer, backend).await?;
    match backend {
        Backend::Postgres => name_search_index(&writer).await,
        Backend::Sqlite => name_walk_index(&writer).await,
    }
    Ok(Db { pool, writer, backend })
}

/// Fills in the confusable skeletons of emails stored without one (people made before the column
/// existed, or by the demo seed).
pub async fn fill_skeletons(writer: &AnyPool) -> anyhow::Result<()> {
    fill_derived(
        writer,
        "SELECT id, email FROM users WHERE email_skeleton IS NULL LIMIT 1000",
        "UPDATE users SET email_skeleton = $1 WHERE id = $2",
        token_api::validate::skeleton,
    )
    .await
}

/// Fills in the folded names and descriptions of tokens made before the column existed, or
/// before the folding rule last changed (a migration empties them).
async fn fold_names(writer: &AnyPool) -> anyhow::Result<()> {
    fill_derived(
        writer,
        "SELECT id, name FROM grants WHERE name_folded = '' AND name <> '' LIMIT 1000",
        "UPDATE grants SET name_folded = $1 WHERE id = $2",
        token_api::search::fold,
    )
    .await?;
    fill_derived(
        writer,
        "SELECT id, description FROM grants WHERE description_folded IS NULL AND description IS NOT NULL LIMIT 1000",
        "UPDATE grants SET description_folded = $1 WHERE id = $2",
        token_api::search::fold,
    )
    .await
}

/// Fills a column derived from another, a thousand rows a transaction: `select` reads (id,
/// source) of rows still to do, `update` writes `derive(source)` by id, until none is left.
async fn fill_derived(writer: &AnyPool, select: &str, update: &str, derive: fn(&str) -> String) -> anyhow::Result<()> {
    loop {
        let rows: Vec<(String, String)> = sqlx::query_as(select).fetch_all(writer).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = begin_write(writer).await?;
        for (id, source) in rows {
            sqlx::query(update)
                .bind(derive(&source))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}

/// Applies the migrations. On PostgreSQL sqlx holds an advisory lock while it migrates, so
/// instances starting together take turns; SQLite has no such lock, so an instance that loses
/// the race (a table it would create already exists) reads the applied list again and goes on.
async fn migrate(writer: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    if backend == Backend::Postgres {
        // An index over a big table may take longer than the pool's statement timeout.
        let mut conn = writer.acquire().await?;
        conn.execute("SET statement_timeout = 0").await?;
        let migrated = MIGRATIONS.run(&mut *conn).await;
        conn.execute("SET statement_timeout = '10s'").await?;
        return Ok(migrated?);
    }
    let mut attempt = 0;
    loop {
        match MIGRATIONS.run(writer).await {
            Err(error) if backend == Backend::Sqlite && attempt < 5 => {
                attempt += 1;
                tracing::debug!(%error, attempt, "migration raced another instance; reading again");
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// The trigger that puts every new audit event in the outbox of each of its workspace's
/// stream destinations (migration 0023), in the statement that records the event: no code
/// path that records an event can leave it out. Made at every start (the two databases spell
/// triggers differently, so it cannot be a shared migration); a start that cannot make it fails,
/// since events would then go undelivered. On PostgreSQL instances starting together take turns
/// under an advisory lock.
async fn stream_trigger(writer: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    const INSERT: &str = "INSERT INTO audit_outbox (destination_id, event_id, at)
        SELECT id, NEW.id, NEW.at FROM audit_destinations WHERE workspace_id = NEW.workspace_id";
    match backend {
        Backend::Sqlite => {
            writer
                .execute(
                    format!("CREATE TRIGGER IF NOT EXISTS audit_events_stream AFTER INSERT ON audit_events BEGIN {INSERT}; END")
                        .as_str(),
                )
                .await?;
        }
        Backend::Postgres => {
            // Once per statement, over the rows it inserted (a transition table): the refresh
            // writer records a batch's events in one statement, and a trigger per row cost the
            // token endpoint a quarter of its throughput under load (`cargo xtask stream-bench`).
            let mut tx = writer.begin().await?;
            tx.execute("SELECT pg_advisory_xact_lock(7303)").await?;
            tx.execute(
                "CREATE OR REPLACE FUNCTION audit_events_stream() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN
                   INSERT INTO audit_outbox (destination_id, event_id, at)
                   SELECT d.id, n.id, n.at FROM new_events n JOIN audit_destinations d ON d.workspace_id = n.workspace_id;
                   RETURN NULL;
                 END $f$",
            )
            .await?;
            // Made when missing, or made per row by an earlier build; never dropped otherwise
            // (dropping locks the table against the other instances' writes).
            let per_row: Option<i32> = sqlx::query_scalar(
                "SELECT (tgtype::int & 1) FROM pg_trigger
                 WHERE tgname = 'audit_events_stream' AND tgrelid = 'audit_events'::regclass",
            )
            .fetch_optional(&mut *tx)
            .await?;
            if per_row != Some(0) {
                tx.execute("DROP TRIGGER IF EXISTS audit_events_stream ON audit_events")
                    .await?;
                tx.execute(
                    "CREATE TRIGGER audit_events_stream AFTER INSERT ON audit_events
                     REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_stream()",
                )
                .await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// SQLite only, so outside the shared migrations: the name index holds the folded description
/// too. The admin list sorted by name walks that index and tests each entry against the search
/// (`name_folded LIKE … OR description_folded LIKE …`); without the description in the index,
/// every entry that missed on its name read its table row, and a search whose first match sorts
/// late walked tens of thousands of rows (`deploy` on 100,000 tokens: 21 ms p50, 34 ms p99 a
/// first page). PostgreSQL has the trigram indexes instead, and a B-tree entry there may not
/// pass 2,712 bytes, which a 500-character description could.
///
/// Made once, at the first start of this version: about a second per 100,000 tokens, holding
/// the write lock (another process's writes wait, up to the busy timeout). Where it cannot be
/// made (a full disk), the service starts with the old index and the log says why; the old
/// index goes only once the new one exists. A change of its columns needs a new name.
async fn name_walk_index(pool: &AnyPool) {
    let made = pool
        .execute(
            "CREATE INDEX IF NOT EXISTS grants_ws_name_search ON grants (workspace_id, name_folded, id, description_folded)",
        )
        .await;
    if let Err(error) = made {
        tracing::warn!(%error, "the admin list's name index was not made: a name search sorted by name reads more rows");
        return;
    }
    // Its first three columns are the old index's: one index, not two to write.
    if let Err(error) = pool.execute("DROP INDEX IF EXISTS grants_ws_name_folded").await {
        tracing::warn!(%error, "the admin list's old name index stays beside the new one");
    }
}

/// PostgreSQL only, so outside the shared migrations: the folded names in byte order, and a trigram index over the folded token
/// names, which the admin list's name search (`g.name_folded LIKE '%q%'`) uses instead of
/// reading every name of the workspace (count and deep page on 100,000 tokens: 36-70 ms
/// without it, 12 ms with it). `pg_trgm` ships with PostgreSQL and is a trusted extension, so
/// the database's owner may create it; where it cannot be created the search still works, by
/// a scan, and the log says why.
async fn name_search_index(pool: &AnyPool) {
    // The folded names compare byte by byte, as SQLite and the Users page compare them; a
    // database whose collation is a language's would order "ci deploy" after "cia".
    let collation: Result<Option<String>, _> = sqlx::query_scalar(
        "SELECT collation_name::text FROM information_schema.columns WHERE table_name = 'grants' AND column_name = 'name_folded'",
    )
    .fetch_one(pool)
    .await;
    if !matches!(collation.as_ref().map(Option::as_deref), Ok(Some("C"))) {
        if let Err(error) = pool
            .execute("ALTER TABLE grants ALTER COLUMN name_folded TYPE TEXT COLLATE \"C\"")
            .await
        {
            tracing::warn!(%error, "the folded names keep the database's collation: the name sort may differ from the Users page");
        }
    }
    let statements = [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "DROP INDEX IF EXISTS grants_name_trgm",
        "CREATE INDEX IF NOT EXISTS grants_name_folded_trgm ON grants USING gin (name_folded gin_trgm_ops)",
        // The same search also looks in descriptions: both indexes, or-ed by the planner.
        "CREATE INDEX IF NOT EXISTS grants_description_folded_trgm ON grants USING gin (description_folded gin_trgm_ops)",
    ];
    for statement in statements {
        if let Err(error) = pool.execute(statement).await {
            tracing::warn!(%error, "no trigram index for the admin list's name search: it will scan");
            return;
        }
    }
}

/// A transaction that writes. On SQLite it takes the write lock as it begins (`BEGIN
/// IMMEDIATE`), waiting out the busy timeout for another process's writer (the command line
/// beside a running service): a deferred one that read first fails at its first write with
/// `SQLITE_BUSY_SNAPSHOT` ("database is locked") whenever that process committed in between,
/// with no wait and no retry. PostgreSQL's `BEGIN` locks rows as it goes.
pub async fn begin_write(pool: &AnyPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
    if Backend::of_pool(pool) == Backend::Sqlite {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// How long a request waits for a connection before it is told the service is unavailable.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A pool of at most `max` connections; SQLite's get WAL, a busy timeout and foreign keys.
fn pool_options(backend: Backend, max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        // With the database gone, a request answers 503 after this, not after sqlx's 30 s.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    // A statement the database cannot finish (locks held by a stuck client, a
                    // server in trouble) ends in an error the client may retry, not a hang.
                    conn.execute("SET statement_timeout = '10s'").await?;
                }
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

/// The file of a `sqlite://PATH` URL; `None` for an in-memory database or another backend.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (path != ":memory:" && !path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// Creates `path` empty with mode 0600 if it is missing; an existing file (and its journal files)
/// readable by others is narrowed to 0600, with a warning.
#[cfg(unix)]
fn owner_only(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    match options.open(path) {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        let Ok(meta) = std::fs::metadata(&file) else { continue };
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            tracing::warn!(path = %file.display(), "the database file was readable by other users; it is 0600 now");
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

/// SQLite creates the file but not its folder; `mode=rwc` asks it to create the file. The file
/// holds password hashes, emails and the sealed signing keys, so it is made (or made again)
/// readable by its owner only, before SQLite opens it: SQLite gives the `-wal`, `-shm` and
/// `-journal` files the database file's mode, so they are 0600 too.
fn create_sqlite_parent(url: &str) -> anyhow::Result<String> {
    if let Some(path) = sqlite_path(url) {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        owner_only(&path)?;
    }
    Ok(if url.contains('?') {
        url.to_owned()
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Whether an error means the database is unreachable or busy for now, rather than that the
/// request or the code is wrong: the pool timed out or closed, the connection broke, the server
/// is shutting down or out of resources (SQLSTATE classes 08, 53, 57), or a transaction lost a
/// race (40001, 40P01) or SQLite's lock (5, 6). The client may retry these.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|code| {
            ["08", "53", "57"].iter().any(|class| code.starts_with(class)) || CONFLICTS.contains(&code.as_ref())
        }),
        _ => false,
    }
}

/// The codes of a transaction that lost a race and may simply be run again: PostgreSQL's
/// serialization failure and deadlock, SQLite's busy and locked database (and their extended codes).
const CONFLICTS: [&str; 6] = ["40001", "40P01", "5", "6", "517", "262"];

/// Whether running the same transaction again may succeed: it lost a race, nothing more.
pub fn is_conflict(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().is_some_and(|c| CONFLICTS.contains(&c.as_ref())))
}

/// Whether `e` is a statement refused for a duplicate key (a unique index said no).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Now, in the database's unit: Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A database time back to a chrono time.
pub fn to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two processes on one SQLite file (the service and the command line): a transaction that
    /// reads, then writes after the other committed, waits its turn instead of failing with
    /// "database is locked" (SQLITE_BUSY_SNAPSHOT), as a deferred `BEGIN` did.
    #[tokio::test]
    async fn a_write_transaction_waits_for_another_process_instead_of_failing() {
        let dir = std::env::temp_dir().join(format!("token-console-begin-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.display());
        sqlx::any::install_default_drivers();
        let open = || pool_options(Backend::Sqlite, 1).connect(&url);
        let (service, command_line) = (open().await.unwrap(), open().await.unwrap());
        sqlx::query("CREATE TABLE t (n BIGINT)")
            .execute(&service)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (0)").execute(&service).await.unwrap();
        for begin in [true, false] {
            let mut tx = if begin {
                begin_write(&service).await.unwrap()
            } else {
                service.begin().await.unwrap()
            };
            let (n,): (i64,) = sqlx::query_as("SELECT n FROM t").fetch_one(&mut *tx).await.unwrap();
            // The other process writes meanwhile (it waits for the lock when `tx` holds it).
            let other = tokio::spawn({
                let command_line = command_line.clone();
                async move { sqlx::query("UPDATE t SET n = n + 100").execute(&command_line).await }
            });
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let wrote = sqlx::query("UPDATE t SET n = $1").bind(n + 1).execute(&mut *tx).await;
            if begin {
                wrote.unwrap();
                tx.commit().await.unwrap();
                other.await.unwrap().unwrap();
            } else {
                let error = wrote.expect_err("a deferred transaction loses the race");
                assert!(is_conflict(&error), "{error}");
                drop(tx);
                other.await.unwrap().unwrap();
            }
        }
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM t").fetch_one(&service).await.unwrap();
        assert_eq!(
            n, 201,
            "the first round's two writes, one after the other, then the other's"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
