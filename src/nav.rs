//! Where the page is: the path under the base and the query, read from leptos_router's
//! location, and the one way the pages change them (`Nav::change_view`, one history rule for
//! both token pages). The app's routes are declared in `app.rs`; a panel has a router too, with
//! its host page's path as the base and no route table.
//!
//! `Nav` speaks paths without the base.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::url::{form_pairs, query_string};

/// How a navigation meets the history: a new entry, or in place of the current one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Go {
    Push,
    Replace,
}

/// Why the view changes, which decides how it meets the history: one rule for every page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Change {
    /// A filter, a sort, a page, a tab: a new history entry, so Back undoes it and stays in
    /// the app.
    Committed,
    /// A keystroke in a search box: the first after a pause is a new entry and the rest of the
    /// burst replace it, so Back undoes the whole search at once, not one letter.
    Typing,
}

/// How long a pause ends a burst of typing.
const TYPING_PAUSE_MS: f64 = 1_000.0;

/// The base path the pages live under (a panel's host route; empty in the app), provided at the
/// root so `Nav` can speak paths without it.
#[derive(Clone, Debug, Default)]
pub struct RouterBase(pub String);

/// The router's navigation function, kept where a `Copy` handle can reach it.
type Navigate = Rc<dyn Fn(&str, NavigateOptions)>;

/// The app's location; `Copy`.
#[derive(Clone, Copy)]
pub struct Nav {
    base: StoredValue<String>,
    pathname: Signal<String>,
    search: Signal<String>,
    navigate: StoredValue<Navigate, LocalStorage>,
    /// When the last keystroke of a search changed the view (ms since the epoch).
    typed_at: StoredValue<f64>,
    /// The query this page last wrote: a burst of typing goes on only from there, not from an
    /// entry Back or Forward landed on.
    written: StoredValue<String>,
}

/// The location of the `<Router>` this is called under.
pub fn use_nav() -> Nav {
    let base = StoredValue::new(use_context::<RouterBase>().unwrap_or_default().0);
    let location = use_location();
    Nav {
        base,
        pathname: location.pathname.into(),
        search: location.search.into(),
        navigate: StoredValue::new_local(Rc::new(use_navigate())),
        typed_at: StoredValue::new(0.0),
        written: StoredValue::new(String::new()),
    }
}

/// `path` under `base`, segment by segment: `/settings/tokens-old` is not under
/// `/settings/tokens`. `None` when it is not under it at all.
fn under_base<'p>(base: &str, path: &'p str) -> Option<&'p str> {
    let rest = path.strip_prefix(base)?;
    if rest.is_empty() || rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

impl Nav {
    /// The path under the base, without a trailing slash ("/" at the root), tracked.
    pub fn path(self) -> String {
        let full = self.pathname.get();
        let path = self
            .base
            .with_value(|base| under_base(base, &full).map(str::to_owned))
            .unwrap_or(full);
        let path = path.strip_suffix('/').unwrap_or(&path);
        if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        }
    }

    /// The query's pairs, in order, tracked.
    pub fn with_query<T>(self, f: impl FnOnce(&[(String, String)]) -> T) -> T {
        self.search.with(|search| f(&form_pairs(search)))
    }

    /// One query value, tracked.
    pub fn get(self, key: &str) -> Option<String> {
        self.with_query(|q| q.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    /// The address of an app path (`/tokens?x=1`) in this document.
    pub fn href(self, to: &str) -> String {
        self.base.with_value(|base| format!("{base}{to}"))
    }

    /// Goes to an app path, with or without a query, staying where the page is scrolled.
    pub fn go(self, to: &str, how: Go) {
        let options = NavigateOptions {
            resolve: false,
            replace: how == Go::Replace,
            scroll: false,
            ..NavigateOptions::default()
        };
        let href = self.href(to);
        self.navigate.with_value(|navigate| navigate(&href, options));
    }

    /// The query as the address bar holds it, without the `?`, tracked.
    pub fn search(self) -> String {
        self.with_query(|q| query_string(q.iter().map(|(k, v)| (k, v))))
    }

    /// A change of the page's view: the query keys in `keys` replaced by `pairs` (other keys, a
    /// host page's own, stay), pushed or replaced as `change` has it.
    /// A view that does not change is no new entry: Back would seem to do nothing.
    pub fn change_view(self, keys: &[&str], pairs: Vec<(&str, String)>, change: Change) {
        let (path, query) = self.next(keys, &pairs);
        let current = untrack(|| self.search());
        if query == current {
            return;
        }
        let now = js_sys::Date::now();
        let in_burst = now - self.typed_at.get_value() <= TYPING_PAUSE_MS && self.written.with_value(|w| *w == current);
        let how = if change == Change::Typing && in_burst {
            Go::Replace
        } else {
            Go::Push
        };
        self.typed_at
            .set_value(if change == Change::Typing { now } else { 0.0 });
        self.written.set_value(query.clone());
        self.go_to(path, &query, how);
    }

    /// This path, with the query keys in `keys` replaced by `pairs` and other keys kept: the
    /// path and the query string.
    fn next(self, keys: &[&str], pairs: &[(&str, String)]) -> (String, String) {
        let (path, query) = untrack(|| {
            let query = self.with_query(|q| {
                let kept = q.iter().filter(|(k, _)| !keys.contains(&k.as_str()));
                query_string(
                    kept.map(|(k, v)| (k.as_str(), v.as_str()))
                        .chain(pairs.iter().map(|(k, v)| (*k, v.as_str()))),
                )
            });
            (self.path(), query)
        });
        // The base's own path is the panel's root: no trailing slash after it.
        let path = if path == "/" && self.base.with_value(|b| !b.is_empty()) {
            String::new()
        } else {
            path
        };
        (path, query)
    }

    fn go_to(self, path: String, query: &str, how: Go) {
        if query.is_empty() {
            self.go(&path, how)
        } else {
            self.go(&format!("{path}?{query}"), how)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::under_base;

    #[test]
    fn the_base_is_stripped_only_at_a_segment_boundary() {
        assert_eq!(under_base("/settings/tokens", "/settings/tokens"), Some(""));
        assert_eq!(under_base("/settings/tokens", "/settings/tokens/x"), Some("/x"));
        assert_eq!(under_base("/settings/tokens", "/settings/tokens-old"), None);
        assert_eq!(under_base("", "/tokens"), Some("/tokens"));
    }
}
