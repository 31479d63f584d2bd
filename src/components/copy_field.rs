//! A read-only value with its own Copy button. When the Clipboard API is unavailable or refused,
//! the value is selected and the user is told how to copy it by hand.

use leptos::prelude::*;

use crate::hooks::use_clipboard::use_clipboard;
use crate::i18n::use_i18n;

/// A labelled, read-only, monospace value and a Copy button that turns into "Copied".
#[component]
pub fn CopyField(
    /// The field's label.
    #[prop(into)]
    label: Signal<String>,
    /// The value to show and copy.
    #[prop(into)]
    value: Signal<String>,
    /// A stable id for the field, so the label and button can point at it.
    id: &'static str,
    /// Show the value in a multi-line box (long commands).
    #[prop(optional)]
    multiline: bool,
    /// Runs after a successful copy.
    #[prop(optional, into)]
    on_copied: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let clipboard = use_clipboard();
    let input = NodeRef::<leptos::html::Input>::new();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let select_all = move || {
        if let Some(el) = input.get() {
            el.select();
            let _ = el.focus();
        }
        if let Some(el) = area.get() {
            el.select();
            let _ = el.focus();
        }
    };
    let on_done = Callback::new(move |ok: bool| {
        if ok {
            if let Some(f) = on_copied {
                f.run(());
            }
        } else {
            select_all();
        }
    });
    let copy = move |_| clipboard.copy.run((value.get_untracked(), on_done));
    let hint_id = format!("{id}-hint");
    let field = if multiline {
        view! {
            <textarea node_ref=area id=id class="secret" readonly rows="4" spellcheck="false" prop:value=value></textarea>
        }
        .into_any()
    } else {
        view! {
            <input node_ref=input id=id class="secret" type="text" readonly spellcheck="false" autocomplete="off" prop:value=value />
        }
        .into_any()
    };
    view! {
        <div class="copy-field">
            <label for=id>{label}</label>
            <div class="copy-row">
                {field}
                <button
                    type="button"
                    class="button"
                    // Names which value it copies; the visible word comes first, as spoken.
                    aria-label=move || {
                        let word = if clipboard.copied.get() { i18n.t().copied } else { i18n.t().copy };
                        format!("{word} {}", label.get())
                    }
                    aria-describedby=hint_id.clone()
                    on:click=copy
                >
                    {move || if clipboard.copied.get() { i18n.t().copied } else { i18n.t().copy }}
                </button>
            </div>
            // Announced to screen readers: "Copied", or how to copy by hand.
            <p id=hint_id class="copy-hint" role="status">
                {move || {
                    if clipboard.failed.get() {
                        i18n.t().copy_fallback
                    } else if clipboard.copied.get() {
                        i18n.t().copied
                    } else {
                        ""
                    }
                }}
            </p>
        </div>
    }
}
