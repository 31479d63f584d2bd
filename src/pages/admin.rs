//! The Admins page: every token of the workspace, filtered, counted and paged by the service,
//! acted on one, many or all-matching at a time; leak triage; and the audit trail. Only admins
//! of the current workspace get in; the service refuses everyone else regardless.

mod audit_tab;
mod leak_check;
mod tokens_tab;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use wasm_bindgen::JsCast;

use crate::i18n::use_i18n;
use crate::state::session::use_session;
use crate::url::encode_component;

/// The page's state in the URL: every query key, read and written as pairs.
#[derive(Clone, Copy)]
pub(crate) struct UrlState {
    query: Memo<Vec<(String, String)>>,
    write: Callback<Vec<(String, String)>>,
}

impl UrlState {
    fn new() -> UrlState {
        let map = use_query_map();
        let location = use_location();
        let navigate = use_navigate();
        let query = Memo::new(move |_| {
            let search = location.search.get();
            let _ = map.get();
            form_pairs(&search)
        });
        let write = Callback::new(move |pairs: Vec<(String, String)>| {
            let qs: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_component(v)))
                .collect();
            let path = location.pathname.get_untracked();
            let url = if qs.is_empty() {
                path
            } else {
                format!("{path}?{}", qs.join("&"))
            };
            navigate(
                &url,
                NavigateOptions {
                    scroll: false,
                    // The pathname already holds the router's base (a host's base path).
                    resolve: false,
                    ..Default::default()
                },
            );
        });
        UrlState { query, write }
    }

    /// The value of one key.
    pub(crate) fn get(self, key: &str) -> Option<String> {
        self.query
            .with(|q| q.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    /// Replaces the keys in `keys` with `pairs`, keeping every other key.
    pub(crate) fn set(self, keys: &[&str], pairs: Vec<(&str, String)>) {
        let mut all: Vec<(String, String)> = self
            .query
            .get_untracked()
            .into_iter()
            .filter(|(k, _)| !keys.contains(&k.as_str()))
            .collect();
        all.extend(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)));
        self.write.run(all);
    }
}

/// Decodes `a=1&b=x%20y` (with or without a leading `?`).
fn form_pairs(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/admin/tokens`.
#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let is_admin = Memo::new(move |_| session.is_admin());
    let url = UrlState::new();
    let audit = Memo::new(move |_| url.get("tab").as_deref() == Some("audit"));
    let choose = move |to_audit: bool| {
        url.set(
            &["tab"],
            if to_audit {
                vec![("tab", "audit".to_owned())]
            } else {
                vec![]
            },
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
            <h1>{move || i18n.t().admin_title}</h1>
            <p class="intro">{move || i18n.t().admin_intro}</p>
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

#[cfg(test)]
mod tests {
    use super::form_pairs;

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            form_pairs("?q=a%20b&owner=u-1&x=%E9%83%A8+%"),
            [
                ("q".into(), "a b".into()),
                ("owner".into(), "u-1".into()),
                ("x".into(), "部 %".into())
            ]
        );
        assert!(form_pairs("").is_empty());
    }
}
