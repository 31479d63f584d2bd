//! The Users page: the signed-in member's own tokens in the current workspace. Generate with a
//! one-time reveal; disable or delete one token from its menu, or many from the toolbar. The
//! view (sort, status, search, page) lives in the URL (`list_view`); Generate and Regenerate
//! are `generate`; the alerts above the list `notices`.

mod generate;
mod list_view;
mod notices;

use leptos::prelude::*;
use token_api::tokens::{BatchAction, TokenView};
use token_api::validate::LIFETIME_DAYS;

use crate::api;
use crate::components::bulk_toolbar::BulkToolbar;
use crate::components::calendar_feed::CalendarFeed;
use crate::components::copy_field::CopyField;
use crate::components::description_editor::DescriptionEditor;
use crate::components::generate_dialog::{DialogInputs, LazyGenerateDialog};
use crate::components::loaded::Loaded;
use crate::components::token_actions::{use_token_actions, ActionConfirm, Pending, Target};
use crate::components::token_table::{RowActions, TokenTable};
use crate::hooks::use_title::use_title;
use crate::hooks::use_token_selection::use_token_selection;
use crate::i18n::use_i18n;
use crate::nav::use_nav;
use crate::state::session::use_session;
use generate::{refusal, use_generate};
use list_view::{list_filters, list_pager, use_list_view};
use notices::{expiry_banner, reuse_alert};

/// The token endpoint's absolute URL on this origin.
fn token_endpoint() -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let path = crate::api::url(token_api::oauth::TOKEN_PATH);
    format!("{origin}{path}")
}

