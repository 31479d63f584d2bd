//! The one-time reveal: both secrets with Copy buttons, a `.env` snippet and a `curl` command,
//! and the question when closing before anything was copied.

use leptos::prelude::*;

use crate::components::copy_field::CopyField;
use crate::i18n::use_i18n;
use crate::reveal::{Flow, Revealed, Secret};

#[component]
pub fn RevealPanel(
    /// The secrets, as they were when the reveal was built.
    revealed: Revealed,
    flow: RwSignal<Flow>,
    /// The token's name, its description and the date its refresh token stops.
    name: Signal<String>,
    description: Signal<Option<String>>,
    expires: Signal<String>,
    workspace: Signal<String>,
    client_id: Signal<String>,
    token_endpoint: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    // The form that had focus is gone: focus goes to the reveal's title, which a screen reader
    // then reads, rather than to the page's body.
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    // The close question takes the focus, on its safe answer (`autofocus` works only as a dialog
    // opens).
    let keep_open = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = keep_open.get() {
            let _ = button.focus();
        }
    });
    let close = move || {
        flow.update(|f| {
            f.close();
        })
    };
    let confirming = move || flow.with(|f| matches!(f, Flow::Revealed(r) if r.confirming_close));
    let copied = move |secret: Secret| Callback::new(move |_| flow.update(|f| f.copied(secret)));
    let Revealed {
        access_token: access,
        refresh_token: refresh,
        ..
    } = revealed;
    let env = {
        let (access, refresh) = (access.clone(), refresh.clone());
        Signal::derive(move || {
            format!(
                "TOKEN_CONSOLE_CLIENT_ID={}\nTOKEN_CONSOLE_TOKEN_ENDPOINT={}\nTOKEN_CONSOLE_ACCESS_TOKEN={access}\nTOKEN_CONSOLE_REFRESH_TOKEN={refresh}\n",
                client_id.get(),
                token_endpoint.get()
            )
        })
    };
    let curl = {
        let refresh = refresh.clone();
        Signal::derive(move || {
            format!(
                "{}\ncurl -s {} \\\n  -d grant_type=refresh_token \\\n  -d client_id={} \\\n  -d refresh_token={refresh}",
                i18n.t().curl_comment,
                token_endpoint.get(),
                client_id.get()
            )
        })
    };
    view! {
        <div class="reveal">
            <h2 id="generate-title" tabindex="-1" node_ref=heading>{move || (i18n.t().reveal_title)(name.get().trim())}</h2>
            <p class="reveal-where">{move || (i18n.t().reveal_workspace)(&workspace.get())}</p>
            {move || description.get().map(|d| view! { <p class="reveal-description">{d}</p> })}
            <p class="notice notice-warning">{move || i18n.t().reveal_warning}</p>
            <p class="notice notice-info">{move || i18n.t().reveal_rotation}</p>
            <CopyField
                id="access-token"
                label=Signal::derive(move || i18n.t().access_token_label.to_owned())
                value=Signal::stored(access)
                on_copied=copied(Secret::Access)
            />
            <CopyField
                id="refresh-token"
                label=Signal::derive(move || (i18n.t().refresh_token_label)(&expires.get()))
                value=Signal::stored(refresh)
                on_copied=copied(Secret::Refresh)
            />
            <details class="more-copies">
                <summary>{move || i18n.t().copy_env}" · "{move || i18n.t().curl_label}</summary>
                <CopyField id="env-snippet" multiline=true label=Signal::derive(move || i18n.t().env_label.to_owned()) value=env on_copied=copied(Secret::Both) />
                <CopyField id="curl-command" multiline=true label=Signal::derive(move || i18n.t().curl_label.to_owned()) value=curl on_copied=copied(Secret::Both) />
            </details>
            <Show
                when=confirming
                fallback=move || {
                    view! {
                        <div class="dialog-actions">
                            <button type="button" class="button button-primary" on:click=move |_| close()>
                                {move || i18n.t().close}
                            </button>
                        </div>
                    }
                }
            >
                <div class="notice notice-danger" role="alert">
                    <p><strong>{move || i18n.t().confirm_close_title}</strong></p>
                    <p>{move || i18n.t().confirm_close_body}</p>
                    <div class="dialog-actions">
                        <button type="button" class="button" node_ref=keep_open on:click=move |_| flow.update(|f| f.keep_open())>
                            {move || i18n.t().keep_open}
                        </button>
                        <button type="button" class="button button-danger" on:click=move |_| close()>
                            {move || i18n.t().close_anyway}
                        </button>
                    </div>
                </div>
            </Show>
        </div>
    }
}
