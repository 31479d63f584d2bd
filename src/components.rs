//! Route-agnostic pieces, fed by props. They never call `api::` themselves.

pub mod error_panel;
pub mod language_switcher;
pub mod token_table;
