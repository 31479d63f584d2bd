//! The refresh grant: check and rotate in one statement, batched, and what a rotated-out token means.

use std::collections::HashSet;

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use super::audit::{record_change, record_changes, Acting, Action, GrantRow, RETURNING_GRANT};
use crate::{db, secrets};

const REUSE: &str = "refresh token reuse detected";
const REVOKED: &str = "revoked by the client";

/// The grant a refresh token was exchanged for, with its new refresh token (the only copy).
#[derive(Debug)]
pub struct Rotated {
    pub grant_id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub refresh_token: String,
}

/// Why a refresh token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No workspace has this client id (`invalid_client`).
    UnknownClient,
    /// Unknown, expired, disabled, deleted, or for another workspace (`invalid_grant`).
    Invalid,
    /// A refresh token that was already rotated out: the grant is now disabled (`invalid_grant`).
    Reused,
}

/// The most refreshes one transaction takes.
const MAX_BATCH: usize = 64;

/// The refresh grant's writer: exchanges arrive on a queue, and one task rotates whatever has
/// queued in one transaction of five statements (group commit). Each exchange waits for its own
/// answer. On SQLite every write is serialised anyway; one transaction per exchange made the
/// writer wait on the scheduler between statements, which capped the grant at about 1,900/s on
/// one core whatever the database.
#[derive(Clone, Debug)]
pub struct Rotator {
    queue: mpsc::Sender<Exchange>,
}

/// One exchange waiting in the queue. The new refresh token and both digests are made by the
/// caller, outside the writer's serial section.
struct Exchange {
    client_id: String,
    old_digest: String,
    new_token: String,
    new_digest: String,
    ip: Option<String>,
    answer: oneshot::Sender<Option<Result<Rotated, Refused>>>,
}

impl Rotator {
    /// Starts the writer task on the current Tokio runtime; it ends when the last `Rotator` is dropped.
    pub fn start(writer: AnyPool) -> Rotator {
        let (queue, mut arrivals) = mpsc::channel::<Exchange>(1024);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while arrivals.recv_many(&mut batch, MAX_BATCH).await > 0 {
                // In runs of 64, 32, ... 1: seven statement shapes, which stay prepared.
                while !batch.is_empty() {
                    let run: Vec<Exchange> = batch.drain(..prev_power_of_two(batch.len())).collect();
                    let answers: Vec<_> = match rotate_batch(&writer, &run).await {
                        Ok(answers) => answers.into_iter().map(Some).collect(),
                        Err(e) => {
                            tracing::error!(error = %e, exchanges = run.len(), "refresh batch failed");
                            run.iter().map(|_| None).collect()
                        }
                    };
                    for (exchange, answer) in run.into_iter().zip(answers) {
                        // The caller may have gone (its client hung up); nothing to tell then.
                        let _ = exchange.answer.send(answer);
                    }
                }
            }
        });
        Rotator { queue }
    }

    /// Exchanges `presented` for a new refresh token, if it is the grant's current one, the
    /// grant is active, and it belongs to the workspace of `client_id`. The check and the
    /// rotation are one UPDATE, so of many concurrent exchanges of one token exactly one wins.
    pub async fn rotate(
        &self,
        client_id: &str,
        presented: &str,
        ip: Option<&str>,
    ) -> sqlx::Result<Result<Rotated, Refused>> {
        let (answer, answered) = oneshot::channel();
        let new_token = secrets::new_refresh_token();
        let exchange = Exchange {
            client_id: client_id.to_owned(),
            old_digest: secrets::digest(presented),
            new_digest: secrets::digest(&new_token),
            new_token,
            ip: ip.map(str::to_owned),
            answer,
        };
        let gone = || sqlx::Error::Protocol("the refresh writer stopped".into());
        self.queue.send(exchange).await.map_err(|_| gone())?;
        answered
            .await
            .map_err(|_| gone())?
            .ok_or_else(|| sqlx::Error::Protocol("the refresh batch failed".into()))
    }
}

/// The largest power of two not above `n` (n > 0).
fn prev_power_of_two(n: usize) -> usize {
    1 << (usize::BITS - 1 - n.leading_zeros())
}

