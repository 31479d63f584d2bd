//! The token table shared by the Users and Admins pages: row checkboxes (shift-click for a
//! range), a tri-state header checkbox, sortable columns, status told by word and shape (not by
//! colour alone), expiry with a relative date and a mark when near, and a menu per row.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use token_api::admin::{SortDir, SortField};
use token_api::tokens::{TokenStatus, TokenView};
use wasm_bindgen::JsCast;

use crate::components::row_menu::{MenuItem, RowMenu};
use crate::format;
use crate::i18n::{use_i18n, Messages};
use crate::selection::{Selection, TriState};
use crate::view::status_now;

/// Tokens expiring sooner than this are marked.
const SOON: Duration = Duration::days(7);
/// A longer list renders only the rows near the viewport, between two spacers of the height of
/// the rows left out; up to this many, every row is in the document (and findable with Ctrl+F).
const WINDOWED_FROM: usize = 200;
/// Rows rendered beyond each edge of the viewport; the window moves in steps of this many.
const OVERSCAN: usize = 30;

fn status_label(t: &Messages, status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => t.status_active,
        TokenStatus::Disabled => t.status_disabled,
        TokenStatus::Expired => t.status_expired,
    }
}

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
}

/// Each row's checkbox state as its own signal, set only when that row's state changes. A memo
/// per row reading the selection re-ran for every row on every change: a one-row toggle cost
/// 116 ms with 2,000 rows shown (and a plain read, ~170 ms with 1,300).
///
/// A flag lives as long as its row: it is made with the row and forgotten when the row goes.
/// A signal that outlives the row would keep a dead subscriber entry (and its allocation) for
/// every effect of every row ever built on it: the wasm memory grew by 4-5 MiB each time
/// 4,000 rows were built again.
#[derive(Clone, Copy)]
struct RowChecks {
    flags: StoredValue<HashMap<String, ArcRwSignal<bool>>>,
}

impl RowChecks {
    /// Flags that follow `selection`: each row's, set when its own state changes. Only the rows
    /// in the document have flags, so a change costs the rendered rows, not the list (select
    /// all of 100,000 tokens diffed two sets of 100,000 ids before).
    fn follow(selection: RwSignal<Selection>) -> RowChecks {
        let checks = RowChecks {
            flags: StoredValue::new(HashMap::new()),
        };
        Effect::new(move |_| {
            selection.with(|s| {
                checks.flags.with_value(|flags| {
                    for (id, flag) in flags {
                        let on = s.contains(id);
                        if flag.get_untracked() != on {
                            flag.set(on);
                        }
                    }
                })
            })
        });
        checks
    }

    /// A new flag for the row of `id` being built, forgotten when that row is dropped.
    fn flag(self, id: &str, selection: RwSignal<Selection>) -> ArcRwSignal<bool> {
        let flag = ArcRwSignal::new(selection.with_untracked(|s| s.contains(id)));
        self.flags.update_value(|flags| {
            flags.insert(id.to_owned(), flag.clone());
        });
        let (id, mine) = (id.to_owned(), flag.clone());
        on_cleanup(move || {
            // A rebuilt row of the same id may have registered its own flag first.
            let _ = self.flags.try_update_value(|flags| {
                if flags.get(&id).is_some_and(|f| *f == mine) {
                    flags.remove(&id);
                }
            });
        });
        flag
    }
}

/// Which rows of a long list are rendered: those near the viewport, found from the rendered
/// rows' place on screen and their measured average height, and moved as the page (or any
/// scrolling ancestor, as in a host app) scrolls. Selection, ranges and "select all" work on
/// the list itself, so rows out of the window take part in them too.
#[derive(Clone, Copy)]
struct RowWindow {
    body: NodeRef<leptos::html::Tbody>,
    rows: Signal<Vec<TokenView>>,
    /// The rendered rows, `start..end` of the list, and a row's height in CSS pixels as last
    /// measured.
    at: RwSignal<(usize, usize, f64)>,
}

