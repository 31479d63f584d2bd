//! The refresh grant: check and rotate in one statement, batched, and what a token presented
//! again means.
//!
//! # Rotation, replays and retries
//!
//! Every exchange rotates the refresh token (RFC 9700 §4.14.2): the presented token stops
//! working and a successor is returned. A rotated-out token presented again is how a stolen
//! token shows itself, so the whole grant is disabled and `reuse_detected` is audited.
//!
//! Taken strictly, that also punishes the innocent: a client whose response was lost (a flaky
//! network, a proxy timing out) retries with the token it still holds, and loses its grant for
//! good; so does a client whose two threads share one token and refresh together. Providers
//! answer this with a grace period. Okta's refresh-token rotation has a configurable grace
//! period (0 to 60 s) in which the previous token is still accepted; Auth0's "reuse interval"
//! lets the previous token be exchanged again within a set leeway without triggering breach
//! detection; Ory Hydra has a rotation grace period for the same reason. RFC 9700 §4.14.2 asks
//! that replays be detectable and allows the server to decide what is a replay; it does not
//! require punishing a retry that cannot have come from a thief faster than the owner.
//!
//! Here a token presented again within `--refresh-retry-seconds` (30 s by default) of its
//! rotation, while its successor has not yet been used, is a retry: it gets the *same*
//! successor back, with a new access token, and nothing else changes. So there is never more
//! than one refresh token of a grant that yields a new one: the retry hands back the successor
//! rather than minting a second. The successor is kept for the window only, sealed
//! (ChaCha20-Poly1305) under a key derived from the rotated-out token itself, which the database
//! keeps only as a SHA-256 digest: the database alone never yields a successor. A replay after
//! the successor was used, or after the window, is reuse exactly as before. A thief replaying
//! within the window gets the successor only if they hold the old token and the owner has not
//! refreshed since, and only from the owner's address (below).
//!
//! A retry must also come from the address the exchange came from (when the service knows the
//! client's address), with the same user agent: the same token presented from elsewhere, or by
//! another program, is a copy, and counts as reuse. A rotation takes `MAX_RETRIES` retries at
//! most, each audited as `refresh_retried` with its address and user agent, so a thief behind
//! the owner's NAT who copies the owner's user agent is bounded and seen. Introspection calls a
//! token active while it may still be retried, exactly as the token endpoint acts on it, so
//! polling it no longer tells the moment the owner rotates.
//! So a thief who learns that the owner has just refreshed (by polling introspection with any
//! access token of the workspace, say) cannot follow the grant through the window from another
//! address; without this, presenting the old token within the window would hand them each new
//! successor in turn, where rotation without a window would have caught them at once. Revoking
//! a rotated-out token revokes its grant, so a client that revokes after a lost response
//! really ends it.
//!
//! Exchanges queue for one writer task that rotates them in batches (group commit). An exchange
//! whose client hung up before its turn is dropped from the batch unanswered and uncommitted, so
//! its token still works. A batch that fails is retried once per exchange, so one bad exchange
//! never fails another; deadlocks and serialization failures (two instances on one PostgreSQL)
//! are retried; a batch's rows are visited, and so locked, in digest order.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use super::audit::{record_change, record_changes, Acting, Action, GrantRow, RETURNING_GRANT};
use super::sql::{Arg, Sql};
use super::tokens::{carried, Carries};
use crate::db::{self, Backend};
use crate::secrets;

const REUSE: &str = "refresh token reuse detected";
const REVOKED: &str = "revoked by the client";

/// What the key that seals a successor is derived for.
const SUCCESSOR_PURPOSE: &str = "token-console refresh successor v1";

/// The grant a refresh token was exchanged for, with its new refresh token (the only copy) and
/// what the new access token carries (narrowed to the scope asked for, if one was).
#[derive(Clone, Debug)]
pub struct Rotated {
    pub grant_id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub refresh_token: String,
    pub carries: Carries,
}

/// Why a refresh token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No workspace has this client id (`invalid_client`).
    UnknownClient,
    /// Unknown, expired, disabled, deleted, or for another workspace (`invalid_grant`).
    Invalid,
    /// A refresh token that was already rotated out: the grant is now disabled (`invalid_grant`).
    Reused,
    /// The scope asked for is beyond the grant's permissions (`invalid_scope`); nothing changed.
    Scope,
}

/// The most times one rotation's token may be retried within the window; past it a retry is reuse.
pub const MAX_RETRIES: i64 = 3;

/// A presentation this soon after the rotation was in flight with it: answered, audited, but
/// not counted against `MAX_RETRIES`.
pub const IN_FLIGHT_MS: i64 = 1_000;

/// The most refreshes one transaction takes.
const MAX_BATCH: usize = 64;

/// How often a batch is tried again after a deadlock or a serialization failure.
const CONFLICT_RETRIES: usize = 3;

