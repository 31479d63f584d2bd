//! A modal dialog on the native `<dialog>`: it sits in the top layer, makes the page behind it
//! inert (so focus stays inside), closes on Escape through its owner, and gives focus back to
//! whatever opened it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A modal dialog, shown while `open`.
#[component]
pub fn Modal(
    /// Whether the dialog is shown.
    #[prop(into)]
    open: Signal<bool>,
    /// Escape was pressed; the owner decides whether the dialog really closes.
    on_escape: Callback<()>,
    /// The id of the element whose text names the dialog.
    labelled_by: &'static str,
    /// What the dialog holds.
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        let want_open = open.get();
        if want_open && !el.open() {
            let active = crate::dom::active_element(&el).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            opener.set_value(active);
            let _ = el.show_modal();
        } else if !want_open && el.open() {
            el.close();
            if let Some(back) = opener.get_value() {
                let _ = back.focus();
            }
        }
    });
    view! {
        <dialog
            node_ref=dialog
            class="modal"
            aria-labelledby=labelled_by
            on:cancel=move |ev: web_sys::Event| {
                ev.prevent_default();
                on_escape.run(());
            }
        >
            {children()}
        </dialog>
    }
}
