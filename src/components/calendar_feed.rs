//! The member's calendar of their tokens' expiry dates: a secret link a calendar app subscribes
//! to, shown once when made (a new one replaces the old), and revocable.

use leptos::prelude::*;

use crate::api;
use crate::components::copy_field::CopyField;
use crate::components::error_panel::error_text;
use crate::i18n::use_i18n;
use crate::state::toasts::use_toasts;

/// The section, for one workspace.
#[component]
pub fn CalendarFeed(#[prop(into)] workspace_id: Signal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    // The link, held only while this page shows it.
    let link = RwSignal::new(None::<String>);
    let make = Action::new_local(move |_: &()| {
        let ws = workspace_id.get_untracked();
        async move {
            let Some(ws) = ws else { return };
            match api::tokens::calendar(ws).await {
                Ok(feed) => link.set(Some(feed.url)),
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(i18n.t(), &e), vec![]),
            }
        }
    });
    let revoke = Action::new_local(move |_: &()| {
        let ws = workspace_id.get_untracked();
        async move {
            let Some(ws) = ws else { return };
            match api::tokens::revoke_calendar(ws).await {
                Ok(()) => {
                    link.set(None);
                    toasts.success(i18n.t().calendar_revoked.to_owned());
                }
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(i18n.t(), &e), vec![]),
            }
        }
    });
    view! {
        <details class="calendar-feed">
            <summary>{move || i18n.t().calendar_title}</summary>
            <p class="intro">{move || i18n.t().calendar_intro}</p>
            <Show when=move || link.with(Option::is_some)>
                <CopyField
                    id="calendar-link"
                    label=Signal::derive(move || i18n.t().calendar_link_label.to_owned())
                    value=Signal::derive(move || link.get().unwrap_or_default())
                />
            </Show>
            <div class="dialog-actions">
                <button type="button" class="button" disabled=make.pending() on:click=move |_| { make.dispatch_local(()); }>
                    {move || if link.with(Option::is_some) { i18n.t().calendar_new } else { i18n.t().calendar_make }}
                </button>
                <button type="button" class="button button-quiet" disabled=revoke.pending() on:click=move |_| { revoke.dispatch_local(()); }>
                    {move || i18n.t().calendar_revoke}
                </button>
            </div>
        </details>
    }
}