/// The refresh grant's writer: exchanges arrive on a queue, and one task rotates whatever has
/// queued in one transaction of five statements (group commit). Each exchange waits for its own
/// answer. On SQLite every write is serialised anyway; one transaction per exchange made the
/// writer wait on the scheduler between statements, which capped the grant at about 1,900/s on
/// one core whatever the database.
#[derive(Clone, Debug)]
pub struct Rotator {
    queue: mpsc::Sender<Exchange>,
    /// Whether successors are sealed for retries (the window is not zero).
    retries: bool,
}

/// One exchange waiting in the queue. The new refresh token, both digests and the sealed
/// successor are made by the caller, outside the writer's serial section.
struct Exchange {
    client_id: String,
    /// The presented token: the key to a retry's sealed successor.
    presented: String,
    old_digest: String,
    new_token: String,
    new_digest: String,
    /// The new token sealed for a retry; `None` when retries are off.
    sealed: Option<String>,
    ip: Option<String>,
    /// The client's user agent, as `clean_user_agent` keeps it.
    agent: Option<String>,
    /// The scope asked for (RFC 6749 §6), checked as names; `None`: all the grant carries.
    scope: Option<Vec<String>>,
    /// When it joined the queue.
    queued_at: std::time::Instant,
    answer: oneshot::Sender<Option<Result<Rotated, Refused>>>,
}

/// How the writer treats a batch: its database and the retry window.
#[derive(Clone, Debug)]
struct Writer {
    pool: AnyPool,
    backend: Backend,
    retry_window: Duration,
}

impl Rotator {
    /// Starts the writer task on the current Tokio runtime; it ends when the last `Rotator` is
    /// dropped. `retry_window` zero turns retries off.
    pub fn start(pool: AnyPool, backend: Backend, retry_window: Duration) -> Rotator {
        let writer = Writer {
            pool,
            backend,
            retry_window,
        };
        let (queue, mut arrivals) = mpsc::channel::<Exchange>(1024);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while arrivals.recv_many(&mut batch, MAX_BATCH).await > 0 {
                // In runs of 64, 32, ... 1: seven statement shapes, which stay prepared.
                while !batch.is_empty() {
                    let run: Vec<Exchange> = batch.drain(..prev_power_of_two(batch.len())).collect();
                    metrics::histogram!("refresh_batch_size").record(run.len() as f64);
                    for exchange in &run {
                        metrics::histogram!("refresh_queue_wait_seconds")
                            .record(exchange.queued_at.elapsed().as_secs_f64());
                    }
                    if writer.rotate_and_answer(run).await == Database::Away {
                        // Whatever queued behind it would only wait out the pool's timeout in turn.
                        for exchange in batch.drain(..) {
                            let _ = exchange.answer.send(None);
                        }
                    }
                }
            }
        });
        Rotator {
            queue,
            retries: !retry_window.is_zero(),
        }
    }

    /// Exchanges `presented` for a new refresh token, if it is the grant's current one, the
    /// grant is active, and it belongs to the workspace of `client_id`; or, within the retry
    /// window, returns the successor it was already exchanged for. The check and the rotation
    /// are one UPDATE, so of many concurrent exchanges of one token exactly one rotates it, and
    /// writes where it came from (`ip`, the raw `user_agent`) on the grant.
    ///
    /// A grant limited to address ranges rotates only for an `ip` inside them; a `scope` narrows
    /// what the new access token carries, and is refused if it asks for more than the grant has.
    pub async fn rotate(
        &self,
        client_id: &str,
        presented: &str,
        ip: Option<&str>,
        user_agent: Option<&[u8]>,
        scope: Option<Vec<String>>,
    ) -> sqlx::Result<Result<Rotated, Refused>> {
        let (answer, answered) = oneshot::channel();
        let new_token = secrets::new_refresh_token();
        let exchange = Exchange {
            client_id: client_id.to_owned(),
            presented: presented.to_owned(),
            old_digest: secrets::digest(presented),
            new_digest: secrets::digest(&new_token),
            sealed: self
                .retries
                .then(|| secrets::seal(&successor_key(presented), new_token.as_bytes())),
            new_token,
            ip: ip.map(str::to_owned),
            agent: user_agent.and_then(clean_user_agent),
            scope,
            queued_at: std::time::Instant::now(),
            answer,
        };
        let gone = || sqlx::Error::Protocol("the refresh writer stopped".into());
        self.queue.send(exchange).await.map_err(|_| gone())?;
        answered
            .await
            .map_err(|_| gone())?
            .ok_or_else(|| sqlx::Error::Protocol("the refresh exchange failed".into()))
    }
}

/// The longest user agent kept, in characters: any real client's fits, and a flood of long ones
/// writes little.
pub const USER_AGENT_MAX_CHARS: usize = 200;

/// A `User-Agent` header as a token's last refresh keeps it: read as UTF-8 (what is not becomes
/// U+FFFD), control and invisible characters (bidi controls, zero-width) dropped, trimmed, cut at `USER_AGENT_MAX_CHARS`; `None` if
/// nothing is left.
pub fn clean_user_agent(raw: &[u8]) -> Option<String> {
    let kept: String = String::from_utf8_lossy(raw)
        .chars()
        .filter(|&c| !c.is_control() && !token_api::validate::is_invisible(c))
        .collect::<String>()
        .trim()
        .chars()
        .take(USER_AGENT_MAX_CHARS)
        .collect();
    (!kept.is_empty()).then_some(kept)
}

