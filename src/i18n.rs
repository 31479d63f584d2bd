//! Every user-facing string, per locale. `Messages` is a struct, so a locale that misses a
//! string does not compile: English and Simplified Chinese stay complete by construction.

mod en;
pub mod reminders;
pub mod streams;
mod zh_cn;

#[cfg(feature = "split")]
use std::cell::Cell;

use leptos::prelude::*;
use token_api::audit::{AuditAction, AuditEvent};

/// A language the pages speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    /// Every locale, in the order the language switcher lists them.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// The BCP 47 tag, for `<html lang>` and storage.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale a tag asks for: any Chinese is Simplified Chinese, anything else English.
    pub fn from_tag(tag: &str) -> Locale {
        if tag.to_ascii_lowercase().starts_with("zh") {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    /// The language's own name, as the switcher shows it (whichever language is in use).
    pub fn name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    /// The strings of this locale. English is in the main module; Simplified Chinese is a module
    /// of its own in a split build, fetched when first chosen (`Language::choose`): until it has
    /// come, its strings are English's, and no locale is ever set to it before then.
    pub fn messages(self) -> &'static Messages {
        match self {
            Locale::En => &en::MESSAGES,
            Locale::ZhCn => zh_cn_here().unwrap_or(&en::MESSAGES),
        }
    }

    /// Whether this locale's strings are here.
    fn is_here(self) -> bool {
        self == Locale::En || zh_cn_here().is_some()
    }

    /// Fetches this locale's strings where they are not here yet; false when they could not come.
    async fn fetch(self) -> bool {
        if self.is_here() {
            return true;
        }
        #[cfg(feature = "split")]
        {
            let strings = zh_cn_strings().await.ok();
            ZH_CN.with(|cell| cell.set(strings));
            strings.is_some()
        }
        #[cfg(not(feature = "split"))]
        unreachable!("every language is here in a build that is not split")
    }
}

/// Simplified Chinese's strings where they are here: always in a build that is not split.
#[cfg(not(feature = "split"))]
fn zh_cn_here() -> Option<&'static Messages> {
    Some(&zh_cn::MESSAGES)
}

#[cfg(feature = "split")]
fn zh_cn_here() -> Option<&'static Messages> {
    ZH_CN.with(Cell::get)
}

#[cfg(feature = "split")]
thread_local! {
    /// Simplified Chinese's strings, once fetched.
    static ZH_CN: Cell<Option<&'static Messages>> = const { Cell::new(None) };
}

/// Simplified Chinese's strings: a module of their own in a split build (`--features split`),
/// which only a reader who chooses the language downloads.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(zh_cn, wasm_split_path = ::leptos::wasm_split, fallible)]
fn zh_cn_strings() -> Result<&'static Messages, leptos::wasm_split::SplitLoaderError> {
    Ok(&zh_cn::MESSAGES)
}

/// The strings of one locale. Functions stand where a string takes a value.
pub struct Messages {
    pub app_name: &'static str,
    pub language_label: &'static str,
    pub workspace_label: &'static str,
    pub nav_label: &'static str,
    pub nav_tokens: &'static str,
    pub nav_admin: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: fn(&str) -> String,
    pub loading: &'static str,
    pub retry: &'static str,

    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub email_label: &'static str,
    pub password_label: &'static str,
    pub sign_in_button: &'static str,
    pub signing_in: &'static str,
    pub wrong_credentials: &'static str,
    pub sso_button: &'static str,
    /// Password sign-in refused: the account's workspaces require their identity provider.
    pub sso_required: &'static str,
    /// No workspace signs in through a provider for the email's domain.
    pub sso_no_provider: &'static str,
    /// Why a sign-in through the provider was refused, by `SsoRefusal`.
    pub sso_unreachable: &'static str,
    pub sso_denied: &'static str,
    pub sso_clock: &'static str,
    pub sso_invalid: &'static str,
    pub sso_expired: &'static str,
    pub sso_unverified: &'static str,
    pub sso_account: &'static str,
    pub sso_removed: &'static str,
    /// The Members tab's line on the workspace's identity provider, and its note when
    /// passwords are refused.
    pub sso_status: &'static str,
    pub sso_required_note: &'static str,
    pub scim_status: &'static str,
    pub scim_refused: &'static str,
    pub scim_member: &'static str,
    pub set_password_title: &'static str,
    pub set_password_intro: fn(usize) -> String,
    pub new_password_label: &'static str,
    pub repeat_password_label: &'static str,
    pub set_password_button: &'static str,
    pub setting_password: &'static str,
    pub password_set: &'static str,
    pub password_required: &'static str,
    pub password_too_short: fn(usize) -> String,
    pub passwords_differ: &'static str,
    pub link_expired: &'static str,
    pub add_member: &'static str,
    pub add_member_title: &'static str,
    pub member_name_label: &'static str,
    pub role_label: &'static str,
    pub role_member: &'static str,
    pub role_admin: &'static str,
    pub email_invalid: &'static str,
    pub email_lookalike: &'static str,
    pub member_added_new: fn(&str) -> String,
    pub member_exists_here: &'static str,
    pub member_has_account: &'static str,
    pub set_password_link_label: &'static str,

