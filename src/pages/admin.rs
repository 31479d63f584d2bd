//! The Admins page: every token of the workspace, filtered, counted and paged by the service,
//! acted on one, many or all-matching at a time; leak triage; and the audit trail. Only admins
//! of the current workspace get in; the service refuses everyone else regardless.

mod add_member;
mod audit_tab;
mod count_chips;
mod leak_check;
mod token_filters;
mod tokens_tab;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::hooks::use_title::use_title;
use crate::i18n::use_i18n;
use crate::nav::{use_nav, Change};
use crate::state::session::use_session;

/// `/admin/tokens`.
#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let is_admin = Memo::new(move |_| session.is_admin());
    let url = use_nav();
    let audit = Memo::new(move |_| url.get("tab").as_deref() == Some("audit"));
    use_title(move || {
        let t = i18n.t();
        match (is_admin.get(), audit.get()) {
            (false, _) => t.not_allowed_title.to_owned(),
            (true, false) => format!("{} · {}", t.tab_tokens, t.admin_title),
            (true, true) => format!("{} · {}", t.tab_audit, t.admin_title),
        }
    });
    let choose = move |to_audit: bool| {
        url.change_view(
            &["tab"],
            if to_audit {
                vec![("tab", "audit".to_owned())]
            } else {
                vec![]
            },
            Change::Committed,
        );
    };
    // Arrow keys move between the two tabs, as the ARIA tabs pattern has it.
    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
            ev.prevent_default();
            let to_audit = match ev.key().as_str() {
                "Home" => false,
                "End" => true,
                _ => !audit.get_untracked(),
            };
            choose(to_audit);
            let id = if to_audit { "tab-audit" } else { "tab-tokens" };
            let near = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            if let Some(tab) = near.and_then(|n| crate::dom::element_by_id(&n, id)) {
                let _ = tab.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        }
    };
    view! {
        <Show
            when=move || is_admin.get()
            fallback=move || {
                view! {
                    <h1>{move || i18n.t().not_allowed_title}</h1>
                    <p role="alert">{move || i18n.t().not_allowed_body}</p>
                }
            }
        >
            <div class="page-head">
                <div>
                    <h1>{move || i18n.t().admin_title}</h1>
                    <p class="intro">{move || i18n.t().admin_intro}</p>
                </div>
                <add_member::AddMember />
            </div>
            <div class="tabs" role="tablist" aria-label=move || i18n.t().tabs_label on:keydown=on_tab_key>
                <button
                    type="button"
                    role="tab"
                    id="tab-tokens"
                    aria-controls="panel-tokens"
                    aria-selected=move || (!audit.get()).to_string()
                    tabindex=move || if audit.get() { "-1" } else { "0" }
                    on:click=move |_| choose(false)
                >
                    {move || i18n.t().tab_tokens}
                </button>
                <button
                    type="button"
                    role="tab"
                    id="tab-audit"
                    aria-controls="panel-audit"
                    aria-selected=move || audit.get().to_string()
                    tabindex=move || if audit.get() { "0" } else { "-1" }
                    on:click=move |_| choose(true)
                >
                    {move || i18n.t().tab_audit}
                </button>
            </div>
            <Show
                when=move || audit.get()
                fallback=move || {
                    view! {
                        <section role="tabpanel" id="panel-tokens" aria-labelledby="tab-tokens">
                            <tokens_tab::TokensTab url />
                        </section>
                    }
                }
            >
                <section role="tabpanel" id="panel-audit" aria-labelledby="tab-audit">
                    <audit_tab::AuditTab url />
                </section>
            </Show>
        </Show>
    }
}
