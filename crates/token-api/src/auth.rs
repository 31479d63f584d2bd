//! Sign-in, the signed-in user, and the workspaces they belong to.

use serde::{Deserialize, Serialize};

/// `POST /api/session`: sign in with email and password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// The longest secret a set-password link carries, in bytes (its secret is 43 characters).
pub const SETUP_SECRET_MAX: usize = 100;

/// `POST /api/password`: the one-time secret of a set-password link, and the new password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    pub token: String,
    pub password: String,
}

/// Where a set-password link points, on the service's public URL; its secret follows the `#`,
/// so it never reaches a server's log or another site's `Referer`.
pub const SET_PASSWORD_PATH: &str = "/set-password";

crate::wire_enum! {
    /// A user's role in one workspace; stored and sent by the same name.
    pub enum Role {
        Member = "member",
        Admin = "admin",
    }
}

impl Role {
    /// Reads a stored value; anything unknown is the least privileged role.
    pub fn parse_or_least(s: &str) -> Role {
        s.parse().unwrap_or(Role::Member)
    }
}

/// A workspace the signed-in user belongs to, with their role there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The OAuth 2.0 client id that clients of this workspace send to the token endpoint.
    pub client_id: String,
    /// Its rules for new tokens, which Generate follows.
    #[serde(default)]
    pub policy: crate::policy::WorkspacePolicy,
}

/// The signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// The answer to signing out of a session a workspace's identity provider opened, where the
/// operator asked that it end the provider's session too (`sso set --sign-out-at-provider`)
/// and the provider offers that: the page sends the browser to the provider's sign-out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedOut {
    pub provider_sign_out_url: String,
}

/// `GET /api/me` and the answer to a successful sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub user: UserSummary,
    pub workspaces: Vec<WorkspaceSummary>,
    /// Sent back in the `x-csrf-token` header on every state-changing request of this session.
    pub csrf_token: String,
    /// Only in the answer to a frame's ticket exchange (`TicketExchange::parent`): the session
    /// itself, which the frame keeps in memory and sends in the `x-tc-session` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_session: Option<String>,
}
