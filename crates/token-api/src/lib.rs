//! The contract between Token Console's single-page app and its token service.
//!
//! Every request and response body exists here once, with the validation rules both sides apply,
//! so the browser and the server reject the same input in the same way. It depends on serde and
//! chrono only, so it builds for `wasm32-unknown-unknown` and for the server alike.

// From the bottom up: each module uses only those above it in this list.
pub mod admin;
pub mod audit;
pub mod auth;
pub mod host;
pub mod leaks;
pub mod notices;
pub mod oauth;
pub mod permissions;
pub mod policy;
pub mod problem;
pub mod query;
pub mod scim;
pub mod search;
pub mod sso;
pub mod streams;
pub mod token_format;
pub mod tokens;
pub mod validate;
pub mod wire;

/// The one prefix of every path of the management API the pages call.
pub const API_PREFIX: &str = "/api";
/// The header that carries the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The header that carries a frame's session (`Me::frame_session`) on every request: the
/// `/embed/...` page in a cross-site host's iframe, which never gets the session cookie.
pub const SESSION_HEADER: &str = "x-tc-session";
