//! A workspace's policy for new tokens, and who may generate them.

use serde::{Deserialize, Serialize};

use crate::permissions::{self, Permission};
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
/// by the service when a token is generated; a change never touches existing tokens. It holds
/// the catalogue of permissions the workspace's APIs understand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkspacePolicy {
    /// The longest lifetime a new token may have, 1 to 365 days.
    pub max_lifetime_days: u32,
    pub creators: Creators,
    /// The most active tokens one member may hold; `None` for no limit.
    #[serde(default)]
    pub max_active_per_member: Option<u32>,
    /// The permissions the workspace's APIs understand, which tokens carry (`scope`).
    pub permissions: Vec<Permission>,
    /// Whether a token may carry every permission (`all_permissions`). Needs a catalogue to
    /// be turned off: without one, "all" is the only choice.
    pub allow_all_permissions: bool,
    /// The permissions members (not admins) may choose; `None`: any of the catalogue.
    pub member_permissions: Option<Vec<String>>,
    /// The address ranges new tokens must stay inside: each token then names ranges within
    /// them. Empty: tokens may be used from anywhere.
    pub allowed_ranges: Vec<String>,
}

impl Default for WorkspacePolicy {
    fn default() -> Self {
        WorkspacePolicy {
            max_lifetime_days: *LIFETIME_DAYS.end(),
            creators: Creators::Members,
            max_active_per_member: None,
            permissions: Vec::new(),
            allow_all_permissions: true,
            member_permissions: None,
            allowed_ranges: Vec::new(),
        }
    }
}

/// What a new token carries once checked: its permissions sorted (none: all of them), and its
/// ranges written the one way.
pub type Carried = (Vec<String>, Vec<String>);

impl WorkspacePolicy {
    /// The field at fault and why, if any.
    pub fn check(&self) -> Result<(), (&'static str, Invalid)> {
        if !LIFETIME_DAYS.contains(&self.max_lifetime_days) {
            return Err(("max_lifetime_days", Invalid::OutOfRange));
        }
        if self.max_active_per_member.is_some_and(|n| !MAX_ACTIVE_CAP.contains(&n)) {
            return Err(("max_active_per_member", Invalid::OutOfRange));
        }
        permissions::catalogue(&self.permissions).map_err(|i| ("permissions", i))?;
        if !self.allow_all_permissions && self.permissions.is_empty() {
            return Err(("allow_all_permissions", Invalid::Required));
        }
        if let Some(names) = &self.member_permissions {
            permissions::permission_list(names).map_err(|i| ("member_permissions", i))?;
            if names.iter().any(|n| !self.knows(n)) {
                return Err(("member_permissions", Invalid::NotAPermission));
            }
        }
        permissions::range_list(&self.allowed_ranges).map_err(|i| ("allowed_ranges", i))?;
        Ok(())
    }

    /// Whether the catalogue holds `name`.
    pub fn knows(&self, name: &str) -> bool {
        self.permissions.iter().any(|p| p.name == name)
    }

    /// Checks the permissions a new token asks for, for a member (`admin` false) or an admin:
    /// the field at fault and why. The Generate form's rule as the person chooses; the service
    /// applies it within `check_token`.
    pub fn check_permissions(&self, admin: bool, all: bool, names: &[String]) -> Result<(), (&'static str, Invalid)> {
        if names.len() > permissions::MAX_PERMISSIONS {
            return Err(("permissions", Invalid::TooMany));
        }
        for name in names {
            permissions::permission_name(name).map_err(|i| ("permissions", i))?;
        }
        match (all, names.is_empty()) {
            (false, true) => return Err(("permissions", Invalid::Required)),
            (true, false) => return Err(("all_permissions", Invalid::TooMany)),
            (true, true) if !self.allow_all_permissions => return Err(("all_permissions", Invalid::NotAllowed)),
            (true, true) => {
                // Members capped to some permissions cannot take them all.
                if !admin && self.member_permissions.is_some() && !self.permissions.is_empty() {
                    return Err(("all_permissions", Invalid::NotAllowed));
                }
            }
            (false, false) => {
                if names.iter().any(|n| !self.knows(n)) {
                    return Err(("permissions", Invalid::NotAPermission));
                }
                let capped = |n: &String| self.member_permissions.as_ref().is_some_and(|m| !m.contains(n));
                if !admin && names.iter().any(capped) {
                    return Err(("permissions", Invalid::NotAllowed));
                }
            }
        }
        Ok(())
    }

