//! The Tokens tab: counts that filter, server-side filters, one page at a time, the shared
//! table and toolbar, "select all N matching", leak triage, and CSV export.

use chrono::Utc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use token_api::admin::{FilterActionRequest, SortField, TokenFilter, TokenPageQuery, PAGE_SIZES};
use token_api::tokens::{BatchAction, TokenStatus, TokenView};

use super::leak_check::LeakCheck;
use crate::actions::{error_text, report_batch};
use crate::api;
use crate::components::bulk_toolbar::BulkToolbar;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::error_panel::ErrorPanel;
use crate::components::page_size_select::PageSizeSelect;
use crate::components::token_table::{access_tokens_end, RowActions, TableSkeleton, TokenTable};
use crate::embed::events::use_events;
use crate::format;
use crate::i18n::{use_i18n, Messages};
use crate::nav::{Change, Nav};
use crate::selection::Selection;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::view::{selected_with_status, toggle_sort};

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

/// Above this many tokens, the admin types the count to confirm.
const TYPE_TO_CONFIRM_OVER: u64 = 100;

/// An action waiting for confirmation.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Pending {
    One(BatchAction, TokenView),
    /// Selected ids and their names.
    Many(BatchAction, Vec<(String, String)>),
    /// Everything the filter matches: how many, as counted when.
    All(BatchAction, TokenFilter, u64, chrono::DateTime<Utc>),
}

impl Pending {
    fn action(&self) -> BatchAction {
        match self {
            Pending::One(a, _) | Pending::Many(a, _) | Pending::All(a, ..) => *a,
        }
    }

    fn count(&self) -> u64 {
        match self {
            Pending::One(..) => 1,
            Pending::Many(_, ids) => ids.len() as u64,
            Pending::All(_, _, n, _) => *n,
        }
    }

    fn title(&self, t: &Messages) -> String {
        match (self, self.action()) {
            (Pending::One(_, tok), BatchAction::Disable) => (t.confirm_disable_title)(&tok.name),
            (Pending::One(_, tok), BatchAction::Delete) => (t.confirm_delete_title)(&tok.name),
            (_, BatchAction::Disable) => (t.confirm_bulk_disable_title)(self.count() as usize),
            (_, BatchAction::Delete) => (t.confirm_bulk_delete_title)(self.count() as usize),
        }
    }

    fn body(&self, t: &Messages, until: &str) -> String {
        match (self, self.action()) {
            (Pending::One(..), BatchAction::Disable) => (t.confirm_disable_body)(until),
            (Pending::One(..), BatchAction::Delete) => (t.confirm_delete_body)(until),
            _ => (t.confirm_bulk_body)(until),
        }
    }
}

/// The confirmation's extra questions: a reason, and the count typed back for big actions.
#[component]
pub(super) fn ActionConfirm(
    /// The action waiting for confirmation; `None` hides the dialog.
    pending: RwSignal<Option<Pending>>,
    /// True while the confirmed action runs.
    busy: RwSignal<bool>,
    /// The admin confirmed: the action and the reason they gave, if any.
    on_confirm: Callback<(Pending, Option<String>)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let count = move || pending.with(|p| p.as_ref().map(Pending::count).unwrap_or(0));
    let must_type = move || count() > TYPE_TO_CONFIRM_OVER;
    let ready = Signal::derive(move || !must_type() || typed.get().trim() == count().to_string());
    let until = move || format::time(access_tokens_end(Utc::now()));
    view! {
        <ConfirmDialog
            open=Signal::derive(move || pending.with(Option::is_some))
            id="admin-confirm-title"
            title=Signal::derive(move || pending.with(|p| p.as_ref().map(|p| p.title(i18n.t())).unwrap_or_default()))
            body=Signal::derive(move || pending.with(|p| p.as_ref().map(|p| p.body(i18n.t(), &until())).unwrap_or_default()))
            confirm_label=Signal::derive(move || {
                let t = i18n.t();
                match pending.with(|p| p.as_ref().map(Pending::action)) {
                    Some(BatchAction::Delete) => t.delete_confirm.to_owned(),
                    _ => t.disable_confirm.to_owned(),
                }
            })
            busy
            ready
            on_confirm=Callback::new(move |_| {
                if let Some(p) = pending.get_untracked() {
                    let r = Some(reason.get_untracked()).filter(|r| !r.trim().is_empty());
                    reason.set(String::new());
                    typed.set(String::new());
                    on_confirm.run((p, r));
                }
            })
            on_cancel=Callback::new(move |_| {
                if !busy.get_untracked() {
                    pending.set(None);
                    typed.set(String::new());
                }
            })
        >
            <div class="field">
                <label for="action-reason">{move || i18n.t().reason_label}</label>
                <textarea id="action-reason" rows="2" maxlength="500" prop:value=reason on:input:target=move |ev| reason.set(ev.target().value())></textarea>
            </div>
            <Show when=must_type>
                <div class="field">
                    <label for="action-count">{move || (i18n.t().type_count)(count())}</label>
                    <input id="action-count" type="text" inputmode="numeric" autocomplete="off" prop:value=typed on:input:target=move |ev| typed.set(ev.target().value()) />
                </div>
            </Show>
        </ConfirmDialog>
    }
}

