//! Notices to tokens' owners: an email 7 days and 1 day before a token's refresh token expires,
//! and when one of their tokens is disabled by someone else (an admin, the operator, the
//! identity provider's offboarding), by reuse detection or by a leak report; in the owner's
//! language (`crate::locale`), with no secret in it, unless they turned email off for that
//! workspace. Each expiry notice is also an `expiry_notice` audit event of the token's
//! workspace, email or not, so whatever reads the audit trail (a webhook destination) gets it
//! too; a disable has its own event already.
//!
//! Its own task on every instance, every `--notices-every-seconds` (15): a scan makes the notices
//! that came due (`store::notices`, once whichever instances scan), then the due ones are sent,
//! each by the one instance whose conditional UPDATE claimed it. A failed send is tried again
//! after 1, 2, 4, … minutes (at most 2 hours apart), `MAX_ATTEMPTS` times in all, then given up
//! and counted. The mail server is only ever talked to here, with timeouts, and no connection
//! to the database is held meanwhile: a slow or dead one delays notices, nothing else.

pub mod mail;
pub mod text;

use std::time::Duration;

use token_api::audit::AuditAction;

use crate::locale::Locale;
use crate::store::notices::{self as store, Kind, Outcome};
use crate::{db, AppState};
use mail::Mailer;
use text::{Cause, Disable, Expiry, Letter};

/// Sends a notice gets before it is given up: about 6 hours of trying.
pub const MAX_ATTEMPTS: i64 = 10;
/// The wait after the first failure; it doubles with each, up to `MAX_BACKOFF_MS`.
const FIRST_BACKOFF_MS: i64 = 60_000;
const MAX_BACKOFF_MS: i64 = 2 * 3600 * 1000;
/// How long an instance holds a notice it sends: longer than a send may take.
const LEASE_MS: i64 = 5 * 60_000;
/// Notices one round sends at most.
const SEND_BATCH: i64 = 50;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Notices the scan made.
    pub made: u64,
    pub sent: u64,
    /// Sends that failed (to be tried again, or given up).
    pub failed: u64,
    /// Claimed and not sent: turned off, or nothing left to tell.
    pub skipped: u64,
}

/// Starts the notices' own task on the current runtime, unless `--notices-every-seconds` is 0.
pub fn start(state: &AppState) {
    let every = state.config.notices_every_seconds;
    if every == 0 {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(every.into()));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = run_once(&state).await {
                tracing::warn!(%error, "the notices' round failed; trying again next round");
            }
        }
    });
}

/// One round now.
pub async fn run_once(state: &AppState) -> anyhow::Result<Round> {
    run_once_at(state, db::now_ms()).await
}

/// One round as if it were `now` (ms since the epoch), the tests' clock: the scan, the purge of
/// old finished notices, then the sending of those due.
pub async fn run_once_at(state: &AppState, now: i64) -> anyhow::Result<Round> {
    let mailer = state.mailer.as_deref();
    let (pool, writer) = (&state.db.pool, &state.db.writer);
    let mut round = Round::default();
    for kind in [Kind::Expiry7d, Kind::Expiry1d] {
        round.made += store::scan_expiring(pool, writer, kind, now, mailer.is_some()).await?;
    }
    round.made += store::scan_disabled(pool, writer, now, mailer.is_some()).await?;
    store::forget_old(writer, now).await?;
    if let Some(mailer) = mailer {
        send_due(state, mailer, now, &mut round).await?;
    }
    Ok(round)
}

/// Sends the notices due at `now` that this instance claims. After a failure the round stops:
/// the mail server is likely down, and each further try would only wait out its timeout.
async fn send_due(state: &AppState, mailer: &Mailer, now: i64, round: &mut Round) -> anyhow::Result<()> {
    for id in store::due(&state.db.pool, now, SEND_BATCH).await? {
        let Some(lease) = store::claim(&state.db.writer, &id, now, LEASE_MS).await? else {
            continue;
        };
        let (kind, outcome) = deliver(state, mailer, &id, now).await?;
        let label = kind.map_or("unknown", Kind::as_str);
        let stop = matches!(outcome, Outcome::RetryAt(..) | Outcome::GaveUp(_));
        match &outcome {
            Outcome::Sent => {
                round.sent += 1;
                metrics::counter!("notices_sent_total", "kind" => label).increment(1);
                tracing::info!(notice = %id, kind = label, "a notice was sent");
            }
            Outcome::Skipped => round.skipped += 1,
            Outcome::RetryAt(at, error) => {
                round.failed += 1;
                tracing::warn!(notice = %id, kind = label, %error, retry_in_s = (*at - now) / 1000, "a notice was not sent; it is tried again later");
            }
            Outcome::GaveUp(error) => {
                round.failed += 1;
                metrics::counter!("notices_failed_total", "kind" => label).increment(1);
                tracing::error!(notice = %id, kind = label, %error, "a notice was not sent, and is given up after {MAX_ATTEMPTS} tries");
            }
        }
        store::finish(&state.db.writer, &id, &lease, now, &outcome).await?;
        if stop {
            break;
        }
    }
    Ok(())
}

