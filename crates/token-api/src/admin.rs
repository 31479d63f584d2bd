//! What workspace admins ask for: every token of the workspace, filtered, sorted and paged by
//! the server, the counts at the top of the page, and the audit trail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tokens::{Person, TokenStatus, TokenView};
use crate::validate::Invalid;

/// The rows a page may ask for.
pub const PAGE_SIZES: [u32; 2] = [50, 100];
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// A page counts the tokens that match up to this many; past it the total is "more than" (and
/// a query with `exact_count` asks for the number). Counting every match of a big workspace cost
/// 10-20 ms a page, and most of an admin's pages do not need the number.
pub const COUNT_CAP: u64 = 5_000;
/// The longest reason an admin may give, in characters.
pub const REASON_MAX_CHARS: usize = 500;

crate::wire_enum! {
    /// A column to sort by.
    #[derive(Default)]
    pub enum SortField {
        #[default]
        Created = "created",
        Expires = "expires",
        LastUsed = "last_used",
        Name = "name",
        Owner = "owner",
    }
}

crate::wire_enum! {
    /// Ascending or descending.
    #[derive(Default)]
    pub enum SortDir {
        Asc = "asc",
        #[default]
        Desc = "desc",
    }
}

/// Which tokens: every field narrows, none set means all. The same filter drives the list, the
/// counts, the CSV export and a bulk action over everything that matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenFilter {
    /// The owner's user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TokenStatus>,
    /// Active tokens that expire within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_within_days: Option<u32>,
    /// Tokens never used.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_used: bool,
    /// Tokens not used (or, if never used, created) within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_for_days: Option<u32>,
    /// A part of the name, any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The refresh token's last characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// `GET /api/workspaces/{ws}/admin/tokens`: a filter, a sort, and where the page starts. Its
/// wire form is a query string (`to_pairs` and `from_pairs`), which is also how both token pages
/// keep their view in the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenPageQuery {
    pub filter: TokenFilter,
    pub sort: SortField,
    pub dir: SortDir,
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Count every match, past `COUNT_CAP` too (`count=exact`).
    pub exact_count: bool,
}

impl TokenPageQuery {
    /// The query-string pairs, defaults left out, in a stable order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let f = &self.filter;
        let mut pairs = Vec::new();
        let mut put = |key: &'static str, value: Option<String>| {
            if let Some(v) = value {
                pairs.push((key, v));
            }
        };
        put("owner", f.owner.clone());
        put("status", f.status.map(|s| s.as_str().to_owned()));
        put("expiring_within_days", f.expiring_within_days.map(|d| d.to_string()));
        put("never_used", f.never_used.then(|| "true".to_owned()));
        put("unused_for_days", f.unused_for_days.map(|d| d.to_string()));
        put("q", f.q.clone());
        put("hint", f.hint.clone());
        put(
            "sort",
            (self.sort != SortField::default()).then(|| self.sort.as_str().to_owned()),
        );
        put(
            "dir",
            (self.dir != SortDir::default()).then(|| self.dir.as_str().to_owned()),
        );
        put("limit", self.limit.map(|l| l.to_string()));
        put("after", self.after.clone());
        put("count", self.exact_count.then(|| "exact".to_owned()));
        pairs
    }

    /// Reads the pairs of a query string (already percent-decoded). Unknown keys are ignored, so
    /// a host app may add its own; a bad value names its key.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<TokenPageQuery, (String, Invalid)> {
        let mut q = TokenPageQuery::default();
        for (key, value) in pairs {
            let bad = |i: Invalid| (key.to_owned(), i);
            let days = || {
                value
                    .parse::<u32>()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .ok_or(bad(Invalid::OutOfRange))
            };
            let text = || Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match key {
                "owner" => q.filter.owner = text(),
                "status" => q.filter.status = Some(value.parse().map_err(|_| bad(Invalid::InvalidType))?),
                "expiring_within_days" => q.filter.expiring_within_days = Some(days()?),
                "never_used" => q.filter.never_used = value == "true",
                "unused_for_days" => q.filter.unused_for_days = Some(days()?),
                "q" => q.filter.q = text(),
                "hint" => q.filter.hint = text(),
                "sort" => q.sort = value.parse().map_err(|_| bad(Invalid::InvalidType))?,
                "dir" => q.dir = value.parse().map_err(|_| bad(Invalid::InvalidType))?,
                "limit" => {
                    let limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|l| PAGE_SIZES.contains(l))
                        .ok_or(bad(Invalid::OutOfRange))?;
                    q.limit = Some(limit);
                }
                "after" => q.after = text(),
                "count" => {
                    q.exact_count = match value {
                        "exact" => true,
                        _ => return Err(bad(Invalid::InvalidType)),
                    }
                }
                _ => {}
            }
        }
        Ok(q)
    }
}

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

