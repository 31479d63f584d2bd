//! A page whose code comes when it is first shown: `load` is a `#[lazy]` function of
//! `crate::pages`, which fetches the page's own wasm module in a split build.

use std::future::Future;

use leptos::prelude::*;

use crate::components::token_table::TableSkeleton;
use crate::pages::PageBuilder;

/// Shows the page whose builder `load` gives, and the page's skeleton while its code is on its
/// way. The page is built as a route builds one: once, untracked, under this component's owner.
#[component]
pub fn Deferred<F, Fut>(load: F) -> impl IntoView
where
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = PageBuilder> + 'static,
{
    let (page, set_page) = signal(None::<PageBuilder>);
    leptos::task::spawn_local(async move {
        let build = load().await;
        // Gone already when the user moved on before the code came: nothing to show it in.
        let _ = set_page.try_set(Some(build));
    });
    move || match page.get() {
        Some(build) => untrack(build),
        None => TableSkeleton().into_any(),
    }
}
