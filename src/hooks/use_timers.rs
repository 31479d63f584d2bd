//! Timeouts that end with their component: when its owner is cleaned up (the page left, a
//! panel unmounted) every pending one is cleared, so nothing fires into a disposed view.

use std::time::Duration;

use leptos::prelude::*;

/// What `use_timers` gives: `after` schedules, cleanup clears.
#[derive(Clone, Copy)]
pub struct UseTimersReturn {
    pending: StoredValue<Vec<TimeoutHandle>>,
}

impl UseTimersReturn {
    /// Runs `f` once after `delay`, unless the owner is cleaned up first.
    pub fn after(self, delay: Duration, f: impl FnOnce() + 'static) {
        let Ok(handle) = set_timeout_with_handle(f, delay) else {
            return;
        };
        let kept = self.pending.try_update_value(|pending| {
            // Forget the ones that have fired; clearing a fired timeout is harmless anyway.
            if pending.len() > 64 {
                pending.drain(..32);
            }
            pending.push(handle);
        });
        if kept.is_none() {
            // The owner is already gone.
            handle.clear();
        }
    }
}

impl UseTimersReturn {
    /// Runs `f` after `delay` unless this is called again first (or the owner is cleaned up):
    /// the last of a burst of calls wins.
    pub fn debounce(self, delay: Duration, f: impl FnOnce() + 'static) {
        self.cancel();
        self.after(delay, f);
    }

    /// Clears every pending timeout.
    pub fn cancel(self) {
        if let Some(handles) = self.pending.try_update_value(std::mem::take) {
            handles.iter().for_each(TimeoutHandle::clear);
        }
    }
}

/// Timeouts owned by the current reactive owner.
pub fn use_timers() -> UseTimersReturn {
    let timers = UseTimersReturn {
        pending: StoredValue::new(Vec::new()),
    };
    on_cleanup(move || timers.cancel());
    timers
}