/// `/tokens`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    use_title(move || i18n.t().users_title.to_owned());

    let workspace = Memo::new(move |_| session.workspace());
    let workspace_id = Memo::new(move |_| workspace.get().map(|w| w.id));
    // The list, per workspace; read again after every change the page makes. A reload keeps the
    // last list on screen until the next arrives.
    let loaded = LocalResource::new(move || {
        let ws = workspace_id.get();
        async move {
            match ws {
                Some(ws) => api::tokens::list(ws).await.map(|l| Some(l.tokens)),
                None => Ok(None),
            }
        }
    });
    let tokens = Memo::new(move |_| {
        loaded.with(|r| match r {
            Some(Ok(Some(list))) => list.clone(),
            _ => Vec::new(),
        })
    });
    let view = use_list_view(use_nav(), tokens);
    // Rows the filter removes leave the selection; rows on other pages stay selected.
    let selected = use_token_selection(view.matching.into());
    let generate = use_generate(workspace_id, move || loaded.refetch());

    // Disable and delete, one or many, each behind a confirmation. One request: a member's page
    // lists all of theirs, so there is no "all that match" beyond the selection.
    let actions = use_token_actions(
        move |p: Pending, _reason| {
            api::tokens::batch(
                workspace_id.get_untracked().unwrap_or_default(),
                p.action,
                p.ids().unwrap_or_default(),
            )
        },
        move |_, done| {
            selected.remove(done);
            loaded.refetch();
        },
    );
    let bulk = move |action: BatchAction| {
        actions.ask(
            action,
            Target::Many(selected.targets(action)),
            selected.count().selected,
        );
    };
    // The token whose description is being edited.
    let describing = RwSignal::new(None::<TokenView>);
    let regenerate = Callback::new(move |token: TokenView| generate.open(Some(token)));
    let row_actions = RowActions {
        disable: actions.one(BatchAction::Disable),
        delete: actions.one(BatchAction::Delete),
        show_owner: None,
        show_owner_label: None,
        regenerate: Some(regenerate),
        describe: Some(Callback::new(move |token: TokenView| describing.set(Some(token)))),
    };
    let client_id = Signal::derive(move || workspace.get().map(|w| w.client_id).unwrap_or_default());
    let workspace_name = Signal::derive(move || workspace.get().map(|w| w.name).unwrap_or_default());
    let endpoint = Signal::derive(token_endpoint);
    let max_days = Signal::derive(move || {
        workspace
            .get()
            .map_or(*LIFETIME_DAYS.end(), |w| w.policy.max_lifetime_days)
    });
    let refusal = move || {
        workspace
            .get()
            .and_then(|w| tokens.with(|all| refusal(&w, all, i18n.t())))
    };

    let list = move || {
        view! {
            // With no tokens, no bulk hint (nothing to select) and one Generate button, the page's.
            <Show
                when=move || !tokens.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{move || i18n.t().empty_tokens}</p> }
            >
                {reuse_alert(tokens)}
                {expiry_banner(tokens, regenerate)}
                <BulkToolbar
                    count=Signal::derive(move || selected.count())
                    on_disable=Callback::new(move |_| bulk(BatchAction::Disable))
                    on_delete=Callback::new(move |_| bulk(BatchAction::Delete))
                    on_clear=Callback::new(move |_| selected.clear())
                />
                {list_filters(view)}
                {list_pager(view)}
                <TokenTable
                    rows=view.rows
                    caption=Signal::derive(move || i18n.t().users_title.to_owned())
                    selection=selected.selection
                    sort=Signal::derive(move || view.query.with(|v| (v.sort, v.dir)))
                    on_sort=Callback::new(move |field| view.sort_by(field))
                    actions=row_actions
                    empty=Signal::derive(move || i18n.t().no_match.to_owned())
                />
            </Show>
        }
    };
    let body = move || match workspace.get() {
        None => view! { <p class="empty">{move || i18n.t().no_workspace}</p> }.into_any(),
        Some(_) => list().into_any(),
    };

    view! {
        <div class="page-head">
            <div>
                <h1>
                    {move || match workspace.get() {
                        Some(w) => (i18n.t().users_heading)(&w.name),
                        None => i18n.t().users_title.to_owned(),
                    }}
                </h1>
                <p class="intro">{move || i18n.t().users_intro}</p>
                <p class="intro">{move || i18n.t().intro_lifetimes}</p>
            </div>
            <div class="generate-box">
                // Disabled, it says why (read with the button).
                <button
                    type="button"
                    class="button button-primary"
                    on:click=move |_| generate.open(None)
                    disabled=move || workspace.get().is_none() || refusal().is_some()
                    aria-describedby="generate-refusal"
                >
                    {move || i18n.t().generate}
                </button>
                <p id="generate-refusal" class="muted small" hidden=move || refusal().is_none()>{refusal}</p>
            </div>
        </div>
        <div class="client-details">
            <CopyField id="client-id" label=Signal::derive(move || i18n.t().client_id_label.to_owned()) value=client_id />
            <CopyField id="token-endpoint" label=Signal::derive(move || i18n.t().token_endpoint_label.to_owned()) value=endpoint />
        </div>
        // A calendar of expiry dates is offered once there is a token to expire.
        <Show when=move || tokens.with(|all| !all.is_empty())>
            <CalendarFeed workspace_id />
        </Show>
        <Loaded resource=loaded>{body}</Loaded>
        <LazyGenerateDialog inputs=DialogInputs {
            flow: generate.flow,
            workspace: workspace_name,
            client_id,
            token_endpoint: endpoint,
            names: Signal::derive(move || tokens.with(|all| all.iter().map(|t| t.name.clone()).collect())),
            max_days,
            policy: Signal::derive(move || workspace.get().map(|w| w.policy).unwrap_or_default()),
            admin: Signal::derive(move || workspace.get().is_some_and(|w| w.role == token_api::auth::Role::Admin)),
            error: generate.error.into(),
            replacing: generate.replacing.into(),
            on_submit: generate.on_submit,
        } />
        <ActionConfirm actions />
        <DescriptionEditor token=describing on_saved=Callback::new(move |_| loaded.refetch()) />
    }
}
