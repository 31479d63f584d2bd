//! The Users page: the signed-in member's own tokens in the current workspace.

use leptos::prelude::*;

use crate::api;
use crate::components::error_panel::ErrorPanel;
use crate::components::token_table::TokenTable;
use crate::i18n::use_i18n;
use crate::state::session::use_session;

/// `/tokens`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let workspace_id = Memo::new(move |_| session.workspace().map(|w| w.id));
    let tokens = LocalResource::new(move || {
        let ws = workspace_id.get();
        async move {
            match ws {
                Some(ws) => api::tokens::list(ws).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let body = move || {
        Suspend::new(async move {
            match tokens.await {
                Ok(Some(list)) if list.tokens.is_empty() => {
                    view! { <p class="empty">{move || i18n.t().empty_tokens}</p> }.into_any()
                }
                Ok(Some(list)) => {
                    view! { <TokenTable tokens=list.tokens caption=Signal::derive(move || i18n.t().users_title.to_owned()) /> }
                        .into_any()
                }
                Ok(None) => view! { <p class="empty">{move || i18n.t().no_workspace}</p> }.into_any(),
                Err(error) => {
                    session.check(&error);
                    view! { <ErrorPanel error on_retry=Callback::new(move |_| tokens.refetch()) /> }.into_any()
                }
            }
        })
    };
    view! {
        <h1>{move || i18n.t().users_title}</h1>
        <p class="intro">{move || i18n.t().users_intro}</p>
        <Transition fallback=move || view! { <p class="page-loading" role="status">{move || i18n.t().loading}</p> }>
            {body}
        </Transition>
    }
}
