//! The queries. Every access check sits in the statement that reads or writes, so another
//! user's or another workspace's id finds nothing, exactly like an id that does not exist.

pub mod admin;
pub mod audit;
pub mod calendar;
pub mod host;
pub mod leaks;
pub mod members;
pub mod notices;
pub mod onboarding;
pub mod policy;
pub mod provisioning;
pub mod refresh;
pub mod scim;
pub mod sql;
pub mod sso;
pub mod streams;
pub mod tokens;
pub mod users;
