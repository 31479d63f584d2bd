//! An error the user can read, in their language, with a Retry that works; and the words for
//! a field the contract's validation refused.

use leptos::prelude::*;

use token_api::validate::{self, Invalid, NAME_MAX_CHARS};

use crate::api::ApiError;
use crate::i18n::{use_i18n, Messages};

/// An API failure in the user's language: the one wording of every failure on every page.
pub fn error_text(t: &Messages, e: &ApiError) -> String {
    match e {
        ApiError::Network(_) | ApiError::Aborted => t.error_network.to_owned(),
        ApiError::Status { problem: Some(p), .. } if p.status == 409 => t.stale_count.to_owned(),
        ApiError::Status { status, .. } => (t.error_server)(*status),
        ApiError::Decode(_) => t.error_decode.to_owned(),
    }
}

/// The words for a validation code, in the user's language.
pub fn invalid_text(t: &Messages, invalid: Invalid) -> String {
    match invalid {
        Invalid::Required => t.invalid_required.to_owned(),
        Invalid::TooLong => (t.invalid_too_long)(NAME_MAX_CHARS),
        Invalid::ControlCharacters => t.invalid_control.to_owned(),
        Invalid::InvisibleCharacters => t.invalid_invisible.to_owned(),
        Invalid::OutOfRange => t.invalid_lifetime.to_owned(),
        Invalid::NotAPermission => t.invalid_not_a_permission.to_owned(),
        Invalid::NotARange => t.invalid_not_a_range.to_owned(),
        Invalid::NotAllowed => t.invalid_not_allowed.to_owned(),
        Invalid::NotAUrl => t.invalid_not_a_url.to_owned(),
        Invalid::NotAHeader => t.invalid_not_a_header.to_owned(),
        _ => t.invalid_other.to_owned(),
    }
}

/// The words for a refused description (its own length limit, not a name's).
pub fn description_invalid_text(t: &Messages, invalid: Invalid) -> String {
    match invalid {
        Invalid::TooLong => (t.description_too_long)(validate::DESCRIPTION_MAX_CHARS),
        i => invalid_text(t, i),
    }
}

/// Says what failed and offers to try again.
#[component]
pub fn ErrorPanel(
    /// What failed.
    error: ApiError,
    /// Runs when the user presses Retry.
    on_retry: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || error_text(i18n.t(), &error);
    view! {
        <div class="error-panel" role="alert">
            <h2>{move || i18n.t().error_title}</h2>
            <p>{message}</p>
            <button type="button" class="button" on:click=move |_| on_retry.run(())>
                {move || i18n.t().retry}
            </button>
        </div>
    }
}
