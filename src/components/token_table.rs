//! The token table shared by the Users and Admins pages: row checkboxes (shift-click for a
//! range), a tri-state header checkbox, sortable columns, status told by word and shape (not by
//! colour alone), expiry with a relative date and a mark when near, and a menu per row.

mod checks;
mod window;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use token_api::leaks::leak_location;
use token_api::query::{SortDir, SortField};
use token_api::tokens::{DisabledCause, TokenStatus, TokenView};

use crate::components::row_menu::{MenuItem, RowMenu};
use crate::components::token_actions::RowFocus;
use crate::components::token_history::TokenHistory;
use crate::format;
use crate::i18n::{use_i18n, Locale, Messages};
use crate::selection::{Selection, TriState};
use crate::token_query::status_now;
use checks::RowChecks;
use window::RowWindow;

fn status_class(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => "status status-active",
        TokenStatus::Disabled => "status status-disabled",
        TokenStatus::Expired => "status status-expired",
    }
}

/// What a row's menu may do.
#[derive(Clone, Copy)]
pub struct RowActions {
    /// Disable this token (offered while it is active).
    pub disable: Callback<TokenView>,
    /// Delete this token.
    pub delete: Callback<TokenView>,
    /// Show only this token's owner's tokens (Admins page).
    pub show_owner: Option<Callback<TokenView>>,
    /// The label of `show_owner`.
    pub show_owner_label: Option<Signal<String>>,
    /// Regenerate this token (the owner's page; offered unless it is disabled).
    pub regenerate: Option<Callback<TokenView>>,
    /// Edit its description (the owner's page).
    pub describe: Option<Callback<TokenView>>,
}

