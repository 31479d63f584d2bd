//! The Streaming tab: where the workspace's audit trail is delivered (a SIEM's collector, a
//! data lake's webhook), at most three destinations. Each shows whether it runs, what waits for
//! it, its last delivery and, while it fails, why and when it is tried next; a test event,
//! pause or resume, and removal. Adding one shows its signing secret, once.

use leptos::prelude::*;
use token_api::streams::{Destination, NewDestination, StreamHeader, StreamState, MAX_DESTINATIONS};
use token_api::validate::Invalid;

use crate::api;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::copy_field::CopyField;
use crate::components::error_panel::{error_text, invalid_text, ErrorPanel};
use crate::format;
use crate::i18n::streams::words;
use crate::i18n::use_i18n;
use crate::state::toasts::use_toasts;

/// What a destination's buttons ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Test,
    Pause,
    Resume,
    Remove,
}

/// The tab.
#[component]
pub fn StreamsTab(ws: Memo<String>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let w = move || words(i18n.locale.get());
    let list = LocalResource::new(move || api::admin::streams(ws.get()));
    let removing = RwSignal::new(None::<Destination>);
    let act = Action::new_local(move |(d, what): &(Destination, Act)| {
        let (ws, id, what) = (ws.get_untracked(), d.id.clone(), *what);
        async move {
            let (t, w) = (i18n.t(), words(i18n.locale.get_untracked()));
            let said = match what {
                Act::Test => api::admin::test_stream(ws, id).await.map(|r| match r.error {
                    None => Ok((w.test_ok)(r.status.unwrap_or_default())),
                    Some(e) => Err((w.test_failed)(&e)),
                }),
                Act::Remove => api::admin::remove_stream(ws, id)
                    .await
                    .map(|()| Ok(w.removed_toast.to_owned())),
                Act::Pause | Act::Resume => {
                    let to = if what == Act::Pause {
                        StreamState::Paused
                    } else {
                        StreamState::Active
                    };
                    api::admin::set_stream_state(ws, id, to).await.map(|_| {
                        Ok(if what == Act::Pause {
                            w.paused_toast
                        } else {
                            w.resumed_toast
                        }
                        .to_owned())
                    })
                }
            };
            match said {
                Ok(Ok(said)) => toasts.success(said),
                Ok(Err(said)) => toasts.error(said, vec![]),
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(t, &e), vec![]),
            }
            removing.set(None);
            list.refetch();
        }
    });
    let busy = act.pending();
    let card = move |d: Destination| {
        let locale = i18n.locale.get_untracked();
        let w = words(locale);
        let at = |at| format::full(locale, at);
        let state = match (d.state, d.paused_by_service) {
            (StreamState::Active, _) => w.active,
            (StreamState::Paused, false) => w.paused,
            (StreamState::Paused, true) => w.paused_by_service,
        };
        let mut facts = vec![
            d.last_delivered_at
                .map_or(w.never_delivered.to_owned(), |t| (w.last_delivered)(&at(t))),
            (w.backlog)(d.backlog),
        ];
        if d.dropped > 0 {
            facts.push((w.dropped)(d.dropped));
        }
        if !d.header_names.is_empty() {
            facts.push((w.header_names)(&d.header_names.join(", ")));
        }
        let failing = d.last_error.clone().map(|error| {
            let mut said = (w.failing)(&error, &d.failing_since.map(at).unwrap_or_default());
            if let (StreamState::Active, Some(next)) = (d.state, d.next_attempt_at) {
                said = format!("{said} {}", (w.next_attempt)(&at(next)));
            }
            said
        });
        let toggle = if d.state == StreamState::Active {
            Act::Pause
        } else {
            Act::Resume
        };
        let buttons = [
            (Act::Test, w.test),
            (toggle, if toggle == Act::Pause { w.pause } else { w.resume }),
            (Act::Remove, w.remove),
        ];
        view! {
            <li class="stream">
                <p class="stream-url"><strong>{d.url.clone()}</strong> " " <span class="badge-state" class:badge-all=d.state == StreamState::Paused>{state}</span></p>
                <p class="muted">{facts.join(" · ")}</p>
                <p class="field-error" role="status" hidden=failing.is_none()>{failing.clone()}</p>
                <div class="stream-actions">
                    {buttons
                        .into_iter()
                        .map(|(what, label)| {
                            let d = d.clone();
                            let click = move |_| match what {
                                Act::Remove => removing.set(Some(d.clone())),
                                other => {
                                    act.dispatch_local((d.clone(), other));
                                }
                            };
                            view! {
                                <button type="button" class="button" disabled=busy on:click=click>
                                    {label}
                                </button>
                            }
                        })
                        .collect::<Vec<_>>()}
                </div>
            </li>
        }
    };
    let shown = move || match list.get() {
        None => None,
        Some(Err(error)) => {
            Some(view! { <ErrorPanel error on_retry=Callback::new(move |_| list.refetch()) /> }.into_any())
        }
        Some(Ok(l)) if l.destinations.is_empty() => Some(view! { <p class="muted">{w().none}</p> }.into_any()),
        Some(Ok(l)) => Some(
            view! {
                <ul class="streams">{l.destinations.into_iter().map(card).collect::<Vec<_>>()}</ul>
            }
            .into_any(),
        ),
    };
    let room = move || list.with(|l| matches!(l, Some(Ok(l)) if l.destinations.len() < MAX_DESTINATIONS));
    view! {
        <p class="intro">{move || w().intro}</p>
        {shown}
        <Show when=room>
            <AddDestination ws on_added=Callback::new(move |()| list.refetch()) />
        </Show>
        <ConfirmDialog
            open=Signal::derive(move || removing.with(Option::is_some))
            id="remove-stream"
            title=Signal::derive(move || w().remove_title.to_owned())
            body=Signal::derive(move || (w().remove_body)(&removing.with(|d| d.as_ref().map(|d| d.url.clone()).unwrap_or_default())))
            confirm_label=Signal::derive(move || w().remove.to_owned())
            busy=busy
            on_confirm=Callback::new(move |()| {
                if let Some(d) = removing.get_untracked() {
                    act.dispatch_local((d, Act::Remove));
                }
            })
            on_cancel=Callback::new(move |()| removing.set(None))
        />
    }
}

