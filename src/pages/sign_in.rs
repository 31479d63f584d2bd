//! The sign-in page: Email, Password, Sign in, or Sign in with SSO through the workspace's
//! identity provider; errors at the form; then back where the user was.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use token_api::sso::{REFUSAL_PARAM, START_PATH};
use token_api::validate::Invalid;

use crate::components::error_panel::error_text;
use crate::components::language_switcher::LanguageSwitcher;
use crate::hooks::use_title::use_title;
use crate::i18n::use_i18n;
use crate::nav::{use_nav, Go};
use crate::state::session::{use_session, Phase};
use crate::url::encode_component;

/// `/signin`: the form, then back where the user was headed.
#[component]
pub fn SignInPage() -> impl IntoView {
    let session = use_session();
    let nav = use_nav();
    let i18n = use_i18n();
    use_title(move || i18n.t().sign_in_button.to_owned());
    // Signed in, now or already: go where the user was headed.
    Effect::new(move |_| {
        if session.phase() == Phase::SignedIn {
            let next = untrack(|| nav.get("next"));
            nav.go(token_api::sso::return_to(next.as_deref()), Go::Replace);
        }
    });
    view! {
        <main id="main" class="sign-in">
            <SignInForm sso=true />
        </main>
    }
}

/// Email, Password, Sign in, with the errors at the form. On success the session says so; where
/// to go next is the caller's business (the stand-alone page navigates, a panel just shows).
/// With `sso`, Sign in with SSO too: a link the service answers by sending the browser to the
/// identity provider of the workspace that claims the email's domain, which comes back to
/// `next`, or here with the reason it was refused (`sso_error`).
#[component]
pub fn SignInForm(
    /// Offer Sign in with SSO (the stand-alone page; a panel's host signs its people in).
    #[prop(optional)]
    sso: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let nav = use_nav();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let sign_in = Action::new_local(move |(email, password): &(String, String)| {
        let (email, password) = (email.clone(), password.clone());
        async move {
            let me = api::session::sign_in(email, password).await?;
            session.signed_in(me);
            Ok::<(), ApiError>(())
        }
    });
    // The last attempt's failure, once it has answered; else why the provider sent the browser back.
    let message = move || {
        let t = i18n.t();
        if sign_in.pending().get() {
            return None;
        }
        let Some(done) = sign_in.value().get() else {
            let refusal = nav.get(REFUSAL_PARAM)?.parse().ok()?;
            return Some(t.sso_refusal(refusal).to_owned());
        };
        Some(match done.err()? {
            e if e.field_errors().any(|(_, i)| i == Invalid::ProviderRequired) => t.sso_required.to_owned(),
            ApiError::Status { status: 401, .. } => t.wrong_credentials.to_owned(),
            e => error_text(t, &e),
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sign_in.dispatch((email.get_untracked(), password.get_untracked()));
    };
    // A link, not a form: the provider is another origin, which the page's `form-action 'self'`
    // rightly refuses a form to reach; `external`, so the router leaves it to the browser. It
    // carries the email's domain only, never the address.
    let sso_link = sso.then(|| {
        let href = move || {
            let domain = email.with(|e| e.rsplit_once('@').map(|(_, d)| d.trim().to_owned()));
            let next = nav.get("next").unwrap_or_default();
            let (domain, next) = (encode_component(&domain.unwrap_or_default()), encode_component(&next));
            api::url(&format!("{START_PATH}?domain={domain}&return_to={next}"))
        };
        view! { <a class="button" rel="external" href=href>{move || i18n.t().sso_button}</a> }
    });
    view! {
            <div class="sign-in-card">
                <div class="sign-in-top">
                    <span class="brand">{move || i18n.t().app_name}</span>
                    <LanguageSwitcher />
                </div>
                <h1>{move || i18n.t().sign_in_title}</h1>
                <p class="muted">{move || i18n.t().sign_in_intro}</p>
                <form on:submit=on_submit novalidate=false>
                    <label class="field">
                        <span>{move || i18n.t().email_label}</span>
                        <input
                            type="email"
                            name="email"
                            autocomplete="username"
                            required
                            prop:value=email
                            on:input:target=move |ev| email.set(ev.target().value())
                        />
                    </label>
                    <label class="field">
                        <span>{move || i18n.t().password_label}</span>
                        <input
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            required
                            prop:value=password
                            on:input:target=move |ev| password.set(ev.target().value())
                        />
                    </label>
                    <p class="form-error" role="alert">{message}</p>
                    <button type="submit" class="button button-primary" disabled=move || sign_in.pending().get()>
                        {move || if sign_in.pending().get() { i18n.t().signing_in } else { i18n.t().sign_in_button }}
                    </button>
                </form>
                {sso_link}
            </div>
    }
}
