//! Global state, one file per concern: `provide_x()` once in `Root`, then `use_x()` anywhere.

pub mod session;
pub mod toasts;
