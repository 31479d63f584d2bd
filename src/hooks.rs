//! Hooks: `use_x()` returning a `UseXReturn`, for behaviour several components share.

pub mod use_clipboard;
pub mod use_timers;
pub mod use_title;
pub mod use_token_selection;
