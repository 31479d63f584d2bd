//! The sign-in page: Email, Password, Sign in; errors at the form; then back where the user was.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::error_panel::error_text;
use crate::components::language_switcher::LanguageSwitcher;
use crate::hooks::use_title::use_title;
use crate::i18n::use_i18n;
use crate::nav::{use_nav, Go};
use crate::state::session::{use_session, Phase};

/// Only a path on this origin may be returned to: `//evil.example` and `https://…` may not.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
        .unwrap_or_else(|| "/tokens".to_owned())
}

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
            let next = safe_next(untrack(|| nav.get("next")));
            nav.go(&next, Go::Replace);
        }
    });
    view! {
        <main id="main" class="sign-in">
            <SignInForm />
        </main>
    }
}

/// Email, Password, Sign in, with the errors at the form. On success the session says so; where
/// to go next is the caller's business (the stand-alone page navigates, a panel just shows).
#[component]
pub fn SignInForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
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
    // The last attempt's failure, once it has answered.
    let message = move || {
        let t = i18n.t();
        if sign_in.pending().get() {
            return None;
        }
        match sign_in.value().get()? {
            Ok(()) => None,
            Err(ApiError::Status { status: 401, .. }) => Some(t.wrong_credentials.to_owned()),
            Err(e) => Some(error_text(t, &e)),
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sign_in.dispatch((email.get_untracked(), password.get_untracked()));
    };

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
            </div>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        assert_eq!(
            safe_next(Some("/admin/tokens?status=active".into())),
            "/admin/tokens?status=active"
        );
        assert_eq!(safe_next(Some("//evil.example/x".into())), "/tokens");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/tokens");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/tokens");
        assert_eq!(safe_next(None), "/tokens");
    }
}