/// The form that adds a destination, then the secret it was given, shown once.
#[component]
fn AddDestination(ws: Memo<String>, on_added: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let w = move || words(i18n.locale.get());
    let url = RwSignal::new(String::new());
    let headers = RwSignal::new(String::new());
    let refused = RwSignal::new(None::<(String, Invalid)>);
    let secret = RwSignal::new(None::<String>);
    // One header a line, `Name: value`; a line without a colon is a header without a value.
    let read = move || NewDestination {
        url: url.get_untracked().trim().to_owned(),
        headers: headers.with_untracked(|h| {
            h.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let (name, value) = l.split_once(':').unwrap_or((l, ""));
                    StreamHeader {
                        name: name.trim().to_owned(),
                        value: value.trim().to_owned(),
                    }
                })
                .collect()
        }),
    };
    let add = Action::new_local(move |body: &NewDestination| {
        let (ws, body) = (ws.get_untracked(), body.clone());
        async move {
            match api::admin::add_stream(ws, body).await {
                Ok(created) => {
                    url.set(String::new());
                    headers.set(String::new());
                    secret.set(Some(created.secret));
                    on_added.run(());
                }
                Err(e) => {
                    let field = e.field_errors().next().map(|(f, i)| (f.to_owned(), i));
                    if field.is_none() {
                        use_toasts().error(error_text(i18n.t(), &e), vec![]);
                    }
                    refused.set(field);
                }
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = read();
        refused.set(body.check().err().map(|(f, i)| (f.to_owned(), i)));
        if refused.with_untracked(Option::is_none) {
            add.dispatch_local(body);
        }
    };
    let error_of = move |field: &'static str| {
        move || {
            refused.with(|r| {
                r.as_ref()
                    .filter(|(f, _)| f == field)
                    .map(|(_, i)| invalid_text(i18n.t(), *i))
            })
        }
    };
    let wrong = move |field: &'static str| move || error_of(field)().is_some().to_string();
    view! {
        <section class="policy-form" hidden=move || secret.with(Option::is_none) aria-labelledby="stream-secret-title">
            <h2 id="stream-secret-title">{move || w().secret_title}</h2>
            <p role="status">{move || w().secret_note}</p>
            <CopyField
                id="stream-secret"
                label=Signal::derive(move || w().secret_label.to_owned())
                value=Signal::derive(move || secret.get().unwrap_or_default())
            />
            <button type="button" class="button button-primary" on:click=move |_| secret.set(None)>
                {move || w().secret_done}
            </button>
        </section>
        <form class="policy-form" on:submit=submit novalidate hidden=move || secret.with(Option::is_some)>
            <h2>{move || w().add_title}</h2>
            <div class="field">
                <label for="stream-url">{move || w().url}</label>
                <input
                    id="stream-url"
                    type="url"
                    spellcheck="false"
                    placeholder="https://siem.example.com/services/collector"
                    aria-invalid=wrong("url")
                    aria-describedby="stream-url-error"
                    prop:value=url
                    on:input:target=move |ev| url.set(ev.target().value())
                />
                <p id="stream-url-error" class="field-error">{error_of("url")}</p>
            </div>
            <div class="field">
                <label for="stream-headers">{move || w().headers}</label>
                <textarea
                    id="stream-headers"
                    rows="2"
                    spellcheck="false"
                    placeholder="Authorization: Splunk 00000000-0000"
                    aria-invalid=wrong("headers")
                    aria-describedby="stream-headers-hint stream-headers-error"
                    prop:value=headers
                    on:input:target=move |ev| headers.set(ev.target().value())
                ></textarea>
                <p id="stream-headers-hint" class="field-hint">{move || w().headers_hint}</p>
                <p id="stream-headers-error" class="field-error">{error_of("headers")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=add.pending()>{move || w().add}</button>
        </form>
    }
}
