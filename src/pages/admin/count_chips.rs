//! The counts at the top of the Tokens tab; each one filters the list to what it counts, and
//! shows itself pressed while the list is filtered so (pressed again, it clears the filter).
//! The alarms open the audit trail, and say so.

use leptos::prelude::*;
use token_api::admin::TokenSummary;
use token_api::query::TokenFilter;
use token_api::tokens::TokenStatus;

use crate::api::ApiError;
use crate::i18n::use_i18n;

/// Active, expiring within 7 days, disabled, never used.
#[component]
pub fn CountChips(
    summary: LocalResource<Result<TokenSummary, ApiError>>,
    /// The list's filter now.
    #[prop(into)]
    filter: Signal<TokenFilter>,
    /// A count was pressed: show what it counts.
    on_filter: Callback<TokenFilter>,
    /// The alarms were pressed: show them in the audit trail.
    on_alarms: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let t = i18n.t();
        let s = summary
            .with(|s| s.as_ref().and_then(|r| r.as_ref().ok()).cloned())
            .unwrap_or_default();
        // A count and its label, in the language's order; pressing it runs `go`. `pressed`:
        // whether the list shows what it counts (none for the alarms, which go elsewhere).
        let count = move |n: u64, label: &'static str, pressed: Option<Signal<bool>>, go: Callback<()>| {
            let alarm = pressed.is_none() && n > 0;
            view! {
                <button
                    type="button"
                    class="count-chip"
                    class:alarm=alarm
                    aria-pressed=move || pressed.map(|p| p.get().to_string())
                    on:click=move |_| go.run(())
                >
                    {if t.count_number_last {
                        view! { {label}"：" <strong>{n}</strong> }.into_any()
                    } else {
                        view! { <strong>{n}</strong>" "{label} }.into_any()
                    }}
                    {pressed.is_none().then(|| view! { <span class="chip-goes">" → "{t.tab_audit}</span> })}
                </button>
            }
        };
        let chip = move |n: u64, label: &'static str, mine: TokenFilter| {
            let chosen = mine.clone();
            let pressed = Signal::derive(move || filter.with(|f| *f == chosen));
            let go = Callback::new(move |_| {
                let pressed = filter.with_untracked(|f| *f == mine);
                on_filter.run(if pressed { TokenFilter::default() } else { mine.clone() })
            });
            count(n, label, Some(pressed), go)
        };
        view! {
            <div class="counts" role="group" aria-label=t.counts_label>
                {chip(s.active, t.count_active, TokenFilter { status: Some(TokenStatus::Active), ..Default::default() })}
                {chip(s.expiring_within_7_days, t.count_expiring, TokenFilter { expiring_within_days: Some(7), ..Default::default() })}
                {chip(s.disabled, t.count_disabled, TokenFilter { status: Some(TokenStatus::Disabled), ..Default::default() })}
                {chip(s.never_used, t.count_never_used, TokenFilter { never_used: true, ..Default::default() })}
                // Reuse detections (a rotated-out refresh token presented again) and bursts of
                // failed sign-ins to members' accounts.
                {count(s.alarms(), (t.count_alarms)(s.alarms()), None, on_alarms)}
            </div>
        }
    }
}