impl RowWindow {
    fn follow(rows: Signal<Vec<TokenView>>) -> RowWindow {
        let window = RowWindow {
            body: NodeRef::new(),
            rows,
            at: RwSignal::new((0, 2 * OVERSCAN, 48.0)),
        };
        // Scroll events do not bubble: listen in the capture phase, for any scrolling ancestor.
        let listener =
            send_wrapper::SendWrapper::new(wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || window.place()));
        let listen = move |add: bool| {
            let win = leptos::prelude::window();
            for event in ["scroll", "resize"] {
                let f = listener.as_ref().unchecked_ref();
                let _ = if add {
                    win.add_event_listener_with_callback_and_bool(event, f, true)
                } else {
                    win.remove_event_listener_with_callback_and_bool(event, f, true)
                };
            }
        };
        listen(true);
        on_cleanup(move || listen(false));
        // After the list or the window changes, and the rows are laid out: measure and place.
        Effect::new(move |_| {
            window.rows.track();
            window.at.track();
            request_animation_frame(move || window.place());
        });
        window
    }

    fn len(self) -> usize {
        self.rows.with(Vec::len)
    }

    fn windowed(self) -> bool {
        self.len() > WINDOWED_FROM
    }

    fn windowed_untracked(self) -> bool {
        self.rows.with_untracked(Vec::len) > WINDOWED_FROM
    }

    /// The rows to render, with their places in the list.
    fn rows(self) -> Vec<(usize, TokenView)> {
        let (start, end, _) = if self.windowed() {
            self.at.get()
        } else {
            (0, usize::MAX, 0.0)
        };
        self.rows.with(|r| {
            let end = end.min(r.len());
            let start = start.min(end);
            r[start..end]
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, t)| (start + i, t))
                .collect()
        })
    }

    /// A spacer row standing in for the rows left out above (`top`) or below the window.
    fn spacer(self, top: bool, columns: u32) -> Option<impl IntoView> {
        if !self.windowed() {
            return None;
        }
        let len = self.len();
        let (start, end, row_px) = self.at.get();
        let end = end.min(len);
        let rows = if top { start.min(end) } else { len - end };
        // Whole pixels: formatting an f64 would bring Rust's float printing into the bundle
        // (7.6 KiB brotli, measured).
        (rows > 0).then(|| {
            view! {
                <tr class="spacer" aria-hidden="true">
                    <td colspan=columns style=format!("height:{}px", (rows as f64 * row_px).round() as u64)></td>
                </tr>
            }
        })
    }

    /// Measures the rendered rows and moves the window to the viewport, when the viewport has
    /// come near an edge of the window: measured from the rows themselves, so the spacers'
    /// estimate never feeds back into where the window goes.
    fn place(self) {
        // A frame requested before the table went may arrive after it.
        let (Some(len), Some((start, end, mut row_px))) =
            (self.rows.try_with_untracked(Vec::len), self.at.try_get_untracked())
        else {
            return;
        };
        let Some(body) = self.body.get_untracked().filter(|_| len > WINDOWED_FROM) else {
            return;
        };
        let win = leptos::prelude::window();
        let viewport = win.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(900.0);
        let first = body.query_selector("tr[aria-rowindex]").ok().flatten();
        let last = body.last_element_child().and_then(|l| {
            if l.class_name() == "spacer" {
                l.previous_element_sibling()
            } else {
                Some(l)
            }
        });
        let rendered = end.min(len).saturating_sub(start);
        // The list's row at the top of the viewport, in rows (fractional).
        let at = match (first, last) {
            (Some(first), Some(last)) if rendered > 0 => {
                let top = first.get_bounding_client_rect().top();
                let measured = (last.get_bounding_client_rect().bottom() - top) / rendered as f64;
                if measured >= 1.0 && (measured - row_px).abs() > 0.5 {
                    // The spacer above changes by as much: scroll by it too, so the rows in
                    // view stay where they are (the table opts out of scroll anchoring).
                    win.scroll_by_with_x_and_y(0.0, start.min(len) as f64 * (measured - row_px));
                    row_px = measured;
                }
                start as f64 - top / row_px
            }
            _ => -body.get_bounding_client_rect().top() / row_px,
        };
        let first = at.max(0.0) as usize;
        let last = (first + (viewport / row_px).ceil() as usize + 1).min(len);
        let margin = OVERSCAN / 2;
        let (start, end) = if start <= first.saturating_sub(margin) && end >= (last + margin).min(len) {
            (start, end)
        } else {
            (
                first.saturating_sub(OVERSCAN) / OVERSCAN * OVERSCAN,
                ((last + OVERSCAN).div_ceil(OVERSCAN) * OVERSCAN).min(len),
            )
        };
        if self.at.get_untracked() != (start, end, row_px) {
            self.at.set((start, end, row_px));
        }
    }
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
) -> impl IntoView {
    let i18n = use_i18n();
    let checked = RowChecks::follow(selection);
    let visible_ids = move || rows.with(|r| r.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
    let tri = Memo::new(move |_| selection.with(|s| s.tri_state(&visible_ids())));
    let window = RowWindow::follow(rows);
    let columns = if show_owner { 9 } else { 8 };
    let header = move |field: SortField, label: fn(&Messages) -> &'static str| {
        view! { <SortHeader field label=Signal::derive(move || label(i18n.t()).to_owned()) sort on_sort /> }
    };
    // A row is built in the language of the moment and subscribes to nothing long-lived (see
    // `RowChecks`); the list is rebuilt when the language changes (the key includes it).
    let row = move |(index, token): (usize, TokenView)| {
        let locale = i18n.locale.get_untracked();
        let t = locale.messages();
        let now = Utc::now();
        let status = status_now(&token, now);
        let id = token.id.clone();
        let (created, expires, last_used) = (token.created_at, token.expires_at, token.last_used_at);
        let soon = status == TokenStatus::Active && expires - now < SOON;
        let name = token.name.clone();
        let toggle_id = id.clone();
        let menu_token = token.clone();
        let items = Signal::derive(move || {
            let t = i18n.t();
            let mut items = Vec::new();
            if let (Some(show), Some(label)) = (actions.show_owner, actions.show_owner_label) {
                let token = menu_token.clone();
                items.push(MenuItem {
                    label: label.get(),
                    danger: false,
                    on_select: Callback::new(move |_| show.run(token.clone())),
                });
            }
            if status == TokenStatus::Active {
                let token = menu_token.clone();
                let disable = actions.disable;
                items.push(MenuItem {
                    label: t.disable.to_owned(),
                    danger: true,
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
        let selected: Signal<bool> = flag.into();
        view! {
            <tr
                class:inactive=status != TokenStatus::Active
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
                <th scope="row" class="name">{name}</th>
                {show_owner.then(|| {
                    let owner = token.owner.clone();
                    view! {
                        <td class="owner" data-label=t.col_owner>
                            <span>{owner.name}</span>
                            <span class="muted small">{owner.email}</span>
                        </td>
                    }
                })}
                <td data-label=t.col_status><span class=status_class(status)>{status_label(t, status)}</span></td>
                <td data-label=t.col_created>{format::date(locale, created)}</td>
                <td class:soon=soon data-label=t.col_expires>
                    <span>{format::date(locale, expires)}</span>
                    <span class="muted small">{format::relative(locale, now, expires)}</span>
                    {soon.then(|| view! { <span class="badge-soon">{t.expires_soon}</span> })}
                </td>
                <td data-label=t.col_last_used>
                    {match last_used {
                        Some(at) => format::relative(locale, now, at),
                        None => t.never.to_owned(),
                    }}
                </td>
                <td data-label=t.col_hint><code class="hint">"…"{token.hint.clone()}</code></td>
                <td class="menu-cell">
                    <RowMenu label=Signal::stored((t.actions_for)(&menu_label)) items />
                </td>
            </tr>
        }
    };
    // A row is rebuilt when what it shows changes, not on every change to the list; a windowed
    // row also when its place in the list does (its `aria-rowindex`).
    let key = move |(index, t): &(usize, TokenView)| {
        format!(
            "{}|{}|{}|{:?}|{:?}|{}",
            i18n.locale.get_untracked().tag(),
            if window.windowed_untracked() {
                *index
            } else {
                usize::MAX
            },
            t.id,
            t.disabled_at.map(|d| d.timestamp_millis()),
            t.last_used_at.map(|d| d.timestamp_millis()),
            t.hint
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
                </tbody>
            </table>
        </div>
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

/// When a disabled token's access tokens stop working at the latest: an hour from now.
pub fn access_tokens_end(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::seconds(token_api::tokens::ACCESS_TOKEN_TTL_SECS)
}