    pub users_title: &'static str,
    pub skip_to_content: &'static str,
    /// The Users page's heading, naming the workspace the tokens work in.
    pub users_heading: fn(&str) -> String,
    pub users_intro: &'static str,
    pub no_workspace: &'static str,
    pub empty_tokens: &'static str,
    pub col_name: &'static str,
    pub col_status: &'static str,
    pub col_created: &'static str,
    pub col_expires: &'static str,
    pub col_last_used: &'static str,
    pub col_hint: &'static str,
    pub status_active: &'static str,
    pub status_disabled: &'static str,
    pub status_expired: &'static str,
    pub never: &'static str,

    pub admin_title: &'static str,
    pub admin_intro: &'static str,
    pub not_allowed_title: &'static str,
    pub not_allowed_body: &'static str,
    /// A link to a workspace the reader is not a member of.
    pub not_member_title: &'static str,
    pub not_member_body: &'static str,

    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_to_tokens: &'static str,

    pub intro_lifetimes: &'static str,
    pub client_id_label: &'static str,
    pub token_endpoint_label: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub copy_fallback: &'static str,
    pub generate: &'static str,
    /// The Generate dialog's title, naming the workspace the token will work in.
    pub generate_title_in: fn(&str) -> String,
    pub name_label: &'static str,
    pub name_hint: &'static str,
    pub lifetime_label: &'static str,
    pub lifetime_quick_label: &'static str,
    pub days: fn(u32) -> String,
    pub expires_on: fn(&str) -> String,
    pub invalid_required: &'static str,
    pub invalid_too_long: fn(usize) -> String,
    pub invalid_control: &'static str,
    pub invalid_invisible: &'static str,
    pub invalid_lifetime: &'static str,
    pub invalid_other: &'static str,
    pub invalid_not_a_permission: &'static str,
    pub invalid_not_a_range: &'static str,
    pub invalid_not_allowed: &'static str,
    pub permissions_label: &'static str,
    pub permissions_all: &'static str,
    pub permissions_none_defined: &'static str,
    pub ranges_label: &'static str,
    pub ranges_summary: &'static str,
    pub regenerate_not_allowed: &'static str,
    pub ranges_hint: &'static str,
    pub ranges_within: fn(&str) -> String,
    pub scope_all: &'static str,
    pub scope_from: fn(&str) -> String,
    pub filter_permission: &'static str,
    pub policy_permissions: &'static str,
    pub policy_permissions_hint: &'static str,
    pub policy_allow_all: &'static str,
    pub policy_allow_all_needs: &'static str,
    pub policy_member_permissions: &'static str,
    pub policy_member_permissions_hint: &'static str,
    pub policy_ranges: &'static str,
    pub policy_ranges_hint: &'static str,
    pub action_refresh_outside_ranges: &'static str,
    pub generating: &'static str,
    pub cancel: &'static str,
    pub close: &'static str,
    pub reveal_title: fn(&str) -> String,
    pub reveal_warning: &'static str,
    /// Before the secrets: what rotation means for the refresh token the user is about to save.
    pub reveal_rotation: &'static str,
    /// The first line of the curl example, a shell comment.
    pub curl_comment: &'static str,
    /// Under the reveal's title: where the new token works.
    pub reveal_workspace: fn(&str) -> String,
    pub access_token_label: &'static str,
    pub refresh_token_label: fn(&str) -> String,
    pub copy_env: &'static str,
    pub env_label: &'static str,
    pub curl_label: &'static str,
    pub confirm_close_title: &'static str,
    /// Escape on a Generate form with words in it.
    pub discard_on_escape: &'static str,
    pub confirm_close_body: &'static str,
    pub keep_open: &'static str,
    pub close_anyway: &'static str,
    pub created_toast: fn(&str) -> String,