#[component]
fn SortHeader(
    field: SortField,
    label: Signal<String>,
    sort: Signal<(SortField, SortDir)>,
    on_sort: Callback<SortField>,
) -> impl IntoView {
    let aria_sort = move || match sort.get() {
        (f, SortDir::Asc) if f == field => "ascending",
        (f, SortDir::Desc) if f == field => "descending",
        _ => "none",
    };
    let arrow = move || match aria_sort() {
        "ascending" => "▲",
        "descending" => "▼",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <button type="button" class="sort-button" on:click=move |_| on_sort.run(field)>
                {label}
                <span class="sort-arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}

/// Under Expires, for a disabled token (its expiry no longer matters): when, by whom and why, so
/// its owner learns why their integration stopped. `to_owner`: the words speak to the owner.
fn disabled_note(t: &Messages, locale: Locale, token: &TokenView, to_owner: bool) -> String {
    let Some(at) = token.disabled_at else {
        return String::new();
    };
    let date = format::date(locale, at);
    match token.disabled_cause {
        Some(DisabledCause::ReuseDetected) => (t.disabled_reuse)(&date, to_owner),
        Some(DisabledCause::Revoked) => (t.disabled_revoked)(&date),
        Some(DisabledCause::OwnerLeft) => (t.disabled_owner_left)(&date),
        Some(DisabledCause::Deprovisioned) => (t.disabled_deprovisioned)(&date),
        Some(DisabledCause::Regenerated) => (t.disabled_regenerated)(&date, successor(token).as_deref()),
        Some(DisabledCause::TakenOver) => (t.disabled_taken_over)(&date),
        Some(DisabledCause::Leaked) => {
            let place = token.disabled_reason.as_deref().and_then(leak_location);
            (t.disabled_leaked)(&date, place.map(format::isolate).as_deref())
        }
        // By a person, who is named while the service still knows them.
        _ => {
            let by = token.disabled_by.as_ref().map(|p| {
                if p.name.is_empty() {
                    p.email.as_str()
                } else {
                    p.name.as_str()
                }
            });
            let by = by.map(format::isolate);
            let note = (t.disabled_on)(&date, by.as_deref());
            match token.disabled_reason.as_deref().filter(|r| !r.is_empty()) {
                Some(reason) => (t.disabled_because)(&note, &format::isolate(reason)),
                None => note,
            }
        }
    }
}

/// The token that replaced this one, by name and by the end of its refresh token (the two
/// share a name when Regenerate kept it).
/// What a token may do and where from, under its name: "All permissions" flagged, or its
/// permissions; its ranges, if any.
fn carries(t: &Messages, token: &TokenView) -> impl IntoView {
    let ranges = (!token.ranges.is_empty()).then(|| (t.scope_from)(&token.ranges.join(" ")));
    view! {
        <span class="scope small">
            {match token.all_permissions {
                true => view! { <span class="badge-all">{t.scope_all}</span> }.into_any(),
                false => view! { <code>{token.permissions.join(" · ")}</code> }.into_any(),
            }}
            {ranges.map(|r| view! { <span class="muted">{r}</span> })}
        </span>
    }
}

fn successor(token: &TokenView) -> Option<String> {
    let next = token.replaced_by.as_ref()?;
    // A word joiner keeps the ellipsis with the characters it stands for.
    Some(format!(
        "“{}” …\u{2060}{}",
        format::isolate(&next.name),
        next.hint.as_deref().unwrap_or_default()
    ))
}

/// A moment as a cell shows it (`text`), with its full date, time and zone on hover (the title)
/// and `more` beside it while keyboard focus is in its row (the stylesheet shows `data-at`).
pub fn when(locale: Locale, at: DateTime<Utc>, text: String, more: String) -> impl IntoView {
    view! { <span class="when" title=format::full(locale, at) data-at=more>{text}</span> }
}

/// The table. Rows arrive sorted and filtered; selecting and sorting are the page's to keep.
#[component]
pub fn TokenTable(
    /// The tokens in view, in order.
    #[prop(into)]
    rows: Signal<Vec<TokenView>>,
    /// The table's accessible name.
    #[prop(into)]
    caption: Signal<String>,
    /// Which rows are selected.
    selection: RwSignal<Selection>,
    /// The current sort.
    #[prop(into)]
    sort: Signal<(SortField, SortDir)>,
    /// A sortable column's header was pressed.
    on_sort: Callback<SortField>,
    /// What each row's menu offers.
    actions: RowActions,
    /// Show each token's owner (Admins page).
    #[prop(optional)]
    show_owner: bool,
    /// What the table says when no token is in view (a search that matches none). The table
    /// stays, its header and sort with it: a search typed or cleared changes only the rows.
    #[prop(into)]
    empty: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let checked = RowChecks::follow(selection);
    let visible_ids = move || rows.with(|r| r.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
    let tri = Memo::new(move |_| rows.with(|r| selection.with(|s| s.tri_state_of(r.iter().map(|t| t.id.as_str())))));
    let window = RowWindow::follow(rows);
    let columns = if show_owner { 9 } else { 8 };
    let header = move |field: SortField, label: fn(&Messages) -> &'static str| {
        view! { <SortHeader field label=Signal::derive(move || label(i18n.t()).to_owned()) sort on_sort /> }
    };
    // A row is built in the language of the moment and subscribes to nothing long-lived (see
    // `RowChecks`); the list is rebuilt when the language changes (the key includes it).
    let row_focus = use_context::<RowFocus>();
    // The token whose history is open.
    let history = RwSignal::new(None::<TokenView>);
    let row = move |(index, token): (usize, TokenView)| {
        let locale = i18n.locale.get_untracked();
        let t = locale.messages();
        let now = Utc::now();
        let status = status_now(&token, now);
        let id = token.id.clone();
        let (created, expires, last_used) = (token.created_at, token.expires_at, token.last_used_at);
        let next = successor(&token);
        // A replaced token is its successor's to renew, not its own.
        let soon =
            status == TokenStatus::Active && next.is_none() && token_api::tokens::expires_soon(created, expires, now);
        // What the expiry means now: when it comes, when it came, or that it no longer matters.
        let expiry_note = match status {
            TokenStatus::Active => match &next {
                Some(by) => (t.replaced_by)(by),
                None => format::relative(locale, now, expires),
            },
            TokenStatus::Expired => (t.expired_ago)(-format::days_between(now, expires).min(0)),
            TokenStatus::Disabled => disabled_note(t, locale, &token, !show_owner),
        };
        let name = token.name.clone();
        let toggle_id = id.clone();
        let menu_token = token.clone();
        let history_token = token.clone();
        let replaced = token.replaced_by.is_some();
        let items = Signal::derive(move || {
            let t = i18n.t();
            let mut items = Vec::new();
            let token = history_token.clone();
            items.push(MenuItem {
                label: t.history.to_owned(),
                danger: false,
                on_select: Callback::new(move |_| history.set(Some(token.clone()))),
            });
            if let (Some(show), Some(label)) = (actions.show_owner, actions.show_owner_label) {
                let token = menu_token.clone();
                items.push(MenuItem {
                    label: label.get(),
                    danger: false,
                    on_select: Callback::new(move |_| show.run(token.clone())),
                });
            }
            if let Some(describe) = actions.describe {
                let token = menu_token.clone();
                items.push(MenuItem {
                    label: t.edit_description.to_owned(),
                    danger: false,
                    on_select: Callback::new(move |_| describe.run(token.clone())),
                });
            }
            if let Some(regenerate) = actions
                .regenerate
                .filter(|_| status != TokenStatus::Disabled && !replaced)
            {
                let token = menu_token.clone();
                items.push(MenuItem {
                    label: t.regenerate.to_owned(),
                    danger: false,
                    on_select: Callback::new(move |_| regenerate.run(token.clone())),
                });
            }
            if status == TokenStatus::Active {
                let token = menu_token.clone();
                let disable = actions.disable;
                // Not red: it stops the token and keeps it listed (Delete, red, takes it away).
                items.push(MenuItem {
                    label: t.disable.to_owned(),
                    danger: false,
                    on_select: Callback::new(move |_| disable.run(token.clone())),
                });
            }
            let token = menu_token.clone();
            let delete = actions.delete;
            items.push(MenuItem {
                label: t.delete.to_owned(),
                danger: true,
                on_select: Callback::new(move |_| delete.run(token.clone())),
            });
            items
        });
        let row_label = name.clone();
        let menu_label = name.clone();
        let flag = checked.flag(&id, selection);
        let focus_on_mount = row_focus.is_some_and(|f| f.take_if(&id));
        let selected: Signal<bool> = flag.into();
        view! {
            <tr
                class:inactive=status != TokenStatus::Active || replaced
                class:selected=selected
                aria-rowindex=window.windowed_untracked().then(|| (index + 2).to_string())
            >
                <td class="select-cell">
                    <input
                        type="checkbox"
                        aria-label=(t.select_row)(&row_label)
                        prop:checked=selected
                        on:click=move |ev: leptos::ev::MouseEvent| {
                            let shift = ev.shift_key();
                            let id = toggle_id.clone();
                            if shift {
                                let visible = visible_ids();
                                selection.update(|s| s.extend_to(&id, &visible));
                            } else {
                                selection.update(|s| s.toggle(&id));
                            }
                        }
                    />
                </td>
                // Named by its name alone; its description is read with the cell.
                <th scope="row" class="name" aria-labelledby=format!("token-name-{id}")>
                    // People's words read in their own direction, never reordering the row's.
                    <span id=format!("token-name-{id}") dir="auto">{name}</span>
                    {token.description.clone().map(|d| view! { <span class="description muted small" dir="auto">{d}</span> })}
                    {carries(t, &token)}
                </th>
                {show_owner.then(|| {
                    let owner = token.owner.clone();
                    view! {
                        <td class="owner" data-label=t.col_owner>
                            <span dir="auto">{owner.name}</span>
                            <span class="muted small" dir="auto">{owner.email}</span>
                        </td>
                    }
                })}
                <td data-label=t.col_status><span class=status_class(status)>{t.status(status)}</span></td>
                <td data-label=t.col_created>{when(locale, created, format::date(locale, created), format::time_zoned(created))}</td>
                <td class:soon=soon data-label=t.col_expires>
                    {when(locale, expires, format::date(locale, expires), format::time_zoned(expires))}
                    <span class="muted small">{expiry_note}</span>
                    {soon.then(|| view! { <span class="badge-soon">{t.expires_soon}</span> })}
                </td>
                <td data-label=t.col_last_used>
                    {match last_used {
                        Some(at) => when(locale, at, format::relative(locale, now, at), format::full(locale, at)).into_any(),
                        None => t.never.into_any(),
                    }}
                </td>
                <td data-label=t.col_hint><code class="hint">"…"{token.hint.clone()}</code></td>
                <td class="menu-cell">
                    <RowMenu label=Signal::stored((t.actions_for)(&menu_label)) items focus_on_mount />
                </td>
            </tr>
        }
    };
    // A row is rebuilt when what it shows changes, not on every change to the list; a windowed
    // row also when its place in the list does (its `aria-rowindex`).
    let key = move |(index, t): &(usize, TokenView)| {
        format!(
            "{}|{}|{}|{:?}|{:?}|{:?}|{:?}|{}|{:?}",
            i18n.locale.get_untracked().tag(),
            if window.windowed_untracked() {
                *index
            } else {
                usize::MAX
            },
            t.id,
            t.disabled_at.map(|d| d.timestamp_millis()),
            t.last_used_at.map(|d| d.timestamp_millis()),
            // A regenerated token's predecessor changes only its expiry and its successor.
            t.expires_at.timestamp_millis(),
            t.replaced_by.as_ref().map(|r| r.hint.as_deref()),
            t.hint,
            t.description
        )
    };
    view! {
        <div class="table-wrap">
            <table class="tokens" aria-rowcount=move || window.windowed().then(|| (window.len() + 1).to_string())>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col" class="select-cell">
                            <input
                                type="checkbox"
                                aria-label=move || i18n.t().select_all
                                prop:checked=move || tri.get() == TriState::Checked
                                prop:indeterminate=move || tri.get() == TriState::Indeterminate
                                disabled=move || rows.with(Vec::is_empty)
                                on:change=move |_| {
                                    let visible = visible_ids();
                                    selection.update(|s| s.toggle_all(&visible));
                                }
                            />
                        </th>
                        {header(SortField::Name, |t| t.col_name)}
                        {show_owner.then(|| header(SortField::Owner, |t| t.col_owner))}
                        <th scope="col" class="phone-hidden">{move || i18n.t().col_status}</th>
                        {header(SortField::Created, |t| t.col_created)}
                        {header(SortField::Expires, |t| t.col_expires)}
                        {header(SortField::LastUsed, |t| t.col_last_used)}
                        <th scope="col" class="phone-hidden">{move || i18n.t().col_hint}</th>
                        <th scope="col" class="phone-hidden"><span class="visually-hidden">{move || i18n.t().col_actions}</span></th>
                    </tr>
                </thead>
                <tbody node_ref=window.body>
                    {move || window.spacer(true, columns)}
                    <For each=move || { i18n.locale.track(); window.rows() } key=key let:token>
                        {row(token)}
                    </For>
                    {move || window.spacer(false, columns)}
                    {move || {
                        rows.with(Vec::is_empty)
                            .then(|| view! { <tr class="empty-row"><td colspan=columns class="empty">{empty}</td></tr> })
                    }}
                </tbody>
            </table>
        </div>
        <TokenHistory token=history />
    }
}

/// Skeleton rows while the first load is under way.
#[component]
pub fn TableSkeleton() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap skeleton" role="status" aria-busy="true">
            <span class="visually-hidden">{move || i18n.t().loading}</span>
            {(0..5).map(|_| view! { <div class="skeleton-row" aria-hidden="true"></div> }).collect::<Vec<_>>()}
        </div>
    }
}
