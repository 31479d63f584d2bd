//! Sign-in through a workspace's OpenID Provider (single sign-on): what the sign-in page sends to
//! start, the reasons a sign-in comes back refused, and the connection as its admins see it.

use serde::{Deserialize, Serialize};

/// Where providers send the browser back, on the service's public URL: each workspace's redirect
/// URI is this and its id (`callback_path`), so an answer that comes back at another
/// workspace's address than the sign-in it carries is a mix-up, and refused.
pub const CALLBACK_PATH: &str = "/api/sso/callback";

/// The redirect URI's path for one workspace, which the operator registers with its provider.
pub fn callback_path(workspace: &str) -> String {
    format!("{CALLBACK_PATH}/{workspace}")
}

/// Where the sign-in page's Sign in with SSO link points (`SsoStartRequest` in its query).
pub const START_PATH: &str = "/api/sso/start";

/// The query parameter of the sign-in page that carries why a sign-in through the provider
/// was refused (an `SsoRefusal`'s word).
pub const REFUSAL_PARAM: &str = "sso_error";

/// The longest address a sign-in may return to, in bytes.
pub const RETURN_TO_MAX: usize = 2048;

/// Where the page goes after signing in when it was not headed anywhere.
pub const DEFAULT_RETURN_TO: &str = "/tokens";

/// Where a sign-in may return to: a path on this origin (`/tokens?status=active`), never another
/// site (`//evil.example`, `/\evil.example`, `https://…`), nor anything with control characters.
pub fn return_to(asked: Option<&str>) -> &str {
    asked
        .filter(|p| {
            p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= RETURN_TO_MAX
                && !p.chars().any(char::is_control)
        })
        .unwrap_or(DEFAULT_RETURN_TO)
}

/// `GET /api/sso/start?…`, the sign-in page's link: sign in through a workspace's provider. The
/// workspace is the one that claims the email `domain` (only the domain: an address has no place
/// in a URL), or the one chosen; `return_to` is where to land after. Empty fields are as if left
/// out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SsoStartRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

crate::wire_enum! {
    /// Why a sign-in through the provider was refused: the sign-in page's `sso_error`, the audit
    /// trail's reason, and the connection's last error.
    pub enum SsoRefusal {
        /// No workspace signs in through a provider for the email's domain, or the chosen
        /// workspace has none.
        NoProvider = "no_provider",
        /// The provider could not be reached, or answered nonsense.
        Unreachable = "unreachable",
        /// The provider refused the service's client credentials (a wrong client secret).
        ClientRefused = "client_refused",
        /// The person refused consent, or the provider refused them.
        AccessDenied = "access_denied",
        /// The ID token is not yet valid or has expired: a clock is off.
        ClockSkew = "clock_skew",
        /// The ID token failed a check (signature, issuer, audience, nonce, algorithm).
        InvalidToken = "invalid_token",
        /// The sign-in was not started in this browser, was used, or is too old.
        Expired = "expired",
        /// The provider did not say the email is verified, and an account has it.
        UnverifiedEmail = "unverified_email",
        /// An account has this email, and its domain is not one the workspace claims.
        UnknownDomain = "unknown_domain",
        /// The account with this email is managed by another workspace.
        ManagedElsewhere = "managed_elsewhere",
        /// The account with this email is another identity's of the same provider (an address
        /// the provider gave to someone else since).
        AccountTaken = "account_taken",
        /// An admin of the workspace removed this person.
        Removed = "removed",
        /// The workspace signed in through a provider when the sign-in started, and no longer.
        NotConfigured = "not_configured",
    }
}

crate::wire_enum! {
    /// The state of a workspace's connection to its provider, as its last sign-ins left it.
    pub enum SsoState {
        /// Nobody has signed in through it yet.
        Unused = "unused",
        /// The last sign-in went through the provider.
        Working = "working",
        /// The last attempt failed on the service's or the provider's side (`last_error`).
        Failing = "failing",
    }
}

/// `GET /api/workspaces/{ws}/sso`: the workspace's connection to its provider, for its admins.
/// The client secret is never shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoConnection {
    pub issuer: String,
    pub client_id: String,
    /// The group whose members are the workspace's admins; none: roles are kept as they are.
    pub admin_group: Option<String>,
    /// The email domains the workspace claims: an SSO identity with a verified email there may
    /// join the existing account of that email.
    pub domains: Vec<String>,
    /// Password sign-in is refused for the workspace's members (break-glass accounts excepted).
    pub required: bool,
    /// Signing out of a session the provider opened ends the person's session at the provider
    /// too, where it offers that (OpenID Connect RP-Initiated Logout).
    #[serde(default)]
    pub sign_out_at_provider: bool,
    pub state: SsoState,
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub last_sign_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<SsoRefusal>,
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub last_error_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The connection as the Members tab shows it (`MemberList::sso`): the issuer, whether
/// passwords are refused, and the last error while the connection is failing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoStatus {
    pub issuer: String,
    pub required: bool,
    #[serde(default)]
    pub failing: Option<SsoRefusal>,
}

impl From<&SsoConnection> for SsoStatus {
    fn from(c: &SsoConnection) -> SsoStatus {
        SsoStatus {
            issuer: c.issuer.clone(),
            required: c.required,
            failing: c.last_error.filter(|_| c.state == SsoState::Failing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        let path = "/admin/tokens?status=active";
        assert_eq!(return_to(Some(path)), path);
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            "",
        ] {
            assert_eq!(return_to(Some(bad)), DEFAULT_RETURN_TO, "{bad:?}");
        }
        assert_eq!(
            return_to(Some(&format!("/{}", "a".repeat(RETURN_TO_MAX)))),
            DEFAULT_RETURN_TO
        );
        assert_eq!(return_to(None), DEFAULT_RETURN_TO);
    }
}