crate::wire_enum! {
    /// Who may generate tokens in a workspace.
    pub enum Creators {
        /// Every member (the default).
        Members = "members",
        Admins = "admins",
    }
}

/// A workspace's rules for new tokens, set by its admins (`PUT .../admin/policy`) and enforced
/// by the service when a token is generated; a change never touches existing tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkspacePolicy {
    /// The longest lifetime a new token may have, 1 to 365 days.
    pub max_lifetime_days: u32,
    pub creators: Creators,
    /// The most active tokens one member may hold; `None` for no limit.
    #[serde(default)]
    pub max_active_per_member: Option<u32>,
}

impl Default for WorkspacePolicy {
    fn default() -> Self {
        WorkspacePolicy {
            max_lifetime_days: *crate::validate::LIFETIME_DAYS.end(),
            creators: Creators::Members,
            max_active_per_member: None,
        }
    }
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
}

impl TokenSummary {
    /// Every alarm of the last `ALARM_DAYS` days, whatever its kind.
    pub fn alarms(&self) -> u64 {
        self.reuse_detected_recently + self.sign_in_bursts_recently
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

crate::wire_enum! {
    /// What the audit trail records: the stored and the wire name are the same.
    pub enum AuditAction {
        Created = "created",
        Disabled = "disabled",
        Deleted = "deleted",
        Refreshed = "refreshed",
        /// A rotated-out refresh token was presented again; the grant was disabled.
        ReuseDetected = "reuse_detected",
        /// A member was removed from the workspace (their tokens' own events say "disabled").
        MemberRemoved = "member_removed",
        /// The workspace's policy was changed; the reason says from what to what.
        PolicyChanged = "policy_changed",
        /// A token was regenerated: the new one's event, naming the token it replaced
        /// (`other_token`) and when that one stops (`until`; none: at once).
        Regenerated = "regenerated",
        /// A token was replaced by a regenerated one: the old one's event, naming its successor
        /// (`other_token`) and when it stops (`until`; none: at once).
        Replaced = "replaced",
        /// Failed sign-ins to a member's account came in a burst (the owner is the account,
        /// the address the last failure's); one event a quarter of an hour at most.
        SignInBurst = "sign_in_burst",
        /// A refresh token just rotated out was presented again within the retry window, from
        /// the address and user agent that rotated it, and got the same successor back.
        RefreshRetried = "refresh_retried",
        /// A person joined the workspace (the reason says with which role, and how).
        MemberAdded = "member_added",
        /// A member's role changed (the reason says from what to what).
        RoleChanged = "role_changed",
        /// A person set their password with a set-password link.
        PasswordSet = "password_set",
        /// Every session of a person ended (they signed out everywhere, or the operator reset them).
        SessionsEnded = "sessions_ended",
        /// The operator took over an account a workspace had made: new credential, and every
        /// session, token, feed and link it had ended.
        AccountTakenOver = "account_taken_over",
        /// The operator added a signing key; it signs once resource servers can have seen it.
        SigningKeyRotated = "signing_key_rotated",
        /// The operator retired a signing key: every access token it signed is refused at once.
        SigningKeyRetired = "signing_key_retired",
    }
}

impl AuditAction {
    /// The events an admin is alarmed by: the service stepped in, or someone is guessing.
    pub const ALARMS: [AuditAction; 2] = [AuditAction::ReuseDetected, AuditAction::SignInBurst];

    /// Whether this is one of `ALARMS`.
    pub fn is_alarm(self) -> bool {
        Self::ALARMS.contains(&self)
    }
}

/// One line of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: String,
    #[serde(with = "crate::wire::rfc3339")]
    pub at: DateTime<Utc>,
    pub action: AuditAction,
    /// Who acted; `None` when the service did (a client's revocation, reuse detection) or the
    /// operator did (`by_operator`).
    pub actor: Option<Person>,
    /// The operator acted, through the `token-server` command line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_operator: bool,
    pub owner: Option<Person>,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    pub ip: Option<String>,
    pub reason: Option<String>,
    /// The other token the event names: a regeneration's predecessor or successor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_token: Option<crate::tokens::TokenRef>,
    /// When the token the event is about, or its predecessor, stops working.
    #[serde(
        default,
        with = "crate::wire::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<DateTime<Utc>>,
}

/// `GET /api/workspaces/{ws}/admin/audit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<AuditAction>,
    /// Only the alarms (`AuditAction::ALARMS`), with `action` or without.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alarms: bool,
    /// One token's events: its history (which its owner may read too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(
        default,
        with = "crate::wire::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<DateTime<Utc>>,
    #[serde(
        default,
        with = "crate::wire::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl AuditQuery {
    /// The query-string pairs, unset fields left out, in a stable order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let fields = [
            ("actor", self.actor.clone()),
            ("owner", self.owner.clone()),
            ("action", self.action.map(|a| a.as_str().to_owned())),
            ("alarms", self.alarms.then(|| "true".to_owned())),
            ("token", self.token.clone()),
            ("from", self.from.map(|t| t.to_rfc3339())),
            ("to", self.to.map(|t| t.to_rfc3339())),
            ("limit", self.limit.map(|l| l.to_string())),
            ("after", self.after.clone()),
        ];
        fields.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
    }
}

