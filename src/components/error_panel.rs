//! An error the user can read, in their language, with a Retry that works.

use leptos::prelude::*;

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
