//! The Generate dialog: a name and a lifetime, one request, then the one-time reveal of both
//! secrets with copy buttons. Closing drops the secrets from every signal and from the DOM.
//! Its steps are `crate::reveal::Flow`; the form is `form` (its fields and checks `fields`, the
//! lifetime `lifetime_field`, the permissions and ranges `permissions_field`), the reveal
//! `reveal_panel`. The page shows it as `LazyGenerateDialog`: its code is a module of its own,
//! fetched when the browser is idle or when Generate is first pressed.

mod fields;
mod form;
mod lifetime_field;
mod permissions_field;
mod reveal_panel;

use leptos::prelude::*;
use token_api::policy::WorkspacePolicy;
use token_api::tokens::{CreateTokenRequest, TokenView};

use crate::api::ApiError;
use crate::components::deferred::prefetch_when_idle;
use crate::components::error_panel::error_text;
use crate::components::modal::Modal;
use crate::i18n::use_i18n;
use crate::reveal::Flow;
use crate::state::toasts::use_toasts;
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

/// What the dialog is given, as one `Copy` value: `GenerateDialog`'s props, so that its code can
/// be a module of its own (`LazyGenerateDialog`). Each field is the prop of the same name.
#[derive(Clone, Copy)]
pub struct DialogInputs {
    pub flow: RwSignal<Flow>,
    pub workspace: Signal<String>,
    pub client_id: Signal<String>,
    pub token_endpoint: Signal<String>,
    pub names: Signal<Vec<String>>,
    pub max_days: Signal<u32>,
    pub policy: Signal<WorkspacePolicy>,
    pub admin: Signal<bool>,
    pub error: Signal<Option<ApiError>>,
    pub replacing: Signal<Option<TokenView>>,
    pub on_submit: Callback<CreateTokenRequest>,
}

fn build(i: DialogInputs) -> AnyView {
    view! {
        <GenerateDialog
            flow=i.flow
            workspace=i.workspace
            client_id=i.client_id
            token_endpoint=i.token_endpoint
            names=i.names
            max_days=i.max_days
            policy=i.policy
            admin=i.admin
            error=i.error
            replacing=i.replacing
            on_submit=i.on_submit
        />
    }
    .into_any()
}

/// The dialog's builder, or the failure to fetch its code.
type DialogCode = Result<fn(DialogInputs) -> AnyView, leptos::wasm_split::SplitLoaderError>;

/// In a split build (what Trunk builds) the dialog's code is its own wasm module, fetched the
/// first time this or `prefetch_generate_dialog` is awaited; otherwise both answer at once.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(generate_dialog, wasm_split_path = ::leptos::wasm_split, fallible, preload(prefetch_generate_dialog))]
pub fn dialog_code() -> DialogCode {
    Ok(build)
}

#[cfg(not(feature = "split"))]
pub async fn dialog_code() -> DialogCode {
    Ok(build)
}

#[cfg(not(feature = "split"))]
pub async fn prefetch_generate_dialog() -> Result<(), leptos::wasm_split::SplitLoaderError> {
    Ok(())
}

/// The Generate dialog, its code fetched when the browser is first idle, or when the dialog is
/// first opened if that comes sooner: a visit that never generates a token pays for none of it.
/// When the code cannot come (offline), the dialog closes with a toast saying so, and the next
/// Generate tries again.
#[component]
pub fn LazyGenerateDialog(
    /// The dialog's props.
    inputs: DialogInputs,
) -> impl IntoView {
    let (i18n, toasts) = (use_i18n(), use_toasts());
    let code = RwSignal::new(None::<fn(DialogInputs) -> AnyView>);
    prefetch_when_idle(prefetch_generate_dialog);
    Effect::new(move |_| {
        if inputs.flow.with(|f| *f != Flow::Closed) && code.with_untracked(Option::is_none) {
            leptos::task::spawn_local(async move {
                match dialog_code().await {
                    Ok(build) => {
                        let _ = code.try_set(Some(build));
                    }
                    Err(_) => {
                        inputs.flow.try_update(|f| {
                            f.close();
                        });
                        toasts.error(error_text(i18n.t(), &ApiError::Network(String::new())), vec![]);
                    }
                }
            });
        }
    });
    move || code.get().map(|build| untrack(move || build(inputs)))
}