    /// Checks what a new token asks to carry: its permissions (`check_permissions`) and its
    /// address ranges, within the policy's. The field at fault and why, or the permissions
    /// sorted and the ranges written the one way.
    pub fn check_token(
        &self,
        admin: bool,
        all: bool,
        names: &[String],
        ranges: &[String],
    ) -> Result<Carried, (&'static str, Invalid)> {
        self.check_permissions(admin, all, names)?;
        let names = permissions::permission_list(names).map_err(|i| ("permissions", i))?;
        let ranges = permissions::range_list(ranges).map_err(|i| ("ranges", i))?;
        // Bounds this build cannot read let no token through.
        let bounds = permissions::range_list(&self.allowed_ranges).map_err(|_| ("ranges", Invalid::NotAllowed))?;
        if !bounds.is_empty() && (ranges.is_empty() || !ranges.iter().all(|r| bounds.iter().any(|b| r.within(*b)))) {
            return Err(("ranges", Invalid::NotAllowed));
        }
        Ok((names, ranges.iter().map(ToString::to_string).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> WorkspacePolicy {
        let p = |n: &str| Permission {
            name: n.into(),
            description: None,
        };
        WorkspacePolicy {
            permissions: vec![p("datasets:read"), p("datasets:write"), p("jobs:run")],
            ..WorkspacePolicy::default()
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_token_carries_some_permissions_or_explicitly_all() {
        let p = policy();
        assert_eq!(
            p.check_token(false, false, &names(&["jobs:run", "datasets:read"]), &[]),
            Ok((names(&["datasets:read", "jobs:run"]), vec![]))
        );
        assert_eq!(
            p.check_token(false, false, &[], &[]),
            Err(("permissions", Invalid::Required))
        );
        assert_eq!(p.check_token(false, true, &[], &[]).map(|r| r.0.len()), Ok(0));
        assert_eq!(
            p.check_token(false, true, &names(&["jobs:run"]), &[]),
            Err(("all_permissions", Invalid::TooMany)),
            "all and a list at once is ambiguous"
        );
        assert_eq!(
            p.check_token(false, false, &names(&["admin:everything"]), &[]),
            Err(("permissions", Invalid::NotAPermission))
        );
        let no_all = WorkspacePolicy {
            allow_all_permissions: false,
            ..policy()
        };
        assert_eq!(
            no_all.check_token(true, true, &[], &[]),
            Err(("all_permissions", Invalid::NotAllowed))
        );
        assert_eq!(
            WorkspacePolicy {
                permissions: vec![],
                ..no_all
            }
            .check(),
            Err(("allow_all_permissions", Invalid::Required))
        );
    }

    #[test]
    fn members_choose_within_their_cap_and_admins_beyond_it() {
        let p = WorkspacePolicy {
            member_permissions: Some(names(&["datasets:read"])),
            ..policy()
        };
        assert_eq!(p.check(), Ok(()));
        assert!(p.check_token(false, false, &names(&["datasets:read"]), &[]).is_ok());
        assert_eq!(
            p.check_token(false, false, &names(&["datasets:write"]), &[]),
            Err(("permissions", Invalid::NotAllowed))
        );
        assert_eq!(
            p.check_token(false, true, &[], &[]),
            Err(("all_permissions", Invalid::NotAllowed))
        );
        assert!(p.check_token(true, false, &names(&["datasets:write"]), &[]).is_ok());
        let unknown = WorkspacePolicy {
            member_permissions: Some(names(&["nope"])),
            ..policy()
        };
        assert_eq!(unknown.check(), Err(("member_permissions", Invalid::NotAPermission)));
    }

    #[test]
    fn ranges_stay_inside_the_policy() {
        let p = WorkspacePolicy {
            allowed_ranges: names(&["10.0.0.0/8"]),
            ..policy()
        };
        let read = names(&["datasets:read"]);
        assert_eq!(
            p.check_token(false, false, &read, &names(&["10.1.0.0/16"]))
                .map(|r| r.1),
            Ok(names(&["10.1.0.0/16"]))
        );
        assert_eq!(
            p.check_token(false, false, &read, &[]),
            Err(("ranges", Invalid::NotAllowed)),
            "anywhere is beyond 10/8"
        );
        assert_eq!(
            p.check_token(false, false, &read, &names(&["0.0.0.0/0"])),
            Err(("ranges", Invalid::NotAllowed))
        );
        assert_eq!(
            policy().check_token(false, false, &read, &names(&["10.1.2.3/8"])),
            Err(("ranges", Invalid::NotARange))
        );
    }
}