/// The Tokens tab.
#[component]
pub fn TokensTab(
    /// The page's URL state.
    url: Nav,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let toasts = use_toasts();
    let events = use_events();
    let ws = Memo::new(move |_| session.workspace().map(|w| w.id).unwrap_or_default());

    let query = Memo::new(move |_| {
        url.with_query(|q| {
            TokenPageQuery::from_pairs(q.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap_or_default()
        })
    });
    let set_query = move |next: TokenPageQuery| url.change_view(&KEYS, next.to_pairs(), Change::Committed);
    let set_filter = move |f: TokenFilter| {
        let q = query.get_untracked();
        set_query(TokenPageQuery {
            filter: f,
            after: None,
            ..q
        });
    };

    let page = LocalResource::new(move || api::admin::tokens(ws.get(), query.get()));
    let summary = LocalResource::new(move || api::admin::summary(ws.get()));
    let members = LocalResource::new(move || api::admin::members(ws.get()));
    let reload = move || {
        page.refetch();
        summary.refetch();
    };

    let rows = Memo::new(move |_| match page.get() {
        Some(Ok(p)) => p.tokens,
        _ => vec![],
    });
    // The page's count, which stops at `COUNT_CAP` ("more than"), and the exact one: the page's
    // when it is exact, else asked for when the admin selects all matching.
    let counted = Memo::new(move |_| match page.get() {
        Some(Ok(p)) => Some((p.total, p.total_capped)),
        _ => None,
    });
    let fetched = RwSignal::new(None);
    let total = Memo::new(move |_| match page.get() {
        Some(Ok(p)) if !p.total_capped => Some((p.total, p.as_of)),
        _ => fetched.get(),
    });
    let selection = RwSignal::new(Selection::default());
    let all_matching = RwSignal::new(false);
    Effect::new(move |_| {
        let ids: Vec<String> = rows.with(|r| r.iter().map(|t| t.id.clone()).collect());
        selection.update(|s| s.retain_visible(&ids));
        all_matching.set(false);
        fetched.set(None);
    });
    let select_all_matching = move || {
        if total.get_untracked().is_some() {
            return all_matching.set(true);
        }
        let exact = TokenPageQuery {
            exact_count: true,
            after: None,
            ..query.get_untracked()
        };
        spawn_local(async move {
            match api::admin::tokens(ws.get_untracked(), exact).await {
                Ok(p) => {
                    fetched.set(Some((p.total, p.as_of)));
                    all_matching.set(true);
                }
                Err(e) => {
                    session.check(&e);
                    toasts.error(error_text(i18n.t(), &e), vec![]);
                }
            }
        });
    };

    let pending = RwSignal::new(None::<Pending>);
    let busy = RwSignal::new(false);
    let run = Callback::new(move |(p, reason): (Pending, Option<String>)| {
        let ws = ws.get_untracked();
        busy.set(true);
        spawn_local(async move {
            let t = i18n.t();
            let names: Vec<(String, String)> = rows.get_untracked().into_iter().map(|t| (t.id, t.name)).collect();
            let name_of = |id: &str| names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone());
            let result = match p {
                Pending::One(action, token) => {
                    let outcome = match action {
                        BatchAction::Disable => api::admin::disable(ws, token.id.clone(), reason).await.map(|_| ()),
                        BatchAction::Delete => api::admin::delete(ws, token.id.clone(), reason).await,
                    };
                    outcome.map(|()| {
                        let toast = if action == BatchAction::Disable {
                            t.disabled_toast
                        } else {
                            t.deleted_toast
                        };
                        toasts.success(toast(&token.name));
                        events.emit_one(action.into(), &token.id, &token.name);
                    })
                }
                Pending::Many(action, targets) => {
                    let ids = targets.iter().map(|(id, _)| id.clone()).collect();
                    api::admin::batch(ws, action, ids, reason).await.map(|result| {
                        let done = report_batch(t, (toasts, events), action, &result, name_of);
                        selection.update(|s| s.remove_all(done.iter()));
                    })
                }
                Pending::All(action, filter, expected_count, as_of) => {
                    let body = FilterActionRequest {
                        action,
                        filter,
                        as_of,
                        expected_count,
                        reason,
                    };
                    api::admin::batch_by_filter(ws, body).await.map(|result| {
                        report_batch(t, (toasts, events), action, &result, name_of);
                        selection.update(Selection::clear);
                    })
                }
            };
            if let Err(e) = result {
                session.check(&e);
                toasts.error(error_text(t, &e), vec![]);
            }
            busy.set(false);
            pending.set(None);
            reload();
        });
    });

    let actions = RowActions {
        disable: Callback::new(move |t| pending.set(Some(Pending::One(BatchAction::Disable, t)))),
        delete: Callback::new(move |t| pending.set(Some(Pending::One(BatchAction::Delete, t)))),
        show_owner: Some(Callback::new(move |t: TokenView| {
            set_filter(TokenFilter {
                owner: Some(t.owner.id),
                ..TokenFilter::default()
            })
        })),
        show_owner_label: Some(Signal::derive(move || i18n.t().show_owner_tokens.to_owned())),
    };
    let on_sort = Callback::new(move |field: SortField| {
        let mut q = query.get_untracked();
        toggle_sort(&mut q, field);
        set_query(q);
    });

    let selected = move || rows.with(|all| selection.with(|s| selected_with_status(all, s, Utc::now())));
    let selected_count = Signal::derive(move || {
        if all_matching.get() {
            total.get().map_or(0, |(n, _)| n as usize)
        } else {
            selection.with(Selection::len)
        }
    });
    let disableable = Signal::derive(move || {
        if all_matching.get() {
            selected_count.get()
        } else {
            selected().iter().filter(|(_, s)| *s == TokenStatus::Active).count()
        }
    });
    let bulk = move |action: BatchAction| {
        if all_matching.get_untracked() {
            if let Some((n, as_of)) = total.get_untracked() {
                pending.set(Some(Pending::All(action, query.get_untracked().filter, n, as_of)));
            }
            return;
        }
        let targets = selected()
            .into_iter()
            .filter(|(_, s)| action == BatchAction::Delete || *s == TokenStatus::Active)
            .map(|(t, _)| (t.id, t.name))
            .collect();
        pending.set(Some(Pending::Many(action, targets)));
    };
    let page_full = move || {
        rows.with(Vec::len) > 0
            && selection.with(|s| s.tri_state(&rows.with(|r| r.iter().map(|t| t.id.clone()).collect::<Vec<_>>())))
                == crate::selection::TriState::Checked
    };
    let more_than_page = move || {
        counted
            .get()
            .is_some_and(|(n, capped)| capped || n as usize > rows.with(Vec::len))
    };

    let counts = move || {
        let t = i18n.t();
        let s = match summary.get() {
            Some(Ok(s)) => s,
            _ => Default::default(),
        };
        let chip = move |n: u64, label: &'static str, filter: TokenFilter| {
            view! {
                <button type="button" class="count-chip" on:click=move |_| set_filter(filter.clone())>
                    <strong>{n}</strong>" "{label}
                </button>
            }
        };
        view! {
            <div class="counts" role="group" aria-label=t.counts_label>
                {chip(s.active, t.count_active, TokenFilter { status: Some(TokenStatus::Active), ..Default::default() })}
                {chip(s.expiring_within_7_days, t.count_expiring, TokenFilter { expiring_within_days: Some(7), ..Default::default() })}
                {chip(s.disabled, t.count_disabled, TokenFilter { status: Some(TokenStatus::Disabled), ..Default::default() })}
                {chip(s.never_used, t.count_never_used, TokenFilter { never_used: true, ..Default::default() })}
            </div>
        }
    };

    let member_label = |m: &token_api::tokens::Person| format!("{} <{}>", m.name, m.email);
    let owner_text = RwSignal::new(String::new());
    Effect::new(move |_| {
        let owner = query.with(|q| q.filter.owner.clone());
        let text = match (owner, members.get()) {
            (Some(id), Some(Ok(list))) => list.members.iter().find(|m| m.id == id).map(member_label).unwrap_or(id),
            (Some(id), _) => id,
            (None, _) => String::new(),
        };
        owner_text.set(text);
    });
    let filters = move || {
        let q = query.get();
        let f = q.filter.clone();
        // `selected` attributes set the first render; after the user has picked, only the
        // property moves the choice (Back and Forward re-render these in place).
        let status_value = q
            .to_pairs()
            .into_iter()
            .find(|(k, _)| *k == "status")
            .map(|(_, v)| v)
            .unwrap_or_default();
        let expiring_value = f.expiring_within_days.map(|d| d.to_string()).unwrap_or_default();
        view! {
            <div class="filters">
                <label class="field-inline">
                    <span>{move || i18n.t().filter_owner}</span>
                    <input
                        type="text"
                        list="workspace-members"
                        placeholder=move || i18n.t().owner_hint
                        prop:value=owner_text
                        on:change:target=move |ev| {
                            let value = ev.target().value();
                            let found = match members.get_untracked() {
                                Some(Ok(list)) => list.members.iter().find(|m| member_label(m) == value || m.email == value).map(|m| m.id.clone()),
                                _ => None,
                            };
                            let mut f = query.get_untracked().filter;
                            f.owner = found;
                            set_filter(f);
                        }
                    />
                </label>
                <datalist id="workspace-members">
                    {move || match members.get() {
                        Some(Ok(list)) => list.members.iter().map(|m| view! { <option value=member_label(m)></option> }).collect::<Vec<_>>(),
                        _ => vec![],
                    }}
                </datalist>
                <label class="field-inline">
                    <span>{move || i18n.t().status_filter_label}</span>
                    <select prop:value=status_value on:change:target=move |ev| {
                        let v = ev.target().value();
                        let mut f = query.get_untracked().filter;
                        f.status = TokenPageQuery::from_pairs([("status", v.as_str())]).ok().and_then(|q| q.filter.status);
                        set_filter(f);
                    }>
                        <option value="" selected=f.status.is_none()>{move || i18n.t().all_statuses}</option>
                        <option value="active" selected=f.status == Some(TokenStatus::Active)>{move || i18n.t().status_active}</option>
                        <option value="disabled" selected=f.status == Some(TokenStatus::Disabled)>{move || i18n.t().status_disabled}</option>
                        <option value="expired" selected=f.status == Some(TokenStatus::Expired)>{move || i18n.t().status_expired}</option>
                    </select>
                </label>
                <label class="field-inline">
                    <span>{move || i18n.t().filter_expiring}</span>
                    <select prop:value=expiring_value on:change:target=move |ev| {
                        let mut f = query.get_untracked().filter;
                        f.expiring_within_days = ev.target().value().parse().ok();
                        set_filter(f);
                    }>
                        <option value="" selected=f.expiring_within_days.is_none()>{move || i18n.t().any}</option>
                        <option value="7" selected=f.expiring_within_days == Some(7)>{move || (i18n.t().days)(7)}</option>
                        <option value="30" selected=f.expiring_within_days == Some(30)>{move || (i18n.t().days)(30)}</option>
                    </select>
                </label>
                <label class="field-inline">
                    <input type="checkbox" prop:checked=f.never_used on:change:target=move |ev| {
                        let mut f = query.get_untracked().filter;
                        f.never_used = ev.target().checked();
                        set_filter(f);
                    } />
                    <span>{move || i18n.t().filter_never_used}</span>
                </label>
                <label class="field-inline">
                    <input type="checkbox" prop:checked=f.unused_for_days == Some(90) on:change:target=move |ev| {
                        let mut f = query.get_untracked().filter;
                        f.unused_for_days = ev.target().checked().then_some(90);
                        set_filter(f);
                    } />
                    <span>{move || i18n.t().filter_unused_90}</span>
                </label>
                <label class="field-inline">
                    <span>{move || i18n.t().search_label}</span>
                    <input type="search" prop:value=f.q.clone().unwrap_or_default() on:change:target=move |ev| {
                        let mut f = query.get_untracked().filter;
                        f.q = Some(ev.target().value()).filter(|v| !v.trim().is_empty());
                        set_filter(f);
                    } />
                </label>
                <button type="button" class="button button-quiet" on:click=move |_| set_filter(TokenFilter::default())>
                    {move || i18n.t().clear_filters}
                </button>
            </div>
        }
    };

    let pager = move || {
        let q = query.get();
        let next = match page.get() {
            Some(Ok(p)) => p.next_cursor,
            _ => None,
        };
        let size = q.limit.unwrap_or(token_api::admin::DEFAULT_PAGE_SIZE);
        let on_first = q.after.is_none();
        view! {
            <div class="pager">
                <span aria-live="polite">
                    {move || match (total.get(), counted.get()) {
                        (Some((n, _)), _) | (None, Some((n, false))) => (i18n.t().n_match)(n),
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
                        let q = query.get_untracked();
                        set_query(TokenPageQuery { limit: value.parse().ok(), after: None, ..q });
                    })
                />
                <button type="button" class="button" disabled=on_first on:click=move |_| {
                    let q = query.get_untracked();
                    set_query(TokenPageQuery { after: None, ..q });
                }>
                    {move || i18n.t().first_page}
                </button>
                <button type="button" class="button" disabled=next.is_none() on:click=move |_| {
                    let q = query.get_untracked();
                    set_query(TokenPageQuery { after: next.clone(), ..q });
                }>
                    {move || i18n.t().next_page}
                </button>
            </div>
        }
    };

    let table = move || match page.get() {
        None => view! { <TableSkeleton /> }.into_any(),
        Some(Err(error)) => {
            session.check(&error);
            view! { <ErrorPanel error on_retry=Callback::new(move |_| page.refetch()) /> }.into_any()
        }
        Some(Ok(p)) if p.tokens.is_empty() => view! { <p class="empty">{move || i18n.t().no_match}</p> }.into_any(),
        Some(Ok(_)) => view! {
            <TokenTable
                rows
                caption=Signal::derive(move || i18n.t().admin_title.to_owned())
                selection
                sort=Signal::derive(move || query.with(|q| (q.sort, q.dir)))
                on_sort
                actions
                show_owner=true
            />
        }
        .into_any(),
    };

    view! {
        {counts}
        <LeakCheck on_disable=Callback::new(move |t| pending.set(Some(Pending::One(BatchAction::Disable, t)))) />
        {filters}
        <BulkToolbar
            selected=selected_count
            disableable
            on_disable=Callback::new(move |_| bulk(BatchAction::Disable))
            on_delete=Callback::new(move |_| bulk(BatchAction::Delete))
            on_clear=Callback::new(move |_| {
                all_matching.set(false);
                selection.update(Selection::clear);
            })
        />
        <Show when=move || page_full() && more_than_page()>
            <p class="select-all-matching">
                {move || {
                    if all_matching.get() {
                        view! { <span>{move || (i18n.t().all_matching_selected)(total.get().map_or(0, |(n, _)| n))}</span> }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button button-quiet" on:click=move |_| select_all_matching()>
                                {move || match total.get() {
                                    Some((n, _)) => (i18n.t().select_all_matching)(n),
                                    None => i18n.t().select_all_matching_uncounted.to_owned(),
                                }}
                            </button>
                        }
                        .into_any()
                    }
                }}
            </p>
        </Show>
        {pager}
        {table}
        <ActionConfirm pending busy on_confirm=run />
    }
}
