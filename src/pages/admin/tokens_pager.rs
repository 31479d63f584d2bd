//! The Tokens tab's pager: the count, the CSV export of the filter, the page size, and the
//! steps by cursor.

use leptos::prelude::*;
use token_api::query::{TokenPageQuery, DEFAULT_PAGE_SIZE, PAGE_SIZES};

use crate::api;
use crate::components::page_size_select::PageSizeSelect;
use crate::components::pager::{Pager, Step};
use crate::i18n::use_i18n;

#[component]
pub fn TokensPager(
    ws: Memo<String>,
    query: Memo<TokenPageQuery>,
    /// The cursors of the pages before and after this one.
    cursors: Signal<(Option<String>, Option<String>)>,
    /// How many the filter matches.
    status: Signal<String>,
    /// The query of the page or page size chosen.
    on_query: Callback<TokenPageQuery>,
) -> impl IntoView {
    let i18n = use_i18n();
    let on_step = Callback::new(move |step| {
        let after = match step {
            Step::First => None,
            Step::Previous => cursors.get_untracked().0,
            Step::Next => cursors.get_untracked().1,
        };
        on_query.run(TokenPageQuery {
            after,
            ..query.get_untracked()
        });
    });
    let on_size = Callback::new(move |value: String| {
        on_query.run(TokenPageQuery {
            limit: value.parse().ok(),
            after: None,
            ..query.get_untracked()
        });
    });
    view! {
        <Pager
            status
            at_first=Signal::derive(move || query.with(|q| q.after.is_none()))
            at_last=Signal::derive(move || cursors.with(|c| c.1.is_none()))
            first=true
            on_step
        >
            <a class="button button-quiet" href=move || api::admin::tokens_csv_url(&ws.get(), &query.get()) download="">
                {move || i18n.t().export_csv}
            </a>
            <PageSizeSelect
                sizes=&PAGE_SIZES
                value=Signal::derive(move || query.with(|q| q.limit.unwrap_or(DEFAULT_PAGE_SIZE)).to_string())
                on_change=on_size
            />
        </Pager>
    }
}
