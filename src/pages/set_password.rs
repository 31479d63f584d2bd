//! `/set-password#SECRET`: where the link from `token-server user add` lands. The secret is
//! taken from the address's fragment (which a browser never sends) into memory, the fragment is
//! taken off the address at once (so it stays in no history entry), and the new password is
//! sent with it once.

use leptos::prelude::*;
use leptos_router::components::A;
use token_api::validate::{self, Invalid, NAME_MAX_CHARS, PASSWORD_MIN_CHARS};

use crate::api;
use crate::components::error_panel::error_text;
use crate::components::language_switcher::LanguageSwitcher;
use crate::hooks::use_title::use_title;
use crate::i18n::{use_i18n, Messages};
use crate::nav::{use_nav, Go};

/// A password's fault in words.
fn password_fault(t: &Messages, invalid: Invalid) -> String {
    match invalid {
        Invalid::Required => t.password_required.to_owned(),
        Invalid::TooShort => (t.password_too_short)(PASSWORD_MIN_CHARS),
        Invalid::TooLong => (t.invalid_too_long)(NAME_MAX_CHARS),
        Invalid::ControlCharacters => t.invalid_control.to_owned(),
        _ => t.invalid_other.to_owned(),
    }
}

/// The page.
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let nav = use_nav();
    use_title(move || i18n.t().set_password_title.to_owned());
    let secret = StoredValue::new(
        window()
            .location()
            .hash()
            .unwrap_or_default()
            .trim_start_matches('#')
            .to_owned(),
    );
    nav.go("/set-password", Go::Replace);
    let password = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let set = Action::new_local(move |password: &String| {
        let (token, password) = (secret.get_value(), password.clone());
        async move { api::session::set_password(token, password).await }
    });
    let expired = move || {
        secret.with_value(String::is_empty)
            || matches!(set.value().get(), Some(Err(ref e)) if e.field_errors().any(|(field, _)| field == "token"))
    };
    let done = move || matches!(set.value().get(), Some(Ok(())));
    let fault = move || {
        let t = i18n.t();
        if !tried.get() {
            return None;
        }
        if let Err(invalid) = validate::password(&password.get()) {
            return Some(password_fault(t, invalid));
        }
        if password.get() != repeated.get() {
            return Some(t.passwords_differ.to_owned());
        }
        match set.value().get()? {
            Err(e) => Some(match e.field_errors().next() {
                Some((_, invalid)) => password_fault(t, invalid),
                None => error_text(t, &e),
            }),
            Ok(()) => None,
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let p = password.get_untracked();
        if validate::password(&p).is_ok() && p == repeated.get_untracked() && !set.pending().get_untracked() {
            set.dispatch_local(p);
        }
    };
    let form = move || {
        view! {
            <p class="muted">{move || (i18n.t().set_password_intro)(PASSWORD_MIN_CHARS)}</p>
            <form on:submit=submit novalidate>
                <label class="field">
                    <span>{move || i18n.t().new_password_label}</span>
                    <input type="password" autocomplete="new-password" required prop:value=password on:input:target=move |ev| password.set(ev.target().value()) />
                </label>
                <label class="field">
                    <span>{move || i18n.t().repeat_password_label}</span>
                    <input type="password" autocomplete="new-password" required prop:value=repeated on:input:target=move |ev| repeated.set(ev.target().value()) />
                </label>
                <p class="form-error" role="alert">{fault}</p>
                <button type="submit" class="button button-primary" disabled=move || set.pending().get()>
                    {move || if set.pending().get() { i18n.t().setting_password } else { i18n.t().set_password_button }}
                </button>
            </form>
        }
    };
    view! {
        <main id="main" class="sign-in">
            <div class="sign-in-card">
                <div class="sign-in-top">
                    <span class="brand">{move || i18n.t().app_name}</span>
                    <LanguageSwitcher />
                </div>
                <h1>{move || i18n.t().set_password_title}</h1>
                {move || {
                    if done() {
                        view! {
                            <p role="status">{move || i18n.t().password_set}</p>
                            <A href="/signin">{move || i18n.t().sign_in_button}</A>
                        }
                        .into_any()
                    } else if expired() {
                        view! { <p role="alert">{move || i18n.t().link_expired}</p> }.into_any()
                    } else {
                        form().into_any()
                    }
                }}
            </div>
        </main>
    }
}
