//! Audit stream destinations: an admin's list of them, and the delivery bookkeeping the
//! streaming worker (`crate::streams`) keeps in the database, so that instances share the work
//! and a restart loses nothing.
//!
//! The outbox (`audit_outbox`) is filled by a trigger on `audit_events` (`db::stream_trigger`):
//! one row per event per destination of its workspace. A destination is delivered to by one
//! instance at a time, the one holding its lease; a delivery that got a 2xx removes the rows it
//! carried, so a batch is sent once in the normal case and again only when the instance that
//! sent it died before hearing the answer (or the answer was lost).

use sqlx::{AnyConnection, AnyPool, Row};
use token_api::streams::{Destination, StreamHeader, StreamState, BATCH_MAX_EVENTS, RETRY_FOR_HOURS};

use super::audit::{record_account_event, Acting, Action, Actor};
use crate::{db, secrets};

/// How long a lease lasts: far more than one delivery may take (`crate::streams::SEND_TIMEOUT`).
pub const LEASE_MS: i64 = 60_000;
/// The most events kept for one destination; past it the oldest are dropped and counted.
pub const BACKLOG_MAX: i64 = 1_000_000;

const COLUMNS: &str = "d.id AS id, d.url AS url, d.header_names AS header_names, d.state AS state,
    d.paused_by_service AS paused_by_service, d.created_at AS created_at,
    d.last_delivered_at AS last_delivered_at, d.last_error AS last_error,
    d.failing_since AS failing_since, d.next_attempt_at AS next_attempt_at, d.dropped AS dropped,
    (SELECT COUNT(*) FROM audit_outbox o WHERE o.destination_id = d.id) AS backlog";

fn destination(r: &sqlx::any::AnyRow) -> sqlx::Result<Destination> {
    let state: String = r.try_get("state")?;
    let failing_since = r.try_get::<Option<i64>, _>("failing_since")?;
    Ok(Destination {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        header_names: r
            .try_get::<String, _>("header_names")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        state: state.parse().unwrap_or(StreamState::Paused),
        paused_by_service: r.try_get::<i64, _>("paused_by_service")? != 0,
        created_at: db::to_time(r.try_get("created_at")?),
        last_delivered_at: r.try_get::<Option<i64>, _>("last_delivered_at")?.map(db::to_time),
        last_error: r.try_get("last_error")?,
        failing_since: failing_since.map(db::to_time),
        next_attempt_at: failing_since
            .and(Some(r.try_get::<i64, _>("next_attempt_at")?))
            .map(db::to_time),
        backlog: r.try_get::<i64, _>("backlog")?.max(0) as u64,
        dropped: r.try_get::<i64, _>("dropped")?.max(0) as u64,
    })
}

/// The workspace's destinations, oldest first.
pub async fn list(conn: &mut AnyConnection, workspace_id: &str) -> sqlx::Result<Vec<Destination>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_destinations d WHERE d.workspace_id = $1 ORDER BY d.created_at, d.id"
    ))
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(destination).collect()
}

async fn one(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> sqlx::Result<Option<Destination>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_destinations d WHERE d.workspace_id = $1 AND d.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(destination).transpose()
}

/// A destination's URL as it may be shown, logged and audited: its origin, then `/…` for
/// whatever follows (a collector's URL may carry its key in the path or the query).
pub fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let origin = parsed.origin().ascii_serialization();
            let more = parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some();
            if more {
                format!("{origin}/…")
            } else {
                origin
            }
        }
        Err(_) => "(an unreadable URL)".to_owned(),
    }
}

/// The workspace streams to `MAX_DESTINATIONS` already.
#[derive(Debug)]
pub struct Full;

