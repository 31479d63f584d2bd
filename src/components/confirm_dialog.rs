//! A confirmation that says what an action means before it happens.

use leptos::prelude::*;

use crate::components::modal::Modal;
use crate::i18n::use_i18n;

/// Asks "are you sure", with the consequences spelled out.
#[component]
pub fn ConfirmDialog(
    /// Whether it is shown.
    #[prop(into)]
    open: Signal<bool>,
    /// An id for the title, unique on the page.
    id: &'static str,
    /// The question.
    #[prop(into)]
    title: Signal<String>,
    /// What it means.
    #[prop(into)]
    body: Signal<String>,
    /// The confirming button's label.
    #[prop(into)]
    confirm_label: Signal<String>,
    /// True while the action runs: the buttons wait.
    #[prop(into)]
    busy: Signal<bool>,
    /// The user confirmed.
    on_confirm: Callback<()>,
    /// The user cancelled (button or Escape).
    on_cancel: Callback<()>,
    /// False while the confirming button must wait (a count not yet typed).
    #[prop(optional, into)]
    ready: Option<Signal<bool>>,
    /// More to ask before confirming: a reason, the count to type.
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let not_ready = move || !ready.map(|r| r.get()).unwrap_or(true);
    let i18n = use_i18n();
    view! {
        <Modal open on_escape=on_cancel labelled_by=id>
            <h2 id=id>{title}</h2>
            <p>{body}</p>
            {children.map(|c| c())}
            <div class="dialog-actions">
                <button type="button" class="button" autofocus disabled=busy on:click=move |_| on_cancel.run(())>
                    {move || i18n.t().cancel}
                </button>
                <button type="button" class="button button-danger" disabled=move || busy.get() || not_ready() on:click=move |_| on_confirm.run(())>
                    {confirm_label}
                </button>
            </div>
        </Modal>
    }
}
