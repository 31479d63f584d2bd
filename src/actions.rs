//! What the Users and Admins pages share after an action: an error in words, and a batch's
//! result told as toasts that name each token that failed and why.

use token_api::tokens::{BatchAction, BatchOutcome, BatchResult};

use crate::api::ApiError;
use crate::embed::events::{Events, TokenRef};
use crate::i18n::Messages;
use crate::state::toasts::Toasts;

/// An API failure in the user's language.
pub fn error_text(t: &Messages, e: &ApiError) -> String {
    match e {
        ApiError::Network(_) => t.error_network.to_owned(),
        ApiError::Status { problem: Some(p), .. } if p.status == 409 => t.stale_count.to_owned(),
        ApiError::Status { status, .. } => (t.error_server)(*status),
        ApiError::Decode(_) => t.error_decode.to_owned(),
    }
}

/// Tells the result of a batch, to the user and to the host; `name_of` names a token by id
/// (falling back to the id). Returns the ids that succeeded.
pub fn report_batch(
    t: &Messages,
    (toasts, events): (Toasts, Events),
    action: BatchAction,
    result: &BatchResult,
    name_of: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let done: Vec<String> = result
        .results
        .iter()
        .filter(|r| r.outcome == BatchOutcome::Done)
        .map(|r| r.id.clone())
        .collect();
    let failed: Vec<String> = result
        .results
        .iter()
        .filter(|r| r.outcome != BatchOutcome::Done)
        .map(|r| {
            let why = match r.outcome {
                BatchOutcome::AlreadyDisabled => t.outcome_already_disabled,
                _ => t.outcome_not_found,
            };
            format!("{}: {why}", name_of(&r.id).unwrap_or_else(|| r.id.clone()))
        })
        .collect();
    if !done.is_empty() {
        toasts.success((t.bulk_done)(done.len()));
        let refs: Vec<TokenRef> = done
            .iter()
            .map(|id| TokenRef {
                id: id.clone(),
                name: name_of(id).unwrap_or_default(),
            })
            .collect();
        events.emit(action.into(), &refs);
    }
    if !failed.is_empty() {
        toasts.error((t.bulk_failed)(failed.len()), failed);
    }
    done
}
