//! The lifetime: a number of days within the workspace's policy, presets one click away, and
//! the date it leads to.

use leptos::prelude::*;
use token_api::validate::{Invalid, LIFETIME_DAYS};

use super::fields::Fields;
use crate::components::error_panel::invalid_text;
use crate::i18n::use_i18n;

const QUICK_LIFETIMES: [u32; 4] = [7, 30, 90, 365];

/// The presets within the policy's `max`, and the cap itself when it is none of them.
fn presets(max: u32) -> Vec<u32> {
    let mut choices: Vec<u32> = QUICK_LIFETIMES.into_iter().filter(|d| *d <= max).collect();
    if !choices.contains(&max) {
        choices.push(max);
    }
    choices
}

#[component]
pub fn LifetimeField(
    fields: Fields,
    /// The longest lifetime the policy allows.
    max_days: Signal<u32>,
    /// The service's complaint about the lifetime, if it made one.
    server_error: Signal<Option<Invalid>>,
    /// Regenerate: the name is kept, so this is the first choice and takes the focus.
    first: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let lifetime = fields.lifetime;
    let check = move || fields.lifetime_check(max_days.get());
    let error = move || {
        check().err().or_else(|| server_error.get()).map(|i| match i {
            Invalid::AbovePolicy => (i18n.t().above_policy)(max_days.get()),
            i => invalid_text(i18n.t(), i),
        })
    };
    let quick = move || {
        presets(max_days.get())
            .into_iter()
            .map(|days| {
                view! {
                    <button
                        type="button"
                        class="button button-small"
                        aria-pressed=move || (check() == Ok(days)).to_string()
                        on:click=move |_| lifetime.set(days.to_string())
                    >
                        {move || (i18n.t().days)(days)}
                    </button>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="field">
            <label for="token-lifetime">{move || i18n.t().lifetime_label}</label>
            <div class="lifetime-row">
                <input
                    id="token-lifetime"
                    autofocus=first
                    type="number"
                    inputmode="numeric"
                    min=LIFETIME_DAYS.start().to_string()
                    max=move || max_days.get().to_string()
                    required
                    aria-describedby="token-lifetime-expiry token-lifetime-error"
                    aria-invalid=move || error().is_some().to_string()
                    prop:value=lifetime
                    on:input:target=move |ev| lifetime.set(ev.target().value())
                />
                <div class="quick-choices" role="group" aria-label=move || i18n.t().lifetime_quick_label>
                    {quick}
                </div>
            </div>
            // No date for a lifetime that is not one: the error says what is wrong.
            <p id="token-lifetime-expiry" class="field-hint" hidden=move || check().is_err()>
                {move || (i18n.t().expires_on)(&fields.expiry_date(i18n.locale.get(), max_days.get()))}
            </p>
            <p id="token-lifetime-error" class="field-error">{error}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::presets;

    #[test]
    fn the_presets_stop_at_the_policy_and_offer_its_cap() {
        assert_eq!(presets(365), [7, 30, 90, 365]);
        assert_eq!(presets(60), [7, 30, 60]);
        assert_eq!(presets(3), [3]);
    }
}