/// Adds a destination with a new signing secret, audited (`stream_changed`); the destination
/// and its secret, which is never read back. The event of its adding is its first to deliver.
pub async fn add(
    conn: &mut AnyConnection,
    key: &[u8; 32],
    workspace_id: &str,
    url: &str,
    headers: &[StreamHeader],
    actor: Actor<'_>,
    ip: Option<&str>,
) -> sqlx::Result<Result<(Destination, String), Full>> {
    // Two admins adding at once on PostgreSQL would both count two: the workspace's row is
    // locked first (SQLite's writer is one already).
    if db::Backend::of(conn) == db::Backend::Postgres {
        sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
            .bind(workspace_id)
            .execute(&mut *conn)
            .await?;
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_destinations WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
    if count >= token_api::streams::MAX_DESTINATIONS as i64 {
        return Ok(Err(Full));
    }
    let id = format!("ds-{}", secrets::random_id());
    let secret = format!("tcwhsec_{}", secrets::random_secret());
    let pairs: Vec<(&str, &str)> = headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
    let headers_json = serde_json::to_vec(&pairs).expect("pairs of strings serialise");
    let names: Vec<&str> = headers.iter().map(|h| h.name.as_str()).collect();
    let now = db::now_ms();
    let shown = shown_url(url);
    sqlx::query(
        "INSERT INTO audit_destinations (id, workspace_id, url, url_sealed, secret_sealed, headers_sealed, header_names,
                                         state, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $8, $4, $5, $6, 'active', $7, $7)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(&shown)
    .bind(secrets::seal(key, secret.as_bytes()))
    .bind(secrets::seal(key, &headers_json))
    .bind(names.join(" "))
    .bind(now)
    .bind(secrets::seal(key, url.as_bytes()))
    .execute(&mut *conn)
    .await?;
    let reason = format!("added {shown}");
    audit(conn, workspace_id, actor, &reason, ip).await?;
    let added = one(conn, workspace_id, &id).await?.expect("added in this transaction");
    Ok(Ok((added, secret)))
}

async fn audit(
    conn: &mut AnyConnection,
    workspace_id: &str,
    actor: Actor<'_>,
    reason: &str,
    ip: Option<&str>,
) -> sqlx::Result<()> {
    record_account_event(
        conn,
        Action::StreamChanged,
        &[workspace_id.to_owned()],
        actor,
        None,
        Acting::by(ip, Some(reason)),
    )
    .await
}

/// Pauses or resumes a destination, audited. A resumed one is tried at once, its failures
/// forgotten. `None`: no such destination in this workspace.
pub async fn set_state(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: &str,
    state: StreamState,
    actor: Actor<'_>,
    ip: Option<&str>,
) -> sqlx::Result<Option<Destination>> {
    let changed = sqlx::query(
        "UPDATE audit_destinations SET state = $3, paused_by_service = 0, failures = 0, failing_since = NULL,
                last_error = NULL, next_attempt_at = $4
         WHERE workspace_id = $1 AND id = $2 RETURNING url",
    )
    .bind(workspace_id)
    .bind(id)
    .bind(state.as_str())
    .bind(db::now_ms())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = changed else { return Ok(None) };
    let url: String = row.try_get("url")?;
    let verb = match state {
        StreamState::Active => "resumed",
        StreamState::Paused => "paused",
    };
    audit(conn, workspace_id, actor, &format!("{verb} {url}"), ip).await?;
    one(conn, workspace_id, id).await
}

/// Removes a destination, audited; its outbox rows go with the upkeep (`purge_orphans`).
/// `false`: no such destination in this workspace.
pub async fn remove(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: &str,
    actor: Actor<'_>,
    ip: Option<&str>,
) -> sqlx::Result<bool> {
    let removed = sqlx::query("DELETE FROM audit_destinations WHERE workspace_id = $1 AND id = $2 RETURNING url")
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = removed else { return Ok(false) };
    let url: String = row.try_get("url")?;
    audit(conn, workspace_id, actor, &format!("removed {url}"), ip).await?;
    Ok(true)
}

/// What a delivery needs of its destination, opened.
#[derive(Clone)]
pub struct Target {
    pub id: String,
    pub workspace_id: String,
    /// The whole URL, to send to; never logged.
    pub url: String,
    /// The URL as shown (`shown_url`), for logs and the audit trail.
    pub shown: String,
    pub secret: String,
    pub headers: Vec<(String, String)>,
    pub failures: i32,
    pub failing_since: Option<i64>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("id", &self.id)
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// A destination to test: its target, if it is this workspace's.
pub async fn target(
    conn: &mut AnyConnection,
    key: &[u8; 32],
    workspace_id: &str,
    id: &str,
) -> sqlx::Result<Option<Target>> {
    let row = sqlx::query(
        "SELECT id, workspace_id, url, url_sealed, secret_sealed, headers_sealed, failures, failing_since
         FROM audit_destinations WHERE workspace_id = $1 AND id = $2",
    )
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| opened(&r, key)).transpose()
}

fn opened(r: &sqlx::any::AnyRow, key: &[u8; 32]) -> sqlx::Result<Target> {
    let unreadable = || sqlx::Error::Decode("a destination's sealed secret does not open with this key file".into());
    let secret = secrets::open(key, &r.try_get::<String, _>("secret_sealed")?).ok_or_else(unreadable)?;
    let headers = secrets::open(key, &r.try_get::<String, _>("headers_sealed")?).ok_or_else(unreadable)?;
    let url = secrets::open(key, &r.try_get::<String, _>("url_sealed")?).ok_or_else(unreadable)?;
    Ok(Target {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        url: String::from_utf8(url).map_err(|e| sqlx::Error::Decode(e.into()))?,
        shown: r.try_get("url")?,
        secret: String::from_utf8(secret).map_err(|e| sqlx::Error::Decode(e.into()))?,
        headers: serde_json::from_slice(&headers).map_err(|e| sqlx::Error::Decode(e.into()))?,
        failures: r.try_get("failures")?,
        failing_since: r.try_get("failing_since")?,
    })
}

/// Takes the lease of one active destination that has events waiting and is due, for
/// `owner` (this instance), if another instance does not hold it.
pub async fn claim(writer: &AnyPool, key: &[u8; 32], owner: &str, now: i64) -> sqlx::Result<Option<Target>> {
    let row = sqlx::query(
        "UPDATE audit_destinations SET lease_owner = $1, lease_until = $2
         WHERE id = (SELECT d.id FROM audit_destinations d
                     WHERE d.state = 'active' AND d.next_attempt_at <= $3
                       AND (d.lease_until IS NULL OR d.lease_until < $3)
                       AND EXISTS (SELECT 1 FROM audit_outbox o WHERE o.destination_id = d.id)
                     ORDER BY d.next_attempt_at LIMIT 1)
           AND (lease_until IS NULL OR lease_until < $3)
         RETURNING id, workspace_id, url, url_sealed, secret_sealed, headers_sealed, failures, failing_since",
    )
    .bind(owner)
    .bind(now + LEASE_MS)
    .bind(now)
    .fetch_optional(writer)
    .await?;
    row.map(|r| opened(&r, key)).transpose()
}

/// The next events waiting for a destination, oldest first, at most `BATCH_MAX_EVENTS`, with
/// the outbox keys they were read under (`at`, event id), in one statement: the keys deleted
/// after a delivery are exactly those whose events it carried. Keys whose event the retention
/// purged (or, which cannot happen, one of another workspace's) come back without an event, for
/// `delivered` to clear.
pub async fn next_batch(
    pool: &AnyPool,
    target: &Target,
) -> sqlx::Result<(Vec<(i64, String)>, Vec<token_api::audit::AuditEvent>)> {
    let text = super::admin::EVENTS
        .replacen("SELECT ", "SELECT q.at AS q_at, q.event_id AS q_event, ", 1)
        .replacen(
            "FROM audit_events e",
            &format!(
                "FROM (SELECT at, event_id FROM audit_outbox WHERE destination_id = $1
                       ORDER BY at, event_id LIMIT {BATCH_MAX_EVENTS}) q
                 LEFT JOIN audit_events e ON e.id = q.event_id AND e.workspace_id = $2"
            ),
            1,
        );
    let rows = sqlx::query(&format!("{text} ORDER BY q.at, q.event_id"))
        .bind(&target.id)
        .bind(&target.workspace_id)
        .fetch_all(pool)
        .await?;
    let mut keys = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        keys.push((r.try_get::<i64, _>("q_at")?, r.try_get::<String, _>("q_event")?));
        if r.try_get::<Option<String>, _>("id")?.is_some() {
            events.push(super::admin::event(r)?);
        }
    }
    Ok((keys, events))
}

