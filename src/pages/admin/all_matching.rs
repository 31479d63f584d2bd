//! "Select all N matching" on the Tokens tab: the selection that reaches past the page, the
//! exact counts it needs from the service, and how an action on it is sent. The rules it follows (what the page's count is worth,
//! which tokens Disable changes) are `crate::bulk`'s; this keeps the state.
//!
//! Exact counts are asked for: of every match, when the admin selects all matching and the
//! page's count stopped at the cap (all are selected once it has come); and of the active ones
//! among them, which Disable acts on, so its button, its dialog and the typed count say how many
//! it changes. A count that fails is told in a toast and unselects all matching, to be chosen
//! again.

use leptos::prelude::*;
use token_api::admin::FilterActionRequest;
use token_api::query::{TokenFilter, TokenPageQuery};
use token_api::tokens::{BatchAction, BatchResult, TokenView};

use crate::api::{self, ApiError};
use crate::bulk::{disableable_matching, matching, BulkCount, Counted};
use crate::components::error_panel::error_text;
use crate::components::token_actions::{Pending, Target};
use crate::hooks::use_token_selection::UseTokenSelectionReturn;
use crate::i18n::use_i18n;
use crate::selection::TriState;
use crate::state::toasts::use_toasts;

/// One admin action sent: the tokens it names as a batch, or everything a filter matches, as
/// counted.
pub async fn send(ws: String, p: Pending, reason: Option<String>) -> Result<BatchResult, ApiError> {
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

/// The Tokens tab's selection of all matching; `Copy`.
#[derive(Clone, Copy)]
pub struct AllMatching {
    chosen: RwSignal<bool>,
    /// Exact counts asked for, of the filter in the URL and its active tokens.
    asked: RwSignal<Vec<Counted>>,
    /// Every token the filter in the URL matches, counted.
    pub total: Memo<Option<Counted>>,
    count: Action<(TokenFilter, bool), ()>,
    query: Memo<TokenPageQuery>,
    rows: Memo<Vec<TokenView>>,
    selected: UseTokenSelectionReturn,
}

/// All matching over the page `rows` of `query`, whose own count (`page_count`: exact only) is
/// taken where it is of the same filter.
pub fn use_all_matching(
    ws: Memo<String>,
    query: Memo<TokenPageQuery>,
    page_count: Memo<Option<Counted>>,
    rows: Memo<Vec<TokenView>>,
    selected: UseTokenSelectionReturn,
) -> AllMatching {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let chosen = RwSignal::new(false);
    let asked = RwSignal::new(Vec::<Counted>::new());
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
                    asked.update(|c| {
                        c.push(Counted {
                            filter: query.filter,
                            count: p.total,
                            as_of: p.as_of,
                        })
                    });
                    if select {
                        chosen.set(true);
                    }
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    toasts.error(error_text(i18n.t(), &e), vec![]);
                    chosen.set(false);
                }
            }
        }
    });
    let total = Memo::new(move |_| query.with(|q| asked.with(|a| matching(&q.filter, page_count.get(), a))));
    let all = AllMatching {
        chosen,
        asked,
        total,
        count,
        query,
        rows,
        selected,
    };
    // A new filter: all matching, and the counts asked for, were the old filter's. Another page
    // of the same filter keeps all matching, and its rows are selected with the rest.
    Effect::new(move |before: Option<TokenFilter>| {
        let now = query.with(|q| q.filter.clone());
        if before.is_some_and(|b| b != now) {
            all.forget();
        }
        now
    });
    Effect::new(move |_| {
        rows.track();
        if chosen.get_untracked() {
            let ids = all.ids();
            selected.selection.update(|s| {
                s.retain_visible(&ids);
                if s.tri_state(&ids) != TriState::Checked {
                    s.toggle_all(&ids);
                }
            });
        }
    });
    // Selected: the active ones among them are counted, for Disable.
    Effect::new(move |_| {
        if all.on() {
            if let Some(Err(active)) = total.with(|t| t.as_ref().map(|t| asked.with(|a| disableable_matching(t, a)))) {
                count.dispatch_local((active, false));
            }
        }
    });
    all
}

impl AllMatching {
    fn ids(self) -> Vec<String> {
        self.rows.with(|r| r.iter().map(|t| t.id.clone()).collect())
    }

    /// Every row of the page is selected.
    pub fn page_full(self) -> bool {
        let ids = self.ids();
        !ids.is_empty() && self.selected.selection.with(|s| s.tri_state(&ids)) == TriState::Checked
    }

    /// All matching is selected: chosen, while the whole page is, and counted.
    pub fn on(self) -> bool {
        self.chosen.get() && self.page_full() && self.total.with(Option::is_some)
    }

    /// Selects all matching, once counted.
    pub fn select(self) {
        if self.total.with_untracked(Option::is_some) {
            self.chosen.set(true);
        } else {
            self.count
                .dispatch_local((self.query.with_untracked(|q| q.filter.clone()), true));
        }
    }

    /// Back to the selected rows alone.
    pub fn clear(self) {
        self.chosen.set(false);
    }

    /// Unselects all matching and forgets the counts: after an action, or for another filter.
    pub fn forget(self) {
        self.chosen.set(false);
        self.asked.set(Vec::new());
    }

    /// What the toolbar says: of all matching while it is on, else of the selected rows.
    pub fn count(self) -> BulkCount {
        if !self.on() {
            return self.selected.count();
        }
        let all = self.total.get();
        BulkCount {
            selected: all.as_ref().map_or(0, |c| c.count as usize),
            disableable: all.and_then(|all| {
                self.asked
                    .with(|a| disableable_matching(&all, a))
                    .ok()
                    .map(|c| c.count as usize)
            }),
        }
    }

    /// What `action` applies to; `None` while its count is not there (its button waits too).
    pub fn target(self, action: BatchAction) -> Option<Target> {
        if !untrack(|| self.on()) {
            return Some(Target::Many(self.selected.targets(action)));
        }
        let all = self.total.get_untracked()?;
        let Counted { filter, count, as_of } = match action {
            BatchAction::Delete => all,
            BatchAction::Disable => self.asked.with_untracked(|a| disableable_matching(&all, a)).ok()?,
        };
        let shown = self
            .rows
            .with_untracked(|r| r.iter().map(|t| (t.id.clone(), t.name.clone())).collect());
        Some(Target::Matching {
            filter,
            count,
            as_of,
            shown,
        })
    }
}

/// Below the toolbar while the whole page is selected and the filter matches more: "Select all
/// N matching", or, once selected, that all are.
pub fn select_all_matching(all: AllMatching, more_than_page: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let matching = move || all.total.with(|t| t.as_ref().map_or(0, |c| c.count));
    view! {
        <Show when=move || all.page_full() && more_than_page.get()>
            <p class="select-all-matching">
                {move || {
                    if all.on() {
                        view! { <span>{move || (i18n.t().all_matching_selected)(matching())}</span> }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button button-quiet" on:click=move |_| all.select()>
                                {move || match all.total.get() {
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
    }
}
