//! "Rows per page": the one page-size choice both token lists offer.

use leptos::prelude::*;

use crate::i18n::use_i18n;

/// A select of page sizes; `0` among `sizes` is "All", with the value `all`.
#[component]
pub fn PageSizeSelect(
    /// The sizes offered, in order.
    sizes: &'static [u32],
    /// The value chosen: a size, or `all`.
    #[prop(into)]
    value: Signal<String>,
    /// The user picked another value.
    on_change: Callback<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let options = sizes
        .iter()
        .map(|&n| {
            let option_value = if n == 0 { "all".to_owned() } else { n.to_string() };
            let label = option_value.clone();
            let attribute = option_value.clone();
            let selected = move || value.get() == option_value;
            view! {
                <option value=attribute selected=selected>
                    {move || if n == 0 { i18n.t().all_rows.to_owned() } else { label.clone() }}
                </option>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <label class="field-inline">
            <span>{move || i18n.t().page_size}</span>
            <select prop:value=value on:change:target=move |ev| on_change.run(ev.target().value())>
                {options}
            </select>
        </label>
    }
}