/// A page of the audit trail, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// How many events match; when `total_capped`, `COUNT_CAP`, and more match.
    pub total: u64,
    /// More than `total` match: the count stopped at `COUNT_CAP` (a year of refreshes is
    /// millions of rows, too many to count for every page).
    #[serde(default)]
    pub total_capped: bool,
    pub next_cursor: Option<String>,
    /// Where the previous page starts (its `after`); `None` when it is the first page, or this
    /// one is.
    #[serde(default)]
    pub prev_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_round_trips_through_its_pairs() {
        let q = TokenPageQuery {
            filter: TokenFilter {
                owner: Some("u-ben".into()),
                status: Some(TokenStatus::Expired),
                expiring_within_days: Some(7),
                never_used: true,
                unused_for_days: Some(90),
                q: Some("部署 bot".into()),
                hint: Some("AbCd".into()),
            },
            sort: SortField::LastUsed,
            dir: SortDir::Asc,
            limit: Some(100),
            after: Some("cursor".into()),
            exact_count: true,
        };
        let pairs = q.to_pairs();
        let back = TokenPageQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(back, q);
        assert!(
            TokenPageQuery::default().to_pairs().is_empty(),
            "defaults stay out of the URL"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = |pairs: &[(&str, &str)]| TokenPageQuery::from_pairs(pairs.iter().copied()).unwrap_err();
        assert_eq!(err(&[("limit", "7")]), ("limit".into(), Invalid::OutOfRange));
        assert_eq!(err(&[("status", "zombie")]), ("status".into(), Invalid::InvalidType));
        assert_eq!(
            err(&[("expiring_within_days", "-1")]),
            ("expiring_within_days".into(), Invalid::OutOfRange)
        );
        assert_eq!(err(&[("sort", "secret")]), ("sort".into(), Invalid::InvalidType));
        assert!(
            TokenPageQuery::from_pairs([("utm_source", "x")]).is_ok(),
            "unknown keys are ignored"
        );
    }
}
