//! Each rendered row's checkbox state, kept apart from the selection it follows.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::selection::Selection;

/// Each row's checkbox state as its own signal, set only when that row's state changes. A memo
/// per row reading the selection re-ran for every row on every change: a one-row toggle cost
/// 116 ms with 2,000 rows shown (and a plain read, ~170 ms with 1,300).
///
/// A flag lives as long as its row: it is made with the row and forgotten when the row goes.
/// A signal that outlives the row would keep a dead subscriber entry (and its allocation) for
/// every effect of every row ever built on it: the wasm memory grew by 4-5 MiB each time
/// 4,000 rows were built again.
#[derive(Clone, Copy)]
pub(super) struct RowChecks {
    flags: StoredValue<HashMap<String, ArcRwSignal<bool>>>,
}

impl RowChecks {
    /// Flags that follow `selection`: each row's, set when its own state changes. Only the rows
    /// in the document have flags, so a change costs the rendered rows, not the list (select
    /// all of 100,000 tokens diffed two sets of 100,000 ids before).
    pub(super) fn follow(selection: RwSignal<Selection>) -> RowChecks {
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
    pub(super) fn flag(self, id: &str, selection: RwSignal<Selection>) -> ArcRwSignal<bool> {
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