/// The key that seals the successor of `presented`.
pub fn successor_key(presented: &str) -> [u8; 32] {
    secrets::derive_key(SUCCESSOR_PURPOSE, presented.as_bytes())
}

/// The largest power of two not above `n` (n > 0).
fn prev_power_of_two(n: usize) -> usize {
    1 << (usize::BITS - 1 - n.leading_zeros())
}

/// Whether the database answered a run at all.
#[derive(Debug, PartialEq, Eq)]
enum Database {
    Answered,
    Away,
}

impl Writer {
    /// Rotates a run and answers each exchange. Exchanges whose client has gone are dropped
    /// first: nothing is committed for an answer nobody will read.
    async fn rotate_and_answer(&self, mut run: Vec<Exchange>) -> Database {
        run.retain(|e| !e.answer.is_closed());
        if run.is_empty() {
            return Database::Answered;
        }
        match self.rotate_with_retries(&run).await {
            Ok(answers) => {
                for (exchange, answer) in run.into_iter().zip(answers) {
                    // The caller may have gone since; nothing to tell then.
                    let _ = exchange.answer.send(Some(answer));
                }
            }
            // A statement failed for one exchange's sake: redo them one at a time, so it fails
            // alone. When the database itself is away, each would only wait out the pool's
            // timeout in turn; they all fail now instead.
            Err(error) if run.len() > 1 && !db::is_unavailable(&error) => {
                tracing::warn!(%error, exchanges = run.len(), "refresh batch failed; exchanging one at a time");
                for exchange in run {
                    if exchange.answer.is_closed() {
                        continue;
                    }
                    let answer = self.rotate_with_retries(std::slice::from_ref(&exchange)).await;
                    if let Err(error) = &answer {
                        tracing::error!(%error, "refresh exchange failed");
                    }
                    let _ = exchange.answer.send(answer.ok().and_then(|mut a| a.pop()));
                }
            }
            Err(error) => {
                tracing::error!(%error, exchanges = run.len(), "refresh exchange failed");
                let away = db::is_unavailable(&error);
                for exchange in run {
                    let _ = exchange.answer.send(None);
                }
                if away {
                    return Database::Away;
                }
            }
        }
        Database::Answered
    }

