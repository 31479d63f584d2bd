//! The toolbar shown while rows are selected: how many, and what can be done to them at once.
//! While nothing is selected, its place holds a hint, at the same height: a bar appearing above
//! the table pushed every row down, which is a jump under the user's pointer and cost the
//! browser 60 ms of pre-paint for 2,000 rows on the first tick (7 ms now, traced). Its count is
//! a live region that exists before it changes, so screen readers announce it.

use leptos::prelude::*;
use token_api::tokens::BatchAction;

use crate::bulk::BulkCount;
use crate::i18n::use_i18n;

/// "N selected", Disable, Delete and Clear.
#[component]
pub fn BulkToolbar(
    /// How many rows are selected, and how many of them Disable changes.
    #[prop(into)]
    count: Signal<BulkCount>,
    /// Disable the disableable ones.
    on_disable: Callback<()>,
    /// Delete them all.
    on_delete: Callback<()>,
    /// Deselect everything.
    on_clear: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let selected = move || count.get().selected;
    let disableable = move || count.get().changed_by(BatchAction::Disable);
    let left_alone = move || count.get().left_alone(BatchAction::Disable);
    let idle = move || selected() == 0;
    view! {
        <div
            class="bulk-toolbar"
            class:idle=idle
            role=move || (!idle()).then_some("toolbar")
            aria-label=move || (!idle()).then(|| i18n.t().toolbar_label)
        >
            <span class="bulk-count" aria-live="polite">
                {move || if idle() { String::new() } else { (i18n.t().n_selected)(selected()) }}
            </span>
            <span class="bulk-hint" hidden=move || !idle()>{move || i18n.t().bulk_hint}</span>
            <button
                type="button"
                class="button"
                // Nothing here can be disabled: no button, and the note says why.
                hidden=move || idle() || disableable() == Some(0)
                disabled=move || disableable().is_none()
                on:click=move |_| on_disable.run(())
            >
                {move || match disableable() {
                    Some(n) => (i18n.t().bulk_disable)(n, selected()),
                    None => i18n.t().counting.to_owned(),
                }}
            </button>
            <Show when=move || left_alone().is_some_and(|n| n != 0)>
                <span class="bulk-note">{move || (i18n.t().bulk_disable_note)(left_alone().unwrap_or(0))}</span>
            </Show>
            <button type="button" class="button button-danger" hidden=idle on:click=move |_| on_delete.run(())>
                {move || (i18n.t().bulk_delete)(selected())}
            </button>
            <button type="button" class="button button-quiet" hidden=idle on:click=move |_| on_clear.run(())>
                {move || i18n.t().clear_selection}
            </button>
        </div>
    }
}
