//! The Users page's view of the member's tokens: sort, status and search read from and written
//! to the URL (`per_page` and `page` too), applied in the browser, and cut into pages.

use chrono::Utc;
use leptos::prelude::*;
use token_api::query::{SortField, TokenPageQuery};
use token_api::tokens::TokenView;

use crate::components::page_size_select::PageSizeSelect;
use crate::components::pager::{Pager, Step};
use crate::components::status_select::StatusSelect;
use crate::i18n::use_i18n;
use crate::nav::{Change, Nav};
use crate::token_query::{apply, toggle_sort};

/// The URL keys of the page's view.
const VIEW_KEYS: [&str; 6] = ["status", "q", "sort", "dir", "page", "per_page"];
/// Rows on one page: a browser lays out a few hundred table rows in a frame, not thousands
/// (1,300 rows cost 50 to 500 ms of layout per change, measured).
const PAGE_SIZE: usize = 50;
/// The page sizes a user may pick (`per_page` in the URL); 0 is every row on one page.
const PAGE_SIZES: [u32; 4] = [50, 100, 500, 0];

/// The page size a `per_page` value asks for: one of `PAGE_SIZES`, else the default.
fn page_size_of(value: Option<&str>) -> usize {
    match value {
        Some("all") => usize::MAX,
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| *n != 0 && PAGE_SIZES.contains(n))
            .map_or(PAGE_SIZE, |n| n as usize),
        None => PAGE_SIZE,
    }
}

/// The view; `Copy`.
#[derive(Clone, Copy)]
pub struct ListView {
    nav: Nav,
    pub query: Memo<TokenPageQuery>,
    /// Every token the view matches, in view order (on every page).
    pub matching: Memo<Vec<TokenView>>,
    /// The page of them the table shows.
    pub rows: Memo<Vec<TokenView>>,
    page: Memo<usize>,
    page_size: Memo<usize>,
}

pub fn use_list_view(nav: Nav, tokens: Memo<Vec<TokenView>>) -> ListView {
    let query = Memo::new(move |_| {
        let pairs: Vec<(&str, String)> = VIEW_KEYS.iter().filter_map(|k| nav.get(k).map(|v| (*k, v))).collect();
        TokenPageQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap_or_default()
    });
    let matching: Memo<Vec<TokenView>> = Memo::new(move |_| {
        let q = query.get();
        tokens.with(|all| apply(all, &q, Utc::now()).into_iter().map(|i| all[i].clone()).collect())
    });
    let page_size = Memo::new(move |_| page_size_of(nav.get("per_page").as_deref()));
    let page = Memo::new(move |_| {
        let count = matching.with(|m| m.len().div_ceil(page_size.get())).max(1);
        let asked = nav.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1);
        asked.clamp(1, count)
    });
    let rows = Memo::new(move |_| {
        let size = page_size.get();
        let start = (page.get() - 1).saturating_mul(size);
        matching.with(|m| m.iter().skip(start).take(size).cloned().collect())
    });
    ListView {
        nav,
        query,
        matching,
        rows,
        page,
        page_size,
    }
}

impl ListView {
    /// Shows `next` at `page`, by the one history rule (`nav::Change`); other keys, a host
    /// page's own, stay. The page size is the reader's, and survives every change of view.
    fn show(self, next: TokenPageQuery, page: usize, change: Change) {
        let mut pairs = next.to_pairs();
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        if let Some(per_page) = untrack(|| self.nav.get("per_page")) {
            pairs.push(("per_page", per_page));
        }
        self.nav.change_view(&VIEW_KEYS, pairs, change);
    }

    /// A new view, from its first page.
    pub fn set(self, change: Change, edit: impl FnOnce(&mut TokenPageQuery)) {
        let mut next = self.query.get_untracked();
        edit(&mut next);
        self.show(next, 1, change);
    }

    pub fn sort_by(self, field: SortField) {
        self.set(Change::Committed, |q| toggle_sort(q, field));
    }
}

/// "1–50 of 230", the page size, Previous and Next; shown once there is more than the smallest
/// page.
pub fn list_pager(view: ListView) -> impl IntoView {
    let i18n = use_i18n();
    let total = move || view.matching.with(Vec::len);
    let status = move || {
        let size = view.page_size.get();
        let from = (view.page.get() - 1).saturating_mul(size) + 1;
        (i18n.t().range_of)(from, from.saturating_add(size - 1).min(total()), total())
    };
    let go = Callback::new(move |step| {
        let page = view.page.get_untracked();
        let to = if step == Step::Next { page + 1 } else { page - 1 };
        view.show(view.query.get_untracked(), to, Change::Committed);
    });
    let on_size = Callback::new(move |value: String| {
        let mut pairs = view.query.get_untracked().to_pairs();
        if value != PAGE_SIZE.to_string() {
            pairs.push(("per_page", value));
        }
        view.nav.change_view(&VIEW_KEYS, pairs, Change::Committed);
    });
    view! {
        <Show when=move || { total() > PAGE_SIZE }>
            <Pager
                status=Signal::derive(status)
                at_first=Signal::derive(move || view.page.get() == 1)
                at_last=Signal::derive(move || view.page.get().saturating_mul(view.page_size.get()) >= total())
                on_step=go
            >
                <PageSizeSelect
                    sizes=&PAGE_SIZES
                    value=Signal::derive(move || view.nav.get("per_page").unwrap_or_else(|| PAGE_SIZE.to_string()))
                    on_change=on_size
                />
            </Pager>
        </Show>
    }
}

/// Search by name and filter by status.
pub fn list_filters(view: ListView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
            <div class="filters">
                <label class="field-inline">
                    <span>{move || i18n.t().search_label}</span>
                    <input
                        type="search"
                        prop:value=move || view.query.get().filter.q.unwrap_or_default()
                        on:input:target=move |ev| {
                            let q = Some(ev.target().value()).filter(|v| !v.trim().is_empty());
                            view.set(Change::Typing, |next| next.filter.q = q);
                        }
                    />
                </label>
                <StatusSelect
                    value=Signal::derive(move || view.query.get().filter.status)
                    on_change=Callback::new(move |status| view.set(Change::Committed, |next| next.filter.status = status))
                />
            </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{page_size_of, PAGE_SIZE};

    #[test]
    fn only_the_offered_page_sizes_are_taken_from_the_url() {
        assert_eq!(page_size_of(None), PAGE_SIZE);
        assert_eq!(page_size_of(Some("100")), 100);
        assert_eq!(page_size_of(Some("500")), 500);
        assert_eq!(page_size_of(Some("all")), usize::MAX);
        for odd in ["0", "7", "-1", "lots", "", "100000"] {
            assert_eq!(page_size_of(Some(odd)), PAGE_SIZE, "{odd}");
        }
    }
}
