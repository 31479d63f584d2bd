//! The Admins page: every token of the workspace, filtered, counted and paged by the service,
//! acted on one, many or all-matching at a time; leak triage; and the audit trail. Only admins
//! of the current workspace get in; the service refuses everyone else regardless.

mod add_member;
mod all_matching;
mod audit_tab;
mod count_chips;
mod leak_check;
mod members_tab;
mod policy_tab;
mod streams_tab;
mod token_filters;
mod tokens_pager;
mod tokens_tab;

use leptos::prelude::*;
use token_api::admin::MemberList;
use wasm_bindgen::JsCast;

use crate::hooks::use_title::use_title;
use crate::i18n::{use_i18n, Messages};
use crate::nav::{use_nav, Change};
use crate::state::session::use_session;

/// The page's tabs, by their `tab` value in the URL (none for the first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Tokens,
    Audit,
    Members,
    Policy,
    Streams,
}

impl Tab {
    const ALL: [Tab; 5] = [Tab::Tokens, Tab::Audit, Tab::Members, Tab::Policy, Tab::Streams];

    fn key(self) -> Option<&'static str> {
        match self {
            Tab::Tokens => None,
            Tab::Audit => Some("audit"),
            Tab::Members => Some("members"),
            Tab::Policy => Some("policy"),
            Tab::Streams => Some("streaming"),
        }
    }

    fn id(self) -> &'static str {
        match self {
            Tab::Tokens => "tokens",
            Tab::Audit => "audit",
            Tab::Members => "members",
            Tab::Policy => "policy",
            Tab::Streams => "streaming",
        }
    }

    fn label(self, t: &Messages) -> &'static str {
        match self {
            Tab::Tokens => t.tab_tokens,
            Tab::Audit => t.tab_audit,
            Tab::Members => t.tab_members,
            Tab::Policy => t.tab_policy,
            Tab::Streams => t.tab_streams,
        }
    }

    fn of(value: Option<String>) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| t.key() == value.as_deref())
            .unwrap_or(Tab::Tokens)
    }
}

/// `/admin/tokens`.
#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let is_admin = Memo::new(move |_| session.is_admin());
    let ws = Memo::new(move |_| session.workspace().map(|w| w.id).unwrap_or_default());
    let url = use_nav();
    let tab = Memo::new(move |_| Tab::of(url.get("tab")));
    // The workspace's members, read once for every tab (the owner and actor pickers, the Members
    // tab) and again when Add member or the Members tab changed them. Not asked for by someone
    // the page turns away.
    let members = LocalResource::new(move || {
        let (ws, admin) = (session.workspace().map(|w| w.id).unwrap_or_default(), is_admin.get());
        async move {
            if admin {
                crate::api::admin::members(ws).await
            } else {
                Ok(MemberList::default())
            }
        }
    });
    use_title(move || {
        let t = i18n.t();
        if is_admin.get() {
            format!("{} · {}", tab.get().label(t), t.admin_title)
        } else {
            t.not_allowed_title.to_owned()
        }
    });
    let choose = move |to: Tab| {
        let pairs = to.key().map(|k| ("tab", k.to_owned())).into_iter().collect();
        url.change_view(&["tab"], pairs, Change::Committed);
    };
    // Arrow keys, Home and End move between the tabs, as the ARIA tabs pattern has it.
    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        let at = Tab::ALL.iter().position(|t| *t == tab.get_untracked()).unwrap_or(0);
        let n = Tab::ALL.len();
        let to = match ev.key().as_str() {
            "ArrowLeft" => (at + n - 1) % n,
            "ArrowRight" => (at + 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        ev.prevent_default();
        let to = Tab::ALL[to];
        choose(to);
        let near = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        if let Some(el) = near.and_then(|n| crate::dom::element_by_id(&n, &format!("tab-{}", to.id()))) {
            let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
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
                // Each tab's own heading; the tokens' intro on their tab only.
                <div>
                    <h1>
                        {move || match tab.get() {
                            Tab::Tokens => i18n.t().admin_title,
                            other => other.label(i18n.t()),
                        }}
                    </h1>
                    <p class="intro" hidden=move || tab.get() != Tab::Tokens>{move || i18n.t().admin_intro}</p>
                </div>
                <add_member::AddMember on_added=Callback::new(move |_| members.refetch()) />
            </div>
            <div class="tabs" role="tablist" aria-label=move || i18n.t().tabs_label on:keydown=on_tab_key>
                {Tab::ALL
                    .into_iter()
                    .map(|t| {
                        let on = move || tab.get() == t;
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("tab-{}", t.id())
                                aria-controls=format!("panel-{}", t.id())
                                aria-selected=move || on().to_string()
                                tabindex=move || if on() { "0" } else { "-1" }
                                on:click=move |_| choose(t)
                            >
                                {move || t.label(i18n.t())}
                            </button>
                        }
                    })
                    .collect::<Vec<_>>()}
            </div>
            {move || {
                let t = tab.get();
                let panel = match t {
                    Tab::Tokens => view! { <tokens_tab::TokensTab ws url members /> }.into_any(),
                    Tab::Audit => view! { <audit_tab::AuditTab ws url members /> }.into_any(),
                    Tab::Members => view! { <members_tab::MembersTab members /> }.into_any(),
                    Tab::Policy => view! { <policy_tab::PolicyTab /> }.into_any(),
                    Tab::Streams => view! { <streams_tab::StreamsTab ws /> }.into_any(),
                };
                view! {
                    <section role="tabpanel" id=format!("panel-{}", t.id()) aria-labelledby=format!("tab-{}", t.id())>
                        {panel}
                    </section>
                }
            }}
        </Show>
    }
}
