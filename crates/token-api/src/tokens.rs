//! A token as the pages show it (the grant behind a refresh token), and the requests that act on it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long an access token lives, in seconds.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 3_600;

/// When the access tokens of a token disabled at `at` stop working, at the latest: the last one
/// issued expires an access-token lifetime later.
pub fn access_tokens_end(at: DateTime<Utc>) -> DateTime<Utc> {
    at + chrono::Duration::seconds(ACCESS_TOKEN_TTL_SECS)
}

/// How far ahead the pages remind a member of a token's expiry, in days.
pub const EXPIRY_NOTICE_DAYS: i64 = 7;

/// Whether a token's expiry is worth a reminder now: it is still to come, within
/// `EXPIRY_NOTICE_DAYS`, and in the second half of the token's life, so a token made for a week
/// is not "expiring soon" the moment it is made.
pub fn expires_soon(created_at: DateTime<Utc>, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let left = (expires_at - now).num_seconds();
    left > 0 && left < EXPIRY_NOTICE_DAYS * 86_400 && left * 2 <= (expires_at - created_at).num_seconds()
}

crate::wire_enum! {
    /// Why a token was disabled, so its owner learns why their integration stopped.
    pub enum DisabledCause {
        /// By a person: its owner, or an admin with the reason they gave (`disabled_by`).
        Person = "person",
        /// A refresh token it had rotated out was presented again: someone else may hold it,
        /// so the service disabled it to protect its owner.
        ReuseDetected = "reuse_detected",
        /// Its client revoked it at the revocation endpoint (RFC 7009).
        Revoked = "revoked",
        /// Its owner was removed from the workspace, by the admin in `disabled_by`.
        OwnerLeft = "owner_left",
        /// Its owner regenerated it, with no overlap: the new token replaced it at once.
        Regenerated = "regenerated",
        /// The operator took its owner's account over (a new credential): everything the
        /// account held before ended.
        TakenOver = "taken_over",
        /// The workspace's identity provider deactivated or deleted its owner (SCIM): they left.
        Deprovisioned = "deprovisioned",
        /// A secret scanning service found its refresh token in public (GitHub's partner program);
        /// the reason says where (`leaks::leak_reason`).
        Leaked = "leaked",
    }
}

crate::wire_enum! {
    /// A token's state, derived from when it expires and whether it was disabled: never stored.
    #[derive(PartialOrd, Ord)]
    pub enum TokenStatus {
        Active = "active",
        Disabled = "disabled",
        Expired = "expired",
    }
}

impl TokenStatus {
    /// The status at `now`. Disabled wins over expired: it says what someone did.
    pub fn at(disabled: bool, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> TokenStatus {
        if disabled {
            TokenStatus::Disabled
        } else if expires_at <= now {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }
}

/// Who owns, or acted on, a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// A token as listed. It never carries either secret: only the refresh token's last characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub owner: Person,
    pub workspace_id: String,
    #[serde(with = "crate::wire::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::wire::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// The last refresh; `None` when never used.
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub last_used_at: Option<DateTime<Utc>>,
    pub status: TokenStatus,
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub disabled_at: Option<DateTime<Utc>>,
    /// Who disabled it, when a person did and is still known.
    pub disabled_by: Option<Person>,
    /// Why it was disabled, for its owner to read.
    #[serde(default)]
    pub disabled_cause: Option<DisabledCause>,
    /// The reason the admin who disabled it gave, if any.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Its owner's note, if any.
    #[serde(default)]
    pub description: Option<String>,
    /// The last characters of the current refresh token, to tell tokens apart.
    pub hint: String,
    /// The token Regenerate made in its place. A replaced token is not offered for renewal: it
    /// stops at once or at the end of the overlap (`expires_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<TokenRef>,
    /// It carries every permission of the workspace's catalogue, present and future (tokens
    /// made before permissions existed, too); `permissions` is then empty.
    #[serde(default)]
    pub all_permissions: bool,
    /// The permissions it carries, sorted (its access tokens' `scope`).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The address ranges it may be refreshed from; empty: anywhere.
    #[serde(default)]
    pub ranges: Vec<String>,
}

/// Another token, named where one token's row or event points to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRef {
    pub id: String,
    pub name: String,
    /// The last characters of its current refresh token, where it is listed beside a token of
    /// the same name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// `GET /api/workspaces/{ws}/tokens`: the signed-in user's tokens in one workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// `POST /api/workspaces/{ws}/tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    pub lifetime_days: u32,
    /// An optional note: what uses it, who to ask (up to 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Regenerate: the new token replaces one of the user's own, which stops at once or after
    /// the overlap, so a deployment can switch without downtime. It keeps the old one's
    /// permissions and ranges: a regenerate request names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Replaces>,
    /// The permissions it carries, from the workspace's catalogue: at least one, or
    /// `all_permissions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// Every permission, present and future, where the workspace's policy allows it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_permissions: bool,
    /// The address ranges (CIDR) it may be refreshed from; none: anywhere, where the policy
    /// allows it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
}

