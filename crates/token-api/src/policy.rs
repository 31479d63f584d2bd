//! A workspace's policy for new tokens, and who may generate them.

use serde::{Deserialize, Serialize};

use crate::validate::{Invalid, LIFETIME_DAYS, MAX_ACTIVE_CAP};

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
            max_lifetime_days: *LIFETIME_DAYS.end(),
            creators: Creators::Members,
            max_active_per_member: None,
        }
    }
}

impl WorkspacePolicy {
    /// The field at fault and why, if any.
    pub fn check(&self) -> Result<(), (&'static str, Invalid)> {
        if !LIFETIME_DAYS.contains(&self.max_lifetime_days) {
            return Err(("max_lifetime_days", Invalid::OutOfRange));
        }
        if self.max_active_per_member.is_some_and(|n| !MAX_ACTIVE_CAP.contains(&n)) {
            return Err(("max_active_per_member", Invalid::OutOfRange));
        }
        Ok(())
    }
}
