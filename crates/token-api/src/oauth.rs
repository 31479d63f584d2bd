//! The OAuth 2.0 bodies: the token endpoint's answer and errors (RFC 6749 §5), introspection
//! (RFC 7662), server metadata (RFC 8414), and the protected resource's answer.

use serde::{Deserialize, Serialize};

/// Where the endpoints live, relative to the issuer.
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const REVOKE_PATH: &str = "/oauth2/revoke";
pub const INTROSPECT_PATH: &str = "/oauth2/introspect";
pub const JWKS_PATH: &str = "/oauth2/jwks";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// The protected resource: `{ws}` is the workspace id.
pub const WHOAMI_PATH: &str = "/api/resource/workspaces/{ws}/whoami";

/// The longest client id this service issues or accepts.
pub const CLIENT_ID_MAX_LEN: usize = 64;

/// Whether `id` can be a client id of this service: 1 to 64 of `A-Z a-z 0-9 . _ -`. Anything
/// else is refused before it reaches the database (a NUL byte made PostgreSQL fail the whole
/// batch of refreshes it was in).
pub fn is_client_id(id: &str) -> bool {
    (1..=CLIENT_ID_MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub refresh_token: String,
    /// The permissions the access token carries, separated by spaces (RFC 6749 §5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

crate::wire_enum! {
    /// The error codes of RFC 6749 §5.2 and RFC 7009 §2.2.1, and `temporarily_unavailable` (RFC 6749
    /// §4.1.2.1, used by token endpoints for a 503) and `server_error`.
    pub enum OAuthErrorCode {
        InvalidRequest = "invalid_request",
        InvalidClient = "invalid_client",
        InvalidGrant = "invalid_grant",
        UnauthorizedClient = "unauthorized_client",
        UnsupportedGrantType = "unsupported_grant_type",
        UnsupportedTokenType = "unsupported_token_type",
        InvalidScope = "invalid_scope",
        TemporarilyUnavailable = "temporarily_unavailable",
        ServerError = "server_error",
        // RFC 6750 §3.1, at the protected resource and wherever a caller sends its own access
        // token (introspection).
        InvalidToken = "invalid_token",
        InsufficientScope = "insufficient_scope",
    }
}

/// An error response (RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthError {
    pub error: OAuthErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// An introspection response (RFC 7662 §2.2): only `active` when the token is not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Introspection {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The workspace the token works in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// The permissions it carries, separated by spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The address ranges its grant may be refreshed from; absent: anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
}

/// What the protected resource answers to a working access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoAmI {
    pub user_id: String,
    pub email: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub client_id: String,
    /// The token (grant) the access token was issued for.
    pub token_id: String,
    /// When the access token stops working, in seconds since the epoch.
    pub expires_at: i64,
    /// The permissions the access token carries, separated by spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The address ranges its grant may be refreshed from; absent: anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::is_client_id;

    #[test]
    fn client_ids_are_short_plain_ascii() {
        for ok in ["tcc_acme", "a", "tcc.globex-2", &"x".repeat(64)] {
            assert!(is_client_id(ok), "{ok}");
        }
        for bad in ["", "\0", "tcc acme", "tcc_ä", "a/b", "%00", &"x".repeat(65)] {
            assert!(!is_client_id(bad), "{bad:?}");
        }
    }
}
