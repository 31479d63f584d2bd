//! The toolbar shown while rows are selected: how many, and what can be done to them at once.

use leptos::prelude::*;

use crate::i18n::use_i18n;

/// "N selected", Disable, Delete and Clear.
#[component]
pub fn BulkToolbar(
    /// How many rows are selected.
    #[prop(into)]
    selected: Signal<usize>,
    /// How many of them can be disabled (the active ones).
    #[prop(into)]
    disableable: Signal<usize>,
    /// Disable the disableable ones.
    on_disable: Callback<()>,
    /// Delete them all.
    on_delete: Callback<()>,
    /// Deselect everything.
    on_clear: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let not_disableable = move || selected.get() - disableable.get().min(selected.get());
    let has_note = move || not_disableable() != 0;
    view! {
        <div class="bulk-toolbar" role="toolbar" aria-label=move || i18n.t().toolbar_label>
            <span class="bulk-count" aria-live="polite">{move || (i18n.t().n_selected)(selected.get())}</span>
            <button
                type="button"
                class="button"
                disabled=move || disableable.get() == 0
                on:click=move |_| on_disable.run(())
            >
                {move || (i18n.t().bulk_disable)(disableable.get(), selected.get())}
            </button>
            <Show when=has_note>
                <span class="bulk-note">{move || (i18n.t().bulk_disable_note)(not_disableable())}</span>
            </Show>
            <button type="button" class="button button-danger" on:click=move |_| on_delete.run(())>
                {move || (i18n.t().bulk_delete)(selected.get())}
            </button>
            <button type="button" class="button button-quiet" on:click=move |_| on_clear.run(())>
                {move || i18n.t().clear_selection}
            </button>
        </div>
    }
}