/// `PATCH /api/workspaces/{ws}/tokens/{id}`: its owner changes its description (`None` or
/// empty removes it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditTokenRequest {
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /api/workspaces/{ws}/calendar`: the member's calendar feed of their tokens' expiry
/// dates, at a secret URL shown this once (a new one revokes the old).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeed {
    pub url: String,
}

/// The token a regenerated one replaces, and when that one stops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Replaces {
    pub token_id: String,
    pub overlap: Overlap,
}

crate::wire_enum! {
    /// How long a replaced token keeps working beside its successor.
    pub enum Overlap {
        /// It is disabled at once.
        None = "none",
        OneHour = "1h",
        OneDay = "1d",
        SevenDays = "7d",
    }
}

impl Overlap {
    /// How long the replaced token keeps working.
    pub fn duration(self) -> chrono::Duration {
        match self {
            Overlap::None => chrono::Duration::zero(),
            Overlap::OneHour => chrono::Duration::hours(1),
            Overlap::OneDay => chrono::Duration::days(1),
            Overlap::SevenDays => chrono::Duration::days(7),
        }
    }
}

/// The one response that ever carries the secrets; served with `Cache-Control: no-store`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: TokenView,
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

crate::wire_enum! {
    /// What a batch does to every id it lists.
    pub enum BatchAction {
        Disable = "disable",
        Delete = "delete",
    }
}

/// `POST /api/workspaces/{ws}/tokens/batch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub action: BatchAction,
    pub ids: Vec<String>,
    /// Why, for the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

crate::wire_enum! {
    /// What happened to one id of a batch.
    pub enum BatchOutcome {
        Done = "done",
        /// Disable asked of a token that was already disabled: nothing changed.
        AlreadyDisabled = "already_disabled",
        /// No such token for this user in this workspace (as for a token that is not theirs).
        NotFound = "not_found",
    }
}

/// One line of a batch's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchItem {
    pub id: String,
    pub outcome: BatchOutcome,
}

/// The answer to a batch: one line per id, in the order asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub results: Vec<BatchItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_expiring_soon_in_its_last_week_and_second_half() {
        let made: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let days = chrono::Duration::days;
        // A week-long token: not the moment it is made, but once half of it is gone.
        assert!(!expires_soon(made, made + days(7), made));
        assert!(expires_soon(made, made + days(7), made + days(4)));
        // A month-long token: in its last week.
        assert!(!expires_soon(made, made + days(30), made + days(22)));
        assert!(expires_soon(made, made + days(30), made + days(24)));
        // An expired one is past reminding.
        assert!(!expires_soon(made, made + days(30), made + days(31)));
    }
    use chrono::TimeZone;

    #[test]
    fn status_is_derived_from_time_and_disabling() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let later = now + chrono::Duration::days(1);
        let earlier = now - chrono::Duration::seconds(1);
        assert_eq!(TokenStatus::at(false, later, now), TokenStatus::Active);
        assert_eq!(TokenStatus::at(false, now, now), TokenStatus::Expired);
        assert_eq!(TokenStatus::at(false, earlier, now), TokenStatus::Expired);
        assert_eq!(TokenStatus::at(true, later, now), TokenStatus::Disabled);
        assert_eq!(TokenStatus::at(true, earlier, now), TokenStatus::Disabled);
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let err = serde_json::from_str::<CreateTokenRequest>(r#"{"name":"a","lifetime_days":3,"admin":true}"#);
        assert!(err.is_err());
    }
}
