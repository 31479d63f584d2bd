//! Copying to the clipboard, and knowing whether it worked: inside a cross-origin iframe without
//! `clipboard-write`, or when the user refuses, the Clipboard API fails and the caller falls back.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// How long "Copied" shows before the button reads "Copy" again.
const COPIED_FOR: Duration = Duration::from_secs(3);

/// What `use_clipboard` gives.
#[derive(Clone, Copy)]
pub struct UseClipboardReturn {
    /// True for a few seconds after a copy succeeded.
    pub copied: Signal<bool>,
    /// True after the last copy failed, until the next attempt.
    pub failed: Signal<bool>,
    /// Copies the text; `on_done` learns whether it worked.
    pub copy: Callback<(String, Callback<bool>)>,
}

/// Copy with feedback.
pub fn use_clipboard() -> UseClipboardReturn {
    let timers = crate::hooks::use_timers::use_timers();
    let copied = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let copy = Callback::new(move |(text, on_done): (String, Callback<bool>)| {
        failed.set(false);
        spawn_local(async move {
            let ok = write_text(&text).await;
            // The panel may have gone while the clipboard answered.
            if copied.try_set(ok).is_some() {
                return;
            }
            failed.set(!ok);
            on_done.run(ok);
            if ok {
                timers.after(COPIED_FOR, move || copied.set(false));
            }
        });
    });
    UseClipboardReturn {
        copied: copied.into(),
        failed: failed.into(),
        copy,
    }
}

async fn write_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let clipboard = window.navigator().clipboard();
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
        .await
        .is_ok()
}
