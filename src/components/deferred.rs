//! A page whose code comes when it is first shown: `load` is a lazy page of `crate::pages`,
//! which fetches the page's own wasm module in a split build.

use std::future::Future;

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_panel::ErrorPanel;
use crate::components::token_table::TableSkeleton;
use crate::pages::LazyPage;

#[derive(Clone, Copy)]
enum Code {
    Coming,
    Here(fn() -> AnyView),
    Failed,
}

/// Shows the page `load` gives the builder of: its skeleton while the code is on its way, and
/// the network failure with Retry when it cannot come. The page is built as a route builds one:
/// once, untracked, under this component's owner.
#[component]
pub fn Deferred<Fut>(load: fn() -> Fut) -> impl IntoView
where
    Fut: Future<Output = LazyPage> + 'static,
{
    let (code, set_code) = signal(Code::Coming);
    let fetch = move || {
        set_code.set(Code::Coming);
        leptos::task::spawn_local(async move {
            let answer = match load().await {
                Ok(build) => Code::Here(build),
                Err(_) => Code::Failed,
            };
            // Gone already when the user moved on before the code came: nothing to show it in.
            let _ = set_code.try_set(answer);
        });
    };
    fetch();
    move || match code.get() {
        Code::Here(build) => untrack(build),
        Code::Coming => TableSkeleton().into_any(),
        Code::Failed => view! {
            <ErrorPanel error=ApiError::Network(String::new()) on_retry=Callback::new(move |()| fetch()) />
        }
        .into_any(),
    }
}

/// Fetches a lazy page's code the next time the browser is idle (in two seconds where it cannot
/// say), so that the page opens at once when it is asked for.
pub fn prefetch_when_idle<Fut>(prefetch: fn() -> Fut)
where
    Fut: Future<Output = Result<(), leptos::wasm_split::SplitLoaderError>> + 'static,
{
    use wasm_bindgen::JsCast;
    let run = wasm_bindgen::closure::Closure::once_into_js(move || {
        // A failure is the page's to show when it is opened, with Retry.
        leptos::task::spawn_local(async move {
            let _ = prefetch().await;
        });
    });
    let window = window();
    if window.request_idle_callback(run.unchecked_ref()).is_err() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), 2_000);
    }
}
