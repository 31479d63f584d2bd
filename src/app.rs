//! The two roots: the stand-alone app (its routes, the shell, sign-in, and the `/embed/...` pages
//! an iframe shows), and a panel mounted into a host's element.

mod shell;

use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, NavigateOptions};

use crate::components::deferred::Deferred;
use crate::components::toast_region::ToastRegion;
use crate::embed::events::{parent_origin, provide_events, Sink};
use crate::embed::options::{MountOptions, Page};
use crate::hooks::use_title::OwnsDocument;
use crate::i18n::{browser_locale, provide_i18n, use_i18n};
use crate::nav::RouterBase;
use crate::pages::{admin_page, set_password_page, NotFoundPage, SignInForm, SignInPage, UsersPage};
use crate::state::session::{provide_session, use_session, Phase};
use crate::state::toasts::provide_toasts;
use shell::{InWorkspace, Shell, ToWorkspace};

/// Which root: the stand-alone app, which owns the document, or a panel in a host's element.
pub enum Mode {
    Standalone,
    Panel {
        options: MountOptions,
        host: web_sys::HtmlElement,
    },
}

/// The app or a panel: one router and one set of routes for both, so the pages are built once.
/// A panel shows one page without the app's header, signs in in place, keeps its routes under
/// the host's base path, and tells the host element about changes.
#[component]
pub fn Root(mode: Mode) -> impl IntoView {
    let (options, sink, standalone) = match mode {
        Mode::Standalone => (None, frame_parent().map(Sink::Parent).unwrap_or_default(), true),
        Mode::Panel { options, host } => (Some(options), Sink::Element(host), false),
    };
    let locale = options.as_ref().and_then(|o| o.locale).unwrap_or_else(browser_locale);
    let (i18n, language) = provide_i18n(locale);
    let session = provide_session(options.as_ref().and_then(|o| o.ticket.clone()));
    if let Sink::Parent(parent) = &sink {
        crate::embed::frame::sign_in_with_host_tickets(parent.clone(), session);
    }
    if let Some(workspace) = options.as_ref().and_then(|o| o.workspace.clone()) {
        session.pin_workspace(workspace);
    }
    let toasts = provide_toasts();
    let framed = matches!(sink, Sink::Parent(_));
    provide_events(sink);
    provide_context(OwnsDocument(standalone));
    if standalone {
        // The document is ours: its language is the app's.
        Effect::new(move |_| {
            let tag = i18n.locale.get().tag();
            if let Some(html) = document().document_element() {
                let _ = html.set_attribute("lang", tag);
            }
        });
    }
    // In a host's frame, the reader sees an unknown part of the page: `tc-framed` says so.
    let class = match (standalone, framed) {
        (true, false) => "tc-root tc-standalone",
        (true, true) => "tc-root tc-standalone tc-framed",
        (false, _) => "tc-root tc-panel",
    };
    let theme = options.as_ref().and_then(|o| o.theme.attribute());
    let base = options.as_ref().map(|o| o.base_path.clone()).unwrap_or_default();
    let page = options.as_ref().map(|o| o.page);
    // `Nav` speaks paths under the base; the router is told it too.
    provide_context(RouterBase(base.clone()));
    // A panel shows its one page whatever the path under its base: a router with no route table,
    // for the location, Back and Forward, and the view's query. It follows no link: see
    // `PANEL_LINKS`.
    if let Some(page) = page {
        let page = move || match page {
            Page::Users => view! { <Gate><UsersPage /></Gate> }.into_any(),
            Page::Admin => view! { <Gate><Deferred load=admin_page /></Gate> }.into_any(),
        };
        return view! {
            <div class=class lang=move || i18n.locale.get().tag() data-theme=theme>
                <ToastRegion toasts />
                <Show when=move || language.ready.get()>
                    <Router base=PANEL_LINKS>{page}</Router>
                </Show>
            </div>
        }
        .into_any();
    }
    // Redirects stand in for the page asked for: Back must not land on them again.
    let replace = NavigateOptions {
        replace: true,
        ..NavigateOptions::default()
    };
    // Built once, when the first language's strings are here (`ready` never turns back).
    let routes = move || {
        let replace = replace.clone();
        view! {
            <Router base=base.clone()>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=move || view! { <Redirect path="/tokens" options=replace.clone() /> } />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/set-password") view=|| view! { <Deferred load=set_password_page /> } />
                    <ParentRoute path=path!("") view=|| view! { <Shell><Outlet /></Shell> }>
                        // The workspace is in the path, so a shared link opens that workspace.
                        <ParentRoute path=path!("/w/:ws") view=InWorkspace>
                            <Route path=path!("/tokens") view=UsersPage />
                            <Route path=path!("/admin/tokens") view=|| view! { <Deferred load=admin_page /> } />
                        </ParentRoute>
                        // The paths from before the workspace was in them.
                        <Route path=path!("/tokens") view=|| view! { <ToWorkspace page="/tokens" /> } />
                        <Route path=path!("/admin/tokens") view=|| view! { <ToWorkspace page="/admin/tokens" /> } />
                    </ParentRoute>
                    <ParentRoute path=path!("/embed") view=|| view! { <Gate><Outlet /></Gate> }>
                        <Route path=path!("/users") view=UsersPage />
                        <Route path=path!("/admin") view=|| view! { <Deferred load=admin_page /> } />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    };
    view! {
        <div class=class lang=move || i18n.locale.get().tag() data-theme=theme>
            <ToastRegion toasts />
            // Nothing until the language asked for has its strings: no flash of English.
            <Show when=move || language.ready.get()>{routes.clone()}</Show>
        </div>
    }
    .into_any()
}

/// A panel's router takes no link clicks. leptos_router's `<Router>` takes the clicks on every
/// same-origin link whose path starts with its base (all of them for an empty base, and
/// `/settings/tokens-old` for `/settings/tokens`): in a host's page those are the host's links.
/// A panel has no links of its own to follow, and a path always starts with `/`, so a base
/// that does not matches none. The router's base serves nothing else here: `Nav` writes full
/// paths (`RouterBase`) and navigates without resolving, and a panel has no route table.
const PANEL_LINKS: &str = "#none";

/// In the `/embed/...` page, the origin the host asked events to be posted to (`?parent=`).
fn frame_parent() -> Option<String> {
    let location = window().location();
    let path = location.pathname().ok()?;
    if !path.starts_with("/embed/") {
        return None;
    }
    let search = location.search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    parent_origin(&params.get("parent")?)
}

/// Shows its children to a signed-in user, and the sign-in form in their place to anyone else.
#[component]
fn Gate(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let phase = Memo::new(move |_| session.phase());
    move || match phase.get() {
        Phase::Loading => view! { <p class="page-loading" role="status">{move || i18n.t().loading}</p> }.into_any(),
        Phase::SignedOut => view! { <div class="panel-sign-in"><SignInForm /></div> }.into_any(),
        Phase::SignedIn => view! { <div class="page panel-page">{children()}</div> }.into_any(),
    }
}
