//! SCIM 2.0 provisioning (RFC 7643, RFC 7644): a workspace's identity provider pushes its people
//! to the service. What the service and its pages share of it.

/// How a SCIM credential starts, so that a secret scanner (and a person reading a log by
/// mistake) tells it from the service's other secrets.
pub const SCIM_CREDENTIAL_PREFIX: &str = "tcsc_";