    /// Deadlocks and serialization failures (two instances on one PostgreSQL) and SQLite's busy
    /// lock are tried again, a few times.
    async fn rotate_with_retries(&self, batch: &[Exchange]) -> sqlx::Result<Vec<Result<Rotated, Refused>>> {
        let mut attempt = 0;
        loop {
            match self.rotate_batch(batch).await {
                Err(e) if db::is_conflict(&e) && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "refresh batch conflicted; retrying");
                    tokio::time::sleep(Duration::from_millis(5 * attempt as u64)).await;
                }
                other => return other,
            }
        }
    }

    /// Rotates a batch in one transaction; an answer per exchange, in order.
    async fn rotate_batch(&self, batch: &[Exchange]) -> sqlx::Result<Vec<Result<Rotated, Refused>>> {
        // A token presented twice by one client in one batch goes into the UPDATE once; the later
        // copies then find it rotated, exactly as if they had come one after the other.
        let mut seen = HashSet::new();
        let mut firsts: Vec<usize> = (0..batch.len())
            .filter(|&i| seen.insert((batch[i].old_digest.as_str(), batch[i].client_id.as_str())))
            .collect();
        // In digest order: PostgreSQL's plan walks the values in order and locks each grant as it
        // finds it by its digest's unique index, so two instances' batches take their row locks
        // in one order and do not wait on each other in a cycle. (Locking first with SELECT ...
        // ORDER BY id FOR UPDATE, in the statement or before it, cost 6 to 11% of the grant's
        // throughput.) A deadlock the planner might still make is retried. SQLite has one writer.
        firsts.sort_by(|&a, &b| batch[a].old_digest.cmp(&batch[b].old_digest));
        let now = db::now_ms();
        let text = |v: &str| Arg::Text(v.to_owned());
        let maybe = |v: &Option<String>| Arg::MaybeText(v.clone());
        let mut tx = crate::db::begin_write(&self.pool).await?;
        // First the plain exchanges of grants without ranges: most of them, in one statement
        // that needs nothing read before it. A grant with ranges, or an exchange asking for a
        // scope, is checked first (`check_limited`), and what passes rotates in a second one.
        let plain: Vec<usize> = firsts.iter().copied().filter(|&i| batch[i].scope.is_none()).collect();
        let mut rows = self.rotate_rows(&mut tx, batch, &plain, true, now).await?;
        let rotated: HashSet<&str> = rows.iter().map(|r| r.digest.as_str()).collect();
        // Every copy that did not rotate is checked on its own (a copy from outside the ranges
        // must not take down one from inside); of those that pass, one per token rotates, and the
        // others are copies as before (`not_current`).
        let mut rest: Vec<usize> = (0..batch.len())
            .filter(|&i| !rotated.contains(batch[i].new_digest.as_str()))
            .collect();
        rest.sort_by(|&a, &b| batch[a].old_digest.cmp(&batch[b].old_digest));
        let mut refused: std::collections::HashMap<usize, Refused> = Default::default();
        if !rest.is_empty() {
            let (passed, failed) = check_limited(&mut tx, batch, &rest, now).await?;
            refused = failed;
            let mut once = HashSet::new();
            let passed: Vec<usize> = passed
                .into_iter()
                .filter(|&i| once.insert((batch[i].old_digest.as_str(), batch[i].client_id.as_str())))
                .collect();
            rows.extend(self.rotate_rows(&mut tx, batch, &passed, false, now).await?);
        }
        if self.backend == Backend::Sqlite && !rows.is_empty() {
            let owners = owners_of(&mut tx, rows.iter().map(|r| r.grant.2.as_str())).await?;
            for row in &mut rows {
                if let Some(owner) = owners.get(&row.grant.2) {
                    row.owner = Some(owner.clone());
                }
            }
        }
        // Which exchange each rotated grant answers, by the new digest it now carries.
        let mut won: Vec<Option<(GrantRow, String, String)>> = vec![None; batch.len()];
        let mut carries: Vec<Carries> = vec![Carries::default(); batch.len()];
        for RotatedRow {
            grant,
            digest,
            owner,
            carry,
        } in rows
        {
            if let Some(i) = batch.iter().position(|e| e.new_digest == digest) {
                let (email, name) = owner.unwrap_or_default();
                won[i] = Some((grant, email, name));
                carries[i] = carry.narrowed(batch[i].scope.as_deref());
            }
        }
        let winners: Vec<(&Exchange, &(GrantRow, String, String))> = batch
            .iter()
            .zip(&won)
            .filter_map(|(e, grant)| grant.as_ref().map(|g| (e, g)))
            .collect();
        if !winners.is_empty() {
            let mut sql = Sql::default();
            let at = sql.arg(Arg::Int(now));
            let values: Vec<String> = winners
                .iter()
                .map(|(e, (grant, _, _))| {
                    let [digest, grant_id, successor, sealed, ip, agent] = [
                        text(&e.old_digest),
                        text(&grant.0),
                        text(&e.new_digest),
                        maybe(&e.sealed),
                        maybe(&e.ip),
                        maybe(&e.agent),
                    ]
                    .map(|v| sql.arg(v));
                    format!("({digest}, {grant_id}, {at}, {successor}, {sealed}, {ip}, {agent})")
                })
                .collect();
            let statement = format!(
                "INSERT INTO rotated_refresh_tokens (digest, grant_id, rotated_at, successor_digest, successor_sealed, rotated_ip,
                                                     rotated_agent)
                 VALUES {}",
                values.join(", ")
            );
            sql.query(&statement).execute(&mut *tx).await?;
            let changes: Vec<(&GrantRow, Acting)> = winners
                .iter()
                .map(|&(e, (grant, email, name))| {
                    let acting = Acting {
                        ip: e.ip.as_deref(),
                        reason: None,
                        owner: Some((email.as_str(), name.as_str())),
                        ..Default::default()
                    };
                    (grant, acting)
                })
                .collect();
            record_changes(&mut tx, Action::Refreshed, &changes, None).await?;
        }
        let mut answers = Vec::with_capacity(batch.len());
        // Copies of one token from one client in one batch were in flight together: one
        // answer (and at most one retry, one audit row) for them all.
        type Copy<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a [String]>);
        let mut copies: std::collections::HashMap<Copy, Result<Rotated, Refused>> = Default::default();
        for (i, (e, grant)) in batch.iter().zip(won).enumerate() {
            answers.push(match grant {
                Some(((grant_id, workspace_id, user_id, _), _, _)) => Ok(Rotated {
                    grant_id,
                    workspace_id,
                    user_id,
                    refresh_token: e.new_token.clone(),
                    carries: std::mem::take(&mut carries[i]),
                }),
                None if refused.contains_key(&i) => Err(refused[&i].clone()),
                None => {
                    let key = (
                        e.old_digest.as_str(),
                        e.client_id.as_str(),
                        e.ip.as_deref(),
                        e.agent.as_deref(),
                        e.scope.as_deref(),
                    );
                    match copies.get(&key) {
                        Some(answer) => answer.clone(),
                        None => {
                            let answer = self.not_current(&mut tx, e).await?;
                            copies.insert(key, answer.clone());
                            answer
                        }
                    }
                }
            });
        }
        tx.commit().await?;
        Ok(answers)
    }

    /// Rotates the exchanges at `which` (indices into `batch`, in digest order) in one UPDATE;
    /// `unlimited` only where the grant has no ranges (the first pass). Returns what rotated.
    async fn rotate_rows(
        &self,
        tx: &mut AnyConnection,
        batch: &[Exchange],
        which: &[usize],
        unlimited: bool,
        now: i64,
    ) -> sqlx::Result<Vec<RotatedRow>> {
        if which.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let at = sql.arg(Arg::Int(now));
        let text = |v: &str| Arg::Text(v.to_owned());
        let maybe = |v: &Option<String>| Arg::MaybeText(v.clone());
        let values: Vec<String> = which
            .iter()
            .map(|&i| {
                let e = &batch[i];
                let row = [
                    text(&e.old_digest),
                    text(&e.new_digest),
                    text(token_api::token_format::hint(&e.new_token)),
                    text(&e.client_id),
                    maybe(&e.ip),
                    maybe(&e.agent),
                ];
                format!("({})", row.map(|v| sql.arg(v)).join(", "))
            })
            .collect();
        // The owner's email and name come along for the audit rows' snapshot: joined here on
        // PostgreSQL; SQLite's RETURNING may not name the FROM tables, and a lookup per row there
        // cost 6% of the grant's throughput, so it reads them once per batch below.
        let (users, joined, owner) = match self.backend {
            Backend::Postgres => (
                ", users u",
                "AND u.id = grants.user_id",
                "u.email AS owner_email, u.name AS owner_name",
            ),
            Backend::Sqlite => ("", "", "NULL AS owner_email, NULL AS owner_name"),
        };
        let limited = if unlimited { "AND grants.ranges IS NULL" } else { "" };
        // The `+`s keep the state columns out of index selection, so each row is found by its
        // digest's unique index. Without them, PostgreSQL without fresh statistics read every
        // active grant through the state index and hash-joined them (34 ms a batch against 3 ms).
        // A grant of every permission carries its workspace's catalogue, read as it is now, and
        // only what members may choose when its owner is not an admin.
        let statement = format!(
            "WITH v (old_digest, new_digest, hint, client_id, ip, agent) AS (VALUES {})
             UPDATE grants SET refresh_digest = v.new_digest, refresh_hint = v.hint, last_used_at = {at},
                               last_used_ip = v.ip, last_used_agent = v.agent
             FROM v{users}
             WHERE grants.refresh_digest = v.old_digest AND +grants.disabled_at IS NULL AND +grants.expires_at > {at}
               AND grants.workspace_id = (SELECT w.id FROM workspaces w WHERE w.client_id = v.client_id) {joined} {limited}
             RETURNING grants.id AS id, grants.workspace_id AS workspace_id, grants.user_id AS user_id,
                       grants.name AS name, grants.refresh_digest AS digest, {owner},
                       grants.scope AS scope, grants.ranges AS ranges,
                       CASE WHEN grants.scope IS NULL
                            THEN (SELECT c.permissions FROM workspaces c WHERE c.id = grants.workspace_id) END AS catalogue,
                       CASE WHEN grants.scope IS NULL AND NOT EXISTS (SELECT 1 FROM memberships a
                              WHERE a.workspace_id = grants.workspace_id AND a.user_id = grants.user_id AND a.role = 'admin')
                            THEN (SELECT c.member_permissions FROM workspaces c WHERE c.id = grants.workspace_id) END AS cap",
            values.join(", ")
        );
        sql.query(&statement)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(RotatedRow::from_row)
            .collect()
    }

    /// A presented token that did not rotate: an unknown client, a retry within the window, a
    /// replay, or simply not a live token. One query tells them apart, so a stream of made-up
    /// tokens costs the writer one lookup each.
    async fn not_current(&self, conn: &mut AnyConnection, e: &Exchange) -> sqlx::Result<Result<Rotated, Refused>> {
        let row: Option<NotCurrentRow> = sqlx::query_as(&format!(
            "SELECT w.id AS workspace_id, r.grant_id AS rotated_grant, r.rotated_at, r.successor_sealed AS sealed,
                    r.rotated_ip, g.user_id,
                    CASE WHEN g.refresh_digest = r.successor_digest AND g.disabled_at IS NULL AND g.expires_at > $3
                         THEN 1 ELSE 0 END AS successor_current,
                    r.rotated_agent, r.retries, g.name AS grant_name, g.scope, g.ranges, {EXPANSION}
             FROM workspaces w
             LEFT JOIN rotated_refresh_tokens r ON r.digest = $1
             LEFT JOIN grants g ON g.id = r.grant_id AND g.workspace_id = w.id
             WHERE w.client_id = $2"
        ))
        .bind(&e.old_digest)
        .bind(&e.client_id)
        .bind(db::now_ms())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(NotCurrentRow {
            workspace_id,
            rotated_grant,
            rotated_at,
            sealed,
            rotated_ip,
            user_id,
            successor_current,
            rotated_agent,
            retries,
            grant_name,
            scope,
            ranges,
            catalogue,
            cap,
        }) = row
        else {
            return Ok(Err(Refused::UnknownClient));
        };
        // Not a token of this workspace, current or rotated out: nothing more to learn.
        let (Some(grant_id), Some(user_id)) = (rotated_grant, user_id) else {
            return Ok(Err(Refused::Invalid));
        };
        let retries = retries.unwrap_or(0);
        let window_ms = i64::try_from(self.retry_window.as_millis()).unwrap_or(i64::MAX);
        let since = rotated_at.map(|at| db::now_ms() - at);
        let in_window = since.is_some_and(|ms| ms < window_ms);
        // Presented within a second of the rotation: a copy that was in flight with it (a
        // client's threads sharing one token), not a retry after a lost answer; not counted.
        let in_flight = since.is_some_and(|ms| ms < IN_FLIGHT_MS);
        // A retry comes from where the exchange came from, with the same user agent; the same token
        // from elsewhere, or from another program, is a copy.
        let same_client = match (&rotated_ip, &e.ip) {
            (Some(then), Some(now)) => then == now,
            _ => true,
        } && rotated_agent == e.agent;
        let carries = carried(scope, catalogue, cap, ranges);
        if in_window && same_client && successor_current == 1 && (in_flight || retries < MAX_RETRIES) {
            let ip = e.ip.as_deref().and_then(|ip| ip.parse().ok());
            let inside = token_api::permissions::range_list(&carries.ranges)
                .is_ok_and(|ranges| token_api::permissions::allowed_from(&ranges, ip));
            if !inside {
                return Ok(Err(Refused::Invalid));
            }
            if !carries.holds(e.scope.as_deref()) {
                return Ok(Err(Refused::Scope));
            }
            let successor = sealed
                .and_then(|sealed| secrets::open(&successor_key(&e.presented), &sealed))
                .and_then(|plain| String::from_utf8(plain).ok());
            // Counted in the statement, so concurrent retries cannot pass the bound together.
            let counted = successor.is_some()
                && (in_flight
                    || sqlx::query(
                        "UPDATE rotated_refresh_tokens SET retries = retries + 1 WHERE digest = $1 AND retries < $2",
                    )
                    .bind(&e.old_digest)
                    .bind(MAX_RETRIES)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
                        == 1);
            if let (Some(refresh_token), true) = (successor, counted) {
                tracing::info!(grant = %grant_id, ip = e.ip.as_deref(), "refresh token presented again within the retry window; same successor returned");
                let agent = e.agent.as_deref().unwrap_or("none");
                let reason = if in_flight {
                    format!("presented again while the rotation was in flight; user agent “{agent}”")
                } else {
                    format!("retry {} of at most {MAX_RETRIES}; user agent “{agent}”", retries + 1)
                };
                let grant = (
                    grant_id.clone(),
                    workspace_id.clone(),
                    user_id.clone(),
                    grant_name.unwrap_or_default(),
                );
                let acting = Acting {
                    ip: e.ip.as_deref(),
                    reason: Some(&reason),
                    owner: None,
                    ..Default::default()
                };
                record_change(conn, Action::RefreshRetried, &grant, None, acting).await?;
                return Ok(Ok(Rotated {
                    grant_id,
                    workspace_id,
                    user_id,
                    refresh_token,
                    carries: carries.narrowed(e.scope.as_deref()),
                }));
            }
        }
        Ok(Err(reuse(conn, &grant_id, e.ip.as_deref()).await?))
    }
}

