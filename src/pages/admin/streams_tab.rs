//! The Streaming tab: where the workspace's audit trail is delivered (a SIEM's collector, a
//! data lake's webhook), at most three destinations. Each shows whether it runs, what waits for
//! it, its last delivery and, while it fails, why and when it is tried next; a test event,
//! pause or resume, and removal. Adding one shows its signing secret, once.

use leptos::prelude::*;
use token_api::streams::{Destination, NewDestination, StreamHeader, StreamState, MAX_DESTINATIONS};

use crate::api;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::copy_field::CopyField;
use crate::components::error_panel::{error_text, invalid_text};
use crate::components::loaded::Loaded;
use crate::format;
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
    let list = LocalResource::new(move || api::admin::streams(ws.get()));
    let removing = RwSignal::new(None::<Destination>);
    let act = Action::new_local(move |(d, what): &(Destination, Act)| {
        let (ws, id, what) = (ws.get_untracked(), d.id.clone(), *what);
        async move {
            let t = i18n.t();
            let said = match what {
                Act::Test => api::admin::test_stream(ws, id)
                    .await
                    .map(|r| match (r.delivered, r.error) {
                        (true, _) => Ok((t.streams_test_ok)(r.status.unwrap_or_default())),
                        (false, e) => Err((t.streams_test_failed)(&e.unwrap_or_default())),
                    }),
                Act::Pause => api::admin::set_stream_state(ws, id, StreamState::Paused)
                    .await
                    .map(|_| Ok(t.streams_paused_toast.to_owned())),
                Act::Resume => api::admin::set_stream_state(ws, id, StreamState::Active)
                    .await
                    .map(|_| Ok(t.streams_resumed_toast.to_owned())),
                Act::Remove => api::admin::remove_stream(ws, id)
                    .await
                    .map(|()| Ok(t.streams_removed_toast.to_owned())),
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
    let destinations = Memo::new(move |_| {
        list.get()
            .and_then(Result::ok)
            .map(|l| l.destinations)
            .unwrap_or_default()
    });
    let card = move |d: Destination| {
        let locale = i18n.locale.get_untracked();
        let t = locale.messages();
        let state = match (d.state, d.paused_by_service) {
            (StreamState::Active, _) => t.streams_active,
            (StreamState::Paused, false) => t.streams_paused,
            (StreamState::Paused, true) => t.streams_paused_by_service,
        };
        let delivered = match d.last_delivered_at {
            Some(at) => (t.streams_last_delivered)(&format::full(locale, at)),
            None => t.streams_never_delivered.to_owned(),
        };
        let failing = d.last_error.clone().map(|error| {
            let since = d.failing_since.map(|at| format::full(locale, at)).unwrap_or_default();
            let next = match (d.state, d.next_attempt_at) {
                (StreamState::Active, Some(at)) => (t.streams_next_attempt)(&format::full(locale, at)),
                _ => String::new(),
            };
            view! { <p class="field-error" role="status">{(t.streams_failing)(&error, &since)} " " {next}</p> }
        });
        let headers = (!d.header_names.is_empty()).then(|| (t.streams_header_names)(&d.header_names.join(", ")));
        let toggle = if d.state == StreamState::Active {
            Act::Pause
        } else {
            Act::Resume
        };
        let (on_test, on_toggle, on_remove) = (d.clone(), d.clone(), d.clone());
        view! {
            <li class="stream">
                <p class="stream-url"><strong>{d.url.clone()}</strong> " " <span class="badge-all">{state}</span></p>
                <p class="muted">
                    {delivered} " · " {(t.streams_backlog)(d.backlog)}
                    {(d.dropped > 0).then(|| format!(" · {}", (t.streams_dropped)(d.dropped)))}
                </p>
                {headers.map(|h| view! { <p class="muted">{h}</p> })}
                {failing}
                <div class="stream-actions">
                    <button type="button" disabled=busy on:click=move |_| { act.dispatch_local((on_test.clone(), Act::Test)); }>
                        {t.streams_test}
                    </button>
                    <button type="button" disabled=busy on:click=move |_| { act.dispatch_local((on_toggle.clone(), toggle)); }>
                        {if toggle == Act::Pause { t.streams_pause } else { t.streams_resume }}
                    </button>
                    <button type="button" class="danger" disabled=busy on:click=move |_| removing.set(Some(on_remove.clone()))>
                        {t.streams_remove}
                    </button>
                </div>
            </li>
        }
    };
    view! {
        <p class="intro">{move || i18n.t().streams_intro}</p>
        <Loaded resource=list>
            <ul class="streams" aria-label=move || i18n.t().tab_streams>
                {move || {
                    let all = destinations.get();
                    if all.is_empty() {
                        view! { <li class="muted">{i18n.t().streams_none}</li> }.into_any()
                    } else {
                        all.into_iter().map(card).collect::<Vec<_>>().into_any()
                    }
                }}
            </ul>
        </Loaded>
        <Show when=move || { destinations.with(|d| d.len() < MAX_DESTINATIONS) }>
            <AddDestination ws on_added=Callback::new(move |()| list.refetch()) />
        </Show>
        <ConfirmDialog
            open=Signal::derive(move || removing.with(Option::is_some))
            id="remove-stream"
            title=Signal::derive(move || i18n.t().streams_remove_title.to_owned())
            body=Signal::derive(move || {
                (i18n.t().streams_remove_body)(&removing.with(|d| d.as_ref().map(|d| d.url.clone()).unwrap_or_default()))
            })
            confirm_label=Signal::derive(move || i18n.t().streams_remove.to_owned())
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

/// The form that adds a destination, and the secret it answers with, shown once.
#[component]
fn AddDestination(ws: Memo<String>, on_added: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let url = RwSignal::new(String::new());
    let headers = RwSignal::new(String::new());
    let refused = RwSignal::new(None::<(String, token_api::validate::Invalid)>);
    let secret = RwSignal::new(None::<String>);
    // One header a line, `Name: value`; a line without a colon is a header with no value.
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
        match body.check() {
            Ok(()) => {
                refused.set(None);
                add.dispatch_local(body);
            }
            Err((field, invalid)) => refused.set(Some((field.to_owned(), invalid))),
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
        <Show
            when=move || secret.with(Option::is_some)
            fallback=move || {
                view! {
                    <form class="policy-form" on:submit=submit novalidate>
                        <h2>{move || i18n.t().streams_add_title}</h2>
                        <div class="field">
                            <label for="stream-url">{move || i18n.t().streams_url}</label>
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
                            <label for="stream-headers">{move || i18n.t().streams_headers}</label>
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
                            <p id="stream-headers-hint" class="field-hint">{move || i18n.t().streams_headers_hint}</p>
                            <p id="stream-headers-error" class="field-error">{error_of("headers")}</p>
                        </div>
                        <button type="submit" class="primary" disabled=add.pending()>
                            {move || i18n.t().streams_add}
                        </button>
                    </form>
                }
            }
        >
            <section class="policy-form" aria-labelledby="stream-secret-title">
                <h2 id="stream-secret-title">{move || i18n.t().streams_secret_title}</h2>
                <p role="status">{move || i18n.t().streams_secret_note}</p>
                <CopyField
                    id="stream-secret"
                    label=Signal::derive(move || i18n.t().streams_secret_label.to_owned())
                    value=Signal::derive(move || secret.get().unwrap_or_default())
                />
                <button type="button" on:click=move |_| secret.set(None)>
                    {move || i18n.t().streams_secret_done}
                </button>
            </section>
        </Show>
    }
}
