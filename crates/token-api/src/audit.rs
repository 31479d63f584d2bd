//! The audit trail: what was done, by whom, to which token or person, as the pages read it;
//! and one token's history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tokens::{Person, TokenRef};

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
        /// A person signed in through the workspace's identity provider (the reason names the
        /// provider, and what it changed: a new account, a linked one, a role).
        SsoSignIn = "sso_sign_in",
        /// A sign-in through the identity provider was refused; the reason says why (an
        /// `SsoRefusal`'s word) and the identity it came with.
        SsoRefused = "sso_refused",
        /// The operator connected the workspace to an identity provider, changed or removed it.
        SsoConnectionChanged = "sso_connection_changed",
        /// A break-glass account signed in with its password to a workspace that requires its
        /// identity provider.
        BreakGlassSignIn = "break_glass_sign_in",
        /// The operator issued or revoked a host key (the reason says which, and its origin).
        HostKeyChanged = "host_key_changed",
        /// A host's backend asked for a sign-in ticket for a member, with its host key.
        HostTicketIssued = "host_ticket_issued",
        /// A panel exchanged a ticket for a session.
        HostTicketUsed = "host_ticket_used",
        /// A ticket was refused at its exchange: used, expired, from another origin, or its
        /// host key revoked (the reason says which).
        HostTicketRefused = "host_ticket_refused",
        /// The operator issued or revoked a SCIM credential (the reason says which).
        ScimCredentialChanged = "scim_credential_changed",
        /// The identity provider created, changed or deleted a person's or a group's record
        /// through SCIM (the reason says what); membership changes are their own events.
        ScimProvisioned = "scim_provisioned",
        /// A refresh came from outside the token's address ranges and was refused (the reason
        /// names the address); the token itself is untouched.
        RefreshOutsideRanges = "refresh_outside_ranges",
        /// A secret scanning service reported the token's refresh token public, and the service
        /// disabled it (the reason says where it was found).
        LeakReported = "leak_reported",
        /// An admin added, paused, resumed or removed an audit stream destination, or the
        /// service paused one after a day of failures (the reason says which, and its URL).
        StreamChanged = "stream_changed",
        /// An admin sent a test event to an audit stream destination (the reason says what it
        /// answered).
        StreamTested = "stream_tested",
        /// The service told the token's owner that its refresh token expires soon, 7 days and
        /// again 1 day before (`--smtp-url`; recorded whether or not an email went out): the
        /// reason says in how long, `until` when.
        ExpiryNotice = "expiry_notice",
    }
}

impl AuditAction {
    /// The events an admin is alarmed by: the service stepped in, or someone is guessing.
    pub const ALARMS: [AuditAction; 4] = [
        AuditAction::ReuseDetected,
        AuditAction::SignInBurst,
        AuditAction::RefreshOutsideRanges,
        AuditAction::LeakReported,
    ];

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
    /// Who acted; `None` when the service did (a client's revocation, reuse detection), the
    /// operator did (`by_operator`), the identity provider did (`by_provider`) or a secret
    /// scanning service reported a leak (`by_secret_scanning`).
    pub actor: Option<Person>,
    /// The operator acted, through the `token-server` command line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_operator: bool,
    /// The workspace's identity provider acted, through SCIM.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_provider: bool,
    /// GitHub's secret scanning reported the token public, in a report signed with its key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_secret_scanning: bool,
    pub owner: Option<Person>,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    pub ip: Option<String>,
    pub reason: Option<String>,
    /// The other token the event names: a regeneration's predecessor or successor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_token: Option<TokenRef>,
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

/// `GET /api/workspaces/{ws}/tokens/{id}/history`: a page of one token's events, newest first,
/// and, on the first page, where its last refresh came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenHistory {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
    /// `None` when it was never refreshed, and on later pages.
    #[serde(default)]
    pub last_refresh: Option<LastRefresh>,
}

/// A token's last refresh: when, from which address (behind a trusted proxy, the client's),
/// and with which user agent; both unknown for refreshes older than their recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastRefresh {
    #[serde(with = "crate::wire::rfc3339")]
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
    /// As the client sent it, cut at 200 characters, control characters dropped.
    pub user_agent: Option<String>,
}
