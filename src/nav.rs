//! Where the app is: the path and query of the address bar, over the History API, for the few
//! fixed routes the app has. In place of a router crate: leptos_router's matching, nesting and
//! resolution went unused here and cost 37.4 KiB brotli of the bundle (measured).
//!
//! A panel keeps its routes under the host's base path; `Nav` speaks paths without it.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::url::{encode_component, form_pairs};

/// How a navigation meets the history: a new entry, or in place of the current one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Go {
    Push,
    Replace,
}

#[derive(Clone, PartialEq, Debug, Default)]
struct At {
    /// Under the base, without a trailing slash ("/" at the root).
    path: String,
    query: Vec<(String, String)>,
}

impl At {
    fn read(base: &str) -> At {
        let location = window().location();
        let full = location.pathname().unwrap_or_default();
        let path = full.strip_prefix(base).unwrap_or(&full);
        let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
        At {
            path: if path.is_empty() {
                "/".to_owned()
            } else {
                path.to_owned()
            },
            query: form_pairs(&location.search().unwrap_or_default()),
        }
    }
}

/// The app's location; `Copy`, from context.
#[derive(Clone, Copy)]
pub struct Nav {
    base: StoredValue<String>,
    at: RwSignal<At>,
}

/// Reads the address bar, follows the browser's back and forward buttons, and provides `Nav`.
pub fn provide_nav(base: String) -> Nav {
    let at = RwSignal::new(At::read(&base));
    let base = StoredValue::new(base);
    let listener = window_event_listener(leptos::ev::popstate, move |_| {
        at.set(base.with_value(|b| At::read(b)));
    });
    on_cleanup(move || listener.remove());
    let nav = Nav { base, at };
    provide_context(nav);
    nav
}

pub fn use_nav() -> Nav {
    expect_context()
}

impl Nav {
    /// The path under the base, tracked.
    pub fn path(self) -> String {
        self.at.with(|at| at.path.clone())
    }

    /// The query's pairs, tracked.
    pub fn with_query<T>(self, f: impl FnOnce(&[(String, String)]) -> T) -> T {
        self.at.with(|at| f(&at.query))
    }

    /// One query value, tracked.
    pub fn get(self, key: &str) -> Option<String> {
        self.with_query(|q| q.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    /// The address of an app path (`/tokens?x=1`) in this document.
    pub fn href(self, to: &str) -> String {
        self.base.with_value(|base| format!("{base}{to}"))
    }

    /// Goes to an app path, with or without a query.
    pub fn go(self, to: &str, how: Go) {
        let href = self.href(to);
        if let Ok(history) = window().history() {
            let _ = match how {
                Go::Push => history.push_state_with_url(&JsValue::NULL, "", Some(&href)),
                Go::Replace => history.replace_state_with_url(&JsValue::NULL, "", Some(&href)),
            };
        }
        self.at.set(self.base.with_value(|b| At::read(b)));
    }

    /// The query as the address bar holds it, without the `?`, tracked.
    pub fn search(self) -> String {
        self.with_query(|q| query_string(q.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }

    /// Stays on this path, with the query keys in `keys` replaced by `pairs`; other keys stay.
    pub fn set(self, keys: &[&str], pairs: Vec<(&str, String)>, how: Go) {
        let (path, query) = self.at.with_untracked(|at| {
            let kept = at.query.iter().filter(|(k, _)| !keys.contains(&k.as_str()));
            let query = query_string(
                kept.map(|(k, v)| (k.as_str(), v.as_str()))
                    .chain(pairs.iter().map(|(k, v)| (*k, v.as_str()))),
            );
            (at.path.clone(), query)
        });
        // The base's own path is the panel's root: no trailing slash after it.
        let path = if path == "/" && self.base.with_value(|b| !b.is_empty()) {
            String::new()
        } else {
            path
        };
        if query.is_empty() {
            self.go(&path, how)
        } else {
            self.go(&format!("{path}?{query}"), how)
        }
    }
}

/// `a=1&b=x%20y`.
fn query_string<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let encoded: Vec<String> = pairs
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    encoded.join("&")
}

/// A link to an app path: the browser's own behaviour for a new tab or window, and for a plain
/// click a navigation in place, to the top of the new page. `aria-current` marks the page shown.
#[component]
pub fn Link(href: &'static str, children: Children) -> impl IntoView {
    let nav = use_nav();
    let follow = move |ev: web_sys::MouseEvent| {
        let modified = ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key();
        if ev.button() == 0 && !modified && !ev.default_prevented() {
            ev.prevent_default();
            nav.go(href, Go::Push);
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    };
    view! {
        <a href=nav.href(href) aria-current=move || (nav.path() == href).then_some("page") on:click=follow>
            {children()}
        </a>
    }
}

/// Replaces the current address with `to` as soon as the view that asks has been built.
pub fn redirect(to: String) {
    let nav = use_nav();
    set_timeout(move || nav.go(&to, Go::Replace), std::time::Duration::ZERO);
}