/// What the rotating UPDATE returns: the grant, its new digest, the owner's email and name
/// (read separately on SQLite).
struct RotatedRow {
    grant: GrantRow,
    digest: String,
    owner: Option<(String, String)>,
    /// What the grant carries, before any narrowing.
    carry: Carries,
}

impl RotatedRow {
    fn from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<RotatedRow> {
        use sqlx::Row;
        let email: Option<String> = r.try_get("owner_email")?;
        let name: Option<String> = r.try_get("owner_name")?;
        Ok(RotatedRow {
            grant: super::audit::grant_row(r)?,
            digest: r.try_get("digest")?,
            owner: email.zip(name),
            carry: carried(
                r.try_get("scope")?,
                r.try_get("catalogue")?,
                r.try_get("cap")?,
                r.try_get("ranges")?,
            ),
        })
    }
}

/// The email and name of each of these users, by id.
async fn owners_of<'a>(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = &'a str>,
) -> sqlx::Result<std::collections::HashMap<String, (String, String)>> {
    let ids: Vec<&str> = ids.collect::<HashSet<_>>().into_iter().collect();
    let params: Vec<String> = (1..=ids.len()).map(|k| format!("${k}")).collect();
    let sql = format!("SELECT id, email, name FROM users WHERE id IN ({})", params.join(", "));
    let query = ids
        .iter()
        .fold(sqlx::query_as::<_, (String, String, String)>(&sql), |q, id| q.bind(*id));
    let rows = query.fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id, email, name)| (id, (email, name))).collect())
}

