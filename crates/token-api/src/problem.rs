//! The error body of the management API: RFC 9457 problem details, with the fields at fault.

use serde::{Deserialize, Serialize};

/// The media type of every error body of the management API.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem; `errors` names each field at fault so a form can show it at the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI reference naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// This occurrence: the request's id, as the `x-request-id` header gives it (a relative URI
    /// reference), to quote to an operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

/// One field at fault: its name as the request spells it, a stable code, and an English message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    /// A stable, machine-readable code, one of `validate::Invalid`'s (`required`, `too_long`,
    /// `out_of_range`, ...): a string here, so a client reads a code newer than itself as none.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::validate::Invalid))]
    pub code: String,
    pub message: String,
}
