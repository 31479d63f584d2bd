//! The token service, driven in-process through its router, on SQLite and PostgreSQL.

mod support;

mod accounts;
mod admin;
mod conformance;
mod delivery;
mod faults;
mod hardening;
mod host;
mod leaks;
mod lifecycle;
mod logs;
mod members;
mod notices;
mod oauth;
mod observability;
mod onboarding;
mod permissions;
mod retention;
mod scim;
mod serving;
mod session;
mod sso;
mod streams;
mod tokens;
