//! The Generate form: a name, a description, a lifetime, and for Regenerate how long the old
//! token keeps working. Checked as typed by the contract's rules; the service's answer to a
//! field is shown under that field.

use leptos::prelude::*;
use token_api::policy::WorkspacePolicy;
use token_api::tokens::{CreateTokenRequest, Overlap, TokenView};
use token_api::validate::Invalid;

use super::fields::Fields;
use super::lifetime_field::LifetimeField;
use super::permissions_field::PermissionsField;
use crate::api::ApiError;
use crate::components::error_panel::{description_invalid_text, error_text, invalid_text};
use crate::format;
use crate::i18n::use_i18n;
use crate::reveal::Flow;
use crate::token_query::fold;

/// The service's complaint about one field, if it made one.
fn server_field_error(error: &Option<ApiError>, field: &str) -> Option<Invalid> {
    error
        .as_ref()?
        .field_errors()
        .find(|(f, _)| *f == field)
        .map(|(_, i)| i)
}

#[component]
pub fn GenerateForm(
    fields: Fields,
    flow: RwSignal<Flow>,
    workspace: Signal<String>,
    names: Signal<Vec<String>>,
    max_days: Signal<u32>,
    policy: Signal<WorkspacePolicy>,
    admin: Signal<bool>,
    error: Signal<Option<ApiError>>,
    replacing: Signal<Option<TokenView>>,
    on_submit: Callback<CreateTokenRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let Fields {
        name,
        description,
        overlap,
        touched,
        discarding,
        ..
    } = fields;
    let regenerating = move || replacing.with(Option::is_some);
    let description_error = move || {
        fields
            .description_check()
            .err()
            .map(|i| description_invalid_text(i18n.t(), i))
    };
    let name_error = move || {
        let local = if touched.get() { fields.name_check().err() } else { None };
        local
            .or_else(|| server_field_error(&error.get(), "name"))
            .map(|i| invalid_text(i18n.t(), i))
    };
    // A regenerated token keeps what the old one carried; when the policy no longer allows it,
    // the fields at fault are not on this form, so the refusal is said here.
    let other_error = move || match error.get()? {
        e if regenerating()
            && e.field_errors()
                .any(|(f, _)| matches!(f, "permissions" | "all_permissions" | "ranges")) =>
        {
            Some(i18n.t().regenerate_not_allowed.to_owned())
        }
        e if e.field_errors().next().is_some() => None,
        e => Some(error_text(i18n.t(), &e)),
    };
    let duplicate = move || {
        // Regenerating keeps the name on purpose.
        if regenerating() {
            return None;
        }
        let wanted = fold(&fields.name_check().ok()?);
        names
            .with(|all| all.iter().any(|n| fold(n) == wanted))
            .then(|| (i18n.t().name_taken)(&format::shorten(name.get().trim(), 40)))
    };
    let pending = move || flow.with(|f| *f == Flow::Editing { pending: true });
    let valid = move || {
        fields.name_check().is_ok()
            && fields.lifetime_check(max_days.get()).is_ok()
            && fields.description_check().is_ok()
            && (regenerating() || policy.with(|p| fields.carried_check(p, admin.get()).is_ok()))
    };
    let carried_error = Signal::derive(move || {
        let e = error.get()?;
        let found = e
            .field_errors()
            .find(|(f, _)| matches!(*f, "permissions" | "all_permissions" | "ranges"));
        found.map(|(f, i)| (f.to_owned(), i))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let admin = admin.get_untracked();
        let request =
            policy.with_untracked(|p| fields.request(max_days.get_untracked(), replacing.get_untracked(), p, admin));
        if let Some(request) = request {
            if flow.try_update(|f| f.submit()).unwrap_or(false) {
                on_submit.run(request);
            }
        }
    };
    let overlaps = move || {
        Overlap::ALL
            .iter()
            .copied()
            .map(|o| {
                view! {
                    <label class="field-inline">
                        <input type="radio" name="overlap" value=o.as_str() prop:checked=move || overlap.get() == o on:change=move |_| overlap.set(o) />
                        <span>{move || i18n.t().overlap(o)}</span>
                    </label>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <form class="generate-form" on:submit=submit novalidate>
            <h2 id="generate-title">
                {move || match replacing.get() {
                    Some(old) => (i18n.t().regenerate_title)(&format::shorten(&old.name, 60), &workspace.get()),
                    None => (i18n.t().generate_title_in)(&workspace.get()),
                }}
            </h2>
            <div class="field">
                <label for="token-name">{move || i18n.t().name_label}</label>
                <input
                    id="token-name"
                    type="text"
                    autocomplete="off"
                    maxlength="200"
                    required
                    // Regenerate keeps the name: the new token takes the old one's place, and
                    // the name is shown, not offered (no focus stop).
                    readonly=regenerating
                    tabindex=move || regenerating().then_some("-1")
                    aria-describedby="token-name-hint token-name-error token-name-taken"
                    aria-invalid=move || name_error().is_some().to_string()
                    prop:value=name
                    on:input:target=move |ev| {
                        name.set(ev.target().value());
                        touched.set(true);
                    }
                />
                <p id="token-name-hint" class="field-hint">{move || i18n.t().name_hint}</p>
                <p id="token-name-error" class="field-error">{name_error}</p>
                <p id="token-name-taken" class="field-warning" hidden=move || duplicate().is_none()>{duplicate}</p>
            </div>
            <div class="field">
                <label for="token-description">{move || i18n.t().description_label}</label>
                <textarea
                    id="token-description"
                    rows="2"
                    aria-describedby="token-description-error"
                    aria-invalid=move || description_error().is_some().to_string()
                    prop:value=description
                    on:input:target=move |ev| description.set(ev.target().value())
                ></textarea>
                <p id="token-description-error" class="field-error">{description_error}</p>
            </div>
            <LifetimeField
                fields
                max_days
                server_error=Signal::derive(move || server_field_error(&error.get(), "lifetime_days"))
                first=Signal::derive(regenerating)
            />
            <Show when=move || !regenerating()>
                <PermissionsField fields policy admin server_error=carried_error />
            </Show>
            <Show when=regenerating>
                <fieldset class="field">
                    <legend>{move || i18n.t().overlap_label}</legend>
                    {overlaps}
                </fieldset>
            </Show>
            <p class="form-error" role="alert">{other_error}</p>
            <p class="field-warning" role="alert" hidden=move || !discarding.get()>{move || i18n.t().discard_on_escape}</p>
            <div class="dialog-actions">
                <button type="button" class="button" disabled=pending on:click=move |_| flow.update(|f| { f.close(); })>
                    {move || i18n.t().cancel}
                </button>
                <button type="submit" class="button button-primary" disabled=move || pending() || !valid()>
                    {move || match (pending(), regenerating()) {
                        (true, _) => i18n.t().generating,
                        (false, true) => i18n.t().regenerate,
                        (false, false) => i18n.t().generate,
                    }}
                </button>
            </div>
        </form>
    }
}
