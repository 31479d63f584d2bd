//! The Admins page: every token of the workspace. Only its admins may open it; the service
//! refuses everyone else regardless of what the page shows.

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::state::session::use_session;

/// `/admin/tokens`.
#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let is_admin = Memo::new(move |_| session.is_admin());
    view! {
        <Show
            when=move || is_admin.get()
            fallback=move || {
                view! {
                    <h1>{move || i18n.t().not_allowed_title}</h1>
                    <p role="alert">{move || i18n.t().not_allowed_body}</p>
                }
            }
        >
            <h1>{move || i18n.t().admin_title}</h1>
            <p class="intro">{move || i18n.t().admin_intro}</p>
        </Show>
    }
}
