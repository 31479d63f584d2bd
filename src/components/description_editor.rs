//! Editing a token's description, from its row on its owner's page: the same rule as Generate's
//! field (the contract's), one request, and the list read again.

use leptos::prelude::*;
use token_api::tokens::TokenView;
use token_api::validate;

use crate::api;
use crate::components::error_panel::description_invalid_text;
use crate::components::error_panel::error_text;
use crate::components::modal::Modal;
use crate::format;
use crate::i18n::use_i18n;
use crate::state::toasts::use_toasts;

/// The dialog, shown while `token` holds one; `on_saved` hears a saved change.
#[component]
pub fn DescriptionEditor(token: RwSignal<Option<TokenView>>, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(t) = token.get() {
            text.set(t.description.unwrap_or_default());
        }
    });
    let check = move || text.with(|d| validate::description(Some(d)));
    let error = move || check().err().map(|i| description_invalid_text(i18n.t(), i));
    let save = Action::new_local(move |(t, description): &(TokenView, Option<String>)| {
        let (ws, id, description) = (t.workspace_id.clone(), t.id.clone(), description.clone());
        async move {
            match api::tokens::edit(ws, id, description).await {
                Ok(_) => {
                    toasts.success(i18n.t().description_saved.to_owned());
                    token.set(None);
                    on_saved.run(());
                }
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(i18n.t(), &e), vec![]),
            }
        }
    });
    let close = Callback::new(move |_| token.set(None));
    view! {
        <Modal open=Signal::derive(move || token.with(Option::is_some)) on_escape=close labelled_by="description-title">
            <form on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if let (Some(t), Ok(d)) = (token.get_untracked(), check()) {
                    save.dispatch_local((t, d));
                }
            }>
                <h2 id="description-title">
                    {move || token.with(|t| t.as_ref().map(|t| (i18n.t().edit_description_title)(&format::shorten(&t.name, 60))))}
                </h2>
                <div class="field">
                    <label for="description-text">{move || i18n.t().description_label}</label>
                    <textarea
                        id="description-text"
                        rows="3"
                        aria-describedby="description-text-error"
                        aria-invalid=move || error().is_some().to_string()
                        prop:value=text
                        on:input:target=move |ev| text.set(ev.target().value())
                    ></textarea>
                    <p id="description-text-error" class="field-error">{error}</p>
                </div>
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| close.run(())>{move || i18n.t().cancel}</button>
                    <button type="submit" class="button button-primary" disabled=move || check().is_err() || save.pending().get()>
                        {move || i18n.t().save}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
