//! Route-agnostic pieces, fed by props. They never call `api::` themselves.

pub mod bulk_toolbar;
pub mod calendar_feed;
pub mod confirm_dialog;
pub mod copy_field;
pub mod deferred;
pub mod description_editor;
pub mod error_panel;
pub mod generate_dialog;
pub mod language_switcher;
pub mod loaded;
pub mod modal;
pub mod page_size_select;
pub mod pager;
pub mod person_picker;
pub mod row_menu;
pub mod status_select;
pub mod toast_region;
pub mod token_actions;
pub mod token_history;
pub mod token_table;