/// What `not_current` reads: the client's workspace; and where the presented token was rotated
/// out: its grant, when, the sealed successor, from where, the owner, whether the successor is
/// still the grant's live token (1) or not (0), with which user agent, how often it was retried,
/// and the grant's name.
#[derive(sqlx::FromRow)]
struct NotCurrentRow {
    workspace_id: String,
    rotated_grant: Option<String>,
    rotated_at: Option<i64>,
    sealed: Option<String>,
    rotated_ip: Option<String>,
    user_id: Option<String>,
    successor_current: i64,
    rotated_agent: Option<String>,
    retries: Option<i64>,
    grant_name: Option<String>,
    scope: Option<String>,
    ranges: Option<String>,
    catalogue: Option<String>,
    cap: Option<String>,
}

/// The exchanges the first pass left: those of grants with ranges, those asking for a scope,
/// and tokens that are not current at all. Reads the live grants among them, in one statement.
/// An exchange from outside its grant's ranges is refused and audited (an alarm; the grant
/// itself is untouched: the address may be a misconfiguration, not a thief); one asking for more
/// than its grant carries is refused; the others may rotate (returned in `rest`'s order). What
/// is not a live grant of the client's workspace is left to `not_current`.
async fn check_limited(
    conn: &mut AnyConnection,
    batch: &[Exchange],
    rest: &[usize],
    now: i64,
) -> sqlx::Result<(Vec<usize>, std::collections::HashMap<usize, Refused>)> {
    use sqlx::Row;
    let mut sql = Sql::default();
    let digests: Vec<String> = rest
        .iter()
        .map(|&i| sql.arg(Arg::Text(batch[i].old_digest.clone())))
        .collect();
    let at = sql.arg(Arg::Int(now));
    let statement = format!(
        "SELECT g.id AS id, g.workspace_id AS workspace_id, g.user_id AS user_id, g.name AS name,
                g.refresh_digest AS digest, g.scope AS scope, g.ranges AS ranges, w.client_id AS client_id,
                {EXPANSION}
         FROM grants g JOIN workspaces w ON w.id = g.workspace_id
         WHERE g.refresh_digest IN ({}) AND g.disabled_at IS NULL AND g.expires_at > {at}",
        digests.join(", ")
    );
    let mut live = std::collections::HashMap::new();
    for r in sql.query(&statement).fetch_all(&mut *conn).await? {
        let key: (String, String) = (r.try_get("digest")?, r.try_get("client_id")?);
        let carry = carried(
            r.try_get("scope")?,
            r.try_get("catalogue")?,
            r.try_get("cap")?,
            r.try_get("ranges")?,
        );
        live.insert(key, (super::audit::grant_row(&r)?, carry));
    }
    let (mut passed, mut refused) = (Vec::new(), std::collections::HashMap::new());
    for &i in rest {
        let e = &batch[i];
        let Some((grant, carry)) = live.get(&(e.old_digest.clone(), e.client_id.clone())) else {
            continue;
        };
        let ip = e.ip.as_deref().and_then(|ip| ip.parse().ok());
        // Stored ranges this build cannot read let nothing through.
        let inside = token_api::permissions::range_list(&carry.ranges)
            .is_ok_and(|ranges| token_api::permissions::allowed_from(&ranges, ip));
        if !inside {
            let reason = format!(
                "refresh from {} refused: outside the token's ranges {}",
                e.ip.as_deref().unwrap_or("an unknown address"),
                carry.ranges.join(" ")
            );
            tracing::warn!(grant = %grant.0, ip = e.ip.as_deref(), "refresh from outside the token's ranges refused");
            // One alarm a minute per token at most: someone holding it cannot flood the trail
            // (or the writer) by refreshing from outside.
            let recent: Option<(String,)> =
                sqlx::query_as("SELECT id FROM audit_events WHERE action = $1 AND at > $2 AND grant_id = $3 LIMIT 1")
                    .bind(Action::RefreshOutsideRanges.as_str())
                    .bind(now - 60_000)
                    .bind(&grant.0)
                    .fetch_optional(&mut *conn)
                    .await?;
            if recent.is_none() {
                let acting = Acting::by(e.ip.as_deref(), Some(&reason));
                record_change(conn, Action::RefreshOutsideRanges, grant, None, acting).await?;
            }
            refused.insert(i, Refused::Invalid);
        } else if !carry.holds(e.scope.as_deref()) {
            refused.insert(i, Refused::Scope);
        } else {
            passed.push(i);
        }
    }
    Ok((passed, refused))
}

