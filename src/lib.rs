//! Token Console: the pages where people create, reveal once, and manage OAuth 2.0 API tokens
//! for a workspace, and where workspace admins audit everyone's.

pub mod api;
pub mod app;
pub mod bulk;
pub mod components;
pub mod dom;
pub mod embed;
pub mod format;
pub mod hooks;
pub mod i18n;
pub mod nav;
pub mod pages;
pub mod reveal;
pub mod selection;
pub mod state;
pub mod token_query;
pub mod url;
