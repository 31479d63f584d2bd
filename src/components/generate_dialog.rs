//! The Generate dialog: a name and a lifetime, one request, then the one-time reveal of both
//! secrets with copy buttons. Closing drops the secrets from every signal and from the DOM.
//! Its steps are `crate::reveal::Flow`; the form is `form` (its fields and checks `fields`, the
//! lifetime `lifetime_field`), the reveal `reveal_panel`.

mod fields;
mod form;
mod lifetime_field;
mod permissions_field;
mod reveal_panel;

use leptos::prelude::*;
use token_api::policy::WorkspacePolicy;
use token_api::tokens::{CreateTokenRequest, TokenView};

use crate::api::ApiError;
use crate::components::modal::Modal;
use crate::i18n::use_i18n;
use crate::reveal::Flow;
use fields::Fields;
use form::GenerateForm;
use reveal_panel::RevealPanel;

/// The dialog, driven by `flow`.
#[component]
pub fn GenerateDialog(
    /// Where the dialog is; it moves the flow on Escape, Close and copies.
    flow: RwSignal<Flow>,
    /// The name of the workspace the token will work in (and only there), said in the title and
    /// the reveal.
    #[prop(into)]
    workspace: Signal<String>,
    /// The workspace's OAuth client id, for the `.env` snippet and the `curl` command.
    #[prop(into)]
    client_id: Signal<String>,
    /// The token endpoint's absolute URL.
    #[prop(into)]
    token_endpoint: Signal<String>,
    /// The names of the user's tokens here: a name already taken is pointed out (not refused:
    /// two tokens may share a name, but the list and the audit trail cannot tell them apart).
    #[prop(into)]
    names: Signal<Vec<String>>,
    /// The longest lifetime the workspace's policy allows: longer presets are not offered.
    #[prop(into)]
    max_days: Signal<u32>,
    /// The workspace's policy: the permissions to choose from and the ranges to stay within.
    #[prop(into)]
    policy: Signal<WorkspacePolicy>,
    /// The user is an admin of the workspace: the members' cap on permissions does not bind them.
    #[prop(into)]
    admin: Signal<bool>,
    /// The last request's failure, shown in the dialog; the input stays.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
    /// Regenerate: the token the new one replaces (its name and lifetime are proposed, and the
    /// user picks how long the old one keeps working); `None` to generate a new one.
    #[prop(optional, into)]
    replacing: Option<Signal<Option<TokenView>>>,
    /// Send the request.
    on_submit: Callback<CreateTokenRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let fields = Fields::new();
    let replacing = replacing.unwrap_or_else(|| Signal::stored(None));
    // A fresh form each time the dialog opens: for Regenerate, the old token's.
    Effect::new(move |_| {
        if flow.with(|f| *f == Flow::Closed) {
            fields.reset(max_days.get());
        }
    });
    Effect::new(move |_| {
        if let Some(old) = replacing.get() {
            fields.fill(old, max_days.get_untracked());
        }
    });
    let escape = Callback::new(move |_| {
        let typed = replacing.with(Option::is_none) && fields.typed();
        let editing = flow.with(|f| matches!(f, Flow::Editing { .. }));
        if editing && typed && !fields.discarding.get_untracked() {
            fields.discarding.set(true);
        } else {
            flow.update(Flow::escape);
        }
    });

    // Rebuilt only when the step changes, not on every copy. The secrets live only inside the
    // Revealed arm: when the flow leaves it, they leave the DOM.
    #[derive(Clone, Copy, PartialEq)]
    enum Step {
        Closed,
        Form,
        Reveal,
    }
    let step = Memo::new(move |_| match &*flow.read() {
        Flow::Closed => Step::Closed,
        Flow::Editing { .. } => Step::Form,
        Flow::Revealed(_) => Step::Reveal,
    });
    let body = move || match (step.get(), flow.get_untracked()) {
        (Step::Form, _) => {
            view! { <GenerateForm fields flow workspace names max_days policy admin error replacing on_submit /> }
                .into_any()
        }
        (Step::Reveal, Flow::Revealed(revealed)) => view! {
            <RevealPanel
                revealed
                flow
                name=fields.name.into()
                description=Signal::derive(move || fields.description_check().ok().flatten())
                expires=Signal::derive(move || fields.expiry_date(i18n.locale.get(), max_days.get()))
                workspace
                client_id
                token_endpoint
            />
        }
        .into_any(),
        _ => ().into_any(),
    };
    view! {
        <Modal open=Signal::derive(move || flow.with(|f| *f != Flow::Closed)) on_escape=escape labelled_by="generate-title">
            {body}
        </Modal>
    }
}