    pub search_label: &'static str,
    pub status_filter_label: &'static str,
    pub all_statuses: &'static str,
    pub no_match: &'static str,
    pub select_all: &'static str,
    pub select_row: fn(&str) -> String,
    pub actions_for: fn(&str) -> String,
    pub col_actions: &'static str,
    pub col_owner: &'static str,
    pub disable: &'static str,
    pub delete: &'static str,
    pub in_days: fn(i64) -> String,
    pub days_ago: fn(i64) -> String,
    pub today: &'static str,
    /// Under Expires, for a token that has: "Expired 10 days ago".
    pub expired_ago: fn(i64) -> String,
    /// Under Expires, for a disabled token (its expiry no longer matters): "Disabled Nov 27, 2026
    /// by Ada Lovelace".
    /// (date, by whom where known).
    pub disabled_on: fn(&str, Option<&str>) -> String,
    /// (that note, the reason the admin gave).
    pub disabled_because: fn(&str, &str) -> String,
    /// (date, speaking to the owner): disabled by reuse detection.
    pub disabled_reuse: fn(&str, bool) -> String,
    /// (date): revoked by its client.
    pub disabled_revoked: fn(&str) -> String,
    /// (date): its owner was removed from the workspace.
    pub disabled_owner_left: fn(&str) -> String,
    pub disabled_deprovisioned: fn(&str) -> String,
    pub disabled_taken_over: fn(&str) -> String,
    /// (date, where it was found if the report said): a secret scanning service found it public.
    pub disabled_leaked: fn(&str, Option<&str>) -> String,
    /// The row menu's item, and the history dialog's table.
    pub history: &'static str,
    pub history_title: fn(&str) -> String,
    pub history_empty: &'static str,
    /// The history dialog's line on the last refresh: (date), then (address) and (user agent)
    /// where they are known, written one after the other.
    pub last_refresh: fn(&str) -> String,
    pub last_refresh_from: fn(&str) -> String,
    pub last_refresh_agent: fn(&str) -> String,
    pub never_refreshed: &'static str,
    pub load_more: &'static str,
    pub expires_soon: &'static str,

    pub confirm_disable_title: fn(&str) -> String,
    pub confirm_disable_body: fn(&str) -> String,
    pub confirm_delete_title: fn(&str) -> String,
    pub confirm_delete_body: fn(&str) -> String,
    /// The confirm button, for this many tokens.
    pub disable_confirm: fn(usize) -> String,
    pub delete_confirm: fn(usize) -> String,
    pub disabled_toast: fn(&str) -> String,
    pub deleted_toast: fn(&str) -> String,

    pub toolbar_label: &'static str,
    /// The toolbar's place while nothing is selected.
    pub bulk_hint: &'static str,
    pub n_selected: fn(usize) -> String,
    /// Bulk Disable while the tokens it can change are being counted.
    pub counting: &'static str,
    pub bulk_disable: fn(usize, usize) -> String,
    pub bulk_disable_note: fn(usize) -> String,
    pub bulk_delete: fn(usize) -> String,
    pub clear_selection: &'static str,
    pub confirm_bulk_disable_title: fn(usize) -> String,
    pub confirm_bulk_delete_title: fn(usize) -> String,
    pub confirm_bulk_body: fn(&str) -> String,
    /// Disabled this many; this many more left alone (already disabled or expired).
    pub bulk_disabled_toast: fn(usize, usize) -> String,
    pub bulk_deleted_toast: fn(usize) -> String,
    pub bulk_failed: fn(usize) -> String,
    pub outcome_not_found: &'static str,

    pub notifications_label: &'static str,
    pub dismiss: &'static str,

