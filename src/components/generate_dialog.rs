//! The Generate dialog: a name and a lifetime, one request, then the one-time reveal of both
//! secrets with copy buttons. Closing drops the secrets from every signal and from the DOM.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use token_api::tokens::{CreateTokenRequest, Overlap, Replaces, TokenView};
use token_api::validate::{self, Invalid, DEFAULT_LIFETIME_DAYS, LIFETIME_DAYS, NAME_MAX_CHARS};

use crate::api::ApiError;
use crate::components::copy_field::CopyField;
use crate::components::error_panel::error_text;
use crate::components::modal::Modal;
use crate::format;
use crate::i18n::{use_i18n, Messages};
use crate::reveal::{Flow, Revealed, Secret};
use crate::token_query::fold;

const QUICK_LIFETIMES: [u32; 4] = [7, 30, 90, 365];

/// The words for a validation code, in the user's language.
pub fn invalid_text(t: &Messages, invalid: Invalid) -> String {
    match invalid {
        Invalid::Required => t.invalid_required.to_owned(),
        Invalid::TooLong => (t.invalid_too_long)(NAME_MAX_CHARS),
        Invalid::ControlCharacters => t.invalid_control.to_owned(),
        Invalid::InvisibleCharacters => t.invalid_invisible.to_owned(),
        Invalid::OutOfRange => t.invalid_lifetime.to_owned(),
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

/// The server's complaint about one field, if it made one.
fn server_field_error(error: &Option<ApiError>, field: &str) -> Option<Invalid> {
    error
        .as_ref()?
        .field_errors()
        .find(|(f, _)| *f == field)
        .map(|(_, i)| i)
}

/// The dialog, driven by `flow`.
#[component]
pub fn GenerateDialog(
    /// Where the dialog is; it moves the flow on Escape, Close and copies.
    flow: RwSignal<Flow>,
    /// The name of the workspace the token will work in (and only there), said in the title and
    /// the reveal.
    #[prop(into)]
    workspace: Signal<String>,
    /// The workspace's OAuth client id, for the `.env` snippet and the `curl` command.
    #[prop(into)]
    client_id: Signal<String>,
    /// The token endpoint's absolute URL.
    #[prop(into)]
    token_endpoint: Signal<String>,
    /// The names of the user's tokens here: a name already taken is pointed out (not refused:
    /// two tokens may share a name, but the list and the audit trail cannot tell them apart).
    #[prop(into)]
    names: Signal<Vec<String>>,
    /// The longest lifetime the workspace's policy allows: longer presets are not offered.
    #[prop(into)]
    max_days: Signal<u32>,
    /// The last request's failure, shown in the dialog; the input stays.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
    /// Regenerate: the token the new one replaces (its name and lifetime are proposed, and the
    /// user picks how long the old one keeps working); `None` to generate a new one.
    #[prop(optional, into)]
    replacing: Option<Signal<Option<TokenView>>>,
    /// Send the request.
    on_submit: Callback<CreateTokenRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let lifetime = RwSignal::new(DEFAULT_LIFETIME_DAYS.to_string());
    let touched = RwSignal::new(false);
    let overlap = RwSignal::new(Overlap::OneDay);
    let description = RwSignal::new(String::new());
    // Escape on a form with words in it asks first: the next Escape discards them.
    let discarding = RwSignal::new(false);
    let replacing = replacing.unwrap_or_else(|| Signal::stored(None));
    // A fresh form each time the dialog opens: for Regenerate, the old token's name and lifetime.
    Effect::new(move |_| {
        if flow.with(|f| *f == Flow::Closed) {
            name.set(String::new());
            lifetime.set(DEFAULT_LIFETIME_DAYS.min(max_days.get()).to_string());
            touched.set(false);
            overlap.set(Overlap::OneDay);
            description.set(String::new());
            discarding.set(false);
        }
    });
    let escape = Callback::new(move |_| {
        let typed = replacing.with(Option::is_none)
            && !(name.with(|n| n.trim().is_empty()) && description.with(|d| d.trim().is_empty()));
        let editing = flow.with(|f| matches!(f, Flow::Editing { .. }));
        if editing && typed && !discarding.get_untracked() {
            discarding.set(true);
        } else {
            flow.update(Flow::escape);
        }
    });
    Effect::new(move |_| {
        if let Some(old) = replacing.get() {
            let days = (old.expires_at - old.created_at)
                .num_days()
                .clamp(1, i64::from(max_days.get_untracked()));
            name.set(old.name);
            lifetime.set(days.to_string());
            description.set(old.description.unwrap_or_default());
        }
    });
    let name_check = move || validate::token_name(&name.get());
    let description_check = move || description.with(|d| validate::description(Some(d)));
    let description_error = move || description_check().err().map(|i| description_invalid_text(i18n.t(), i));
    let lifetime_check = move || {
        lifetime.with(|l| {
            l.trim()
                .parse::<i64>()
                .map_err(|_| Invalid::OutOfRange)
                .and_then(|d| validate::lifetime_within(d, max_days.get()))
        })
    };
    let name_error = move || {
        let local = if touched.get() { name_check().err() } else { None };
        local
            .or_else(|| server_field_error(&error.get(), "name"))
            .map(|i| invalid_text(i18n.t(), i))
    };
    let lifetime_error = move || {
        lifetime_check()
            .err()
            .or_else(|| server_field_error(&error.get(), "lifetime_days"))
            .map(|i| match i {
                Invalid::AbovePolicy => (i18n.t().above_policy)(max_days.get()),
                i => invalid_text(i18n.t(), i),
            })
    };
    let other_error = move || {
        let t = i18n.t();
        match error.get()? {
            e if e.field_errors().next().is_some() => None,
            e => Some(error_text(t, &e)),
        }
    };
    let duplicate = move || {
        // Regenerating keeps the name on purpose.
        if replacing.with(Option::is_some) {
            return None;
        }
        let wanted = name_check().ok().map(|n| fold(&n))?;
        names
            .with(|all| all.iter().any(|n| fold(n) == wanted))
            .then(|| (i18n.t().name_taken)(&format::shorten(name.get().trim(), 40)))
    };
    let pending = move || flow.with(|f| *f == Flow::Editing { pending: true });
    let valid = move || name_check().is_ok() && lifetime_check().is_ok() && description_check().is_ok();
    let expiry_date = move || {
        let days = lifetime_check().unwrap_or(DEFAULT_LIFETIME_DAYS);
        format::date(i18n.locale.get(), Utc::now() + Duration::days(i64::from(days)))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if let (Ok(name), Ok(lifetime_days), Ok(description)) = (name_check(), lifetime_check(), description_check()) {
            if flow.try_update(|f| f.submit()).unwrap_or(false) {
                let replaces = replacing.get_untracked().map(|old| Replaces {
                    token_id: old.id,
                    overlap: overlap.get_untracked(),
                });
                on_submit.run(CreateTokenRequest {
                    name,
                    lifetime_days,
                    description,
                    replaces,
                });
            }
        }
    };
    let close = move || {
        flow.update(|f| {
            f.close();
        })
    };

    // The close question takes the focus, on its safe answer (`autofocus` works only as a dialog
    // opens).
    let keep_open = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = keep_open.get() {
            let _ = button.focus();
        }
    });
    let form = move || {
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
                        readonly=move || replacing.with(Option::is_some)
                        tabindex=move || replacing.with(Option::is_some).then_some("-1")
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
                <div class="field">
                    <label for="token-lifetime">{move || i18n.t().lifetime_label}</label>
                    <div class="lifetime-row">
                        <input
                            id="token-lifetime"
                            // Regenerate's first choice: the name is kept.
                            autofocus=move || replacing.with(Option::is_some)
                            type="number"
                            inputmode="numeric"
                            min=LIFETIME_DAYS.start().to_string()
                            max=move || max_days.get().to_string()
                            required
                            aria-describedby="token-lifetime-expiry token-lifetime-error"
                            aria-invalid=move || lifetime_error().is_some().to_string()
                            prop:value=lifetime
                            on:input:target=move |ev| lifetime.set(ev.target().value())
                        />
                        <div class="quick-choices" role="group" aria-label=move || i18n.t().lifetime_quick_label>
                            {move || {
                                // The presets within the policy, and its cap when that is none of them.
                                let max = max_days.get();
                                let mut choices: Vec<u32> = QUICK_LIFETIMES.into_iter().filter(|d| *d <= max).collect();
                                if !choices.contains(&max) {
                                    choices.push(max);
                                }
                                choices
                                .into_iter()
                                .map(|days| {
                                    view! {
                                        <button
                                            type="button"
                                            class="button button-small"
                                            aria-pressed=move || (lifetime_check() == Ok(days)).to_string()
                                            on:click=move |_| lifetime.set(days.to_string())
                                        >
                                            {move || (i18n.t().days)(days)}
                                        </button>
                                    }
                                })
                                .collect::<Vec<_>>()
                            }}
                        </div>
                    </div>
                    // No date for a lifetime that is not one: the error says what is wrong.
                    <p id="token-lifetime-expiry" class="field-hint" hidden=move || lifetime_check().is_err()>
                        {move || (i18n.t().expires_on)(&expiry_date())}
                    </p>
                    <p id="token-lifetime-error" class="field-error">{lifetime_error}</p>
                </div>
                <Show when=move || replacing.with(Option::is_some)>
                    <fieldset class="field">
                        <legend>{move || i18n.t().overlap_label}</legend>
                        {Overlap::ALL
                            .iter()
                            .copied()
                            .map(|o| {
                                view! {
                                    <label class="field-inline">
                                        <input
                                            type="radio"
                                            name="overlap"
                                            value=o.as_str()
                                            prop:checked=move || overlap.get() == o
                                            on:change=move |_| overlap.set(o)
                                        />
                                        <span>{move || i18n.t().overlap(o)}</span>
                                    </label>
                                }
                            })
                            .collect::<Vec<_>>()}
                    </fieldset>
                </Show>
                <p class="form-error" role="alert">{other_error}</p>
                <p class="field-warning" role="alert" hidden=move || !discarding.get()>{move || i18n.t().discard_on_escape}</p>
                <div class="dialog-actions">
                    <button type="button" class="button" disabled=pending on:click=move |_| close()>
                        {move || i18n.t().cancel}
                    </button>
                    <button type="submit" class="button button-primary" disabled=move || pending() || !valid()>
                        {move || match (pending(), replacing.with(Option::is_some)) {
                            (true, _) => i18n.t().generating,
                            (false, true) => i18n.t().regenerate,
                            (false, false) => i18n.t().generate,
                        }}
                    </button>
                </div>
            </form>
        }
    };

    let confirming = move || flow.with(|f| matches!(f, Flow::Revealed(r) if r.confirming_close));
    let reveal = move |r: Revealed| {
        // The form that had focus is gone: focus goes to the reveal's title, which a screen
        // reader then reads, rather than to the page's body.
        let heading = NodeRef::<leptos::html::H2>::new();
        Effect::new(move |_| {
            if let Some(h) = heading.get() {
                let _ = h.focus();
            }
        });
        let copied = move |secret: Secret| Callback::new(move |_| flow.update(|f| f.copied(secret)));
        let access = r.access_token.clone();
        let refresh = r.refresh_token.clone();
        let env = {
            let (access, refresh) = (access.clone(), refresh.clone());
            Signal::derive(move || {
                format!(
                    "TOKEN_CONSOLE_CLIENT_ID={}\nTOKEN_CONSOLE_TOKEN_ENDPOINT={}\nTOKEN_CONSOLE_ACCESS_TOKEN={access}\nTOKEN_CONSOLE_REFRESH_TOKEN={refresh}\n",
                    client_id.get(),
                    token_endpoint.get()
                )
            })
        };
        let curl = {
            let refresh = refresh.clone();
            Signal::derive(move || {
                format!(
                    "{}\ncurl -s {} \\\n  -d grant_type=refresh_token \\\n  -d client_id={} \\\n  -d refresh_token={refresh}",
                    i18n.t().curl_comment,
                    token_endpoint.get(),
                    client_id.get()
                )
            })
        };
        view! {
            <div class="reveal">
                <h2 id="generate-title" tabindex="-1" node_ref=heading>{move || (i18n.t().reveal_title)(name.get().trim())}</h2>
                <p class="reveal-where">{move || (i18n.t().reveal_workspace)(&workspace.get())}</p>
                {move || {
                    description_check()
                        .ok()
                        .flatten()
                        .map(|d| view! { <p class="reveal-description">{d}</p> })
                }}
                <p class="notice notice-warning">{move || i18n.t().reveal_warning}</p>
                <p class="notice notice-info">{move || i18n.t().reveal_rotation}</p>
                <CopyField
                    id="access-token"
                    label=Signal::derive(move || i18n.t().access_token_label.to_owned())
                    value=Signal::stored(access)
                    on_copied=copied(Secret::Access)
                />
                <CopyField
                    id="refresh-token"
                    label=Signal::derive(move || (i18n.t().refresh_token_label)(&expiry_date()))
                    value=Signal::stored(refresh)
                    on_copied=copied(Secret::Refresh)
                />
                <details class="more-copies">
                    <summary>{move || i18n.t().copy_env}" · "{move || i18n.t().curl_label}</summary>
                    <CopyField
                        id="env-snippet"
                        multiline=true
                        label=Signal::derive(move || i18n.t().env_label.to_owned())
                        value=env
                        on_copied=copied(Secret::Both)
                    />
                    <CopyField
                        id="curl-command"
                        multiline=true
                        label=Signal::derive(move || i18n.t().curl_label.to_owned())
                        value=curl
                        on_copied=copied(Secret::Both)
                    />
                </details>
                <Show
                    when=confirming
                    fallback=move || {
                        view! {
                            <div class="dialog-actions">
                                <button type="button" class="button button-primary" on:click=move |_| close()>
                                    {move || i18n.t().close}
                                </button>
                            </div>
                        }
                    }
                >
                        <div class="notice notice-danger" role="alert">
                            <p><strong>{move || i18n.t().confirm_close_title}</strong></p>
                            <p>{move || i18n.t().confirm_close_body}</p>
                            <div class="dialog-actions">
                                <button type="button" class="button" node_ref=keep_open on:click=move |_| flow.update(|f| f.keep_open())>
                                    {move || i18n.t().keep_open}
                                </button>
                                <button type="button" class="button button-danger" on:click=move |_| close()>
                                    {move || i18n.t().close_anyway}
                                </button>
                            </div>
                        </div>
                </Show>
            </div>
        }
    };

    // Rebuilt only when the step changes, not on every copy. The secrets live only inside the
    // Revealed arm: when the flow leaves it, they leave the DOM.
    #[derive(Clone, Copy, PartialEq)]
    enum Step {
        Closed,
        Form,
        Reveal,
    }
    let step = Memo::new(move |_| match &*flow.read() {
        Flow::Closed => Step::Closed,
        Flow::Editing { .. } => Step::Form,
        Flow::Revealed(_) => Step::Reveal,
    });
    let body = move || match step.get() {
        Step::Closed => ().into_any(),
        Step::Form => form().into_any(),
        Step::Reveal => match flow.get_untracked() {
            Flow::Revealed(r) => reveal(r).into_any(),
            _ => ().into_any(),
        },
    };
    view! {
        <Modal open=Signal::derive(move || flow.with(|f| *f != Flow::Closed)) on_escape=escape labelled_by="generate-title">
            {body}
        </Modal>
    }
}
