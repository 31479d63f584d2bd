//! The frame around every signed-in page: the workspace switcher, navigation, the user, the
//! language, and sign-out. Signed-out visitors are sent to the sign-in page and brought back.

use leptos::prelude::*;

use crate::components::language_switcher::LanguageSwitcher;
use crate::i18n::use_i18n;
use leptos_router::components::{Redirect, A};
use leptos_router::NavigateOptions;

use crate::nav::use_nav;
use crate::state::session::{use_session, Phase};

/// Where to go to sign in, coming back here afterwards (`search` with or without its `?`).
fn sign_in_path(path: &str, search: &str) -> String {
    let search = search.trim_start_matches('?');
    let back = if search.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{search}")
    };
    format!("/signin?next={}", crate::url::encode_component(&back))
}

/// Shows its children once someone is signed in.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let nav = use_nav();
    let phase = Memo::new(move |_| session.phase());
    move || match phase.get() {
        Phase::Loading => view! { <p class="page-loading" role="status">{move || i18n.t().loading}</p> }.into_any(),
        Phase::SignedOut => {
            let (path, search) = untrack(|| (nav.path(), nav.search()));
            // In place of the page asked for: Back from the sign-in form must not come here again.
            let options = NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            };
            view! { <Redirect path=sign_in_path(&path, &search) options /> }.into_any()
        }
        Phase::SignedIn => view! {
            <Header />
            <main id="main" class="page">{children()}</main>
        }
        .into_any(),
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let workspaces = move || session.me().map(|me| me.workspaces).unwrap_or_default();
    let current = move || session.workspace().map(|w| w.id).unwrap_or_default();
    let email = move || session.me().map(|me| me.user.email).unwrap_or_default();
    view! {
        <header class="app-header">
            <span class="brand">{move || i18n.t().app_name}</span>
            <label class="field-inline">
                <span>{move || i18n.t().workspace_label}</span>
                <select
                    prop:value=current
                    on:change:target=move |ev| session.choose_workspace(ev.target().value())
                >
                    {move || {
                        workspaces()
                            .into_iter()
                            .map(|w| {
                                let selected = w.id == current();
                                view! { <option value=w.id selected=selected>{w.name}</option> }
                            })
                            .collect::<Vec<_>>()
                    }}
                </select>
            </label>
            <nav aria-label=move || i18n.t().nav_label>
                <A href="/tokens">{move || i18n.t().nav_tokens}</A>
                <Show when=move || session.is_admin()>
                    <A href="/admin/tokens">{move || i18n.t().nav_admin}</A>
                </Show>
            </nav>
            <span class="spacer"></span>
            <span class="who">{move || (i18n.t().signed_in_as)(&email())}</span>
            <LanguageSwitcher />
            <button type="button" class="button button-quiet" on:click=move |_| session.sign_out()>
                {move || i18n.t().sign_out}
            </button>
        </header>
    }
}

#[cfg(test)]
mod tests {
    use super::sign_in_path;

    #[test]
    fn the_way_back_keeps_the_query() {
        assert_eq!(sign_in_path("/tokens", ""), "/signin?next=%2Ftokens");
        assert_eq!(
            sign_in_path("/tokens", "sort=name"),
            "/signin?next=%2Ftokens%3Fsort%3Dname"
        );
        assert_eq!(
            sign_in_path("/tokens", "?sort=name"),
            "/signin?next=%2Ftokens%3Fsort%3Dname"
        );
    }
}
