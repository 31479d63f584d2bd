//! The Tokens tab: counts that filter, server-side filters, one page at a time, the shared
//! table, toolbar and actions, "select all N matching", leak triage, and CSV export.

use leptos::prelude::*;
use token_api::admin::TokenPage;
use token_api::query::{SortField, TokenFilter, TokenPageQuery};
use token_api::tokens::{BatchAction, TokenView};

use super::all_matching::{select_all_matching, send, use_all_matching};
use super::count_chips::CountChips;
use super::leak_check::LeakCheck;
use super::token_filters::TokenFilters;
use super::tokens_pager::TokensPager;
use crate::api::{self, ApiError};
use crate::bulk::Counted;
use crate::components::bulk_toolbar::BulkToolbar;
use crate::components::loaded::Loaded;
use crate::components::token_actions::{use_token_actions, ActionConfirm};
use crate::components::token_table::{RowActions, TokenTable};
use crate::hooks::use_token_selection::use_token_selection;
use crate::i18n::use_i18n;
use crate::nav::{Change, Nav};
use crate::token_query::toggle_sort;

/// The URL keys this tab owns.
const KEYS: [&str; 11] = [
    "owner",
    "status",
    "expiring_within_days",
    "never_used",
    "unused_for_days",
    "q",
    "hint",
    "sort",
    "dir",
    "limit",
    "after",
];

/// A page of tokens, with the filter it was read for.
type Page = LocalResource<Result<(TokenFilter, TokenPage), ApiError>>;

/// What `f` reads of the page shown, once it has come.
fn of_page<T>(page: Page, f: impl Fn(&TokenFilter, &TokenPage) -> Option<T>) -> Option<T> {
    page.with(|p| {
        p.as_ref()
            .and_then(|r| r.as_ref().ok())
            .and_then(|(filter, p)| f(filter, p))
    })
}

/// The Tokens tab.
#[component]
pub fn TokensTab(
    /// The workspace's id.
    ws: Memo<String>,
    /// The page's URL state.
    url: Nav,
    /// The workspace's members, read once by the page.
    members: LocalResource<Result<token_api::admin::MemberList, crate::api::ApiError>>,
) -> impl IntoView {
    let i18n = use_i18n();

    let query = Memo::new(move |_| {
        url.with_query(|q| {
            TokenPageQuery::from_pairs(q.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap_or_default()
        })
    });
    let set_query = move |next: TokenPageQuery| url.change_view(&KEYS, next.to_pairs(), Change::Committed);
    let filter_by = move |filter: TokenFilter, change: Change| {
        let next = TokenPageQuery {
            filter,
            after: None,
            ..query.get_untracked()
        };
        url.change_view(&KEYS, next.to_pairs(), change);
    };
    let set_filter = Callback::new(move |filter| filter_by(filter, Change::Committed));
    let type_filter = Callback::new(move |filter| filter_by(filter, Change::Typing));

    // Each page is read with its own query, so its counts stay with the filter they count, even
    // while the next page loads.
    let page = LocalResource::new(move || {
        let (ws, query) = (ws.get(), query.get());
        async move { api::admin::tokens(ws, query.clone()).await.map(|p| (query.filter, p)) }
    });
    let summary = LocalResource::new(move || api::admin::summary(ws.get()));
    let rows = Memo::new(move |_| of_page(page, |_, p| Some(p.tokens.clone())).unwrap_or_default());
    // The page's count, which stops at `COUNT_CAP` ("more than"); and when it is exact.
    let counted = Memo::new(move |_| of_page(page, |_, p| Some((p.total, p.total_capped))));
    let exact = Memo::new(move |_| {
        of_page(page, |filter, p| {
            (!p.total_capped).then(|| Counted {
                filter: filter.clone(),
                count: p.total,
                as_of: p.as_of,
            })
        })
    });
    let selected = use_token_selection(rows.into());
    let all = use_all_matching(ws, query, exact, rows, selected);

    // The tokens the last action changed, so the leak check's answer does not go stale.
    let acted_on = RwSignal::new(Vec::<String>::new());
    let actions = use_token_actions(
        move |p, reason| send(ws.get_untracked(), p, reason),
        move |_, done| {
            acted_on.set(done.to_vec());
            selected.remove(done);
            // Counts made before the action are stale, even if this page's rows are not.
            all.forget();
            page.refetch();
            summary.refetch();
        },
    );
    let row_actions = RowActions {
        disable: actions.one(BatchAction::Disable),
        delete: actions.one(BatchAction::Delete),
        show_owner: Some(Callback::new(move |t: TokenView| {
            set_filter.run(TokenFilter {
                owner: Some(t.owner.id),
                ..TokenFilter::default()
            })
        })),
        show_owner_label: Some(Signal::derive(move || i18n.t().show_owner_tokens.to_owned())),
        // An admin never sees another's new secret.
        regenerate: None,
        describe: None,
    };
    let on_sort = Callback::new(move |field: SortField| {
        let mut q = query.get_untracked();
        toggle_sort(&mut q, field);
        set_query(q);
    });

    let bulk_count = Signal::derive(move || all.count());
    let bulk = move |action: BatchAction| {
        // Not counted yet: the button waits for the count, and so does this.
        if let Some(target) = all.target(action) {
            actions.ask(action, target, bulk_count.with_untracked(|c| c.selected));
        }
    };
    let more_than_page = move || {
        counted
            .get()
            .is_some_and(|(n, capped)| capped || n as usize > rows.with(Vec::len))
    };

    let status = move || match (all.total.get().map(|c| c.count), counted.get()) {
        (Some(n), _) | (None, Some((n, false))) => (i18n.t().n_match)(n),
        (None, Some((n, true))) => (i18n.t().n_match_more_than)(n),
        (None, None) => String::new(),
    };
    let cursors = Signal::derive(move || {
        of_page(page, |_, p| Some((p.prev_cursor.clone(), p.next_cursor.clone()))).unwrap_or_default()
    });

    let table = move || {
        view! {
            <TokenTable
                rows
                caption=Signal::derive(move || i18n.t().admin_title.to_owned())
                selection=selected.selection
                sort=Signal::derive(move || query.with(|q| (q.sort, q.dir)))
                on_sort
                actions=row_actions
                show_owner=true
                empty=Signal::derive(move || i18n.t().no_match.to_owned())
            />
        }
    };

    view! {
        <CountChips summary filter=Signal::derive(move || query.get().filter) on_filter=set_filter on_alarms=Callback::new(move |_| super::audit_tab::open_alarms(url)) />
        <LeakCheck on_disable=actions.one(BatchAction::Disable) acted_on />
        <TokenFilters filter=Signal::derive(move || query.get().filter) members on_change=set_filter on_typing=type_filter />
        <BulkToolbar
            count=bulk_count
            on_disable=Callback::new(move |_| bulk(BatchAction::Disable))
            on_delete=Callback::new(move |_| bulk(BatchAction::Delete))
            on_clear=Callback::new(move |_| {
                all.clear();
                selected.clear();
            })
        />
        {select_all_matching(all, Signal::derive(more_than_page))}
        <Loaded resource=page>
            <TokensPager ws query cursors status=Signal::derive(status) on_query=Callback::new(set_query) />
            {table}
        </Loaded>
        <ActionConfirm actions ask_reason=true />
    }
}