    pub tabs_label: &'static str,
    pub tab_tokens: &'static str,
    pub tab_audit: &'static str,
    /// The Members tab: the people, their roles, and removing one.
    pub tab_members: &'static str,
    pub col_member: &'static str,
    pub role_admin_short: &'static str,
    pub role_member_short: &'static str,
    pub remove: &'static str,
    /// (name): the Remove button's accessible name.
    pub remove_member_label: fn(&str) -> String,
    /// (name, workspace).
    pub remove_member_title: fn(&str, &str) -> String,
    /// (their tokens not disabled yet).
    pub remove_member_body: fn(u64) -> String,
    /// (name): the role select's accessible name.
    pub role_of: fn(&str) -> String,
    /// (name, the role's short word).
    pub role_changed_toast: fn(&str, &str) -> String,
    /// (who): a former member added back.
    pub member_back: fn(&str) -> String,
    pub remove_member_confirm: &'static str,
    /// (name, tokens disabled).
    pub member_removed_toast: fn(&str, u64) -> String,
    pub last_admin_note: &'static str,
    pub action_member_removed: &'static str,
    pub action_policy_changed: &'static str,
    pub action_regenerated: &'static str,
    pub action_sign_in_burst: &'static str,
    pub action_refresh_retried: &'static str,
    pub action_member_added: &'static str,
    pub action_role_changed: &'static str,
    pub action_password_set: &'static str,
    pub action_sessions_ended: &'static str,
    pub action_account_taken_over: &'static str,
    pub action_signing_key_rotated: &'static str,
    pub action_signing_key_retired: &'static str,
    pub action_sso_sign_in: &'static str,
    pub action_sso_refused: &'static str,
    pub action_sso_connection_changed: &'static str,
    pub action_break_glass: &'static str,
    pub action_host_key: &'static str,
    pub action_scim_credential: &'static str,
    pub action_scim_provisioned: &'static str,
    pub action_leak_reported: &'static str,
    pub action_expiry_notice: &'static str,
    pub action_ticket_issued: &'static str,
    pub action_ticket_used: &'static str,
    pub action_ticket_refused: &'static str,
    pub by_operator: &'static str,
    pub by_provider: &'static str,
    pub by_secret_scanning: &'static str,
    /// The audit trail's action filter: every kind of alarm.
    pub any_alarm: &'static str,
    /// Regenerate: the row menu's item, the dialog's title (name, workspace), the overlap.
    pub regenerate: &'static str,
    pub regenerate_title: fn(&str, &str) -> String,
    pub overlap_label: &'static str,
    pub overlap_none: &'static str,
    pub overlap_hour: &'static str,
    pub overlap_day: &'static str,
    pub overlap_week: &'static str,
    pub regenerated_toast: fn(&str) -> String,
    /// The Users page's banner: this many tokens expire within 7 days or expired in the last 7.
    pub expiring_banner: fn(usize) -> String,
    /// The Users page's alert: (the names of) tokens the service disabled in the last two
    /// weeks because their refresh token was used twice.
    pub reuse_alert: fn(&[String]) -> String,
    pub reuse_alert_body: &'static str,
    /// Regenerate, naming the token (the banner's buttons).
    pub regenerate_named: fn(&str) -> String,
    /// (date, the successor as `replaced_by` names it, where it is still known): replaced at
    /// once by a regenerated token.
    pub disabled_regenerated: fn(&str, Option<&str>) -> String,
    /// A replaced token's note under its expiry: (the successor, named as `successor` names it).
    pub replaced_by: fn(&str) -> String,
    /// A regeneration's event, on the new token (true) or the old: (the other token's name, when
    /// the old one stops: `None` at once).
    pub regeneration: fn(bool, &str, Option<&str>) -> String,
    pub action_replaced: &'static str,
    /// Who refreshed a token: its client, with no person behind the request.
    pub by_client: &'static str,
    /// The calendar of expiry dates.
    pub calendar_title: &'static str,
    /// Generate: the optional description, its length limit (characters), and its editor.
    pub description_label: &'static str,
    pub description_too_long: fn(usize) -> String,
    pub edit_description: &'static str,
    pub edit_description_title: fn(&str) -> String,
    pub description_saved: &'static str,
    /// Generate: a lifetime past the policy's cap (the cap).
    pub above_policy: fn(u32) -> String,
    /// Why Generate is not offered (workspace): only admins generate there.
    pub policy_admins_only: fn(&str) -> String,
    /// (cap, workspace): the member holds as many active tokens as allowed.
    pub policy_cap_reached: fn(u32, &str) -> String,
    /// The Policy tab.
    pub tab_policy: &'static str,
    pub tab_streams: &'static str,
    pub action_stream_changed: &'static str,
    pub action_stream_tested: &'static str,
    pub invalid_not_a_url: &'static str,
    pub invalid_not_a_header: &'static str,
    pub policy_intro: &'static str,
    pub policy_max_lifetime: &'static str,
    pub policy_creators: &'static str,
    pub policy_creators_members: &'static str,
    pub policy_creators_admins: &'static str,
    pub policy_max_active: &'static str,
    pub policy_max_active_hint: &'static str,
    pub policy_invalid_active: &'static str,
    pub save: &'static str,
    pub policy_saved: &'static str,
    pub counts_label: &'static str,
    pub count_active: &'static str,
    pub count_expiring: &'static str,
    /// Whether a count follows its label ("7 天内到期：5") rather than leading it ("5 expiring
    /// within 7 days"): a number before "7 天内到期" would read as one number with it.
    pub count_number_last: bool,
    pub count_disabled: &'static str,
    pub count_never_used: &'static str,
    /// The alarm count's label, by the count: reuse detections and sign-in bursts in the last
    /// 30 days.
    pub count_alarms: fn(u64) -> &'static str,
    pub filter_owner: &'static str,
    pub owner_hint: &'static str,
    /// Generate: the user has a token of this name already.
    pub name_taken: fn(&str) -> String,
    /// A person picker's text finds nobody.
    pub no_member_matches: &'static str,
    /// A person picker lists its first options; this many more match.
    pub more_members: fn(usize) -> String,
    pub filter_expiring: &'static str,
    pub any: &'static str,
    pub filter_never_used: &'static str,
    pub filter_unused_90: &'static str,
    pub clear_filters: &'static str,
    pub page_size: &'static str,
    /// The page-size choice that shows every row.
    pub all_rows: &'static str,
    pub next_page: &'static str,
    pub previous_page: &'static str,
    pub range_of: fn(usize, usize, usize) -> String,
    pub first_page: &'static str,
    pub export_csv: &'static str,
    pub show_owner_tokens: &'static str,
    pub reason_label: &'static str,
    pub leak_title: &'static str,
    pub leak_intro: &'static str,
    pub leak_label: &'static str,
    pub leak_check: &'static str,
    pub leak_malformed: &'static str,
    pub leak_access_token: &'static str,
    pub leak_not_found: &'static str,
    pub leak_current: &'static str,
    pub leak_rotated: &'static str,
    pub disable_now: &'static str,
    pub col_time: &'static str,
    pub col_action: &'static str,
    pub col_actor: &'static str,
    pub col_token: &'static str,
    pub col_ip: &'static str,
    pub col_reason: &'static str,
    pub action_created: &'static str,
    pub action_disabled: &'static str,
    pub action_deleted: &'static str,
    pub action_refreshed: &'static str,
    pub action_reuse: &'static str,
    pub by_service: &'static str,
    pub filter_actor: &'static str,
    pub filter_action: &'static str,
    pub filter_from: &'static str,
    pub filter_to: &'static str,
    pub empty_audit: &'static str,
    pub stale_count: &'static str,
    pub n_match: fn(u64) -> String,
    /// The count stopped at `n`: more match.
    pub n_match_more_than: fn(u64) -> String,
    pub n_events_more_than: fn(u64) -> String,
    pub n_events: fn(u64) -> String,
    pub select_all_matching: fn(u64) -> String,
    /// The same, before the matches are counted.
    pub select_all_matching_uncounted: &'static str,
    pub all_matching_selected: fn(u64) -> String,
    pub type_count: fn(u64) -> String,
    pub error_title: &'static str,
    pub error_network: &'static str,
    pub error_server: fn(u16) -> String,
    pub error_decode: &'static str,
}

