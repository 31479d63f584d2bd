//! Success and failure messages, shown in one `aria-live` region so screen readers hear them.

use std::time::Duration;

use leptos::prelude::*;

use crate::hooks::use_timers::{use_timers, UseTimersReturn};

/// At most this many messages at once, so they never pile up over the page's controls.
const MAX_SHOWN: usize = 3;

/// How long a success message stays; failures stay until dismissed.
const SUCCESS_FOR: Duration = Duration::from_secs(6);

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub error: bool,
    pub message: String,
    /// Lines under the message: which tokens failed and why.
    pub details: Vec<String>,
}

/// The messages, shared through context.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
    timers: UseTimersReturn,
}

impl Toasts {
    /// The messages, oldest first.
    pub fn list(self) -> Vec<Toast> {
        self.list.get()
    }

    fn push(self, error: bool, message: String, details: Vec<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| {
            l.push(Toast {
                id,
                error,
                message,
                details,
            });
            // The oldest success gives way first: a failure stays until it is dismissed.
            while l.len() > MAX_SHOWN {
                let oldest = l.iter().position(|t| !t.error).unwrap_or(0);
                l.remove(oldest);
            }
        });
        if !error {
            self.timers.after(SUCCESS_FOR, move || self.dismiss(id));
        }
    }

    pub fn success(self, message: String) {
        self.push(false, message, vec![]);
    }

    pub fn error(self, message: String, details: Vec<String>) {
        self.push(true, message, details);
    }

    pub fn dismiss(self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

/// Provides the messages.
pub fn provide_toasts() -> Toasts {
    let toasts = Toasts {
        list: RwSignal::new(vec![]),
        next: StoredValue::new(0),
        timers: use_timers(),
    };
    provide_context(toasts);
    toasts
}

/// The messages, from context.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}
