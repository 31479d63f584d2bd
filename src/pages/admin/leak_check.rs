//! Leak triage: paste a token, check its format and checksum here (no request for an obviously
//! wrong string), then ask the service whose it is, with Disable one click away.

use leptos::prelude::*;
use token_api::admin::LookupResult;
use token_api::token_format;
use token_api::tokens::{TokenStatus, TokenView};

use crate::api;
use crate::components::error_panel::error_text;
use crate::format;
use crate::i18n::use_i18n;
use crate::state::session::use_session;
use crate::token_query::status_now;

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Malformed,
    /// An access token pasted where a refresh token was asked for.
    AccessToken,
    NotFound,
    Found(Box<LookupResult>),
    Failed(String),
}

/// The leak-check box.
#[component]
pub fn LeakCheck(
    /// Disable the token found (asks for confirmation first).
    on_disable: Callback<TokenView>,
    /// The tokens an action on the page just changed: the one found may be among them.
    #[prop(into)]
    acted_on: Signal<Vec<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let pasted = RwSignal::new(String::new());
    let malformed = RwSignal::new(None::<Outcome>);
    // The lookup: the service says whose the pasted token is.
    let lookup = Action::new_local(move |(ws, value): &(String, String)| {
        let (ws, value) = (ws.clone(), value.clone());
        async move {
            let result = match api::admin::lookup(ws, value).await {
                Ok(found) => Outcome::Found(Box::new(found)),
                Err(e) if e.status() == Some(404) => Outcome::NotFound,
                Err(e) => Outcome::Failed(error_text(i18n.t(), &e)),
            };
            // The pasted secret is not kept once it has been checked.
            pasted.set(String::new());
            result
        }
    });
    let checking = lookup.pending();
    let outcome = Memo::new(move |_| malformed.get().or_else(|| lookup.value().get()));
    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = pasted.get_untracked().trim().to_owned();
        let refused = match token_format::check(&value) {
            Ok(()) => None,
            Err(_) if token_format::looks_like_access_token(&value) => Some(Outcome::AccessToken),
            Err(_) => Some(Outcome::Malformed),
        };
        let refused_here = refused.is_some();
        malformed.set(refused);
        if refused_here {
            return;
        }
        if let Some(ws) = session.workspace().map(|w| w.id) {
            lookup.dispatch_local((ws, value));
        }
    };
    let result = move || {
        let t = i18n.t();
        outcome.get().map(|o| match o {
            Outcome::Malformed => view! { <p class="field-error" role="alert">{t.leak_malformed}</p> }.into_any(),
            Outcome::AccessToken => view! { <p class="field-error" role="alert">{t.leak_access_token}</p> }.into_any(),
            Outcome::NotFound => view! { <p role="status">{t.leak_not_found}</p> }.into_any(),
            Outcome::Failed(message) => view! { <p class="field-error" role="alert">{message}</p> }.into_any(),
            Outcome::Found(found) => {
                let token = found.token.clone();
                // Disabled here a moment ago: the answer says so, without asking again.
                let status = if acted_on.with(|ids| ids.contains(&token.id)) {
                    TokenStatus::Disabled
                } else {
                    status_now(&token, chrono::Utc::now())
                };
                let label = t.status(status);
                let last = token
                    .last_used_at
                    .map(|at| format::relative(i18n.locale.get(), chrono::Utc::now(), at))
                    .unwrap_or_else(|| t.never.to_owned());
                let for_button = token.clone();
                view! {
                    <div class="leak-result" role="status">
                        <p>{if found.current { t.leak_current } else { t.leak_rotated }}</p>
                        <dl>
                            <dt>{t.col_name}</dt><dd dir="auto">{token.name.clone()}</dd>
                            <dt>{t.col_owner}</dt><dd dir="auto">{format!("{} <{}>", token.owner.name, token.owner.email)}</dd>
                            <dt>{t.col_status}</dt><dd>{label}</dd>
                            <dt>{t.col_last_used}</dt><dd>{last}</dd>
                        </dl>
                        {(status == TokenStatus::Active).then(|| view! {
                            <button type="button" class="button button-danger" on:click=move |_| on_disable.run(for_button.clone())>
                                {t.disable_now}
                            </button>
                        })}
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <details class="leak-check">
            <summary>{move || i18n.t().leak_title}</summary>
            <p class="muted">{move || i18n.t().leak_intro}</p>
            <form on:submit=check class="leak-form">
                <label for="leak-token">{move || i18n.t().leak_label}</label>
                <div class="copy-row">
                    <input id="leak-token" class="secret" type="text" autocomplete="off" spellcheck="false" prop:value=pasted on:input:target=move |ev| pasted.set(ev.target().value()) />
                    <button type="submit" class="button" disabled=checking>{move || i18n.t().leak_check}</button>
                </div>
            </form>
            {result}
        </details>
    }
}