impl Messages {
    /// Who did what an audit event records: a person's email, the operator, the token's client,
    /// or the service.
    pub fn actor(&self, e: &AuditEvent) -> String {
        match &e.actor {
            Some(p) => p.email.clone(),
            None if e.by_operator => self.by_operator.to_owned(),
            None if e.by_provider => self.by_provider.to_owned(),
            None if e.by_secret_scanning => self.by_secret_scanning.to_owned(),
            None if matches!(e.action, AuditAction::Refreshed | AuditAction::RefreshRetried) => {
                self.by_client.to_owned()
            }
            None => self.by_service.to_owned(),
        }
    }

    /// Why, or with what, an audit event happened: the reason given, or for a regeneration the
    /// other token and when the old one stops, in the reader's words and time zone.
    pub fn reason(&self, locale: Locale, e: &AuditEvent) -> String {
        match (&e.other_token, e.action) {
            (Some(other), AuditAction::Regenerated | AuditAction::Replaced) => {
                let until = e.until.map(|at| crate::format::full(locale, at));
                (self.regeneration)(
                    e.action == AuditAction::Regenerated,
                    &crate::format::isolate(&other.name),
                    until.as_deref(),
                )
            }
            _ => e.reason.clone().unwrap_or_default(),
        }
    }

    /// An audit action in words.
    pub fn action(&self, action: AuditAction) -> &'static str {
        match action {
            AuditAction::Created => self.action_created,
            AuditAction::Disabled => self.action_disabled,
            AuditAction::Deleted => self.action_deleted,
            AuditAction::Refreshed => self.action_refreshed,
            AuditAction::ReuseDetected => self.action_reuse,
            AuditAction::MemberRemoved => self.action_member_removed,
            AuditAction::PolicyChanged => self.action_policy_changed,
            AuditAction::Regenerated => self.action_regenerated,
            AuditAction::Replaced => self.action_replaced,
            AuditAction::SignInBurst => self.action_sign_in_burst,
            AuditAction::RefreshRetried => self.action_refresh_retried,
            AuditAction::MemberAdded => self.action_member_added,
            AuditAction::RoleChanged => self.action_role_changed,
            AuditAction::PasswordSet => self.action_password_set,
            AuditAction::SessionsEnded => self.action_sessions_ended,
            AuditAction::AccountTakenOver => self.action_account_taken_over,
            AuditAction::SigningKeyRotated => self.action_signing_key_rotated,
            AuditAction::SigningKeyRetired => self.action_signing_key_retired,
            AuditAction::SsoSignIn => self.action_sso_sign_in,
            AuditAction::SsoRefused => self.action_sso_refused,
            AuditAction::SsoConnectionChanged => self.action_sso_connection_changed,
            AuditAction::BreakGlassSignIn => self.action_break_glass,
            AuditAction::HostKeyChanged => self.action_host_key,
            AuditAction::ScimCredentialChanged => self.action_scim_credential,
            AuditAction::ScimProvisioned => self.action_scim_provisioned,
            AuditAction::RefreshOutsideRanges => self.action_refresh_outside_ranges,
            AuditAction::LeakReported => self.action_leak_reported,
            AuditAction::StreamChanged => self.action_stream_changed,
            AuditAction::StreamTested => self.action_stream_tested,
            AuditAction::ExpiryNotice => self.action_expiry_notice,
            AuditAction::HostTicketIssued => self.action_ticket_issued,
            AuditAction::HostTicketUsed => self.action_ticket_used,
            AuditAction::HostTicketRefused => self.action_ticket_refused,
        }
    }

    /// Why a sign-in through the identity provider was refused, and what to do, in words.
    pub fn sso_refusal(&self, refusal: token_api::sso::SsoRefusal) -> &'static str {
        use token_api::sso::SsoRefusal as R;
        match refusal {
            R::NoProvider => self.sso_no_provider,
            R::Unreachable | R::ClientRefused | R::NotConfigured => self.sso_unreachable,
            R::AccessDenied => self.sso_denied,
            R::ClockSkew => self.sso_clock,
            R::InvalidToken => self.sso_invalid,
            R::Expired => self.sso_expired,
            R::UnverifiedEmail => self.sso_unverified,
            R::UnknownDomain | R::ManagedElsewhere | R::AccountTaken => self.sso_account,
            R::Removed => self.sso_removed,
        }
    }

    /// How long a replaced token keeps working, in words.
    pub fn overlap(&self, overlap: token_api::tokens::Overlap) -> &'static str {
        use token_api::tokens::Overlap;
        match overlap {
            Overlap::None => self.overlap_none,
            Overlap::OneHour => self.overlap_hour,
            Overlap::OneDay => self.overlap_day,
            Overlap::SevenDays => self.overlap_week,
        }
    }

    /// A token status in words.
    pub fn status(&self, status: token_api::tokens::TokenStatus) -> &'static str {
        use token_api::tokens::TokenStatus;
        match status {
            TokenStatus::Active => self.status_active,
            TokenStatus::Disabled => self.status_disabled,
            TokenStatus::Expired => self.status_expired,
        }
    }
}

