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

/// Timeouts owned by the current reactive owner.
pub fn use_timers() -> UseTimersReturn {
    let pending = StoredValue::new(Vec::<TimeoutHandle>::new());
    on_cleanup(move || {
        if let Some(handles) = pending.try_update_value(std::mem::take) {
            handles.iter().for_each(TimeoutHandle::clear);
        }
    });
    UseTimersReturn { pending }
}
