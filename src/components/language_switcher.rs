//! The language picker, on every page including sign-in.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Language, Locale};

/// A labelled select of the locales, each named in its own language.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let language = expect_context::<Language>();
    view! {
        <label class="field-inline">
            <span>{move || i18n.t().language_label}</span>
            <select
                prop:value=move || language.wanted.get().tag()
                on:change:target=move |ev| language.choose(Locale::from_tag(&ev.target().value()))
            >
                {Locale::ALL
                    .into_iter()
                    .map(|l| {
                        view! {
                            <option value=l.tag() selected=move || language.wanted.get() == l>
                                {l.name()}
                            </option>
                        }
                    })
                    .collect::<Vec<_>>()}
            </select>
        </label>
    }
}
