//! The status filter both token pages offer: all, active, disabled or expired.

use leptos::prelude::*;
use token_api::tokens::TokenStatus;

use crate::i18n::use_i18n;

/// A labelled select of a status, or all.
#[component]
pub fn StatusSelect(
    /// The status chosen, `None` for all.
    #[prop(into)]
    value: Signal<Option<TokenStatus>>,
    /// Another was chosen.
    on_change: Callback<Option<TokenStatus>>,
) -> impl IntoView {
    let i18n = use_i18n();
    // The property moves the choice when the view changes under it (Back and Forward); the
    // `selected` attributes give the first render its choice before the property is set.
    view! {
        <label class="field-inline">
            <span>{move || i18n.t().status_filter_label}</span>
            <select
                prop:value=move || value.get().map(TokenStatus::as_str).unwrap_or_default()
                on:change:target=move |ev| on_change.run(ev.target().value().parse().ok())
            >
                <option value="" selected=move || value.get().is_none()>{move || i18n.t().all_statuses}</option>
                {TokenStatus::ALL
                    .iter()
                    .map(|&s| view! { <option value=s.as_str() selected=move || value.get() == Some(s)>{move || i18n.t().status(s)}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}