/// A batch was delivered (`sent`; else its events had all been purged, and nothing was sent):
/// its rows leave the outbox, the destination is well (only when something was sent: a
/// destination that is down stays so), its lease renewed for the next batch. `false`: the lease
/// is no longer this instance's, or the destination was paused or removed meanwhile: stop.
pub async fn delivered(
    writer: &AnyPool,
    target: &Target,
    owner: &str,
    keys: &[(i64, String)],
    sent: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let mut tx = db::begin_write(writer).await?;
    let held = sqlx::query(
        "UPDATE audit_destinations SET
                last_delivered_at = CASE WHEN $5 = 1 THEN $3 ELSE last_delivered_at END,
                last_error = CASE WHEN $5 = 1 THEN NULL ELSE last_error END,
                failing_since = CASE WHEN $5 = 1 THEN NULL ELSE failing_since END,
                failures = CASE WHEN $5 = 1 THEN 0 ELSE failures END,
                lease_until = $4
         WHERE id = $1 AND lease_owner = $2 AND state = 'active'",
    )
    .bind(&target.id)
    .bind(owner)
    .bind(now)
    .bind(now + LEASE_MS)
    .bind(i64::from(sent))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    for chunk in keys.chunks(100) {
        let mut sql = super::sql::Sql::default();
        let dest = sql.arg(super::sql::Arg::Text(target.id.clone()));
        let pairs: Vec<String> = chunk
            .iter()
            .map(|(at, id)| {
                format!(
                    "({}, {})",
                    sql.arg(super::sql::Arg::Int(*at)),
                    sql.arg(super::sql::Arg::Text(id.clone()))
                )
            })
            .collect();
        let text = format!(
            "DELETE FROM audit_outbox WHERE destination_id = {dest} AND (at, event_id) IN (VALUES {})",
            pairs.join(", ")
        );
        sql.query(&text).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(held == 1)
}

/// A delivery failed with `error`: the next attempt waits `retry_in_ms`, and a destination
/// failing for `RETRY_FOR_HOURS` is paused by the service, audited. Whether it was paused.
pub async fn failed(
    writer: &AnyPool,
    target: &Target,
    owner: &str,
    error: &str,
    retry_in_ms: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let since = target.failing_since.unwrap_or(now);
    let give_up = now - since >= RETRY_FOR_HOURS * 3_600_000;
    let mut tx = db::begin_write(writer).await?;
    let changed = sqlx::query(
        "UPDATE audit_destinations SET last_error = $3, failing_since = $4, failures = failures + 1,
                next_attempt_at = $5, lease_owner = NULL, lease_until = NULL,
                state = CASE WHEN $6 = 1 THEN 'paused' ELSE state END,
                paused_by_service = CASE WHEN $6 = 1 THEN 1 ELSE paused_by_service END
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(&target.id)
    .bind(owner)
    .bind(error)
    .bind(since)
    .bind(now + retry_in_ms)
    .bind(i64::from(give_up))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if give_up && changed == 1 {
        let reason = format!(
            "paused {} after failing for {RETRY_FOR_HOURS} hours: {error}",
            target.shown
        );
        audit(&mut tx, &target.workspace_id, Actor::Service, &reason, None).await?;
    }
    tx.commit().await?;
    Ok(give_up && changed == 1)
}

/// Gives the lease back without a verdict (the service is stopping).
pub async fn release(writer: &AnyPool, target: &Target, owner: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE audit_destinations SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
    )
    .bind(&target.id)
    .bind(owner)
    .execute(writer)
    .await
    .map(drop)
}

/// Rows one statement of the upkeep removes: a short hold of the writer each.
const TRIM_CHUNK: i64 = 5_000;

/// The upkeep's part: outbox rows of removed destinations go, and each destination's backlog
/// past `BACKLOG_MAX` loses its oldest events, counted in `dropped`. Counted on the read pool;
/// removed `TRIM_CHUNK` rows a statement, for at most `budget`, so a big backlog drains over a
/// few rounds and the writer is free between statements. The rows dropped.
pub async fn trim(db: &db::Db, budget: std::time::Duration) -> sqlx::Result<u64> {
    let started = std::time::Instant::now();
    let counts: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT o.destination_id, o.n, d.id FROM
           (SELECT destination_id, COUNT(*) AS n FROM audit_outbox GROUP BY destination_id) o
         LEFT JOIN audit_destinations d ON d.id = o.destination_id",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut dropped = 0;
    for (id, n, exists) in counts {
        let mut excess = if exists.is_some() { n - BACKLOG_MAX } else { n };
        while excess > 0 && started.elapsed() < budget {
            let removed = sqlx::query(
                "DELETE FROM audit_outbox WHERE destination_id = $1 AND (at, event_id) IN
                   (SELECT at, event_id FROM audit_outbox WHERE destination_id = $1 ORDER BY at, event_id LIMIT $2)",
            )
            .bind(&id)
            .bind(excess.min(TRIM_CHUNK))
            .execute(&db.writer)
            .await?
            .rows_affected();
            if removed == 0 {
                break;
            }
            excess -= removed as i64;
            if exists.is_some() {
                sqlx::query("UPDATE audit_destinations SET dropped = dropped + $2 WHERE id = $1")
                    .bind(&id)
                    .bind(removed as i64)
                    .execute(&db.writer)
                    .await?;
                dropped += removed;
                tracing::warn!(destination = %id, dropped = removed, "an audit stream's backlog passed its bound: the oldest events were dropped");
            }
        }
    }
    Ok(dropped)
}

/// Events waiting over all destinations, and the age in ms of the oldest (for the metrics).
pub async fn depth(pool: &AnyPool, now: i64) -> sqlx::Result<(i64, i64)> {
    let (n, oldest): (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), MIN(at) FROM audit_outbox")
        .fetch_one(pool)
        .await?;
    Ok((n, oldest.map_or(0, |at| (now - at).max(0))))
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn a_urls_path_and_query_are_never_shown() {
        assert_eq!(
            shown_url("https://endpoint1.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV39"),
            "https://endpoint1.collection.sumologic.com/…"
        );
        assert_eq!(
            shown_url("https://siem.example.com:8088/?token=abc"),
            "https://siem.example.com:8088/…"
        );
        assert_eq!(shown_url("https://siem.example.com/"), "https://siem.example.com");
        assert_eq!(shown_url("https://siem.example.com"), "https://siem.example.com");
        // What a parser reads as the path never shows, however it is written.
        assert_eq!(
            shown_url("https://siem.example.com\\receiver\\KEY"),
            "https://siem.example.com/…"
        );
    }
}
