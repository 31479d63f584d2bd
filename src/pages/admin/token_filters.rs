//! The Tokens tab's filter bar: owner, status, expiry, use, and a name search. Each change is a
//! new filter, which the tab writes to the URL.

use leptos::prelude::*;
use token_api::admin::{MemberList, TokenFilter};

use crate::api::ApiError;
use crate::components::person_picker::PersonPicker;
use crate::components::status_select::StatusSelect;
use crate::i18n::use_i18n;

/// The filter bar.
#[component]
pub fn TokenFilters(
    /// The filter in the URL.
    #[prop(into)]
    filter: Signal<TokenFilter>,
    /// The workspace's members, for the owner field.
    members: LocalResource<Result<MemberList, ApiError>>,
    /// A new filter was chosen.
    on_change: Callback<TokenFilter>,
) -> impl IntoView {
    let i18n = use_i18n();
    let people = move || {
        members.with(|m| {
            m.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|l| l.members.clone())
                .unwrap_or_default()
        })
    };
    let change = move |edit: &dyn Fn(&mut TokenFilter)| {
        let mut next = filter.get_untracked();
        edit(&mut next);
        on_change.run(next);
    };
    // The picker stays while the rest is rebuilt for each filter: rebuilt, it would lose the
    // focus of the person who just picked in it.
    let rest = move || {
        let f = filter.get();
        // `selected` attributes set the first render; after the user has picked, only the
        // property moves the choice (Back and Forward re-render these in place).
        let expiring_value = f.expiring_within_days.map(|d| d.to_string()).unwrap_or_default();
        view! {
                <StatusSelect
                    value=Signal::derive(move || filter.get().status)
                    on_change=Callback::new(move |status| change(&|f| f.status = status))
                />
                <label class="field-inline">
                    <span>{move || i18n.t().filter_expiring}</span>
                    <select prop:value=expiring_value on:change:target=move |ev| {
                        let days = ev.target().value().parse().ok();
                        change(&|f| f.expiring_within_days = days);
                    }>
                        <option value="" selected=f.expiring_within_days.is_none()>{move || i18n.t().any}</option>
                        <option value="7" selected=f.expiring_within_days == Some(7)>{move || (i18n.t().days)(7)}</option>
                        <option value="30" selected=f.expiring_within_days == Some(30)>{move || (i18n.t().days)(30)}</option>
                    </select>
                </label>
                <label class="field-inline">
                    <input type="checkbox" prop:checked=f.never_used on:change:target=move |ev| {
                        let on = ev.target().checked();
                        change(&|f| f.never_used = on);
                    } />
                    <span>{move || i18n.t().filter_never_used}</span>
                </label>
                <label class="field-inline">
                    <input type="checkbox" prop:checked=f.unused_for_days == Some(90) on:change:target=move |ev| {
                        let days = ev.target().checked().then_some(90);
                        change(&|f| f.unused_for_days = days);
                    } />
                    <span>{move || i18n.t().filter_unused_90}</span>
                </label>
                <label class="field-inline">
                    <span>{move || i18n.t().search_label}</span>
                    <input type="search" prop:value=f.q.clone().unwrap_or_default() on:change:target=move |ev| {
                        let q = Some(ev.target().value()).filter(|v| !v.trim().is_empty());
                        change(&|f| f.q = q.clone());
                    } />
                </label>
                <button type="button" class="button button-quiet" on:click=move |_| on_change.run(TokenFilter::default())>
                    {move || i18n.t().clear_filters}
                </button>
        }
    };
    view! {
        <div class="filters">
            <PersonPicker
                id="filter-owner"
                label_text=|t| t.filter_owner
                people=Signal::derive(people)
                value=Signal::derive(move || filter.with(|f| f.owner.clone()))
                on_change=Callback::new(move |owner: Option<String>| change(&|f| f.owner = owner.clone()))
            />
            {rest}
        </div>
    }
}