/// A rotated-out token of this grant was presented to its own client outside a retry: someone
/// replays it (RFC 9700 §4.14.2), so the whole grant is disabled. A presentation to another
/// workspace's client never gets here: it could not have been exchanged there anyway, and a
/// client that mixes up its ids must not kill a token.
async fn reuse(conn: &mut AnyConnection, grant_id: &str, ip: Option<&str>) -> sqlx::Result<Refused> {
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $3, disabled_cause = 'reuse_detected'
         WHERE id = $2 AND disabled_at IS NULL {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(db::now_ms())
        .bind(grant_id)
        .bind(REUSE)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(grant) = disabled {
        tracing::warn!(grant = %grant.0, ip, "refresh token reuse detected; grant disabled");
        let acting = Acting {
            ip,
            reason: Some(REUSE),
            owner: None,
            ..Default::default()
        };
        record_change(conn, Action::ReuseDetected, &grant, None, acting).await?;
    }
    Ok(Refused::Reused)
}

/// The active grant a current refresh token belongs to, in the workspace of `client_id`.
#[derive(Debug)]
pub struct Found {
    pub grant_id: String,
    pub user_id: String,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub carries: Carries,
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for Found {
    fn from_row(r: &'r sqlx::any::AnyRow) -> sqlx::Result<Found> {
        use sqlx::Row;
        Ok(Found {
            grant_id: r.try_get("grant_id")?,
            user_id: r.try_get("user_id")?,
            email: r.try_get("email")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            carries: carried(
                r.try_get("scope")?,
                r.try_get("catalogue")?,
                r.try_get("cap")?,
                r.try_get("ranges")?,
            ),
        })
    }
}

/// What a grant of every permission expands to, from `grants g` and `workspaces w`: the
/// catalogue as it is now, and the members' cap when its owner is not an admin (`carried`).
const EXPANSION: &str = "CASE WHEN g.scope IS NULL THEN w.permissions END AS catalogue,
    CASE WHEN g.scope IS NULL AND NOT EXISTS (SELECT 1 FROM memberships a
           WHERE a.workspace_id = g.workspace_id AND a.user_id = g.user_id AND a.role = 'admin')
         THEN w.member_permissions END AS cap";

/// The columns `Found` reads, from `grants g`, `users u` and `workspaces w`.
const FOUND_COLUMNS: &str = "g.id AS grant_id, g.user_id AS user_id, u.email AS email, g.created_at AS created_at,
    g.expires_at AS expires_at, g.scope AS scope, g.ranges AS ranges";

/// Looks up an active grant by its current refresh token, within one workspace.
pub async fn find_active(conn: &mut AnyConnection, workspace_id: &str, presented: &str) -> sqlx::Result<Option<Found>> {
    sqlx::query_as(&format!(
        "SELECT {FOUND_COLUMNS}, {EXPANSION} FROM grants g JOIN users u ON u.id = g.user_id JOIN workspaces w ON w.id = g.workspace_id
         WHERE g.refresh_digest = $1 AND g.workspace_id = $2 AND g.disabled_at IS NULL AND g.expires_at > $3"
    ))
    .bind(secrets::digest(presented))
    .bind(workspace_id)
    .bind(db::now_ms())
    .fetch_optional(conn)
    .await
}

/// A rotated-out refresh token that its client may still retry (within `window` of its
/// rotation, under `MAX_RETRIES`, its successor still the grant's live token): introspection
/// calls it active, as the token endpoint would act on it from the address and user agent that
/// rotated it. So polling introspection does not tell anyone the moment the owner rotates.
pub async fn find_retryable(
    conn: &mut AnyConnection,
    workspace_id: &str,
    presented: &str,
    window: Duration,
) -> sqlx::Result<Option<Found>> {
    let now = db::now_ms();
    sqlx::query_as(&format!(
        "SELECT {FOUND_COLUMNS}, {EXPANSION}
         FROM rotated_refresh_tokens r JOIN grants g ON g.id = r.grant_id JOIN users u ON u.id = g.user_id
         JOIN workspaces w ON w.id = g.workspace_id
         WHERE r.digest = $1 AND g.workspace_id = $2 AND g.refresh_digest = r.successor_digest
           AND g.disabled_at IS NULL AND g.expires_at > $3 AND r.rotated_at > $4 AND r.retries < $5
           AND r.successor_sealed IS NOT NULL"
    ))
    .bind(secrets::digest(presented))
    .bind(workspace_id)
    .bind(now)
    .bind(now - i64::try_from(window.as_millis()).unwrap_or(i64::MAX))
    .bind(MAX_RETRIES)
    .fetch_optional(conn)
    .await
}

/// Revocation (RFC 7009) of a refresh token by its workspace's client: disables the grant and
/// audits it, in one transaction. A token rotated out earlier revokes its grant too (a client
/// that revokes after a lost response holds the old token; within the retry window it would
/// still yield the successor). Unknown and already revoked tokens change nothing; an unknown
/// client is refused.
pub async fn revoke(
    pool: &AnyPool,
    client_id: &str,
    presented: &str,
    ip: Option<&str>,
) -> sqlx::Result<Result<(), Refused>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let Some((workspace_id, _)) = workspace_of_client(&mut tx, client_id).await? else {
        return Ok(Err(Refused::UnknownClient));
    };
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $4, disabled_cause = 'revoked'
         WHERE disabled_at IS NULL AND workspace_id = $3
           AND (refresh_digest = $2 OR id = (SELECT r.grant_id FROM rotated_refresh_tokens r WHERE r.digest = $2))
         {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(db::now_ms())
        .bind(secrets::digest(presented))
        .bind(&workspace_id)
        .bind(REVOKED)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(grant) = disabled {
        let acting = Acting {
            ip,
            reason: Some(REVOKED),
            owner: None,
            ..Default::default()
        };
        record_change(&mut tx, Action::Disabled, &grant, None, acting).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// The workspace id and name of a client id.
pub async fn workspace_of_client(conn: &mut AnyConnection, client_id: &str) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT id, name FROM workspaces WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(conn)
        .await
}
