//! What any unknown address shows.

use leptos::prelude::*;

use leptos_router::components::A;

use crate::hooks::use_title::use_title;
use crate::i18n::use_i18n;

/// The not-found page.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(move || i18n.t().not_found_title.to_owned());
    view! {
        <main id="main" class="page">
            <h1>{move || i18n.t().not_found_title}</h1>
            <p>{move || i18n.t().not_found_body}</p>
            <A href="/tokens">{move || i18n.t().back_to_tokens}</A>
        </main>
    }
}
