//! The Tokens tab: counts that filter, server-side filters, one page at a time, the shared
//! table, toolbar and actions, "select all N matching", leak triage, and CSV export.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use token_api::admin::{FilterActionRequest, TokenPage};
use token_api::query::{SortField, TokenFilter, TokenPageQuery, PAGE_SIZES};
use token_api::tokens::{BatchAction, BatchResult, TokenStatus, TokenView};

use super::count_chips::CountChips;
use super::leak_check::LeakCheck;
use super::token_filters::TokenFilters;
use crate::api::{self, ApiError};
use crate::components::bulk_toolbar::BulkToolbar;
use crate::components::error_panel::error_text;
use crate::components::loaded::Loaded;
use crate::components::page_size_select::PageSizeSelect;
use crate::components::token_actions::{use_token_actions, ActionConfirm, Pending, Target};
use crate::components::token_table::{RowActions, TokenTable};
use crate::hooks::use_token_selection::use_token_selection;
use crate::i18n::use_i18n;
use crate::nav::{Change, Nav};
use crate::selection::TriState;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
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

/// One admin action sent: the tokens it names as a batch, or everything a filter matches, as
/// counted.
async fn send(ws: String, p: Pending, reason: Option<String>) -> Result<BatchResult, ApiError> {
    match (p.ids(), p.target) {
        (Some(ids), _) => api::admin::batch(ws, p.action, ids, reason).await,
        (
            None,
            Target::Matching {
                filter, count, as_of, ..
            },
        ) => {
            let body = FilterActionRequest {
                action: p.action,
                filter,
                as_of,
                expected_count: count,
                reason,
            };
            api::admin::batch_by_filter(ws, body).await
        }
        (None, _) => Ok(BatchResult { results: vec![] }),
    }
}

/// Every token a filter matches, counted at `as_of`.
#[derive(Clone, Debug, PartialEq)]
struct Counted {
    filter: TokenFilter,
    count: u64,
    as_of: DateTime<Utc>,
}