/// Rotates a batch in one transaction; an answer per exchange, in order.
async fn rotate_batch(writer: &AnyPool, batch: &[Exchange]) -> sqlx::Result<Vec<Result<Rotated, Refused>>> {
    // A token presented twice in one batch goes into the UPDATE once; the later copies are then
    // replays of a rotated-out token, exactly as if they had come one after the other.
    let mut seen = HashSet::new();
    let firsts: Vec<usize> = (0..batch.len())
        .filter(|&i| seen.insert(batch[i].old_digest.as_str()))
        .collect();
    let now = db::now_ms();
    let values: Vec<String> = (0..firsts.len())
        .map(|k| format!("(${}, ${}, ${}, ${})", 4 * k + 2, 4 * k + 3, 4 * k + 4, 4 * k + 5))
        .collect();
    // The `+`s keep the state columns out of index selection, so each row is found by its
    // digest's unique index. Without them, PostgreSQL without fresh statistics read every
    // active grant through the state index and hash-joined them (34 ms a batch against 3 ms).
    let sql = format!(
        "WITH v (old_digest, new_digest, hint, client_id) AS (VALUES {})
         UPDATE grants SET refresh_digest = v.new_digest, refresh_hint = v.hint, last_used_at = $1
         FROM v
         WHERE grants.refresh_digest = v.old_digest AND +grants.disabled_at IS NULL AND +grants.expires_at > $1
           AND grants.workspace_id = (SELECT w.id FROM workspaces w WHERE w.client_id = v.client_id)
         RETURNING grants.id, grants.workspace_id, grants.user_id, grants.name, grants.refresh_digest",
        values.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String, String, String, String)>(&sql).bind(now);
    for &i in &firsts {
        let e = &batch[i];
        query = query
            .bind(&e.old_digest)
            .bind(&e.new_digest)
            .bind(token_api::token_format::hint(&e.new_token))
            .bind(&e.client_id);
    }
    let mut tx = writer.begin().await?;
    let rows = query.fetch_all(&mut *tx).await?;
    // Which exchange each rotated grant answers, by the new digest it now carries.
    let mut won: Vec<Option<GrantRow>> = vec![None; batch.len()];
    for (id, workspace_id, user_id, name, digest) in rows {
        if let Some(i) = batch.iter().position(|e| e.new_digest == digest) {
            won[i] = Some((id, workspace_id, user_id, name));
        }
    }
    let winners: Vec<(&Exchange, &GrantRow)> = batch
        .iter()
        .zip(&won)
        .filter_map(|(e, grant)| grant.as_ref().map(|g| (e, g)))
        .collect();
    if !winners.is_empty() {
        let values: Vec<String> = (0..winners.len())
            .map(|k| format!("(${}, ${}, $1)", 2 * k + 2, 2 * k + 3))
            .collect();
        let sql = format!(
            "INSERT INTO rotated_refresh_tokens (digest, grant_id, rotated_at) VALUES {}",
            values.join(", ")
        );
        let mut insert = sqlx::query(&sql).bind(now);
        for (e, grant) in &winners {
            insert = insert.bind(&e.old_digest).bind(&grant.0);
        }
        insert.execute(&mut *tx).await?;
        let changes: Vec<(&GrantRow, Acting)> = winners
            .iter()
            .map(|&(e, grant)| {
                let acting = Acting {
                    ip: e.ip.as_deref(),
                    reason: None,
                };
                (grant, acting)
            })
            .collect();
        record_changes(&mut tx, Action::Refreshed, &changes, None).await?;
    }
    let mut answers = Vec::with_capacity(batch.len());
    for (e, grant) in batch.iter().zip(won) {
        answers.push(match grant {
            Some((grant_id, workspace_id, user_id, _)) => Ok(Rotated {
                grant_id,
                workspace_id,
                user_id,
                refresh_token: e.new_token.clone(),
            }),
            None if workspace_of_client(&mut tx, &e.client_id).await?.is_none() => Err(Refused::UnknownClient),
            None => Err(reuse_check(&mut tx, &e.old_digest, e.ip.as_deref()).await?),
        });
    }
    tx.commit().await?;
    Ok(answers)
}

/// A token that is not current may be one rotated out earlier: then someone replays it (RFC
/// 9700 §4.14.2), and the whole grant is disabled.
async fn reuse_check(conn: &mut AnyConnection, digest: &str, ip: Option<&str>) -> sqlx::Result<Refused> {
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $3
         WHERE disabled_at IS NULL AND id = (SELECT r.grant_id FROM rotated_refresh_tokens r WHERE r.digest = $2)
         {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(db::now_ms())
        .bind(digest)
        .bind(REUSE)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(grant) = disabled else {
        let rotated: Option<(String,)> =
            sqlx::query_as("SELECT grant_id FROM rotated_refresh_tokens WHERE digest = $1")
                .bind(digest)
                .fetch_optional(&mut *conn)
                .await?;
        return Ok(if rotated.is_some() {
            Refused::Reused
        } else {
            Refused::Invalid
        });
    };
    tracing::warn!(grant = %grant.0, "refresh token reuse detected; grant disabled");
    record_change(
        conn,
        Action::ReuseDetected,
        &grant,
        None,
        Acting {
            ip,
            reason: Some(REUSE),
        },
    )
    .await?;
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
}

/// Looks up an active grant by its current refresh token, within one workspace.
pub async fn find_active(conn: &mut AnyConnection, workspace_id: &str, presented: &str) -> sqlx::Result<Option<Found>> {
    let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT g.id, g.user_id, u.email, g.created_at, g.expires_at FROM grants g JOIN users u ON u.id = g.user_id
         WHERE g.refresh_digest = $1 AND g.workspace_id = $2 AND g.disabled_at IS NULL AND g.expires_at > $3",
    )
    .bind(secrets::digest(presented))
    .bind(workspace_id)
    .bind(db::now_ms())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(grant_id, user_id, email, created_at, expires_at)| Found {
        grant_id,
        user_id,
        email,
        created_at,
        expires_at,
    }))
}

/// Revocation (RFC 7009) of a current refresh token by its workspace's client: disables the
/// grant. Unknown and already revoked tokens change nothing.
pub async fn revoke(conn: &mut AnyConnection, client_id: &str, presented: &str, ip: Option<&str>) -> sqlx::Result<()> {
    let sql = format!(
        "UPDATE grants SET disabled_at = $1, disabled_reason = $4
         WHERE refresh_digest = $2 AND disabled_at IS NULL
           AND workspace_id = (SELECT w.id FROM workspaces w WHERE w.client_id = $3) {RETURNING_GRANT}"
    );
    let disabled: Option<GrantRow> = sqlx::query_as(&sql)
        .bind(db::now_ms())
        .bind(secrets::digest(presented))
        .bind(client_id)
        .bind(REVOKED)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(grant) = disabled {
        record_change(
            conn,
            Action::Disabled,
            &grant,
            None,
            Acting {
                ip,
                reason: Some(REVOKED),
            },
        )
        .await?;
    }
    Ok(())
}

/// The workspace id and name of a client id.
pub async fn workspace_of_client(conn: &mut AnyConnection, client_id: &str) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT id, name FROM workspaces WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(conn)
        .await
}
