//! Where toasts appear: one live region, present from the start so additions are announced.

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::state::toasts::Toasts;

/// The live region with the current messages.
#[component]
pub fn ToastRegion(
    /// The messages to show.
    toasts: Toasts,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="toasts" aria-label=move || i18n.t().notifications_label>
            <div role="status" aria-live="polite">
                <For each=move || toasts.list() key=|t| t.id let:toast>
                    <div class="toast" class:toast-error=toast.error>
                        <p>{toast.message.clone()}</p>
                        <Show when={
                            let empty = toast.details.is_empty();
                            move || !empty
                        }>
                            <ul>{toast.details.iter().map(|d| view! { <li>{d.clone()}</li> }).collect::<Vec<_>>()}</ul>
                        </Show>
                        <button type="button" class="button button-quiet" on:click=move |_| toasts.dismiss(toast.id)>
                            {move || i18n.t().dismiss}
                        </button>
                    </div>
                </For>
            </div>
        </section>
    }
}
