//! Generate and Regenerate on the Users page: the one request, where the secrets go (the
//! dialog's flow and nowhere else), the browser's question when leaving while they are shown,
//! and the policy's refusal said beside the button.

use std::rc::Rc;

use chrono::Utc;
use leptos::prelude::*;
use token_api::auth::{Role, WorkspaceSummary};
use token_api::policy::Creators;
use token_api::tokens::{CreateTokenRequest, TokenStatus, TokenView};

use crate::api::{self, ApiError};
use crate::embed::events::{use_events, EventKind};
use crate::i18n::use_i18n;
use crate::reveal::Flow;
use crate::state::toasts::use_toasts;
use crate::token_query::status_now;

/// The dialog's state and handlers; `Copy`.
#[derive(Clone, Copy)]
pub struct Generate {
    pub flow: RwSignal<Flow>,
    /// Regenerate: the token the dialog replaces, while it is open for one.
    pub replacing: RwSignal<Option<TokenView>>,
    /// The last request's failure.
    pub error: RwSignal<Option<ApiError>>,
    pub on_submit: Callback<CreateTokenRequest>,
}

/// Generate in workspace `ws`; `created` runs after a token is made.
pub fn use_generate(ws: Memo<Option<String>>, created: impl Fn() + 'static) -> Generate {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let events = use_events();
    let flow = RwSignal::new(Flow::Closed);
    let error = RwSignal::new(None::<ApiError>);
    let created = Rc::new(created);
    let create = Action::new_local(move |request: &CreateTokenRequest| {
        let (ws, request) = (ws.get_untracked(), request.clone());
        let created = Rc::clone(&created);
        let regenerated = request.replaces.is_some();
        let sent = ws.map(|ws| api::tokens::create(ws, request));
        async move {
            let Some(sent) = sent else { return };
            match sent.await {
                Ok(made) => {
                    let (id, name) = (made.token.id.clone(), made.token.name.clone());
                    flow.update(|f| f.created(made.access_token, made.refresh_token));
                    let toast = if regenerated {
                        i18n.t().regenerated_toast
                    } else {
                        i18n.t().created_toast
                    };
                    toasts.success(toast(&name));
                    events.emit_one(EventKind::Created, &id, &name);
                    created();
                }
                Err(e) => {
                    error.set(Some(e));
                    flow.update(|f| f.failed());
                }
            }
        }
    });
    // Leaving the page while secrets are shown: the browser asks first.
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if flow.with_untracked(|f| f.holds_secrets()) {
            ev.prevent_default();
            ev.set_return_value("unsaved");
        }
    });
    on_cleanup(move || unload.remove());
    Generate {
        flow,
        replacing: RwSignal::new(None),
        error,
        on_submit: Callback::new(move |request| {
            error.set(None);
            create.dispatch_local(request);
        }),
    }
}

impl Generate {
    /// Opens the dialog for a new token, or for one replacing `old`.
    pub fn open(self, old: Option<TokenView>) {
        self.error.set(None);
        self.replacing.set(old);
        self.flow.update(|f| f.open());
    }
}

/// Why Generate is not offered, if it is not: only admins generate here, or the member holds as
/// many active tokens as the policy allows.
pub fn refusal(workspace: &WorkspaceSummary, tokens: &[TokenView], t: &crate::i18n::Messages) -> Option<String> {
    let policy = &workspace.policy;
    if policy.creators == Creators::Admins && workspace.role != Role::Admin {
        return Some((t.policy_admins_only)(&workspace.name));
    }
    let cap = policy.max_active_per_member?;
    let now = Utc::now();
    let active = tokens
        .iter()
        .filter(|t| status_now(t, now) == TokenStatus::Active)
        .count();
    (active >= cap as usize).then(|| (t.policy_cap_reached)(cap, &workspace.name))
}