/// The current locale, provided once by `Root`. Every page reads it; `Language` changes it.
#[derive(Clone, Copy)]
pub struct I18n {
    /// The language the page speaks: set by `Language::choose`, once its strings are here.
    pub locale: RwSignal<Locale>,
}

impl I18n {
    /// The current locale's strings.
    pub fn t(self) -> &'static Messages {
        self.locale.get().messages()
    }
}

/// Choosing the language: the language switcher's and the root's, beside `I18n` (which every
/// closure of every page captures, so it stays one signal).
#[derive(Clone, Copy)]
pub struct Language {
    locale: RwSignal<Locale>,
    /// The language last chosen, which the page speaks as soon as its strings have come (the
    /// switcher shows it); a later choice wins over an earlier one still on its way.
    pub wanted: RwSignal<Locale>,
    /// False while the language asked for at the start is on its way, for at most
    /// `FIRST_LANGUAGE_WAIT` (the root shows nothing rather than a flash of English).
    pub ready: RwSignal<bool>,
}

/// How long a first visit waits for its language's strings before showing English: they
/// switch the page when they come.
const FIRST_LANGUAGE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl Language {
    /// Switches to `locale` once its strings are here (at once for English, or a language
    /// fetched before), unless another has been chosen meanwhile; where they cannot come
    /// (offline), the page stays in its language.
    pub fn choose(self, locale: Locale) {
        self.wanted.set(locale);
        if locale.is_here() {
            self.locale.set(locale);
            self.ready.set(true);
            return;
        }
        leptos::task::spawn_local(async move {
            let here = locale.fetch().await;
            if self.wanted.try_get_untracked() == Some(locale) {
                if here {
                    let _ = self.locale.try_set(locale);
                } else if let Some(current) = self.locale.try_get_untracked() {
                    // The switcher shows the language in use again.
                    let _ = self.wanted.try_set(current);
                }
            }
            let _ = self.ready.try_set(true);
        });
    }
}

