//! The frame around every signed-in page: the workspace switcher, navigation, the user, the
//! language, and sign-out. Signed-out visitors are sent to the sign-in page and brought back.

use leptos::prelude::*;
use leptos::Params;

use crate::components::deferred::prefetch_when_idle;
use crate::components::language_switcher::LanguageSwitcher;
use crate::hooks::use_title::use_title_of;
use crate::i18n::use_i18n;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_params;
use leptos_router::params::Params;
use leptos_router::NavigateOptions;
use token_api::auth::Role;

use crate::nav::{use_nav, Go};
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

/// Shows its children once someone is signed in, and sends anyone else to the sign-in page in
/// place of the page they asked for. Not leptos_router's `ProtectedParentRoute` (checked again
/// against 0.8.17): its `<Redirect>` pushes a history entry and takes no options, so Back from
/// the sign-in form would land on the protected page and be sent forward again, a trap; and it
/// wraps the pages in a `<Transition>` of its own.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let nav = use_nav();
    let phase = Memo::new(move |_| session.phase());
    let main = NodeRef::<leptos::html::Main>::new();
    // Past the header to the page, for keyboard users: the first stop of Tab.
    let skip = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = main.get() {
            let _ = main.focus();
        }
    };
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
            <a class="skip-link" href="#main" on:click=skip>{move || i18n.t().skip_to_content}</a>
            <Header />
            <main id="main" class="page" tabindex="-1" node_ref=main>{children()}</main>
        }
        .into_any(),
    }
}

/// The address of a page (`/tokens`, `/admin/tokens`) in a workspace.
pub fn workspace_path(workspace: &str, page: &str) -> String {
    format!("/w/{}{page}", crate::url::encode_component(workspace))
}

/// The page under `/w/{workspace}`, from the path (`/tokens` from `/w/acme/tokens`).
fn page_of(path: &str) -> &str {
    path.strip_prefix("/w/")
        .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or("/tokens")
}

/// The parameters of `/w/{workspace}/...`.
#[derive(Params, Clone, Debug, PartialEq)]
struct InWorkspaceParams {
    ws: Option<String>,
}

/// `/w/{workspace}/...`: the workspace of the path becomes the session's, so a shared link
/// opens the workspace it names; a workspace the reader is not a member of says so.
#[component]
pub fn InWorkspace() -> impl IntoView {
    let session = use_session();
    let params = use_params::<InWorkspaceParams>();
    let named = Memo::new(move |_| {
        params
            .with(|p| p.as_ref().ok().and_then(|p| p.ws.clone()))
            .unwrap_or_default()
    });
    let member = Memo::new(move |_| {
        let named = named.get();
        session
            .me()
            .is_some_and(|me| me.workspaces.iter().any(|w| w.id == named))
    });
    // For this tab only: following a link is not choosing where `/tokens` and new tabs open.
    Effect::new(move |_| {
        let named = named.get();
        if member.get() && session.workspace().map(|w| w.id) != Some(named.clone()) {
            session.pin_workspace(named);
        }
    });
    let shown = Memo::new(move |_| session.workspace().map(|w| w.id) == Some(named.get()));
    move || {
        if !member.get() {
            view! { <NotMember /> }.into_any()
        } else if shown.get() {
            view! { <Outlet /> }.into_any()
        } else {
            ().into_any()
        }
    }
}

/// What a link to a workspace the reader is not in shows, and the tab's title says (without
/// naming a workspace: the reader's own is not the one asked for), with the way to theirs.
#[component]
fn NotMember() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    use_title_of(move || i18n.t().not_member_title.to_owned(), false);
    let theirs = move || session.me().map(|me| me.workspaces).unwrap_or_default();
    view! {
        <h1>{move || i18n.t().not_member_title}</h1>
        <p role="alert">{move || i18n.t().not_member_body}</p>
        <ul>
            {move || {
                theirs()
                    .into_iter()
                    .map(|w| view! { <li><A href=workspace_path(&w.id, "/tokens")>{w.name}</A></li> })
                    .collect::<Vec<_>>()
            }}
        </ul>
    }
}

/// A path from before the workspace was in the path: the same page, query and all, in the
/// reader's current workspace.
#[component]
pub fn ToWorkspace(
    /// The page under the workspace, such as `/tokens`.
    page: &'static str,
) -> impl IntoView {
    let session = use_session();
    let nav = use_nav();
    move || {
        let workspace = session.workspace()?;
        let search = untrack(|| nav.search());
        let mut to = workspace_path(&workspace.id, page);
        if !search.is_empty() {
            to = format!("{to}?{search}");
        }
        let options = NavigateOptions {
            replace: true,
            ..NavigateOptions::default()
        };
        Some(view! { <Redirect path=to options /> })
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    // An admin is likely to open the Admins page: its code comes while the browser is idle.
    // A member's visit never fetches it.
    Effect::new(move |fetched: Option<bool>| {
        if fetched == Some(true) || !session.is_admin() {
            return fetched.unwrap_or(false);
        }
        prefetch_when_idle(crate::pages::prefetch_admin_page);
        true
    });
    let i18n = use_i18n();
    let nav = use_nav();
    let workspaces = move || session.me().map(|me| me.workspaces).unwrap_or_default();
    let current = move || session.workspace().map(|w| w.id).unwrap_or_default();
    // Another workspace, chosen: the same page there (the Users page where the reader is not
    // an admin), a new history entry, and where `/tokens` opens from now on.
    let switch = move |id: String| {
        let admin_there = untrack(workspaces).iter().any(|w| w.id == id && w.role == Role::Admin);
        let page = page_of(&untrack(|| nav.path())).to_owned();
        let page = if page.starts_with("/admin") && !admin_there {
            "/tokens".to_owned()
        } else {
            page
        };
        session.choose_workspace(id.clone());
        nav.go(&workspace_path(&id, &page), Go::Push);
    };
    let email = move || session.me().map(|me| me.user.email).unwrap_or_default();
    view! {
        <header class="app-header">
            <span class="brand">{move || i18n.t().app_name}</span>
            <label class="field-inline">
                <span>{move || i18n.t().workspace_label}</span>
                <select
                    prop:value=current
                    on:change:target=move |ev| switch(ev.target().value())
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
                <A href=move || workspace_path(&current(), "/tokens")>{move || i18n.t().nav_tokens}</A>
                <Show when=move || session.is_admin()>
                    <A href=move || workspace_path(&current(), "/admin/tokens")>{move || i18n.t().nav_admin}</A>
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

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    // Run by `cargo test --target wasm32-unknown-unknown`: the paths are encoded by the
    // browser's `encodeURIComponent`.
    use super::{page_of, sign_in_path, workspace_path};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_workspace_page_s_path_and_back() {
        assert_eq!(workspace_path("ws-acme", "/admin/tokens"), "/w/ws-acme/admin/tokens");
        assert_eq!(page_of("/w/ws-acme/admin/tokens"), "/admin/tokens");
        assert_eq!(page_of("/w/ws-globex/tokens"), "/tokens");
        assert_eq!(page_of("/signin"), "/tokens");
    }

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
