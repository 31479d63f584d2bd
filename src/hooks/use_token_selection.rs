//! The selection over a list of tokens, kept the same way on both token pages: rows that leave
//! the list leave the selection, and what is selected is counted, never cloned.

use chrono::Utc;
use leptos::prelude::*;
use token_api::tokens::{BatchAction, TokenView};

use crate::bulk::{targets, BulkCount};
use crate::selection::Selection;

/// A page's selection; `Copy`.
#[derive(Clone, Copy)]
pub struct UseTokenSelectionReturn {
    pub selection: RwSignal<Selection>,
    tokens: Signal<Vec<TokenView>>,
    counts: Memo<BulkCount>,
}

/// The selection over `tokens`: the rows the page's view holds (on every page of it).
pub fn use_token_selection(tokens: Signal<Vec<TokenView>>) -> UseTokenSelectionReturn {
    let selection = RwSignal::new(Selection::default());
    Effect::new(move |_| {
        let ids: Vec<String> = tokens.with(|all| all.iter().map(|t| t.id.clone()).collect());
        selection.update(|s| s.retain_visible(&ids));
    });
    let counts = Memo::new(move |_| tokens.with(|all| selection.with(|s| BulkCount::of_rows(all, s, Utc::now()))));
    UseTokenSelectionReturn {
        selection,
        tokens,
        counts,
    }
}

impl UseTokenSelectionReturn {
    /// How many are selected, and how many of them Disable changes.
    pub fn count(self) -> BulkCount {
        self.counts.get()
    }

    /// The selected tokens `action` can change, ids and names.
    pub fn targets(self, action: BatchAction) -> Vec<(String, String)> {
        self.tokens
            .with_untracked(|all| self.selection.with_untracked(|s| targets(action, all, s, Utc::now())))
    }

    /// The ids an action changed leave the selection; those that failed stay.
    pub fn remove(self, done: &[String]) {
        self.selection.update(|s| s.remove_all(done.iter()));
    }

    pub fn clear(self) {
        self.selection.update(Selection::clear);
    }
}