/// Writes and sends one claimed notice; its kind, and how it ended.
async fn deliver(state: &AppState, mailer: &Mailer, id: &str, now: i64) -> anyhow::Result<(Option<Kind>, Outcome)> {
    let pool = &state.db.pool;
    let Some(notice) = store::notice(pool, id).await? else {
        return Ok((None, Outcome::Skipped));
    };
    let kind = Kind::parse(&notice.kind);
    if notice.wants_email == 0 {
        return Ok((kind, Outcome::Skipped));
    }
    let locale = Locale::from_tag(notice.locale.as_deref());
    let link = page(state, &notice.workspace_id);
    let letter: Option<Letter> = match kind {
        Some(Kind::Expiry7d | Kind::Expiry1d) => {
            store::still_expiring(pool, &notice.grant_id, now).await?.map(|token| {
                text::expiry(
                    locale,
                    &Expiry {
                        person: &notice.person_name,
                        token: &token.name,
                        workspace: &notice.workspace_name,
                        expires_at: db::to_time(token.expires_at),
                        days: store::days_left(token.expires_at, now),
                        link: &link,
                    },
                )
            })
        }
        Some(Kind::Disabled) => match notice.event_id.as_deref() {
            Some(event) => store::disabling_event(pool, event).await?.map(|e| {
                let cause = cause(&e);
                text::disabled(
                    locale,
                    &Disable {
                        person: &notice.person_name,
                        token: e.grant_name.as_deref().unwrap_or_default(),
                        workspace: &notice.workspace_name,
                        at: db::to_time(e.at),
                        cause,
                        reason: e.reason.as_deref().filter(|r| !r.is_empty()),
                        link: &link,
                    },
                )
            }),
            None => None,
        },
        None => None,
    };
    let Some(letter) = letter else {
        return Ok((kind, Outcome::Skipped));
    };
    let outcome = match mailer
        .send(id, (&notice.person_name, &notice.email), locale, letter)
        .await
    {
        Ok(()) => Outcome::Sent,
        Err(error) if notice.attempts >= MAX_ATTEMPTS => Outcome::GaveUp(error),
        Err(error) => Outcome::RetryAt(now + backoff(notice.attempts), error),
    };
    Ok((kind, outcome))
}

/// The wait after the `attempts`-th failed send.
fn backoff(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_BACKOFF_MS.saturating_mul(1 << doublings).min(MAX_BACKOFF_MS)
}

/// Who or what disabled the token, from its audit event.
fn cause(e: &store::Disabled) -> Cause<'_> {
    match (e.action.parse::<AuditAction>().ok(), e.actor_id.as_deref()) {
        (Some(AuditAction::ReuseDetected), _) => Cause::Reuse,
        (Some(AuditAction::LeakReported), _) => Cause::Leak,
        (_, Some(crate::store::audit::OPERATOR)) => Cause::Operator,
        (_, Some(crate::store::sso::BY_PROVIDER)) => Cause::Provider,
        _ => Cause::Person(
            e.actor_name.as_deref().unwrap_or_default(),
            e.actor_email.as_deref().unwrap_or_default(),
        ),
    }
}

/// The owner's tokens page in the workspace: the page, and nothing that opens it.
fn page(state: &AppState, workspace_id: &str) -> String {
    let ws: String = form_urlencoded::byte_serialize(workspace_id.as_bytes()).collect();
    format!("{}/w/{ws}/tokens", state.config.issuer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_back_off_doubling_to_two_hours() {
        let minutes: Vec<i64> = (1..=MAX_ATTEMPTS).map(|a| backoff(a) / 60_000).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
        let total: i64 = (1..MAX_ATTEMPTS).map(backoff).sum();
        assert!((5 * 3_600_000..7 * 3_600_000).contains(&total), "{total}");
    }
}
