//! The member's expiry reminders in one workspace: the calendar of their tokens' expiry dates (a
//! secret link a calendar app subscribes to, shown once when made, a new one replacing the old,
//! revocable), and whether the service emails them before a token expires and when one is
//! disabled. The section is closed at first; its body is a module of its own in a split build,
//! fetched when it is first opened, so a visit that never opens it pays only for its title.

use leptos::prelude::*;

use crate::api;
use crate::components::copy_field::CopyField;
use crate::components::error_panel::error_text;
use crate::i18n::reminders::words;
use crate::i18n::use_i18n;
use crate::state::toasts::use_toasts;

/// The section, for one workspace.
#[component]
pub fn CalendarFeed(#[prop(into)] workspace_id: Signal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let body = RwSignal::new(None::<fn(Signal<Option<String>>) -> AnyView>);
    // At the first opening; offline, a toast, and the next opening tries again.
    let opened = move |_| {
        if body.with_untracked(Option::is_some) {
            return;
        }
        leptos::task::spawn_local(async move {
            match body_code().await {
                Ok(build) => {
                    let _ = body.try_set(Some(build));
                }
                Err(_) => toasts.error(error_text(i18n.t(), &api::ApiError::Network(String::new())), vec![]),
            }
        });
    };
    view! {
        <details class="calendar-feed" on:toggle=opened>
            <summary>{move || i18n.t().calendar_title}</summary>
            {move || body.get().map(|build| untrack(move || build(workspace_id)))}
        </details>
    }
}

/// The body's builder, or the failure to fetch its code.
type BodyCode = Result<fn(Signal<Option<String>>) -> AnyView, leptos::wasm_split::SplitLoaderError>;

#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(reminders, wasm_split_path = ::leptos::wasm_split, fallible)]
fn body_code() -> BodyCode {
    Ok(|workspace_id| view! { <Reminders workspace_id /> }.into_any())
}

#[cfg(not(feature = "split"))]
async fn body_code() -> BodyCode {
    Ok(|workspace_id| view! { <Reminders workspace_id /> }.into_any())
}

/// What the section holds once open.
#[component]
fn Reminders(workspace_id: Signal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let w = move || words(i18n.locale.get());
    // The link, held only while this page shows it.
    let link = RwSignal::new(None::<String>);
    // Whether email notices are on here, once read.
    let email = RwSignal::new(None::<bool>);
    let failed = move |e: api::ApiError| {
        if !matches!(e, api::ApiError::Aborted) {
            toasts.error(error_text(i18n.t(), &e), vec![]);
        }
    };
    // One action for the three changes: a link (`Some(None)`: a new one; `None`: revoke), or
    // the email setting.
    let change = Action::new_local(move |what: &(Option<bool>, bool)| {
        let (ws, (email_to, make)) = (workspace_id.get_untracked(), *what);
        async move {
            let Some(ws) = ws else { return };
            let done = match (email_to, make) {
                (Some(on), _) => api::tokens::set_notices(ws, on).await.map(|p| {
                    email.set(Some(p.email));
                    Some(words(i18n.locale.get_untracked()).email_saved)
                }),
                (None, true) => api::tokens::calendar(ws).await.map(|feed| {
                    link.set(Some(feed.url));
                    None
                }),
                (None, false) => api::tokens::revoke_calendar(ws).await.map(|()| {
                    link.set(None);
                    Some(words(i18n.locale.get_untracked()).revoked)
                }),
            };
            match done {
                Ok(Some(said)) => toasts.success(said.to_owned()),
                Ok(None) => {}
                Err(e) => failed(e),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(ws) = workspace_id.get() {
            leptos::task::spawn_local(async move {
                match api::tokens::notices(ws).await {
                    Ok(p) => {
                        let _ = email.try_set(Some(p.email));
                    }
                    Err(e) => failed(e),
                }
            });
        }
    });
    let busy = change.pending();
    view! {
        <p class="intro">{move || w().intro}</p>
        <Show when=move || link.with(Option::is_some)>
            <CopyField
                id="calendar-link"
                label=Signal::derive(move || w().link_label.to_owned())
                value=Signal::derive(move || link.get().unwrap_or_default())
            />
        </Show>
        <div class="dialog-actions">
            <button type="button" class="button" disabled=busy on:click=move |_| { change.dispatch_local((None, true)); }>
                {move || if link.with(Option::is_some) { w().new } else { w().make }}
            </button>
            <button type="button" class="button button-quiet" disabled=busy on:click=move |_| { change.dispatch_local((None, false)); }>
                {move || w().revoke}
            </button>
        </div>
        <label class="field-check">
            <input
                type="checkbox"
                disabled=move || busy.get() || email.with(Option::is_none)
                prop:checked=move || email.get().unwrap_or(false)
                on:change:target=move |ev| { change.dispatch_local((Some(ev.target().checked()), false)); }
            />
            <span>{move || w().email}</span>
        </label>
    }
}