/// The Tokens tab.
#[component]
pub fn TokensTab(
    /// The page's URL state.
    url: Nav,
    /// The workspace's members, read once by the page.
    members: LocalResource<Result<token_api::admin::MemberList, crate::api::ApiError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let toasts = use_toasts();
    let ws = Memo::new(move |_| session.workspace().map(|w| w.id).unwrap_or_default());

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
    let shown = move |f: &dyn Fn(&TokenFilter, &TokenPage) -> Option<Counted>| {
        page.with(|p| {
            p.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|(filter, p)| f(filter, p))
        })
    };

    let rows = Memo::new(move |_| {
        page.with(|p| {
            p.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|(_, p)| p.tokens.clone())
                .unwrap_or_default()
        })
    });
    // The page's count, which stops at `COUNT_CAP` ("more than").
    let counted = Memo::new(move |_| {
        page.with(|p| {
            p.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|(_, p)| (p.total, p.total_capped))
        })
    });
    let selected = use_token_selection(rows.into());
    let selection = selected.selection;
    let all_matching = RwSignal::new(false);
    // Exact counts asked for: of every match, when the admin selects all matching and the
    // page's count stopped at the cap (all are selected once it has come); and of the active
    // ones among them, which Disable acts on (it leaves the disabled and expired alone), so its
    // button, its dialog and the typed count say how many it changes. A count that fails is
    // told in a toast and unselects all matching, to be chosen again.
    let counts = RwSignal::new(Vec::<Counted>::new());
    let count = Action::new_local(move |(filter, select): &(TokenFilter, bool)| {
        let query = TokenPageQuery {
            filter: filter.clone(),
            exact_count: true,
            ..TokenPageQuery::default()
        };
        let (ws, select) = (ws.get_untracked(), *select);
        async move {
            match api::admin::tokens(ws, query.clone()).await {
                Ok(p) => {
                    counts.update(|c| {
                        c.push(Counted {
                            filter: query.filter,
                            count: p.total,
                            as_of: p.as_of,
                        })
                    });
                    if select {
                        all_matching.set(true);
                    }
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    toasts.error(error_text(i18n.t(), &e), vec![]);
                    all_matching.set(false);
                }
            }
        }
    });
    let count_of = move |filter: &TokenFilter| counts.with(|c| c.iter().find(|c| &c.filter == filter).cloned());
    // Every token the filter matches, counted: the page's count when it is exact, else the exact
    // count asked for; either only while it counts the filter in the URL.
    let total: Memo<Option<Counted>> = Memo::new(move |_| {
        let from_page = shown(&|filter, p| {
            (!p.total_capped).then(|| Counted {
                filter: filter.clone(),
                count: p.total,
                as_of: p.as_of,
            })
        });
        from_page
            .filter(|c| query.with(|q| q.filter == c.filter))
            .or_else(|| query.with(|q| count_of(&q.filter)))
    });
    let active_matching: Memo<Option<Counted>> = Memo::new(move |_| {
        let all = total.get()?;
        let active = TokenFilter {
            status: Some(TokenStatus::Active),
            ..all.filter.clone()
        };
        match all.filter.status {
            Some(TokenStatus::Active) => Some(all),
            Some(_) => Some(Counted {
                filter: active,
                count: 0,
                as_of: all.as_of,
            }),
            None => count_of(&active),
        }
    });
    // A new filter: all matching, and the counts asked for, were the old filter's. Another page
    // of the same filter keeps all matching, and its rows are selected with the rest.
    Effect::new(move |before: Option<TokenFilter>| {
        let now = query.with(|q| q.filter.clone());
        if before.is_some_and(|b| b != now) {
            all_matching.set(false);
            counts.set(Vec::new());
        }
        now
    });
    Effect::new(move |_| {
        let ids: Vec<String> = rows.with(|r| r.iter().map(|t| t.id.clone()).collect());
        if all_matching.get_untracked() {
            selection.update(|s| {
                s.retain_visible(&ids);
                if s.tri_state(&ids) != TriState::Checked {
                    s.toggle_all(&ids);
                }
            });
        }
    });
    let page_full = move || {
        let ids: Vec<String> = rows.with(|r| r.iter().map(|t| t.id.clone()).collect());
        !ids.is_empty() && selection.with(|s| s.tri_state(&ids)) == TriState::Checked
    };
    // All matching is selected while the whole page is, and the count is the filter's.
    let all_on = move || all_matching.get() && page_full() && total.with(Option::is_some);
    Effect::new(move |_| {
        if !all_on() || active_matching.with(Option::is_some) {
            return;
        }
        if let Some(all) = total.get_untracked() {
            let active = TokenFilter {
                status: Some(TokenStatus::Active),
                ..all.filter
            };
            count.dispatch_local((active, false));
        }
    });
    let select_all_matching = move || {
        if total.get_untracked().is_some() {
            all_matching.set(true);
        } else {
            count.dispatch_local((query.get_untracked().filter, true));
        }
    };

    // The tokens the last action changed, so the leak check's answer does not go stale.
    let acted_on = RwSignal::new(Vec::<String>::new());
    let actions = use_token_actions(
        move |p, reason| send(ws.get_untracked(), p, reason),
        move |_, done| {
            acted_on.set(done.to_vec());
            selected.remove(done);
            all_matching.set(false);
            // Counts made before the action are stale, even if this page's rows are not.
            counts.set(Vec::new());
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
    // The alarm count opens the audit trail at the alarms of its period.
    let show_alarms = Callback::new(move |_| {
        let from = (Utc::now() - chrono::Duration::days(token_api::admin::ALARM_DAYS))
            .with_timezone(&chrono::Local)
            .date_naive()
            .to_string();
        let audit = vec![
            ("tab", "audit".to_owned()),
            ("a_action", super::audit_tab::ANY_ALARM.to_owned()),
            ("a_from", from),
        ];
        let keys: Vec<&str> = std::iter::once("tab").chain(super::audit_tab::KEYS).collect();
        url.change_view(&keys, audit, Change::Committed);
    });
    let on_sort = Callback::new(move |field: SortField| {
        let mut q = query.get_untracked();
        toggle_sort(&mut q, field);
        set_query(q);
    });

    let matching_count = move || total.with(|t| t.as_ref().map_or(0, |c| c.count as usize));
    let selected_count = Signal::derive(move || if all_on() { matching_count() } else { selected.count() });
    let disableable = Signal::derive(move || {
        if all_on() {
            active_matching.with(|c| c.as_ref().map(|c| c.count as usize))
        } else {
            Some(selected.disableable())
        }
    });
    let bulk = move |action: BatchAction| {
        let counted = match action {
            BatchAction::Disable => active_matching.get_untracked(),
            BatchAction::Delete => total.get_untracked(),
        };
        let target = if untrack(all_on) {
            // Not counted yet: the button waits for the count, and so does this.
            let Some(Counted { filter, count, as_of }) = counted else {
                return;
            };
            Target::Matching {
                filter,
                count,
                as_of,
                shown: rows.with_untracked(|r| r.iter().map(|t| (t.id.clone(), t.name.clone())).collect()),
            }
        } else {
            Target::Many(selected.targets(action))
        };
        actions.ask(action, target, selected_count.get_untracked() as u64);
    };
    let more_than_page = move || {
        counted
            .get()
            .is_some_and(|(n, capped)| capped || n as usize > rows.with(Vec::len))
    };

    let pager = move || {
        let q = query.get();
        let (prev, next) = page.with(|p| {
            p.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|(_, p)| (p.prev_cursor.clone(), p.next_cursor.clone()))
                .unwrap_or_default()
        });
        let size = q.limit.unwrap_or(token_api::query::DEFAULT_PAGE_SIZE);
        let on_first = q.after.is_none();
        view! {
            <div class="pager">
                <span aria-live="polite">
                    {move || match (total.get().map(|c| c.count), counted.get()) {
                        (Some(n), _) | (None, Some((n, false))) => (i18n.t().n_match)(n),
                        (None, Some((n, true))) => (i18n.t().n_match_more_than)(n),
                        (None, None) => String::new(),
                    }}
                </span>
                <a class="button button-quiet" href=move || api::admin::tokens_csv_url(&ws.get(), &query.get()) download="">
                    {move || i18n.t().export_csv}
                </a>
                <PageSizeSelect
                    sizes=&PAGE_SIZES
                    value=Signal::stored(size.to_string())
                    on_change=Callback::new(move |value: String| {
                        set_query(TokenPageQuery { limit: value.parse().ok(), after: None, ..query.get_untracked() });
                    })
                />
                <button type="button" class="button" disabled=on_first on:click=move |_| {
                    set_query(TokenPageQuery { after: None, ..query.get_untracked() });
                }>
                    {move || i18n.t().first_page}
                </button>
                <button type="button" class="button" disabled=on_first on:click=move |_| {
                    set_query(TokenPageQuery { after: prev.clone(), ..query.get_untracked() });
                }>
                    {move || i18n.t().previous_page}
                </button>
                <button type="button" class="button" disabled=next.is_none() on:click=move |_| {
                    set_query(TokenPageQuery { after: next.clone(), ..query.get_untracked() });
                }>
                    {move || i18n.t().next_page}
                </button>
            </div>
        }
    };

    let table = move || {
        if rows.with(Vec::is_empty) {
            view! { <p class="empty">{move || i18n.t().no_match}</p> }.into_any()
        } else {
            view! {
                <TokenTable
                    rows
                    caption=Signal::derive(move || i18n.t().admin_title.to_owned())
                    selection
                    sort=Signal::derive(move || query.with(|q| (q.sort, q.dir)))
                    on_sort
                    actions=row_actions
                    show_owner=true
                />
            }
            .into_any()
        }
    };

    view! {
        <CountChips summary filter=Signal::derive(move || query.get().filter) on_filter=set_filter on_alarms=show_alarms />
        <LeakCheck on_disable=actions.one(BatchAction::Disable) acted_on />
        <TokenFilters filter=Signal::derive(move || query.get().filter) members on_change=set_filter on_typing=type_filter />
        <BulkToolbar
            selected=selected_count
            disableable
            on_disable=Callback::new(move |_| bulk(BatchAction::Disable))
            on_delete=Callback::new(move |_| bulk(BatchAction::Delete))
            on_clear=Callback::new(move |_| {
                all_matching.set(false);
                selected.clear();
            })
        />
        <Show when=move || page_full() && more_than_page()>
            <p class="select-all-matching">
                {move || {
                    if all_on() {
                        view! { <span>{move || (i18n.t().all_matching_selected)(matching_count() as u64)}</span> }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button button-quiet" on:click=move |_| select_all_matching()>
                                {move || match total.get() {
                                    Some(c) => (i18n.t().select_all_matching)(c.count),
                                    None => i18n.t().select_all_matching_uncounted.to_owned(),
                                }}
                            </button>
                        }
                        .into_any()
                    }
                }}
            </p>
        </Show>
        <Loaded resource=page>
            {pager}
            {table}
        </Loaded>
        <ActionConfirm actions ask_reason=true />
    }
}
