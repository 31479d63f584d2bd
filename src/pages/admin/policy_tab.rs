//! The Policy tab: the workspace's rules for new tokens (the longest lifetime, who may generate
//! them, the most active tokens per member, the permissions its APIs understand and who may
//! choose which, the address ranges tokens must stay within), checked here by the contract's
//! rule and enforced by the service. Saving never touches existing tokens.

use leptos::prelude::*;
use token_api::permissions::Permission;
use token_api::policy::{Creators, WorkspacePolicy};
use token_api::validate::{LIFETIME_DAYS, MAX_ACTIVE_CAP};

use crate::api;
use crate::components::error_panel::error_text;
use crate::i18n::use_i18n;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// The tab.
#[component]
pub fn PolicyTab() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let toasts = use_toasts();
    let current = move || session.workspace().map(|w| w.policy).unwrap_or_default();
    let start = untrack(current);
    let max_days = RwSignal::new(start.max_lifetime_days.to_string());
    let creators = RwSignal::new(start.creators);
    let max_active = RwSignal::new(start.max_active_per_member.map(|n| n.to_string()).unwrap_or_default());
    // The catalogue one permission a line: its name, then its description.
    let catalogue = RwSignal::new(
        start
            .permissions
            .iter()
            .map(|p| {
                format!("{} {}", p.name, p.description.as_deref().unwrap_or_default())
                    .trim()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let allow_all = RwSignal::new(start.allow_all_permissions);
    let member_choice = RwSignal::new(
        start
            .member_permissions
            .as_ref()
            .map(|m| m.join(" "))
            .unwrap_or_default(),
    );
    let ranges = RwSignal::new(start.allowed_ranges.join(" "));
    let words = |v: &str| {
        v.split([' ', ',', '\n'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // The form as a policy, or the field that is wrong.
    let read = move || -> Result<WorkspacePolicy, &'static str> {
        let max_lifetime_days = max_days.with(|v| v.trim().parse().map_err(|_| "max_lifetime_days"))?;
        let max_active_per_member = match max_active.with(|v| v.trim().to_owned()) {
            v if v.is_empty() => None,
            v => Some(v.parse().map_err(|_| "max_active_per_member")?),
        };
        let permissions = catalogue.with(|c| {
            c.lines()
                .filter_map(|line| {
                    let (name, description) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
                    let description = Some(description.trim().to_owned()).filter(|d| !d.is_empty());
                    (!name.is_empty()).then(|| Permission {
                        name: name.to_owned(),
                        description,
                    })
                })
                .collect()
        });
        let policy = WorkspacePolicy {
            max_lifetime_days,
            creators: creators.get(),
            max_active_per_member,
            permissions,
            allow_all_permissions: allow_all.get(),
            member_permissions: Some(member_choice.with(|m| words(m))).filter(|m| !m.is_empty()),
            allowed_ranges: ranges.with(|r| words(r)),
        };
        policy.check().map_err(|(field, _)| field)?;
        Ok(policy)
    };
    let wrong = move |field: &'static str| move || read().err() == Some(field);
    let save = Action::new_local(move |policy: &WorkspacePolicy| {
        let (ws, policy) = (session.workspace().map(|w| w.id).unwrap_or_default(), policy.clone());
        async move {
            match api::admin::set_policy(ws.clone(), policy).await {
                Ok(saved) => {
                    session.policy_changed(&ws, saved);
                    toasts.success(i18n.t().policy_saved.to_owned());
                }
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(i18n.t(), &e), vec![]),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(policy) = read() {
            save.dispatch_local(policy);
        }
    };
    let unchanged = move || read().ok() == Some(current());
    view! {
        <form class="policy-form" on:submit=submit novalidate>
            <p class="intro">{move || i18n.t().policy_intro}</p>
            <div class="field">
                <label for="policy-max-lifetime">{move || i18n.t().policy_max_lifetime}</label>
                <input
                    id="policy-max-lifetime"
                    type="number"
                    inputmode="numeric"
                    min=LIFETIME_DAYS.start().to_string()
                    max=LIFETIME_DAYS.end().to_string()
                    aria-invalid=move || wrong("max_lifetime_days")().to_string()
                    aria-describedby="policy-max-lifetime-error"
                    prop:value=max_days
                    on:input:target=move |ev| max_days.set(ev.target().value())
                />
                <p id="policy-max-lifetime-error" class="field-error">
                    {move || wrong("max_lifetime_days")().then(|| i18n.t().invalid_lifetime)}
                </p>
            </div>
            <fieldset class="field">
                <legend>{move || i18n.t().policy_creators}</legend>
                {[(Creators::Members, "members"), (Creators::Admins, "admins")]
                    .into_iter()
                    .map(|(who, value)| {
                        view! {
                            <label class="field-inline">
                                <input
                                    type="radio"
                                    name="policy-creators"
                                    value=value
                                    prop:checked=move || creators.get() == who
                                    on:change=move |_| creators.set(who)
                                />
                                <span>
                                    {move || match who {
                                        Creators::Members => i18n.t().policy_creators_members,
                                        Creators::Admins => i18n.t().policy_creators_admins,
                                    }}
                                </span>
                            </label>
                        }
                    })
                    .collect::<Vec<_>>()}
            </fieldset>
            <div class="field">
                <label for="policy-max-active">{move || i18n.t().policy_max_active}</label>
                <input
                    id="policy-max-active"
                    type="number"
                    inputmode="numeric"
                    min=MAX_ACTIVE_CAP.start().to_string()
                    max=MAX_ACTIVE_CAP.end().to_string()
                    aria-invalid=move || wrong("max_active_per_member")().to_string()
                    aria-describedby="policy-max-active-hint policy-max-active-error"
                    prop:value=max_active
                    on:input:target=move |ev| max_active.set(ev.target().value())
                />
                <p id="policy-max-active-hint" class="field-hint">{move || i18n.t().policy_max_active_hint}</p>
                <p id="policy-max-active-error" class="field-error">
                    {move || wrong("max_active_per_member")().then(|| i18n.t().policy_invalid_active)}
                </p>
            </div>
            <div class="field">
                <label for="policy-permissions">{move || i18n.t().policy_permissions}</label>
                <textarea
                    id="policy-permissions"
                    rows="4"
                    spellcheck="false"
                    placeholder="datasets:read Read datasets"
                    aria-invalid=move || wrong("permissions")().to_string()
                    aria-describedby="policy-permissions-hint policy-permissions-error"
                    prop:value=catalogue
                    on:input:target=move |ev| catalogue.set(ev.target().value())
                ></textarea>
                <p id="policy-permissions-hint" class="field-hint">{move || i18n.t().policy_permissions_hint}</p>
                <p id="policy-permissions-error" class="field-error">
                    {move || wrong("permissions")().then(|| i18n.t().invalid_not_a_permission)}
                </p>
            </div>
            <div class="field">
                <label class="field-inline">
                    <input type="checkbox" aria-describedby="policy-allow-all-error" prop:checked=allow_all on:change:target=move |ev| allow_all.set(ev.target().checked()) />
                    <span>{move || i18n.t().policy_allow_all}</span>
                </label>
                <p id="policy-allow-all-error" class="field-error">
                    {move || wrong("allow_all_permissions")().then(|| i18n.t().policy_allow_all_needs)}
                </p>
            </div>
            <div class="field">
                <label for="policy-member-permissions">{move || i18n.t().policy_member_permissions}</label>
                <input
                    id="policy-member-permissions"
                    type="text"
                    spellcheck="false"
                    aria-invalid=move || wrong("member_permissions")().to_string()
                    aria-describedby="policy-member-permissions-hint policy-member-permissions-error"
                    prop:value=member_choice
                    on:input:target=move |ev| member_choice.set(ev.target().value())
                />
                <p id="policy-member-permissions-hint" class="field-hint">{move || i18n.t().policy_member_permissions_hint}</p>
                <p id="policy-member-permissions-error" class="field-error">
                    {move || wrong("member_permissions")().then(|| i18n.t().invalid_not_a_permission)}
                </p>
            </div>
            <div class="field">
                <label for="policy-ranges">{move || i18n.t().policy_ranges}</label>
                <input
                    id="policy-ranges"
                    type="text"
                    spellcheck="false"
                    placeholder="10.0.0.0/8"
                    aria-invalid=move || wrong("allowed_ranges")().to_string()
                    aria-describedby="policy-ranges-hint policy-ranges-error"
                    prop:value=ranges
                    on:input:target=move |ev| ranges.set(ev.target().value())
                />
                <p id="policy-ranges-hint" class="field-hint">{move || i18n.t().policy_ranges_hint}</p>
                <p id="policy-ranges-error" class="field-error">
                    {move || wrong("allowed_ranges")().then(|| i18n.t().invalid_not_a_range)}
                </p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || read().is_err() || unchanged() || save.pending().get()>
                {move || i18n.t().save}
            </button>
        </form>
    }
}
