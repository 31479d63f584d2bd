//! What the Generate form holds, and the contract's checks of it.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use token_api::policy::WorkspacePolicy;
use token_api::tokens::{CreateTokenRequest, Overlap, Replaces, TokenView};
use token_api::validate::{self, Invalid, DEFAULT_LIFETIME_DAYS};

use crate::format;
use crate::i18n::Locale;

/// The form's fields; `Copy`. They outlive the form, so the reveal can say what was made.
#[derive(Clone, Copy)]
pub struct Fields {
    pub name: RwSignal<String>,
    pub lifetime: RwSignal<String>,
    pub description: RwSignal<String>,
    pub overlap: RwSignal<Overlap>,
    /// Every permission, present and future.
    pub all: RwSignal<bool>,
    /// The permissions ticked, when not `all`.
    pub chosen: RwSignal<Vec<String>>,
    /// The address ranges, as typed (separated by spaces or commas).
    pub ranges: RwSignal<String>,
    /// The name was typed in or the form sent: its errors show from then on.
    pub touched: RwSignal<bool>,
    /// Escape on a form with words in it asked first: the next Escape discards them.
    pub discarding: RwSignal<bool>,
}

impl Fields {
    pub fn new() -> Self {
        Fields {
            name: RwSignal::new(String::new()),
            lifetime: RwSignal::new(DEFAULT_LIFETIME_DAYS.to_string()),
            description: RwSignal::new(String::new()),
            overlap: RwSignal::new(Overlap::OneDay),
            all: RwSignal::new(false),
            chosen: RwSignal::new(Vec::new()),
            ranges: RwSignal::new(String::new()),
            touched: RwSignal::new(false),
            discarding: RwSignal::new(false),
        }
    }

    /// An empty form, its lifetime the default within the policy's `max_days`.
    pub fn reset(self, max_days: u32) {
        self.name.set(String::new());
        self.lifetime.set(DEFAULT_LIFETIME_DAYS.min(max_days).to_string());
        self.description.set(String::new());
        self.overlap.set(Overlap::OneDay);
        self.all.set(false);
        self.chosen.set(Vec::new());
        self.ranges.set(String::new());
        self.touched.set(false);
        self.discarding.set(false);
    }

    /// Regenerate: the old token's name, lifetime (within the policy) and description.
    pub fn fill(self, old: TokenView, max_days: u32) {
        let days = (old.expires_at - old.created_at)
            .num_days()
            .clamp(1, i64::from(max_days));
        self.name.set(old.name);
        self.lifetime.set(days.to_string());
        self.description.set(old.description.unwrap_or_default());
    }

    /// Words typed that Escape would lose.
    pub fn typed(self) -> bool {
        !(self.name.with(|n| n.trim().is_empty()) && self.description.with(|d| d.trim().is_empty()))
    }

    pub fn name_check(self) -> Result<String, Invalid> {
        self.name.with(|n| validate::token_name(n))
    }

    pub fn description_check(self) -> Result<Option<String>, Invalid> {
        self.description.with(|d| validate::description(Some(d)))
    }

    pub fn lifetime_check(self, max_days: u32) -> Result<u32, Invalid> {
        self.lifetime.with(|l| {
            l.trim()
                .parse::<i64>()
                .map_err(|_| Invalid::OutOfRange)
                .and_then(|d| validate::lifetime_within(d, max_days))
        })
    }

    /// Whether the permissions chosen are what the workspace's policy lets this person (`admin`
    /// or a member) choose: the contract's check. A workspace without a catalogue has only "all".
    /// The ranges are the service's to check (CIDR parsing stays out of the page's code); it
    /// names the field.
    pub fn carried_check(self, policy: &WorkspacePolicy, admin: bool) -> Result<(), (&'static str, Invalid)> {
        match self.all_chosen(policy) {
            true => policy.check_permissions(admin, true, &[]),
            false => self
                .chosen
                .with(|chosen| policy.check_permissions(admin, false, chosen)),
        }
    }

    /// "All" chosen, or the only choice there is.
    fn all_chosen(self, policy: &WorkspacePolicy) -> bool {
        self.all.get() || policy.permissions.is_empty()
    }

    /// The date the refresh token stops, for the lifetime chosen (the default while it is none).
    pub fn expiry_date(self, locale: Locale, max_days: u32) -> String {
        let days = self.lifetime_check(max_days).unwrap_or(DEFAULT_LIFETIME_DAYS);
        format::date(locale, Utc::now() + Duration::days(i64::from(days)))
    }

    /// The request, when every field passes. A regenerated token keeps what the old one carried.
    pub fn request(
        self,
        max_days: u32,
        replacing: Option<TokenView>,
        policy: &WorkspacePolicy,
        admin: bool,
    ) -> Option<CreateTokenRequest> {
        let (name, lifetime_days, description) = (
            self.name_check().ok()?,
            self.lifetime_check(max_days).ok()?,
            self.description_check().ok()?,
        );
        let replaces = replacing.map(|old| Replaces {
            token_id: old.id,
            overlap: self.overlap.get_untracked(),
        });
        let (permissions, ranges, all_permissions) = match replaces {
            Some(_) => (Vec::new(), Vec::new(), false),
            None => {
                self.carried_check(policy, admin).ok()?;
                let ranges = self
                    .ranges
                    .get_untracked()
                    .split([' ', ',', '\n'])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let all = self.all_chosen(policy);
                let chosen = if all { Vec::new() } else { self.chosen.get_untracked() };
                (chosen, ranges, all)
            }
        };
        Some(CreateTokenRequest {
            name,
            lifetime_days,
            description,
            replaces,
            all_permissions,
            permissions,
            ranges,
        })
    }
}