/// The locale the browser asks for.
pub fn browser_locale() -> Locale {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .map(|tag| Locale::from_tag(&tag))
        .unwrap_or(Locale::En)
}

/// Provides the locale and the choosing of it: the one given (once its strings are here), until
/// the user picks another.
pub fn provide_i18n(initial: Locale) -> (I18n, Language) {
    let locale = RwSignal::new(Locale::En);
    let language = Language {
        locale,
        wanted: RwSignal::new(Locale::En),
        ready: RwSignal::new(false),
    };
    language.choose(initial);
    if !language.ready.get_untracked() {
        set_timeout(
            move || {
                let _ = language.ready.try_set(true);
            },
            FIRST_LANGUAGE_WAIT,
        );
    }
    let i18n = I18n { locale };
    provide_context(i18n);
    provide_context(language);
    (i18n, language)
}

/// The locale and its strings, from context.
pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_tags_pick_simplified_chinese() {
        assert_eq!(Locale::from_tag("zh-CN"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("zh"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("en-GB"), Locale::En);
        assert_eq!(Locale::from_tag("fr"), Locale::En);
    }

    #[test]
    fn every_locale_names_itself_and_differs_from_english() {
        let (en, zh) = (&en::MESSAGES, &zh_cn::MESSAGES);
        assert_ne!(en.sign_in_button, zh.sign_in_button);
        assert_ne!(en.users_title, zh.users_title);
        assert!((zh.signed_in_as)("ben@acme.test").contains("ben@acme.test"));
    }
}
