//! A read's three states, the same on every page: a skeleton until the first answer, the last
//! answer kept on screen while the next one loads (`Transition`), and the failure in words with
//! Retry (`ErrorBoundary`).

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_panel::ErrorPanel;
use crate::components::token_table::TableSkeleton;

/// Shows `children` once `resource` has answered, and its failure in their place.
///
/// `children` read the resource themselves (through memos): a reload that changes a few rows
/// changes those rows, and never builds the page again; a reload keeps them on screen until the
/// next answer, and a failure takes their place.
#[component]
pub fn Loaded<T>(
    /// The read.
    resource: LocalResource<Result<T, ApiError>>,
    children: ChildrenFn,
) -> impl IntoView
where
    T: Clone + 'static,
{
    // The failure the boundary caught, in words, with Retry; it follows the boundary's errors.
    let failure = move |errors: ArcRwSignal<Errors>| {
        move || {
            let error = errors.with(|errors| {
                errors
                    .iter()
                    .find_map(|(_, e)| e.downcast_ref::<ApiError>().cloned())
                    .unwrap_or(ApiError::Decode(String::new()))
            });
            view! { <ErrorPanel error on_retry=Callback::new(move |_| resource.refetch()) /> }
        }
    };
    // The children stand beside the boundaries, not inside them: a keyed list built inside
    // `Transition` duplicated rows when it changed (seen on the Users page's search).
    let answered = move || resource.with(|r| matches!(r, Some(Ok(_))));
    view! {
        <Transition fallback=TableSkeleton>
            <ErrorBoundary fallback=failure>
                {move || Suspend::new(async move { resource.await.map(|_| ()) })}
            </ErrorBoundary>
        </Transition>
        <Show when=answered>{children()}</Show>
    }
}
