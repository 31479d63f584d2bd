//! The app: providers, the router, and the routes.

mod shell;

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::toast_region::ToastRegion;
use crate::i18n::{browser_locale, provide_i18n};
use crate::pages::{AdminPage, NotFoundPage, SignInPage, UsersPage};
use crate::state::session::provide_session;
use crate::state::toasts::provide_toasts;
use shell::Shell;

/// The whole single-page app.
#[component]
pub fn App() -> impl IntoView {
    provide_i18n(browser_locale());
    provide_session();
    let toasts = provide_toasts();
    view! {
        <ToastRegion toasts />
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/signin") view=SignInPage />
                <Route path=path!("/") view=|| view! { <Redirect path="/tokens" /> } />
                <Route path=path!("/tokens") view=|| view! { <Shell><UsersPage /></Shell> } />
                <Route path=path!("/admin/tokens") view=|| view! { <Shell><AdminPage /></Shell> } />
            </Routes>
        </Router>
    }
}
