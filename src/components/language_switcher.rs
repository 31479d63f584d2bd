//! The language picker, on every page including sign-in.

use leptos::prelude::*;

use crate::i18n::{use_i18n, Locale};

/// A labelled select of the locales, each named in its own language.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="field-inline">
            <span>{move || i18n.t().language_label}</span>
            <select
                prop:value=move || i18n.locale.get().tag()
                on:change:target=move |ev| i18n.choose(Locale::from_tag(&ev.target().value()))
            >
                {Locale::ALL
                    .into_iter()
                    .map(|l| {
                        view! {
                            <option value=l.tag() selected=move || i18n.locale.get() == l>
                                {l.name()}
                            </option>
                        }
                    })
                    .collect::<Vec<_>>()}
            </select>
        </label>
    }
}
