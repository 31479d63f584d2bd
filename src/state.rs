//! Global state, one file per concern: `provide_x()` once in `App`, then `use_x()` anywhere.

pub mod session;
pub mod toasts;
