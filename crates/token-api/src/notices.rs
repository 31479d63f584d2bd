//! A member's email notices in one workspace: the service writes to a token's owner 7 days and
//! 1 day before it expires, and when someone else, reuse detection or a leak report disables it.

use serde::{Deserialize, Serialize};

/// `GET` and `PUT /api/workspaces/{ws}/notices`: whether the signed-in member gets email notices
/// about their tokens in this workspace. On until they turn it off; other workspaces keep their
/// own setting. Off stops the emails only: expiry notices stay in the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoticePreferences {
    pub email: bool,
}

impl Default for NoticePreferences {
    fn default() -> NoticePreferences {
        NoticePreferences { email: true }
    }
}
