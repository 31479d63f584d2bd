//! What workspace admins ask for: every token of the workspace, filtered, sorted and paged by
//! the server, the counts at the top of the page, and the audit trail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::query::TokenFilter;
use crate::tokens::{Person, TokenView};

/// A page counts the tokens that match up to this many; past it the total is "more than" (and
/// a query with `exact_count` asks for the number). Counting every match of a big workspace cost
/// 10-20 ms a page, and most of an admin's pages do not need the number.
pub const COUNT_CAP: u64 = 5_000;

/// One page of tokens, and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenPage {
    pub tokens: Vec<TokenView>,
    /// How many match; when `total_capped`, `COUNT_CAP`, and more match.
    pub total: u64,
    /// More than `total` match: the count stopped at `COUNT_CAP`.
    #[serde(default)]
    pub total_capped: bool,
    /// The service's time when `total` was counted: an action over "all matching" acts on
    /// tokens created up to then, and no later.
    #[serde(with = "crate::wire::rfc3339")]
    pub as_of: DateTime<Utc>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Where the previous page starts (its `after`); `None` when it is the first page, or this
    /// one is.
    #[serde(default)]
    pub prev_cursor: Option<String>,
}

/// `POST /api/workspaces/{ws}/admin/tokens/batch-by-filter`: act on every token the filter
/// matches, as counted at `as_of`. If the count is no longer `expected_count`, nothing changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FilterActionRequest {
    pub action: crate::tokens::BatchAction,
    #[serde(default)]
    pub filter: TokenFilter,
    #[serde(with = "crate::wire::rfc3339")]
    pub as_of: DateTime<Utc>,
    pub expected_count: u64,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/workspaces/{ws}/admin/tokens/lookup`: a pasted token, to find whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    pub token: String,
}

/// What a pasted token turned out to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupResult {
    pub token: TokenView,
    /// False when the pasted value is an older refresh token of this token, already rotated out:
    /// it no longer works, but whoever holds it once held this token.
    pub current: bool,
}

/// `GET /api/workspaces/{ws}/admin/members`: the people of the workspace, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    pub members: Vec<Person>,
    /// The ids of those who are its admins.
    #[serde(default)]
    pub admins: Vec<String>,
    /// The members who hold tokens here not disabled yet, with how many: what removing them
    /// disables (a member not listed holds none).
    #[serde(default)]
    pub open_tokens: Vec<OpenTokens>,
    /// How people sign in: the workspace's connection to its identity provider, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso: Option<crate::sso::SsoStatus>,
    /// Whether the workspace's identity provider provisions its people (SCIM): its last push,
    /// its last refused request, and the members it pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim: Option<crate::scim::ScimStatus>,
}

/// A member's tokens not disabled yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenTokens {
    /// The member's id.
    pub id: String,
    pub count: u64,
}

impl MemberList {
    /// How many tokens not disabled yet the member `id` holds.
    pub fn open_tokens_of(&self, id: &str) -> u64 {
        self.open_tokens.iter().find(|o| o.id == id).map_or(0, |o| o.count)
    }
}

/// `PUT /api/workspaces/{ws}/admin/members/{user}/role`: a member's role, asked and answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    pub role: crate::auth::Role,
}

/// `DELETE /api/workspaces/{ws}/admin/members/{user}`: what removing a member did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemovedMember {
    /// Their tokens that were active and are now disabled, marked as their owner's leaving.
    pub disabled: u64,
}

/// `POST /api/workspaces/{ws}/admin/members`: add a person to the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub email: String,
    /// Their name as the pages show it; the email's part before `@` when not given.
    #[serde(default)]
    pub name: Option<String>,
    pub role: crate::auth::Role,
}

/// The answer to adding a person: who, and for a person new to the service the link that sets
/// their password, in this answer only. A former member added back keeps their own password
/// (no link), and their tokens stay disabled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddedMember {
    pub member: Person,
    pub role: crate::auth::Role,
    /// Works once, for 72 hours; its secret is after the `#`. `None` for a former member added
    /// back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_password_link: Option<String>,
}

/// The counts at the top of the Admins page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    pub active: u64,
    pub expiring_within_7_days: u64,
    pub disabled: u64,
    pub never_used: u64,
    /// Alarms: refresh tokens presented again (reuse detected, the token disabled by the
    /// service) in the last `ALARM_DAYS` days.
    #[serde(default)]
    pub reuse_detected_recently: u64,
    /// Alarms: bursts of failed sign-ins to members' accounts in the last `ALARM_DAYS` days.
    #[serde(default)]
    pub sign_in_bursts_recently: u64,
    /// Alarms: tokens a secret scanning service reported public, and the service disabled, in
    /// the last `ALARM_DAYS` days.
    #[serde(default)]
    pub leaks_reported_recently: u64,
    /// Alarms: refreshes refused because they came from outside their token's address ranges,
    /// in the last `ALARM_DAYS` days (one a minute per token at most).
    #[serde(default)]
    pub outside_ranges_recently: u64,
}

impl TokenSummary {
    /// Every alarm of the last `ALARM_DAYS` days, whatever its kind.
    pub fn alarms(&self) -> u64 {
        self.reuse_detected_recently
            + self.sign_in_bursts_recently
            + self.leaks_reported_recently
            + self.outside_ranges_recently
    }
}

/// How far back the Admins page's alarm count looks, in days.
pub const ALARM_DAYS: i64 = 30;

/// The body of a single disable or delete: why, for the audit trail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    #[serde(default)]
    pub reason: Option<String>,
}
