//! What the token may do and where from: the permissions of the workspace's catalogue this
//! person may choose (or all of them, where the policy allows), and the address ranges it may be
//! refreshed from. Checked by the contract's rule for the workspace's policy.

use leptos::prelude::*;
use token_api::policy::WorkspacePolicy;
use token_api::validate::Invalid;

use super::fields::Fields;
use crate::components::error_panel::invalid_text;
use crate::i18n::use_i18n;

#[component]
pub fn PermissionsField(
    fields: Fields,
    /// The workspace's policy: its catalogue, whether "all" may be chosen, members' cap, ranges.
    policy: Signal<WorkspacePolicy>,
    /// The person is an admin here: the members' cap does not bind them.
    admin: Signal<bool>,
    /// The service's complaint about a field (`permissions`, `all_permissions`, `ranges`).
    server_error: Signal<Option<(String, Invalid)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let Fields {
        all,
        chosen,
        ranges,
        touched,
        ..
    } = fields;
    let error_of = move |names: &[&str]| {
        let local = touched
            .get()
            .then(|| policy.with(|p| fields.carried_check(p, admin.get()).err()))
            .flatten()
            .map(|(f, i)| (f.to_owned(), i));
        local
            .or_else(|| server_error.get())
            .filter(|(f, _)| names.contains(&f.as_str()))
            .map(|(_, i)| invalid_text(i18n.t(), i))
    };
    let offers_all =
        move || policy.with(|p| p.allow_all_permissions && (admin.get() || p.member_permissions.is_none()));
    let choices = move || {
        let admin = admin.get();
        policy.with(|p| {
            p.permissions
                .iter()
                .filter(|c| admin || p.member_permissions.as_ref().is_none_or(|m| m.contains(&c.name)))
                .cloned()
                .map(|c| {
                    let name = c.name.clone();
                    let ticked = name.clone();
                    view! {
                        <label class="field-inline">
                            <input
                                type="checkbox"
                                value=name.clone()
                                disabled=move || all.get()
                                prop:checked=move || all.get() || chosen.with(|v| v.contains(&ticked))
                                on:change:target=move |ev| {
                                    let on = ev.target().checked();
                                    chosen.update(|v| {
                                        v.retain(|n| *n != name);
                                        if on {
                                            v.push(name.clone());
                                        }
                                    });
                                }
                            />
                            <code>{c.name}</code>
                            <span class="muted small">{c.description}</span>
                        </label>
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let ranges_hint = move || {
        policy.with(|p| match p.allowed_ranges.is_empty() {
            true => i18n.t().ranges_hint.to_owned(),
            false => (i18n.t().ranges_within)(&p.allowed_ranges.join(" ")),
        })
    };
    let permissions_error = move || error_of(&["permissions", "all_permissions"]);
    let ranges_error = move || error_of(&["ranges"]);
    // Kept short: in a host's iframe the dialog must still fit a laptop's window. Without a
    // catalogue, one line says the token carries all; ranges fold away unless the policy
    // requires them.
    let required_ranges = move || policy.with(|p| !p.allowed_ranges.is_empty());
    view! {
        <Show
            when=move || policy.with(|p| !p.permissions.is_empty())
            fallback=move || view! { <p class="field-hint">{move || i18n.t().permissions_none_defined}</p> }
        >
            <fieldset class="field" aria-describedby="token-permissions-error">
                <legend>{move || i18n.t().permissions_label}</legend>
                <Show when=offers_all>
                    <label class="field-inline">
                        <input type="checkbox" prop:checked=all on:change:target=move |ev| all.set(ev.target().checked()) />
                        <span>{move || i18n.t().permissions_all}</span>
                    </label>
                </Show>
                {choices}
                <p id="token-permissions-error" class="field-error">{permissions_error}</p>
            </fieldset>
        </Show>
        <details class="field" open=move || required_ranges() || ranges_error().is_some()>
            <summary>{move || i18n.t().ranges_summary}</summary>
            <label for="token-ranges">{move || i18n.t().ranges_label}</label>
            <input
                id="token-ranges"
                type="text"
                autocomplete="off"
                spellcheck="false"
                placeholder="10.0.0.0/8, 2001:db8::/32"
                aria-describedby="token-ranges-hint token-ranges-error"
                aria-invalid=move || ranges_error().is_some().to_string()
                prop:value=ranges
                on:input:target=move |ev| ranges.set(ev.target().value())
            />
            <p id="token-ranges-hint" class="field-hint">{ranges_hint}</p>
            <p id="token-ranges-error" class="field-error">{ranges_error}</p>
        </details>
    }
}
